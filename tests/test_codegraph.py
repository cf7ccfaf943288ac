"""Every rule's code inputs come from the import graph (pipeline/workflow/codegraph.py). Held here against
the modules each CLI step *really* imports when it runs on the quick run's outputs, and against
Snakemake itself: editing a module a rule runs makes the dry run list that rule again."""

from __future__ import annotations

import json
import os
import re
import sys
import time

import pytest

from pipeline.config import merge, read_yaml
from pipeline.studies import registry
from pipeline.workflow import codegraph
from pipeline.workflow.plan import Plan
from pipeline.workflow.site_inputs import mkdocs_hooks
from tests.conftest import ROOT, run_snakemake, run_watched

pytestmark = pytest.mark.slow

RECORD = ("import atexit, json, runpy, sys\n"
          "atexit.register(lambda: print('MODULES' + json.dumps(sorted(m for m in sys.modules "
          "if m.startswith('pipeline.'))), file=sys.stderr))\n"
          "sys.argv = ['pipeline'] + json.loads(sys.argv[1])\n"
          "runpy.run_module('pipeline', run_name='__main__', alter_sys=True)\n")


def imported(args: list[str], cwd) -> set[str]:
    """The package files `python -m pipeline <args>` imported, read from sys.modules at exit."""
    proc = run_watched([sys.executable, "-c", RECORD, json.dumps(args)], cwd=cwd)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("MODULES")][-1]
    mods = json.loads(line[len("MODULES"):])
    return {str(codegraph._file_of(m[len("pipeline."):])) for m in mods if codegraph._file_of(m[len("pipeline."):])}


@pytest.fixture(scope="module")
def wf():
    return Plan(merge(read_yaml(ROOT / "config.yaml"), read_yaml(ROOT / "config.quick.yaml")))


def _steps(wf, run, tmp):
    """(step, the rule's code inputs, the command's arguments)"""
    mlp = wf.experiments.train_spec("kaiming") | {"steps": 3, "lr_decay_step": 1}
    demo = json.dumps(wf.demos.specs["linear_stats"])
    part_a = wf.experiments.names(part="A")
    # validation reads every study's declaration (the registry imports them by name): no rule runs
    # `validate`, and a job sees a declaration through its params (codegraph's docstring)
    studies = [registry.source(s) for s in registry.module_names()]
    yield "validate", set(codegraph.code_for("validate", *studies)), ["validate", "--configfile",
                                                                       str(ROOT / "config.yaml")]
    for step, args in _rule_steps(wf, tmp, mlp, demo, part_a):
        yield step, set(codegraph.code_for(step)), args
    for study in wf.studies:  # a study rule's code: the CLI step's and its own module
        yield "study", set(codegraph.code_for("study", wf.studies.source(study))), [
            "study", study, "--spec", wf.studies.params(study), "--out", f"{tmp}/b", "--figures", f"{tmp}/bf/{study}"]


def _rule_steps(wf, tmp, mlp, demo, part_a):
    tspec = wf.jobs.trainings[wf.jobs.of["kaiming"]]["spec"] | {"steps": 3, "lr_decay_step": 1}
    yield "train-stack", ["train-stack", "--specs", json.dumps([tspec]), "--data", "data/names.txt",
                          "--out", f"{tmp}/ts/trained.pt"]
    deep = wf.jobs.trainings[wf.jobs.of["tanh_gain_5_3"]]["spec"] | {"steps": 3}  # the lecture's loop
    yield "train-stack", ["train-stack", "--specs", json.dumps([deep]), "--data", "data/names.txt",
                          "--out", f"{tmp}/td/trained.pt"]
    yield "evaluate", ["evaluate", "--specs", json.dumps([mlp]), "--trained", f"{tmp}/ts/trained.pt", "--data",
                       "data/names.txt", "--out", f"{tmp}/ev"]
    yield "plot", ["plot", "--run", "results/runs/kaiming", "--out", f"{tmp}/fig"]
    yield "plot", ["plot", "--run", "results/runs/tanh_gain_5_3", "--out", f"{tmp}/fig2"]
    yield "plot", ["plot", "--downloads", "--run", "results/runs/kaiming", "--out", f"{tmp}/dl/kaiming"]
    yield "zip", ["zip", f"{tmp}/dl/kaiming", "--license", str(ROOT / "LICENSE-CONTENT"), "--out", f"{tmp}/k.zip"]
    yield "plot-part-a", ["plot-part-a", "--runs", *(f"results/runs/{n}" for n in part_a), "--out", f"{tmp}/pa"]
    yield "demo", ["demo", "linear_stats", "--spec", demo, "--out", f"{tmp}/d.json"]
    yield "plot-demo", ["plot-demo", "linear_stats", "--data", f"{tmp}/d.json", "--out", f"{tmp}/pd"]
    yield "report", ["report", "--metrics", *(f"results/runs/{n}/metrics.json" for n in part_a),
                     "--json", f"{tmp}/r.json", "--md", f"{tmp}/r.md"]


