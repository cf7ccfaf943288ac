"""Figures across runs (Part A's overlay and initial losses) and Part C's demonstrations."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from pipeline.analysis import diagnostics as dg
from pipeline.plots import style
from pipeline.plots.runs import LINESTYLES, first_steps


def fig_loss_overlay(runs: list) -> tuple[plt.Figure, dict]:
    """Every Part A loss curve, smoothed; the middle panel zooms on the first steps (raw), the
    right one on the second half, where the variants separate by a few hundredths."""
    fig, (ax, early, late) = plt.subplots(1, 3, figsize=style.wide(4.2), layout="constrained",
                                          gridspec_kw={"width_ratios": [3, 2, 2]})
    legend = {}
    for j, (spec, metrics, history, _) in enumerate(runs):
        loss = history["log10_loss"]
        window = max(1, min(1000, loss.size // 50 or 1))
        x, y = dg.smooth(loss, window)
        val = metrics["val_loss"]
        kw = {"lw": 1.6, "ls": LINESTYLES[j % len(LINESTYLES)], "color": f"C{j}"}
        ax.plot(x, y, label=f"{spec.get('title') or spec['name']}: val {val:.4f}", **kw)
        k = first_steps(loss.size)
        early.plot(*style.decimate(np.arange(k), loss[:k], 400), **(kw | {"lw": 1.0}))
        half = x >= x[-1] / 2
        late.plot(x[half], y[half], **kw)
        legend[spec["name"]] = {"val_loss": val, "train_loss": metrics["train_loss"],
                                "final_smoothed_log10_loss": float(y[-1]), "smoothing_window": window}
    ax.set_xlabel("training step")
    ax.set_ylabel("log10(minibatch loss)")
    ax.set_title("Part A: training loss, smoothed", loc="left")
    early.set_xlabel("training step")
    early.set_title(f"first {first_steps(runs[0][2]['log10_loss'].size)} steps", loc="left")
    late.set_xlabel("training step")
    late.set_title("second half", loc="left")
    style.legend(fig, ncol=3)
    return fig, legend


def fig_initial_loss(runs: list) -> tuple[plt.Figure, dict]:
    """Initial loss against the loss of a uniform prediction."""
    fig, ax = plt.subplots(layout="constrained")
    names = [spec["name"] for spec, *_ in runs]
    labels = [spec.get("title") or spec["name"] for spec, *_ in runs]
    init = [m["initial_loss"] for _, m, *_ in runs]
    expected = runs[0][1]["expected_initial_loss"]
    y = np.arange(len(names))[::-1]
    bars = ax.barh(y, init, color=["C3" if v > 2 * expected else "C0" for v in init])
    ax.bar_label(bars, fmt="%.2f", padding=3)
    ax.axvline(expected, color=style.fg(), ls="--", lw=1.2,
               label=f"uniform guess: -ln(1/{runs[0][1]['vocab_size']}) = {expected:.4f}")
    ax.set_yticks(y, labels)
    ax.set_xlim(0, max(init) * 1.15)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("loss at step 0")
    ax.set_title("Part A: initial loss against a uniform guess", loc="left")
    style.legend(ax)
    return fig, {"expected_initial_loss": expected, "initial_loss": dict(zip(names, init, strict=True))}


def fig_linear_stats(d: dict) -> tuple[plt.Figure, dict]:
    fig, axes = plt.subplots(1, 3, figsize=style.wide(3.9), layout="constrained", sharey=False)
    for ax, case in zip(axes, d["cases"], strict=True):
        x, y = np.array(case["x_hist"]["centres"]), np.array(case["x_hist"]["density"])
        ax.plot(x, y, label=f"input x: std {case['x_std']:.2f}")
        x, y = np.array(case["y_hist"]["centres"]), np.array(case["y_hist"]["density"])
        ax.plot(x, y, ls="--", label=f"output: std {case['y_std']:.2f}")
        ax.set_title(case["label"], loc="left", fontsize=plt.rcParams["xtick.labelsize"])
        ax.set_xlabel("value")
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.25), frameon=False, borderaxespad=0)
    axes[0].set_ylabel("density")
    fig.suptitle(f"{d['title']} (fan_in {d['n']}; backward: grad std {d['cases'][0]['grad_std']:.1f} "
                 f"-> {d['cases'][1]['grad_std']:.2f} with 1/sqrt(fan_in))")
    legend = {k: v for k, v in d.items() if k != "cases"} | {
        "cases": [{k: v for k, v in c.items() if not k.endswith("_hist")} for c in d["cases"]]}
    return fig, legend


def fig_batchnorm_demo(d: dict) -> tuple[plt.Figure, dict]:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=style.wide(4.2), layout="constrained")
    sweep = np.array(d["sweep"])
    ax1.plot(sweep, d["mean"], label="batch mean", lw=2)
    ax1.plot(sweep, d["std"], label="batch std", lw=2, ls="--")
    ax1.set_xlabel(f"value of input {d['moved_index']}")
    ax1.set_ylabel("batch statistic")
    ax1.set_title("moving one input moves the batch statistics", loc="left")
    ax1.legend(loc="upper left", bbox_to_anchor=(0, -0.2), frameon=False, borderaxespad=0)
    out = np.array(d["normalised"])
    for j in range(out.shape[1]):
        lab = f"input {j}" + (" (moved)" if j == d["moved_index"] else f" = {d['values'][j]:+.2f}")
        ax2.plot(sweep, out[:, j], lw=2.5 if j == d["moved_index"] else 1.2, label=lab,
                 ls=LINESTYLES[j % len(LINESTYLES)])
    for a in (ax1, ax2):
        a.axvline(d["values"][d["moved_index"]], color="C7", ls=":", lw=1.2)
    ax2.set_xlabel(f"value of input {d['moved_index']} (dotted: its value in the batch)")
    ax2.set_ylabel("(x - mean) / std")
    ax2.set_title("...and so every normalised output", loc="left")
    ax2.legend(loc="upper left", bbox_to_anchor=(0, -0.2), frameon=False, borderaxespad=0, ncol=2)
    fig.suptitle(d["title"])
    return fig, {"values": d["values"], "moved_index": d["moved_index"], "at_original": d["at_original"]}
