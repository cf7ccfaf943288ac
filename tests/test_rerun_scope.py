"""What a change reruns: plotting code -> plots only; one experiment's YAML -> that experiment only
(with the batched engine: only the stack that trains it).

The workflow runs from a copy of the package (PYTHONPATH), so the test can edit code."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow

TARGETS = ["figures/bad_init/loss_curve.png", "figures/kaiming/loss_curve.png", "figures/tanh_gain_1/loss_curve.png"]


def _snakemake(copy, workdir, names, *args):
    env = dict(os.environ, PYTHONPATH=str(copy))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(copy / "Snakefile"), "-d", str(workdir),
           "--configfile", str(copy / "config.yaml"), str(copy / "config.quick.yaml"), str(copy / "extra.yaml"),
           "--config", f"names_path={names}", "-j2", *args, *TARGETS]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, cwd=copy)
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
    for d in ("rules", "envs"):
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
    jobs = _planned(_snakemake(copy, work, names_path, "-n"))
    assert ("train", "exp=kaiming") in jobs, jobs
    assert [j for j in jobs if j[0] == "train"] == [("train", "exp=kaiming")], jobs

    # presentation text only: nothing retrains
    (copy / "extra.yaml").write_text(simple + "experiments:\n  tanh_gain_1:\n    summary: reworded\n")
    jobs = _planned(_snakemake(copy, work, names_path, "-n"))
    assert not [j for j in jobs if j[0] == "train"], jobs


def test_batched_engine_edit_touches_one_stack_only():
    """With runtime.engine: batched, a job's params are its stack's specs: editing one experiment
    changes the params of the one job that trains it, and of no other job."""
    from pipeline.config import read_yaml
    from pipeline.workflow.plan import Plan

    base = read_yaml(ROOT / "config.yaml")
    before = Plan(base).jobs
    edited = read_yaml(ROOT / "config.yaml")
    edited["experiments"]["kaiming"]["lr"] = 0.05
    after = Plan(edited).jobs
    assert before.runtime.engine == "batched"
    assert set(before.members) == set(after.members)
    changed = {j for j in before if before.specs_json(j) != after.specs_json(j)}
    # kaiming and its seed copies (kaiming.seedN inherit its settings) are the only ones edited
    touched = {j for j, members in before.members.items()
               if any(m == "kaiming" or m.startswith("kaiming.") for m in members)}
    assert changed == touched and "kaiming" in [m for j in changed for m in before.members[j]]
    assert len(changed) < len(before.members)
