"""The teaching site, built by the quick end-to-end run (conftest.quick_run, whose `rule all`
ends with the site): strict build, numbers from data, and every page in a real browser.

The browser is Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`), driven by
Playwright's client over the DevTools protocol; no browser is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import html
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

from pipeline.io import write_json
from pipeline.plots.files import files_of
from tests.conftest import run_watched

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml")]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.slow


def site_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return run_watched([sys.executable, "-m", "pipeline", "site", *args], cwd=cwd, env=env)


def resolved():
    from pipeline.config import load
    cfg = load(*CONFIGS)
    hidden = set(cfg.get("expanded") or {})
    return cfg, {n: s for n, s in cfg["resolved"].items() if n not in hidden}


def html_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if p.name != "404.html")


# ---- the build ------------------------------------------------------------------------------

def test_pipeline_builds_every_page(quick_run):
    site = quick_run / "site"
    assert (site / "index.html").is_file(), "rule all must end with the site"
    cfg, exps = resolved()
    for name, spec in exps.items():
        page = site / f"part-{spec['part'].lower()}" / f"{name}.html"
        assert page.is_file(), f"no page for experiment {name}"
        text = page.read_text()
        for fig in sorted((quick_run / "figures" / name).glob("*.png")):
            assert f"figures/{name}/{fig.name}" in text, f"{page.name} does not show {fig.name}"
    for p in ("figure-index.html", "reproduce.html", "part-c.html", "notebooks/explore_runs.html"):
        assert (site / p).is_file(), p
    # the init recipe is quoted from the package source, not retyped
    kaiming = (site / "part-a" / "kaiming.html").read_text()
    assert "kaiming_scale" in kaiming and "pipeline/nn/models.py" in kaiming


def test_mkdocs_strict_has_no_warnings(quick_run, tmp_path):
    proc = site_cli("build", "--root", str(quick_run), "--config-file", str(ROOT / "mkdocs.yml"),
                    "--site-dir", str(tmp_path / "site"), cwd=quick_run)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    warnings = [line for line in log.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)]
    assert not warnings, "\n".join(warnings)
    assert (tmp_path / "site" / "index.html").is_file()


def test_plain_mkdocs_build_strict_in_a_checkout(quick_run, tmp_path):
    """What a user types after `snakemake`: `mkdocs build --strict` in the repository itself."""
    repo = tmp_path / "repo"
    for f in ("mkdocs.yml", "CITATION.cff"):
        (repo / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, repo / f)
    # the whole package, as a checkout has it: with hooks.py alone, `pipeline.site` would be a
    # namespace package of one file and the hooks' own imports would fail
    shutil.copytree(ROOT / "pipeline", repo / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "docs", repo / "docs", ignore=shutil.ignore_patterns("generated"))
    shutil.copytree(quick_run / "docs" / "generated", repo / "docs" / "generated")
    shutil.copytree(quick_run / "figures", repo / "figures")
    env = {k: v for k, v in os.environ.items() if k != "MAKEMORE_SITE_ROOT"} | {"NO_MKDOCS_2_WARNING": "1"}
    proc = run_watched([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=repo, env=env)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-6000:]
    assert not [line for line in log.splitlines() if re.match(r"\s*(WARNING|ERROR)\b", line)], log[-3000:]
    assert (repo / "site" / "figure-index.html").is_file()


def test_every_figure_is_indexed_with_provenance_and_citation(quick_run):
    index = (quick_run / "site" / "figure-index.html").read_text()
    figures = sorted((quick_run / "figures").glob("*/*.png"))
    assert figures
    shown = 0
    for png in figures:
        group, name = png.parent.name, png.stem
        anchor = "fig-" + "-".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p) for p in (group, name))
        if f'id="{anchor}"' not in index:
            continue  # figures of studies beyond the lecture are not part of the index yet
        shown += 1
        block = index[index.index(f'id="{anchor}"'):]
        block = block[:block.find('<h4', 10)] if '<h4' in block[10:] else block
        sha = hashlib.sha256(png.read_bytes()).hexdigest()[:12]
        for needle in [f"figures/{group}/{f}" for f in files_of(name) if not f.endswith(".json")] + [
                f"figures/{group}/numbers.json",
                "snakemake", "@misc", sha, "CC BY 4.0", "creativecommons.org/licenses/by/4.0", "Karpathy"]:
            assert needle in block, f"{anchor}: no {needle!r}"
        head = index[:index.index(f'id="{anchor}"')]
        head = head[head.rindex("<h3"):]  # the group's provenance, above its figures
        for needle in ("config hash", "data sha256", "seed"):
            assert needle in head, f"{anchor}: no {needle!r}"
    _, exps = resolved()
    assert shown >= sum(len(list((quick_run / "figures" / n).glob("*.png"))) for n in exps)
    for p in (quick_run / "figures").glob("*/*.png"):
        for f in files_of(p.stem):  # the figure's own numbers ship as its group's numbers.json
            shipped = "numbers.json" if f.endswith(".json") else f
            assert (quick_run / "site" / "figures" / p.parent.name / shipped).is_file(), (p, shipped)
        assert not (quick_run / "site" / "figures" / p.parent.name / f"{p.stem}.json").exists()
    assert (ROOT / "CITATION.cff").is_file()


def test_figures_bib_has_one_entry_per_figure(quick_run):
    bib = (quick_run / "site" / "figures" / "figures.bib").read_text()
    entries = re.findall(r"@misc\{([^,]+),\n(.*?)\n\}", bib, re.S)
    index = (quick_run / "site" / "figure-index.html").read_text()
    anchors = re.findall(r'<h4 id="(fig-[^"]+)"', index)
    assert len(entries) == len(anchors) == len({k for k, _ in entries}) > 100
    for key, body in entries:
        fields = dict(re.findall(r"^  (\w+)\s*= \{(.*)\},?$", body, re.M))
        assert set(fields) == {"author", "title", "howpublished", "year", "url", "note"}, key
        assert all(v.count("{") == v.count("}") for v in fields.values()), key
        assert fields["url"].endswith(".png") and "CC BY 4.0" in fields["note"] and "sha256" in fields["note"]


def test_every_figure_card_has_alt_text_from_its_numbers_and_both_palettes(quick_run):
    imgs = 0
    for page in html_pages(quick_run / "site"):
        if page.name == "figure-index.html" or "notebooks" in page.parts:
            continue
        text = page.read_text()
        on_page = 0
        for m in re.finditer(r"<img\b[^>]*>", text):
            tag = m.group(0)
            src = re.search(r'src="([^"]+)"', tag).group(1)
            if "figures/" not in src:
                continue
            on_page += 1
            alt = html.unescape(re.search(r'alt="([^"]*)"', tag).group(1))
            rel = src.split("figures/", 1)[1].split("#")[0].replace("dark/", "")
            legend = json.loads((quick_run / "figures" / rel).with_suffix(".json").read_text())
            assert alt == legend["alt"] and re.search(r"\d", alt), (page.name, src, alt)
            assert src.endswith(("#only-light", "#only-dark")), (page.name, src)
            if src.endswith("#only-light"):
                dark = src.rsplit("/", 1)[0] + "/dark/" + src.rsplit("/", 1)[1].replace(".png#only-light",
                                                                                         ".webp#only-dark")
                assert f'src="{dark}"' in text, (page.name, dark)
        if on_page:  # a page with figures states their licence
            assert "creativecommons.org/licenses/by/4.0" in text, page.name
        imgs += on_page
    assert imgs > 100


def test_each_figure_groups_numbers_are_one_file_on_the_site(quick_run):
    """The site carries a group's legend numbers once (figures/<group>/numbers.json), not one JSON per
    figure: the same numbers and alt text as the JSON beside each figure in figures/."""
    site = quick_run / "site" / "figures"
    groups = [d for d in site.iterdir() if d.is_dir() and any(d.glob("*.png"))]
    assert len(groups) > 5
    for d in groups:
        numbers = json.loads((d / "numbers.json").read_text())
        names = sorted(p.stem for p in d.glob("*.png"))
        assert sorted(numbers["figures"]) == names, d.name
        for n in names:
            assert numbers["figures"][n] == json.loads((quick_run / "figures" / d.name / f"{n}.json").read_text())
        assert sorted(p.name for p in d.glob("*.json")) == ["numbers.json"], d.name


def test_figure_index_is_light(quick_run):
    """Thumbnails, lazily loaded: the first load of the index is small."""
    site = quick_run / "site"
    text = (site / "figure-index.html").read_text()
    eager = 0
    for m in re.finditer(r"<img\b[^>]*>", text):
        tag = m.group(0)
        src = re.search(r'src="([^"]+)"', tag).group(1)
        if "figures/" in src:
            assert 'loading="lazy"' in tag and "/thumbs/" in src and src.endswith(".webp"), tag
        else:
            eager += (site / src).stat().st_size if (site / src).is_file() else 0
    thumbs = sum(p.stat().st_size for p in (site / "figures").rglob("thumbs/*.webp"))
    assert len(text.encode()) + eager < 2_000_000
    assert thumbs < 8_000_000  # all of them, if one scrolls the whole index


def test_no_remote_resources_in_the_html(quick_run):
    """Nothing loaded at view time may come from off the machine (links to read are fine)."""
    bad = []
    loads = re.compile(r"<(script|img|link|iframe|source|video|audio)\b[^>]*?\b(src|href)=\"((?:https?:)?//[^\"]+)\"",
                       re.I)
    for page in html_pages(quick_run / "site"):
        text = page.read_text()
        for m in loads.finditer(text):
            if m.group(1).lower() == "link" and re.search(r'rel="(canonical|alternate)"', m.group(0)):
                continue
            bad.append(f"{page.name}: {m.group(0)[:160]}")
        if re.search(r"@import\s+url\(\s*['\"]?https?://", text) or "cdnjs" in text or "mathjax" in text.lower():
            bad.append(f"{page.name}: CDN reference")
    assert not bad, "\n".join(bad[:20])
    assert "<math" in (quick_run / "site" / "part-a" / "batchnorm.html").read_text(), "math is not MathML"


# ---- numbers come from data -------------------------------------------------------------------

def copy_outputs(quick_run: Path, work: Path) -> Path:
    """The quick run's results and figures in `work`, to change before building a site from them."""
    for d in ("results", "figures"):
        shutil.copytree(quick_run / d, work / d)
    return work


