# Reproduce the makemore lecture on activations, gradients and BatchNorm.
#   snakemake -j4                       every experiment, figure, table and the site
#   snakemake -j4 --configfile config.yaml config.quick.yaml   the same DAG, tiny runs
# Wiring only: every rule runs a step of `python -m pipeline`, and the logic lives in the
# package: PLAN (pipeline/workflow/plan.py) holds the validated config in the parts the rules
# read. config.yaml is validated right here.

import os
import sys

from pipeline.workflow.codegraph import code_for  # each rule's code inputs, from the import graph of its step
from pipeline.workflow.experiments import alternatives, run_files
from pipeline.workflow.plan import Plan
from pipeline.workflow.site_inputs import REPO, mkdocs_hooks, notebooks, site_sources


configfile: "config.yaml"


envvars:
    "PATH",


PLAN = Plan.load(config, workflow.configfiles)  # validated here, before any job
# jobs run `python` from the environment running Snakemake, even when it is not activated
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
PART_A = PLAN.experiments.names(part="A")


wildcard_constraints:
    exp=PLAN.experiments.pattern(),
    demo=PLAN.demos.pattern(),


rule all:
    input:
        PLAN.figures.all(),
        PLAN.studies.targets(),
        "results/tables/part_a.json",
        "results/tables/part_a.md",
        "results/data.json",
        "site",  # the teaching site, last (rule site)


# ---- the data set: downloaded (or copied from names_path) and checked against its sha256 ----


rule data:
    output:
        names="data/names.txt",
        info="results/data.json",  # sha256, origin and vocabulary of the word list, for the site
    params:
        **PLAN.data_params(),
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("data"),
    log:
        "logs/data.log",
    benchmark:
        "results/benchmarks/data/names.tsv"
    shell:
        "python -m pipeline fetch --out {output.names} --info {output.info} --url {params.url:q} "
        "--path {params.path:q} --sha256 {params.sha256} > {log} 2>&1 || (cat {log} >&2; exit 1)"


# ---- training: every experiment into results/runs/<experiment>/ ----------------------------------
# runtime.engine: simple runs the lecture's loop, one job per experiment (rule train); batched, one
# job per stack of experiments that share an architecture and step count (pipeline/training/groups.py).
# Either way a job's params are its experiments' specs: editing one reruns the jobs that train it.


rule train:
    wildcard_constraints:
        exp=PLAN.jobs.simple_pattern(),
    input:
        data="data/names.txt",
        code=code_for("train"),
    output:
        run_files("{exp}"),
    params:
        spec=PLAN.experiments.spec_json,
        run_dir=subpath(output[0], parent=True),
        checkpoint_every=PLAN.runtime.checkpoint_every,
    threads: PLAN.runtime.threads
    conda:
        "envs/pipeline.yaml"
    resources:
        mem_mb=PLAN.asks.train_mem_mb,
        runtime=PLAN.asks.train_runtime,
    log:
        "logs/train/{exp}.log",
    benchmark:
        "results/benchmarks/train/{exp}.tsv"
    shell:
        "python -m pipeline train --spec {params.spec:q} --data {input.data} --out {params.run_dir} "
        "--threads {threads} --checkpoint-every {params.checkpoint_every} > {log} 2>&1"


for _job in PLAN.jobs:

    rule:
        name:
            f"train_{_job}"
        input:
            data="data/names.txt",
            code=code_for("train-many"),
        output:
            PLAN.jobs.outputs(_job),
        params:
            specs=PLAN.jobs.specs_json(_job),
            run_dirs=PLAN.jobs.run_dirs(_job),
            checkpoint_every=PLAN.runtime.checkpoint_every,
        threads: PLAN.runtime.threads
        conda:
            "envs/pipeline.yaml"
        resources:
            **PLAN.asks.training_job(_job),
        log:
            f"logs/train/{_job}.log",
        benchmark:
            f"results/benchmarks/train/{_job}.tsv"
        shell:
            "python -m pipeline train-many --specs {params.specs:q} --data {input.data} "
            "--out {params.run_dirs} --threads {threads} --checkpoint-every {params.checkpoint_every} "
            "> {log} 2>&1"


# ---- figures and tables: each run's figures, Part A's overlay, Part C's demonstrations, the ----
# Part A table. Every figure is figures/<group>/<figure>.{png,svg,json} (pipeline/workflow/targets.py).


for _kind in ("mlp", "deep"):

    rule:
        name:
            f"plot_{_kind}"
        wildcard_constraints:
            exp=PLAN.experiments.pattern(_kind),
        input:
            run=run_files("{exp}"),
            code=code_for("plot"),
        output:
            PLAN.figures.pattern(_kind),
        params:
            run_dir=subpath(input[0], parent=True),
            out_dir=subpath(output[0], parent=True),
            title=PLAN.experiments.title,
        conda:
            "envs/pipeline.yaml"
        resources:
            **PLAN.asks.for_rule("plot"),
        log:
            "logs/plot/{exp}.log",
        benchmark:
            "results/benchmarks/plot/{exp}.tsv"
        shell:
            "python -m pipeline plot --run {params.run_dir} --out {params.out_dir} --title {params.title:q} "
            "> {log} 2>&1"


