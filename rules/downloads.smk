# ---- downloads: each figure's heavy formats, zipped per site page (`snakemake -j4 downloads`) ----
# Not part of `rule all`: the site shows the PNG and the dark WebP (rules/figures.smk). Each rule
# here is the twin of a plot rule: the same command and inputs with --downloads and --out under
# downloads/figures/<group>/, writing SVG and PDF (light and dark) and talk PNGs (light and dark)
# with the same provenance (pipeline/plots/files.py). Then one zip per figure group (the figures
# of one site page) and one of everything, byte-reproducible (pipeline/bundle.py).
DOWNLOAD_GROUPS = {**PLAN.figures.groups(), **PLAN.studies.groups()}


localrules:  # seconds each, like their twins in rules/figures.smk
    downloads,
    plot_demo_downloads,
    plot_part_a_downloads,
    download_zip,
    download_zip_all,


rule downloads:
    input:
        expand("downloads/{group}.zip", group=sorted(DOWNLOAD_GROUPS)),
        "downloads/all-figures.zip",


for _kind in ("mlp", "deep"):

    rule:
        name:
            f"plot_{_kind}_downloads"
        wildcard_constraints:
            exp=PLAN.experiments.pattern(_kind),
        input:
            run=run_files("{exp}"),
            family=lambda wc: [f for n in PLAN.figures.family(wc.exp) if n != wc.exp for f in run_files(n)],
            code=code_inputs("plot"),
            cite=CITATION,
        output:
            PLAN.figures.download_pattern(_kind),
        params:
            run_dir=subpath(input[0], parent=True),
            title=PLAN.experiments.title,
            family=lambda wc: " ".join(f"results/runs/{n}" for n in PLAN.figures.family(wc.exp)),
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.for_rule("plot"),
        log:
            "logs/downloads/{exp}.log",
        benchmark:
            "results/benchmarks/downloads/{exp}.tsv"
        shell:
            "python -m pipeline plot --downloads --run {params.run_dir} --out downloads/figures/{wildcards.exp} "
            "--title {params.title:q} --family {params.family} > {log} 2>&1"


rule plot_pair_downloads:
    wildcard_constraints:
        exp=alternatives(list(PLAN.figures.twins())),
    input:
        batchnorm=run_files("{exp}"),
        plain=lambda wc: run_files(PLAN.figures.twins()[wc.exp]),
        code=code_inputs("plot-pair"),
        cite=CITATION,
    output:
        PLAN.figures.download_pair_pattern(),
    params:
        plain=lambda wc: f"results/runs/{PLAN.figures.twins()[wc.exp]}",
        batchnorm=subpath(input[0], parent=True),
        titles=lambda wc: json.dumps({n: PLAN.experiments.resolved[n]["title"]
                                      for n in (wc.exp, PLAN.figures.twins()[wc.exp])}),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/downloads/pair_{exp}.log",
    benchmark:
        "results/benchmarks/downloads/pair_{exp}.tsv"
    shell:
        "python -m pipeline plot-pair --downloads --plain {params.plain} --batchnorm {params.batchnorm} "
        "--out downloads/figures/{wildcards.exp} --titles {params.titles:q} > {log} 2>&1"


rule plot_part_a_downloads:
    input:
        runs=[f for exp in PART_A for f in run_files(exp)],
        code=code_inputs("plot-part-a"),
        cite=CITATION,
    output:
        PLAN.figures.download_part_a(),
    params:
        runs=expand("results/runs/{exp}", exp=PART_A),
        titles=json.dumps({exp: PLAN.experiments.resolved[exp]["title"] for exp in PART_A}),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/downloads/part_a.log",
    benchmark:
        "results/benchmarks/downloads/part_a.tsv"
    shell:
        "python -m pipeline plot-part-a --downloads --runs {params.runs} --out downloads/figures/part_a "
        "--titles {params.titles:q} > {log} 2>&1"


rule plot_demo_downloads:
    input:
        data="results/demos/{demo}.json",
        code=code_inputs("plot-demo"),
        cite=CITATION,
    output:
        PLAN.figures.download_demo_pattern(),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/downloads/demo_{demo}.log",
    benchmark:
        "results/benchmarks/downloads/demo_{demo}.tsv"
    shell:
        "python -m pipeline plot-demo {wildcards.demo} --downloads --data {input.data} "
        "--out downloads/figures/{wildcards.demo} > {log} 2>&1"


# a study draws its figures from numbers it computes: its twin computes them again (the same runs,
# the same numbers) and keeps only the figures; the study's own JSON goes to a scratch directory
for _study in PLAN.studies.groups():  # the studies that draw figures

    rule:
        name:
            f"study_{_study}_downloads"
        input:
            runs=PLAN.studies.inputs(_study),
            data="data/names.txt",
            code=code_inputs("study", PLAN.studies.source(_study)),
            cite=CITATION,
        output:
            PLAN.studies.download_outputs(_study),
        params:
            spec=PLAN.studies.params(_study),
            study=_study,
            scratch=f"downloads/.scratch/{_study}",
        threads: PLAN.runtime.threads
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.for_rule("study"),
        log:
            f"logs/downloads/{_study}.log",
        benchmark:
            f"results/benchmarks/downloads/{_study}.tsv"
        shell:
            "python -m pipeline study {params.study} --downloads --spec {params.spec:q} --runs results/runs "
            "--data {input.data} --out {params.scratch} --figures downloads/figures/{params.study} "
            "--threads {threads} > {log} 2>&1 && rm -rf {params.scratch} && rmdir --ignore-fail-on-non-empty downloads/.scratch"


rule download_zip:
    wildcard_constraints:
        group=alternatives(sorted(DOWNLOAD_GROUPS)),
    input:
        figures=lambda wc: PLAN.figures.download_paths(wc.group, DOWNLOAD_GROUPS[wc.group]),
        license=f"{REPO}/LICENSE-CONTENT",
        code=code_inputs("zip"),
    output:
        "downloads/{group}.zip",
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("report"),
    log:
        "logs/downloads/zip_{group}.log",
    benchmark:
        "results/benchmarks/downloads/zip_{group}.tsv"
    shell:
        "python -m pipeline zip downloads/figures/{wildcards.group} --license {input.license} --out {output} "
        "> {log} 2>&1"


rule download_zip_all:
    input:
        figures=[f for g, names in DOWNLOAD_GROUPS.items() for f in PLAN.figures.download_paths(g, names)],
        license=f"{REPO}/LICENSE-CONTENT",
        code=code_inputs("zip"),
    output:
        "downloads/all-figures.zip",
    params:
        groups=[f"downloads/figures/{g}" for g in sorted(DOWNLOAD_GROUPS)],
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("report"),
    log:
        "logs/downloads/zip_all.log",
    benchmark:
        "results/benchmarks/downloads/zip_all.tsv"
    shell:
        "python -m pipeline zip {params.groups} --license {input.license} --out {output} > {log} 2>&1"
