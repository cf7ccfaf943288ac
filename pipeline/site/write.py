"""Every generated file of the site: which template renders it from which context."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from pipeline.io import write_text
from pipeline.site import cite, explore, machine, pages
from pipeline.site.nav import nav, notebooks
from pipeline.site.outputs import Outputs
from pipeline.site.render import render

CONTENT = Path("docs/generated/content")


def write_pages(cfg: dict, root: str | Path = ".", out: str | Path | None = None) -> list[Path]:
    """Generate every page and include from the outputs under `root` into `out` (docs/generated/content)."""
    root = Path(root)
    out = Path(out) if out else root / CONTENT
    o = Outputs(cfg, root)
    files: dict[str, str] = {}
    parts = o.parts()
    for names in parts.values():
        for n in names:
            if o.resolved[n]["kind"] == "mlp":
                files[f"pages/{o.page_of(n)}"] = render("experiment_mlp.md.j2", pages.experiment_mlp(o, n, names))
            else:
                files[f"pages/{o.page_of(n)}"] = render("experiment_deep.md.j2", pages.experiment_deep(o, n))
    if "A" in parts:
        files["pages/part-a/index.md"] = render("part_a_index.md.j2", pages.part_a_index(o, parts["A"]))
    if "B" in parts:
        files["pages/part-b/index.md"] = render("part_b_index.md.j2", pages.part_b_index(o, parts["B"]))
    if o.demos:
        files["pages/part-c.md"] = render("part_c.md.j2", pages.part_c(o))
    if o.studies:
        files["pages/beyond.md"] = render("beyond.md.j2", pages.beyond(o))
    files.update(explore.files(o))  # the explore page and its data, when the config has the study
    index = pages.figure_index(o)
    files["pages/figure-index.md"] = render("figure_index.md.j2", index)
    files["pages/figures/figures.bib"] = cite.bib_file(index["sections"])
    files["include/home_results.md"] = render("home_results.md.j2", pages.home_results(o))
    files["include/run_facts.md"] = render("run_facts.md.j2", machine.run_facts(o))
    files["include/software.md"] = render("software.md.j2", machine.software())
    files["include/hardware.md"] = render("hardware.md.j2", machine.hardware())
    files["include/benchmarks.md"] = render("benchmarks.md.j2", machine.benchmarks(o))
    files["include/training_times.md"] = render("training_times.md.j2", machine.training_times(o))
    files["include/part_links.md"] = render("part_links.md.j2", pages.part_links(o))
    files["nav.yml"] = yaml.safe_dump(nav(o, notebooks()), sort_keys=False, allow_unicode=True)
    if out.exists():
        shutil.rmtree(out)
    written = []
    for relpath, text in files.items():
        p = out / relpath
        write_text(p, text)
        written.append(p)
    return written
