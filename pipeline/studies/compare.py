"""Deep-net variants side by side (activations, normalisations, ...): final losses, parameter
count, the activation scale layer by layer at init and after training, the update:data ratio.

`beyond.comparisons.<name>` names existing deep experiments; each comparison is one job,
`compare_<name>`, writing results/beyond/compare_<name>.json and figures/compare_<name>/summary.*.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.analysis import diagnostics as dg
from pipeline.io import read_npz, write_json
from pipeline.studies.common import block_schema, finite_json, listed_experiments, metrics, run_spec
from pipeline.studies.registry import Study, StudyIO

SCHEMA = {"comparisons": {
    "type": "object",
    "additionalProperties": block_schema(min_items=2),
}}


def specs(beyond: dict, resolved: dict) -> dict[str, dict]:
    return {f"compare_{name}": comp for name, comp in (beyond.get("comparisons") or {}).items()}


def check(beyond: dict, need) -> None:
    for name, comp in (beyond.get("comparisons") or {}).items():
        need(f"beyond.comparisons.{name}.experiments", comp["experiments"], lambda s: s["kind"] == "deep",
             "a deep (Part B kind) experiment")


def run(spec: dict, io: StudyIO) -> dict:
    return compare(spec, io.runs, io.json, io.figures)


def compare(spec: dict, runs, out_json, fig_dir) -> dict:
    runs = Path(runs)
    rows = []
    for name in spec["experiments"]:
        m = metrics(runs, name)
        s = run_spec(runs, name)
        layers = {}
        p = read_npz(runs / name / "probes.npz")
        for prefix in ("init", "final"):
            keys = sorted((k for k in p if k.startswith(f"{prefix}.act.")), key=lambda k: int(k.rsplit(".", 1)[1]))
            layers[prefix] = [dg.activation_summary(p[k], s["activation"]) for k in keys]
        ud = read_npz(runs / name / "history.npz")["ud"]
        fin = ud[np.isfinite(ud).all(axis=1)] if ud.size else ud
        ud_last = float(fin[-100:].mean()) if fin.size else None
        rows.append({"experiment": name, "title": s.get("title", name), "activation": s["activation"],
                     "norm": s["norm"], "gain": s["gain"], "steps": m["steps"], "n_params": m["n_params"],
                     "initial_loss": m["initial_loss"], "train_loss": m["train_loss"], "val_loss": m["val_loss"],
                     "test_loss": m["test_loss"], "diverged": m["diverged"],
                     "saturation_meaningful": dg.saturation_threshold(s["activation"]) is not None,
                     "layers_init": layers["init"], "layers_final": layers["final"],
                     "mean_log10_update_ratio_last_100": ud_last, "figures": f"figures/{name}/"})
    out = {"title": spec["title"], "rows": rows}
    write_json(out_json, finite_json(out))
    from pipeline.plots import save
    save(lambda: fig_compare(rows, spec["title"]), fig_dir, "summary")
    return out


def fig_compare(rows: list[dict], title: str):
    """Final losses and the per-layer activation std at init, one entry per experiment."""
    from matplotlib.ticker import MaxNLocator

    from pipeline.plots import plt, style
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=style.wide(4.5), layout="constrained")
    x = np.arange(len(rows))
    for k, split in enumerate(("train", "val")):
        v = [np.nan if r[f"{split}_loss"] is None else r[f"{split}_loss"] for r in rows]
        bars = ax1.bar(x + (k - 0.5) * 0.38, v, 0.38, label=split)
        ax1.bar_label(bars, fmt="%.3f", rotation=90, padding=2)
    finite = [r[f"{sp}_loss"] for r in rows for sp in ("train", "val") if r[f"{sp}_loss"] is not None]
    if finite:
        ax1.set_ylim(min(finite) * 0.9, max(finite) * 1.05)
    ax1.set_xticks(x, [r.get("title") or r["experiment"] for r in rows], rotation=25, ha="right")
    ax1.set_ylabel("loss after training")
    ax1.set_title("final loss")
    ax1.legend()
    style_ls = ["-", "--", "-.", ":"]
    for r in rows:
        stds = [layer["std"] for layer in r["layers_init"]]
        ax2.plot(range(1, len(stds) + 1), stds, "-o", ms=4, label=r.get("title") or r["experiment"],
                 ls=style_ls[len(ax2.lines) % len(style_ls)])
    ax2.set_yscale("log")
    ax2.set_xlabel("hidden layer")
    ax2.set_ylabel("std of the output at init")
    ax2.set_title("activation scale through depth, at init")
    ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    style.legend(ax2, ncol=2)
    fig.suptitle(title)
    legend = {r["experiment"]: {k: r[k] for k in ("activation", "norm", "gain", "train_loss", "val_loss",
                                                  "initial_loss")} for r in rows}
    return fig, legend


STUDY = Study(name="compare", schema=SCHEMA, specs=specs, experiments=listed_experiments, run=run,
              figures=("summary",), check=check)
