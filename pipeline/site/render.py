"""The Jinja2 environment of the site's templates (docs/templates/): Python hands each page a
context of numbers and links, the templates hold every sentence and the layout."""

from __future__ import annotations

import functools
import html
import math
import os
import re
from pathlib import Path

import jinja2

from pipeline.format import fmt
from pipeline.site.claims import claim_function, plain
from pipeline.site.outputs import TEMPLATES


def rel(from_page: str, target: str) -> str:
    """A relative link from one page (docs-relative path) to another file."""
    return os.path.relpath(target, start=os.path.dirname(from_page) or ".").replace(os.sep, "/")


def slug(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p) for p in parts)


def fig_id(group: str, figure: str) -> str:
    return "fig-" + slug(group, figure)


def md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def gain_label(g: float) -> str:
    """A gain as the lecture writes it: 5/3 as a fraction, anything else as a short decimal."""
    return "5/3" if math.isclose(g, 5 / 3) else fmt(g, "g")


def indent(text: str, n: int = 4) -> str:
    """Every non-blank line padded by `n` spaces (a block inside an admonition or a tab)."""
    pad = " " * n
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())


def capfirst(s: str) -> str:
    return s[:1].upper() + s[1:]


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
                             autoescape=False)  # markdown, not html: the templates escape where they must
    filters = {"num": fmt, "gain": gain_label, "md_escape": md_escape, "html": html.escape, "pad": indent,
               "capfirst": capfirst, "claim_text": plain}
    env.filters.update({k: strict(f) for k, f in filters.items()})
    env.globals["claim"] = claim_function()  # a checked sentence (pipeline/site/claims.py)
    return env


def render(template: str, context: dict, templates: Path = TEMPLATES, page: str | None = None,
           claims=None) -> str:
    """One page or include; its text ends with exactly one newline. Its claims are checked into the
    ClaimBook `claims` under the name `page` (the page the reader sees them on)."""
    ctx = {**context, "_page": page, "_claims": claims}
    return environment(templates).get_template(template).render(ctx).rstrip("\n") + "\n"
