# ---- training: every experiment into results/runs/<experiment>/ ----------------------------------
# runtime.engine: simple runs the lecture's loop, one job per experiment (rule train); batched, one
# job per stack of experiments that share an architecture and step count (pipeline/training/groups.py).
# Either way a job's params are its experiments' specs: editing one reruns the jobs that train it.
from pipeline.workflow.experiments import run_files


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
        "../envs/pipeline.yaml"
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
            "../envs/pipeline.yaml"
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
