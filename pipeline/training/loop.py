"""The training loop, as the lecture writes it: one model, one generator that draws the initial
parameters and then every minibatch, plain SGD with a step decay. The trained model goes to
rundir.finish_run, which writes its run directory; long runs checkpoint every
`checkpoint_every` steps and resume exactly (rundir.save_state / load_state).
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.data import Dataset, load_dataset
from pipeline.errors import DivergenceError  # noqa: F401  (re-exported)
from pipeline.nn.models import MLP, DeepMLP, build_model, loss_fn, set_buffers
from pipeline.training import rundir
from pipeline.training.rundir import (
    Progress,
    finish_run,
    first_nonfinite,
    load_state,
    lr_at,
    resume_key,
)


def _probe_deep(model: DeepMLP, prefix: str, out: dict) -> None:
    for i, layer in model.activation_layers():
        out[f"{prefix}.act.{i}"] = layer.out.detach().cpu().numpy()
        out[f"{prefix}.actgrad.{i}"] = layer.out.grad.detach().cpu().numpy()
    for name, p in model.named_parameters():
        if p.ndim == 2:
            out[f"{prefix}.wgrad.{name}"] = p.grad.detach().cpu().numpy()


def _probe_weights(model: DeepMLP, prefix: str, out: dict) -> None:
    """The weights for grad:data, read after the step's update: the lecture's cells after its
    loop (and after its one-step `break` at init) see the updated data."""
    for name, p in model.named_parameters():
        if p.ndim == 2:
            out[f"{prefix}.w.{name}"] = p.detach().cpu().numpy().copy()  # a copy: the update is in place


def _probe_mlp(model: MLP, prefix: str, out: dict) -> None:
    out[f"{prefix}.hpreact"] = model.hpreact.detach().cpu().numpy()
    out[f"{prefix}.h"] = model.h.detach().cpu().numpy()


def _save_state(path: Path, model, step: int, g: torch.Generator, history: dict, probes: dict,
                key: str, train_seconds: float) -> None:
    rundir.save_state(path, key, step, generator=g.get_state(), params=dict(model.named_parameters()),
               buffers=model.buffers(), history=history, probes=probes, train_seconds=train_seconds)


def _load_state(path: Path, model, g: torch.Generator, key: str) -> dict | None:
    state = load_state(path, key)
    if state is None:
        return None
    with torch.no_grad():
        for (name, p) in model.named_parameters():
            p.copy_(state["params"][name])
    set_buffers(model, state["buffers"])
    g.set_state(state["generator"])
    return state


def train(spec: dict, data: Dataset | str | Path, out_dir: str | Path, *, threads: int = 1,
          checkpoint_every: int = 0, log=None) -> dict:
    """Train one experiment and fill its run directory. Returns the metrics."""
    t_start = time.perf_counter()
    torch.set_num_threads(threads)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not isinstance(data, Dataset):
        data = load_dataset(data, spec["block_size"], spec["split_seed"])
    state_path = out_dir / ".resume" / "state.pt"
    r = fit(spec, data, state_path=state_path, checkpoint_every=checkpoint_every, log=log)
    return finish_run(spec, data, out_dir, r["model"], history=r["history"], probes=r["probes"],
                      diverged=r["diverged"], named2d=r["named2d"], train_seconds=r["train_seconds"],
                      threads=threads, engine="simple", t_start=t_start, start=r["resumed_from_step"])


def fit(spec: dict, data: Dataset, *, state_path: Path | None = None, checkpoint_every: int = 0,
        log=None) -> dict:
    """The lecture's loop on one spec (an experiment's, or a training's: groups.py). Returns the
    trained model, its history and probes, the divergence if any, and timings; saves a resumable
    state at `state_path` every `checkpoint_every` steps and resumes from one saved for this spec."""
    name = spec["name"]
    Xtr, Ytr = data.splits["train"]

    g = torch.Generator().manual_seed(spec["seed"])  # draws the init, then every minibatch
    model = build_model(spec, len(data.vocab), data.block_size, g)
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    deep = isinstance(model, DeepMLP)
    named2d = [(n, p) for n, p in model.named_parameters() if p.ndim == 2]

    steps = spec["steps"]
    history = {"log10_loss": np.full(steps, np.nan, dtype=np.float32)}
    if deep:
        history["ud"] = np.full((steps, len(named2d)), np.nan, dtype=np.float32)
    probes: dict[str, np.ndarray] = {}
    start, train_seconds = 0, 0.0
    key = resume_key(spec, data.sha256)  # a state is only valid for this spec and this data
    state = _load_state(state_path, model, g, key) if checkpoint_every and state_path else None
    if state is not None:
        start, history, probes, train_seconds = (state["step"], state["history"], state["probes"],
                                                  state["train_seconds"])
        print(f"[{name}] resuming from step {start} (checkpoint {state_path})", file=sys.stderr, flush=True)

    progress = Progress(name, steps, start, stream=log)
    diverged = None
    t_loop = time.perf_counter()
    for i in range(start, steps):
        ix = torch.randint(0, Xtr.shape[0], (spec["batch_size"],), generator=g)
        Xb, Yb = Xtr[ix], Ytr[ix]
        logits = model(Xb)
        loss = loss_fn(logits, Yb)
        probe = deep and (i == 0 or i == steps - 1)
        if probe:
            for _, layer in model.activation_layers():
                layer.out.retain_grad()  # keep d loss / d activation for the histograms
        for p in params:
            p.grad = None
        loss.backward()
        lossv = loss.item()
        if not math.isfinite(lossv):
            bad = first_nonfinite([("logits", logits)] + [(n, p) for n, p in model.named_parameters()]
                                  + [(f"grad of {n}", p.grad) for n, p in model.named_parameters()])
            diverged = {"step": i, "loss": lossv, "first_nonfinite": bad}
            if spec["on_divergence"] == "stop":
                progress.close()
                raise DivergenceError(f"experiment {name!r} diverged at step {i}: the loss is {lossv}; "
                                      f"the first non-finite tensor is {bad}. Lower lr or the init scales.")
            break
        history["log10_loss"][i] = math.log10(lossv) if lossv > 0 else -math.inf
        if i == 0:
            (_probe_deep if deep else _probe_mlp)(model, "init", probes)
        if probe and i == steps - 1 and i > 0:
            _probe_deep(model, "final", probes)
        lr = lr_at(spec, i)
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
            if deep:  # update:data ratio, log10(std(lr * grad) / std(data)), after the update
                history["ud"][i] = [((lr * p.grad).std() / p.data.std()).log10().item() for _, p in named2d]
        if probe:
            _probe_weights(model, "init" if i == 0 else "final", probes)
        progress.update(i, lossv)
        # every `checkpoint_every` steps, and after the last one: kept until Snakemake accepts the run
        if checkpoint_every and state_path and ((i + 1) % checkpoint_every == 0 or i + 1 == steps):
            _save_state(state_path, model, i + 1, g, history, probes, key,
                        train_seconds + time.perf_counter() - t_loop)
    progress.close()
    train_seconds += time.perf_counter() - t_loop

    return {"model": model, "history": history, "probes": probes, "diverged": diverged,
            "named2d": [n for n, _ in named2d], "train_seconds": train_seconds, "resumed_from_step": start,
            "engine": "simple"}
