"""The teaching site's map, in one table: each part of the site (its key, its title, its overview page and that
page's template, where its experiments' pages live) and the fixed pages' titles. The page list
(site/write.py), the pages of experiments and figure groups (site/outputs.py), the navigation (site/nav.py), the
`part_title` of the templates and the categories of Snakemake's report (workflow/report.py) all read
it, so a part is named one way everywhere. Stdlib only: the Snakefile reads it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    key: str  # an experiment's `part` in the config (A, B, E), or the figure groups it holds (demos, studies)
    title: str  # its name on every page, in the navigation and in the report
    page: str | None = None  # its overview page
    template: str | None = None  # that page's template (docs/templates/)
    folder: str | None = None  # where the pages of its experiments live: <folder>/<experiment>.md


PARTS = {p.key: p for p in (
    Part("A", "Part A: the MLP and its fixes", "part-a/index.md", "part_a_index.md.j2", "part-a"),
    Part("B", "Part B: deep-network diagnostics", "part-b/index.md", "part_b_index.md.j2", "part-b"),
    Part("demos", "Part C: bonus demonstrations", "part-c.md", "part_c.md.j2"),
    Part("E", "Beyond the lecture", folder="part-e"),
    Part("studies", "Studies beyond the lecture", "beyond.md", "beyond.md.j2"),
)}
FIXED_PAGES = {"index.md": "Home", "reproduce.md": "Reproduce", "figure-index.md": "Figure index",
               "claims.md": "Claims", "explore.md": "Explore: turn the gain"}


def part(key: str) -> Part:
    """A part by its key; a part the table lacks (a new letter in the config) gets a plain one."""
    return PARTS.get(key) or Part(key, f"Part {key}", folder=f"part-{key.lower()}")


def titles() -> dict[str, str]:
    """key -> title, for the templates' `part_title`."""
    return {k: p.title for k, p in PARTS.items()}


def experiment_page(key: str, experiment: str) -> str:
    return f"{part(key).folder}/{experiment}.md"


def page_title(page: str) -> str | None:
    """The title of a fixed or overview page, for links to it; None for an experiment's page."""
    overview = {p.page: p.title for p in PARTS.values() if p.page}
    return FIXED_PAGES.get(page) or overview.get(page)