def build_site(quick_run: Path, work: Path, *extra_configs: str) -> None:
    """Pages from `work`'s outputs (config files: the quick ones and `extra_configs`), then the strict
    MkDocs build; the pipeline graphs and notebooks, which nothing here changes, from the quick run."""
    proc = site_cli("pages", "--configfile", *CONFIGS, *extra_configs, cwd=work)
    assert proc.returncode == 0, proc.stderr[-4000:]
    (work / "docs" / "generated" / "dag").mkdir(parents=True)
    for f in ("dag.svg", "rulegraph.svg"):
        shutil.copy(quick_run / "docs" / "generated" / "dag" / f, work / "docs" / "generated" / "dag" / f)
    shutil.copytree(quick_run / "docs" / "generated" / "notebooks", work / "docs" / "generated" / "notebooks")
    proc = site_cli("build", "--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", "site", cwd=work)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]


def test_changed_metric_shows_up_on_the_pages(quick_run, tmp_path):
    work = copy_outputs(quick_run, tmp_path / "work")
    cfg, exps = resolved()
    name = next(n for n, s in exps.items() if s["part"] == "A")
    metrics = work / "results" / "runs" / name / "metrics.json"
    m = json.loads(metrics.read_text())
    assert m["val_loss"] != 1.234567
    m["val_loss"] = 1.234567
    write_json(metrics, m)  # with its content hash, as a pipeline step writes it
    build_site(quick_run, work)
    page = (work / "site" / "part-a" / f"{name}.html").read_text()
    home = (work / "site" / "index.html").read_text()
    assert "1.2346" in page and "1.2346" in home
    old = f"{json.loads((quick_run / 'results' / 'runs' / name / 'metrics.json').read_text())['val_loss']:.4f}"
    assert old not in home.split("This build")[1].split("Where to go")[0]


