# ---- training: every training into results/train/<id>/trained.pt; every experiment's run directory
# from its training's file. A training is an experiment's spec without what only its evaluation reads
# (pipeline/training/groups.py): experiments that differ in that alone share one. <id> hashes the
# training spec. runtime.engine: simple runs the lecture's loop, one job per training (rule train);
# batched, one job per stack: a training's seeds (train_<label>). Each training job has one
# evaluation job (evaluate_<label>) writing the run directories of the experiments it serves.
# Params are plain, tracked values: a training job's are its training specs (no experiment name),
# an evaluation job's its experiments' specs; checkpoint_every moves no number and is passed as a
# resource, which never reruns a job (pipeline/workflow/jobs.py).


rule train:
    wildcard_constraints:
        tid=PLAN.jobs.simple_pattern(),
    input:
        data="data/names.txt",
        code=code_inputs("train-stack"),
    output:
        trained="results/train/{tid}/trained.pt",
        timing="results/train/{tid}/timing.json",
    params:
        specs=PLAN.jobs.spec_json,
    threads: PLAN.runtime.threads
    conda:
        "../envs/pipeline.yaml"
    resources:
        mem_mb=PLAN.asks.train_mem_mb,
        runtime=PLAN.asks.train_runtime,
        checkpoint_every=PLAN.runtime.checkpoint_every,
    log:
        "logs/train/{tid}.log",
    benchmark:
        "results/benchmarks/train/{tid}.tsv"
    shell:
        "python -m pipeline train-stack --engine simple --specs {params.specs:q} --data {input.data} "
        "--out {output.trained} --threads {threads} --checkpoint-every {resources.checkpoint_every} > {log} 2>&1"


for _job in PLAN.jobs:

    rule:
        name:
            f"train_{_job}"
        input:
            data="data/names.txt",
            code=code_inputs("train-stack"),
        output:
            trained=PLAN.jobs.outputs(_job),
            timing=PLAN.jobs.timings(_job),
        params:
            specs=PLAN.jobs.specs_json(_job),
        threads: PLAN.runtime.threads
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.training_job(_job),
            checkpoint_every=PLAN.runtime.checkpoint_every,
        log:
            f"logs/train/{_job}.log",
        benchmark:
            f"results/benchmarks/train/{_job}.tsv"
        shell:
            "python -m pipeline train-stack --specs {params.specs:q} --data {input.data} --out {output.trained} "
            "--threads {threads} --checkpoint-every {resources.checkpoint_every} > {log} 2>&1"


for _job in PLAN.jobs.evaluations:

    rule:
        name:
            f"evaluate_{_job}"
        input:
            data="data/names.txt",
            trained=PLAN.jobs.trained(_job),
            code=code_inputs("evaluate"),
        output:
            PLAN.jobs.run_outputs(_job),
        params:
            specs=PLAN.jobs.eval_specs_json(_job),
            trained=PLAN.jobs.eval_trained(_job),
            run_dirs=PLAN.jobs.run_dirs(_job),
        threads: PLAN.runtime.threads
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.evaluation(_job),
        log:
            f"logs/evaluate/{_job}.log",
        benchmark:
            f"results/benchmarks/evaluate/{_job}.tsv"
        shell:
            "python -m pipeline evaluate --specs {params.specs:q} --trained {params.trained} --data {input.data} "
            "--out {params.run_dirs} --threads {threads} > {log} 2>&1"
