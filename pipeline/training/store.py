"""A finished training on disk (results/train/<id>/trained.pt), and the run directory of each
experiment it serves.

A training (groups.py) is what moves the numbers: its file holds the trained parameters, the
running statistics at every momentum it kept, the loss history, the probes, the divergence and
its engine, as tensors and plain types (read with `torch.load(weights_only=True)`); what the
training cost (seconds, the step it resumed from) lies beside it in timing.json, so that two runs
of the same config write the same trained.pt byte for byte (pipeline/reproducible.py masks the
timing fields of the JSON). `evaluate`
puts one experiment's view of it (its running statistics, its sampling) into a model and hands it
to finish.finish_run, the same function a training loop calls, so a run directory is byte for
byte what training that experiment alone would write.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.data import Dataset, load_dataset
from pipeline.errors import DataError, DivergenceError
from pipeline.io import atomic_path, verify
from pipeline.nn.models import MLP, build_model, set_buffers
from pipeline.training import divergence
from pipeline.training.finish import finish_run

FORMAT = 2
TIMING = ("train_seconds", "resumed_from_step")  # of a training: in timing.json, not in trained.pt


def timing_file(path: str | Path) -> Path:
    """The timing.json beside a training file."""
    return Path(path).with_name("timing.json")


def save_trained(path: str | Path, spec: dict, r: dict, *, threads: int) -> None:
    """Write one training's result (what loop.fit and engine.train_group return) atomically."""
    model = r["model"]
    blob = {
        "format": FORMAT,
        "spec": spec,
        "params": {n: p.detach().clone() for n, p in model.named_parameters()},
        "buffers": {n: t.clone() for n, t in model.buffers().items()},
        "history": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in r["history"].items()},
        "probes": {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in r["probes"].items()},
        "diverged": r["diverged"],
        "named2d": list(r["named2d"]),
        "engine": r["engine"],
        "threads": threads,
    }
    timing = {"train_seconds": round(float(r["train_seconds"]), 3),
              "resumed_from_step": int(r["resumed_from_step"] or 0)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(timing_file(path)) as tmp:
        Path(tmp).write_text(json.dumps(timing, indent=1) + "\n")
    with atomic_path(path, sealed=True) as tmp, open(tmp, "wb") as f:
        torch.save(blob, f)


def load_trained(path: str | Path) -> dict:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise SystemExit(f"error: {path} does not exist; run its training job first (snakemake makes it).") from None
    try:
        blob = torch.load(io.BytesIO(data), weights_only=True)
    except Exception as e:  # torn or foreign file
        raise SystemExit(f"error: {path} is not a finished training ({type(e).__name__}: {e}); delete it and "
                         "run the pipeline again to retrain it.") from None
    try:
        verify(path, data)  # it loaded; but torch checks no CRC: a flipped byte would be wrong weights
    except DataError as e:
        raise SystemExit(f"error: {e}") from None
    if not isinstance(blob, dict) or blob.get("format") != FORMAT:
        raise SystemExit(f"error: {path} is not a training file of this version; delete it and run the pipeline "
                         "again to retrain it.")
    try:
        timing = json.loads(timing_file(path).read_text())
        blob.update({k: timing[k] for k in TIMING})
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise SystemExit(f"error: {timing_file(path)} (what the training of {path} cost) is missing or torn "
                         f"({type(e).__name__}: {e}); delete {Path(path).parent} and run the pipeline again to "
                         "retrain it.") from None
    return blob


def _buffers_for(spec: dict, buffers: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The experiment's own running statistics out of a training that kept several momenta."""
    bn = spec.get("batchnorm") if spec["kind"] == "mlp" else None
    if not bn or "bnmean_running" in buffers:
        return buffers
    tag = f"@{float(bn['momentum'])}"
    mine = {k[:-len(tag)]: t for k, t in buffers.items() if k.endswith(tag)}
    if not mine:
        raise SystemExit(f"error: the training of {spec['name']!r} kept no running statistics at momentum "
                         f"{bn['momentum']}; its training file is stale: delete it and run the pipeline again.")
    return mine


def evaluate(spec: dict, trained: str | Path | dict, data: Dataset | str | Path, out_dir: str | Path) -> dict:
    """Write the run directory of experiment `spec` from its training's file (or its loaded content).
    Returns the metrics; DivergenceError if the training diverged and the experiment says stop."""
    t_start = time.perf_counter()
    if not isinstance(data, Dataset):
        data = load_dataset(data, spec["block_size"], spec["split_seed"])
    blob = trained if isinstance(trained, dict) else load_trained(trained)
    d = blob["diverged"]
    if d and spec["on_divergence"] == "stop":
        raise DivergenceError(divergence.message(spec["name"], d) + divergence.ADVICE)
    model = build_model(spec, len(data.vocab), data.block_size, torch.Generator().manual_seed(0))
    with torch.no_grad():
        for n, p in model.named_parameters():
            p.copy_(blob["params"][n])
    set_buffers(model, {k: t.clone() for k, t in _buffers_for(spec, blob["buffers"]).items()})
    if isinstance(model, MLP) and model.bn:
        model.bnmean = model.bnstd = None  # calibrated afresh (finish_run), as after a training
    history = {k: t.numpy() for k, t in blob["history"].items()}
    probes = {k: t.numpy() for k, t in blob["probes"].items()}
    return finish_run(spec, data, out_dir, model, history=history, probes=probes, diverged=d,
                      named2d=blob["named2d"], train_seconds=blob["train_seconds"], threads=blob["threads"],
                      t_start=t_start, engine=blob["engine"], start=blob["resumed_from_step"])


def evaluate_many(specs: list[dict], trained: list[str | Path], data: Dataset | str | Path,
                  out_dirs: list[str | Path]) -> list[dict]:
    """An evaluation job: experiment i's run directory from training file i, the data set and each
    training file read once. Every experiment is written before DivergenceError names those that stop."""
    if not len(specs) == len(trained) == len(out_dirs):
        raise ValueError(f"evaluate: {len(specs)} specs, {len(trained)} training files, {len(out_dirs)} run dirs")
    datasets: dict[tuple, Dataset] = {}
    blobs: dict[str, dict] = {}
    metrics, stopped = [], []
    for spec, path, out in zip(specs, trained, out_dirs, strict=True):
        key = (spec["block_size"], spec["split_seed"])
        if key not in datasets:
            datasets[key] = data if isinstance(data, Dataset) else load_dataset(data, *key)
        if str(path) not in blobs:
            blobs[str(path)] = load_trained(path)
        blob = blobs[str(path)]
        try:
            metrics.append(evaluate(spec, blob, datasets[key], out))
        except DivergenceError as e:
            stopped.append(str(e).removesuffix(divergence.ADVICE))
    if stopped:
        raise DivergenceError("; ".join(stopped) + divergence.ADVICE)
    return metrics
