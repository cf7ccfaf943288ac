"""Snakemake's own report (`snakemake --report report.zip`), for users who live in Snakemake.

Every figure's page variant (figures/<group>/<name>.png) is flagged with `report(...)` in the rule
that draws it: grouped by part (category) and experiment, study or demonstration (subcategory),
with the figure's title and this run's alt text (from the legend JSON beside it) as labels, and
one caption template (rules/report/figure.rst). The dark WebP and the thumbnails stay out (and
the downloads, `snakemake downloads`, are no part of it): one picture per figure, like the site's pages.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pipeline import sitemap
from pipeline.workflow.site_inputs import REPO

CAPTION = str(REPO / "rules" / "report" / "figure.rst")
# no colon in a name: the report links its categories through reStructuredText targets
PARTS = {k: sitemap.part(k).title for k in ("A", "B", "E")}  # the report's categories: the site's parts
STUDIES = sitemap.PARTS["studies"].title
DEMOS = sitemap.PARTS["demos"].title
_PAGE_PNG = re.compile(r"figures/[^/]+/[^/]+\.png")  # a figure's page variant, not dark/ or thumbs/


def _labels(pattern: str):
    """Labels of the figure whose page PNG is `pattern` (wildcards in it), read when the report is
    made (the figure exists by then): the site's title of the figure and its alt text, which states
    this run's numbers (from the legend JSON beside it)."""

    def labels(wildcards):
        from pipeline.site.outputs import caption_of  # the site's titles (docs/templates/captions.yaml)

        png = Path(pattern.format(**dict(wildcards.items())))
        try:
            alt = json.loads(png.with_suffix(".json").read_text(encoding="utf-8")).get("alt") or ""
        except (OSError, ValueError):
            alt = ""
        return {"figure": caption_of(png.stem)[0], "what it shows": alt}

    return labels


def flag(paths: list[str], category, subcategory) -> list:
    """`paths` (a rule's outputs) with each figure's page PNG flagged for the report."""
    from snakemake.io import report

    return [report(p, caption=CAPTION, category=category, subcategory=subcategory, labels=_labels(p))
            if _PAGE_PNG.fullmatch(p) else p for p in paths]


class ReportGroups:
    """The category callable of the rules that draw an experiment's figures (the subcategory is the
    experiment's title, Experiments.title)."""

    def __init__(self, resolved: dict[str, dict]):
        self.resolved = resolved

    def part(self, wildcards) -> str:
        return PARTS[self.resolved[wildcards.exp]["part"]]
