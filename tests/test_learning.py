"""What a learner gets besides the numbers: on every result page a takeaway at the top and a Why
section that explains the results with this run's numbers; on each part's overview what it teaches
and questions posed before their folded answers; the notebook as a download with how to run it.
The result pages come from the site's own page list (pipeline/site/write.py result_pages)."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml")]
TAKEAWAY = '!!! abstract "What to remember"'


def outputs(run: Path):
    from pipeline.config import load
    from pipeline.site.outputs import Outputs
    return Outputs(load(*CONFIGS), run)


def generated(run: Path, page: str) -> str:
    return (run / "docs" / "generated" / "content" / "pages" / page).read_text(encoding="utf-8")


@pytest.mark.slow
def test_every_result_page_opens_with_a_takeaway_and_explains_why(quick_run):
    from pipeline.site.write import result_pages
    o = outputs(quick_run)
    pages = result_pages(o)
    shown = {o.page_of(n) for n in o.resolved}
    assert shown <= set(pages) and {"part-a/index.md", "part-b/index.md", "part-c.md", "beyond.md"} <= set(pages)
    assert [p for p in pages if p.startswith("part-e/")], "the config's part E pages are result pages too"
    # the page list is the generated pages but for the listings (figures, claims) and the explorable
    made = {p.relative_to(quick_run / "docs/generated/content/pages").as_posix()
            for p in (quick_run / "docs/generated/content/pages").rglob("*.md")}
    assert made - set(pages) == {"figure-index.md", "claims.md", "explore.md"}
    import json

    from pipeline.site.claims import plain
    claims = json.loads((quick_run / "docs/generated/content/claims.json").read_text())["claims"]
    missing = []
    for page in pages:
        text = generated(quick_run, page)
        heads = [m.start() for m in re.finditer(r"^## ", text, flags=re.M)]
        if TAKEAWAY not in text or (heads and text.index(TAKEAWAY) > heads[0]):
            missing.append(f"{page}: no takeaway before its first section")
            continue
        box = text.split(TAKEAWAY, 1)[1].lstrip("\n").split("\n\n", 1)[0]
        why = text.split("\n## Why\n", 1)[1].split("\n## ", 1)[0] if "\n## Why\n" in text else ""
        if not why:
            missing.append(f"{page}: no Why section")
        # each is checked: a claim of this page is a sentence of it
        mine = [plain(c["sentence"])[:40] for c in claims if c["page"] == page]
        for name, part in (("takeaway", box), ("Why section", why)):
            if part and not any(m in plain(part) for m in mine):
                missing.append(f"{page}: its {name} states no checked claim")
    assert not missing, "\n".join(missing)


@pytest.mark.slow
def test_each_part_says_what_it_teaches_and_poses_questions_before_folded_answers(quick_run):
    from pipeline.site.write import result_pages
    o = outputs(quick_run)
    overviews = [p for p in result_pages(o) if p.endswith("index.md") or p in ("part-c.md", "beyond.md")]
    assert len(overviews) == 4
    for page in overviews:
        text = generated(quick_run, page)
        assert '!!! info "After this part you will be able to"' in text, page
        assert text.index("After this part") < text.index(TAKEAWAY), page
        asked = [m.start() for m in re.finditer(r'^\?\?\?\+ question "', text, flags=re.M)]
        answered = [m.start() for m in re.finditer(r'^\?\?\? success "Answer"', text, flags=re.M)]
        assert 2 <= len(asked) == len(answered), page
        assert all(q < a for q, a in zip(asked, answered, strict=True)), f"{page}: an answer before its question"
        html = (quick_run / "site" / page.replace(".md", ".html")).read_text(encoding="utf-8")
        assert html.count('<details class="success">') == len(answered), f"{page}: the answers are not folded"
    beyond = generated(quick_run, "beyond.md")
    assert "Exercise E01" in beyond and "Exercise E02" in beyond


@pytest.mark.slow
def test_the_notebook_page_offers_the_ipynb_and_says_how_to_run_it(quick_run):
    from pipeline.site.nav import notebooks
    site = quick_run / "site"
    assert notebooks()
    for nb in notebooks():
        page = (site / "notebooks" / f"{nb}.html").read_text(encoding="utf-8")
        assert f'href="{nb}.ipynb"' in page, "no download link on the notebook page"
        assert (site / "notebooks" / f"{nb}.ipynb").is_file(), "the link points to no file"
        assert "pip install -e ." in page and "snakemake" in page and "jupyter lab" in page


def test_a_false_claim_inside_an_admonition_stays_inside_it():
    from pipeline.site.claims import ClaimBook, claim_function
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    env.globals["claim"] = claim_function()
    book = ClaimBook("warn")
    text = env.from_string('??? success "Answer"\n    One.\n    {% call claim("a > b", a=1, b=2) %}\n'
                           '    Two.\n    {% endcall %}\n').render(_claims=book, _page="p.md")
    body = text.splitlines()[1:]
    assert body[1].startswith('    <mark class="claim-false"'), text
    assert all(line.startswith("    ") for line in body if line), text
