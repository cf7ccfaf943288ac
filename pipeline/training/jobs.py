"""One training job of the Snakefile: the trainings of one stack (groups.py), each saved to its
`trained.pt` (store.py); the run directories are written from those by `evaluate`.

Part A stacks train with the batched engine (engine.train_group); deep nets with the lecture's
loop (loop.fit), one after another. `train_many` trains experiment specs straight into run
directories (fit, then finish.finish_run), as the tests and benchmarks use it.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from pipeline.data import Dataset, load_dataset
from pipeline.errors import DivergenceError
from pipeline.training import divergence, store
from pipeline.training.engine import train_group
from pipeline.training.finish import finish_run
from pipeline.training.groups import group_specs, training_id
from pipeline.training.loop import fit


def _data_for(specs: list[dict], data: Dataset | str | Path) -> Dataset:
    if isinstance(data, Dataset):
        return data
    s0 = specs[0]
    if any((s["block_size"], s["split_seed"]) != (s0["block_size"], s0["split_seed"]) for s in specs):
        raise ValueError("every spec of a job must share block_size and split_seed (one data set)")
    return load_dataset(data, s0["block_size"], s0["split_seed"])


def with_defaults(tspec: dict) -> dict:
    """A training spec as the loops read it: named by its id, recording a divergence, sampling nothing."""
    return {"name": training_id(tspec), "sampling": None, **tspec, "on_divergence": "record"}


def fit_all(specs: list[dict], data: Dataset, state_dirs: list[Path], *, log=None, checkpoint_every: int = 0,
            done=None, simple: bool = False) -> None:
    """Train every spec: Part A specs grouped by architecture, each group as one stack (the batched
    engine), deep nets with the lecture's loop one after another. `done(i, result, t_start)` takes
    each result as it is ready. A model that diverges with on_divergence 'stop' does not stop the
    others: they finish, then DivergenceError is raised naming every stopped model.

    checkpoint_every > 0: each stack saves a resumable state every so many steps in
    `state_dirs[first]/.resume/`, each deep net in its own; a rerun of the same call resumes and
    ends with exactly the same numbers. The state after the last step is kept (a job rerun before
    Snakemake recorded it rewrites its outputs from it instead of training again); the Snakefile's
    onsuccess removes it (resume.prune_final_states)."""
    stopped = []
    for idx in group_specs(specs):
        if simple or specs[idx[0]]["kind"] == "deep":
            for i in idx:
                t_start = time.perf_counter()
                state_path = Path(state_dirs[i]) / ".resume" / "state.pt"
                try:
                    r = fit(specs[i], data, state_path=state_path, checkpoint_every=checkpoint_every, log=log)
                except DivergenceError as e:
                    stopped.append(str(e).removesuffix(divergence.ADVICE))
                    continue
                done(i, r, t_start)
            continue
        t_start = time.perf_counter()
        state_path = Path(state_dirs[idx[0]]) / ".resume" / "state.pt"
        results = train_group([specs[i] for i in idx], data, log=log, checkpoint_every=checkpoint_every,
                              state_path=state_path)
        setup = (time.perf_counter() - t_start) / len(idx) - results[0]["train_seconds"]
        for i, r in zip(idx, results, strict=True):
            t_model = time.perf_counter() - setup - r["train_seconds"]  # its share of the group's time
            d = r["diverged"]
            if d and specs[i]["on_divergence"] == "stop":
                stopped.append(divergence.message(specs[i]["name"], d))
                continue
            done(i, dict(r, engine="batched"), t_model)
    if stopped:
        raise DivergenceError("; ".join(stopped) + divergence.ADVICE)


def train_stack(specs: list[dict], data: Dataset | str | Path, out_files: list[str | Path], *, threads: int = 1,
                log=None, checkpoint_every: int = 0, simple: bool = False) -> None:
    """The Snakefile's training job: train each training spec (groups.trainings) of one stack and
    save it to its out file (store.save_trained), for `evaluate` to write the run directories. A
    training spec has no name (its id labels it in the log) and no on_divergence: a model that
    diverges stops there and is saved so; its experiments' evaluation judges it (store.evaluate)."""
    torch.set_num_threads(threads)
    if len(specs) != len(out_files):
        raise ValueError(f"train-stack: {len(specs)} specs but {len(out_files)} out files")
    specs = [with_defaults(s) for s in specs]
    data = _data_for(specs, data)

    def done(i, r, _t_start):
        store.save_trained(out_files[i], specs[i], r, threads=threads)

    fit_all(specs, data, [Path(f).parent for f in out_files], log=log, checkpoint_every=checkpoint_every,
            done=done, simple=simple)


def train_many(specs: list[dict], data: Dataset | str | Path, out_dirs: list[str | Path], *, threads: int = 1,
               log=None, checkpoint_every: int = 0) -> list[dict]:
    """Train experiment specs and write one run directory each, exactly as loop.train would (the
    batched engine for Part A stacks). Returns the metrics, in `specs` order."""
    torch.set_num_threads(threads)
    if len(specs) != len(out_dirs):
        raise ValueError(f"train_many: {len(specs)} specs but {len(out_dirs)} out_dirs")
    data = _data_for(specs, data)
    metrics: list[dict | None] = [None] * len(specs)

    def done(i, r, t_start):
        metrics[i] = finish_run(specs[i], data, out_dirs[i], r["model"], history=r["history"], probes=r["probes"],
                                diverged=r["diverged"], named2d=r["named2d"], train_seconds=r["train_seconds"],
                                threads=threads, t_start=t_start, engine=r["engine"],
                                start=r["resumed_from_step"])

    fit_all(specs, data, out_dirs, log=log, checkpoint_every=checkpoint_every, done=done)
    return metrics
