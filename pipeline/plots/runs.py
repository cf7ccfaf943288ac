"""The figures of one run: numbers in, a matplotlib Figure and the legend's numbers out.
Drawn inside `style.use(variant)`; titles name the experiment by its config title."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from pipeline.analysis import diagnostics as dg
from pipeline.plots import style

LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1))]


def title(ax, spec: dict, what: str) -> None:
    ax.set_title(f"{spec['title']}: {what}", loc="left")


def first_steps(n: int) -> int:
    """How many of the first steps the zoomed panel of a loss curve shows."""
    return max(min(n, 20), min(1000, n // 10))


def shared_limits(probe_sets: list[dict], prefix: str, kind: str) -> tuple[tuple, tuple] | None:
    """(xlim, ylim) that hold the density lines of every run of a family: the figures of a family
    (the gains of one configuration) share their axes, so flipping between them compares like with like."""
    xs, ys = [], []
    for probes in probe_sets:
        for k, t in probes.items():
            if k.startswith(f"{prefix}.{kind}."):
                x, y = dg.histogram(t)
                xs += [x.min(), x.max()]
                ys.append(y.max())
    if not xs:
        return None
    pad = 0.03 * (max(xs) - min(xs) or 1.0)
    return (min(xs) - pad, max(xs) + pad), (0.0, max(ys) * 1.05)


def series_limits(series: list[np.ndarray]) -> tuple | None:
    """A y range that holds every finite value of every series (loss curves, update ratios)."""
    fin = [a[np.isfinite(a)] for a in series]
    fin = [a for a in fin if a.size]
    if not fin:
        return None
    lo, hi = min(a.min() for a in fin), max(a.max() for a in fin)
    pad = 0.04 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def apply(ax, xlim=None, ylim=None) -> None:
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)


# ---- Part A -------------------------------------------------------------------------------

def fig_loss_curve(log10_loss: np.ndarray, spec: dict, metrics: dict, ylim=None) -> tuple[plt.Figure, dict]:
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=style.wide(), gridspec_kw={"width_ratios": [2, 1]},
                                   layout="constrained")
    steps = np.arange(log10_loss.size)
    ax.plot(*style.decimate(steps, log10_loss), lw=0.6, alpha=0.4, color="C0", label="minibatch loss")
    window = max(1, min(1000, log10_loss.size // 50 or 1))
    x, y = dg.smooth(log10_loss, window)
    ax.plot(x, y, lw=2, color="C1", label=f"mean over {window} steps")
    uniform = math.log10(metrics["expected_initial_loss"])
    for a in (ax, zoom):
        a.axhline(uniform, color=style.fg(), ls=":", lw=1.2,
                  label=f"uniform guess: -ln(1/{metrics['vocab_size']}) = {metrics['expected_initial_loss']:.4f}"
                  if a is ax else None)
    if spec.get("lr_decay_step") is not None and spec["lr_decay_step"] < log10_loss.size:
        ax.axvline(spec["lr_decay_step"], color="C7", ls="--", lw=1.2, label="learning-rate decay")
    k = first_steps(log10_loss.size)
    zoom.plot(*style.decimate(steps[:k], log10_loss[:k]), lw=1, color="C0")
    zoom.set_title(f"the first {k} steps", loc="left")
    zoom.set_xlabel("training step")
    ax.set_xlabel("training step")
    ax.set_ylabel("log10(minibatch loss)")
    apply(ax, ylim=ylim)
    title(ax, spec, "training loss")
    style.legend(fig, ncol=2)
    legend = {"initial_loss": metrics["initial_loss"], "expected_initial_loss": metrics["expected_initial_loss"],
              "final_smoothed_log10_loss": float(y[-1]) if y.size else None, "smoothing_window": window,
              "train_loss": metrics["train_loss"], "val_loss": metrics["val_loss"]}
    return fig, legend


def fig_hist(values: np.ndarray, spec: dict, what: str, xlabel: str, saturation: bool) -> tuple[plt.Figure, dict]:
    fig, ax = plt.subplots(layout="constrained")
    stats = {"mean": float(values.mean()), "std": dg.std(values)}
    label = f"mean {stats['mean']:+.3f}, std {stats['std']:.3f}"
    if saturation:
        stats["saturated_pct"] = dg.percent_saturated(values, dg.DEAD_THRESHOLD)
        stats["threshold"] = dg.DEAD_THRESHOLD  # |h| above it counts as saturated
        label += f", {stats['saturated_pct']:.1f}% with |h| > {dg.DEAD_THRESHOLD}"
    ax.hist(values.ravel(), bins=50, color="C0", alpha=0.85, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count (first minibatch)")
    title(ax, spec, what)
    style.legend(ax)
    return fig, stats


def fig_saturation_map(h: np.ndarray, spec: dict) -> tuple[plt.Figure, dict]:
    sat = dg.saturation_map(h)
    dead = dg.dead_neurons(h)
    w, _ = plt.rcParams["figure.figsize"]
    fig, ax = plt.subplots(figsize=(w, w * 0.42), layout="constrained")
    ax.imshow(sat, cmap="gray", interpolation="nearest", aspect="auto", vmin=0, vmax=1)
    ax.grid(False)
    ax.set_xlabel(f"hidden neuron (white: |tanh| > {dg.DEAD_THRESHOLD})")
    ax.set_ylabel("example")
    pct = float(sat.mean() * 100)
    title(ax, spec, f"{pct:.1f}% saturated at init, {dead} dead neuron{'s' if dead != 1 else ''}")
    return fig, {"white_pct": pct, "dead_neurons": dead, "threshold": dg.DEAD_THRESHOLD,
                 "shape": list(sat.shape)}


# ---- Part B -------------------------------------------------------------------------------

def layer_label(key: str) -> str:
    return f"layer {key.rsplit('.', 1)[-1]}"


ACTIVATION_LABELS = {"tanh": "tanh", "none": "linear", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
                     "elu": "ELU", "sigmoid": "sigmoid"}


def layer_hists(ax, probes: dict, prefix: str, kind: str, activation: str, labels: str = "stats") -> dict:
    """One density line per hidden layer on `ax`; returns the legend's numbers. `labels`: "stats"
    (the layer and its numbers), "name" (the layer only) or "" (none)."""
    keys = sorted((k for k in probes if k.startswith(f"{prefix}.{kind}.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    legend = {}
    for j, k in enumerate(keys):
        t = probes[k]
        if kind == "act":  # saturation only for tanh/sigmoid, zero share only for ReLU
            s = dg.activation_summary(t, activation)
            lab = f"{layer_label(k)}: mean {s['mean']:+.2f}, std {s['std']:.2f}"
            if s["saturated_pct"] is not None:
                lab += f", saturated {s['saturated_pct']:.2f}%"
            if s["zero_pct"] is not None:
                lab += f", zero {s['zero_pct']:.1f}%"
            s = {key: v for key, v in s.items() if v is not None}
        else:
            s = dg.grad_stats(t)
            lab = f"{layer_label(k)}: mean {s['mean']:+.2e}, std {s['std']:.2e}"
        x, y = dg.histogram(t)
        ax.plot(x, y, ls=LINESTYLES[j % len(LINESTYLES)],
                label={"stats": lab, "name": layer_label(k)}.get(labels))
        legend[layer_label(k)] = s
    act = ACTIVATION_LABELS.get(activation, activation)
    ax.set_xlabel(f"{act} layer output" if kind == "act" else f"d loss / d ({act} layer output)")
    ax.set_ylabel("density")
    return legend


def fig_layer_hists(probes: dict, prefix: str, kind: str, spec: dict, when: str,
                    limits: tuple | None = None) -> tuple[plt.Figure, dict]:
    """kind 'act': activation distribution with saturation; 'actgrad': gradient distribution.
    `limits`: (xlim, ylim) shared with the other runs of the family."""
    fig, ax = plt.subplots(layout="constrained")
    legend = layer_hists(ax, probes, prefix, kind, spec["activation"])
    apply(ax, *(limits or ()))
    title(ax, spec, f"{'activations' if kind == 'act' else 'gradients'} {when}")
    style.legend(ax)
    return fig, legend


def weight_grads(ax, probes: dict, prefix: str, labels: str = "stats") -> dict:
    names = [k[len(f"{prefix}.wgrad."):] for k in probes if k.startswith(f"{prefix}.wgrad.")]
    legend = {}
    for j, n in enumerate(names):
        g, w = probes[f"{prefix}.wgrad.{n}"], probes[f"{prefix}.w.{n}"]
        s = dg.weight_grad_stats(g, w)
        x, y = dg.histogram(g)
        ax.plot(x, y, ls=LINESTYLES[j % len(LINESTYLES)],
                label={"stats": f"{n} {tuple(s['shape'])}: std {s['std']:.1e}, grad:data {s['grad_to_data']:.1e}",
                       "name": n}.get(labels))
        legend[n] = s
    ax.set_xlabel("d loss / d (weight entry)")
    ax.set_ylabel("density")
    return legend


def fig_weight_grads(probes: dict, prefix: str, spec: dict, when: str,
                     limits: tuple | None = None) -> tuple[plt.Figure, dict]:
    fig, ax = plt.subplots(layout="constrained")
    legend = weight_grads(ax, probes, prefix)
    apply(ax, *(limits or ()))
    title(ax, spec, f"weight gradients {when}")
    style.legend(ax)
    return fig, legend


def fig_update_ratios(ud: np.ndarray, names: list[str], spec: dict, ylim=None) -> tuple[plt.Figure, dict]:
    fig, ax = plt.subplots(layout="constrained")
    legend = {}
    steps = np.arange(ud.shape[0])
    for j, n in enumerate(names):
        col = ud[:, j]
        ax.plot(*style.decimate(steps, col), lw=1.2, label=n)
        fin = col[np.isfinite(col)]
        legend[n] = {"final_log10_ratio": float(fin[-1]) if fin.size else None,
                     "mean_log10_ratio_last_100": float(fin[-100:].mean()) if fin.size else None}
    ax.axhline(-3, color=style.fg(), ls="--", lw=1.2, label="1e-3: the rough guide")
    ax.set_xlabel("training step")
    ax.set_ylabel("log10(std(lr·grad) / std(data))")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    apply(ax, ylim=ylim)
    title(ax, spec, "update:data ratio")
    style.legend(ax, ncol=4)
    return fig, legend


def fig_diverged(spec: dict, metrics: dict, what: str) -> tuple[plt.Figure, dict]:
    d = metrics["diverged"]
    fig, ax = plt.subplots(layout="constrained")
    ax.axis("off")
    ax.text(0.5, 0.5, f"diverged at step {d['step']}: loss {d['loss']}\nfirst non-finite tensor: "
            f"{d['first_nonfinite']}\n(no final state to plot)", ha="center", va="center")
    title(ax, spec, what)
    return fig, {"diverged": d}
