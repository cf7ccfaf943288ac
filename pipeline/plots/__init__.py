"""Numbers in, figures out: one function per figure kind (runs.py, summary.py), one look
(style.py), one way to save (files.py: every variant and format, provenance, alt text).

`render_*` read a run directory (or Part A's runs, or a demo's numbers) and save each figure
under figures/<group>/ as the files listed by `files.files_of` (PNG at 1.5x, a dark WebP, a
thumbnail) with the numbers of its legend beside it as <figure>.json; in downloads mode
(`files.set_mode("downloads")`, the CLI's --downloads) as the files of `files.download_files_of`
(SVG and PDF with real text, light and dark, talk PNGs) under downloads/figures/<group>/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.figures import DEMO_FIGURES, FIGURES, SUMMARY_FIGURES
from pipeline.io import read_json, read_npz
from pipeline.plots import runs as rf
from pipeline.plots.files import download_files_of, files_of, provenance, save
from pipeline.plots.style import plt

__all__ = ["FIGURES", "SUMMARY_FIGURES", "DEMO_FIGURES", "files_of", "download_files_of", "plt", "save",
           "render_experiment", "render_part_a", "render_demo", "load_run"]



def load_run(run_dir: str | Path) -> tuple[dict, dict, dict, dict]:
    run_dir = Path(run_dir)
    spec = read_json(run_dir / "config.json")["spec"]
    metrics = read_json(run_dir / "metrics.json")
    history = read_npz(run_dir / "history.npz")
    probes = read_npz(run_dir / "probes.npz")
    return spec, metrics, history, probes


def run_provenance(spec: dict, metrics: dict) -> dict:
    return {"experiment": spec["name"], "config_hash": metrics.get("config_hash", "-"),
            "data_sha256": metrics.get("data_sha256", "-"), "subject": spec["title"]}


def render_experiment(run_dir: str | Path, out_dir: str | Path, title: str | None = None,
                      family: list[str | Path] = ()) -> list[str]:
    """`family`: the run directories of the experiments this one is compared with (the other gains of
    its configuration): every figure of the family is drawn on the same axes."""
    spec, metrics, history, probes = load_run(run_dir)
    others = [load_run(d) for d in family if Path(d).resolve() != Path(run_dir).resolve()]
    probe_sets = [probes] + [o[3] for o in others]
    histories = [history] + [o[2] for o in others]
    share = {(prefix, kind): rf.shared_limits(probe_sets, prefix, kind)
             for prefix in ("init", "final") for kind in ("act", "actgrad", "wgrad")}
    loss_ylim = rf.series_limits([h["log10_loss"] for h in histories])
    ud_ylim = rf.series_limits([h["ud"].ravel() for h in histories if "ud" in h])
    spec["title"] = title or spec.get("title") or spec["name"]
    out = []
    loss = history["log10_loss"]
    last = int(np.isfinite(loss).sum()) if metrics["diverged"] else loss.size

    def emit(name: str, make) -> None:
        save(make, out_dir, name)
        out.append(name)

    with provenance(**run_provenance(spec, metrics)):
        emit("loss_curve", lambda: rf.fig_loss_curve(loss[:last], spec, metrics, ylim=loss_ylim))
        if spec["kind"] == "mlp" and "init.h" not in probes:  # diverged at step 0: nothing to histogram
            for fig_name, what in (("hpreact_hist", "pre-activations at init"),
                                   ("tanh_hist", "tanh outputs at init"), ("saturation_map", "saturation at init")):
                emit(fig_name, lambda what=what: rf.fig_diverged(spec, metrics, what))
            return out
        if spec["kind"] == "mlp":
            emit("hpreact_hist", lambda: rf.fig_hist(probes["init.hpreact"], spec, "pre-activations at init",
                                                     "pre-activation (input to tanh)", saturation=False))
            emit("tanh_hist", lambda: rf.fig_hist(probes["init.h"], spec, "tanh outputs at init", "tanh output",
                                                  saturation=True))
            emit("saturation_map", lambda: rf.fig_saturation_map(probes["init.h"], spec))
            return out
        for prefix, when in (("init", "at init"), ("final", f"after step {spec['steps'] - 1}")):
            if not any(k.startswith(prefix + ".") for k in probes):  # a diverged run has no final state
                for fig_name, what in (("activations", "activations"), ("gradients", "gradients"),
                                       ("weight_gradients", "weight gradients")):
                    emit(f"{fig_name}_{prefix}", lambda what=what: rf.fig_diverged(spec, metrics, what))
                continue
            emit(f"activations_{prefix}", lambda prefix=prefix, when=when: rf.fig_layer_hists(
                probes, prefix, "act", spec, when, share[prefix, "act"]))
            emit(f"gradients_{prefix}", lambda prefix=prefix, when=when: rf.fig_layer_hists(
                probes, prefix, "actgrad", spec, when, share[prefix, "actgrad"]))
            emit(f"weight_gradients_{prefix}", lambda prefix=prefix, when=when: rf.fig_weight_grads(
                probes, prefix, spec, when, share[prefix, "wgrad"]))
        names = [str(n) for n in history["ud_names"]]
        emit("update_ratios", lambda: rf.fig_update_ratios(history["ud"], names, spec, ylim=ud_ylim))
    return out


def render_part_a(run_dirs: list[str | Path], out_dir: str | Path, titles: dict | None = None) -> None:
    """`titles`: experiment name -> its config title, for legends and labels."""
    from pipeline.plots import summary
    runs = [load_run(r) for r in run_dirs]
    titles = {spec["name"]: (titles or {}).get(spec["name"]) or spec.get("title") or spec["name"]
              for spec, *_ in runs}
    for spec, *_ in runs:
        spec["title"] = titles[spec["name"]]
    m0 = runs[0][1]
    with provenance(experiment=", ".join(titles), config_hash=", ".join(m["config_hash"] for _, m, *_ in runs),
                    data_sha256=m0.get("data_sha256", "-"), subject="Part A"):
        save(lambda: summary.fig_loss_overlay(runs), out_dir, "loss_overlay", titles=titles)
        save(lambda: summary.fig_initial_loss(runs), out_dir, "initial_loss", titles=titles)


def render_demo(name: str, data_path: str | Path, out_dir: str | Path) -> None:
    """Part C figures, from the numbers computed by pipeline.demos."""
    from pipeline.plots import summary
    if name not in DEMO_FIGURES:
        raise ValueError(f"unknown demo {name!r}; known: {', '.join(DEMO_FIGURES)}")
    d = read_json(data_path)
    make = summary.fig_linear_stats if name == "linear_stats" else summary.fig_batchnorm_demo
    with provenance(experiment=f"demo {name}", data_sha256="- (synthetic data)", subject=d["title"]):
        save(lambda: make(d), out_dir, name)


# ---- beyond the lecture: each study draws its own figures (pipeline/studies/<study>.py) ----------

def __getattr__(name: str):
    """BEYOND_FIGURES, study name -> the figures each of its jobs writes under figures/<id>/: a view
    of the study registry (pipeline/studies/registry.py), read only when asked for, so that plotting
    one run imports no study."""
    if name == "BEYOND_FIGURES":
        from pipeline.studies import registry
        return registry.figures()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
