"""`snakemake downloads` (rules/downloads.smk): every figure again as SVG and PDF (light and dark)
and talk PNGs (light and dark), zipped per site page and all together, each file with the provenance
and licence the site's PNG carries, each zip byte-reproducible. The default run makes none of it."""

from __future__ import annotations

import io
import re
import shutil
import sys
import zipfile

import pytest

from pipeline.plots import FIGURES, download_files_of
from tests.conftest import ROOT, run_snakemake, run_watched
from tests.test_figures import pdf_provenance, png_provenance, svg_provenance

pytestmark = pytest.mark.slow

GROUP = "kaiming"  # a Part A experiment: its page's figures
# one group of each kind of twin rule (plot_mlp, plot_part_a, plot_deep with plot_pair, plot_demo, a
# study): every way a download is drawn runs, at a fifth of the cost of all 36 groups
BUILT = (GROUP, "part_a", "norm_batchnorm", "linear_stats", "momentum")


@pytest.fixture(scope="module")
def downloaded(quick_run, names_path, tmp_path_factory):
    """A copy of the quick run with the zips of BUILT made by Snakemake; the zips as first built."""
    work = tmp_path_factory.mktemp("downloads") / "work"
    shutil.copytree(quick_run, work, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    run_snakemake(work, names_path, *(f"downloads/{g}.zip" for g in BUILT))
    return work, {p.name: p.read_bytes() for p in (work / "downloads").glob("*.zip")}


def test_the_default_run_makes_no_downloads(quick_run):
    assert not (quick_run / "downloads").exists()
    assert not [p for p in (quick_run / "figures").rglob("*") if p.suffix in (".svg", ".pdf")]


def test_a_page_zip_holds_every_figure_in_every_download_format(downloaded, tmp_path):
    work, zips = downloaded
    assert {f"{g}.zip" for g in BUILT} == set(zips)
    z = zipfile.ZipFile(io.BytesIO(zips[f"{GROUP}.zip"]))
    names = z.namelist()
    expected = {f"{GROUP}/{rel}" for f in FIGURES["mlp"] for rel in download_files_of(f)}
    assert set(names) == expected | {"LICENSE-CONTENT", "README.txt"}, sorted(set(names) ^ expected)
    assert names == sorted(names)  # sorted entries, fixed date and mode, deflated
    for info in z.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0) and info.external_attr >> 16 == 0o100644, info
        assert info.compress_type == zipfile.ZIP_DEFLATED, info
    assert z.read("LICENSE-CONTENT") == (ROOT / "LICENSE-CONTENT").read_bytes()
    z.extractall(tmp_path)
    readme = z.read("README.txt").decode()
    for figure in FIGURES["mlp"]:
        cited = png_provenance(work / "figures" / GROUP / f"{figure}.png")  # the site's PNG, the one cited
        assert {"experiment", "config_hash", "commit", "url", "license"} <= set(cited)
        assert cited["experiment"] == GROUP and cited["url"].endswith(f"figures/{GROUP}/{figure}.png")
        for rel in download_files_of(figure):
            path = tmp_path / GROUP / rel
            read = {".png": png_provenance, ".svg": svg_provenance, ".pdf": pdf_provenance}[path.suffix]
            assert read(path) == cited, rel
        assert f"{GROUP}/{figure}" in readme and cited["url"] in readme and cited["config_hash"] in readme
        assert cited["commit"] in readme
    assert "CC BY 4.0" in readme and "LICENSE-CONTENT" in readme


def test_all_figures_zip_holds_every_group(downloaded, names_path):
    """`snakemake downloads` plans a zip for every figure group and one of all of them; all-figures
    is the zip step over every group's folder, which run here on the groups built holds each."""
    work, zips = downloaded
    plan = run_snakemake(work, names_path, "downloads", "-n", "-p").stdout
    planned = set(re.findall(r"^\s+output: downloads/([^/\s]+)\.zip$", plan, re.M))
    assert "all-figures" in planned and not planned & set(BUILT), planned  # the built ones are up to date
    commands = re.findall(r"python -m pipeline zip (.+?) --license", plan)
    everything = next(c.split() for c in commands if len(c.split()) > 1)
    pages = (planned - {"all-figures"}) | set(BUILT)
    assert sorted(everything) == [f"downloads/figures/{g}" for g in sorted(pages)], everything
    assert {"part_a", GROUP, "momentum", "linear_stats"} <= pages and len(pages) > 30

    names = zipfile.ZipFile(zip_of_built(work, work / "some-figures.zip")).namelist()
    assert {n.split("/", 1)[0] for n in names if "/" in n} == set(BUILT)
    for g in BUILT:
        page = zipfile.ZipFile(io.BytesIO(zips[f"{g}.zip"])).namelist()
        assert {n for n in names if n.startswith(g + "/")} == {n for n in page if "/" in n}, g
    assert "LICENSE-CONTENT" in names and "README.txt" in names


def zip_of_built(work, out):
    """The zip step, as rule download_zip_all runs it, over the groups built."""
    run_watched([sys.executable, "-m", "pipeline", "zip", *(f"downloads/figures/{g}" for g in BUILT),
                 "--license", str(ROOT / "LICENSE-CONTENT"), "--out", str(out)], cwd=work, check=True)
    return out


def test_building_twice_gives_the_same_bytes(downloaded, names_path):
    """The group's figures drawn again and zipped again: byte for byte the zips of the first build,
    its page's and one of several groups."""
    work, zips = downloaded
    several = zip_of_built(work, work / "first.zip").read_bytes()
    shutil.rmtree(work / "downloads" / "figures" / GROUP)
    (work / "downloads" / f"{GROUP}.zip").unlink()
    run_snakemake(work, names_path, f"downloads/{GROUP}.zip")
    assert (work / "downloads" / f"{GROUP}.zip").read_bytes() == zips[f"{GROUP}.zip"]
    assert zip_of_built(work, work / "second.zip").read_bytes() == several
