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

from pipeline.format import apart, at_precision, change, fmt, plural
from pipeline.reproducible import TIMING_FIELDS, timing_span
from pipeline.site.claims import claim_function, plain, verdict
from pipeline.site.outputs import TEMPLATES


def rel(from_page: str, target: str) -> str:
    """A relative link from one page (docs-relative path) to another file."""
    return os.path.relpath(target, start=os.path.dirname(from_page) or ".").replace(os.sep, "/")


def slug(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p) for p in parts)


def fig_id(group: str, figure: str) -> str:
    return "fig-" + slug(group, figure)


class Text(str):
    """Text that comes from the config or the data (titles, summaries, file names), not from the
    templates. Printed as is (`{{ title }}`), it is escaped for Markdown (finalize below): a title
    such as `<script>`, `](javascript:...)` or `{: .x}` shows as those characters, never as HTML,
    a link or attributes. In an HTML attribute or raw HTML, the templates use `attr` / `html`."""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|$<>&:])")
# as entities: & < > (HTML), `:` (starts an emoji), brackets and parentheses (a backslash before them
# opens arithmatex's math: \( \[)
_ENTITY = {"<": "&lt;", ">": "&gt;", "&": "&amp;", ":": "&#58;", "(": "&#40;", ")": "&#41;", "[": "&#91;",
           "]": "&#93;"}


def md_text(s) -> str:
    """Inline Markdown that renders exactly the characters of `s`: & < > and `:` as entities, every
    other character Markdown or its extensions (tables, attr_list, arithmatex) act on backslash-escaped,
    and on every line (a summary may have several) a leading `-`, `=` or `1.` that would start a list
    or a heading neutralised, and leading blanks that would start a code block dropped."""
    out = _MD_SPECIAL.sub(lambda m: _ENTITY.get(m.group(1), "\\" + m.group(1)), str(s))
    out = re.sub(r"^[ \t]+", "", out, flags=re.M)
    out = re.sub(r"^-", r"\\-", out, flags=re.M)
    out = re.sub(r"^=", r"&#61;", out, flags=re.M)
    return re.sub(r"^(\d+)\.", r"\1\\.", out, flags=re.M)


def verbatim(s) -> str:
    """For a code block, where Markdown shows every character as it is: the text unescaped (a title
    in a citation's plain text reads `{{ 7*7 }}`, not `\\{\\{ 7\\*7 \\}\\}`)."""
    return str(s)


def md_escape(s: str) -> str:
    """For a table cell: config text fully escaped; template text only its pipes (inside $...$ math
    as `\\vert`, since `\\|` there is TeX's norm sign, not a pipe)."""
    if isinstance(s, Text):
        return md_text(s)
    parts = re.split(r"(\$[^$]*\$)", s)
    return "".join(p.replace("|", "\\vert ") if p.startswith("$") and p.endswith("$") and len(p) > 1
                   else p.replace("|", "\\|") for p in parts)


def attr(s) -> str:
    """For an HTML attribute value (or raw HTML): quotes too."""
    return html.escape(str(s), quote=True)


def finalize(v):
    """What `{{ ... }}` prints: config and data text escaped for Markdown (see Text)."""
    return md_text(v) if isinstance(v, Text) else v


def mark_text(obj, keys=("title", "summary", "origin", "group_title")):
    """`obj` with the string values of `keys` (at any depth) marked as Text."""
    if isinstance(obj, dict):
        return {k: (Text(v) if k in keys and isinstance(v, str) else mark_text(v, keys)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mark_text(v, keys) for v in obj]
    return obj


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
    env.globals["log10"] = math.log10
    env.globals["verdict"] = verdict  # a seed comparison's direction: lower, higher, indistinguishable
    env.globals["claim"] = claim_function()  # a checked sentence (pipeline/site/claims.py)
    return env


def render(template: str, context: dict, templates: Path = TEMPLATES, page: str | None = None,
           claims=None) -> str:
    """One page or include; its text ends with exactly one newline. Its claims are checked into the
    ClaimBook `claims` under the name `page` (the page the reader sees them on)."""
    ctx = {**context, "_page": page, "_claims": claims}
    return environment(templates).get_template(template).render(ctx).rstrip("\n") + "\n"
