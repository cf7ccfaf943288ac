"""An MkDocs hook of one job: each page's HTML needs no script from off the machine. The math
(pymdownx.arithmatex, generic mode) becomes MathML at build time, so pages load no math script,
and a notebook page drops the CDN scripts (MathJax, mermaid) mkdocs-jupyter would have it load."""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert as latex_to_mathml
from mkdocs.exceptions import PluginError

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/"
                            r"(?:(?!</script>).)*?</script>|<script\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>"
                            r"\s*</script>", re.S | re.I)
_MATHJAX_CONFIG = re.compile(r'<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->'
                             r'|<script type="text/x-mathjax-config">.*?</script>', re.S)


def mathml(tex: str, display: str) -> str:
    try:
        return latex_to_mathml(html.unescape(tex).strip(), display=display)
    except Exception as e:  # a typo in a formula must fail the build, not show raw TeX
        raise PluginError(f"cannot convert the math {tex!r} to MathML: {e}") from e


def on_page_content(html_text, page, config, files):
    html_text = _BLOCK.sub(lambda m: f'<div class="math-block">{mathml(m.group(1), "block")}</div>', html_text)
    html_text = _INLINE.sub(lambda m: mathml(m.group(1), "inline"), html_text)
    if page.file.src_uri.endswith(".ipynb"):
        html_text = _MATHJAX_CONFIG.sub("", html_text)
        html_text = _REMOTE_SCRIPT.sub("", html_text)
    return html_text
