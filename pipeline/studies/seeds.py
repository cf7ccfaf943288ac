"""Every Part A variant over several seeds: mean, std and t interval of its losses, and which
differences between variants exceed the seed noise (Welch's t-test, Holm-adjusted).

`beyond.seeds` trains each listed variant again with `count` more seeds, as the experiments
`<variant>.seed<k>` (part E, no per-run figures); the variant itself is the run with the lecture's
seed. Writes results/beyond/seeds.json, seeds.md (the table; the verdicts are the claims
of docs/notes/seeds.md, checked on the site) and
figures/seeds/loss_spread.*.
"""

from __future__ import annotations

import copy
from itertools import combinations

import numpy as np

from pipeline.analysis import stats
from pipeline.analysis.lecture import LECTURE
from pipeline.config.expand import seed_list
from pipeline.io import write_json, write_text
from pipeline.studies.common import SPLITS, finite_json, fmt, loss, metrics
from pipeline.studies.registry import Study, StudyIO

SCHEMA = {"seeds": {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "experiments", "count", "first"],
    "properties": {
        "title": {"type": "string"},
        "experiments": {"type": "array", "items": {"type": "string"}, "minItems": 2, "uniqueItems": True},
        "count": {"type": "integer", "minimum": 1, "maximum": 1000},
        "first": {"$ref": "#/definitions/seed"},
        "alpha": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    },
}}


def seed_names(variant: str, seeds: dict) -> list[str]:
    return [f"{variant}.seed{s}" for s in seed_list(seeds)]


def generate(beyond: dict, experiments: dict, add, error, source: str) -> None:
    seeds = beyond.get("seeds")
    if not seeds:
        return
    for variant in seeds["experiments"]:
        if variant not in experiments:
            raise error(f"{source}: beyond.seeds.experiments: no experiment {variant!r}; "
                        f"known: {', '.join(experiments)}.")
        base = experiments[variant]
        for s, name in zip(seed_list(seeds), seed_names(variant, seeds), strict=True):
            exp = copy.deepcopy(base)
            exp.update(part="E", seed=s, title=f"{base['title']}, seed {s}")
            add(name, exp, "seeds", "beyond.seeds")


def specs(beyond: dict, resolved: dict) -> dict[str, dict]:
    s = beyond.get("seeds")
    if not s:
        return {}
    return {"seeds": dict(s, groups={v: [v] + seed_names(v, s) for v in s["experiments"]})}


def experiments(spec: dict) -> list[str]:
    return [n for names in spec["groups"].values() for n in names]


def run(spec: dict, io: StudyIO) -> dict:
    return seed_study(spec, io.runs, io.json, io.out / "seeds.md", io.figures)


def seed_study(spec: dict, runs, out_json, out_md, fig_dir) -> dict:
    """Mean, std and t interval per variant; which differences between variants exceed seed noise."""
    alpha = spec.get("alpha", 0.05)
    rows, values = [], {}
    for variant, names in spec["groups"].items():
        ms = [metrics(runs, n) for n in names]
        row = {"variant": variant, "runs": names, "seeds": [m["seed"] for m in ms], "n": len(ms)}
        for split in SPLITS:
            row[split] = stats.summary([loss(m, split) for m in ms], alpha)
        row["lecture_seed_val"] = loss(ms[0], "val")
        lec = LECTURE.get(variant)  # the lecture's printed numbers: one seed, one draw from this spread
        row["lecture"] = lec
        if lec and row["val"]["ci_low"] is not None:
            finite = [v for v in row["val"]["values"] if v is not None]
            row["lecture_val_within_seed_range"] = min(finite) <= lec["val"] <= max(finite)
        rows.append(row)
        values[variant] = {s: [loss(m, s) for m in ms] for s in SPLITS}
    variants = list(spec["groups"])
    pairs = []
    for split in ("train", "val"):
        tests = [(a, b, stats.welch(values[b][split], values[a][split])) for a, b in combinations(variants, 2)]
        adj = stats.holm([t["p"] for *_, t in tests])
        for (a, b, t), p_holm in zip(tests, adj, strict=True):
            sa = next(r for r in rows if r["variant"] == a)[split]
            sb = next(r for r in rows if r["variant"] == b)[split]
            pairs.append({"split": split, "a": a, "b": b, "diff_b_minus_a": t["diff"], "t": t["t"], "df": t["df"],
                          "p": t["p"], "p_holm": p_holm,
                          "exceeds_seed_noise": p_holm is not None and p_holm < alpha,
                          "intervals_overlap": stats.intervals_overlap(sa, sb),
                          "adjacent": variants.index(b) == variants.index(a) + 1})
    out = {"title": spec["title"], "alpha": alpha, "ci_level": 1 - alpha,
           "method": ("per variant: mean, sample std (ddof 1) and the two-sided t interval of the mean over "
                      "seeds; between variants: Welch's t-test, p-values Holm-adjusted over all pairs "
                      "of a split"),
           "rows": rows, "pairs": pairs}
    write_json(out_json, finite_json(out))
    write_text(out_md, seed_markdown(out))
    from pipeline.plots import save
    save(lambda: fig_seed_spread(rows, spec["title"]), fig_dir, "loss_spread")
    return out