def test_each_step_imports_only_what_its_rule_lists(quick_run, wf, tmp_path):
    seen = set()
    for step, code, args in _steps(wf, quick_run, tmp_path):
        missing = imported(args, quick_run) - code
        assert not missing, f"`python -m pipeline {step}` imported {sorted(missing)}, absent from its code inputs"
        seen.add(step)
    assert seen >= {"train-stack", "evaluate", "plot", "report", "study", "demo", "zip"}


def test_a_step_runs_its_own_module_of_the_registry():
    """The code graph reads the registry the CLI builds its parser from; a step's code holds its own
    step module and the registry, no other step's module (editing one step reruns that step's rules)."""
    from pipeline import steps
    assert list(codegraph.steps()) == list(steps.index())
    pkg = ROOT / "pipeline" / "steps"
    for step, (module, _) in steps.index().items():
        assert steps.load(step).NAME == step
        mine = {f for f in codegraph.code_for(step) if f.startswith(str(pkg) + os.sep)}
        assert mine - {str(pkg / "args.py")} == {str(pkg / "__init__.py"), str(pkg / f"{module}.py")}, step


def test_lists_are_per_step_not_everything():
    """A figure edit must not retrain: the plot step's inputs hold no training code, and back."""
    def rel(files):
        return {os.path.relpath(f, ROOT / "pipeline") for f in files}
    plot, train = rel(codegraph.code_for("plot")), rel(codegraph.code_for("train-stack"))
    evaluate = rel(codegraph.code_for("evaluate"))
    assert "plots/__init__.py" in plot and "training/loop.py" not in plot and "nn/models.py" not in plot
    assert {"training/engine.py", "training/loop.py", "nn/models.py", "nn/layers.py"} <= train
    assert "plots/__init__.py" not in train
    # zipping the downloads draws nothing: no plotting code, so a figure edit reruns the plots, then the zips
    assert not {f for f in rel(codegraph.code_for("zip")) if f.startswith("plots/")}
    # a study rule runs its own module, not the other studies; no training job runs a study
    seeds = rel(codegraph.code_for("study", registry.source("seeds")))
    assert {"studies/seeds.py", "studies/registry.py", "analysis/lecture.py"} <= seeds  # the lecture's numbers
    assert not {"studies/momentum.py", "studies/compare.py", "training/engine.py"} & seeds
    assert not {f"studies/{s}.py" for s in registry.module_names()} & (train | evaluate)


def test_rule_inputs_are_relative_so_a_moved_checkout_is_the_same_code(tmp_path, monkeypatch):
    """Snakemake records a job's input set by the paths given. Run in the checkout, the rules' code
    paths are relative (a moved checkout is the same code); with -d elsewhere they stay absolute (a
    moved working directory is too). Both name code_for's files."""
    monkeypatch.chdir(ROOT)
    rel = codegraph.code_inputs("plot")
    assert rel and not any(os.path.isabs(f) for f in rel), rel[:3]
    assert [str((ROOT / f).resolve()) for f in rel] == codegraph.code_for("plot")
    assert "pipeline/plots/__init__.py" in rel
    monkeypatch.chdir(tmp_path)
    assert codegraph.code_inputs("plot") == codegraph.code_for("plot")


def test_site_inputs_hold_quoted_sources_and_mkdocs_hooks():
    site = set(codegraph.code_for("site", *mkdocs_hooks()))
    assert {str(ROOT / "pipeline" / f) for f in ("nn/models.py", "nn/layers.py", "site/hooks.py")} <= site


def test_touching_a_module_a_rule_runs_reruns_that_rule(quick_run, names_path):
    """analysis/lecture.py holds the lecture's numbers the seed study prints beside ours: editing it
    must bring the seed study back into the dry run (it did not, when code inputs were typed by hand).

    The edit is a touch to now (the file's content stays): Snakemake 9 reruns for a newer input only
    when its content checksum changed too, so the dry runs turn checksums off
    (`--max-checksum-file-size 0`) and a newer file counts as an edited one. Only the rules that run
    the module come back: the seed study (not the other studies) and the Part A table, no training."""
    path = ROOT / "pipeline" / "analysis" / "lecture.py"
    st = path.stat()
    mtime_only = ("-n", "--max-checksum-file-size", "0")
    before = run_snakemake(quick_run, names_path, *mtime_only).stdout
    assert "study_seeds" not in before
    try:
        os.utime(path, ns=(st.st_atime_ns, time.time_ns()))  # as an editor's save would
        after = run_snakemake(quick_run, names_path, *mtime_only).stdout
    finally:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    planned = set(re.findall(r"^(\w+)\s+\d+$", after.split("Job stats:")[-1].split("\n\n")[0], re.M))
    assert {"study_seeds", "report"} <= planned, after[-3000:]
    assert not {r for r in planned if r.startswith(("train", "plot", "study_compare"))}, planned
