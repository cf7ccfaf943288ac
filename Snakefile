# Reproduce the makemore lecture on activations, gradients and BatchNorm.
#   snakemake -j4                       every experiment, figure, table and the site
#   snakemake -j4 --configfile config.yaml config.quick.yaml   the same DAG, tiny runs
# Wiring only: the logic lives in the `pipeline` package (pipeline/workflow.py for the
# helpers used here). config.yaml is validated when this file loads.

import os
import sys

from pipeline.workflow import Workflow, code, TRAIN_CODE, PLOT_CODE, RUN_FILES, ENGINE_CODE

configfile: "config.yaml"


envvars:
    "PATH",


WF = Workflow.load(config, workflow.configfiles)  # validated here, before any job
# jobs run `python` from the environment running Snakemake, even when it is not activated
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
PART_A = WF.names(part="A")


def sigterm_off_the_main_thread():
    """`kill <pid>` (SIGTERM) asks Snakemake to finish the running jobs and start no new ones. Its
    handler (Snakemake 9.27) takes the scheduler's lock, and Python runs handlers on the main thread,
    which holds that lock whenever a job has just finished or jobs are being picked: a SIGTERM then
    left Snakemake waiting for itself, for good. Keep Snakemake's handler, but run it on a thread of
    its own, which waits for the lock like any other; the signal only wakes that thread, through a
    pipe (a write takes no lock)."""
    import signal
    import threading

    handler = signal.getsignal(signal.SIGTERM)  # installed by Snakemake's scheduler, before onstart
    if not callable(handler):
        return
    read_end, write_end = os.pipe()

    def relay():
        while os.read(read_end, 1):
            handler(signal.SIGTERM, None)

    threading.Thread(target=relay, name="sigterm-relay", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda signum, frame: os.write(write_end, b"T"))


onstart:
    sigterm_off_the_main_thread()

wildcard_constraints:
    exp="|".join(WF.names()) or "(?!)",
    demo="|".join(WF.demos()) or "(?!)",


rule all:
    input:
        WF.all_figures(),
        WF.beyond_targets(),
        "results/tables/part_a.json",
        "results/tables/part_a.md",
        "results/data.json",
        "site",  # the teaching site, last (rule site)


rule data:
    output:
        names="data/names.txt",
        info="results/data.json",  # sha256, origin and vocabulary of the word list, for the site
    params:
        **WF.data_params(),
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("data"),
    log:
        "logs/data.log",
    benchmark:
        "results/benchmarks/data/names.tsv"
    shell:
        "python -m pipeline fetch --out {output.names} --info {output.info} --url {params.url:q} "
        "--path {params.path:q} --sha256 {params.sha256} > {log} 2>&1 || (cat {log} >&2; exit 1)"


rule train:  # the simple loop, one job per experiment (runtime.engine: simple)
    wildcard_constraints:
        exp=WF.simple_pattern(),
    input:
        data="data/names.txt",
        code=code(*TRAIN_CODE),
    output:
        [f"results/runs/{{exp}}/{f}" for f in RUN_FILES],
    params:
        spec=WF.spec_json,
        run_dir=subpath(output[0], parent=True),
        checkpoint_every=WF.checkpoint_every(),
    threads: WF.threads()
    conda:
        "envs/pipeline.yaml"
    resources:
        mem_mb=WF.train_mem_mb,
        runtime=WF.train_runtime,
        **WF.gpu_resources(),
    log:
        "logs/train/{exp}.log",
    benchmark:
        "results/benchmarks/train/{exp}.tsv"
    shell:
        "python -m pipeline train --spec {params.spec:q} --data {input.data} --out {params.run_dir} "
        "--threads {threads} --checkpoint-every {params.checkpoint_every} > {log} 2>&1"


# the batched engine (runtime.engine: batched): one job per stack of experiments that share an
# architecture and step count (pipeline/groups.py); it writes the same run directories
for _job in WF.train_jobs():

    rule:
        name:
            f"train_{_job}"
        input:
            data="data/names.txt",
            code=code(*ENGINE_CODE),
        output:
            WF.job_outputs(_job),
        params:
            specs=WF.job_specs_json(_job),
            run_dirs=WF.job_run_dirs(_job),
            checkpoint_every=WF.checkpoint_every(),
        threads: WF.threads()
        conda:
            "envs/pipeline.yaml"
        resources:
            **WF.train_resources(_job),
        log:
            f"logs/train/{_job}.log",
        benchmark:
            f"results/benchmarks/train/{_job}.tsv"
        shell:
            "python -m pipeline train-many --specs {params.specs:q} --data {input.data} "
            "--out {params.run_dirs} --threads {threads} --checkpoint-every {params.checkpoint_every} "
            "> {log} 2>&1"


