"""Snakemake's own report (`snakemake --report report.zip`), for users who live in Snakemake.

Every figure's page variant (figures/<group>/<name>.png) is flagged with `report(...)` in the rule
that draws it: grouped by part (category) and experiment, study or demonstration (subcategory),
with the figure's title and this run's alt text (from the legend JSON beside it) as labels, and
one caption template (rules/report/figure.rst). The dark, talk, SVG and PDF variants and the
thumbnails stay out: the report is one picture per figure, like the site's pages.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import yaml

from pipeline.workflow.site_inputs import REPO

CAPTION = str(REPO / "rules" / "report" / "figure.rst")
WORKFLOW_CAPTION = str(REPO / "rules" / "report" / "workflow.rst")
# no colon in a name: the report links its categories through reStructuredText targets
PARTS = {"A": "Part A (one hidden layer)", "B": "Part B (the deep network's diagnostics)",
         "E": "Beyond the lecture (experiments)"}
STUDIES = "Beyond the lecture (studies)"
DEMOS = "Part C (demonstrations)"
_PAGE_PNG = re.compile(r"figures/[^/]+/(?P<name>[^/]+)\.png")


@lru_cache(maxsize=1)
def _captions() -> dict:
    return yaml.safe_load((REPO / "docs" / "templates" / "captions.yaml").read_text(encoding="utf-8")) or {}


def figure_title(name: str) -> str:
    """The site's title of figure `name` (docs/templates/captions.yaml), else its file name."""
    return (_captions().get(name) or {}).get("title") or name.replace("_", " ")


def _labels(name: str):
    """Labels of figure `name` for the report, read when the report is made (the figure exists by
    then): its title and its alt text, which states this run's numbers."""

    def labels(wildcards, output):
        concrete = name.format(**dict(wildcards.items()))  # a demo's figure is named as the demo
        png = next(str(f) for f in output if _PAGE_PNG.fullmatch(str(f)) and str(f).endswith(f"/{concrete}.png"))
        legend = Path(png).with_suffix(".json")
        try:
            alt = json.loads(legend.read_text(encoding="utf-8")).get("alt") or ""
        except (OSError, ValueError):
            alt = ""
        return {"figure": figure_title(concrete), "what it shows": alt}

    return labels


def flag(paths: list[str], category, subcategory) -> list:
    """`paths` (a rule's outputs) with each figure's page PNG flagged for the report."""
    from snakemake.io import report

    out = []
    for p in paths:
        m = _PAGE_PNG.fullmatch(p)
        out.append(report(p, caption=CAPTION, category=category, subcategory=subcategory,
                          labels=_labels(m["name"])) if m else p)
    return out


class ReportGroups:
    """Category and subcategory callables of the rules that draw figures."""

    def __init__(self, resolved: dict[str, dict]):
        self.resolved = resolved

    def part(self, wildcards) -> str:
        return PARTS[self.resolved[wildcards.exp]["part"]]

    def experiment(self, wildcards) -> str:
        return self.resolved[wildcards.exp]["title"]
