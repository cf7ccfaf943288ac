"""What a change reruns: plotting code -> plots only; one experiment's YAML -> that experiment only
(with the batched engine: only the stack that trains it); settings that move no number
(checkpoint_every, sampling, max_group where it splits no stack, an experiment added beside the
others, a renamed experiment) -> no training. Every job's params are plain values Snakemake
compares (pipeline/workflow/jobs.py), so these are its documented rerun triggers at work.

The workflow runs from a copy of the package (PYTHONPATH), so the test can edit code."""

import os
import shutil
import sys

import pytest

from tests.conftest import ROOT, run_watched

pytestmark = pytest.mark.slow

TARGETS = ["figures/bad_init/loss_curve.png", "figures/kaiming/loss_curve.png", "figures/tanh_gain_1/loss_curve.png"]


def _snakemake(copy, workdir, names, *args):
    env = dict(os.environ, PYTHONPATH=str(copy))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(copy / "Snakefile"), "-d", str(workdir),
           "--configfile", str(copy / "config.yaml"), str(copy / "config.quick.yaml"), str(copy / "extra.yaml"),
           "--config", f"names_path={names}", "-j2", *args, *TARGETS]
    proc = run_watched(cmd, env=env, cwd=copy)  # bounded by silence: conftest
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _planned(out: str) -> list[tuple[str, str]]:
    """(rule, wildcards) of every job in a dry run's plan."""
    jobs, rule = [], None
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("rule ") and line.endswith(":"):
            rule = line[5:-1]
        elif line.startswith("wildcards:") and rule:
            jobs.append((rule, line.split(":", 1)[1].strip()))
            rule = None
    return jobs


def test_edits_rerun_only_what_they_touch(tmp_path, names_path):
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copytree(ROOT / "pipeline", copy / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("Snakefile", "config.yaml", "config.quick.yaml", "mkdocs.yml", "CITATION.cff"):
        shutil.copy(ROOT / f, copy / f)
    for d in ("rules", "envs", "docs/templates"):  # docs/templates: the figure words the plot steps read
        shutil.copytree(ROOT / d, copy / d)
    simple = "runtime:\n  engine: simple\n"  # one job per experiment: the sharpest claim
    (copy / "extra.yaml").write_text(simple)
    work = tmp_path / "work"
    _snakemake(copy, work, names_path)
    assert "Nothing to be done" in _snakemake(copy, work, names_path, "-n")

    # plotting code: every plot reruns, no training does
    with open(copy / "pipeline" / "plots" / "__init__.py", "a") as f:
        f.write("\n# an edit\n")
    jobs = _planned(_snakemake(copy, work, names_path, "-n"))
    rules = {r for r, _ in jobs}
    assert "train" not in rules and {"plot_mlp", "plot_deep"} <= rules, jobs
    _snakemake(copy, work, names_path)

    # one experiment's YAML: that experiment (and what depends on it) reruns, nothing else
    (copy / "extra.yaml").write_text(simple + "experiments:\n  kaiming:\n    lr: 0.05\n")
    out = _snakemake(copy, work, names_path, "-n")
    jobs = _planned(out)
    assert len([j for j in jobs if j[0] == "train"]) == 1, jobs  # kaiming's training, under its new id
    assert [r for r in _planned_rules(out) if r.startswith("evaluate")] == ["evaluate_kaiming"], out[-3000:]

    # presentation text only: nothing retrains
    (copy / "extra.yaml").write_text(simple + "experiments:\n  tanh_gain_1:\n    summary: reworded\n")
    jobs = _planned(_snakemake(copy, work, names_path, "-n"))
    assert not [j for j in jobs if j[0] == "train"], jobs


def test_batched_engine_edit_touches_one_stack_only():
    """With runtime.engine: batched, a job's outputs are its trainings' ids: editing one experiment
    changes the outputs of the one job that trains it, and of no other job."""
    from pipeline.config import read_yaml
    from pipeline.workflow.plan import Plan

    base = read_yaml(ROOT / "config.yaml")
    before = Plan(base).jobs
    edited = read_yaml(ROOT / "config.yaml")
    edited["experiments"]["kaiming"]["lr"] = 0.05
    after = Plan(edited).jobs
    assert before.runtime.engine == "batched"
    assert set(before.members) == set(after.members)
    changed = {j for j in before if before.outputs(j) != after.outputs(j)}  # a training's id is its path
    # kaiming and its seed copies (kaiming.seedN inherit its settings) are the only ones edited
    touched = {j for j, members in before.members.items()
               if any(e == "kaiming" or e.startswith("kaiming.") for m in members
                      for e in before.trainings[m]["experiments"])}
    assert changed == touched and "kaiming" in [e for j in changed for m in before.members[j]
                                                for e in before.trainings[m]["experiments"]]
    assert len(changed) < len(before.members)


# ---- settings that move no number retrain nothing (runtime.engine: batched, the default) -------------

PART_A_RUNS = ["kaiming", "bad_init", "fixed_tanh", "batchnorm", "batchnorm_running", "bn_momentum_0.1"]


def _run_targets(exps):
    return [f"results/runs/{e}/metrics.json" for e in exps]


def _snakemake_runs(copy, workdir, names, exps, *args):
    env = dict(os.environ, PYTHONPATH=str(copy))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(copy / "Snakefile"), "-d", str(workdir),
           "--configfile", str(copy / "config.yaml"), str(copy / "config.quick.yaml"), str(copy / "extra.yaml"),
           "--config", f"names_path={names}", "-j2", *args, *_run_targets(exps)]
    proc = run_watched(cmd, env=env, cwd=copy)  # bounded by silence: conftest
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _planned_rules(out: str) -> list[str]:
    """The rule of every job in a dry run's plan (training jobs have no wildcards)."""
    return [line.strip()[5:-1] for line in out.splitlines()
            if line.strip().startswith(("rule ", "localrule ")) and line.strip().endswith(":")]


