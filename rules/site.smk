# ---- the teaching site (pipeline/site/): pages from the outputs, then MkDocs, last ---------------
# The pages and notebooks go to docs/generated/ of the working directory; pipeline/site/hooks.py
# mounts them, and figures/, into the site. `mkdocs build --strict` alone re-renders from them.
from pipeline.workflow.experiments import alternatives
from pipeline.workflow.site_inputs import REPO, mkdocs_hooks, notebooks, rule_files, site_sources


rule site_pages:
    input:
        PLAN.site.inputs(),
        code=code_inputs("site"),
        notes=site_sources(),
        config="results/config.json",  # the config this run resolved (rule resolved_config)
    output:
        directory("docs/generated/content"),
    params:
        site_url=SITE_URL,  # every page and citation names it (a new address rebuilds them)
        claims=config.get("claims") or "strict",  # --config claims=warn reaches the pages step
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
    log:
        "logs/site/pages.log",
    benchmark:
        "results/benchmarks/site/pages.tsv"
    shell:
        "python -m pipeline site pages --configfile {input.config} --claims {params.claims} "
        "--out {output} 2>&1 | tee {log}"


rule site_dag:
    input:
        snakefile=workflow.main_snakefile,
        rules=rule_files(workflow.main_snakefile),
        config="results/config.json",
        code=code_inputs("site"),
    output:
        "docs/generated/dag/dag.svg",
        "docs/generated/dag/rulegraph.svg",
    params:
        out_dir=subpath(output[0], parent=True),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
    log:
        "logs/site/dag.log",
    benchmark:
        "results/benchmarks/site/dag.tsv"
    shell:
        "python -m pipeline site dag --snakefile {input.snakefile:q} --configfile {input.config} "
        "--out {params.out_dir} > {log} 2>&1"


rule notebook:
    wildcard_constraints:
        notebook=alternatives(notebooks()),
    input:
        src=f"{REPO}/notebooks/{{notebook}}.py",
        runs=PLAN.site.inputs(),
        checkpoints=expand("results/runs/{exp}/checkpoint.pt", exp=PART_A),
        code=lambda wc: code_inputs("site", f"{REPO}/notebooks/{wc.notebook}.py"),  # and what the notebook imports
    output:
        "docs/generated/notebooks/{notebook}.ipynb",
    conda:
        "../envs/pipeline.yaml"
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
        code=code_inputs("site", *mkdocs_hooks()),  # mkdocs runs the hooks
        mkdocs=f"{REPO}/mkdocs.yml",
    output:
        directory("site"),
    params:
        site_url=SITE_URL,  # mkdocs' site_url (pipeline/site/hooks.py)
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("site"),
    log:
        "logs/site/mkdocs.log",
    benchmark:
        "results/benchmarks/site/mkdocs.tsv"
    shell:
        "python -m pipeline site build --config-file {input.mkdocs:q} --site-dir {output} > {log} 2>&1"
