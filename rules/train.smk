# ---- training: every training into results/train/<id>/trained.pt, every experiment's run directory
# from its training's file (rule evaluate). A training is an experiment's spec without what only its
# evaluation reads (pipeline/training/groups.py): experiments that differ in that alone share one.
# <id> hashes the training spec, so the output path is the training's identity and training jobs
# compare no params: a change that moves a number is a new path; checkpoint_every, the stacking and
# max_group move none (pipeline/workflow/jobs.py). runtime.engine: simple runs the lecture's loop, one
# job per training (rule train); batched, one job per stack: a training's seeds (train_<stack>).
from pipeline.workflow.experiments import run_files


rule train:
    wildcard_constraints:
        tid=PLAN.jobs.simple_pattern(),
    input:
        data="data/names.txt",
        code=code_for("train-stack"),
    output:
        "results/train/{tid}/trained.pt",
    params:
        specs=PLAN.jobs.spec_json,
        checkpoint_every=PLAN.runtime.checkpoint_every,
    threads: PLAN.runtime.threads
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=PLAN.asks.train_mem_mb,
        runtime=PLAN.asks.train_runtime,
    log:
        "logs/train/{tid}.log",
    benchmark:
        "results/benchmarks/train/{tid}.tsv"
    shell:
        "python -m pipeline train-stack --engine simple --specs {params.specs:q} --data {input.data} "
        "--out {output} --threads {threads} --checkpoint-every {params.checkpoint_every} > {log} 2>&1"


for _job in PLAN.jobs:

    rule:
        name:
            f"train_{_job}"
        input:
            data="data/names.txt",
            code=code_for("train-stack"),
        output:
            PLAN.jobs.outputs(_job),
        params:
            specs=PLAN.jobs.specs_json(_job),
            checkpoint_every=PLAN.runtime.checkpoint_every,
        threads: PLAN.runtime.threads
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.training_job(_job),
        log:
            f"logs/train/{_job}.log",
        benchmark:
            f"results/benchmarks/train/{_job}.tsv"
        shell:
            "python -m pipeline train-stack --specs {params.specs:q} --data {input.data} --out {output} "
            "--threads {threads} --checkpoint-every {params.checkpoint_every} > {log} 2>&1"


rule evaluate:
    input:
        data="data/names.txt",
        trained=PLAN.jobs.trained_of,
        code=code_for("evaluate"),
    output:
        run_files("{exp}"),
    params:
        spec=PLAN.experiments.spec_json,
        run_dir=subpath(output[0], parent=True),
    threads: PLAN.runtime.threads
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("evaluate"),
    log:
        "logs/evaluate/{exp}.log",
    benchmark:
        "results/benchmarks/evaluate/{exp}.tsv"
    shell:
        "python -m pipeline evaluate --spec {params.spec:q} --trained {input.trained} --data {input.data} "
        "--out {params.run_dir} --threads {threads} > {log} 2>&1"
