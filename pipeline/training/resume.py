"""Resumable training states: long runs save one every `checkpoint_every` steps (in <run>/.resume/,
or beside a stack's first trained.pt) and a resumed run ends with exactly the numbers of an
uninterrupted one on the CPU. The state after the last step is kept when the run is written: if
Snakemake is stopped before it records the job as done, it reruns the job, which then only
rewrites its outputs from that state instead of training again. Once Snakemake has accepted the
outputs (its `onsuccess`), `prune_final_states` removes them. Shared by the lecture's loop
(loop.py) and the batched engine (engine.py).
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import numpy as np
import torch

from pipeline.config import spec_hash
from pipeline.io import atomic_path, hash_path, verify


def resume_key(specs: dict | list[dict], data_sha256: str) -> str:
    """What a resume state is valid for: one spec (the simple loop) or a stack of specs in order
    (the batched engine), and the word list's checksum. Another config or data set never resumes it."""
    if isinstance(specs, dict):
        return f"{spec_hash(specs)}-{data_sha256}"
    return "stack:" + ",".join(spec_hash(s) for s in specs) + f"-{data_sha256}"


def _to_tensors(obj):
    """numpy arrays -> tensors (tagged), numpy scalars -> Python numbers: what `torch.load(weights_only=True)`
    reads back, so a state file handed to someone cannot run code when loaded."""
    if isinstance(obj, np.ndarray):
        return {"__ndarray__": torch.from_numpy(np.ascontiguousarray(obj).copy())}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _to_tensors(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_tensors(v) for v in obj)
    return obj


def _from_tensors(obj):
    if isinstance(obj, dict):
        if set(obj) == {"__ndarray__"}:
            return obj["__ndarray__"].numpy()
        return {k: _from_tensors(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_from_tensors(v) for v in obj)
    return obj


def save_state(path: Path, key: str, step: int, **state) -> None:
    """A resumable state: `step` steps done, everything the loop carries to the next one.
    Written atomically, so a kill leaves the previous state or this one, never half of one.
    Shared by the simple loop and the batched engine (engine.py)."""
    with atomic_path(path, sealed=True) as tmp, open(tmp, "wb") as f:
        torch.save(_to_tensors({"spec_hash": key, "step": step, **state}), f)


def load_state(path: Path, key: str) -> dict | None:
    """The state at `path` if it was saved under `key`; None (saying why) otherwise."""
    if not path.exists():
        return None
    try:
        state = _from_tensors(torch.load(io.BytesIO(verify(path)), weights_only=True))
    except Exception as e:  # damaged (its content hash says so); a torn file from a kill cannot happen (atomic)
        print(f"ignoring unreadable resume state {path} ({e}); starting from step 0", file=sys.stderr)
        return None
    if state.get("spec_hash") != key:  # another spec, stack or word list: start afresh
        print(f"ignoring resume state {path}: it belongs to another config or data set", file=sys.stderr)
        return None
    return state


def drop_state(path: Path) -> None:
    """Remove a resume state once its run is complete, with its .resume directory when that is
    left empty (a temporary file of a save cut off by a kill goes too)."""
    path = Path(path)
    path.unlink(missing_ok=True)
    hash_path(path).unlink(missing_ok=True)
    if path.parent.is_dir():
        for stray in path.parent.glob(f".{path.name}.*.tmp"):
            stray.unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:  # something else lives there: leave it
            pass


def _finished_steps(d: Path) -> int | None:
    """The step count of the finished run or training in `d`; None if none is written there."""
    if (d / "metrics.json").exists():  # a run directory (loop.train, jobs.train_many)
        return json.loads((d / "config.json").read_text())["spec"]["steps"]
    if (d / "trained.pt").exists():  # a training's directory (jobs.train_stack, store.py)
        return torch.load(d / "trained.pt", weights_only=True)["spec"]["steps"]
    return None


def prune_final_states(runs_dir: str | Path) -> list[Path]:
    """Remove the resume states of finished trainings (step = the run's steps) under `runs_dir`
    (results/runs or results/train): for the Snakefile's `onsuccess`, when Snakemake has recorded
    every job it ran as done. A state part-way through a run, or of a run not written, stays.
    Returns what was removed."""
    removed = []
    for state_path in sorted(Path(runs_dir).glob("*/.resume/state.pt")):
        try:
            steps = _finished_steps(state_path.parent.parent)
            step = torch.load(state_path, weights_only=True)["step"]
        except (OSError, ValueError, KeyError, RuntimeError):  # not a finished run, or not ours
            continue
        if steps is not None and step >= steps:
            drop_state(state_path)
            removed.append(state_path)
    return removed
