"""Finishing a run: a trained model evaluated and written to its run directory.

Both the lecture's loop (loop.py) and the batched engine (engine.py, through store.evaluate or
jobs.train_many) hand a trained model to `finish_run`, so plots and the site cannot tell which
loop trained a run:

  config.json     the resolved experiment spec (+ its hash)
  metrics.json    losses, parameter count, steps, seed, timings, versions, data sha256, engine
  history.npz     log10 minibatch loss per step; for deep nets the update:data ratios
  probes.npz      the tensors the figures histogram (at init, and after the last step)
  samples.txt     names sampled from the trained model
  checkpoint.pt   the trained parameters and buffers

Every file is written atomically; metrics.json last, so its presence means the run is complete.
"""

from __future__ import annotations

import math
import platform
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.analysis import diagnostics as dg
from pipeline.config import spec_hash
from pipeline.data import Dataset
from pipeline.io import atomic_path, write_json, write_npz, write_text
from pipeline.nn.models import MLP, DeepMLP
from pipeline.training.evaluation import sample, split_loss


def finish_run(spec: dict, data: Dataset, out_dir: str | Path, model, *, history: dict, probes: dict,
               diverged: dict | None, named2d: list[str], train_seconds: float, threads: int, t_start: float,
               engine: str, start: int = 0) -> dict:
    """Evaluate a trained model and write its run directory. Shared by the lecture's loop and the
    batched engine (engine.py), so a run directory does not depend on which of them trained it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    params = model.parameters()
    n_params = sum(p.nelement() for p in params)
    for p in params:
        p.requires_grad_(False)
    if isinstance(model, MLP):
        model.calibrate(data.splits["train"][0])  # no-op without BatchNorm
    losses = {}
    if not diverged:
        for split, (X, Y) in data.splits.items():
            losses[split] = split_loss(model, X, Y)
    names = sample(model, data.block_size, data.vocab.itos, spec["sampling"]["count"],
                   spec["sampling"]["seed"]) if not diverged and spec["sampling"]["count"] else []
    metrics = _metrics(spec, data, model, history, probes, losses, diverged, n_params=n_params,
                       train_seconds=train_seconds, threads=threads, engine=engine, start=start)
    _write_files(out_dir, spec, data, model, history, probes, named2d, names)
    metrics["wall_seconds"] = round(time.perf_counter() - t_start, 3)
    write_json(out_dir / "metrics.json", metrics)  # last: its presence means the run is complete
    return metrics


def _init_stats(model, probes: dict) -> dict:
    """Part A's hidden layer at init: dead and saturated units, the pre-activations' spread."""
    if isinstance(model, DeepMLP) or "init.h" not in probes:  # absent only if the loss was non-finite at step 0
        return {}
    h0 = probes["init.h"]
    return {"dead_neurons": dg.dead_neurons(h0),
            "saturated_pct_099": dg.percent_saturated(h0, dg.DEAD_THRESHOLD),
            "hpreact_std": dg.std(probes["init.hpreact"])}


def _metrics(spec: dict, data: Dataset, model, history: dict, probes: dict, losses: dict, diverged: dict | None,
             *, n_params: int, train_seconds: float, threads: int, engine: str, start: int) -> dict:
    """metrics.json, but for wall_seconds (measured once every file is written)."""
    if diverged:  # JSON has no NaN or Infinity: name them in text
        diverged = {k: (str(v) if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in diverged.items()}
    first = float(10 ** history["log10_loss"][0])
    steps = spec["steps"]
    return {
        "experiment": spec["name"],
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
        "init": _init_stats(model, probes),
        "train_seconds": round(train_seconds, 3),
        "ms_per_step": round(1e3 * train_seconds / max(steps, 1), 4),
        "wall_seconds": None,
        "threads": threads,
        "engine": engine,  # which loop produced these numbers: "simple" (loop.py) or "batched" (engine.py)
        "device": str(model.parameters()[0].device),  # where the tensors were: the pipeline is CPU-only
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "data_sha256": data.sha256,
        "split_sizes": data.sizes,
        "vocab_size": len(data.vocab),
        "config_hash": spec_hash(spec),
        "resumed_from_step": start or None,
    }


def _write_files(out_dir: Path, spec: dict, data: Dataset, model, history: dict, probes: dict,
                 named2d: list[str], names: list[str]) -> None:
    """Every file of the run directory but metrics.json."""
    write_json(out_dir / "config.json", {"config_hash": spec_hash(spec), "spec": spec})
    write_npz(out_dir / "history.npz", **history, ud_names=np.array(list(named2d)))  # byte-reproducible
    write_npz(out_dir / "probes.npz", **probes)
    write_text(out_dir / "samples.txt", "".join(n + "\n" for n in names))
    # tensors and plain types only, so `torch.load(weights_only=True)` reads it; saved through a
    # file object, so the archive's inner name is torch's fixed one, not the random temp-file name
    with atomic_path(out_dir / "checkpoint.pt", sealed=True) as tmp, open(tmp, "wb") as f:
        torch.save({"spec": spec, "params": {n: p.detach() for n, p in model.named_parameters()},
                    "buffers": model.buffers(), "itos": list(data.vocab.itos)}, f)
