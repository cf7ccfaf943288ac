# ---- figures and tables: each run's figures, Part A's overlay, Part C's demonstrations, the ----
# Part A table. Every figure is figures/<group>/<figure>.{png,json}, dark/<figure>.webp and a thumbnail
# (pipeline/workflow/targets.py); its SVG, PDF and talk PNGs are rules/downloads.smk's.
import json

from pipeline.workflow.experiments import alternatives, run_files
from pipeline.workflow.report import DEMOS, PARTS, flag
from pipeline.workflow.site_inputs import REPO



for _kind in ("mlp", "deep"):

    rule:
        name:
            f"plot_{_kind}"
        wildcard_constraints:
            exp=PLAN.experiments.pattern(_kind),
        input:
            run=run_files("{exp}"),
            family=lambda wc: [f for n in PLAN.figures.family(wc.exp) if n != wc.exp for f in run_files(n)],
            code=code_inputs("plot"),
            cite=CITATION,
        output:
            flag(PLAN.figures.pattern(_kind), PLAN.report.part, PLAN.experiments.title),
        params:
            site_url=SITE_URL,  # a new address redraws the figures (their provenance names it)
            run_dir=subpath(input[0], parent=True),
            out_dir=subpath(output[0], parent=True),
            title=PLAN.experiments.title,
            family=lambda wc: " ".join(f"results/runs/{n}" for n in PLAN.figures.family(wc.exp)),
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.for_rule("plot"),
        log:
            "logs/plot/{exp}.log",
        benchmark:
            "results/benchmarks/plot/{exp}.tsv"
        shell:
            "python -m pipeline plot --run {params.run_dir} --out {params.out_dir} --title {params.title:q} "
            "--family {params.family} > {log} 2>&1"


rule plot_pair:
    wildcard_constraints:
        exp=alternatives(list(PLAN.figures.twins())),
    input:
        batchnorm=run_files("{exp}"),
        plain=lambda wc: run_files(PLAN.figures.twins()[wc.exp]),
        code=code_inputs("plot-pair"),
        cite=CITATION,
    output:
        flag(PLAN.figures.pair_pattern(), PLAN.report.part, PLAN.experiments.title),
    params:
        site_url=SITE_URL,
        plain=lambda wc: f"results/runs/{PLAN.figures.twins()[wc.exp]}",
        batchnorm=subpath(input[0], parent=True),
        out_dir=subpath(output[0], parent=True),
        titles=lambda wc: json.dumps({n: PLAN.experiments.resolved[n]["title"]
                                      for n in (wc.exp, PLAN.figures.twins()[wc.exp])}),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/plot/pair_{exp}.log",
    benchmark:
        "results/benchmarks/plot/pair_{exp}.tsv"
    shell:
        "python -m pipeline plot-pair --plain {params.plain} --batchnorm {params.batchnorm} --out {params.out_dir} "
        "--titles {params.titles:q} > {log} 2>&1"


rule plot_part_a:
    input:
        runs=[f for exp in PART_A for f in run_files(exp)],
        code=code_inputs("plot-part-a"),
        cite=CITATION,
    output:
        flag(PLAN.figures.part_a(), PARTS["A"], "Across the six variants"),
    params:
        site_url=SITE_URL,
        runs=expand("results/runs/{exp}", exp=PART_A),
        out_dir=subpath(output[0], parent=True),
        titles=json.dumps({exp: PLAN.experiments.resolved[exp]["title"] for exp in PART_A}),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/plot/part_a.log",
    benchmark:
        "results/benchmarks/plot/part_a.tsv"
    shell:
        "python -m pipeline plot-part-a --runs {params.runs} --out {params.out_dir} --titles {params.titles:q} "
        "> {log} 2>&1"


rule demo:
    input:
        code=code_inputs("demo"),
    output:
        "results/demos/{demo}.json",
    params:
        spec=PLAN.demos.spec_json,
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("demo"),
    log:
        "logs/demo/{demo}.log",
    benchmark:
        "results/benchmarks/demo/{demo}.tsv"
    shell:
        "python -m pipeline demo {wildcards.demo} --spec {params.spec:q} --out {output} > {log} 2>&1"


rule plot_demo:
    input:
        data="results/demos/{demo}.json",
        code=code_inputs("plot-demo"),
        cite=CITATION,
    output:
        flag(PLAN.figures.demo_pattern(), DEMOS, "{demo}"),
    params:
        site_url=SITE_URL,
        out_dir=subpath(output[0], parent=True),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/plot/demo_{demo}.log",
    benchmark:
        "results/benchmarks/plot/demo_{demo}.tsv"
    shell:
        "python -m pipeline plot-demo {wildcards.demo} --data {input.data} --out {params.out_dir} > {log} 2>&1"


rule report:
    input:
        metrics=expand("results/runs/{exp}/metrics.json", exp=PART_A),
        code=code_inputs("report"),
    output:
        json="results/tables/part_a.json",
        md="results/tables/part_a.md",
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("report"),
    log:
        "logs/report.log",
    benchmark:
        "results/benchmarks/report/part_a.tsv"
    shell:
        "python -m pipeline report --metrics {input.metrics} --json {output.json} --md {output.md} > {log} 2>&1"
