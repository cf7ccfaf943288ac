"""Periodic checkpoints and exact resume of the batched engine (issue 6, point 2).

A stack interrupted part-way (in-process: an exception right after a checkpoint is saved;
and a real `python benchmarks/train.py train-many` killed with SIGKILL) is run again with the same
call and must end with exactly the numbers of a stack that was never interrupted: metrics
(timings aside), history, probes, samples, config and parameters, byte for byte or bit for
bit. The references run with checkpoint_every=0, i.e. in uncut 1,000-step chunks, so the
tests also hold that cutting chunks at checkpoints changes no number.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from pipeline.training import engine, resume
from pipeline.training.jobs import train_many
from tests.conftest import ROOT, run_watched
from tests.test_resume import assert_same_run, spec_of

EVERY = 100


class Interrupt(BaseException):
    """Stands for Ctrl-C or a kill (a BaseException, as KeyboardInterrupt is)."""


def _spec(name: str, steps: int, **over) -> dict:
    s = spec_of(name, steps=steps, **over)
    if s["lr_decay_step"] is not None:
        s["lr_decay_step"] = steps // 2  # the decay happens inside the short run
    s["sampling"] = dict(s["sampling"], count=4)
    return s


def _interrupt_after_save(monkeypatch, n: int) -> list[tuple[Path, int]]:
    """Raise right after the n-th resumable state is written (by the engine or the simple loop)."""
    real, saved = resume.save_state, []

    def save_state(path, key, step, **state):
        real(path, key, step, **state)
        saved.append((Path(path), step))
        if len(saved) == n:
            raise Interrupt(f"interrupted after the checkpoint at step {step}")
    monkeypatch.setattr(resume, "save_state", save_state)
    return saved


def _dirs(root: Path, specs: list[dict]) -> list[Path]:
    return [root / s["name"] for s in specs]


CASES = {
    # two Part A stacks (pipeline.groups: with and without BatchNorm): cut inside the second,
    # the BatchNorm one, after its first checkpoint; the first stack had finished (its states at
    # steps 100 and 200, and the one kept after its last step, 300)
    "part_a": (["kaiming", "fixed_tanh", "batchnorm", "batchnorm_running"], 300, 4),
    # deep nets: each through the simple loop, cut in the second net (the first saved 100, 200, 250)
    "deep": (["batchnorm_gain_5_3", "tanh_gain_5_3"], 250, 4),
}


@pytest.mark.parametrize("case", list(CASES))
def test_interrupted_stack_resumes_exactly(dataset, tmp_path, monkeypatch, capsys, case):
    names, steps, cut = CASES[case]
    specs = [_spec(n, steps) for n in names]
    whole, parts = _dirs(tmp_path / "whole", specs), _dirs(tmp_path / "parts", specs)
    ref = train_many(specs, dataset, whole)  # no checkpoints: uncut chunks

    with monkeypatch.context() as m:
        saved = _interrupt_after_save(m, cut)
        with pytest.raises(Interrupt):
            train_many(specs, dataset, parts, checkpoint_every=EVERY)
    state_path, step = saved[-1]
    assert step % EVERY == 0 and 0 < step < steps
    assert state_path.exists() and state_path.parent.name == ".resume"
    torn = [d for d in parts if state_path.parent.parent == d]
    assert len(torn) == 1 and not (torn[0] / "metrics.json").exists()  # nothing that looks complete
    state = torch.load(state_path, weights_only=True)  # tensors and plain types: nothing that runs code
    assert state["step"] == step
    if "generators" in state:  # a stack's state: one generator per model of the stack
        assert len(state["generators"]) == sum(1 for d in parts if not (d / "metrics.json").exists())

    capsys.readouterr()
    got = train_many(specs, dataset, parts, checkpoint_every=EVERY)
    assert f"resuming from step {step}" in capsys.readouterr().err
    resumed = [g["experiment"] for g in got if g["resumed_from_step"]]
    # the cut stack resumes at its state; a stack that had finished is rewritten from its last state
    assert resumed and all(g["resumed_from_step"] in (step, steps) for g in got if g["resumed_from_step"])
    assert any(g["resumed_from_step"] == step for g in got)
    kept = sorted(d for d in parts if (d / ".resume").exists())  # only the stacks' states after the last step
    assert all(torch.load(d / ".resume/state.pt", weights_only=True)["step"] == steps for d in kept)
    resume.prune_final_states(tmp_path / "parts")
    for d in parts:
        assert not (d / ".resume").exists(), f"{d.name}: the state outlived the run"
    for a, b, r, g in zip(whole, parts, ref, got, strict=True):
        assert r["val_loss"] == g["val_loss"]
        assert_same_run(a, b)


def test_checkpoints_fall_on_multiples_of_checkpoint_every(dataset, tmp_path, monkeypatch):
    """Also when checkpoint_every does not divide the chunk: every multiple, and one after the last step
    (kept until Snakemake has accepted the run: a rerun then rewrites the run without training)."""
    specs = [_spec("kaiming", 1300), _spec("fixed_tanh", 1300)]
    saved = []
    real = resume.save_state
    monkeypatch.setattr(resume, "save_state", lambda p, k, s, **st: (saved.append(s), real(p, k, s, **st)))
    train_many(specs, dataset, _dirs(tmp_path, specs), checkpoint_every=300)
    assert saved == [300, 600, 900, 1200, 1300]
    assert list(engine._chunks(0, 2500, 700)) == [(0, 700), (700, 300), (1000, 400), (1400, 600),
                                                 (2000, 100), (2100, 400)]
    assert list(engine._chunks(1400, 1500, 0)) == [(1400, 100)]


def test_a_state_from_another_stack_or_data_is_ignored(dataset, tmp_path, monkeypatch, capsys):
    specs = [_spec("batchnorm", 300), _spec("batchnorm_running", 300)]
    dirs = _dirs(tmp_path / "r", specs)

    def interrupted(specs, data):
        with monkeypatch.context() as m:
            _interrupt_after_save(m, 2)
            with pytest.raises(Interrupt):
                train_many(specs, data, dirs, checkpoint_every=EVERY)
        assert (dirs[0] / ".resume" / "state.pt").exists()

    # a stack-mate's config changed (its lr): the stack's state is stale for every model
    interrupted(specs, dataset)
    other = [specs[0], dict(specs[1], lr=0.05)]
    capsys.readouterr()
    got = train_many(other, dataset, dirs, checkpoint_every=EVERY)
    err = capsys.readouterr().err
    assert "ignoring resume state" in err and "another config or data set" in err
    assert "resuming" not in err
    assert all(g["resumed_from_step"] is None for g in got)
    fresh = _dirs(tmp_path / "fresh", other)
    train_many(other, dataset, fresh)
    for a, b in zip(fresh, dirs, strict=True):
        assert_same_run(a, b)

    # one model left the stack (same first run directory, same first spec)
    interrupted(specs, dataset)
    capsys.readouterr()
    assert train_many(specs[:1], dataset, dirs[:1], checkpoint_every=EVERY)[0]["resumed_from_step"] is None
    assert "ignoring resume state" in capsys.readouterr().err

    # the same specs, another word list (another checksum)
    interrupted(specs, dataset)
    other_data = copy.copy(dataset)
    object.__setattr__(other_data, "sha256", "0" * 64)
    capsys.readouterr()
    got = train_many(specs, other_data, dirs, checkpoint_every=EVERY)
    assert all(g["resumed_from_step"] is None for g in got)
    assert "ignoring resume state" in capsys.readouterr().err


def _cmd(specs: list[dict], names: Path, dirs: list[Path]) -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / "train.py"), "train-many", "--specs", json.dumps(specs),
            "--data", str(names), "--out", *map(str, dirs), "--checkpoint-every", str(EVERY)]


def test_killed_train_many_resumes_exactly(names_path, dataset, tmp_path):
    """A real train-many process (a Part A stack with BatchNorm), SIGKILLed after its first
    checkpoint, then run again with the same command, as Snakemake's rerun does."""
    specs = [_spec("batchnorm", 6000), _spec("batchnorm_running", 6000)]
    killed = _dirs(tmp_path / "killed", specs)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(_cmd(specs, names_path, killed), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = killed[0] / ".resume" / "state.pt"
    deadline = time.time() + 240
    while not state.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the job finished before it could be killed: raise its steps"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    assert state.exists() and not any((d / "metrics.json").exists() for d in killed)
    step = torch.load(state, weights_only=True)["step"]
    assert step % EVERY == 0 and 0 < step < 6000

    again = run_watched(_cmd(specs, names_path, killed), cwd=ROOT, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resuming from step" in again.stderr
    assert torch.load(state, weights_only=True)["step"] == 6000  # kept until Snakemake accepts the run
    whole = _dirs(tmp_path / "whole", specs)
    train_many(specs, dataset, whole)
    for a, b in zip(whole, killed, strict=True):
        assert json.loads((b / "metrics.json").read_text())["resumed_from_step"] == step
        assert_same_run(a, b)