def test_settings_that_move_no_number_retrain_nothing(tmp_path, names_path):
    """checkpoint_every, sampling.count, a max_group that splits no stack, a new experiment beside
    the others and a renamed one retrain no existing experiment (issue: they reran every training
    job); a new experiment trains itself alone, and one that differs from an existing one only in
    its evaluation trains nothing."""
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copytree(ROOT / "pipeline", copy / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for f in ("Snakefile", "config.yaml", "config.quick.yaml", "mkdocs.yml", "CITATION.cff"):
        shutil.copy(ROOT / f, copy / f)
    for d in ("rules", "envs"):
        shutil.copytree(ROOT / d, copy / d)
    same = "runtime:\n  threads: 1\n"  # as config.yaml (Snakemake refuses an empty config file)
    (copy / "extra.yaml").write_text(same)
    work = tmp_path / "work"
    _snakemake_runs(copy, work, names_path, PART_A_RUNS)

    def plan(extra: str, exps=PART_A_RUNS) -> list[str]:
        (copy / "extra.yaml").write_text(extra)
        return _planned_rules(_snakemake_runs(copy, work, names_path, exps, "-n"))

    assert plan(same) == []
    assert plan("runtime:\n  checkpoint_every: 7\n") == []  # how often a resumable state is saved
    assert plan("runtime:\n  max_group: 2\n") == []  # the quick run's stacks have 1 or 2 trainings
    jobs = plan("sampling:\n  count: 3\n")  # the names sampled from each trained net: evaluation only
    assert jobs and all(j.startswith("evaluate_") for j in jobs), jobs
    # a max_group that cuts a stack regroups its trainings: those jobs (only) run again (the seeds'
    # halves, train_*_seed1_part2, are not among the targets)
    split = plan("runtime:\n  max_group: 1\n")
    trains = sorted(j for j in split if j.startswith("train_"))
    assert trains == ["train_fixed_tanh_part1", "train_kaiming_part1"], split

    def lr_experiment(name):
        return {name: {"kind": "mlp", "part": "E", "title": "Kaiming at lr 0.05", "lr": 0.05,
                       "init": {"W1": "kaiming", "b1": 0.01, "W2": 0.01, "b2": 0.0}}}

    import yaml
    again = {"bn_running_again": {"kind": "mlp", "part": "E", "title": "BatchNorm again",
                                  "init": {"W1": "kaiming", "b1": None, "W2": 0.01, "b2": 0.0},
                                  "batchnorm": {"eval_stats": "running", "momentum": 0.001}}}
    new = yaml.safe_dump({"experiments": lr_experiment("kaiming_lr") | again})
    jobs = plan(new, PART_A_RUNS + ["kaiming_lr", "bn_running_again"])
    # its own training and evaluation; the BatchNorm training serves one more experiment: evaluated only
    assert sorted(jobs) == ["evaluate_batchnorm", "evaluate_kaiming_lr", "train_kaiming_lr"], jobs
    _snakemake_runs(copy, work, names_path, PART_A_RUNS + ["kaiming_lr"])
    renamed = yaml.safe_dump({"experiments": lr_experiment("kaiming_lr_renamed") | again})
    jobs = plan(renamed, PART_A_RUNS + ["kaiming_lr_renamed"])
    assert jobs == ["evaluate_kaiming_lr_renamed"], jobs  # a new run directory, the same training
