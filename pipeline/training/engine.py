"""The batched training engine: many Part A models of one architecture, trained at once.

The simple loop (loop.py) runs one model per process; a step of the Part A net is only
~2 MFLOP, so its time goes to per-operation overhead (autograd, Python, ~60 tensor ops).
Here the models of a group are stacked along a leading dimension M and every step is one
set of batched ops for all of them (`MLPStack`): a hand-written fused forward + backward
(about 20 tensor ops per step whatever M is; no autograd), parameters and gradients in one
flat buffer each, so the SGD update is a single op. (The deep nets of Part B train with the
simple loop: their runs are short, and a stacked autograd version measured slower.)

Each model keeps its own torch.Generator: it draws the init through the reference model
classes (nn/models.py, same order), then its minibatches exactly as the simple loop does
(`torch.randint(0, n, (batch,), generator=g)` per step; drawing a chunk of steps at once
gives the same numbers, the CPU sampler is sequential). So a model trained here sees the
init and minibatches it would see alone, and `tests/test_engine.py` holds its losses to the
simple loop's. The run directory is written by the same code as the simple loop
(`finish.finish_run`, through store.evaluate or jobs.train_many), so plots and the site cannot
tell which trained a run. Every op works on each model's own slice in the same way whatever M
is, so a model comes out with the same bits alone or in any stack (tests/test_trainings.py):
stacking is scheduling only.

Checkpoints (`checkpoint_every` > 0): a stack saves one resumable state (resume.save_state),
beside its first training's file (`results/train/<id>/.resume/state.pt`; the first run directory
with jobs.train_many): every model's parameters
and buffers, every generator's state, the loss history so far, probes and divergences, keyed
on all the stack's specs and the data checksum. Chunks of minibatches are cut at every
multiple of `checkpoint_every` as well as every CHUNK steps, so a stack checkpoints at
exactly the steps the simple loop does. Cutting a chunk changes no number (the draws are
sequential), so a resumed stack ends with exactly the numbers of an uninterrupted one.

Entry point: `train_group(specs, data, ...)`; jobs.train_stack saves the trainings, store.evaluate
writes the run directories.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.data import Dataset
from pipeline.nn.models import MLP, build_model
from pipeline.training import resume
from pipeline.training.divergence import first_nonfinite
from pipeline.training.groups import group_key
from pipeline.training.schedule import lr_at

CHUNK = 1000  # steps of minibatch indices drawn (and divergence checked) at a time


class _Flat:
    """Named blocks of shape (M, ...) living in one contiguous buffer (so one op updates all)."""

    def __init__(self, shapes: list[tuple[str, tuple]], M: int):
        self.names = [n for n, _ in shapes]
        sizes = [M * math.prod(s) for _, s in shapes]
        self.buf = torch.zeros(sum(sizes))
        self.views, off = {}, 0
        self.model_of = torch.empty(sum(sizes), dtype=torch.long)  # which model each element belongs to
        for (n, s), size in zip(shapes, sizes, strict=True):
            self.views[n] = self.buf[off:off + size].view(M, *s)
            self.model_of[off:off + size] = torch.arange(M).repeat_interleave(size // M)
            off += size


class MLPStack:
    """Part A nets stacked: C (M,V,E), W1 (M,F,H), [b1], W2 (M,H,V), b2 [, bngain, bnbias]."""

    def __init__(self, models: list[MLP], specs: list[dict]):
        m0 = models[0]
        self.M, self.B = len(models), specs[0]["batch_size"]
        self.V, self.E = m0.C.shape
        self.F, self.H = m0.W1.shape
        self.bn = bool(m0.bn)
        self.names = [n for n, _ in m0.named_parameters()]  # C, W1, [b1], W2, b2, [bngain, bnbias]
        shapes = [(n, tuple(p.shape[1:]) if n in ("bngain", "bnbias") else tuple(p.shape))
                  for n, p in m0.named_parameters()]
        self.P, self.G = _Flat(shapes, self.M), _Flat(shapes, self.M)
        for n in self.names:
            torch.stack([getattr(m, n).reshape(self.P.views[n].shape[1:]) for m in models],
                         out=self.P.views[n])
        self.p, self.g = self.P.views, self.G.views
        self.Cflat, self.gCflat = self.p["C"].view(-1, self.E), self.g["C"].view(-1, self.E)
        self.b1u = self.p["b1"].unsqueeze(1) if "b1" in self.p else None
        self.b2u = self.p["b2"].unsqueeze(1)
        if self.bn:
            self.gainu, self.biasu = self.p["bngain"].unsqueeze(1), self.p["bnbias"].unsqueeze(1)
            # running statistics (M,K,H): K sets per model, one per momentum it keeps (a shared
            # training keeps several; groups.py), a shorter list padded with its last momentum
            self.momenta = [m.momenta for m in models]
            K = max(len(ms) for ms in self.momenta)
            padded = [ms + ms[-1:] * (K - len(ms)) for ms in self.momenta]
            self.rmean = torch.zeros(self.M, K, self.H)
            self.rstd = torch.ones(self.M, K, self.H)
            self.mom = torch.tensor(padded, dtype=torch.float32).view(self.M, K, 1)
            self.keep = torch.tensor([[1 - m for m in ms] for ms in padded], dtype=torch.float32).view(self.M, K, 1)
        self.gout = torch.zeros(self.M, self.B, self.V)
        self.offsets = torch.arange(self.M).view(-1, 1, 1, 1) * self.V  # model m's rows of the flat C
        self.lr_key = None

    # ---- per step ----
    def set_lr(self, lrs: list[float]) -> None:
        """SGD step size per model; grads are left unscaled by 1/B, so it is folded in here."""
        if lrs == self.lr_key:
            return
        self.lr_key = lrs
        if len(set(lrs)) == 1:
            self.alpha, self.lrvec = -lrs[0] / self.B, None
        else:
            self.alpha, self.lrvec = None, (-torch.tensor(lrs) / self.B)[self.P.model_of]

    def step(self, idx: torch.Tensor, Y: torch.Tensor, nll_out: torch.Tensor, keep=None, capture=()):
        """One SGD step for every model: idx (M*B*block,) rows of the flat C, Y (M,B,1) targets.
        Writes the summed minibatch NLL per model into nll_out (M,)."""
        M, B, E, F_ = self.M, self.B, self.E, self.F
        p, g = self.p, self.g
        emb = self.Cflat.index_select(0, idx).view(M, B, F_)
        hpre = torch.bmm(emb, p["W1"])
        if self.b1u is not None:
            hpre.add_(self.b1u)
        if self.bn:
            mean = hpre.mean(1, keepdim=True)
            std = hpre.std(1, keepdim=True)  # unbiased, no eps: as the lecture's MLP
            xhat = (hpre - mean) / std
            hpre = torch.addcmul(self.biasu, self.gainu, xhat)
            self.rmean.mul_(self.keep).addcmul_(mean, self.mom)  # running = 0.999 running + 0.001 batch
            self.rstd.mul_(self.keep).addcmul_(std, self.mom)
        h = torch.tanh(hpre)
        logits = torch.bmm(h, p["W2"]).add_(self.b2u)
        logp = torch.log_softmax(logits, 2)
        torch.sum(logp.gather(2, Y), dim=(1, 2), out=nll_out)  # -B x loss
        if keep is not None:
            keep["hpreact"], keep["h"] = hpre.clone(), h.clone()
        # softmax - onehot = B x dloss/dlogits (the 1/B sits in the step size), by autograd's own kernel
        self.gout.zero_().scatter_(2, Y, -1.0)
        dl = torch.ops.aten._log_softmax_backward_data(self.gout, logp, 2, logp.dtype)
        torch.bmm(h.transpose(1, 2), dl, out=g["W2"])
        torch.sum(dl, 1, out=g["b2"])
        dh = torch.bmm(dl, p["W2"].transpose(1, 2))
        dhpre = torch.ops.aten.tanh_backward(dh, h)  # dh * (1 - h^2)
        if self.bn:
            torch.sum(dhpre * xhat, 1, out=g["bngain"])
            torch.sum(dhpre, 1, out=g["bnbias"])
            dxhat = dhpre * self.gainu
            # through (x - mean) / std with the unbiased std: sum(xhat^2) = B - 1
            proj = (dxhat * xhat).sum(1, keepdim=True) / (B - 1)
            dhpre = (dxhat - dxhat.mean(1, keepdim=True) - xhat * proj) / std
        else:
            torch.sum(dhpre, 1, out=g["b1"])
        torch.bmm(emb.transpose(1, 2), dhpre, out=g["W1"])
        demb = torch.bmm(dhpre, p["W1"].transpose(1, 2))
        g["C"].zero_()
        self.gCflat.index_add_(0, idx, demb.view(-1, E))
        for m in capture:  # a diverged model: its state before this step's update, as the simple loop leaves it
            capture[m] = self.state_of(m, logits=logits[m])
        if self.lrvec is None:
            self.P.buf.add_(self.G.buf, alpha=self.alpha)
        else:
            self.P.buf.addcmul_(self.G.buf, self.lrvec)

    # ---- state ----
    def snapshot(self):
        out = [self.P.buf.clone()]
        if self.bn:
            out += [self.rmean.clone(), self.rstd.clone()]
        return out

    def restore(self, snap) -> None:
        self.P.buf.copy_(snap[0])
        if self.bn:
            self.rmean.copy_(snap[1])
            self.rstd.copy_(snap[2])

    def state_of(self, m: int, logits=None) -> dict:
        params = {n: self.p[n][m].clone() for n in self.names}
        for n in ("bngain", "bnbias"):
            if n in params:
                params[n] = params[n].view(1, -1)
        bufs = {}
        if self.bn:
            ms = self.momenta[m]
            for k, mk in enumerate(ms):
                suffix = f"@{mk}" if len(ms) > 1 else ""
                bufs[f"bnmean_running{suffix}"] = self.rmean[m, k:k + 1].clone()
                bufs[f"bnstd_running{suffix}"] = self.rstd[m, k:k + 1].clone()
        grads = [(f"grad of {n}", self.g[n][m] / self.B) for n in self.names]
        bad = first_nonfinite([("logits", logits)] + list(params.items()) + grads) if logits is not None else None
        return {"params": params, "buffers": bufs, "first_nonfinite": bad}

    def load_into(self, model: MLP, state: dict) -> None:
        with torch.no_grad():
            for n, t in state["params"].items():
                getattr(model, n).copy_(t.view_as(getattr(model, n)))
        model.load_buffers({n: t.view(1, -1).clone() for n, t in state["buffers"].items()})


def _draw(gens: list[torch.Generator], n_rows: int, steps: int, batch: int) -> torch.Tensor:
    """Each model's next `steps` minibatches from its own generator: (M, steps, batch)."""
    return torch.stack([torch.randint(0, n_rows, (steps * batch,), generator=g).view(steps, batch) for g in gens])


