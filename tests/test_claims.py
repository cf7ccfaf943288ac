"""Checked claims (pipeline/site/claims.py): a sentence of the site that its run's outputs contradict
stops the pages step naming page, sentence and numbers (claims: strict), or is published marked in
red (claims: warn); every claim is on the claims page; every lecture page links to the lecture."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest

from pipeline.errors import ClaimError
from pipeline.io import write_json
from pipeline.site import render
from pipeline.site.claims import ClaimBook, admonition, insert_admonition
from tests.conftest import run_watched

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml")]
TEMPLATE = ('{% call claim("a < b", a=x, b=y) %}The loss falls from {{ y | num }} to {{ x | num }}.{% endcall %}')


def fresh_env() -> jinja2.Environment:
    return render.environment.__wrapped__(render.TEMPLATES)


def render_claim(x, y, mode: str | None):
    book = ClaimBook(mode) if mode else None
    text = fresh_env().from_string(TEMPLATE).render(x=x, y=y, _claims=book, _page="part-a/x.md")
    return text, book


# ---- the mechanism, on a one-sentence template ----------------------------------------------------

def test_a_claim_that_holds_is_its_sentence():
    text, book = render_claim(2.1, 2.5, "strict")
    assert text == "The loss falls from 2.5000 to 2.1000."
    assert [(c.page, c.holds, c.numbers) for c in book.claims] == [("part-a/x.md", True, {"a": 2.1, "b": 2.5})]


def test_a_false_claim_is_recorded_with_page_sentence_and_numbers():
    _, book = render_claim(2.7, 2.5, "strict")
    [c] = book.failed()
    line = c.line()
    assert "\n" not in line
    assert line.startswith('part-a/x.md: "The loss falls from 2.5000 to 2.7000." does not hold')
    assert "a < b is false with a = 2.7, b = 2.5" in line
    assert "1 of 1 claims" in book.error()


def test_a_false_claim_outside_a_build_raises():
    with pytest.raises(ClaimError, match="The loss falls from 2.5000 to 2.7000"):
        render_claim(2.7, 2.5, None)


def test_a_missing_number_is_not_a_claim_that_holds():
    _, book = render_claim(None, 2.5, "warn")
    [c] = book.failed()
    assert c.reason == "not checkable: a missing"
    _, book = render_claim(float("nan"), 2.5, "warn")
    assert book.failed()


def test_warn_marks_the_sentence_and_the_page_opens_with_a_red_box():
    text, book = render_claim(2.7, 2.5, "warn")
    assert '<mark class="claim-false"' in text and "The loss falls from 2.5000 to 2.7000." in text
    page = insert_admonition("# Title\n\nbody\n", admonition(book.failed()))
    assert page.startswith("# Title\n\n!!! failure ")
    assert '<a id="claim-1"></a>' in page and "`a < b` is false with a = 2.7, b = 2.5" in page


def test_an_unknown_mode_is_refused():
    with pytest.raises(ClaimError, match="strict .* or warn"):
        ClaimBook("lenient")


def test_a_typo_in_an_expression_is_a_template_error_not_a_false_claim():
    env = fresh_env()
    with pytest.raises(jinja2.UndefinedError, match="uses c, which is neither"):
        env.from_string('{% call claim("a < c", a=1, b=2) %}x{% endcall %}').render(_claims=ClaimBook(), _page="p")


def test_a_number_list_that_came_out_empty_is_not_checkable():
    book = ClaimBook("warn")
    fresh_env().from_string('{% call claim("s[-1] < s[0]", s=[]) %}x{% endcall %}').render(_claims=book, _page="p")
    [c] = book.failed()
    assert c.reason.startswith("not checkable")


def test_the_config_key_is_validated(tmp_path):
    from pipeline.config import ConfigError, load
    assert load(*CONFIGS)["claims"] == "warn" and load(CONFIGS[0])["claims"] == "strict"
    bad = tmp_path / "bad.yaml"
    bad.write_text("claims: maybe\n")
    with pytest.raises(ConfigError, match="claims"):
        load(CONFIGS[0], str(bad))


# ---- on a quick run: perturb one number, the build names the sentence ---------------------------------

def pages_cli(work: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return run_watched([sys.executable, "-m", "pipeline", "site", "pages", "--configfile", *CONFIGS, *args],
                       cwd=work, env=env)


def copy_outputs(quick_run: Path, work: Path) -> None:
    for d in ("results", "figures"):
        shutil.copytree(quick_run / d, work / d)


def perturb_saturation(work: Path) -> str:
    """scaled_logits starts with the saturation of bad_init (same W1 draw); change it by hand."""
    p = work / "results" / "runs" / "scaled_logits" / "metrics.json"
    m = json.loads(p.read_text())
    m["init"]["saturated_pct_099"] = 12.5
    write_json(p, m)  # with its content hash: a changed number, not a damaged file
    return "tanh outputs are saturated at initialisation, exactly as in the previous variant"


def failing_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "does not hold:" in line]


@pytest.mark.slow
def test_a_perturbed_metric_fails_the_strict_build_naming_the_sentence(quick_run, tmp_path):
    work = tmp_path / "work"
    copy_outputs(quick_run, work)
    before = pages_cli(work, "--claims", "strict")
    sentence = perturb_saturation(work)
    assert not any(sentence in line for line in failing_lines(before.stdout + before.stderr))
    after = pages_cli(work, "--claims", "strict")
    assert after.returncode != 0
    [line] = [line for line in failing_lines(after.stderr) if sentence in line]
    assert line.split('"')[0].rstrip(": ").endswith("part-a/scaled_logits.md")
    assert "sat = 12.5" in line and "before = 60.95" in line
    assert not (work / "docs" / "generated" / "content").exists(), "a strict failure must write no page"


@pytest.mark.slow
def test_warn_publishes_the_false_claim_in_a_red_box(quick_run, tmp_path):
    work = tmp_path / "work"
    copy_outputs(quick_run, work)
    sentence = perturb_saturation(work)
    proc = pages_cli(work, "--claims", "warn")
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = re.search(r"claims: (\d+) checked, (\d+) hold, (\d+) do not hold", proc.stdout)
    assert summary and int(summary[3]) >= 1
    page = (work / "docs" / "generated" / "content" / "pages" / "part-a" / "scaled_logits.md").read_text()
    lines = page.splitlines()
    assert lines[0].startswith("# ") and lines[2].startswith('!!! failure "'), lines[:3]  # right under the title
    box = page[page.index("!!! failure"):page.index("it would have stopped here")]
    assert sentence in box and "sat = 12.5" in box
    assert '<mark class="claim-false"' in page
    claims = json.loads((work / "docs" / "generated" / "content" / "claims.json").read_text())
    flipped = [c for c in claims["claims"] if sentence in c["sentence"]]
    assert flipped and not flipped[0]["holds"] and claims["mode"] == "warn"
    listing = (work / "docs" / "generated" / "content" / "pages" / "claims.md").read_text()
    assert f"| {flipped[0]['number']} | [" in listing  # linked to its red box, marked ✗


# ---- every lecture page and figure kind links to its moment of the lecture ----------------------------

def test_every_part_a_b_experiment_and_figure_kind_has_a_lecture_moment():
    from pipeline.config import load
    from pipeline.site.lecture import load as load_lecture
    from pipeline.site.lecture import moment
    from pipeline.site.outputs import CAPTIONS
    cfg = load(CONFIGS[0])
    hidden = cfg.get("expanded") or {}
    lecture = [n for n, s in cfg["resolved"].items() if s["part"] in ("A", "B") and n not in hidden]
    assert lecture
    for name in [*lecture, "part_a", "part_b", *cfg["demos"]]:
        m = moment("experiments", name)
        assert m and re.fullmatch(r"https://www\.youtube\.com/watch\?v=[\w-]+&t=\d+s", m["url"]), name
    studies = {"loss_spread", "val_loss_vs_gain", "saturation_vs_gain", "summary", "running_swing", "gradients"}
    for fig in CAPTIONS:
        if fig not in studies:
            assert moment("figures", fig), f"figure kind {fig} has no lecture moment in docs/lecture.yaml"
    chapters = load_lecture()["chapters"]
    assert chapters["batchnorm"]["t"] == 40 * 60 + 40 and chapters["final_summary"]["t"] == 3600 + 51 * 60 + 34
    assert moment("experiments", "no_such_experiment") is None


@pytest.mark.slow
def test_every_part_a_b_page_and_figure_card_links_to_the_lecture(quick_run):
    pages = quick_run / "docs" / "generated" / "content" / "pages"
    link = re.compile(r"In the lecture: \[[^\]]+, at [0-9:]+\]\(https://www\.youtube\.com/watch\?v=[\w-]+&t=\d+s\)")
    checked = 0
    for part in ("part-a", "part-b"):
        for page in sorted((pages / part).glob("*.md")):
            text = page.read_text()
            assert link.search(text.split("\n## ")[0]), f"{page.name} has no lecture link under its title"
            for caption in re.findall(r"<figcaption.*?</figcaption>", text, re.S):
                assert "In the lecture: " in caption, f"a figure card of {page.name} has no lecture link"
            checked += 1
    assert checked >= 12


@pytest.mark.slow
def test_the_site_rule_stops_on_a_false_claim_and_warn_publishes_it(quick_run, names_path, tmp_path):
    """Through Snakemake: `--config claims=strict` fails the pages step naming the sentence; `claims=warn`
    (the quick config's own setting) builds the site with the red box on the page."""
    work = tmp_path / "work"
    shutil.copytree(quick_run, work, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    sentence = perturb_saturation(work)

    def snakemake(mode: str) -> subprocess.CompletedProcess:
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
               "--configfile", *CONFIGS, "--config", f"names_path={names_path}", f"claims={mode}", "-j2"]
        return run_watched(cmd)  # bounded by silence, not wall time: conftest

    strict = snakemake("strict")
    out = strict.stdout + strict.stderr + (work / "logs" / "site" / "pages.log").read_text()
    assert strict.returncode != 0
    assert any(sentence in line and "part-a/scaled_logits.md" in line for line in failing_lines(out)), out[-3000:]
    warn = snakemake("warn")
    assert warn.returncode == 0, (warn.stdout + warn.stderr)[-4000:]
    assert re.search(r"claims: \d+ checked, \d+ hold, [1-9]\d* do not hold \(claims: warn\)", warn.stdout + warn.stderr)
    html = (work / "site" / "part-a" / "scaled_logits.html").read_text()
    box = html[html.index('<div class="admonition failure">'):]
    assert sentence in box[:box.index("</div>")]
    assert '<mark class="claim-false"' in html
    assert "claims.html" in (work / "site" / "index.html").read_text()
