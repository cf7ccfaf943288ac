"""What the figure index's filter box (docs/assets/js/figure-filter.js) sorts figures by: the part,
the experiment and the kind of each figure, the kinds derived from the figures' file names."""

from __future__ import annotations

import re

STAGES = ("_init", "_final")  # the same diagnostic drawn at two moments is one kind


def figure_kind(name: str, group_kind: str) -> tuple[str, str]:
    """(slug, label) of a figure's kind: from its file name (activations_init and activations_final:
    "activations"; every *_hist: "histograms"), except that a demonstration's figures are "demos"
    and a figure across runs (a study's, Part A's overlays, a pair on shared axes) is "comparisons".
    `group_kind` is "run" (one experiment's figures), "demo" or "across"."""
    if group_kind == "demo":
        label = "demos"
    elif group_kind == "across":
        label = "comparisons"
    elif name.endswith("_hist"):
        label = "histograms"
    else:
        base = next((name[: -len(s)] for s in STAGES if name.endswith(s)), name)
        label = base.replace("_", " ")
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-"), label


def search_text(*parts) -> str:
    """The words the filter's text box matches: lower case, blanks collapsed."""
    return re.sub(r"\s+", " ", " ".join(str(p) for p in parts if p)).strip().lower()


def options(sections: list[dict]) -> dict:
    """The parts and kinds present in the index, in the order they first appear (the kinds of one
    run's figures first, then comparisons and demos)."""
    parts, kinds = {}, {}
    for s in sections:
        for g in s["groups"]:
            for f in g["figures"]:
                parts.setdefault(s["part"], None)
                kinds.setdefault(f["kind"], f["kind_label"])
    order = sorted(kinds, key=lambda k: k in ("comparisons", "demos"))  # stable: first appearance otherwise
    return {"parts": list(parts), "kinds": [{"slug": k, "label": kinds[k]} for k in order]}