rule plot_part_a:
    input:
        runs=[f for exp in PART_A for f in run_files(exp)],
        code=code_for("plot-part-a"),
    output:
        PLAN.figures.part_a(),
    params:
        runs=expand("results/runs/{exp}", exp=PART_A),
        out_dir=subpath(output[0], parent=True),
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("plot"),
    log:
        "logs/plot/part_a.log",
    benchmark:
        "results/benchmarks/plot/part_a.tsv"
    shell:
        "python -m pipeline plot-part-a --runs {params.runs} --out {params.out_dir} > {log} 2>&1"


rule demo:
    input:
        code=code_for("demo"),
    output:
        "results/demos/{demo}.json",
    params:
        spec=PLAN.demos.spec_json,
    conda:
        "envs/pipeline.yaml"
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
        code=code_for("plot-demo"),
    output:
        PLAN.figures.demo_pattern(),
    params:
        out_dir=subpath(output[0], parent=True),
    conda:
        "envs/pipeline.yaml"
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
        code=code_for("report"),
    output:
        json="results/tables/part_a.json",
        md="results/tables/part_a.md",
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("report"),
    log:
        "logs/report.log",
    benchmark:
        "results/benchmarks/report/part_a.tsv"
    shell:
        "python -m pipeline report --metrics {input.metrics} --json {output.json} --md {output.md} > {log} 2>&1"


# ---- beyond the lecture: studies over many runs (config.yaml `beyond:`) ----------------------
# One module per study in pipeline/studies/, found by its registry; each job reads the run
# directories of its experiments and writes results/beyond/<id>.json (what the site renders) and
# figures/<id>/. Its code inputs are the CLI step's and its own module's.


rule beyond:
    input:
        PLAN.studies.targets(),


for _study in PLAN.studies:

    rule:
        name:
            f"study_{_study}"
        input:
            runs=PLAN.studies.inputs(_study),
            data="data/names.txt",
            code=code_for("study", PLAN.studies.source(_study)),
        output:
            PLAN.studies.outputs(_study),
        params:
            spec=PLAN.studies.params(_study),
            study=_study,
        threads: PLAN.runtime.threads
        conda:
            "envs/pipeline.yaml"
        resources:
            **PLAN.asks.for_rule("study"),
        log:
            f"logs/beyond/{_study}.log",
        benchmark:
            f"results/benchmarks/beyond/{_study}.tsv"
        shell:
            "python -m pipeline study {params.study} --spec {params.spec:q} --runs results/runs "
            "--data {input.data} --out results/beyond --figures figures/{params.study} "
            "--threads {threads} > {log} 2>&1"


# ---- the teaching site (pipeline/site/): pages from the outputs, then MkDocs, last ---------------
# The pages and notebooks go to docs/generated/ of the working directory; pipeline/site/hooks.py
# mounts them, and figures/, into the site. `mkdocs build --strict` alone re-renders from them.


rule site_pages:
    input:
        PLAN.site.inputs(),
        code=code_for("site"),
        notes=site_sources(),
    output:
        directory("docs/generated/content"),
    params:
        configfiles=workflow.configfiles,
        digest=PLAN.site.digest(),  # any config edit regenerates the pages
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
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
        code=code_for("site"),
    output:
        "docs/generated/dag/dag.svg",
        "docs/generated/dag/rulegraph.svg",
    params:
        out_dir=subpath(output[0], parent=True),
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
    log:
        "logs/site/dag.log",
    benchmark:
        "results/benchmarks/site/dag.tsv"
    shell:
        "python -m pipeline site dag --snakefile {input.snakefile:q} --configfile {input.configfiles:q} "
        "--out {params.out_dir} > {log} 2>&1"


rule notebook:
    wildcard_constraints:
        notebook=alternatives(notebooks()),
    input:
        src=f"{REPO}/notebooks/{{notebook}}.py",
        runs=PLAN.site.inputs(),
        checkpoints=expand("results/runs/{exp}/checkpoint.pt", exp=PART_A),
        code=lambda wc: code_for("site", f"{REPO}/notebooks/{wc.notebook}.py"),  # and what the notebook imports
    output:
        "docs/generated/notebooks/{notebook}.ipynb",
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
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
        PLAN.figures.all(),
        sources=site_sources(),
        code=code_for("site", *mkdocs_hooks()),  # mkdocs runs the hooks
        mkdocs=f"{REPO}/mkdocs.yml",
    output:
        directory("site"),
    conda:
        "envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
    log:
        "logs/site/mkdocs.log",
    benchmark:
        "results/benchmarks/site/mkdocs.tsv"
    shell:
        "python -m pipeline site build --config-file {input.mkdocs:q} --site-dir {output} > {log} 2>&1"