rule plot_mlp:
    wildcard_constraints:
        exp=WF.name_pattern("mlp"),
    input:
        run=[f"results/runs/{{exp}}/{f}" for f in RUN_FILES],
        code=code(*PLOT_CODE),
    output:
        WF.figure_files_pattern("mlp"),
    params:
        run_dir=subpath(input[0], parent=True),
        out_dir=subpath(output[0], parent=True),
        title=WF.title,
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("plot"),
    log:
        "logs/plot/{exp}.log",
    benchmark:
        "results/benchmarks/plot/{exp}.tsv"
    shell:
        "python -m pipeline plot --run {params.run_dir} --out {params.out_dir} --title {params.title:q} > {log} 2>&1"


rule plot_deep:
    wildcard_constraints:
        exp=WF.name_pattern("deep"),
    input:
        run=[f"results/runs/{{exp}}/{f}" for f in RUN_FILES],
        code=code(*PLOT_CODE),
    output:
        WF.figure_files_pattern("deep"),
    params:
        run_dir=subpath(input[0], parent=True),
        out_dir=subpath(output[0], parent=True),
        title=WF.title,
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("plot"),
    log:
        "logs/plot/{exp}.log",
    benchmark:
        "results/benchmarks/plot/{exp}.tsv"
    shell:
        "python -m pipeline plot --run {params.run_dir} --out {params.out_dir} --title {params.title:q} > {log} 2>&1"


rule plot_part_a:
    input:
        runs=expand("results/runs/{exp}/{f}", exp=PART_A, f=RUN_FILES),
        code=code(*PLOT_CODE),
    output:
        WF.part_a_figures(),
    params:
        runs=expand("results/runs/{exp}", exp=PART_A),
        out_dir=subpath(output[0], parent=True),
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("plot"),
    log:
        "logs/plot/part_a.log",
    benchmark:
        "results/benchmarks/plot/part_a.tsv"
    shell:
        "python -m pipeline plot-part-a --runs {params.runs} --out {params.out_dir} > {log} 2>&1"


rule demo:
    input:
        code=code("demos", "diagnostics", "io"),
    output:
        "results/demos/{demo}.json",
    params:
        spec=WF.demo_json,
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("demo"),
    log:
        "logs/demo/{demo}.log",
    benchmark:
        "results/benchmarks/demo/{demo}.tsv"
    shell:
        "python -m pipeline demo {wildcards.demo} --spec {params.spec:q} --out {output} > {log} 2>&1"


rule plot_demo:
    input:
        data="results/demos/{demo}.json",
        code=code(*PLOT_CODE),
    output:
        WF.demo_figures_pattern(),
    params:
        out_dir=subpath(output[0], parent=True),
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("plot"),
    log:
        "logs/plot/demo_{demo}.log",
    benchmark:
        "results/benchmarks/plot/demo_{demo}.tsv"
    shell:
        "python -m pipeline plot-demo {wildcards.demo} --data {input.data} --out {params.out_dir} > {log} 2>&1"


rule report:
    input:
        metrics=expand("results/runs/{exp}/metrics.json", exp=PART_A),
        code=code("report", "io"),
    output:
        json="results/tables/part_a.json",
        md="results/tables/part_a.md",
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("report"),
    log:
        "logs/report.log",
    benchmark:
        "results/benchmarks/report/part_a.tsv"
    shell:
        "python -m pipeline report --metrics {input.metrics} --json {output.json} --md {output.md} > {log} 2>&1"


# ---- beyond the lecture: studies over many runs (config.yaml `beyond:`) ----------------------
# Each reads the run directories of its experiments and writes results/beyond/<study>.json
# (what the site renders) and figures/<study>/. pipeline/studies.py expands seeds and sweeps.
BEYOND_CODE = code("extras", "stats", "plots", "diagnostics", "io")
BEYOND_TORCH_CODE = code("extras", "stats", "plots", "diagnostics", "io", "fold", "models", "layers", "data")


