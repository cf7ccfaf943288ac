"""One context per page, built from the outputs: the numbers, links and figures a template
shows. No sentence is written here; docs/templates/ holds them."""

from __future__ import annotations

import json
import math
import re
import shlex

from pipeline.analysis.lecture import LECTURE, LECTURE_INITIAL_LOSS, LECTURE_STEPS
from pipeline.figures import PAIR_FIGURE  # both runs on shared axes, in the BatchNorm run's group
from pipeline.format import at_precision
from pipeline.provenance import download_url, figure_url
from pipeline.site import cite, figfilter
from pipeline.site.code import excerpt, mlp_excerpts, spec_diff
from pipeline.site.lecture import moment
from pipeline.site.outputs import Outputs, caption_of
from pipeline.site.render import fig_id, rel

TABLE_KIND = {"activations": "act", "gradients": "grad", "weight_gradients": "wgrad", "update_ratios": "ud"}
BN_PAIR_FIGURES = ("activations_init", "gradients_init", "activations_final", "update_ratios")
TAB_FIGURES = ("activations_init", "gradients_init", "weight_gradients_init", "update_ratios")
# (key in a figure's context, subdirectory, extension): the files pipeline/plots/files.py writes
FIGURE_FILES = (("png", "", "png"), ("dark", "dark/", "webp"), ("thumb", "thumbs/", "webp"))
NUMBERS = "numbers.json"  # per figure group on the site: every figure's legend numbers and alt text (write.py)


# ---- shared pieces ------------------------------------------------------------------------

def link(o: Outputs, page: str, name: str) -> dict:
    """An experiment as a link from `page`."""
    spec = o.resolved[name]
    return {"name": name, "title": spec["title"], "summary": spec.get("summary", ""),
            "href": rel(page, o.page_of(name))}


def figure(o: Outputs, page: str, group: str, name: str) -> dict:
    """What the `figure` macros need: files (light, dark, talk, print), caption, alt text, legend
    numbers, the kind of its layer table, licence, and its address and content hash for citing it."""
    title, caption = caption_of(name)
    base = name.rsplit("_", 1)[0] if name.endswith(("_init", "_final")) else name
    anchor = "#" + fig_id(group, name)
    stem = f"figures/{group}/{name}"
    files = {k: rel(page, f"figures/{group}/{sub}{name}.{ext}") for k, sub, ext in FIGURE_FILES}
    files["numbers"] = rel(page, f"figures/{group}/{NUMBERS}")
    return {"group": group, "name": name, "title": title, "caption": caption, "group_title": o.title(group),
            **files, "alt": o.alt(group, name), "file": stem,
            "index": rel(page, "figure-index.md") + anchor,
            "index_html": rel(page, "figure-index.html") + anchor,  # for raw html, where links are not rewritten
            "legend": o.legend(group, name), "table": TABLE_KIND.get(base),
            "license": o.cite["license"], "license_url": o.cite["license_url"],
            "url": figure_url(o.cite, stem + ".png"), "sha256": o.figure_hash(group, name),
            "lecture": moment("figures", name),
            "titles": figure_titles(o, group)}


def figure_titles(o: Outputs, group: str) -> dict:
    """The titles of the experiments a summary figure's legend is keyed by, for its caption: the
    figure's alt text names them the same way (the plot step passed the same titles to `save`).
    Part A's summary figures label their experiments by title, the gain sweep its sweeps; the other
    studies' figures label them by id, and so do their alt text and caption."""
    if group == "part_a":
        return {n: o.title(n) for n in o.parts().get("A", [])}
    if group == "gain_sweep":
        return {k: sw.get("title", k) for k, sw in (o.studies.get(group, {}).get("sweeps") or {}).items()}
    return {}


def figures(o: Outputs, page: str, group: str, names: list[str] | None = None) -> list[dict]:
    return [figure(o, page, group, f) for f in (o.figures.get(group, []) if names is None else names)]


def deepest(lg: dict) -> dict | None:
    """The legend entry of the deepest hidden layer."""
    if not lg or "diverged" in lg:
        return None
    return lg[list(lg)[-1]]