def test_home_page_says_which_data_it_was_built_from(quick_run):
    data = json.loads((quick_run / "results" / "data.json").read_text())
    home = (quick_run / "site" / "index.html").read_text()
    assert data["canonical"]
    assert "the lecture&rsquo;s names.txt" in home or "the lecture's names.txt" in home
    assert f"{data['words']:,} words" in home and data["sha256"] in home


def test_reproduce_page_says_which_engine_made_the_numbers(quick_run):
    runs = quick_run / "results" / "runs"
    metrics = {p.parent.name: json.loads(p.read_text()) for p in runs.glob("*/metrics.json")}
    # the default engine stacks Part A; deep nets in a batched job run the simple loop (jobs.train_many)
    assert metrics["kaiming"]["engine"] == "batched" and metrics["tanh_gain_5_3"]["engine"] == "simple"
    page = (quick_run / "site" / "reproduce.html").read_text()
    assert "by the batched engine" in page and "simple loop" in page
    assert "batched engine)" in (quick_run / "site" / "part-a" / "kaiming.html").read_text()


# ---- in a browser --------------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(quick_run):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=quick_run / "site"))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} is missing: apt-get install chromium"
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        yield ctx
        ctx.close()


def test_every_page_in_chromium(quick_run, served, browser):
    pages = html_pages(quick_run / "site")
    assert len(pages) > 10
    problems, seen_requests = [], 0
    page = browser.new_page()
    events: list[str] = []
    page.on("console", lambda m: events.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: events.append(f"page error: {e}"))

    def on_request(req):
        nonlocal seen_requests
        seen_requests += 1
        if not (req.url.startswith(served + "/") or req.url.startswith(("data:", "blob:", "about:"))):
            events.append(f"request off the machine: {req.url}")

    page.on("request", on_request)
    page.on("requestfailed", lambda r: events.append(f"failed request: {r.url} ({r.failure})"))
    for p in pages:
        url = f"{served}/{p.relative_to(quick_run / 'site').as_posix()}"
        events.clear()
        resp = page.goto(url, wait_until="networkidle")
        assert resp is not None and resp.ok, url
        # a lazy image off screen (or hidden: the other palette's) is not loaded yet: fetch it instead
        broken = page.evaluate("""async () => {
            const bad = [];
            for (const i of Array.from(document.images)) {
                if (i.complete && i.naturalWidth > 0) continue;
                if (i.loading === "lazy") {
                    const r = await fetch(i.src.split("#")[0]);
                    if (r.ok && (await r.blob()).size > 0) continue;
                }
                bad.push(i.currentSrc || i.src);
            }
            return bad; }""")
        n_images = page.evaluate("() => document.images.length")
        if broken:
            problems.append(f"{url}: images that did not load: {broken}")
        problems += [f"{url}: {e}" for e in events]
        if p.parent.name in ("part-a", "part-b") and p.stem != "index":
            assert n_images >= 1, f"{url} shows no figure"
    page.close()
    assert seen_requests > len(pages)
    assert not problems, "\n".join(problems[:30])