rule beyond:
    input:
        WF.beyond_targets(),


for _study in WF.studies():

    rule:
        name:
            f"study_{_study}"
        input:
            runs=WF.study_inputs(_study),
            data="data/names.txt",
            code=BEYOND_TORCH_CODE if _study in ("momentum", "zero_init", "fold") else BEYOND_CODE,
        output:
            WF.study_outputs(_study),
        params:
            spec=WF.study_params(_study),
            study=_study,
        threads: WF.threads()
        conda:
            "envs/pipeline.yaml"
        resources:
            **WF.rule_resources("study"),
        log:
            f"logs/beyond/{_study}.log",
        benchmark:
            f"results/benchmarks/beyond/{_study}.tsv"
        shell:
            "python -m pipeline study {params.study} --spec {params.spec:q} --runs results/runs "
            "--data {input.data} --out results/beyond --figures figures/{params.study} "
            "--threads {threads} > {log} 2>&1"


# ---- the teaching site (pipeline/site.py): pages from the outputs, then MkDocs, last ----------
# The pages and notebooks go to docs/generated/ of the working directory; pipeline/site_hooks.py
# mounts them, and figures/, into the site. `mkdocs build --strict` alone re-renders from them.
from pipeline.workflow import REPO, SITE_CODE, notebooks, site_digest, site_page_inputs, site_sources


rule site_pages:
    input:
        site_page_inputs(WF),
        code=code(*SITE_CODE, "models", "layers"),  # the pages quote the init code of models.py
        notes=site_sources(),
    output:
        directory("docs/generated/content"),
    params:
        configfiles=workflow.configfiles,
        digest=site_digest(WF),  # any config edit regenerates the pages
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("site"),
    log:
        "logs/site/pages.log",
    benchmark:
        "results/benchmarks/site/pages.tsv"
    shell:
        "python -m pipeline site pages --configfile {params.configfiles:q} --out {output} > {log} 2>&1"


rule site_dag:
    input:
        snakefile=workflow.main_snakefile,
        configfiles=workflow.configfiles,
        code=code(*SITE_CODE),
    output:
        "docs/generated/dag/dag.svg",
        "docs/generated/dag/rulegraph.svg",
    params:
        out_dir=subpath(output[0], parent=True),
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("site"),
    log:
        "logs/site/dag.log",
    benchmark:
        "results/benchmarks/site/dag.tsv"
    shell:
        "python -m pipeline site dag --snakefile {input.snakefile:q} --configfile {input.configfiles:q} "
        "--out {params.out_dir} > {log} 2>&1"


rule notebook:
    wildcard_constraints:
        notebook="|".join(notebooks()) or "(?!)",
    input:
        src=f"{REPO}/notebooks/{{notebook}}.py",
        runs=site_page_inputs(WF),
        checkpoints=expand("results/runs/{exp}/checkpoint.pt", exp=PART_A),
        code=code(*SITE_CODE, "models", "layers", "train"),
    output:
        "docs/generated/notebooks/{notebook}.ipynb",
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("site"),
    log:
        "logs/site/notebook_{notebook}.log",
    benchmark:
        "results/benchmarks/notebook/{notebook}.tsv"
    shell:
        "python -m pipeline site notebook --src {input.src:q} --out {output} > {log} 2>&1"


rule site:
    input:
        "docs/generated/content",
        "docs/generated/dag/dag.svg",
        "docs/generated/dag/rulegraph.svg",
        expand("docs/generated/notebooks/{notebook}.ipynb", notebook=notebooks()),
        WF.all_figures(),
        sources=site_sources(),
        code=code(*SITE_CODE),
        mkdocs=f"{REPO}/mkdocs.yml",
    output:
        directory("site"),
    conda:
        "envs/pipeline.yaml"
    resources:
        **WF.rule_resources("site"),
    log:
        "logs/site/mkdocs.log",
    benchmark:
        "results/benchmarks/site/mkdocs.tsv"
    shell:
        "python -m pipeline site build --config-file {input.mkdocs:q} --site-dir {output} > {log} 2>&1"
