"""The training loop, as the lecture writes it, and the run directory it fills.

One generator draws the initial parameters and then every minibatch; plain SGD with
a step decay. A run directory holds:

  config.json     the resolved experiment spec (+ its hash)
  metrics.json    losses, parameter count, steps, seed, timings, versions, data sha256
  history.npz     log10 minibatch loss per step; for deep nets the update:data ratios
  probes.npz      the tensors the figures histogram (at init, and after the last step)
  samples.txt     names sampled from the trained model
  checkpoint.pt   the trained parameters and buffers

Every file is written atomically. Long runs save a resumable state every
`checkpoint_every` steps (in .resume/, removed once the run completes): a resumed run
ends with exactly the numbers of an uninterrupted one on CPU.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.analysis import diagnostics as dg
from pipeline.config import spec_hash
from pipeline.data import Dataset, load_dataset
from pipeline.errors import DivergenceError  # noqa: F401  (re-exported)
from pipeline.io import atomic_path, write_json, write_npz, write_text
from pipeline.nn.models import MLP, DeepMLP, build_model, loss_fn, set_buffers


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


@torch.no_grad()
def split_loss(model, X: torch.Tensor, Y: torch.Tensor) -> float:
    model.eval()
    loss = loss_fn(model(X), Y).item()
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


def save_state(path: Path, key: str, step: int, **state) -> None:
    """A resumable state: `step` steps done, everything the loop carries to the next one.
    Written atomically, so a kill leaves the previous state or this one, never half of one.
    Shared by the simple loop and the batched engine (engine.py)."""
    with atomic_path(path) as tmp:
        torch.save({"spec_hash": key, "step": step, **state}, tmp)


def load_state(path: Path, key: str) -> dict | None:
    """The state at `path` if it was saved under `key`; None (saying why) otherwise."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, weights_only=False)
    except Exception as e:  # a torn file from a kill cannot happen (atomic), but be safe
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
    if path.parent.is_dir():
        for stray in path.parent.glob(f".{path.name}.*.tmp"):
            stray.unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:  # something else lives there: leave it
            pass


def _save_state(path: Path, model, step: int, g: torch.Generator, history: dict, probes: dict,
                key: str, train_seconds: float) -> None:
    save_state(path, key, step, generator=g.get_state(), params=dict(model.named_parameters()),
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
    state_path = out_dir / ".resume" / "state.pt"
    start, train_seconds = 0, 0.0
    key = resume_key(spec, data.sha256)  # a state is only valid for this spec and this data
    state = _load_state(state_path, model, g, key) if checkpoint_every else None
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
        if checkpoint_every and (i + 1) % checkpoint_every == 0 and i + 1 < steps:
            _save_state(state_path, model, i + 1, g, history, probes, key,
                        train_seconds + time.perf_counter() - t_loop)
    progress.close()
    train_seconds += time.perf_counter() - t_loop

    return finish_run(spec, data, out_dir, model, history=history, probes=probes, diverged=diverged,
                      named2d=[n for n, _ in named2d], train_seconds=train_seconds, threads=threads, engine="simple",
                      t_start=t_start, start=start, state_path=state_path)


def finish_run(spec: dict, data: Dataset, out_dir: str | Path, model, *, history: dict, probes: dict,
               diverged: dict | None, named2d: list[str], train_seconds: float, threads: int, t_start: float,
               engine: str, start: int = 0, state_path: Path | None = None) -> dict:
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
    with atomic_path(out_dir / "checkpoint.pt") as tmp:
        torch.save({"spec": spec, "params": dict(model.named_parameters()), "buffers": model.buffers(),
                    "itos": data.vocab.itos}, tmp)
    metrics["wall_seconds"] = round(time.perf_counter() - t_start, 3)
    write_json(out_dir / "metrics.json", metrics)  # last: its presence means the run is complete
    if state_path is not None:
        drop_state(state_path)
    return metrics