def test_search_finds_a_variant(served, browser):
    _, exps = resolved()
    name = next(n for n, s in exps.items() if s["part"] == "A" and "kaiming" in n) if "kaiming" in exps else \
        next(iter(exps))
    title = exps[name]["title"]
    page = browser.new_page()
    page.goto(f"{served}/index.html", wait_until="networkidle")
    page.click("label.md-search__icon, .md-search__input")
    page.locator("input.md-search__input").press_sequentially(title.split()[0], delay=30)
    page.wait_for_selector(".md-search-result__item", timeout=20_000)
    results = page.inner_text(".md-search-result")
    assert title.split()[0].lower() in results.lower()
    links = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
    assert any(f"/{name}.html" in h for h in links), links
    # served over http the browser's own Worker runs search; the file:// shim stays out of the way
    assert page.evaluate("String(window.Worker).includes('[native code]')")
    page.close()


def test_dark_mode_toggle_and_copy_buttons(served, browser):
    page = browser.new_page()
    page.goto(f"{served}/part-a/{next(n for n, s in resolved()[1].items() if s['part'] == 'A')}.html",
              wait_until="networkidle")
    before = page.get_attribute("body", "data-md-color-scheme")

    def shown_figures():
        return page.eval_on_selector_all("figure img", "els => els.filter(e => e.offsetParent !== null)"
                                                       ".map(e => e.getAttribute('src'))")
    light = shown_figures()
    assert light and all("/dark/" not in s and s.endswith("#only-light") for s in light), light
    page.click("label.md-header__button[for^='__palette']:visible")
    page.wait_for_timeout(300)
    assert page.get_attribute("body", "data-md-color-scheme") != before
    dark = shown_figures()  # the dark palette shows the dark variant of every figure
    assert dark == [s.rsplit("/", 1)[0] + "/dark/" + s.rsplit("/", 1)[1].replace(".png#only-light", ".webp#only-dark")
                    for s in light]
    page.locator("pre > code").first.scroll_into_view_if_needed()
    assert page.locator("[data-clipboard-target]").count() >= 1, "no copy button on code"
    assert page.locator("a.glightbox").count() >= 1, "figures cannot be zoomed"
    page.close()


