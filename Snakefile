# Reproduce the makemore lecture on activations, gradients and BatchNorm.
#   snakemake -j4                       every experiment, figure, table and the site
#   snakemake -j4 --configfile config.yaml config.quick.yaml   the same DAG, tiny runs
#   snakemake -j4 downloads             the figures as SVG, PDF and talk PNGs, zipped per page
# Wiring only. The rules are in rules/, one file per stage; every rule runs a step of
# `python -m pipeline`, and the logic lives in the package: PLAN (pipeline/workflow/plan.py)
# holds the validated config in the parts the rules read. config.yaml is validated right here.

import os
import sys

from pipeline.workflow.codegraph import code_inputs  # each rule's code inputs, from the import graph of its step
from pipeline.provenance import SITE_URL_ENV, citation_meta
from pipeline.workflow.plan import Plan
from pipeline.workflow.signals import sigterm_off_the_main_thread


configfile: os.path.join(workflow.basedir, "config.yaml")  # also with -d elsewhere; --configfile adds to it


envvars:
    "PATH",


report: "rules/report/workflow.rst"  # `snakemake --report report.zip`: every figure, by part (pipeline/workflow/report.py)


PLAN = Plan.load(config, workflow.configfiles)  # validated here, before any job
# jobs run `python` from the environment running Snakemake, even when it is not activated
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
PART_A = PLAN.experiments.names(part="A")
# The site's address (--config site_url=..., else CITATION.cff's `url`): every figure file, page
# and citation names it. Jobs read it from the environment (pipeline/provenance.py citation_meta);
# the plot and site rules take it as a param, so a new address redraws them.
if config.get("site_url"):
    os.environ[SITE_URL_ENV] = str(config["site_url"]).strip()
if os.environ.get(SITE_URL_ENV):
    workflow.register_envvars(SITE_URL_ENV)  # as the `envvars:` directive: jobs on a cluster get it too
try:
    SITE_URL = citation_meta()["site_url"] or ""
except ValueError as e:  # $MAKEMORE_SITE_URL or CITATION.cff's url is not an http(s) address
    raise SystemExit(f"error: {e}") from None

onstart:
    sigterm_off_the_main_thread()  # so that `kill <pid>` stops the run (pipeline/workflow/signals.py)


onsuccess:
    # every job is recorded as done: the states kept after each training's last step (so that a run
    # stopped before Snakemake recorded it is rewritten, not retrained) are no longer needed
    from pipeline.training.resume import prune_final_states

    prune_final_states("results/train")  # training jobs (rules/train.smk)
    prune_final_states("results/runs")


wildcard_constraints:
    exp=PLAN.experiments.pattern(),
    demo=PLAN.demos.pattern(),


# Jobs of a few seconds (results/benchmarks/) run where Snakemake runs, never through a cluster's
# queue; `data` may download, which compute nodes often cannot.
localrules:
    all,
    beyond,
    resolved_config,
    data,
    report,
    demo,
    plot_demo,
    plot_part_a,
    site_pages,
    site_dag,
    site,


rule all:
    input:
        PLAN.figures.all(),
        PLAN.studies.targets(),
        "results/tables/part_a.json",
        "results/tables/part_a.md",
        "results/data.json",
        "site",  # the teaching site, last (rule site)


CITATION = f"{workflow.basedir}/CITATION.cff"  # licence, authors, site URL: every figure file carries them


include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/figures.smk"
include: "rules/studies.smk"
include: "rules/site.smk"
include: "rules/downloads.smk"  # `snakemake -j4 downloads`: not part of `all`
