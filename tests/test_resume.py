"""Resume and divergence of one training job.

An interrupted run resumes from its last checkpoint and ends with exactly the numbers of an
uninterrupted one; nothing that looks complete (metrics.json) exists before a run is done;
a NaN/inf loss stops a run naming the experiment, the step and the first non-finite tensor.
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

import numpy as np
import pytest
import torch

from pipeline.config import PRESENTATION_KEYS, load
from pipeline.reproducible import untimed
from pipeline.training import loop as trainmod
from pipeline.training import resume
from tests.conftest import ROOT, default_signals, run_watched


def spec_of(name: str, **over) -> dict:
    cfg = load(ROOT / "config.yaml")
    spec = {k: v for k, v in cfg["resolved"][name].items() if k not in PRESENTATION_KEYS}
    spec.update(over)
    return spec


def _npz(path: Path) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def assert_same_run(a: Path, b: Path) -> None:
    ma, mb = (json.loads((d / "metrics.json").read_text()) for d in (a, b))
    assert untimed(ma) == untimed(mb)
    for f in ("history.npz", "probes.npz"):
        za, zb = _npz(a / f), _npz(b / f)
        assert za.keys() == zb.keys()
        for k in za:
            np.testing.assert_array_equal(za[k], zb[k], err_msg=f"{f}:{k}")
    assert (a / "samples.txt").read_bytes() == (b / "samples.txt").read_bytes()
    assert (a / "config.json").read_bytes() == (b / "config.json").read_bytes()
    ca, cb = (torch.load(d / "checkpoint.pt", weights_only=True) for d in (a, b))
    for n in ca["params"]:
        assert torch.equal(ca["params"][n], cb["params"][n]), n
    for n in ca["buffers"]:
        assert torch.equal(ca["buffers"][n], cb["buffers"][n]), n


class Interrupt(BaseException):
    """Stands for Ctrl-C at a given step (a BaseException, as KeyboardInterrupt is)."""


def _interrupt_at(monkeypatch, step: int) -> None:
    real = trainmod.Progress.update

    def update(self, i, loss):
        if i == step:
            raise Interrupt(f"interrupted at step {i}")
        real(self, i, loss)
    monkeypatch.setattr(trainmod.Progress, "update", update)


@pytest.mark.parametrize("name,steps", [("batchnorm_running", 70), ("batchnorm", 70), ("batchnorm_gain_5_3", 41)])
def test_resumed_run_equals_uninterrupted(dataset, tmp_path, monkeypatch, name, steps):
    decay = None if spec_of(name)["lr_decay_step"] is None else steps // 2  # decay inside the short run
    spec = spec_of(name, steps=steps, lr_decay_step=decay)
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    trainmod.train(spec, dataset, whole, checkpoint_every=10)
    final = whole / ".resume" / "state.pt"  # kept after the last step, until Snakemake accepts the run
    assert torch.load(final, weights_only=True)["step"] == steps

    with monkeypatch.context() as m:
        _interrupt_at(m, steps - 7)
        with pytest.raises(Interrupt):
            trainmod.train(spec, dataset, parts, checkpoint_every=10)
    assert not (parts / "metrics.json").exists()  # nothing that looks complete
    assert (parts / ".resume" / "state.pt").exists()
    m = trainmod.train(spec, dataset, parts, checkpoint_every=10)
    assert m["resumed_from_step"] == (steps - 7) // 10 * 10
    assert_same_run(whole, parts)


def test_a_finished_run_whose_files_were_removed_is_rewritten_not_retrained(dataset, tmp_path, monkeypatch):
    """Snakemake stopped (SIGINT to it alone) after the training ended but before it recorded the job:
    it removes the job's outputs and runs it again. The state after the last step makes that rerun
    rewrite the run directory without training a step, with the same numbers; once Snakemake has
    accepted the outputs (onsuccess), prune_final_states removes the state."""
    spec = spec_of("batchnorm_gain_5_3", steps=41)
    run = tmp_path / "runs" / spec["name"]
    trainmod.train(spec, dataset, run, checkpoint_every=10)
    first = {f: (run / f).read_bytes() for f in ("history.npz", "probes.npz", "samples.txt")}
    for f in run.iterdir():
        if f.is_file():
            f.unlink()  # what Snakemake does to an incomplete job's outputs before rerunning it
    with monkeypatch.context() as m:
        _interrupt_at(m, 0)  # any training step taken would raise
        metrics = trainmod.train(spec, dataset, run, checkpoint_every=10)
    assert metrics["resumed_from_step"] == 41
    assert {f: (run / f).read_bytes() for f in first} == first
    assert resume.prune_final_states(tmp_path / "runs") == [run / ".resume" / "state.pt"]
    assert not (run / ".resume").exists()


def test_prune_keeps_the_state_of_a_run_not_finished(dataset, tmp_path, monkeypatch):
    spec = spec_of("kaiming", steps=40, lr_decay_step=20)
    with monkeypatch.context() as m:
        _interrupt_at(m, 35)
        with pytest.raises(Interrupt):
            trainmod.train(spec, dataset, tmp_path / "r", checkpoint_every=10)
    assert resume.prune_final_states(tmp_path) == []
    assert (tmp_path / "r" / ".resume" / "state.pt").exists()


def test_a_state_from_another_spec_or_data_is_not_resumed(dataset, tmp_path, monkeypatch):
    spec = spec_of("kaiming", steps=40, lr_decay_step=20)
    with monkeypatch.context() as m:
        _interrupt_at(m, 35)
        with pytest.raises(Interrupt):
            trainmod.train(spec, dataset, tmp_path / "r", checkpoint_every=10)
    other = dict(spec, lr=0.05)
    m = trainmod.train(other, dataset, tmp_path / "r", checkpoint_every=10)
    assert m["resumed_from_step"] is None
    trainmod.train(other, dataset, tmp_path / "fresh", checkpoint_every=0)
    assert_same_run(tmp_path / "r", tmp_path / "fresh")

    with monkeypatch.context() as m:  # same spec, other word list (another checksum)
        _interrupt_at(m, 35)
        with pytest.raises(Interrupt):
            trainmod.train(spec, dataset, tmp_path / "d", checkpoint_every=10)
    other_data = copy.copy(dataset)
    object.__setattr__(other_data, "sha256", "0" * 64)
    assert trainmod.train(spec, other_data, tmp_path / "d", checkpoint_every=10)["resumed_from_step"] is None


def _train_cmd(spec: dict, names: Path, out: Path) -> list[str]:
    return [sys.executable, str(ROOT / "benchmarks" / "train.py"), "train", "--spec", json.dumps(spec),
            "--data", str(names), "--out", str(out), "--checkpoint-every", "50"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_killed_training_job_resumes_exactly(names_path, tmp_path, sig):
    """A real process, killed after its first checkpoint, then run again with the same command."""
    spec = spec_of("batchnorm_running", steps=3000, lr_decay_step=1500)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    killed = tmp_path / "killed"
    proc = subprocess.Popen(_train_cmd(spec, names_path, killed), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=default_signals)
    state = killed / ".resume" / "state.pt"
    deadline = time.time() + 240
    while not state.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the job finished before it could be killed: raise its steps"
    time.sleep(0.3)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert not (killed / "metrics.json").exists()
    assert state.exists()

    again = run_watched(_train_cmd(spec, names_path, killed), cwd=ROOT, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "resuming from step" in again.stderr
    whole = run_watched(_train_cmd(spec, names_path, tmp_path / "whole"), cwd=ROOT, env=env)
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert_same_run(tmp_path / "whole", killed)


# ---- divergence -----------------------------------------------------------------------------

def test_divergence_stops_naming_step_experiment_and_tensor(dataset, tmp_path):
    spec = spec_of("linear_gain_3", steps=200, on_divergence="stop", lr=50.0)
    with pytest.raises(trainmod.DivergenceError) as e:
        trainmod.train(spec, dataset, tmp_path / "r")
    msg = str(e.value)
    assert "'linear_gain_3'" in msg and "diverged at step" in msg and "first non-finite tensor is" in msg
    assert not (tmp_path / "r" / "metrics.json").exists()


@pytest.mark.parametrize("name,over", [
    ("linear_gain_3", {"lr": 50.0}),                                      # blows up part-way
    ("kaiming", {"init": {"W1": "kaiming", "b1": 0.01, "W2": 1e300, "b2": 0.0}}),  # inf logits at step 0
])
def test_divergence_recorded_as_a_result_and_plotted(dataset, tmp_path, name, over):
    from pipeline.plots import render_experiment
    spec = spec_of(name, steps=200, on_divergence="record", lr_decay_step=None, **over)
    m = trainmod.train(spec, dataset, tmp_path / "r")
    d = m["diverged"]
    assert d and isinstance(d["step"], int) and d["first_nonfinite"]
    assert m["val_loss"] is None
    json.loads((tmp_path / "r" / "metrics.json").read_text(), parse_constant=lambda c: pytest.fail(f"JSON {c}"))
    out = render_experiment(tmp_path / "r", tmp_path / "fig")
    assert out and all((tmp_path / "fig" / f"{n}.png").stat().st_size > 0 for n in out)


def test_divergence_message_reaches_the_console(names_path, tmp_path):
    """`python benchmarks/train.py train` (the CLI's error handling, pipeline.cli.guarded) prints the message,
    without a traceback."""
    spec = spec_of("linear_gain_3", steps=200, lr=50.0, on_divergence="stop")
    proc = run_watched(_train_cmd(spec, names_path, tmp_path / "r"), cwd=ROOT)
    assert proc.returncode == 1
    assert "error: experiment 'linear_gain_3' diverged at step" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_checkpoints_are_byte_identical_and_load_without_pickle(dataset, tmp_path):
    """Two runs of one spec in different directories give the same checkpoint.pt bytes (its archive
    used to carry the random name of the temporary file), and it loads with weights_only=True."""
    spec = spec_of("kaiming", steps=20)
    trainmod.train(spec, dataset, tmp_path / "a")
    trainmod.train(spec, dataset, tmp_path / "elsewhere" / "b")
    a = (tmp_path / "a" / "checkpoint.pt").read_bytes()
    b = (tmp_path / "elsewhere" / "b" / "checkpoint.pt").read_bytes()
    assert a == b
    ck = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=True)
    assert set(ck) == {"spec", "params", "buffers", "itos"} and ck["spec"]["name"] == "kaiming"
