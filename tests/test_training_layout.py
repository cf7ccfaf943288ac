"""The training package reads like the lecture (issue 27, item 6): no function in pipeline/training
runs past 60 lines, the lecture's loop (`loop.fit`) stays short, no module past 400 lines, and each
module holds one job (the old catch-all `rundir.py` is gone; nothing imports it)."""

from __future__ import annotations

import ast

from tests.conftest import ROOT

TRAINING = ROOT / "pipeline" / "training"
MAX_FUNCTION, MAX_FIT, MAX_MODULE = 60, 45, 400


def _functions(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node.end_lineno - node.lineno + 1


def test_no_long_function_or_module():
    too_long = [f"{p.name}:{name} ({n} lines)" for p in sorted(TRAINING.glob("*.py"))
                for name, n in _functions(p) if n > MAX_FUNCTION]
    assert not too_long, f"functions over {MAX_FUNCTION} lines: {too_long}"
    big = [p.name for p in TRAINING.glob("*.py") if len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE]
    assert not big, f"modules over {MAX_MODULE} lines: {big}"


def test_the_lectures_loop_is_short():
    fit = dict(_functions(TRAINING / "loop.py"))["fit"]
    assert fit <= MAX_FIT, f"loop.fit is {fit} lines: move what it records into Tracker or Checkpoints"


def test_rundir_is_split_by_job():
    assert not (TRAINING / "rundir.py").exists()
    for module in ("schedule", "progress", "divergence", "evaluation", "resume", "finish"):
        assert (TRAINING / f"{module}.py").is_file(), module
    users = [p for base in ("pipeline", "tests", "benchmarks", "notebooks") for p in (ROOT / base).rglob("*.py")]
    users.append(ROOT / "Snakefile")
    stale = [str(p.relative_to(ROOT)) for p in users if p.is_file() and p != ROOT / "tests" / "test_training_layout.py"
             and ("training.rundir" in (t := p.read_text(encoding="utf-8")) or "training import rundir" in t)]
    assert not stale, f"still importing pipeline.training.rundir: {stale}"