def seed_markdown(out: dict) -> str:
    lvl = f"{100 * out['ci_level']:g}%"
    lines = [f"| variant | seeds | train mean ± std | train {lvl} CI | val mean ± std | val {lvl} CI | "
             "lecture val (its one seed) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in out["rows"]:
        tr, va = r["train"], r["val"]
        lines.append(f"| `{r['variant']}` | {r['n']} | {fmt(tr['mean'])} ± {fmt(tr['std'])} | "
                     f"[{fmt(tr['ci_low'])}, {fmt(tr['ci_high'])}] | {fmt(va['mean'])} ± {fmt(va['std'])} | "
                     f"[{fmt(va['ci_low'])}, {fmt(va['ci_high'])}] | "
                     f"{fmt((r.get('lecture') or {}).get('val'))} |")
    lines.append("")
    return "\n".join(lines)


def fig_seed_spread(rows: list[dict], title: str):
    """Every seed's train and val loss per variant, with the mean and its t interval."""
    from pipeline.plots import plt, style
    fig, axes = plt.subplots(1, 2, figsize=style.wide(4.5), sharey=True, layout="constrained")  # train vs val
    legend = {}
    for ax, split in zip(axes, ("train", "val"), strict=True):
        for i, r in enumerate(rows):
            s = r[split]
            vals = np.array([np.nan if v is None else v for v in s["values"]], dtype=float)
            jitter = np.linspace(-0.15, 0.15, vals.size) if vals.size > 1 else np.zeros(1)
            ax.scatter(i + jitter[1:], vals[1:], s=14, color="C0", alpha=0.7,
                       label="other seeds" if i == 0 else None)
            ax.scatter(i + jitter[:1], vals[:1], s=30, color="C3", marker="D",
                       label="the lecture's seed" if i == 0 else None)
            if s["ci_low"] is not None:
                ax.errorbar(i + 0.3, s["mean"], yerr=[[s["mean"] - s["ci_low"]], [s["ci_high"] - s["mean"]]],
                            fmt="o", color=style.fg(), capsize=4, ms=4,
                            label=f"mean, {100 * s['ci_level']:g}% t interval" if i == 0 else None)
            lec = (r.get("lecture") or {}).get(split)
            if lec is not None:  # the lecture's printed number: one draw from the same spread
                ax.scatter([i - 0.3], [lec], marker="*", s=80, color=style.fg(),
                           label="the lecture's printed value" if i == 0 else None)
            legend.setdefault(r["variant"], {})[split] = {k: s[k] for k in ("n", "mean", "std", "ci_low", "ci_high")}
        ax.set_xticks(range(len(rows)), [r["variant"] for r in rows], rotation=25, ha="right")
        ax.set_ylabel(f"{split} loss")
        ax.set_title(f"{split} loss over seeds")
    fig.suptitle(title)
    style.legend(fig, ncol=2)
    return fig, legend


STUDY = Study(name="seeds", schema=SCHEMA, specs=specs, experiments=experiments, run=run,
              figures=("loss_spread",), extra_outputs=("{id}.md",), generate=generate)
