"""One training job of the Snakefile: the experiments it trains, each into its run directory.

A job holds experiments that share an architecture (groups.py). Part A stacks train with the
batched engine (engine.train_group) and are written by rundir.finish_run; deep nets train
with the lecture's loop (loop.train). Either way the run directories are the same files.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from pipeline.data import Dataset, load_dataset
from pipeline.errors import DivergenceError
from pipeline.training.engine import train_group
from pipeline.training.groups import group_specs
from pipeline.training.loop import train
from pipeline.training.rundir import finish_run


def train_many(specs: list[dict], data: Dataset | str | Path, out_dirs: list[str | Path], *, threads: int = 1,
               log=None, checkpoint_every: int = 0) -> list[dict]:
    """Train every spec of one training job and write one run directory per spec, exactly as
    loop.train would: Part A specs grouped by architecture, each group as one stack (the batched
    engine), deep nets with the simple loop one after another. Returns the metrics, in `specs` order.

    A model that diverges with on_divergence 'stop' does not stop the others: they finish and
    are written, then DivergenceError is raised naming every stopped model.

    checkpoint_every > 0: each stack saves a resumable state every so many steps, in its first
    model's run directory (engine.py); each deep net as loop.train does. A rerun of the same
    call resumes and ends with exactly the same numbers."""
    torch.set_num_threads(threads)
    if len(specs) != len(out_dirs):
        raise ValueError(f"train_many: {len(specs)} specs but {len(out_dirs)} out_dirs")
    if not isinstance(data, Dataset):
        s0 = specs[0]
        if any((s["block_size"], s["split_seed"]) != (s0["block_size"], s0["split_seed"]) for s in specs):
            raise ValueError("train_many: every spec must share block_size and split_seed (one data set)")
        data = load_dataset(data, s0["block_size"], s0["split_seed"])
    metrics: list[dict | None] = [None] * len(specs)
    stopped = []
    for idx in group_specs(specs):
        if specs[idx[0]]["kind"] == "deep":
            for i in idx:
                try:
                    metrics[i] = train(specs[i], data, out_dirs[i], threads=threads, log=log,
                                       checkpoint_every=checkpoint_every)
                except DivergenceError as e:
                    stopped.append(str(e))
            continue
        t_start = time.perf_counter()
        state_path = Path(out_dirs[idx[0]]) / ".resume" / "state.pt"
        results = train_group([specs[i] for i in idx], data, log=log, checkpoint_every=checkpoint_every,
                              state_path=state_path)
        setup = (time.perf_counter() - t_start) / len(idx) - results[0]["train_seconds"]
        for i, r in zip(idx, results, strict=True):
            t_model = time.perf_counter() - setup - r["train_seconds"]  # its share of the group's time
            d = r["diverged"]
            if d and specs[i]["on_divergence"] == "stop":
                stopped.append(f"experiment {specs[i]['name']!r} diverged at step {d['step']}: the loss is "
                               f"{d['loss']}; the first non-finite tensor is {d['first_nonfinite']}")
                continue
            metrics[i] = finish_run(specs[i], data, out_dirs[i], r["model"], history=r["history"],
                                    probes=r["probes"], diverged=d, named2d=r["named2d"],
                                    train_seconds=r["train_seconds"], threads=threads, t_start=t_model,
                                    engine="batched", start=r["resumed_from_step"])
    if stopped:
        raise DivergenceError("; ".join(stopped) + ". Lower lr or the init scales.")
    return metrics
