"""The deep tanh network over a log-spaced grid of gains, with and without BatchNorm: the val
loss after a fixed step budget and the saturation of the tanh layers, per gain, and how wide the
range of gains within `sweep_tolerance` of the best one is (in octaves).

`beyond.sweeps.<sweep>` trains one experiment per (gain, seed), `<sweep>.g<gain>.s<seed>`, from
an experiment template (part E, no per-run figures); a diverged run is a result, not a failure.
Writes results/beyond/gain_sweep.json and figures/gain_sweep/{val_loss,saturation}_vs_gain.*.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np

from pipeline.analysis import diagnostics as dg
from pipeline.analysis import stats
from pipeline.config.expand import gain_tag, log_gains, seed_list
from pipeline.io import read_npz, write_json
from pipeline.studies.common import finite_json, metrics, run_spec
from pipeline.studies.registry import Study, StudyIO

SCHEMA = {
    "sweeps": {
        "type": "object",
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "required": ["title", "experiment", "gains", "seeds"],
            "properties": {
                "title": {"type": "string"},
                "experiment": {"type": "object"},  # a template; each expanded run is checked like any experiment
                "gains": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["min", "max", "count"],
                    "properties": {
                        "min": {"type": "number", "exclusiveMinimum": 0},
                        "max": {"type": "number", "exclusiveMinimum": 0},
                        "count": {"type": "integer", "minimum": 2, "maximum": 200},
                    },
                },
                "seeds": {"$ref": "#/definitions/seedset"},
            },
        },
    },
    "sweep_tolerance": {"type": "number", "exclusiveMinimum": 0},
}


def sweep_name(sweep: str, gain: float, seed: int) -> str:
    return f"{sweep}.g{gain_tag(gain)}.s{seed}"


def sweep_members(sweep: str, spec: dict) -> list[tuple[str, float, int]]:
    """(experiment name, gain, seed) for every point of one sweep."""
    g = spec["gains"]
    return [(sweep_name(sweep, gain, seed), gain, seed)
            for gain in log_gains(g["min"], g["max"], g["count"]) for seed in seed_list(spec["seeds"])]


def generate(beyond: dict, experiments: dict, add, error, source: str) -> None:
    for sweep, spec in (beyond.get("sweeps") or {}).items():
        where = f"beyond.sweeps.{sweep}"
        if spec["gains"]["min"] >= spec["gains"]["max"]:
            raise error(f"{source}: {where}.gains: min ({spec['gains']['min']}) must be below max "
                        f"({spec['gains']['max']}).")
        for key in ("gain", "seed"):
            if key in spec["experiment"]:
                raise error(f"{source}: {where}.experiment.{key}: the sweep sets it; remove it from the template.")
        if spec["experiment"].get("kind") != "deep":
            raise error(f"{source}: {where}.experiment.kind: must be 'deep' (the gain sweep is a Part B study).")
        for name, gain, seed in sweep_members(sweep, spec):
            exp = copy.deepcopy(spec["experiment"])
            exp.update(part="E", gain=gain, seed=seed, title=f"{spec['title']}, gain {gain_tag(gain)}, seed {seed}")
            exp.setdefault("summary", "")
            add(name, exp, f"sweeps.{sweep}", where)


def specs(beyond: dict, resolved: dict) -> dict[str, dict]:
    sweeps = beyond.get("sweeps")
    if not sweeps:
        return {}
    return {"gain_sweep": {
        "tolerance": beyond.get("sweep_tolerance", 0.05),
        "sweeps": {n: {"title": sw["title"], "steps": resolved[sweep_members(n, sw)[0][0]]["steps"],
                       "members": sweep_members(n, sw)} for n, sw in sweeps.items()}}}


def experiments(spec: dict) -> list[str]:
    return [m[0] for sw in spec["sweeps"].values() for m in sw["members"]]


def run(spec: dict, io: StudyIO) -> dict:
    return gain_sweep(spec, io.runs, io.json, io.figures)


def _saturation(run_dir: Path, prefix: str, activation: str) -> float | None:
    p = read_npz(run_dir / "probes.npz")
    keys = [k for k in p if k.startswith(f"{prefix}.act.")]
    if not keys or dg.saturation_threshold(activation) is None:
        return None
    return float(np.mean([dg.percent_saturated_for(p[k], activation) for k in keys]))


def sensitivity(gains: list[float], means: list[float], tolerance: float) -> dict:
    """The contiguous run of grid gains around the best mean loss whose mean is within `tolerance`.

    Width in octaves: log2(high / low). A gain with a diverged seed (mean nan/inf) breaks the run.
    """
    finite = [i for i, m in enumerate(means) if m is not None and math.isfinite(m)]
    if not finite:
        return {"best_gain": None, "best_loss": None, "low": None, "high": None, "width_octaves": None,
                "gains_within": []}
    best = min(finite, key=lambda i: means[i])
    ok = [m is not None and math.isfinite(m) and m <= means[best] + tolerance for m in means]
    lo = hi = best
    while lo - 1 >= 0 and ok[lo - 1]:
        lo -= 1
    while hi + 1 < len(means) and ok[hi + 1]:
        hi += 1
    return {"best_gain": gains[best], "best_loss": means[best], "low": gains[lo], "high": gains[hi],
            "width_octaves": math.log2(gains[hi] / gains[lo]), "gains_within": [g for g, k in zip(gains, ok,
                                                                                                   strict=True) if k]}


def gain_sweep(spec: dict, runs, out_json, fig_dir) -> dict:
    runs = Path(runs)
    tol = spec["tolerance"]
    out = {"tolerance": tol, "sweeps": {}}
    for sweep, s in spec["sweeps"].items():
        by_gain: dict[float, list] = {}
        for name, gain, seed in s["members"]:
            m = metrics(runs, name)
            act = run_spec(runs, name)["activation"]
            by_gain.setdefault(gain, []).append({
                "experiment": name, "seed": seed, "val_loss": m["val_loss"], "train_loss": m["train_loss"],
                "diverged": m["diverged"] is not None,
                "saturation_init_pct": _saturation(runs / name, "init", act),
                "saturation_final_pct": None if m["diverged"] else _saturation(runs / name, "final", act)})
        gains = sorted(by_gain)
        points = []
        for g in gains:
            rs = by_gain[g]
            vals = [r["val_loss"] for r in rs]
            n_div = sum(r["diverged"] for r in rs)
            summ = stats.summary(vals)
            sat_i = [r["saturation_init_pct"] for r in rs if r["saturation_init_pct"] is not None]
            sat_f = [r["saturation_final_pct"] for r in rs if r["saturation_final_pct"] is not None]
            points.append({"gain": g, "runs": rs, "n_diverged": n_div,
                           "val_mean": summ["mean"] if n_div == 0 else math.inf,
                           "val": summ,
                           "saturation_init_pct": float(np.mean(sat_i)) if sat_i else None,
                           "saturation_final_pct": float(np.mean(sat_f)) if sat_f else None})
        sens = sensitivity(gains, [p["val_mean"] for p in points], tol)
        finite = [p["val_mean"] for p in points if p["val_mean"] is not None and math.isfinite(p["val_mean"])]
        sens["loss_range_over_gains"] = max(finite) - min(finite) if finite else None  # worst minus best mean
        out["sweeps"][sweep] = {"title": s["title"], "steps": s.get("steps"), "points": points,
                                "sensitivity": sens}
    write_json(out_json, finite_json(out))
    from pipeline.plots import save
    for what in ("val_loss", "saturation"):
        save(lambda what=what: fig_gain_sweep(out, what), fig_dir, f"{what}_vs_gain",
             titles={k: sw["title"] for k, sw in out["sweeps"].items()})  # as the site's caption (pages.py)
    return out


def fig_gain_sweep(out: dict, what: str):
    """val loss (what='val_loss') or saturation ('saturation') against the gain, one line per sweep."""
    from pipeline.plots import plt, style
    fig, ax = plt.subplots(layout="constrained")
    legend = {}
    for j, (name, s) in enumerate(out["sweeps"].items()):
        color = f"C{j}"
        pts = s["points"]
        gains = np.array([p["gain"] for p in pts])
        if what == "val_loss":
            for p in pts:  # every seed as a dot; a diverged seed as a cross on the top edge
                ok = [r["val_loss"] for r in p["runs"] if not r["diverged"]]
                ax.scatter([p["gain"]] * len(ok), ok, s=10, color=color, alpha=0.45)
                if p["n_diverged"]:
                    ax.scatter([p["gain"]], [1.0], transform=ax.get_xaxis_transform(), marker="x", s=60,
                               color=color, clip_on=False, zorder=5)
            means = np.array([p["val"]["mean"] if p["n_diverged"] == 0 and p["val"]["mean"] is not None
                              else np.nan for p in pts])
            z = s["sensitivity"]
            lab = s["title"]
            if z["best_gain"] is not None:
                lab += (f": within {out['tolerance']:g} of best for gains {z['low']:.3g}..{z['high']:.3g} "
                        f"({z['width_octaves']:.1f} octaves)")
                ax.axvspan(z["low"], z["high"], color=color, alpha=0.08)
            ax.plot(gains, means, "-o", color=color, ms=4, label=lab)
            legend[name] = {"sensitivity": z, "mean_val_loss": [None if not np.isfinite(m) else float(m)
                                                                for m in means],
                            "gains": gains.tolist(), "diverged_runs": [p["n_diverged"] for p in pts]}
        else:
            for when, ls in (("init", "--"), ("final", "-")):
                vals = np.array([np.nan if p[f"saturation_{when}_pct"] is None else p[f"saturation_{when}_pct"]
                                 for p in pts])
                ax.plot(gains, vals, ls, marker="o", ms=4, color=color,
                        label=f"{s['title']}, {'at init' if when == 'init' else 'after training'}")
                legend.setdefault(name, {"gains": gains.tolist()})[f"saturation_{when}_pct"] = [
                    None if not np.isfinite(v) else float(v) for v in vals]
    ax.set_xscale("log", base=2)
    if what == "val_loss":
        ax.set_xlabel("gain (log scale); dots: seeds, line: their mean, x: a diverged run")
        ax.set_ylabel("val loss")
        ax.set_title("Gain sensitivity: val loss after a fixed step budget", loc="left")
    else:
        ax.set_xlabel("gain (log scale); mean over layers and seeds")
        ax.set_ylabel(f"% with |tanh| > {dg.TANH_SATURATED}")
        ax.set_title("Gain sensitivity: saturation of the tanh layers", loc="left")
    style.legend(ax)
    return fig, legend


STUDY = Study(name="gain_sweep", schema=SCHEMA, specs=specs, experiments=experiments, run=run,
              figures=("val_loss_vs_gain", "saturation_vs_gain"), generate=generate)