def test_figure_index_filter_hides_whole_entries_and_counts(quick_run, served, browser):
    """The figure index's filter box (docs/assets/js/figure-filter.js): words, a part or a kind hide the
    other figures' whole entries (heading, thumbnail, text, citation tabs); the live region counts."""
    index = (quick_run / "site" / "figure-index.html").read_text()
    assert re.search(r'<form class="fig-filter" hidden', index), "without JavaScript the box must stay hidden"
    page = browser.new_page()
    page.goto(f"{served}/figure-index.html", wait_until="networkidle")

    def shown():
        return page.eval_on_selector_all(".fig-item", "els => els.filter(e => e.offsetParent !== null)"
                                                      ".map(e => e.querySelector('h4').id)")

    def count():
        return page.inner_text(".fig-filter-count")

    total = page.locator(".fig-item").count()
    assert total == len(re.findall(r'<h4 id="fig-', index)) > 100
    assert page.get_attribute(".fig-filter-count", "aria-live") == "polite"
    assert count() == f"{total} of {total} figures shown" and len(shown()) == total
    for control in ("fig-filter-text", "fig-filter-part", "fig-filter-kind"):
        assert page.locator(f"label[for='{control}']").is_visible(), control
    page.select_option("#fig-filter-part", "demos")
    demos = shown()
    groups = tuple(f"fig-{d}-" for d in resolved()[0]["demos"])
    assert 0 < len(demos) < total and all(i.startswith(groups) for i in demos), demos
    assert count() == f"{len(demos)} of {total} figures shown"
    assert page.locator(".fig-item:has(#" + demos[0] + ") .tabbed-set").first.is_visible()
    hidden = page.locator(".fig-item[data-part='A']").first
    assert not hidden.is_visible() and not hidden.locator(".tabbed-set").first.is_visible()
    page.select_option("#fig-filter-part", "")
    page.fill("#fig-filter-text", "saturation")
    words = shown()
    assert 0 < len(words) < total and count() == f"{len(words)} of {total} figures shown"
    texts = page.eval_on_selector_all(".fig-item", "els => els.filter(e => e.offsetParent !== null)"
                                                   ".map(e => e.dataset.text)")
    assert all("saturation" in t for t in texts)
    page.fill("#fig-filter-text", "")
    page.select_option("#fig-filter-kind", "saturation-map")
    maps = shown()
    assert maps and all(i.endswith("-saturation_map") for i in maps), maps
    page.select_option("#fig-filter-kind", "")
    assert len(shown()) == total and count() == f"{total} of {total} figures shown"
    page.close()


def test_site_works_from_the_file_system(quick_run, browser):
    """Opened from a USB stick: file:// links, images and search, with no server and no network.

    Browsers refuse Web Workers on file:// pages, so search only works there through our shim
    (docs/assets/js/file-worker.js); without it Material hides the search box."""
    page = browser.new_page()
    off = []
    page.on("request", lambda r: off.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
    page.on("console", lambda m: off.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: off.append(f"page error: {e}"))
    site = quick_run / "site"
    _, exps = resolved()
    name, spec = next((n, s) for n, s in exps.items() if s["part"] == "A")
    word = spec["title"].split()[0]
    # from the home page and from a page one directory down (relative worker and index URLs)
    for start in ("index.html", f"part-{spec['part'].lower()}/{name}.html"):
        page.goto((site / start).as_uri(), wait_until="load")
        page.wait_for_timeout(1000)
        # lazy images off screen (or hidden: the other palette's) wait to be needed: load them all now
        page.evaluate("""() => Promise.race([new Promise(r => setTimeout(r, 10000)), Promise.all(
            Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => new Promise(r => {
                i.addEventListener("load", r, {once: true}); i.addEventListener("error", r, {once: true});
                i.loading = "eager"; })))])""")
        broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                               ".map(i => i.src)")
        assert broken == [], f"{start}: images that did not load from file://: {broken}"
        assert not page.evaluate("document.querySelector('[data-md-component=search]').hidden"), \
            f"{start}: search is hidden from file:// (no Web Worker: is the file-worker.js shim loaded?)"
        page.click("label.md-search__icon, .md-search__input")
        page.locator("input.md-search__input").press_sequentially(word, delay=30)
        page.wait_for_selector(".md-search-result__item", timeout=20_000)
        assert word.lower() in page.inner_text(".md-search-result").lower()
        links = page.eval_on_selector_all(".md-search-result__link", "els => els.map(e => e.href)")
        target = (site / f"part-{spec['part'].lower()}" / f"{name}.html").as_uri()
        assert any(h.split("?")[0].split("#")[0] == target for h in links), (start, links)
    page.locator(f".md-search-result__link[href*='{name}.html']").first.click()
    page.wait_for_load_state("load")
    assert page.url.startswith("file:") and f"/{name}.html" in page.url, page.url
    assert not off, off
    page.close()


FILE_WORKER = ROOT / "docs" / "assets" / "js" / "file-worker.js"

