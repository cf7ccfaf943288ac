"""Citing a figure: the site's address (CITATION.cff's `url`, or `--config site_url=...`) in every
figure file, page and citation; figures.bib read by a real BibTeX parser (pybtex); the figure
index's filter keys; the download zips' addresses."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline import provenance as pv
from pipeline.site import figfilter
from tests import test_site as ts
from tests.conftest import ROOT

COURSE = "https://example.org/course"


def cff() -> dict:
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


# ---- without a run ------------------------------------------------------------------------------

def test_citation_cff_has_an_address_and_a_release_date():
    meta = cff()
    assert re.fullmatch(r"https://[^\s/]+(/\S*)?", str(meta["url"])), meta["url"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", str(meta["date-released"]))
    cite = pv.citation_meta()
    assert cite["year"] == str(meta["date-released"])[:4]
    assert cite["site_url"] == str(meta["url"]).rstrip("/") + f"/{meta['version']}/"


def test_the_site_url_comes_from_the_argument_then_the_environment_then_citation_cff(tmp_path, monkeypatch):
    (tmp_path / "CITATION.cff").write_text("title: T\nversion: 1.2\nurl: https://a.example/mm/\n"
                                           "date-released: 2031-02-03\n")
    monkeypatch.delenv(pv.SITE_URL_ENV, raising=False)
    assert pv.citation_meta(tmp_path)["site_url"] == "https://a.example/mm/1.2/"
    assert pv.citation_meta(tmp_path)["year"] == "2031"
    monkeypatch.setenv(pv.SITE_URL_ENV, "https://b.example/x")
    assert pv.citation_meta(tmp_path)["site_url"] == "https://b.example/x/1.2/"
    assert pv.citation_meta(tmp_path, "http://c.example")["site_url"] == "http://c.example/1.2/"
    monkeypatch.setenv(pv.SITE_URL_ENV, "b.example/x")
    with pytest.raises(ValueError, match=r"MAKEMORE_SITE_URL.*not an http\(s\) address"):
        pv.citation_meta(tmp_path)


def test_a_figure_file_names_the_address_of_the_environment(monkeypatch):
    from pipeline.plots.files import provenance_fields
    monkeypatch.setenv(pv.SITE_URL_ENV, COURSE)
    version = str(cff()["version"])
    assert provenance_fields("kaiming", "loss_curve")["url"] == f"{COURSE}/{version}/figures/kaiming/loss_curve.png"
    monkeypatch.delenv(pv.SITE_URL_ENV)
    assert provenance_fields("kaiming", "loss_curve")["url"].startswith(str(cff()["url"]).rstrip("/") + "/")


def test_download_url():
    meta = {"base_url": "https://example.org/mm", "version": "0.2.0"}
    assert pv.download_url(meta, "kaiming.zip") == "https://example.org/mm/downloads/0.2.0/kaiming.zip"
    assert pv.download_url({"url": "https://example.org/mm/", "version": "1"}, "a.zip") == \
        "https://example.org/mm/downloads/1/a.zip"
    assert pv.download_url({"base_url": None, "version": "1"}, "a.zip") is None
    cite = pv.citation_meta()
    assert pv.download_url(cite, "all-figures.zip") == \
        f"{str(cff()['url']).rstrip('/')}/downloads/{cff()['version']}/all-figures.zip"


def test_figure_kinds_come_from_the_file_names():
    kind = figfilter.figure_kind
    assert kind("activations_init", "run") == kind("activations_final", "run") == ("activations", "activations")
    assert kind("weight_gradients_final", "run") == ("weight-gradients", "weight gradients")
    assert kind("hpreact_hist", "run") == kind("tanh_hist", "run") == ("histograms", "histograms")
    assert kind("saturation_map", "run") == ("saturation-map", "saturation map")
    assert kind("loss_curve", "demo")[1] == "demos" and kind("loss_overlay", "across")[1] == "comparisons"
    figs = [{"kind": k, "kind_label": k} for k in ("comparisons", "loss-curve", "demos", "activations", "loss-curve")]
    opts = figfilter.options([{"part": "A", "groups": [{"figures": figs[:2]}]},
                              {"part": "demos", "groups": [{"figures": figs[2:]}]}, {"part": "E", "groups": []}])
    assert opts["parts"] == ["A", "demos"]  # only the parts with a figure
    assert [k["slug"] for k in opts["kinds"]] == ["loss-curve", "activations", "comparisons", "demos"]


def test_a_bad_site_url_is_refused_in_one_line_before_any_job(tmp_path):
    for bad in ("ftp://example.org/x", "example.org", "https://"):
        proc = subprocess.run(
            [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path), "-n",
             "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"),
             "--config", f"site_url={bad}"], capture_output=True, text=True, timeout=300)
        errors = [line for line in (proc.stdout + proc.stderr).splitlines() if "site_url" in line]
        assert proc.returncode != 0, bad
        assert len(errors) == 1 and errors[0].startswith("error:") and "http(s) address" in errors[0], errors
        assert "Traceback" not in proc.stderr and "jobid" not in proc.stdout + proc.stderr
        assert not (tmp_path / "results").exists()


# ---- on the quick run ---------------------------------------------------------------------------

def bib_entries(path: Path) -> dict:
    from pybtex.database import parse_string
    return parse_string(path.read_text(encoding="utf-8"), "bibtex").entries


@pytest.mark.slow
def test_figures_bib_parses_with_author_title_year_and_the_version_url(quick_run):
    bib = quick_run / "site" / "figures" / "figures.bib"
    assert bib.read_bytes() == (quick_run / "docs" / "generated" / "content" / "pages" / "figures" /
                                "figures.bib").read_bytes()  # written by the pages step, mounted by the hooks
    entries = bib_entries(bib)
    index = (quick_run / "site" / "figure-index.html").read_text()
    anchors = re.findall(r'<h4 id="(fig-[^"]+)"', index)
    assert len(entries) == len(anchors) == len(bib.read_text().split("@misc{")) - 1 > 100
    meta = cff()
    base, version, year = str(meta["url"]).rstrip("/"), str(meta["version"]), str(meta["date-released"])[:4]
    for key, e in entries.items():
        assert [str(p) for p in e.persons["author"]] == [a["name"] for a in meta["authors"]], key
        assert e.fields["title"].strip() and e.fields["year"] == year, key
        url = e.fields["url"]
        assert re.fullmatch(rf"{re.escape(base)}/{re.escape(version)}/figures/[\w.-]+/[\w.-]+\.png", url), (key, url)
    pngs = {f"{p.parent.name}/{p.stem}" for p in (quick_run / "figures").glob("*/*.png")}
    cited = {e.fields["url"].split("/figures/", 1)[1].removesuffix(".png") for e in entries.values()}
    assert cited <= pngs and len(cited) == len(entries)


@pytest.mark.slow
def test_a_site_url_reaches_figures_bib_the_index_and_the_pages(quick_run, tmp_path, monkeypatch):
    work = ts.copy_outputs(quick_run, tmp_path / "work")
    monkeypatch.setenv(pv.SITE_URL_ENV, COURSE)  # what the Snakefile sets from --config site_url
    ts.build_site(quick_run, work)
    version = str(cff()["version"])
    entries = bib_entries(work / "site" / "figures" / "figures.bib")
    assert entries and all(e.fields["url"].startswith(f"{COURSE}/{version}/figures/") for e in entries.values())
    index = (work / "site" / "figure-index.html").read_text()
    assert f"{COURSE}/{version}/figures/kaiming/loss_curve.png" in index  # the cite-as text and BibTeX
    assert f"{COURSE}/downloads/{version}/kaiming.zip" in index
    assert f'<link rel="canonical" href="{COURSE}/{version}/figure-index.html"' in index
    old = str(cff()["url"]).rstrip("/")
    assert old not in index, "the index still names CITATION.cff's address"


@pytest.mark.slow
def test_config_site_url_reruns_the_figures_and_redraws_their_provenance(quick_run, tmp_path, names_path):
    from PIL import Image
    work = tmp_path / "work"
    shutil.copytree(quick_run, work, symlinks=True, ignore=shutil.ignore_patterns("site"))
    base = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
            "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"), "-j2"]
    cfg = ["--config", f"names_path={names_path}", f"site_url={COURSE}"]  # last: it takes every word after it
    env = {k: v for k, v in os.environ.items() if k != pv.SITE_URL_ENV}
    dry = subprocess.run([*base, "-n", "--quiet", "rules", *cfg], capture_output=True, text=True, env=env,
                         timeout=600)
    assert dry.returncode == 0, dry.stderr[-3000:]
    rules = set(re.findall(r"^(\w+)\s+\d+\s*$", dry.stdout, re.M))
    assert {"plot_mlp", "plot_deep", "plot_part_a", "plot_demo", "site_pages", "site"} <= rules, dry.stdout
    assert any(r.startswith("study_") for r in rules), "a study's figures keep the old address"
    assert not {r for r in rules if r.startswith("train")}, f"a new address retrains: {rules}"
    demo = next(p for p in sorted((work / "figures").glob("*/*.png")) if p.parent.name in ts.resolved()[0]["demos"])
    target = str(demo.relative_to(work))
    proc = subprocess.run([*base, target, *cfg], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    version = str(cff()["version"])
    assert Image.open(work / target).text["Source"] == f"{COURSE}/{version}/{target}"
