"""Config and data text renders as exactly its characters through the site's own Markdown setup
(mkdocs.yml's extensions): no HTML, no link, no attribute list, no math, no emoji, no list."""

from __future__ import annotations

import html
import re

import markdown
import pytest
from mkdocs.config import load_config

from pipeline.site.render import Text, md_escape, md_text, render
from tests.conftest import ROOT

HOSTILE = ["<script>alert(1)</script>", "x](javascript:alert(1))", "[a](javascript:alert(1))",
           "Title {: .hidden #x}", "5/3 * gain_x _y_ $x$ :smile: a|b", "- item", "1. first", "=== heading?",
           "Tanh, gain 0.5 (W1 x (5/3)/sqrt(30))", "R&D \\ back`tick`", "\\(x\\) \\[y\\]", "*[HTML]: x",
           "[^1] footnote", "--8<-- snippet"]


@pytest.fixture(scope="module")
def md():
    cfg = load_config(str(ROOT / "mkdocs.yml"))
    return lambda text: markdown.markdown(text, extensions=cfg["markdown_extensions"],
                                          extension_configs=cfg["mdx_configs"])


@pytest.mark.parametrize("text", HOSTILE)
def test_config_text_renders_as_its_characters(md, text):
    escaped = md_text(text)
    out = md(f"# {escaped}\n\n{escaped}\n\n| a |\n|---|\n| {md_escape(Text(text))} |\n")
    out = re.sub(r'<a class="headerlink".*?</a>', "", out)  # the heading's permalink
    shown = [html.unescape(re.sub(r"<[^>]+>", "", inner))
             for _, inner in re.findall(r"<(h1|p|td)[^>]*>(.*?)</\1>", out)]
    assert shown == [text] * 3, out
    assert "<script" not in out and "javascript:" not in re.sub(r">[^<]*<", "><", out)


def test_templates_escape_text_of_the_config_and_only_that():
    """`{{ title }}` of config text is escaped; template text and numbers pass as written."""
    from pipeline.site import render as r
    r.environment.cache_clear()
    env = r.environment()
    t = env.from_string("{{ title }} | {{ plain }} | {{ title | attr }} | {{ title | capfirst }}")
    out = t.render(title=Text("<b>x</b>_y"), plain="<b>x</b>_y")
    assert out == "&lt;b&gt;x&lt;/b&gt;\\_y | <b>x</b>_y | &lt;b&gt;x&lt;/b&gt;_y | &lt;b&gt;x&lt;/b&gt;\\_y"
    assert render  # the module's page renderer uses this environment


def test_a_nav_title_is_escaped_once_wherever_the_theme_prints_it():
    # the theme prints a nav title as it is into text, and through `| e` into the footer's aria-label:
    # escaping quotes here made screen readers say "ReLU&#x27;s" (axe: label-content-name-mismatch)
    import jinja2

    from pipeline.site.nav import nav_title
    title = nav_title("ELU, ReLU's gain & <b>more</b> &amp;")
    assert title == "ELU, ReLU's gain & &lt;b&gt;more&lt;/b&gt; &amp;amp;"
    label = jinja2.Environment(autoescape=False).from_string('aria-label="{{ t | e }}"').render(t=title)
    assert "&#x27;" not in label.replace("&#39;", "") and "ReLU&#39;s" in label  # one escape, by the theme
