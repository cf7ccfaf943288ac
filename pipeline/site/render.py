"""The Jinja2 environment of the site's templates (docs/templates/): Python hands each page a
context of numbers and links, the templates hold every sentence and the layout."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import jinja2

from pipeline import sitemap, words
from pipeline.format import apart, at_precision, change, fmt, plural
from pipeline.reproducible import TIMING_FIELDS, timing_span
from pipeline.site.claims import claim_function, plain, verdict
from pipeline.site.outputs import TEMPLATES
from pipeline.site.text import (  # noqa: F401  (rel, slug, fig_id, md_escape, mark_text: re-exported)
    Text,
    attr,
    fig_id,
    finalize,
    mark_text,
    md_escape,
    md_text,
    rel,
    slug,
    verbatim,
)


def gain_label(g: float) -> str:
    """A gain as the lecture writes it: 5/3 as a fraction, anything else as a short decimal."""
    return "5/3" if math.isclose(g, 5 / 3) else fmt(g, "g")


def indent(text: str, n: int = 4) -> str:
    """Every non-blank line padded by `n` spaces (a block inside an admonition or a tab)."""
    pad = " " * n
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())


def capfirst(s: str) -> str:
    return type(s)(s[:1].upper() + s[1:]) if isinstance(s, Text) else s[:1].upper() + s[1:]


def strict(f):
    """A filter that fails loudly on a missing value, naming it, as printing it would."""
    @functools.wraps(f)
    def checked(v, *args, **kw):
        if isinstance(v, jinja2.Undefined):
            str(v)  # StrictUndefined raises here
        return f(v, *args, **kw)
    return checked


@functools.cache
def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    # docs/templates, then docs/ itself: a page includes its hand-written note as "notes/<name>.md"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([templates, templates.parent]),
                             undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=False,  # markdown, not html: config text is escaped by finalize
                             finalize=finalize)
    filters = {"num": fmt, "gain": gain_label, "md_escape": md_escape, "html": attr, "attr": attr, "pad": indent,
               "capfirst": capfirst, "md": md_text, "claim_text": plain, "verbatim": verbatim,
               "timing": timing_span,  # a measured duration or size: masked when runs are compared
               # words around numbers (pipeline/format.py): `n | plural("dead neuron")`, the fewest
               # decimals at which two sides differ `apart(a, b)`, `ratio | change` ("a factor of 11.2",
               # "0.3 %"), `ours | at_precision(lecture)` (compared at the lecture's printed precision)
               "plural": plural, "change": change, "at_precision": at_precision}
    env.filters.update({k: strict(f) for k, f in filters.items()})
    env.globals["TIMING_FIELDS"] = TIMING_FIELDS  # a study's column of these is printed through `timing`
    env.globals["apart"] = apart
    env.globals["part_titles"] = sitemap.titles()  # the `part_title` macro's words (pipeline/sitemap.py)
    env.globals["log10"] = math.log10
    env.globals["verdict"] = verdict  # a seed comparison's direction: lower, higher, indistinguishable
    env.globals["claim"] = claim_function()  # a checked sentence (pipeline/site/claims.py)
    words.install(env)  # what the figure words use (docs/templates/_figure_words.md.j2)
    return env


def render(template: str, context: dict, templates: Path = TEMPLATES, page: str | None = None,
           claims=None) -> str:
    """One page or include; its text ends with exactly one newline. Its claims are checked into the
    ClaimBook `claims` under the name `page` (the page the reader sees them on)."""
    ctx = {**context, "_page": page, "_claims": claims}
    return environment(templates).get_template(template).render(ctx).rstrip("\n") + "\n"
