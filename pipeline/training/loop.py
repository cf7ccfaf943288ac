"""The training loop, as the lecture writes it: one model, one generator that draws the initial
parameters and then every minibatch, plain SGD with a step decay. `fit` is that loop; what it
records on the way (`Tracker`: the loss history, the update:data ratios, the probes the figures
histogram) and its resumable states (`Checkpoints`, every `checkpoint_every` steps: resume.py)
sit in small helpers beside it. `train` hands the trained model to finish.finish_run, which
writes its run directory.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.data import Dataset, load_dataset
from pipeline.errors import DivergenceError
from pipeline.nn.models import MLP, DeepMLP, build_model, loss_fn, set_buffers
from pipeline.training import divergence, resume
from pipeline.training.finish import finish_run
from pipeline.training.progress import Progress
from pipeline.training.schedule import lr_at


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
    Xtr, Ytr = data.splits["train"]
    g = torch.Generator().manual_seed(spec["seed"])  # draws the init, then every minibatch
    model = build_model(spec, len(data.vocab), data.block_size, g)
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    track = Tracker(model, spec["steps"])
    saves = Checkpoints(spec, data, model, g, state_path if checkpoint_every else None, checkpoint_every)
    start = saves.resume(track)
    progress = Progress(spec["name"], spec["steps"], start, stream=log)
    diverged = None
    for i in range(start, spec["steps"]):
        ix = torch.randint(0, Xtr.shape[0], (spec["batch_size"],), generator=g)  # minibatch
        Xb, Yb = Xtr[ix], Ytr[ix]
        logits = model(Xb)  # forward
        loss = loss_fn(logits, Yb)
        track.keep_activation_grads(i)
        for p in params:  # backward
            p.grad = None
        loss.backward()
        lossv = loss.item()
        if not math.isfinite(lossv):
            diverged = _diverged(spec, i, lossv, logits, model, progress)
            break
        track.record_loss(i, lossv)
        lr = lr_at(spec, i)  # update
        with torch.no_grad():
            for p in params:
                p.add_(p.grad, alpha=-lr)
        track.record_update(i, lr)
        progress.update(i, lossv)
        saves.after_step(i, track)
    progress.close()
    return {"model": model, "history": track.history, "probes": track.probes, "diverged": diverged,
            "named2d": [n for n, _ in track.named2d], "train_seconds": saves.seconds(),
            "resumed_from_step": start, "engine": "simple"}


def _diverged(spec: dict, i: int, lossv: float, logits: torch.Tensor, model, progress: Progress) -> dict:
    """The divergence at step i, recorded; DivergenceError if the spec says stop."""
    d = divergence.at_step(i, lossv, logits, model)
    if spec["on_divergence"] == "stop":
        progress.close()
        raise DivergenceError(divergence.message(spec["name"], d) + divergence.ADVICE)
    return d


class Tracker:
    """What the loop records: log10 of each step's loss; for a deep net each weight's update:data
    ratio, log10(std(lr * grad) / std(data)), after the update; and the probes the figures
    histogram, at init (step 0) and after the last step (deep nets)."""

    def __init__(self, model, steps: int):
        self.model, self.steps = model, steps
        self.deep = isinstance(model, DeepMLP)
        self.named2d = [(n, p) for n, p in model.named_parameters() if p.ndim == 2]
        self.history = {"log10_loss": np.full(steps, np.nan, dtype=np.float32)}
        if self.deep:
            self.history["ud"] = np.full((steps, len(self.named2d)), np.nan, dtype=np.float32)
        self.probes: dict[str, np.ndarray] = {}

    def _probed(self, i: int) -> bool:
        return self.deep and (i == 0 or i == self.steps - 1)

    def keep_activation_grads(self, i: int) -> None:
        """Before the backward pass of a probed step: keep d loss / d activation for the histograms."""
        if self._probed(i):
            for _, layer in self.model.activation_layers():
                layer.out.retain_grad()

    def record_loss(self, i: int, lossv: float) -> None:
        """After the backward pass: the loss, and the activations and gradients of a probed step."""
        self.history["log10_loss"][i] = math.log10(lossv) if lossv > 0 else -math.inf
        if i == 0:
            (_probe_deep if self.deep else _probe_mlp)(self.model, "init", self.probes)
        if self._probed(i) and i == self.steps - 1 and i > 0:
            _probe_deep(self.model, "final", self.probes)

    def record_update(self, i: int, lr: float) -> None:
        """After the update: the update:data ratios, and the weights of a probed step."""
        if self.deep:
            with torch.no_grad():
                self.history["ud"][i] = [((lr * p.grad).std() / p.data.std()).log10().item()
                                         for _, p in self.named2d]
        if self._probed(i):
            _probe_weights(self.model, "init" if i == 0 else "final", self.probes)


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


class Checkpoints:
    """The loop's resumable states (resume.py) at `path`: saved after every `every`-th step and after
    the last one (kept until Snakemake accepts the run), valid only for this spec and this data.
    Also measures the training time, which a resumed run carries on from its state."""

    def __init__(self, spec: dict, data: Dataset, model, g: torch.Generator, path: Path | None, every: int):
        self.spec, self.model, self.g, self.path, self.every = spec, model, g, path, every
        self.key = resume.resume_key(spec, data.sha256)  # a state is only valid for this spec and this data
        self.seconds_before, self.t0 = 0.0, time.perf_counter()

    def resume(self, track: Tracker) -> int:
        """Load the saved state into the model, its generator and `track`; the step to start at."""
        state = resume.load_state(self.path, self.key) if self.path else None
        if state is not None:
            with torch.no_grad():
                for (name, p) in self.model.named_parameters():
                    p.copy_(state["params"][name])
            set_buffers(self.model, state["buffers"])
            self.g.set_state(state["generator"])
            track.history, track.probes, self.seconds_before = state["history"], state["probes"], state["train_seconds"]
            print(f"[{self.spec['name']}] resuming from step {state['step']} (checkpoint {self.path})",
                  file=sys.stderr, flush=True)
        self.t0 = time.perf_counter()
        return 0 if state is None else state["step"]

    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.t0

    def after_step(self, i: int, track: Tracker) -> None:
        if self.path and ((i + 1) % self.every == 0 or i + 1 == self.spec["steps"]):
            m = self.model
            resume.save_state(self.path, self.key, i + 1, generator=self.g.get_state(),
                              params=dict(m.named_parameters()), buffers=m.buffers(), history=track.history,
                              probes=track.probes, train_seconds=self.seconds())
