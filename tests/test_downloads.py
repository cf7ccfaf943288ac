"""`snakemake downloads` (rules/downloads.smk): every figure again as SVG and PDF (light and dark)
and talk PNGs (light and dark), zipped per site page and all together, each file with the provenance
and licence the site's PNG carries, each zip byte-reproducible. The default run makes none of it."""

from __future__ import annotations

import io
import shutil
import zipfile

import pytest

from pipeline.plots import FIGURES, download_files_of
from tests.conftest import ROOT, run_snakemake
from tests.test_figures import pdf_provenance, png_provenance, svg_provenance

pytestmark = pytest.mark.slow

GROUP = "kaiming"  # a Part A experiment: its page's figures


@pytest.fixture(scope="module")
def downloaded(quick_run, names_path, tmp_path_factory):
    """A copy of the quick run with `snakemake downloads` run in it; the zips as first built."""
    work = tmp_path_factory.mktemp("downloads") / "work"
    shutil.copytree(quick_run, work, symlinks=True, ignore=shutil.ignore_patterns(".snakemake"))
    run_snakemake(work, names_path, "downloads")
    return work, {p.name: p.read_bytes() for p in (work / "downloads").glob("*.zip")}


def test_the_default_run_makes_no_downloads(quick_run):
    assert not (quick_run / "downloads").exists()
    assert not [p for p in (quick_run / "figures").rglob("*") if p.suffix in (".svg", ".pdf")]


def test_a_page_zip_holds_every_figure_in_every_download_format(downloaded, tmp_path):
    work, zips = downloaded
    assert {f"{GROUP}.zip", "part_a.zip", "all-figures.zip"} <= set(zips)
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


def test_all_figures_zip_holds_every_group(downloaded):
    work, zips = downloaded
    names = zipfile.ZipFile(io.BytesIO(zips["all-figures.zip"])).namelist()
    groups = {n.split("/", 1)[0] for n in names if "/" in n}
    pages = {p.stem for p in (work / "downloads").glob("*.zip")} - {"all-figures"}
    assert groups == pages and GROUP in groups and "part_a" in groups
    assert "LICENSE-CONTENT" in names and "README.txt" in names


def test_building_twice_gives_the_same_bytes(downloaded, names_path):
    """The group's figures drawn again and zipped again: byte for byte the zips of the first build."""
    work, zips = downloaded
    shutil.rmtree(work / "downloads" / "figures" / GROUP)
    for name in (f"{GROUP}.zip", "all-figures.zip"):
        (work / "downloads" / name).unlink()
    run_snakemake(work, names_path, f"downloads/{GROUP}.zip", "downloads/all-figures.zip")
    for name in (f"{GROUP}.zip", "all-figures.zip"):
        assert (work / "downloads" / name).read_bytes() == zips[name], name
