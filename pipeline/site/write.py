"""Every generated file of the site: which template renders it from which context, and the claims
its sentences make (pipeline/site/claims.py), checked as they are rendered."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml

from pipeline.io import write_text
from pipeline.site import cite, explore, machine, pages
from pipeline.site.claims import ClaimBook, ClaimError, admonition, insert_admonition
from pipeline.site.facts import Facts
from pipeline.site.nav import nav, notebooks
from pipeline.site.outputs import Outputs
from pipeline.site.render import render
from pipeline.sitemap import PARTS

CONTENT = Path("docs/generated/content")
# the hand-written page each generated include is shown on (docs/*.md pull them in with --8<--)
INCLUDED_IN = {"home_results": "index.md", "home_story": "index.md", "run_facts": "index.md", "part_links": "index.md",
               "software": "reproduce.md", "hardware": "reproduce.md", "benchmarks": "reproduce.md",
               "training_times": "reproduce.md"}


def shown_on(relpath: str) -> str:
    """The site page a generated file's text appears on."""
    if relpath.startswith("pages/"):
        return relpath[len("pages/"):]
    return INCLUDED_IN.get(Path(relpath).stem, relpath)


def result_pages(o: Outputs) -> list[str]:
    """The pages that show results, as write_pages generates them: every shown experiment's page, each
    part's overview, Part C and the studies beyond the lecture. Each opens with a takeaway and explains its
    results in a Why section (docs/notes/remember/, docs/notes/<name>.md or docs/notes/why/)."""
    parts = o.parts()
    pages = [o.page_of(n) for names in parts.values() for n in names]
    pages += [PARTS[p].page for p in ("A", "B") if p in parts]
    return pages + ([PARTS["demos"].page] if o.demos else []) + ([PARTS["studies"].page] if o.studies else [])


def write_pages(cfg: dict, root: str | Path = ".", out: str | Path | None = None,
                claims: str | None = None) -> tuple[list[Path], ClaimBook]:
    """Generate every page and include from the outputs under `root` into `out` (docs/generated/content).
    Every claim of the pages is checked; in `strict` mode (`claims`, else the config's `claims`) a claim
    that does not hold raises ClaimError, one line per claim, before anything is written."""
    root = Path(root)
    out = Path(out) if out else root / CONTENT
    o = Outputs(cfg, root)
    book = ClaimBook(claims or cfg.get("claims") or "strict")
    facts = Facts(o)
    files: dict[str, str] = {}

    def put(relpath: str, template: str, context: dict) -> None:
        book.source = relpath
        files[relpath] = render(template, {**context, "run": facts}, page=shown_on(relpath), claims=book)

    parts = o.parts()
    for names in parts.values():
        for n in names:
            if o.resolved[n]["kind"] == "mlp":
                put(f"pages/{o.page_of(n)}", "experiment_mlp.md.j2", pages.experiment_mlp(o, n, names))
            else:
                put(f"pages/{o.page_of(n)}", "experiment_deep.md.j2", pages.experiment_deep(o, n))
    overviews = {"A": lambda: pages.part_a_index(o, parts["A"]), "B": lambda: pages.part_b_index(o, parts["B"]),
                 "demos": lambda: pages.part_c(o), "studies": lambda: pages.beyond(o)}  # page, template: sitemap.py
    shown = {"A": "A" in parts, "B": "B" in parts, "demos": bool(o.demos), "studies": bool(o.studies)}
    for key, context in overviews.items():
        if shown[key]:
            put(f"pages/{PARTS[key].page}", PARTS[key].template, context())
    index = pages.figure_index(o)
    put("pages/figure-index.md", "figure_index.md.j2", index)
    put("include/home_results.md", "home_results.md.j2", pages.home_results(o))
    put("include/home_story.md", "home_story.md.j2", {})
    put("include/run_facts.md", "run_facts.md.j2", machine.run_facts(o))
    put("include/software.md", "software.md.j2", machine.software())
    put("include/hardware.md", "hardware.md.j2", machine.hardware())
    put("include/benchmarks.md", "benchmarks.md.j2", machine.benchmarks(o))
    put("include/training_times.md", "training_times.md.j2", machine.training_times(o))
    put("include/part_links.md", "part_links.md.j2", pages.part_links(o))
    files.update(explore.files(o))  # the explore page and its data, when the config has the study
    files["pages/figures/figures.bib"] = cite.bib_file(index["sections"])
    for g in o.figures:  # one file of numbers per group, not one per figure: a few hundred fewer files
        files[f"pages/figures/{g}/{pages.NUMBERS}"] = json.dumps(o.numbers(g), indent=1, ensure_ascii=False) + "\n"
    if book.failed() and book.mode == "strict":
        raise ClaimError(book.error())
    for relpath in files:  # warn: each page opens with a red box naming its claims that do not hold
        files[relpath] = insert_admonition(files[relpath], admonition(book.failed(relpath)))
    put("pages/claims.md", "claims.md.j2", pages.claims_page(o, book))
    files["claims.json"] = json.dumps({"mode": book.mode, "summary": book.summary(),
                                       "claims": [c.as_dict() for c in book.claims]}, indent=1) + "\n"
    files["nav.yml"] = yaml.safe_dump(nav(o, notebooks()), sort_keys=False, allow_unicode=True)
    if out.exists():
        shutil.rmtree(out)
    written = []
    for relpath, text in files.items():
        p = out / relpath
        write_text(p, text)
        written.append(p)
    return written, book