# a worker of our own that exercises the Worker surface the shim promises (see the file's header)
_ECHO_WORKER = """
addEventListener("message", ev => {
  const m = ev.data;
  if (m.op === "echo") postMessage({echo: m.payload, self: self === globalThis});
  if (m.op === "import") Promise.resolve(importScripts("lib/answer.js")).then(() => postMessage({answer: self.ANSWER}));
  if (m.op === "throw") throw new Error("boom from the worker");
});
"""
_ONMESSAGE_WORKER = "onmessage = ev => postMessage('handler got ' + ev.data);"
_CHECKS = """async () => {
  const out = {shim: !String(window.Worker).includes("[native code]")};
  const next = (w, type = "message") => new Promise(ok => w.addEventListener(type, ok, {once: true}));
  const w = new Worker("w/echo.js");
  const payload = {n: 1, list: [1, 2, 3]};
  const viaOnmessage = new Promise(ok => { w.onmessage = ev => ok(ev.data); });
  const first = next(w);
  w.postMessage({op: "echo", payload});   // posted before the script has loaded: must be queued
  payload.n = 2;                          // a copy was sent, not the object
  const ev = await first;
  out.echo = ev.data.echo; out.selfIsGlobal = ev.data.self; out.targetIsWorker = ev.target === w;
  out.onmessage = (await viaOnmessage).echo;
  w.postMessage({op: "import"});
  out.answer = (await next(w)).data.answer;
  w.postMessage({op: "throw"});
  out.error = (await next(w, "error")).message;
  w.onmessage = null;
  const w2 = new Worker("w/onmessage.js");
  w2.postMessage("hi");
  out.handler = (await next(w2)).data;
  const frames = document.querySelectorAll("iframe").length;
  w.terminate(); w2.terminate();
  out.framesRemoved = frames - document.querySelectorAll("iframe").length;
  let late = false;
  w.addEventListener("message", () => { late = true; });
  w.postMessage({op: "echo", payload: 0});
  await new Promise(ok => setTimeout(ok, 300));
  out.lateMessage = late;
  return out;
}"""


def test_file_worker_shim_in_chromium(browser, tmp_path):
    """Our Worker shim for file:// pages, on a worker of our own (not only Material's search)."""
    shutil.copy(FILE_WORKER, tmp_path / "file-worker.js")
    (tmp_path / "w" / "lib").mkdir(parents=True)
    (tmp_path / "w" / "echo.js").write_text(_ECHO_WORKER)
    (tmp_path / "w" / "onmessage.js").write_text(_ONMESSAGE_WORKER)
    (tmp_path / "w" / "lib" / "answer.js").write_text("self.ANSWER = 42;")  # relative to the worker, not the page
    (tmp_path / "page.html").write_text('<!doctype html><html><head><script src="file-worker.js"></script>'
                                        "</head><body><p>shim test</p></body></html>")
    page = browser.new_page()
    page.goto((tmp_path / "page.html").as_uri(), wait_until="load")
    out = page.evaluate(_CHECKS)
    page.close()
    assert out.pop("error"), out  # the browser mutes the details of file:// script errors ("Script error.")
    assert out == {"shim": True, "echo": {"n": 1, "list": [1, 2, 3]}, "selfIsGlobal": True, "targetIsWorker": True,
                   "onmessage": {"n": 1, "list": [1, 2, 3]}, "answer": 42, "handler": "handler got hi",
                   "framesRemoved": 2, "lateMessage": False}, out


# ---- accessibility: axe-core at WCAG 2.1 AA, every page, both palettes ----------------------------

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# mkdocs.yml's two palettes: the name each goes by here, the colour scheme that selects it (its
# `media`: Material picks the palette whose media query matches when nothing is stored) and the
# scheme Material then sets on <body>
PALETTES = {"light": ("light", "default"), "dark": ("dark", "slate")}
# rules that must have been evaluated on every page (a run that checked nothing would pass too)
AXE_MUST_RUN = ("color-contrast", "document-title", "html-has-lang", "image-alt", "link-name")
NO_STORED_PALETTE = """for (const s of [localStorage, sessionStorage])
    for (const k of Object.keys(s)) if (k.endsWith("__palette")) s.removeItem(k);"""


@functools.cache
def axe_source() -> str:
    """axe-core's browser bundle at the version package.json pins, from the npm registry
    (scripts/test.sh installs it into node_modules/; it is never copied into the repository)."""
    pin = json.loads((ROOT / "package.json").read_text())["devDependencies"]["axe-core"]
    pkg = ROOT / "node_modules" / "axe-core"
    fix = "run `npm install --no-package-lock` in the repository (scripts/test.sh does)"
    assert (pkg / "axe.min.js").is_file(), f"axe-core is not installed (no node_modules/axe-core/axe.min.js): {fix}"
    have = json.loads((pkg / "package.json").read_text())["version"]
    assert have == pin, f"node_modules has axe-core {have}, package.json pins {pin}: {fix}"
    return (pkg / "axe.min.js").read_text()


