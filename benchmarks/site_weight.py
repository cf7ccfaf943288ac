"""What a reader downloads: the site on disk, and each page's first load in a real browser.

    python benchmarks/site_weight.py [SITE_DIR] [--palette light dark] [--uncompressed] [--json OUT]

Serves SITE_DIR on 127.0.0.1 the way GitHub Pages serves a site (text gzip-compressed, images as
they are; `--uncompressed` serves everything raw), opens every page in headless Chromium
(Debian's /usr/bin/chromium, or $CHROMIUM) at 1280x900 as a first-time visitor whose system asks
for each palette, waits until the network is idle (lazy images in view have loaded, those below
the fold have not), and prints per page and palette: requests, image requests, bytes transferred,
and any image of the other palette that was fetched. Then the totals on disk by kind of file.

The limits of issue 25 are printed beside each page (a first load of at most 1.5 MB and 40 image
requests, the figure index at most 1 MB); the test suite (tests/test_site.py) asserts them on the
quick run's site with the same code. Absolute sizes depend only on the site, not on the machine.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import re
import sys
import threading
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
PAGE_LIMIT = 1_500_000  # bytes transferred by a page's first load
IMAGE_LIMIT = 40  # image requests of a page's first load
INDEX_LIMIT = 1_000_000  # the figure index's first load
PALETTES = {"light": "light", "dark": "dark"}  # palette -> the prefers-color-scheme that asks for it
_TEXT = (".html", ".js", ".css", ".json", ".svg", ".xml", ".txt", ".bib", ".map", ".ipynb")
_IMAGE = (".png", ".webp", ".jpg", ".jpeg", ".gif", ".svg")
_FIGURE = re.compile(r"/figures/(?:[^/]+/)+[^/]+\.(?:png|webp|svg)$")


def palette_of(url: str) -> str | None:
    """The palette a figure image belongs to: dark/ is the dark one, thumbs/ both, any other the light."""
    if not _FIGURE.search(url) or "/thumbs/" in url:
        return None
    return "dark" if "/dark/" in url else "light"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Text gzip-compressed when the browser accepts it (as GitHub Pages and most servers do)."""

    compress = True

    def log_message(self, *args):
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        accepts = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and accepts and path.suffix in _TEXT and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return _Body(body)


class _Body:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, *_):
        out, self.data = self.data, b""
        return out

    def close(self):
        pass


@contextmanager
def serve(site: Path, compress: bool = True):
    handler = type("Handler", (_Handler,), {"compress": compress})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def pages_of(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.name != "404.html")


def first_load(browser, base: str, page_path: str, palette: str) -> dict:
    """One page's first load in `palette`: {page, palette, requests, images, bytes, other_palette}."""
    context = browser.new_context(viewport=VIEWPORT, color_scheme=PALETTES[palette])
    page = context.new_page()
    seen = []
    page.on("requestfinished", lambda r: seen.append(r))
    page.goto(f"{base}/{page_path}", wait_until="networkidle")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_load_state("networkidle")
    total, images, other = 0, 0, []
    for r in seen:
        sizes = r.sizes()
        total += sizes["responseBodySize"] + sizes["responseHeadersSize"]
        url = r.url.split("#")[0].split("?")[0]
        if r.resource_type == "image" or url.endswith(_IMAGE) and "/figures/" in url:
            images += 1
            if palette_of(url) not in (None, palette):
                other.append(url[len(base):])
    context.close()
    return {"page": page_path, "palette": palette, "requests": len(seen), "images": images, "bytes": total,
            "other_palette": other}


def limit_of(page_path: str) -> int:
    return INDEX_LIMIT if page_path == "figure-index.html" else PAGE_LIMIT


def problems(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        where = f"{r['page']} ({r['palette']})"
        if r["bytes"] > limit_of(r["page"]):
            out.append(f"{where}: first load {r['bytes']:,} bytes, over {limit_of(r['page']):,}")
        if r["images"] > IMAGE_LIMIT:
            out.append(f"{where}: {r['images']} image requests, over {IMAGE_LIMIT}")
        if r["other_palette"]:
            out.append(f"{where}: fetched images of the other palette: {r['other_palette'][:4]}")
    return out


def table(rows: list[dict]) -> str:
    lines = [f"{'page':<44} {'palette':<6} {'requests':>8} {'images':>6} {'KB':>8}  limit KB"]
    for r in sorted(rows, key=lambda r: -r["bytes"]):
        lines.append(f"{r['page']:<44} {r['palette']:<6} {r['requests']:>8} {r['images']:>6} "
                     f"{r['bytes'] / 1000:>8.1f}  {limit_of(r['page']) / 1000:.0f}")
    return "\n".join(lines)


def on_disk(site: Path) -> dict[str, int]:
    """Bytes on disk by kind: figures by extension, and the rest."""
    kinds: dict[str, int] = defaultdict(int)
    for p in site.rglob("*"):
        if p.is_file():
            top = "figures" if p.relative_to(site).parts[0] == "figures" else "other"
            kinds[f"{top} {p.suffix or '(none)'}"] += p.stat().st_size
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    if not Path(CHROMIUM).is_file():
        sys.exit(f"site_weight: no browser at {CHROMIUM}: apt-get install chromium, or set CHROMIUM")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
        try:
            yield browser
        finally:
            browser.close()


def measure(site: Path, palettes=("light", "dark"), compress: bool = True, browser=None) -> list[dict]:
    """Every page's first load in each palette; pass `browser` to reuse an open one."""
    with serve(site, compress) as base:
        if browser is not None:
            return [first_load(browser, base, p, pal) for p in pages_of(site) for pal in palettes]
        with chromium() as b:
            return [first_load(b, base, p, pal) for p in pages_of(site) for pal in palettes]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("site", nargs="?", default="site", type=Path, help="the built site (default: site)")
    ap.add_argument("--palette", nargs="+", choices=list(PALETTES), default=list(PALETTES))
    ap.add_argument("--uncompressed", action="store_true", help="serve text raw instead of gzip-compressed")
    ap.add_argument("--json", type=Path, help="also write every row to this file")
    a = ap.parse_args(argv)
    if not (a.site / "index.html").is_file():
        ap.error(f"{a.site} holds no built site (no index.html): run snakemake -j4 first, or name the site directory")
    disk = on_disk(a.site)
    print(f"{a.site}: {sum(disk.values()) / 1e6:.2f} MB in files")
    for k, v in list(disk.items())[:10]:
        print(f"  {k:<20} {v / 1e6:8.2f} MB")
    rows = measure(a.site, a.palette, compress=not a.uncompressed)
    print(table(rows))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1) + "\n")
    bad = problems(rows)
    print("\n".join(bad) if bad else f"every page within the limits ({len(rows)} loads)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
