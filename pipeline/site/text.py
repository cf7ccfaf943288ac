"""Text and paths every part of the site shares, below both the outputs and the templates'
environment: relative links and figure anchors, and config or data text (`Text`) escaped for
Markdown or HTML wherever a page prints it."""

from __future__ import annotations

import html
import os
import re


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
