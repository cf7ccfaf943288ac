"""The words a figure says about its numbers, written once, in docs/templates/_figure_words.md.j2.

Two readers render that template: the plot steps (a figure's alt text, written into its legend
JSON and into the metadata of its PNG and WebP, by `alt()` here) and the site (the numbers in a
figure's caption, `legend_numbers` of _macros.md.j2). So a figure's alt text and its caption say
the same numbers in the same words, and rewording them is an edit to one template.

Only what both environments need lives here: the template's folder, the filters it uses (the one
number formatter, pipeline/format.py) and one helper that finds numbers in a legend of unknown
shape. Sentences do not: they are the template's.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

from pipeline.format import fmt, plural

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "docs" / "templates"  # the pages' prose and layout, beside the hand-written docs
TEMPLATE = "_figure_words.md.j2"
READS_FILES = ("docs/templates/_figure_words.md.j2",)  # a non-Python input of every step that imports this


def leading_numbers(obj, n: int = 3, path: str = "") -> list[tuple[str, float]]:
    """The first `n` finite numbers of a legend of any shape, each with its key path ('layer 1 std'),
    for a figure the template has no sentence of its own for. Lists count at most 4 entries."""
    found: list[tuple[str, float]] = []

    def walk(o, p):
        if isinstance(o, dict):
            for k, v in o.items():
                walk(v, f"{p} {k}".strip())
        elif isinstance(o, list):
            for i, v in enumerate(o[:4]):
                walk(v, f"{p} {i + 1}")
        elif isinstance(o, (int, float)) and not isinstance(o, bool) and math.isfinite(o):
            found.append((p.replace("_", " "), o))
    walk(obj, path)
    return found[:n]


FILTERS = {"num": fmt, "plural": plural}
GLOBALS = {"leading_numbers": leading_numbers}


def install(env) -> None:
    """Give a Jinja environment (the site's, or the plot steps' own) what the template uses."""
    env.filters.update({k: v for k, v in FILTERS.items() if k not in env.filters})
    env.globals.update(GLOBALS)


@functools.cache
def environment():
    import jinja2
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    install(env)
    return env


def alt(name: str, subject: str, legend: dict, titles: dict | None = None) -> str:
    """A figure's alt text: one sentence naming the figure, what it is about (`subject`) and its key
    numbers; `titles` names the experiments a summary figure's legend is keyed by."""
    macro = environment().get_template(TEMPLATE).module.alt
    return " ".join(str(macro(name, subject, legend, titles or {})).split())
