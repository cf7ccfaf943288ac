"""Writing one figure: its variants and formats, its provenance inside each file, its alt text,
a thumbnail, and the numbers of its legend.

Two modes. The default ("site", what `snakemake -j4` makes) writes only what the site shows, for
figure <name> in figures/<group>/:

    <name>.png           light, 256 colours, at 1.5x (150 dpi): the file a citation names
    dark/<name>.webp     the dark palette (the site shows it in dark mode), lossless WebP of 256 colours
    thumbs/<name>.webp   a small preview for the figure index (270 px wide)
    <name>.json          the legend's numbers, plus `alt` (its alt text)

"downloads" (`python -m pipeline plot --downloads ...`, what `snakemake -j4 downloads` runs, with
--out under downloads/figures/<group>/) draws the same numbers into the heavy formats instead:

    <name>.svg  <name>.pdf             light, with real text, for print and editing
    dark/<name>.svg  dark/<name>.pdf   the dark palette
    talk/<name>.png                    light, larger text, for a projected slide (1280 px wide)
    dark/talk/<name>.png               the same on the dark palette

Provenance (experiment, config hash, data sha256, commit, licence, the cited PNG's URL) goes into
PNG text chunks, WebP XMP, the SVG's <metadata> (Dublin Core) and the PDF's info dictionary.
Saving is byte-reproducible for a given commit: fixed SVG hash salt, no dates.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib.pyplot as plt
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from pipeline import provenance as pv
from pipeline import words
from pipeline.figures import MODES, OUTPUTS, THUMB, download_files_of, files_of  # noqa: F401  (files_of re-exported)
from pipeline.io import atomic_path, write_json
from pipeline.plots import style

THUMB_WIDTH = 270  # px: shown at 180 CSS px in the index
THUMB_QUALITY = 70  # lossy WebP: a preview to click; 15 % lighter than 80 at no visible cost at 180 px
PROVENANCE_KEYS = ("experiment", "config_hash", "data_sha256", "commit", "license", "url")

_context: dict = {}
_mode = {"mode": "site"}


@contextlib.contextmanager
def provenance(**fields):
    """Provenance of the figures saved inside this block: experiment, config_hash, data_sha256, group
    (the figures/<group>/ directory, for the URL) and subject (the experiment's title, for alt text)."""
    old = dict(_context)
    _context.update(fields)
    try:
        yield
    finally:
        _context.clear()
        _context.update(old)


def set_mode(mode: str) -> None:
    """"site" (the default) or "downloads": which files `save` writes (the module docstring)."""
    if mode not in MODES:
        raise ValueError(f"unknown figure mode {mode!r}; known: {', '.join(MODES)}")
    _mode["mode"] = mode


def provenance_fields(group: str, name: str) -> dict:
    meta = pv.citation_meta()
    return {"experiment": str(_context.get("experiment", group)), "config_hash": str(_context.get("config_hash", "-")),
            "data_sha256": str(_context.get("data_sha256", "-")), "commit": pv.commit_label(),
            "license": f"{meta['license']} ({meta['license_url']})",
            "url": pv.figure_url(meta, f"figures/{group}/{name}.png")}


def _metadata(fmt: str, title: str, alt: str, prov: dict, meta: dict) -> dict:
    author = ", ".join(meta["authors"])
    if fmt in ("png", "webp"):  # tEXt chunks (any key); the WebP's XMP carries the same pairs
        return {"Title": title, "Author": author, "Description": alt, "Copyright": prov["license"],
                "Source": prov["url"], "Software": "makemore-bn (matplotlib)",
                **{f"makemore:{k}": v for k, v in prov.items()}}
    line = "; ".join(f"{k}: {v}" for k, v in prov.items())
    if fmt == "svg":  # Dublin Core fields only
        return {"Title": title, "Creator": author, "Description": f"{alt}. Provenance: {line}",
                "Rights": prov["license"], "Source": prov["url"], "Identifier": prov["url"], "Date": None}
    return {"Title": title, "Author": author, "Subject": f"{alt}. Provenance: {line}",  # pdf
            "Keywords": line, "Creator": "makemore-bn (matplotlib)", "CreationDate": None, "ModDate": None}


def xmp(metadata: dict) -> bytes:
    """An XMP packet of the PNG's text pairs: Dublin Core for title, author, description, rights and
    source, the provenance as makemore:<key> properties."""
    def tag(name: str, value: str, alt: bool = False) -> str:
        v = escape(value)
        return (f"<{name}><rdf:Alt><rdf:li xml:lang=\"x-default\">{v}</rdf:li></rdf:Alt></{name}>" if alt
                else f"<{name}>{v}</{name}>")
    m = metadata
    body = [tag("dc:title", m["Title"], True), f"<dc:creator><rdf:Seq><rdf:li>{escape(m['Author'])}</rdf:li>"
            "</rdf:Seq></dc:creator>", tag("dc:description", m["Description"], True),
            tag("dc:rights", m["Copyright"], True), tag("dc:source", m["Source"])]
    body += [tag(k, v) for k, v in m.items() if k.startswith("makemore:")]
    return ("<?xpacket begin=\"\ufeff\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
            "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" "
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:makemore=\"https://github.com/makemore-bn/ns/\">"
            + "".join(body) + "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>").encode("utf-8")


def _write(fig: plt.Figure, path: Path, fmt: str, metadata: dict, dpi: int = style.DPI) -> None:
    with atomic_path(path) as tmp:
        if fmt in ("svg", "pdf"):
            fig.savefig(tmp, format=fmt, metadata=metadata)
            return
        small = _pixels(fig, dpi).convert("RGB").quantize(  # 256 colours: plenty for a plot, a third of the bytes
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        if fmt == "webp":  # lossless, of the 256 colours: 40% smaller than of the truecolour pixels (measured)
            small.save(tmp, format="WEBP", lossless=True, method=4, xmp=xmp(metadata))
            return
        info = PngInfo()
        for k, v in metadata.items():
            try:
                v.encode("latin-1")
                info.add_text(k, v)
            except UnicodeEncodeError:
                info.add_itxt(k, v)
        small.save(tmp, format="PNG", pnginfo=info, dpi=(dpi, dpi), optimize=True)


def _pixels(fig: plt.Figure, dpi: int) -> Image.Image:
    """The figure drawn by Agg at `dpi`, as an RGBA image: the raw buffer, the very pixels matplotlib's
    own PNG writer would encode (and we would decode again), without the round trip."""
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=dpi)
    h, w = fig.canvas.buffer_rgba().shape[:2]  # the buffer Agg just drew into
    raw = buf.getvalue()
    if len(raw) != w * h * 4:
        raise RuntimeError(f"matplotlib drew {len(raw)} bytes of RGBA, not the {w}x{h} canvas expected")
    return Image.frombuffer("RGBA", (w, h), raw, "raw", "RGBA", 0, 1)


def _thumbnail(png: Path, out: Path) -> None:
    with Image.open(png) as im:
        im = im.convert("RGB")
        im.thumbnail((THUMB_WIDTH, THUMB_WIDTH))
        with atomic_path(out) as tmp:
            im.save(tmp, format="WEBP", quality=THUMB_QUALITY, method=4)


def _variants(mode: str) -> dict[str, list[tuple[str, str]]]:
    """variant -> [(file pattern, format)] of the mode, in drawing order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for variant, pattern, fmt in OUTPUTS[mode]:
        out.setdefault(variant, []).append((pattern, fmt))
    return out


def save(make: Callable[[], tuple[plt.Figure, dict]] | plt.Figure, out_dir: str | Path, name: str,
         legend: dict | None = None, *, subject: str | None = None, titles: dict | None = None) -> dict:
    """Draw `make()` once per variant of the current mode and write its files; return its legend.
    `subject` names what the figure is about in its alt text (default: the provenance context's);
    `titles` maps ids in the legend to titles for the alt text. A ready Figure (with its `legend`)
    is accepted too, but then every variant is that one figure: pass a function to get the
    dark and talk styles."""
    if isinstance(make, plt.Figure):
        ready = make
        make = lambda lg=legend: (ready, lg)  # noqa: E731
    else:
        ready = None
    out_dir = Path(out_dir)
    group = out_dir.name
    meta = pv.citation_meta()
    prov = provenance_fields(group, name)
    legend = None  # the first variant's: every variant draws the same numbers
    for variant, files in _variants(_mode["mode"]).items():
        with style.use(variant):
            fig, lg = make()
            if legend is None:
                legend = lg
                subj = subject or _context.get("subject") or group.replace("_", " ")
                alt = words.alt(name, subj, legend, titles or {})
                title = _figure_title(fig) or alt
            engine = fig.get_layout_engine()
            try:
                for pattern, fmt in files:
                    _write(fig, out_dir / pattern.format(name=name), fmt, _metadata(fmt, title, alt, prov, meta),
                           dpi=style.TALK_DPI if "talk" in variant else style.DPI)
                    if engine is not None:  # laid out once (for the first file): the others keep that layout
                        fig.set_layout_engine("none")
            finally:
                if engine is not None:
                    fig.set_layout_engine(engine)
            if ready is None:
                plt.close(fig)
    if ready is not None:
        plt.close(ready)
    if _mode["mode"] == "site":
        _thumbnail(out_dir / f"{name}.png", out_dir / THUMB.format(name=name))
        write_json(out_dir / f"{name}.json", {**legend, "alt": alt})
    return legend


def _figure_title(fig: plt.Figure) -> str:
    if fig.get_suptitle():
        return fig.get_suptitle()
    return next((ax.get_title(loc) for ax in fig.axes for loc in ("left", "center") if ax.get_title(loc)), "")