def _chunks(start: int, steps: int, every: int):
    """(first step, length) of the chunks covering [start, steps): cut every CHUNK steps and,
    when checkpointing, at every multiple of `every` too (the steps a state is saved after)."""
    c0 = start
    while c0 < steps:
        end = min(steps, (c0 // CHUNK + 1) * CHUNK)
        if every:
            end = min(end, (c0 // every + 1) * every)
        yield c0, end - c0
        c0 = end


def train_group(specs: list[dict], data: Dataset, *, log=None, checkpoint_every: int = 0,
                state_path: str | Path | None = None) -> list[dict]:
    """Train models that share `group_key` as one stack. Returns per model: the trained
    reference model, history, probes, divergence and timing (what finish.finish_run writes).

    With `checkpoint_every` and `state_path`, the stack saves a resumable state there every
    `checkpoint_every` steps and resumes from it if it belongs to these specs and this data
    (the caller removes it once the run directories are written)."""
    assert len({group_key(s) for s in specs}) == 1, "train_group needs specs with one group_key"
    Xtr, Ytr = data.splits["train"]
    gens = [torch.Generator().manual_seed(s["seed"]) for s in specs]
    models = [build_model(s, len(data.vocab), data.block_size, g)  # the simple loop's init draws
              for s, g in zip(specs, gens, strict=True)]
    run = _StackRun(specs, MLPStack(models, specs), gens, log or sys.stderr)
    if not checkpoint_every:
        state_path = None
    key = resume.resume_key(specs, data.sha256)
    if state_path is not None:
        run.resume(Path(state_path), key)
    for c0, n in _chunks(run.start, run.steps, checkpoint_every):
        ix = _draw(gens, Xtr.shape[0], n, run.B)  # (M, n, B)
        X = (Xtr[ix] + run.stack.offsets).permute(1, 0, 2, 3).reshape(n, -1).contiguous()  # rows of the flat C
        Yc = Ytr[ix].permute(1, 0, 2).unsqueeze(-1).contiguous()  # (n, M, B, 1)
        snap = run.stack.snapshot()
        run.steps_of(c0, n, X, Yc)
        run.catch_divergences(c0, n, X, Yc, snap)
        end = c0 + n
        if state_path is not None and (end % checkpoint_every == 0 or end == run.steps):  # last one kept
            run.save(Path(state_path), key, end)
    return run.results(models)


class _StackRun:
    """A stack's training between chunks: the summed minibatch loss of every model at every step,
    the probes at init, the divergences (each with the model's state at its step), the timing."""

    def __init__(self, specs: list[dict], stack: MLPStack, gens: list[torch.Generator], log):
        self.specs, self.stack, self.gens, self.log = specs, stack, gens, log
        self.M, self.B, self.steps = len(specs), specs[0]["batch_size"], specs[0]["steps"]
        self.nll = torch.full((self.steps, self.M), math.nan)
        self.probes: list[dict] = [{} for _ in range(self.M)]
        self.diverged: dict[int, dict] = {}  # model -> {"step", "loss", "first_nonfinite", "state"}
        self.start, self.seconds_before = 0, 0.0
        self.every = max(1, self.steps // 20)  # steps between progress lines
        self.t0 = time.perf_counter()

    def resume(self, path: Path, key: str) -> None:
        saved = resume.load_state(path, key)
        if saved is not None:
            self.start, self.probes, self.diverged, self.seconds_before = (
                saved["step"], saved["probes"], saved["diverged"], saved["train_seconds"])
            for g, gs in zip(self.gens, saved["generators"], strict=True):
                g.set_state(gs)
            self.stack.restore(saved["stack"])
            self.nll[:self.start] = saved["nll"]
            print(f"[engine x{self.M}] resuming from step {self.start} (checkpoint {path})", file=self.log, flush=True)
        self.t0 = time.perf_counter()

    def seconds(self) -> float:
        return self.seconds_before + time.perf_counter() - self.t0

    def steps_of(self, c0: int, n: int, X: torch.Tensor, Yc: torch.Tensor, captures=None) -> None:
        """Steps c0 .. c0+n-1 of every model; `captures` {step: {model: None}} receives the state of
        each listed model at its step, before that step's update."""
        captures = captures or {}
        for s in range(n):
            i = c0 + s
            self.stack.set_lr([lr_at(sp, i) for sp in self.specs])
            keep = {} if i == 0 else None  # the probes at init (Part A looks at no other step)
            self.stack.step(X[s], Yc[s], self.nll[i], keep=keep, capture=captures.get(i, {}))
            if keep is not None:
                for m in range(self.M):
                    for k, t in keep.items():
                        self.probes[m][f"init.{k}"] = t[m].numpy().copy()
            if (i + 1) % self.every == 0 or i + 1 == self.steps:
                dt = time.perf_counter() - self.t0
                loss = (self.nll[i] / -self.B).tolist()
                print(f"[engine x{self.M}] step {i + 1:>7d}/{self.steps} loss " + " ".join(f"{v:.4f}" for v in loss)
                      + f" ({dt:.1f}s, {1e3 * dt / (i + 1 - self.start):.3f} ms/step for {self.M} models)",
                      file=self.log, flush=True)

    def catch_divergences(self, c0: int, n: int, X: torch.Tensor, Yc: torch.Tensor, snap) -> None:
        """Models whose loss turned non-finite in this chunk: replay the chunk from its start
        (`snap`) to catch each one's state at its step, and record the divergence."""
        bad = ~torch.isfinite(self.nll[c0:c0 + n])  # (n, M)
        new = {m: int(bad[:, m].nonzero()[0]) + c0 for m in range(self.M)
               if m not in self.diverged and bad[:, m].any()}
        if not new:
            return
        self.stack.restore(snap)
        captures: dict[int, dict[int, dict]] = {}
        for m, i in new.items():
            captures.setdefault(i, {})[m] = None
        self.steps_of(c0, n, X, Yc, captures)
        for i, caps in captures.items():
            for m, state in caps.items():
                lossv = float(self.nll[i, m] / -self.B)
                self.diverged[m] = {"step": i, "loss": lossv, "first_nonfinite": state.pop("first_nonfinite"),
                                    "state": state}
                print(f"[engine] {self.specs[m]['name']} diverged at step {i} (loss {lossv})", file=self.log,
                      flush=True)

    def save(self, path: Path, key: str, end: int) -> None:
        resume.save_state(path, key, end, generators=[g.get_state() for g in self.gens],
                          stack=self.stack.snapshot(), nll=self.nll[:end].clone(), probes=self.probes,
                          diverged=self.diverged, train_seconds=self.seconds())

    def results(self, models: list[MLP]) -> list[dict]:
        """Per model: the trained model (its state at its divergence, if any), history, probes."""
        seconds = self.seconds()
        loss = (self.nll / -self.B).numpy().astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            log10 = np.where(loss > 0, np.log10(loss), -np.inf)
        out = []
        for m, model in enumerate(models):
            d = self.diverged.get(m)
            self.stack.load_into(model, d["state"] if d else self.stack.state_of(m))
            hist = {"log10_loss": log10[:, m].astype(np.float32)}
            pr = self.probes[m]
            if d:  # the simple loop stops before recording the diverged step
                hist["log10_loss"][d["step"]:] = np.nan
                if d["step"] == 0:
                    pr = {}
            out.append({"model": model, "history": hist, "probes": pr, "named2d": stack_names2d(model),
                        "diverged": None if d is None else {k: d[k] for k in ("step", "loss", "first_nonfinite")},
                        "train_seconds": seconds / self.M, "resumed_from_step": self.start})
        return out


def stack_names2d(model) -> list[str]:
    return [n for n, p in model.named_parameters() if p.ndim == 2]