def open_in_palette(page, url: str, palette: str) -> None:
    """`url` as a first-time visitor whose system asks for `palette` sees it (no stored choice)."""
    media, scheme = PALETTES[palette]
    page.emulate_media(color_scheme=media)
    page.goto(url, wait_until="networkidle")
    shown = page.get_attribute("body", "data-md-color-scheme")
    assert shown == scheme, f"{url}: asked for the {palette} palette ({scheme}), the page shows {shown}"
    page.wait_for_timeout(150)  # Material's colour transitions (.25s at most) are over before axe reads colours


def run_axe(page) -> dict:
    """axe-core on the page as it stands: {"violations": [...], "rules": the rules that ran, with the
    outcome of each}; a violation is {id, impact, help, nodes: [selector: what failed]}."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    return page.evaluate(r"""async tags => {
        const r = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
        const ids = kind => r[kind].map(v => v.id);
        return {version: axe.version,
                violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(
                    n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))})),
                rules: {passes: ids("passes"), violations: ids("violations"), incomplete: ids("incomplete"),
                        inapplicable: ids("inapplicable")}};
    }""", list(AXE_TAGS))


def axe_report(checked: dict) -> str:
    """What an axe run over the site checked and found, for a person: pages x palettes, then by rule."""
    palettes = sorted({pal for _, pal in checked}, key=list(PALETTES).index)
    pages = sorted({p for p, _ in checked})
    width = max(len(p) for p in pages)
    lines = [f"axe-core {next(iter(checked.values()))['version']}, tags {', '.join(AXE_TAGS)}: "
             f"{len(pages)} pages x {len(palettes)} palettes = {len(checked)} checks",
             f"{'page':<{width}}  " + "  ".join(f"{p:>9}" for p in palettes) + "   (violations: rules / elements)"]
    for p in pages:
        cells = []
        for pal in palettes:
            v = checked[p, pal]["violations"]
            cells.append(f"{len(v):>4} / {sum(len(x['nodes']) for x in v):<3}")
        lines.append(f"{p:<{width}}  " + "  ".join(cells))
    rules = sorted({r for res in checked.values() for kind in res["rules"].values() for r in kind})
    lines.append(f"rules run: {len(rules)}; by rule, pages x palettes where it passed / failed (elements) / "
                 "needs a human's review / did not apply:")
    for r in rules:
        n = {k: sum(r in res["rules"][k] for res in checked.values())
             for k in ("passes", "violations", "incomplete", "inapplicable")}
        elements = sum(len(v["nodes"]) for res in checked.values() for v in res["violations"] if v["id"] == r)
        failed = f"{n['violations']:>3}" + (f" ({elements})" if elements else "")
        lines.append(f"  {r:<32} {n['passes']:>4} / {failed:<10} / {n['incomplete']:>3} / {n['inapplicable']:>3}")
    return "\n".join(lines)


def axe_failures(checked: dict, limit: int = 40) -> str:
    """Every violation, one line per rule with where: page, palette, the first elements."""
    by_rule: dict[str, list[str]] = {}
    for (p, pal), res in sorted(checked.items()):
        for v in res["violations"]:
            by_rule.setdefault(f"{v['id']} ({v['impact']}): {v['help']}", []).append(
                f"    {p} [{pal}] {len(v['nodes'])} elements, e.g. {v['nodes'][0][:300]}")
    return "\n".join(f"{rule}\n" + "\n".join(where[:limit]) for rule, where in sorted(by_rule.items()))


def test_every_page_passes_axe_at_wcag_2_1_aa_in_both_palettes(quick_run, served, browser, record_property):
    """axe-core (pinned in package.json) on every page of the built site, in the light and in the dark
    palette: no violation of WCAG 2.1 A or AA. Prints what it checked: pages x palettes, and each rule
    with how often it passed, failed, needed a human's review or did not apply."""
    site = quick_run / "site"
    pages = html_pages(site)
    assert len(pages) > 10
    page = browser.new_page()
    page.add_init_script(NO_STORED_PALETTE)  # another test's toggle click is stored in this profile
    checked = {}
    for p in pages:
        rel_path = p.relative_to(site).as_posix()
        for palette in PALETTES:
            open_in_palette(page, f"{served}/{rel_path}", palette)
            checked[rel_path, palette] = res = run_axe(page)
            ran = set(res["rules"]["passes"]) | set(res["rules"]["violations"]) | set(res["rules"]["incomplete"])
            assert {"document-title", "html-has-lang"} <= ran, (rel_path, palette, sorted(ran))
    page.close()
    report = axe_report(checked)
    print("\n" + report)
    record_property("axe", {f"{p} [{pal}]": [v["id"] for v in r["violations"]] for (p, pal), r in checked.items()})
    assert len(checked) == 2 * len(pages)
    assert all(r["version"] == checked[next(iter(checked))]["version"] for r in checked.values())
    for rule in AXE_MUST_RUN:  # each checked somewhere (passed or failed), not only declared
        assert any(rule in r["rules"]["passes"] + r["rules"]["violations"] for r in checked.values()), \
            f"axe never evaluated {rule}\n{report}"
    failures = axe_failures(checked)
    assert not failures, f"WCAG 2.1 AA violations:\n{failures}\n\n{report}"


