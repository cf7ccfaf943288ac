"""One function per figure kind: numbers in, a matplotlib Figure out.

`render_*` functions read a run directory and save every figure of that experiment as
PNG (150 dpi) and SVG under figures/<experiment>/<figure>.{png,svg}, with the numbers
of its legend written beside it as <figure>.json. Saving is byte-reproducible: fixed
SVG hash salt, no dates in the metadata.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pipeline.analysis import diagnostics as dg  # noqa: E402
from pipeline.io import atomic_path, read_json, read_npz, write_json  # noqa: E402

DPI = 150
plt.rcParams.update({
    "svg.hashsalt": "makemore-bn",  # stable ids in SVG output
    "figure.figsize": (8, 4.5),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.fontsize": 8,
    "legend.framealpha": 0.85,
})

# the figures each kind of experiment produces: the Snakefile asks for exactly these
FIGURES = {
    "mlp": ["loss_curve", "hpreact_hist", "tanh_hist", "saturation_map"],
    "deep": ["loss_curve", "activations_init", "gradients_init", "weight_gradients_init",
             "activations_final", "gradients_final", "weight_gradients_final", "update_ratios"],
}
SUMMARY_FIGURES = ["loss_overlay", "initial_loss"]  # across Part A, in figures/part_a/
DEMO_FIGURES = ("linear_stats", "batchnorm_demo")  # one figure each, named as the demo
FORMATS = ("png", "svg")


def save(fig: plt.Figure, out_dir: str | Path, name: str, legend: dict) -> None:
    """Write <name>.png, <name>.svg and <name>.json (the legend's numbers), atomically."""
    out_dir = Path(out_dir)
    for ext in FORMATS:
        with atomic_path(out_dir / f"{name}.{ext}") as tmp:
            meta = {"Date": None} if ext == "svg" else {}
            fig.savefig(tmp, format=ext, dpi=DPI, bbox_inches="tight", metadata=meta)
    write_json(out_dir / f"{name}.json", legend)
    plt.close(fig)


def _title(ax, spec: dict, what: str) -> None:
    ax.set_title(f"{spec['title']} ({spec['name']}): {what}")


# ---- Part A -------------------------------------------------------------------------------

def fig_loss_curve(log10_loss: np.ndarray, spec: dict, metrics: dict) -> tuple[plt.Figure, dict]:
    fig, ax = plt.subplots()
    steps = np.arange(log10_loss.size)
    ax.plot(steps, log10_loss, lw=0.3, alpha=0.35, color="C0", label="minibatch loss")
    window = max(1, min(1000, log10_loss.size // 50 or 1))
    x, y = dg.smooth(log10_loss, window)
    ax.plot(x, y, lw=1.8, color="C1", label=f"mean over {window} steps")
    ax.axhline(math.log10(metrics["expected_initial_loss"]), color="k", ls=":", lw=1,
               label=f"-ln(1/{metrics['vocab_size']}) = {metrics['expected_initial_loss']:.4f}")
    if spec.get("lr_decay_step") is not None and spec["lr_decay_step"] < log10_loss.size:
        ax.axvline(spec["lr_decay_step"], color="grey", ls="--", lw=1, label="learning-rate decay")
    ax.set_xlabel("training step")
    ax.set_ylabel("log10(minibatch loss)")
    _title(ax, spec, "training loss")
    ax.legend(loc="upper right")
    legend = {"initial_loss": metrics["initial_loss"], "expected_initial_loss": metrics["expected_initial_loss"],
              "final_smoothed_log10_loss": float(y[-1]) if y.size else None, "smoothing_window": window,
              "train_loss": metrics["train_loss"], "val_loss": metrics["val_loss"]}
    return fig, legend


def fig_hist(values: np.ndarray, spec: dict, what: str, xlabel: str, saturation: bool) -> tuple[plt.Figure, dict]:
    fig, ax = plt.subplots()
    stats = {"mean": float(values.mean()), "std": dg.std(values)}
    label = f"mean {stats['mean']:+.3f}, std {stats['std']:.3f}"
    if saturation:
        stats["saturated_pct"] = dg.percent_saturated(values, dg.DEAD_THRESHOLD)
        label += f", {stats['saturated_pct']:.1f}% with |h| > {dg.DEAD_THRESHOLD}"
    ax.hist(values.ravel(), bins=50, color="C0", alpha=0.8, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count (one minibatch at init)")
    _title(ax, spec, what)
    ax.legend(loc="upper right")
    return fig, stats


def fig_saturation_map(h: np.ndarray, spec: dict) -> tuple[plt.Figure, dict]:
    sat = dg.saturation_map(h)
    dead = dg.dead_neurons(h)
    fig, ax = plt.subplots(figsize=(10, 2.8))
    ax.imshow(sat, cmap="gray", interpolation="nearest", aspect="auto", vmin=0, vmax=1)
    ax.grid(False)
    ax.set_xlabel(f"hidden neuron (white: |tanh| > {dg.DEAD_THRESHOLD})")
    ax.set_ylabel("example in minibatch")
    pct = float(sat.mean() * 100)
    _title(ax, spec, f"saturation at init: {pct:.1f}% white, {dead} dead neuron(s)")
    return fig, {"white_pct": pct, "dead_neurons": dead, "threshold": dg.DEAD_THRESHOLD,
                 "shape": list(sat.shape)}


# ---- Part B -------------------------------------------------------------------------------

def _layer_label(key: str) -> str:
    return f"layer {key.rsplit('.', 1)[-1]}"


ACTIVATION_LABELS = {"tanh": "tanh", "none": "linear", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
                     "elu": "ELU", "sigmoid": "sigmoid"}


def fig_layer_hists(probes: dict, prefix: str, kind: str, spec: dict, when: str) -> tuple[plt.Figure, dict]:
    """kind 'act': activation distribution with saturation; 'actgrad': gradient distribution."""
    keys = sorted((k for k in probes if k.startswith(f"{prefix}.{kind}.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    fig, ax = plt.subplots()
    legend = {}
    activation = spec["activation"]
    for k in keys:
        t = probes[k]
        if kind == "act":  # saturation only for tanh/sigmoid, zero share only for ReLU
            s = dg.activation_summary(t, activation)
            lab = f"{_layer_label(k)}: mean {s['mean']:+.2f}, std {s['std']:.2f}"
            if s["saturated_pct"] is not None:
                lab += f", saturated {s['saturated_pct']:.2f}%"
            if s["zero_pct"] is not None:
                lab += f", zero {s['zero_pct']:.1f}%"
            s = {key: v for key, v in s.items() if v is not None}
        else:
            s = dg.grad_stats(t)
            lab = f"{_layer_label(k)}: mean {s['mean']:+.2e}, std {s['std']:.2e}"
        x, y = dg.histogram(t)
        ax.plot(x, y, label=lab)
        legend[_layer_label(k)] = s
    act = ACTIVATION_LABELS.get(activation, activation)
    if kind == "act":
        ax.set_xlabel(f"{act} layer output")
        what = f"activation distribution ({when})"
    else:
        ax.set_xlabel(f"d loss / d ({act} layer output)")
        what = f"gradient distribution ({when})"
    ax.set_ylabel("density")
    _title(ax, spec, what)
    ax.legend(loc="upper right")
    return fig, legend


def fig_weight_grads(probes: dict, prefix: str, spec: dict, when: str) -> tuple[plt.Figure, dict]:
    names = [k[len(f"{prefix}.wgrad."):] for k in probes if k.startswith(f"{prefix}.wgrad.")]
    fig, ax = plt.subplots()
    legend = {}
    for n in names:
        g, w = probes[f"{prefix}.wgrad.{n}"], probes[f"{prefix}.w.{n}"]
        s = dg.weight_grad_stats(g, w)
        x, y = dg.histogram(g)
        ax.plot(x, y, label=f"{n} {tuple(s['shape'])}: mean {s['mean']:+.1e}, std {s['std']:.1e}, "
                            f"grad:data {s['grad_to_data']:.1e}")
        legend[n] = s
    ax.set_xlabel("gradient of the loss w.r.t. the weight entries")
    ax.set_ylabel("density")
    _title(ax, spec, f"weight-gradient distribution ({when})")
    ax.legend(loc="upper right")
    return fig, legend


def fig_update_ratios(ud: np.ndarray, names: list[str], spec: dict) -> tuple[plt.Figure, dict]:
    fig, ax = plt.subplots()
    legend = {}
    for j, n in enumerate(names):
        col = ud[:, j]
        ax.plot(col, lw=1, label=n)
        fin = col[np.isfinite(col)]
        legend[n] = {"final_log10_ratio": float(fin[-1]) if fin.size else None,
                     "mean_log10_ratio_last_100": float(fin[-100:].mean()) if fin.size else None}
    ax.axhline(-3, color="k", ls="--", lw=1, label="1e-3: the rough guide")
    ax.set_xlabel("training step")
    ax.set_ylabel("log10(std(lr * grad) / std(data))")
    _title(ax, spec, "update:data ratio over training")
    ax.legend(loc="lower right", ncol=2)
    return fig, legend


# ---- entry points -------------------------------------------------------------------------

def load_run(run_dir: str | Path) -> tuple[dict, dict, dict, dict]:
    run_dir = Path(run_dir)
    spec = read_json(run_dir / "config.json")["spec"]
    metrics = read_json(run_dir / "metrics.json")
    history = read_npz(run_dir / "history.npz")
    probes = read_npz(run_dir / "probes.npz")
    return spec, metrics, history, probes


def render_experiment(run_dir: str | Path, out_dir: str | Path, title: str | None = None) -> list[str]:
    spec, metrics, history, probes = load_run(run_dir)
    spec["title"] = title or spec.get("title") or spec["name"]
    out = []
    loss = history["log10_loss"]
    last = int(np.isfinite(loss).sum()) if metrics["diverged"] else loss.size

    def emit(name: str, fig_legend: tuple[plt.Figure, dict]) -> None:
        fig, legend = fig_legend
        save(fig, out_dir, name, legend)
        out.append(name)

    emit("loss_curve", fig_loss_curve(loss[:last], spec, metrics))
    if spec["kind"] == "mlp" and "init.h" not in probes:  # diverged at step 0: nothing to histogram
        for fig_name, what in (("hpreact_hist", "hidden pre-activations at init"),
                               ("tanh_hist", "tanh outputs at init"), ("saturation_map", "saturation at init")):
            emit(fig_name, _diverged_figure(spec, metrics, what))
        return out
    if spec["kind"] == "mlp":
        emit("hpreact_hist", fig_hist(probes["init.hpreact"], spec, "hidden pre-activations at init",
                                      "pre-activation (input to tanh)", saturation=False))
        emit("tanh_hist", fig_hist(probes["init.h"], spec, "tanh outputs at init", "tanh output", saturation=True))
        emit("saturation_map", fig_saturation_map(probes["init.h"], spec))
        return out
    for prefix, when in (("init", "at init"), ("final", f"after step {spec['steps'] - 1}")):
        if not any(k.startswith(prefix + ".") for k in probes):  # a diverged run has no final state
            emit(f"activations_{prefix}", _diverged_figure(spec, metrics, "activation distribution"))
            emit(f"gradients_{prefix}", _diverged_figure(spec, metrics, "gradient distribution"))
            emit(f"weight_gradients_{prefix}", _diverged_figure(spec, metrics, "weight-gradient distribution"))
            continue
        emit(f"activations_{prefix}", fig_layer_hists(probes, prefix, "act", spec, when))
        emit(f"gradients_{prefix}", fig_layer_hists(probes, prefix, "actgrad", spec, when))
        emit(f"weight_gradients_{prefix}", fig_weight_grads(probes, prefix, spec, when))
    emit("update_ratios", fig_update_ratios(history["ud"], [str(n) for n in history["ud_names"]], spec))
    return out


def _diverged_figure(spec: dict, metrics: dict, what: str) -> tuple[plt.Figure, dict]:
    d = metrics["diverged"]
    fig, ax = plt.subplots()
    ax.axis("off")
    ax.text(0.5, 0.5, f"diverged at step {d['step']}: loss {d['loss']}\nfirst non-finite tensor: "
            f"{d['first_nonfinite']}\n(no final state to plot)", ha="center", va="center", fontsize=12)
    _title(ax, spec, what)
    return fig, {"diverged": d}


def render_part_a(run_dirs: list[str | Path], out_dir: str | Path) -> None:
    runs = [load_run(r) for r in run_dirs]
    # overlay of every loss curve, smoothed; the right panel zooms on the second half,
    # where the variants separate by a few hundredths
    fig, (ax, zoom) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [3, 2]})
    legend = {}
    styles = ["-", "--", "-.", ":"]
    for j, (spec, metrics, history, _) in enumerate(runs):
        loss = history["log10_loss"]
        window = max(1, min(1000, loss.size // 50 or 1))
        x, y = dg.smooth(loss, window)
        val = metrics["val_loss"]
        kw = {"lw": 1.4, "ls": styles[j % len(styles)], "color": f"C{j}"}
        ax.plot(x, y, label=f"{spec['name']}: val {val:.4f}", **kw)
        half = x >= x[-1] / 2
        zoom.plot(x[half], y[half], **kw)
        legend[spec["name"]] = {"val_loss": val, "train_loss": metrics["train_loss"],
                                "final_smoothed_log10_loss": float(y[-1]), "smoothing_window": window}
    ax.set_xlabel("training step")
    ax.set_ylabel("log10(minibatch loss), smoothed")
    ax.set_title("Part A: training loss of every variant")
    ax.legend(loc="upper right")
    zoom.set_xlabel("training step")
    zoom.set_title("second half, zoomed")
    save(fig, out_dir, "loss_overlay", legend)

    # initial loss against the loss of a uniform prediction
    fig, ax = plt.subplots()
    names = [spec["name"] for spec, *_ in runs]
    init = [m["initial_loss"] for _, m, *_ in runs]
    expected = runs[0][1]["expected_initial_loss"]
    bars = ax.bar(names, init, color=["C3" if v > 2 * expected else "C0" for v in init])
    ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.axhline(expected, color="k", ls="--", lw=1, label=f"-ln(1/{runs[0][1]['vocab_size']}) = {expected:.4f}")
    ax.set_yscale("log")
    ax.set_ylabel("loss at step 0 (log scale)")
    ax.set_title("Part A: initial loss against a uniform prediction")
    ax.tick_params(axis="x", rotation=20)
    ax.legend(loc="upper right")
    save(fig, out_dir, "initial_loss", {"expected_initial_loss": expected,
                                        "initial_loss": dict(zip(names, init, strict=True))})


def render_demo(name: str, data_path: str | Path, out_dir: str | Path) -> None:
    """Part C figures, from the numbers computed by pipeline.demos."""
    d = read_json(data_path)
    if name == "linear_stats":
        fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
        for ax, case in zip(axes, d["cases"], strict=True):
            x, y = np.array(case["x_hist"]["centres"]), np.array(case["x_hist"]["density"])
            ax.plot(x, y, label=f"input x: std {case['x_std']:.2f}")
            x, y = np.array(case["y_hist"]["centres"]), np.array(case["y_hist"]["density"])
            ax.plot(x, y, label=f"output: std {case['y_std']:.2f}")
            ax.set_title(case["label"], fontsize=9)
            ax.set_xlabel("value")
            ax.legend(loc="upper right")
        axes[0].set_ylabel("density")
        fig.suptitle(f"{d['title']} (fan_in {d['n']}; backward: grad std {d['cases'][0]['grad_std']:.1f} "
                     f"-> {d['cases'][1]['grad_std']:.2f} with 1/sqrt(fan_in))")
        fig.tight_layout()
        save(fig, out_dir, "linear_stats", {k: v for k, v in d.items() if k != "cases"} |
             {"cases": [{k: v for k, v in c.items() if not k.endswith("_hist")} for c in d["cases"]]})
    elif name == "batchnorm_demo":
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
        sweep = np.array(d["sweep"])
        ax1.plot(sweep, d["mean"], label="batch mean", lw=2)
        ax1.plot(sweep, d["std"], label="batch std", lw=2)
        ax1.set_xlabel(f"value of input {d['moved_index']}")
        ax1.set_ylabel("batch statistic")
        ax1.set_title("moving one input moves the batch statistics")
        ax1.legend()
        out = np.array(d["normalised"])
        for j in range(out.shape[1]):
            lab = f"input {j}" + (" (moved)" if j == d["moved_index"] else f" = {d['values'][j]:+.2f}")
            ax2.plot(sweep, out[:, j], lw=2.5 if j == d["moved_index"] else 1.2, label=lab)
        for a in (ax1, ax2):
            a.axvline(d["values"][d["moved_index"]], color="grey", ls=":", lw=1)
        ax2.set_xlabel(f"value of input {d['moved_index']} (dotted: its value in the batch)")
        ax2.set_ylabel("normalised output (x - mean) / std")
        ax2.set_title("...and so every normalised output")
        ax2.legend(fontsize=7)
        fig.suptitle(d["title"])
        fig.tight_layout()
        save(fig, out_dir, "batchnorm_demo", {"values": d["values"], "moved_index": d["moved_index"],
                                               "at_original": d["at_original"]})
    else:
        raise ValueError(f"unknown demo {name!r}; known: {', '.join(DEMO_FIGURES)}")


# ---- beyond the lecture: each study draws its own figures (pipeline/studies/<study>.py) ----------

def __getattr__(name: str):
    """BEYOND_FIGURES, study name -> the figures each of its jobs writes under figures/<id>/: a view
    of the study registry (pipeline/studies/registry.py), read only when asked for, so that plotting
    one run imports no study."""
    if name == "BEYOND_FIGURES":
        from pipeline.studies import registry
        return registry.figures()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
