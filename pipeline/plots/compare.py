"""The lecture's central comparison as one figure: a deep network without BatchNorm (top row)
and the same network with BatchNorm (bottom row), at initialisation: activations, gradients and
weight gradients, each column on one shared pair of axes so the eye compares like with like."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from pipeline.figures import PAIR_FIGURE, twin  # noqa: F401  (twin re-exported)
from pipeline.plots import runs as rf
from pipeline.plots import style

NAME = PAIR_FIGURE  # figures/<batchnorm experiment>/versus_plain.*
COLUMNS = (("act", "activations"), ("actgrad", "gradients"), ("wgrad", "weight gradients"))


def fig_versus_plain(plain: tuple, batchnorm: tuple, prefix: str = "init") -> tuple[plt.Figure, dict]:
    """`plain`, `batchnorm`: (spec, probes) of the two runs."""
    fig, axes = plt.subplots(2, 3, figsize=style.wide(6.4), sharex="col", sharey="col", layout="constrained")
    legend = {}
    for i, (spec, probes) in enumerate((plain, batchnorm)):
        lg = {}
        for ax, (kind, label) in zip(axes[i], COLUMNS, strict=True):
            if kind == "wgrad":
                lg["weight_gradients"] = rf.weight_grads(ax, probes, prefix, labels="name" if i == 0 else "")
            else:
                lg[label] = rf.layer_hists(ax, probes, prefix, kind, spec["activation"],
                                           labels="name" if i == 0 and kind == "act" else "")
            ax.set_title(f"{spec['title']}: {label}", loc="left", fontsize=plt.rcParams["xtick.labelsize"])
            if i == 0:
                ax.set_xlabel("")
        legend["plain" if i == 0 else "batchnorm"] = {"experiment": spec["name"], **lg}
    for ax in axes[:, 1:].ravel():
        ax.set_ylabel("")
    fig.suptitle(f"At initialisation: {plain[0]['title']} against {batchnorm[0]['title']}")
    style.legend(fig, ncol=6)
    return fig, legend


def render_pair(plain_dir: str | Path, batchnorm_dir: str | Path, out_dir: str | Path,
                titles: dict | None = None) -> None:
    from pipeline.plots import load_run, provenance, save
    runs = []
    for d in (plain_dir, batchnorm_dir):
        spec, metrics, _, probes = load_run(d)
        spec["title"] = (titles or {}).get(spec["name"]) or spec.get("title") or spec["name"]
        runs.append((spec, metrics, probes))
    (ps, pm, pp), (bs, bm, bp) = runs
    with provenance(experiment=f"{ps['name']}, {bs['name']}", config_hash=f"{pm['config_hash']}, {bm['config_hash']}",
                    data_sha256=bm.get("data_sha256", "-"), subject=f"{ps['title']} against {bs['title']}"):
        save(lambda: fig_versus_plain((ps, pp), (bs, bp)), out_dir, NAME)
