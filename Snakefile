# Reproduce the makemore lecture on activations, gradients and BatchNorm.
#   snakemake -j4                       every experiment, figure, table and the site
#   snakemake -j4 --configfile config.yaml config.quick.yaml   the same DAG, tiny runs
# Wiring only: the logic lives in the `pipeline` package (pipeline/workflow.py for the
# helpers used here). config.yaml is validated when this file loads.

import sys

from pipeline.workflow import Workflow, code, TRAIN_CODE, PLOT_CODE, RUN_FILES

configfile: "config.yaml"

WF = Workflow(config)
PY = sys.executable  # the interpreter running Snakemake, so an unactivated venv works too
PART_A = WF.names(part="A")

wildcard_constraints:
    exp="|".join(WF.names()) or "(?!)",
    demo="|".join(WF.demos()) or "(?!)",


rule all:
    input:
        WF.all_figures(),
        "results/tables/part_a.json",
        "results/tables/part_a.md",


rule data:
    output:
        "data/names.txt",
    params:
        **WF.data_params(),
    log:
        "logs/data.log",
    shell:
        "{PY} -m pipeline fetch --out {output} --url {params.url:q} --path {params.path:q} "
        "--sha256 {params.sha256} > {log} 2>&1 || (cat {log} >&2; exit 1)"


rule train:
    input:
        data="data/names.txt",
        code=code(*TRAIN_CODE),
    output:
        [f"results/runs/{{exp}}/{f}" for f in RUN_FILES],
    params:
        spec=WF.spec_json,
        run_dir="results/runs/{exp}",
        checkpoint_every=WF.checkpoint_every(),
    threads: WF.threads()
    log:
        "logs/train/{exp}.log",
    benchmark:
        "results/benchmarks/train/{exp}.tsv"
    shell:
        "{PY} -m pipeline train --spec {params.spec:q} --data {input.data} --out {params.run_dir} "
        "--threads {threads} --checkpoint-every {params.checkpoint_every} > {log} 2>&1"


rule plot_mlp:
    wildcard_constraints:
        exp=WF.name_pattern("mlp"),
    input:
        run=[f"results/runs/{{exp}}/{f}" for f in RUN_FILES],
        code=code(*PLOT_CODE),
    output:
        WF.figure_files_pattern("mlp"),
    params:
        run_dir="results/runs/{exp}",
        out_dir="figures/{exp}",
        title=WF.title,
    log:
        "logs/plot/{exp}.log",
    shell:
        "{PY} -m pipeline plot --run {params.run_dir} --out {params.out_dir} --title {params.title:q} > {log} 2>&1"


rule plot_deep:
    wildcard_constraints:
        exp=WF.name_pattern("deep"),
    input:
        run=[f"results/runs/{{exp}}/{f}" for f in RUN_FILES],
        code=code(*PLOT_CODE),
    output:
        WF.figure_files_pattern("deep"),
    params:
        run_dir="results/runs/{exp}",
        out_dir="figures/{exp}",
        title=WF.title,
    log:
        "logs/plot/{exp}.log",
    shell:
        "{PY} -m pipeline plot --run {params.run_dir} --out {params.out_dir} --title {params.title:q} > {log} 2>&1"


rule plot_part_a:
    input:
        runs=expand("results/runs/{exp}/{f}", exp=PART_A, f=RUN_FILES),
        code=code(*PLOT_CODE),
    output:
        WF.part_a_figures(),
    params:
        runs=expand("results/runs/{exp}", exp=PART_A),
        out_dir="figures/part_a",
    log:
        "logs/plot/part_a.log",
    shell:
        "{PY} -m pipeline plot-part-a --runs {params.runs} --out {params.out_dir} > {log} 2>&1"


rule demo:
    input:
        code=code("demos", "diagnostics", "io"),
    output:
        "results/demos/{demo}.json",
    params:
        spec=WF.demo_json,
    log:
        "logs/demo/{demo}.log",
    shell:
        "{PY} -m pipeline demo {wildcards.demo} --spec {params.spec:q} --out {output} > {log} 2>&1"


rule plot_demo:
    input:
        data="results/demos/{demo}.json",
        code=code(*PLOT_CODE),
    output:
        WF.demo_figures_pattern(),
    params:
        out_dir="figures/{demo}",
    log:
        "logs/plot/demo_{demo}.log",
    shell:
        "{PY} -m pipeline plot-demo {wildcards.demo} --data {input.data} --out {params.out_dir} > {log} 2>&1"


rule report:
    input:
        metrics=expand("results/runs/{exp}/metrics.json", exp=PART_A),
        code=code("report", "io"),
    output:
        json="results/tables/part_a.json",
        md="results/tables/part_a.md",
    log:
        "logs/report.log",
    shell:
        "{PY} -m pipeline report --metrics {input.metrics} --json {output.json} --md {output.md} > {log} 2>&1"
