"""The run directory, and what both training loops share below it.

Both the lecture's loop (loop.py) and the batched engine (engine.py) hand a trained model to
`finish_run`, which evaluates it and writes its run directory, so plots and the site cannot tell
which loop trained a run:

  config.json     the resolved experiment spec (+ its hash)
  metrics.json    losses, parameter count, steps, seed, timings, versions, data sha256, engine
  history.npz     log10 minibatch loss per step; for deep nets the update:data ratios
  probes.npz      the tensors the figures histogram (at init, and after the last step)
  samples.txt     names sampled from the trained model
  checkpoint.pt   the trained parameters and buffers

Every file is written atomically; metrics.json last, so its presence means the run is complete.
Long runs save a resumable state (`save_state`, in <run>/.resume/): a resumed run ends with
exactly the numbers of an uninterrupted one on the CPU. The state after the last step is kept
when the run is written: if Snakemake is stopped before it records the job as done, it reruns
the job, which then only rewrites the run directory from that state instead of training again.
Once Snakemake has accepted the outputs (its `onsuccess`), `prune_final_states` removes them.
Also here: the learning-rate schedule, the divergence check and the progress lines both loops use.
"""

from __future__ import annotations

import io
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.analysis import diagnostics as dg
from pipeline.config import spec_hash
from pipeline.data import Dataset
from pipeline.io import atomic_path, hash_path, verify, write_json, write_npz, write_text
from pipeline.nn.models import MLP, DeepMLP, loss_fn


def lr_at(spec: dict, step: int) -> float:
    decay = spec["lr_decay_step"]
    return spec["lr"] if decay is None or step < decay else spec["lr_decayed"]


def first_nonfinite(named: list[tuple[str, torch.Tensor]]) -> str | None:
    for name, t in named:
        if t is not None and not torch.isfinite(t).all():
            return name
    return None