def family_key(spec: dict) -> tuple:
    return (spec["activation"], spec["norm"], spec["fan_in_scaling"], spec.get("n_layers"), spec.get("n_hidden"))


# ---- the home page and Part A -----------------------------------------------------------------

def home_results(o: Outputs, page: str = "index.md") -> dict:
    names = o.parts().get("A", [])
    rows = []
    for n in names:
        m, lec = o.metrics[n], LECTURE.get(n, {})
        # compared at the precision the lecture printed its number with (pipeline/format.py Printed)
        diff = at_precision(m["val_loss"], lec["val"]) if m["val_loss"] is not None and "val" in lec else None
        rows.append({**link(o, page, n), "m": m, "lecture": lec or None, "lecture_init": LECTURE_INITIAL_LOSS.get(n),
                     "val_minus_lecture": diff})
    m0 = o.metrics[names[0]] if names else {}
    short = sorted({o.metrics[n]["steps"] for n in names if o.metrics[n]["steps"] != LECTURE_STEPS})
    return {"results": {"rows": rows, "vocab_size": m0.get("vocab_size"),
                        "expected_initial_loss": m0.get("expected_initial_loss"), "lecture_steps": LECTURE_STEPS,
                        "short": short, "reproduce": rel(page, "reproduce.md")}}


def experiment_mlp(o: Outputs, name: str, names: list[str]) -> dict:
    page = o.page_of(name)
    spec, m = o.resolved[name], o.metrics[name]
    i = names.index(name)
    kind_prev = next((n for n in reversed(names[:i]) if o.resolved[n]["kind"] == spec["kind"]), None)
    base = kind_prev
    if spec["part"] != "A":  # beyond the lecture: compare with the closest lecture variant
        lecture = [n for n in o.parts().get("A", []) if o.resolved[n]["kind"] == spec["kind"]]
        base = min(lecture, key=lambda n: len(spec_diff(o.resolved[n], spec)), default=kind_prev)
    base_spec = o.resolved[base] if base else None
    diff = spec_diff(base_spec, spec)
    lec = LECTURE.get(name, {})
    return {"name": name, "spec": spec, "m": m, "init": m.get("init") or {}, "index": i + 1, "count": len(names),
            "prev": link(o, page, names[i - 1]) if i else None,
            "next": link(o, page, names[i + 1]) if i + 1 < len(names) else None,
            "base": {**link(o, page, base), "previous": base == kind_prev} if base else None,
            "base_m": o.metrics[base] if base else {},
            "diff": diff, "excerpts": mlp_excerpts(spec, base_spec, {k for k, _, _ in diff}), "note": o.note(name),
            "lecture": {"initial_loss": LECTURE_INITIAL_LOSS.get(name), "train": lec.get("train"),
                        "val": lec.get("val"), "steps": LECTURE_STEPS},
            "figures": figures(o, page, name), "samples": o.samples[name], "seed": spec["sampling"]["seed"],
            "moment": moment("experiments", name), "learn": o.learning(name)}


def part_a_index(o: Outputs, names: list[str]) -> dict:
    page = "part-a/index.md"
    rows = [{**link(o, page, n), "m": o.metrics[n]} for n in names]
    return {"note": o.note("part_a"), "rows": rows, **home_results(o, page), "figures": figures(o, page, "part_a"),
            "moment": moment("experiments", "part_a"), "learn": o.learning("part_a")}


# ---- Part B ----------------------------------------------------------------------------------

def experiment_deep(o: Outputs, name: str) -> dict:
    page = o.page_of(name)
    spec = o.resolved[name]
    figs = figures(o, page, name)
    code = excerpt("nn.models", "DeepMLP.__init__", [r"gain", r"last_layer_scale", r"fan_in_scaling", r"BatchNorm1d\("])
    return {"name": name, "spec": spec, "m": o.metrics[name], "excerpt": code, "note": o.note(name),
            "moment": moment("experiments", name), "learn": o.learning(name),
            "init": [f for f in figs if f["name"].endswith("_init") or f["name"] == PAIR_FIGURE],
            "final": [f for f in figs if f["name"].endswith("_final")],
            "during": [f for f in figs if not f["name"].endswith(("_init", "_final")) and f["name"] != PAIR_FIGURE]}


