"""What a reader downloads, page by page (issue 25's limits), measured in headless Chromium with the
code of benchmarks/site_weight.py. A module of its own: Playwright's sync API runs one instance per
process, and tests/test_site.py keeps its own browser open for the whole of its module."""

from __future__ import annotations

import os

import pytest

from tests.test_site import html_pages

pytestmark = pytest.mark.slow


def test_each_first_load_is_light_and_fetches_one_palette(quick_run, record_property):
    """Issue 25's limits, measured as a reader meets them: every page opened at 1280x900 by a first-time
    visitor in each palette, text gzip-compressed as GitHub Pages serves it (benchmarks/site_weight.py,
    the same code): at most 1.5 MB and 40 image requests per first load, the figure index at most 1 MB,
    and no image of the other palette fetched."""
    from benchmarks import site_weight
    site = quick_run / "site"
    with site_weight.chromium() as b:
        rows = site_weight.measure(site, browser=b)
    report = site_weight.table(rows)
    print(report)  # each page's weight and request count (pytest -rP shows it)
    record_property("first_loads", report)
    assert len(rows) == 2 * len(html_pages(site))
    figure_pages = [r for r in rows if r["page"].startswith("part-") and r["images"] > 0]
    assert len(figure_pages) > 10, "the pages with figures loaded none: the measure is broken"
    assert not site_weight.problems(rows), "\n".join(site_weight.problems(rows)) + "\n" + report


def test_the_weight_check_sees_a_heavy_page_and_the_other_palette(tmp_path):
    """The limits can fail: a page over 1.5 MB, one with 41 images, and a light page that fetches a dark
    figure are each reported."""
    from benchmarks import site_weight
    fig = tmp_path / "figures" / "g"
    (fig / "dark").mkdir(parents=True)
    from PIL import Image
    Image.new("RGB", (2, 2), "white").save(tmp_path / "one.png")
    png = (tmp_path / "one.png").read_bytes()
    for i in range(41):
        (fig / f"f{i}.png").write_bytes(png)
    (fig / "dark" / "d.png").write_bytes(png)
    (tmp_path / "blob.bin").write_bytes(os.urandom(1_600_000))
    imgs = "".join(f'<img src="figures/g/f{i}.png" width="1" height="1">' for i in range(41))
    (tmp_path / "index.html").write_text(f"<html><body>{imgs}</body></html>")
    (tmp_path / "heavy.html").write_text('<html><body><script src="blob.bin"></script></body></html>')
    (tmp_path / "other.html").write_text('<html><body><img src="figures/g/dark/d.png" width="1" height="1">'
                                         "</body></html>")
    with site_weight.chromium() as b:
        rows = site_weight.measure(tmp_path, palettes=("light",), browser=b)
    found = "\n".join(site_weight.problems(rows))
    assert "index.html (light): 41 image requests" in found, found
    assert "heavy.html (light): first load" in found, found
    assert "other.html (light): fetched images of the other palette" in found, found