class Progress:
    """A tqdm bar in a terminal; short lines (about 20 per run) in Snakemake logs."""

    def __init__(self, name: str, total: int, start: int = 0, stream=None):
        self.name, self.total = name, total
        self.stream = stream or sys.stderr
        self.bar = None
        self.t0 = time.perf_counter()
        self.start = start
        self.every = max(1, total // 20)
        if self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=start, desc=name, unit="step", file=self.stream,
                            dynamic_ncols=True, smoothing=0.05)

    def update(self, step: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if step % 500 == 0:
                self.bar.set_postfix(loss=f"{loss:.4f}")
        elif (step + 1) % self.every == 0 or step + 1 == self.total:
            dt = time.perf_counter() - self.t0
            done = step + 1 - self.start
            print(f"[{self.name}] step {step + 1:>7d}/{self.total} loss {loss:.4f} "
                  f"({dt:.1f}s, {1e3 * dt / max(done, 1):.3f} ms/step)", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


EVAL_ROWS = 4096  # rows per forward pass when a whole split is evaluated


@torch.no_grad()
def split_loss(model, X: torch.Tensor, Y: torch.Tensor) -> float:
    """The mean loss over a split. The forward pass goes EVAL_ROWS rows at a time: in eval mode a
    row's logits depend on that row alone, so the blocks give the very logits of one pass over the
    split (tests/test_models.py checks it bit for bit), and the loss is still taken over all of them
    at once. One pass over the 182k training rows allocates 73 MB per layer and spends more on page
    faults than on arithmetic: blocks make a deep net's three splits ~10x faster (3 s -> 0.25 s)."""
    model.eval()
    logits = torch.cat([model(X[i:i + EVAL_ROWS]) for i in range(0, len(X), EVAL_ROWS)])
    loss = loss_fn(logits, Y).item()
    model.train()
    return loss


@torch.no_grad()
def sample(model, block_size: int, itos: tuple[str, ...], count: int, seed: int, max_len: int = 50) -> list[str]:
    """Draw names one character at a time until '.' (index 0)."""
    g = torch.Generator().manual_seed(seed)
    model.eval()
    names = []
    for _ in range(count):
        out, context = [], [0] * block_size
        for _ in range(max_len):
            logits = model(torch.tensor([context]))
            probs = torch.softmax(logits, dim=1)
            ix = torch.multinomial(probs.cpu(), num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            if ix == 0:
                break
            out.append(itos[ix])
        names.append("".join(out))
    model.train()
    return names


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


def finish_run(spec: dict, data: Dataset, out_dir: str | Path, model, *, history: dict, probes: dict,
               diverged: dict | None, named2d: list[str], train_seconds: float, threads: int, t_start: float,
               engine: str, start: int = 0) -> dict:
    """Evaluate a trained model and write its run directory. Shared by this loop and the batched
    engine (engine.py), so a run directory does not depend on which of them trained it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    name, digest, steps = spec["name"], spec_hash(spec), spec["steps"]
    Xtr = data.splits["train"][0]
    deep = isinstance(model, DeepMLP)
    params = model.parameters()
    n_params = sum(p.nelement() for p in params)
    for p in params:
        p.requires_grad_(False)
    if isinstance(model, MLP):
        model.calibrate(Xtr)  # no-op without BatchNorm
    losses = {}
    if not diverged:
        for split, (X, Y) in data.splits.items():
            losses[split] = split_loss(model, X, Y)
    names = sample(model, data.block_size, data.vocab.itos, spec["sampling"]["count"],
                   spec["sampling"]["seed"]) if not diverged and spec["sampling"]["count"] else []

    if diverged:  # JSON has no NaN or Infinity: name them in text
        diverged = {k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in diverged.items()}
    first = float(10 ** history["log10_loss"][0])
    init_stats = {}
    if not deep and "init.h" in probes:  # absent only if the loss was non-finite at step 0
        h0 = probes["init.h"]
        init_stats = {"dead_neurons": dg.dead_neurons(h0),
                      "saturated_pct_099": dg.percent_saturated(h0, dg.DEAD_THRESHOLD),
                      "hpreact_std": dg.std(probes["init.hpreact"])}
    metrics = {
        "experiment": name,
        "kind": spec["kind"],
        "part": spec["part"],
        "initial_loss": first if math.isfinite(first) else None,
        "expected_initial_loss": dg.expected_initial_loss(len(data.vocab)),
        "train_loss": losses.get("train"),
        "val_loss": losses.get("val"),
        "test_loss": losses.get("test"),
        "n_params": n_params,
        "steps": steps,
        "batch_size": spec["batch_size"],
        "seed": spec["seed"],
        "diverged": diverged,
        "init": init_stats,
        "train_seconds": round(train_seconds, 3),
        "ms_per_step": round(1e3 * train_seconds / max(steps, 1), 4),
        "wall_seconds": None,
        "threads": threads,
        "engine": engine,  # which loop produced these numbers: "simple" (train.py) or "batched" (engine.py)
        "device": str(params[0].device),  # where the tensors were: the pipeline is CPU-only
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "data_sha256": data.sha256,
        "split_sizes": data.sizes,
        "vocab_size": len(data.vocab),
        "config_hash": digest,
        "resumed_from_step": start or None,
    }
    write_json(out_dir / "config.json", {"config_hash": digest, "spec": spec})
    write_npz(out_dir / "history.npz", **history, ud_names=np.array(list(named2d)))  # byte-reproducible
    write_npz(out_dir / "probes.npz", **probes)
    write_text(out_dir / "samples.txt", "".join(n + "\n" for n in names))
    # tensors and plain types only, so `torch.load(weights_only=True)` reads it; saved through a
    # file object, so the archive's inner name is torch's fixed one, not the random temp-file name
    with atomic_path(out_dir / "checkpoint.pt", sealed=True) as tmp, open(tmp, "wb") as f:
        torch.save({"spec": spec, "params": {n: p.detach() for n, p in model.named_parameters()},
                    "buffers": model.buffers(), "itos": list(data.vocab.itos)}, f)
    metrics["wall_seconds"] = round(time.perf_counter() - t_start, 3)
    write_json(out_dir / "metrics.json", metrics)  # last: its presence means the run is complete
    return metrics
