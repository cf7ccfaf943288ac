# ---- beyond the lecture: studies over many runs (config.yaml `beyond:`) ----------------------
# One module per study in pipeline/studies/, found by its registry; each job reads the run
# directories of its experiments and writes results/beyond/<id>.json (what the site renders) and
# figures/<id>/. Its code inputs are the CLI step's and its own module's.
from pipeline.workflow.experiments import BEYOND_DIR, RUNS_DIR
from pipeline.workflow.report import STUDIES, flag


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
            code=code_inputs("study", PLAN.studies.source(_study)),
            cite=CITATION,
        output:
            flag(PLAN.studies.outputs(_study), STUDIES, PLAN.studies.spec(_study).get("title") or _study),
        params:
            site_url=SITE_URL,  # its figures name the site's address: a new one redraws them
            spec=PLAN.studies.params(_study),
            study=_study,
            runs=RUNS_DIR,
            out=BEYOND_DIR,
            figures=f"figures/{_study}",
        threads: PLAN.runtime.threads
        conda:
            "../envs/pipeline.yaml"
        resources:
            **PLAN.asks.for_rule("study"),
        log:
            f"logs/beyond/{_study}.log",
        benchmark:
            f"results/benchmarks/beyond/{_study}.tsv"
        shell:
            "python -m pipeline study {params.study} --spec {params.spec:q} --runs {params.runs} "
            "--data {input.data} --out {params.out} --figures {params.figures} "
            "--threads {threads} > {log} 2>&1"
