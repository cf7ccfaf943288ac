"""The batched training engine: many independent models of one architecture, trained at once.

The simple loop (train.py) runs one model per process; a step of the Part A net is only
~2 MFLOP, so its time goes to per-operation overhead (autograd, Python, ~60 tensor ops).
Here the models of a group are stacked along a leading dimension M and every step is one
set of batched ops for all of them:

- Part A (`MLPStack`): a hand-written fused forward + backward (about 20 tensor ops per
  step whatever M is; no autograd), parameters and gradients in one flat buffer each, so
  the SGD update is a single op;
- Part B (`DeepStack`): the stacked forward with autograd (the deep runs are short);
  update:data ratios for all models in one pass per parameter.

Each model keeps its own torch.Generator: it draws the init through the reference model
classes (models.py, same order), then its minibatches exactly as the simple loop does
(`torch.randint(0, n, (batch,), generator=g)` per step; drawing a chunk of steps at once
gives the same numbers, the CPU sampler is sequential). So a model trained here sees the
init and minibatches it would see alone, and `tests/test_engine.py` holds its losses to the
simple loop's. The run directory is written by the same code as the simple loop
(`train.finish_run`), so plots and the site cannot tell which trained a run.

Checkpoints (`checkpoint_every` > 0): a stack saves one resumable state, in the run directory
of its first model (`<run>/.resume/state.pt`, with the simple loop's helpers, train.py):
every model's parameters and buffers, every generator's state, the loss (and update:data)
history so far, probes and divergences, keyed on all the stack's specs and the data checksum.
Chunks of minibatches are cut at every multiple of `checkpoint_every` as well as every
CHUNK steps, so a stack checkpoints at exactly the steps the simple loop does (no rounding;
a very small `checkpoint_every` only means shorter chunks and more saves). Cutting a chunk
changes no number (the draws are sequential), so a resumed stack ends with exactly the
numbers of an uninterrupted one. The state is removed once every run directory is written.

Entry point: `train_many(specs, data, out_dirs, threads=..., checkpoint_every=...)`.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.data import Dataset, load_dataset
from pipeline.nn.layers import Activation, BatchNorm1d, LayerNorm, Linear
from pipeline.nn.models import MLP, DeepMLP, build_model
from pipeline.training.groups import group_key, group_specs
from pipeline.training.loop import first_nonfinite, lr_at

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
            self.rmean = torch.cat([m.bnmean_running for m in models]).unsqueeze(1)  # (M,1,H)
            self.rstd = torch.cat([m.bnstd_running for m in models]).unsqueeze(1)
            mom = torch.tensor([s["batchnorm"]["momentum"] for s in specs]).view(-1, 1, 1)
            self.mom, self.keep = mom, torch.tensor([1 - s["batchnorm"]["momentum"] for s in specs]).view(-1, 1, 1)
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
        bufs = {"bnmean_running": self.rmean[m].clone(), "bnstd_running": self.rstd[m].clone()} if self.bn else {}
        grads = [(f"grad of {n}", self.g[n][m] / self.B) for n in self.names]
        bad = first_nonfinite([("logits", logits)] + list(params.items()) + grads) if logits is not None else None
        return {"params": params, "buffers": bufs, "first_nonfinite": bad}

    def load_into(self, model: MLP, state: dict) -> None:
        with torch.no_grad():
            for n, t in state["params"].items():
                getattr(model, n).copy_(t.view_as(getattr(model, n)))
        for n, t in state["buffers"].items():
            setattr(model, n, t.view(1, -1).clone())


class DeepStack:
    """Part B nets stacked: the layer list of models.DeepMLP, each tensor with a leading M."""

    def __init__(self, models: list[DeepMLP], specs: list[dict]):
        m0 = models[0]
        self.M, self.B = len(models), specs[0]["batch_size"]
        self.V, self.E = m0.C.shape
        self.kinds = [type(layer) for layer in m0.layers]
        self.acts = {i: layer for i, layer in enumerate(m0.layers) if isinstance(layer, Activation)}
        self.names = [n for n, _ in m0.named_parameters()]
        self.params = {n: torch.stack([dict(m.named_parameters())[n] for m in models]).requires_grad_(True)
                       for n in self.names}
        self.names2d = [n for n in self.names if self.params[n].ndim == 3]
        self.bufs = {k: torch.stack([m.buffers()[k] for m in models]) for k in m0.buffers()}
        col = lambda key: torch.tensor([float(s[key]) for s in specs]).view(-1, 1, 1)  # noqa: E731
        self.eps, self.mom = col("bn_eps"), col("bn_momentum")
        self.ln_eps = {i: layer.eps for i, layer in enumerate(m0.layers) if isinstance(layer, LayerNorm)}
        self.offsets = torch.arange(self.M).view(-1, 1, 1, 1) * self.V
        self.lrs = None

    def set_lr(self, lrs: list[float]) -> None:
        if lrs != getattr(self, "lr_key", None):
            self.lr_key = lrs
            self.lrs = torch.tensor(lrs).view(-1, 1, 1)

    def forward(self, idx: torch.Tensor, track: bool = True) -> tuple[torch.Tensor, dict]:
        p = self.params
        x = p["C"].view(-1, self.E).index_select(0, idx).view(self.M, self.B, -1)
        outs = {}
        for i, kind in enumerate(self.kinds):
            if kind is Linear:
                w, b = p[f"{i}.Linear.weight"], p.get(f"{i}.Linear.bias")
                x = torch.bmm(x, w) if b is None else torch.baddbmm(b.unsqueeze(1), x, w)
            elif kind is BatchNorm1d:
                mean = x.mean(1, keepdim=True)
                var = x.var(1, keepdim=True)  # unbiased, as the lecture's BatchNorm1d
                xhat = (x - mean) / torch.sqrt(var + self.eps)
                x = p[f"{i}.BatchNorm1d.gamma"].unsqueeze(1) * xhat + p[f"{i}.BatchNorm1d.beta"].unsqueeze(1)
                if track:
                    with torch.no_grad():
                        rm, rv = self.bufs[f"{i}.running_mean"], self.bufs[f"{i}.running_var"]
                        m = self.mom.view(-1, 1)
                        rm.copy_((1 - m) * rm + m * mean.squeeze(1))
                        rv.copy_((1 - m) * rv + m * var.squeeze(1))
            elif kind is LayerNorm:
                mean = x.mean(2, keepdim=True)
                var = x.var(2, keepdim=True, unbiased=False)
                x = (p[f"{i}.LayerNorm.gamma"].unsqueeze(1) * (x - mean) / torch.sqrt(var + self.ln_eps[i])
                     + p[f"{i}.LayerNorm.beta"].unsqueeze(1))
            else:
                x = self.acts[i].fn(x)
                outs[i] = x
        return x, outs

    def step(self, idx, Y, nll_out, keep=None, capture=(), ud_out=None):
        logits, outs = self.forward(idx)
        if keep is not None:
            for t in outs.values():
                t.retain_grad()  # d loss / d activation, for the histograms
        nll = F.cross_entropy(logits.reshape(-1, self.V), Y.reshape(-1), reduction="none").view(self.M, self.B)
        loss = nll.mean(1)
        for t in self.params.values():
            t.grad = None
        loss.sum().backward()  # the models are independent: each gets its own loss's gradient
        with torch.no_grad():
            torch.sum(nll, 1, out=nll_out).neg_()  # the same convention as MLPStack: -B x loss
            if keep is not None:
                for i, t in outs.items():
                    keep[f"act.{i}"], keep[f"actgrad.{i}"] = t.detach().clone(), t.grad.clone()
                for n in self.names2d:
                    keep[f"wgrad.{n}"] = self.params[n].grad.clone()
            for m in capture:
                capture[m] = self.state_of(m, logits=logits[m].detach())
            for n in self.names:
                t = self.params[n]
                lr = self.lrs.view(-1, *([1] * (t.ndim - 1)))
                t.sub_(lr * t.grad)
            if keep is not None:  # grad:data reads the data after this step's update, as the lecture does
                for n in self.names2d:
                    keep[f"w.{n}"] = self.params[n].detach().clone()
            if ud_out is not None:  # log10(std(lr * grad) / std(data)), after the update, as train.py
                lr = self.lrs.view(-1, 1, 1)
                cols = [(lr * self.params[n].grad).flatten(1).std(1) / self.params[n].flatten(1).std(1)
                        for n in self.names2d]
                ud_out.copy_(torch.stack(cols, 1).log10())

    def snapshot(self):
        return ({n: t.detach().clone() for n, t in self.params.items()},
                {k: t.clone() for k, t in self.bufs.items()})

    def restore(self, snap) -> None:
        with torch.no_grad():
            for n, t in snap[0].items():
                self.params[n].copy_(t)
            for k, t in snap[1].items():
                self.bufs[k].copy_(t)

    def state_of(self, m: int, logits=None) -> dict:
        params = {n: self.params[n][m].detach().clone() for n in self.names}
        grads = [(f"grad of {n}", None if self.params[n].grad is None else self.params[n].grad[m])
                 for n in self.names]
        bad = first_nonfinite([("logits", logits)] + list(params.items()) + grads) if logits is not None else None
        return {"params": params, "buffers": {k: t[m].clone() for k, t in self.bufs.items()},
                "first_nonfinite": bad}

    def load_into(self, model: DeepMLP, state: dict) -> None:
        with torch.no_grad():
            for (n, t) in model.named_parameters():
                t.copy_(state["params"][n])
        model.load_buffers({k: t.clone() for k, t in state["buffers"].items()})


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
    reference model, history, probes, divergence and timing (what train.finish_run writes).

    With `checkpoint_every` and `state_path`, the stack saves a resumable state there every
    `checkpoint_every` steps and resumes from it if it belongs to these specs and this data
    (the caller removes it once the run directories are written)."""
    from pipeline.training.loop import load_state, resume_key, save_state
    assert len({group_key(s) for s in specs}) == 1, "train_group needs specs with one group_key"
    log = log or sys.stderr
    Xtr, Ytr = data.splits["train"]
    V, bs = len(data.vocab), data.block_size
    gens = [torch.Generator().manual_seed(s["seed"]) for s in specs]
    models = [build_model(s, V, bs, g) for s, g in zip(specs, gens, strict=True)]  # same init draws
    deep = isinstance(models[0], DeepMLP)
    stack = (DeepStack if deep else MLPStack)(models, specs)
    M, B, steps = len(specs), specs[0]["batch_size"], specs[0]["steps"]
    nll = torch.full((steps, M), math.nan)
    ud = torch.full((steps, M, len(stack.names2d)), math.nan) if deep else None
    probes: list[dict] = [{} for _ in range(M)]
    diverged: dict[int, dict] = {}  # model -> {"step", "loss", "first_nonfinite", state}
    start, seconds_before = 0, 0.0
    if not checkpoint_every:
        state_path = None
    key = resume_key(specs, data.sha256)
    saved = load_state(Path(state_path), key) if state_path is not None else None
    if saved is not None:
        start, probes, diverged, seconds_before = (saved["step"], saved["probes"], saved["diverged"],
                                                   saved["train_seconds"])
        for g, gs in zip(gens, saved["generators"], strict=True):
            g.set_state(gs)
        stack.restore(saved["stack"])
        nll[:start] = saved["nll"]
        if deep:
            ud[:start] = saved["ud"]
        print(f"[engine x{M}] resuming from step {start} (checkpoint {state_path})", file=log, flush=True)
    t0 = time.perf_counter()
    every = max(1, steps // 20)

    def run(c0: int, n: int, X: torch.Tensor, Yc: torch.Tensor, captures: dict[int, dict[int, dict]]):
        for s in range(n):
            i = c0 + s
            stack.set_lr([lr_at(sp, i) for sp in specs])
            keep = {} if (i == 0 or (deep and i == steps - 1)) else None
            kw = {"ud_out": ud[i]} if deep else {}
            stack.step(X[s], Yc[s], nll[i], keep=keep, capture=captures.get(i, {}), **kw)
            if keep is not None:
                tag = "init" if i == 0 else "final"
                for m in range(M):
                    for k, t in keep.items():
                        probes[m][f"{tag}.{k}"] = t[m].numpy().copy()
            if (i + 1) % every == 0 or i + 1 == steps:
                dt = time.perf_counter() - t0
                loss = (nll[i] / -B).tolist()
                print(f"[engine x{M}] step {i + 1:>7d}/{steps} loss " + " ".join(f"{v:.4f}" for v in loss)
                      + f" ({dt:.1f}s, {1e3 * dt / (i + 1 - start):.3f} ms/step for {M} models)",
                      file=log, flush=True)

    for c0, n in _chunks(start, steps, checkpoint_every):
        ix = _draw(gens, Xtr.shape[0], n, B)  # (M, n, B)
        X = (Xtr[ix] + stack.offsets).permute(1, 0, 2, 3).reshape(n, -1).contiguous()  # rows of the flat C
        Yc = Ytr[ix].permute(1, 0, 2).unsqueeze(-1).contiguous()  # (n, M, B, 1)
        snap = stack.snapshot()
        run(c0, n, X, Yc, {})
        bad = ~torch.isfinite(nll[c0:c0 + n])  # (n, M)
        new = {m: int(bad[:, m].nonzero()[0]) + c0 for m in range(M) if m not in diverged and bad[:, m].any()}
        if new:  # replay the chunk from its start to catch each diverged model's state at its step
            stack.restore(snap)
            captures: dict[int, dict[int, dict]] = {}
            for m, i in new.items():
                captures.setdefault(i, {})[m] = None
            run(c0, n, X, Yc, captures)
            for i, caps in captures.items():
                for m, state in caps.items():
                    lossv = float(nll[i, m] / -B)
                    diverged[m] = {"step": i, "loss": lossv, "first_nonfinite": state.pop("first_nonfinite"),
                                   "state": state}
                    print(f"[engine] {specs[m]['name']} diverged at step {i} (loss {lossv})", file=log, flush=True)
        end = c0 + n
        if state_path is not None and end % checkpoint_every == 0 and end < steps:
            save_state(Path(state_path), key, end, generators=[g.get_state() for g in gens],
                       stack=stack.snapshot(), nll=nll[:end].clone(), ud=None if ud is None else ud[:end].clone(),
                       probes=probes, diverged=diverged, train_seconds=seconds_before + time.perf_counter() - t0)
    seconds = seconds_before + time.perf_counter() - t0

    loss = (nll / -B).numpy().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log10 = np.where(loss > 0, np.log10(loss), -np.inf)
    out = []
    for m, model in enumerate(models):
        d = diverged.get(m)
        state = d["state"] if d else stack.state_of(m)
        stack.load_into(model, state)
        hist = {"log10_loss": log10[:, m].astype(np.float32)}
        if deep:
            hist["ud"] = ud[:, m].numpy().astype(np.float32)
        pr = probes[m]
        if d:  # the simple loop stops before recording the diverged step
            hist["log10_loss"][d["step"]:] = np.nan
            if deep:
                hist["ud"][d["step"]:] = np.nan
            if d["step"] == 0:
                pr = {}
            pr = {k: v for k, v in pr.items() if not k.startswith("final.")}
        out.append({"model": model, "history": hist, "probes": pr, "named2d": stack_names2d(model),
                    "diverged": None if d is None else {k: d[k] for k in ("step", "loss", "first_nonfinite")},
                    "train_seconds": seconds / M, "resumed_from_step": start})
    return out


def stack_names2d(model) -> list[str]:
    return [n for n, p in model.named_parameters() if p.ndim == 2]


def train_many(specs: list[dict], data: Dataset | str | Path, out_dirs: list[str | Path], *, threads: int = 1,
               log=None, deep: str = "simple", checkpoint_every: int = 0) -> list[dict]:
    """Train every spec (grouped by architecture, each group as one stack) and write one run
    directory per spec, exactly as train.train would. Returns the metrics, in `specs` order.

    A model that diverges with on_divergence 'stop' does not stop the others: they finish and
    are written, then DivergenceError is raised naming every stopped model.

    deep="simple" trains Part B nets with the simple loop one after another: the stacked deep
    path (DeepStack, autograd over the stack) is exact but measured slower than the simple
    loop on this machine (benchmarks/pipeline_estimate.py); deep="stacked" uses it.

    checkpoint_every > 0: each stack saves a resumable state every so many steps, in its first
    model's run directory (see the module docstring); with deep="simple" each deep net does, as
    train.train does. A rerun of the same call resumes and ends with exactly the same numbers."""
    from pipeline.training.loop import DivergenceError, drop_state, finish_run, train
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
        if specs[idx[0]]["kind"] == "deep" and deep == "simple":
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
        drop_state(state_path)  # every run directory of the stack is written: the state is done
    if stopped:
        raise DivergenceError("; ".join(stopped) + ". Lower lr or the init scales.")
    return metrics