def part_b_index(o: Outputs, names: list[str]) -> dict:
    page = "part-b/index.md"
    groups: dict[tuple, list[str]] = {}
    for n in names:
        groups.setdefault(family_key(o.resolved[n]), []).append(n)
    families = []
    for fam in groups.values():
        runs = []
        for n in sorted(fam, key=lambda n: o.resolved[n]["gain"]):
            tabs = [f for f in TAB_FIGURES if f in o.figures.get(n, [])]
            runs.append({**link(o, page, n), "gain": o.resolved[n]["gain"], "m": o.metrics[n],
                         "deepest": deepest(o.legend(n, "activations_init")), "figures": figures(o, page, n, tabs)})
        stds = [r["deepest"]["std"] for r in runs if r["deepest"]]
        ratio = max(stds) / min(stds) if stds and min(stds) > 0 else None
        families.append({"spec": o.resolved[fam[0]], "runs": runs, "ratio": ratio})
    pairs = []
    for n in names:
        s = o.resolved[n]
        if s["norm"] != "batchnorm":
            continue
        for p in names:
            t = o.resolved[p]
            if (t["norm"] == "none" and t["activation"] == s["activation"] and math.isclose(t["gain"], s["gain"])
                    and t["fan_in_scaling"] == s["fan_in_scaling"]):
                both = [f for f in BN_PAIR_FIGURES if f in o.figures.get(p, []) and f in o.figures.get(n, [])]
                combined = figure(o, page, n, PAIR_FIGURE) if PAIR_FIGURE in o.figures.get(n, []) else None
                if combined:  # the combined figure has the pair at init, on shared axes
                    both = [f for f in both if not f.endswith("_init")]
                pairs.append({"plain": link(o, page, p), "batchnorm": link(o, page, n), "combined": combined,
                              "figures": [(figure(o, page, p, f), figure(o, page, n, f)) for f in both]})
    return {"note": o.note("part_b"), "families": families, "pairs": pairs, "moment": moment("experiments", "part_b"),
            "learn": o.learning("part_b")}


# ---- Part C and beyond the lecture -----------------------------------------------------------------

def part_c(o: Outputs) -> dict:
    page = "part-c.md"
    demos = [{"name": d, "data": data, "note": o.note(d), "figures": figures(o, page, d),
              "moment": moment("experiments", d),
              "widget": widget(o, data) if d == "batchnorm_demo" else None} for d, data in o.demos.items()]
    return {"note": o.note("part_c"), "demos": demos, "learn": o.learning("part_c")}


def widget(o: Outputs, data: dict) -> str | None:
    """The lecture's slider, as the offline widget of docs/interactive/, started at the config's batch."""
    path = o.repo / "docs" / "interactive" / "batchnorm.html"
    if not path.exists():
        return None
    text = path.read_text()
    text = re.sub(r'data-values="[^"]*"', f'data-values="{json.dumps(data["values"])}"', text, count=1)
    text = re.sub(r'data-moved="[^"]*"', f'data-moved="{data["moved_index"]}"', text, count=1)
    return text.strip()


def scalar_columns(rows: list) -> list[str]:
    """The scalar columns of a study's rows (nested values are left to its JSON file)."""
    if not rows or not isinstance(rows[0], dict):
        return []
    return [k for k, v in rows[0].items() if isinstance(v, (str, int, float, bool)) or v is None]