HOSTILE = {  # config and data text a user (or a shared config) may bring: shown as text, never run
    "title_a": '<script>alert("title")</script>',
    "title_b": 'x](javascript:alert(1)) {: onclick="alert(2)" }',
    "summary": "[click](javascript:alert(3)) <img src=x onerror=alert(4)> $x$ :smile:",
    "study": "<b>bold</b> {#stolen-id}",
    "origin": "local file <svg onload=alert(5)>.txt",
}


class Tags(html.parser.HTMLParser):
    """The real attributes and script bodies of a page (text inside attribute values is not a tag)."""

    def __init__(self):
        super().__init__()
        self.attrs, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.attrs += [(k, v or "") for k, v in attrs]
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def test_hostile_config_and_data_text_is_escaped_everywhere(quick_run, tmp_path):
    work = copy_outputs(quick_run, tmp_path / "work")
    cfg, exps = resolved()
    a = next(n for n, s in exps.items() if s["part"] == "A")
    b = next(n for n, s in exps.items() if s["part"] == "B")
    hostile = work / "hostile.yaml"
    hostile.write_text(yaml.safe_dump({
        "experiments": {a: {"title": HOSTILE["title_a"], "summary": HOSTILE["summary"]},
                        b: {"title": HOSTILE["title_b"], "summary": HOSTILE["summary"]}},
        "beyond": {"seeds": {"title": HOSTILE["study"]}}}))
    info = json.loads((work / "results" / "data.json").read_text())
    info["origin"] = HOSTILE["origin"]
    write_json(work / "results" / "data.json", info)  # with its content hash
    build_site(quick_run, work, str(hostile))  # strict: nothing eaten by attr_list
    pages = html_pages(work / "site")
    text = {p: p.read_text() for p in pages}
    for p, t in text.items():
        tags = Tags()
        tags.feed(t)
        assert "alert(" not in " ".join(tags.scripts), f"{p}: config text ran as a script"
        assert not any(v.strip().lower().startswith("javascript:") for k, v in tags.attrs if k in ("href", "src")), \
            f"{p}: a javascript: link"
        assert not [k for k, _ in tags.attrs if k.startswith("on")], f"{p}: an event handler from config text"
        assert ("id", "stolen-id") not in tags.attrs, f"{p}: config text set an attribute"
    page_a = text[work / "site" / "part-a" / f"{a}.html"]
    assert "&lt;script&gt;alert" in page_a  # shown, as text
    assert "[click](javascript:alert(3))" in html.unescape(re.sub(r"<[^>]+>", "", page_a))
    assert "&lt;svg onload=alert(5)&gt;" in text[work / "site" / "index.html"]


def test_each_part_a_page_compares_with_the_variant_before_it_in_lecture_order(quick_run):
    """The site follows config.yaml's order, the lecture's: each Part A page's config diff and claims are
    against the variant before it (once, the resolved config's sorted keys made kaiming the one before
    scaled_logits, and every "falls from ... to ..." sentence compared the wrong runs)."""
    order = ["bad_init", "scaled_logits", "fixed_tanh", "kaiming", "batchnorm", "batchnorm_running"]
    pages = quick_run / "docs/generated/content/pages/part-a"
    for before, now in zip(order[:-1], order[1:], strict=True):
        text = (pages / f"{now}.md").read_text()
        assert re.search(rf"Against the previous variant, \[[^\]]+\]\({before}\.md\)", text), (now, text[:1500])
    index = (pages / "index.md").read_text()
    positions = [index.find(f"({n}.md)") for n in order]
    assert -1 not in positions and positions == sorted(positions), positions
