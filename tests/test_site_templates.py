"""The site's templates (docs/templates/) on small fake contexts: numbers go through the one
formatter, a missing key fails loudly, and the site rule watches the templates."""

from __future__ import annotations

import math
from pathlib import Path

import jinja2
import pytest

from pipeline.analysis.lecture import LECTURE
from pipeline.format import at_precision, fmt
from pipeline.site import render

ROOT = Path(__file__).resolve().parents[1]


def fresh_env() -> jinja2.Environment:
    """An environment of our own: the module's one is cached and shared."""
    return render.environment.__wrapped__(render.TEMPLATES)


def results() -> dict:
    m = {"steps": 200000, "initial_loss": 3.3221, "train_loss": 2.06, "val_loss": 2.1234567, "test_loss": None}
    lec = LECTURE["scaled_logits"]  # printed by the lecture as 2.07 / 2.13: quoted and compared at 2 decimals
    row = {"title": "a | b", "href": "part-a/x.md", "m": m, "lecture": lec,
           "lecture_init": None, "val_minus_lecture": at_precision(m["val_loss"], lec["val"])}
    return {"results": {"rows": [row],
                        "vocab_size": 27, "expected_initial_loss": math.log(27), "lecture_steps": 200000,
                        "short": [300], "reproduce": "reproduce.md"}}


def test_fmt():
    assert fmt(2.1234567) == "2.1235" and fmt(2.1234567, 1) == "2.1" and fmt(-0.00654, "+.4f") == "-0.0065"
    assert fmt(200000, ",") == "200,000" and fmt(1 / 3, ".3g") == "0.333" and fmt(1e-5, ".2e") == "1.00e-05"
    assert fmt(None) == "—" and fmt(math.nan) == "nan" and fmt(-math.inf, 2) == "-inf"
    assert fmt(math.nan, nonfinite="—") == "—" and fmt(1.5, nonfinite="—") == "1.5000"


def test_numbers_in_a_template_go_through_the_filter():
    env = fresh_env()
    seen = []

    def spy(v, *args, **kw):
        seen.append(v)
        return fmt(v, *args, **kw)
    env.filters["num"] = spy
    text = env.get_template("home_results.md.j2").render(results())
    row = next(line for line in text.splitlines() if line.startswith("| [a \\| b]"))
    assert row == ("| [a \\| b](part-a/x.md) | 200,000 | 3.3221 | 2.0600 | 2.1235 | — | 2.07 / 2.13 | -0.01 |")
    assert all(n in text for n in ("3.2958", "300", "200,000")), text  # the numbers, whatever the words
    for v in (200000, 3.3221, 2.06, 2.1234567, None, 2.07, 2.13, -0.01, math.log(27), 300):
        assert v in seen, f"{v!r} was printed without the num filter"


def test_the_figure_macro_adds_the_legend_numbers():
    env = fresh_env()
    f = {"name": "tanh_hist", "title": "tanh outputs", "caption": "histogram.", "group_title": "A & B",
         "png": "../figures/x/tanh_hist.png", "dark": "../figures/x/dark/tanh_hist.webp",
         "alt": "tanh outputs, A & B: 12.3% beyond |0.99|", "license": "CC BY 4.0",
         "license_url": "https://creativecommons.org/licenses/by/4.0/", "index": "../figure-index.md#fig-x-tanh_hist",
         "legend": {"mean": -0.01234, "std": 0.8, "saturated_pct": 12.345, "threshold": 0.99}}
    text = env.from_string('{% from "_macros.md.j2" import figure %}{{ figure(f, numbers=true) }}').render(f=f)
    alt = "tanh outputs, A &amp; B&#58; 12.3% beyond \\|0.99\\|"  # escaped for Markdown's image syntax
    assert f"![{alt}](../figures/x/tanh_hist.png#only-light)" in text  # the palette picks one
    assert f"![{alt}](../figures/x/dark/tanh_hist.webp#only-dark)" in text
    assert "[CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)" in text
    numbers = ("-0.012", "0.800", "12.3", "0.99")  # the legend's, each through the formatter
    caption = text[text.index("**tanh outputs.** Histogram. "):text.index("[Cite")]
    assert all(n in caption for n in numbers), caption


def test_a_missing_key_fails_loudly():
    ctx = results()
    del ctx["results"]["rows"][0]["m"]["val_loss"]
    with pytest.raises(jinja2.UndefinedError, match="val_loss"):
        fresh_env().get_template("home_results.md.j2").render(ctx)
    with pytest.raises(jinja2.UndefinedError):
        render.render("training_times.md.j2", {})


def test_every_template_compiles_and_the_site_rule_watches_them():
    from pipeline.workflow.site_inputs import site_sources
    env = fresh_env()
    templates = [t for t in env.list_templates() if t.endswith(".j2")]
    assert {"_macros.md.j2", "experiment_mlp.md.j2", "experiment_deep.md.j2", "figure_index.md.j2"} <= set(templates)
    for t in templates:
        env.get_template(t)
    watched = set(site_sources())
    for p in (ROOT / "docs" / "templates").iterdir():
        assert str(p) in watched, f"editing {p.name} would not regenerate the pages"