# A study table's column headings, written for people (a column of a study's rows without one here
# stops the pages step, naming it: add its heading).
HEADINGS = {
    "experiment": "experiment", "variant": "variant", "name": "name", "title": "title", "kind": "kind",
    "activation": "activation", "norm": "normalisation", "gain": "gain", "momentum": "momentum",
    "batch_size": "batch size", "eval_stats": "statistics at evaluation", "seed": "seed", "seeds": "seeds",
    "n": "seeds", "steps": "steps", "frozen_steps": "steps with frozen weights", "n_params": "parameters",
    "initial_loss": "loss at step 0", "train_loss": "train loss", "val_loss": "val loss", "test_loss": "test loss",
    "val_mean": "mean val loss", "mean_val_loss": "mean val loss", "mean": "mean", "std": "std",
    "min": "lowest", "max": "highest", "low": "95 % interval, low", "high": "95 % interval, high",
    "minimum": "lowest", "maximum": "highest", "diverged": "diverged", "n_diverged": "runs that diverged",
    "val_loss_reported": "val loss (as trained)", "val_loss_running_final": "val loss, running statistics",
    "val_loss_calibrated": "val loss, calibrated statistics",
    "val_running_minus_calibrated": "running − calibrated",
    "frozen_mean_dev_avg": "running mean's drift (frozen weights)",
    "frozen_std_dev_avg": "running std's drift (frozen weights)",
    "saturation_init_pct": "saturated at init (%)", "saturation_final_pct": "saturated after training (%)",
    "saturation_meaningful": "saturation applies (tanh)",
    "mean_log10_update_ratio_last_100": "update:data ratio, log10 (last 100 steps)",
    "unigram_val_loss": "val loss of a unigram guess",
    "lecture_val_within_seed_range": "lecture's val loss within the seeds' range",
    "grad_exactly_zero": "gradient exactly zero", "grad_nonzero_entries": "non-zero gradient entries",
    "grad_max_abs": "largest |gradient|", "changed_by_training": "changed by training", "trainable": "trainable",
    "init_all_zero": "all zero at init", "max_abs_change": "largest change", "shape": "shape", "params": "parameters",
    "fold": "folded", "best_gain": "best gain", "best_loss": "best val loss", "width_octaves": "width (octaves)",
    "split": "split", "count": "count", "step": "step", "figures": "figures",
    "n_batchnorm_folded": "BatchNorms folded", "examples": "examples", "max_abs_diff": "largest |difference|",
    "allclose": "same outputs (within 1e-5)", "threads": "threads",
    "lecture_seed_val": "val loss with the lecture's seed", "val_minus_unigram": "val − unigram",
    "train_seconds": "training time (s)", "ms_per_step": "ms per step", "wall_seconds": "wall time (s)",
    "resumed_from_step": "resumed from step", "unfolded_ms": "BatchNorm kept (ms)",
    "folded_ms": "BatchNorm folded (ms)", "speedup": "speed-up",
}


def heading(column: str, study: str) -> str:
    if column not in HEADINGS:
        raise KeyError(f"the column {column!r} of the study {study!r} has no heading: add one to HEADINGS "
                       "(pipeline/site/pages.py)")
    return HEADINGS[column]


def study_columns(rows: list, study: str) -> list[dict]:
    """The columns a study's table shows, with their headings; a title column that only repeats the
    row's id is left out."""
    cols = scalar_columns(rows)
    ids = [c for c in ("experiment", "variant", "name") if c in cols]
    if "title" in cols and ids and all(r.get("title") == r.get(ids[0]) for r in rows):
        cols.remove("title")
    return [{"key": c, "heading": heading(c, study)} for c in cols]


def beyond(o: Outputs) -> dict:
    page = "beyond.md"
    studies = [{"name": s, "title": o.title(s), "note": o.note(s),
                "rows": data.get("rows") or [], "columns": study_columns(data.get("rows") or [], s),
                "figures": figures(o, page, s)} for s, data in o.studies.items()]
    single = [link(o, page, n) for n, s in o.resolved.items() if s["part"] not in ("A", "B")]
    return {"note": o.note("beyond"), "studies": studies, "single": single, "learn": o.learning("beyond")}


# ---- the figure index -----------------------------------------------------------------------------

def provenance(o: Outputs, group: str) -> dict:
    if group in o.resolved:
        m = o.metrics[group]
        return {"experiment": group, "config_hash": m["config_hash"], "data_sha256": m["data_sha256"],
                "seed": m["seed"], "inputs": f"results/runs/{group}/"}
    if group == "part_a":
        names = o.parts().get("A", [])
        m = o.metrics[names[0]] if names else {}
        return {"experiment": ", ".join(names), "config_hash": ", ".join(o.metrics[n]["config_hash"] for n in names),
                "data_sha256": m.get("data_sha256"), "seed": m.get("seed"),
                "inputs": ", ".join(f"results/runs/{n}/" for n in names)}
    from pipeline.config import spec_hash
    if group in o.studies:
        spec_of = o.cfg.get("beyond") or {}
        key = group[len("compare_"):] if group.startswith("compare_") else group
        spec = (spec_of.get("comparisons") or {}).get(key) or spec_of.get(key) or spec_of.get("sweeps") or {}
        any_m = next(iter(o.metrics.values()), {})
        return {"experiment": f"study {group}", "config_hash": spec_hash(spec),
                "data_sha256": any_m.get("data_sha256"), "seed": "see the study's runs",
                "inputs": f"results/beyond/{group}.json"}
    spec = o.cfg["demos"].get(group, {})
    return {"experiment": f"demo {group}", "config_hash": spec_hash(spec), "data_sha256": "— (synthetic data)",
            "seed": spec.get("seed", "—"), "inputs": f"results/demos/{group}.json"}


def bibtex_key(group: str, name: str) -> str:
    return "makemore-bn:" + re.sub(r"[^A-Za-z0-9]+", "-", f"{group}-{name}")


def figure_index(o: Outputs) -> dict:
    page = "figure-index.md"
    order = [(part, (["part_a"] if part == "A" else []) + names) for part, names in o.parts().items()]
    order.append(("demos", list(o.cfg["demos"])))
    if o.studies:
        order.append(("studies", list(o.studies)))
    sections = []
    for part, groups in order:
        entries = []
        for g in groups:
            if g not in o.figures:
                continue
            figs = []
            for f in figures(o, page, g):
                figs.append({**f, "id": fig_id(g, f["name"]), "bibtex_key": bibtex_key(g, f["name"]),
                             "page_url": figure_url(o.cite, o.page_of(g).removesuffix(".md") + ".html"),
                             "regenerate": f"snakemake -j1 --force {shlex.quote(f['file'] + '.png')}",
                             **filter_keys(o, g, f)})
            entries.append({"group": g, "title": o.title(g), "href": rel(page, o.page_of(g)),
                            "provenance": provenance(o, g), "figures": figs,
                            "zip": download_url(o.cite, f"{g}.zip")})
        sections.append({"part": part, "groups": entries})
    # the year of CITATION.cff's date-released; without one, the year of the code's commit
    year = o.cite.get("year") or (o.git.get("date") or "")[:4] or "n.d."
    for s in sections:
        for g in s["groups"]:
            for f in g["figures"]:
                f["bibtex"] = cite.bibtex(f, g["title"], o.cite, o.git, year)
    return {"git": o.git, "cite": o.cite, "year": year, "sections": sections,
            "filters": figfilter.options(sections), "all_zip": download_url(o.cite, "all-figures.zip")}


def filter_keys(o: Outputs, group: str, f: dict) -> dict:
    """A figure's kind and the words the figure index's filter box matches (pipeline/site/figfilter.py)."""
    across = group not in o.resolved or f["name"] == PAIR_FIGURE
    slug, label = figfilter.figure_kind(f["name"], "demo" if group in o.cfg["demos"] else
                                        "across" if across else "run")
    return {"kind": slug, "kind_label": label,
            "filter_text": figfilter.search_text(f["title"], f["caption"], o.title(group), group)}


# ---- the includes of the hand-written pages ---------------------------------------------------------

def part_links(o: Outputs) -> dict:
    parts = [(part, [{"title": o.resolved[n]["title"], "href": o.page_of(n)} for n in names])
             for part, names in o.parts().items()]
    return {"parts": parts, "demos": [d.get("title", k) for k, d in o.demos.items()]}


# ---- the claims page --------------------------------------------------------------------------------

def claims_page(o: Outputs, book) -> dict:
    """Every claim of the site, grouped by the page it is on, with its check and its numbers."""
    page = "claims.md"
    groups: dict[str, list] = {}
    for c in book.claims:
        groups.setdefault(c.page, []).append(c)
    return {"mode": book.mode, "total": len(book.claims), "failed": len(book.failed()),
            "short": sorted({m["steps"] for n, m in o.metrics.items() if o.resolved[n]["part"] == "A"
                             and m["steps"] != LECTURE_STEPS}),
            "pages": [{"page": p, "href": rel(page, p), "title": o.title_of_page(p), "claims": cs}
                      for p, cs in groups.items()]}
