"""Writing one figure: every variant and format, its provenance inside each file, its alt text,
a thumbnail, and the numbers of its legend.

For figure <name> in figures/<group>/:

    <name>.png  <name>.svg  <name>.pdf     light, for pages and print (PNG at 2x)
    dark/<name>.png                          the dark palette (the site shows it in dark mode)
    talk/<name>.png                          larger text, for a projected slide (1280 px wide)
    thumbs/<name>.webp                       a small preview for the figure index
    <name>.json                              the legend's numbers, plus `alt` (its alt text)

Provenance (experiment, config hash, data sha256, commit, licence, the figure's URL) goes into
PNG text chunks, the SVG's <metadata> (Dublin Core) and the PDF's info dictionary. Saving is
byte-reproducible for a given commit: fixed SVG hash salt, no dates.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import matplotlib.pyplot as plt
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from pipeline import provenance as pv
from pipeline.io import atomic_path, write_json
from pipeline.plots import alt as alt_text
from pipeline.plots import style

THUMB_WIDTH = 360  # px: shown at 180 CSS px in the index
# (variant, subdirectory, formats)
OUTPUTS = (("light", "", ("png", "svg", "pdf")), ("dark", "dark/", ("png",)), ("talk", "talk/", ("png",)))
THUMB = "thumbs/{name}.webp"
PROVENANCE_KEYS = ("experiment", "config_hash", "data_sha256", "commit", "license", "url")

_context: dict = {}


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


def files_of(name: str) -> list[str]:
    """Every file of figure `name`, relative to its figures/<group>/ directory."""
    out = [f"{sub}{name}.{ext}" for _, sub, exts in OUTPUTS for ext in exts]
    return out + [THUMB.format(name=name), f"{name}.json"]


def provenance_fields(group: str, name: str) -> dict:
    meta = pv.citation_meta()
    return {"experiment": str(_context.get("experiment", group)), "config_hash": str(_context.get("config_hash", "-")),
            "data_sha256": str(_context.get("data_sha256", "-")), "commit": pv.commit_label(),
            "license": f"{meta['license']} ({meta['license_url']})",
            "url": pv.figure_url(meta, f"figures/{group}/{name}.png")}


def _metadata(fmt: str, title: str, alt: str, prov: dict, meta: dict) -> dict:
    author = ", ".join(meta["authors"])
    if fmt == "png":  # tEXt chunks: any key
        return {"Title": title, "Author": author, "Description": alt, "Copyright": prov["license"],
                "Source": prov["url"], "Software": "makemore-bn (matplotlib)",
                **{f"makemore:{k}": v for k, v in prov.items()}}
    line = "; ".join(f"{k}: {v}" for k, v in prov.items())
    if fmt == "svg":  # Dublin Core fields only
        return {"Title": title, "Creator": author, "Description": f"{alt}. Provenance: {line}",
                "Rights": prov["license"], "Source": prov["url"], "Identifier": prov["url"], "Date": None}
    return {"Title": title, "Author": author, "Subject": f"{alt}. Provenance: {line}",  # pdf
            "Keywords": line, "Creator": "makemore-bn (matplotlib)", "CreationDate": None, "ModDate": None}


def _write(fig: plt.Figure, path: Path, fmt: str, metadata: dict, dpi: int = style.DPI) -> None:
    with atomic_path(path) as tmp:
        if fmt != "png":
            fig.savefig(tmp, format=fmt, metadata=metadata)
            return
        small = _pixels(fig, dpi).convert("RGB").quantize(  # 256 colours: plenty for a plot, a third of the bytes
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
        info = PngInfo()
        for k, v in metadata.items():
            try:
                v.encode("latin-1")
                info.add_text(k, v)
            except UnicodeEncodeError:
                info.add_itxt(k, v)
        small.save(tmp, format="PNG", pnginfo=info, dpi=(dpi, dpi))


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
            im.save(tmp, format="WEBP", quality=80, method=4)


def save(make: Callable[[], tuple[plt.Figure, dict]] | plt.Figure, out_dir: str | Path, name: str,
         legend: dict | None = None, *, subject: str | None = None, titles: dict | None = None) -> dict:
    """Draw `make()` once per variant and write every file of the figure; return its legend.
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
    for variant, sub, formats in OUTPUTS:
        with style.use(variant):
            fig, lg = make()
            if legend is None:
                legend = lg
                subj = subject or _context.get("subject") or group.replace("_", " ")
                alt = alt_text.describe(name, subj, legend, titles or {})
                title = _figure_title(fig) or alt
            engine = fig.get_layout_engine()
            try:
                for fmt in formats:
                    _write(fig, out_dir / f"{sub}{name}.{fmt}", fmt, _metadata(fmt, title, alt, prov, meta),
                           dpi=style.TALK_DPI if variant == "talk" else style.DPI)
                    if engine is not None:  # laid out once (for the PNG): the SVG and PDF keep that layout
                        fig.set_layout_engine("none")
            finally:
                if engine is not None:
                    fig.set_layout_engine(engine)
            if ready is None:
                plt.close(fig)
    if ready is not None:
        plt.close(ready)
    _thumbnail(out_dir / f"{name}.png", out_dir / THUMB.format(name=name))
    write_json(out_dir / f"{name}.json", {**legend, "alt": alt})
    return legend


def _figure_title(fig: plt.Figure) -> str:
    if fig.get_suptitle():
        return fig.get_suptitle()
    return next((ax.get_title(loc) for ax in fig.axes for loc in ("left", "center") if ax.get_title(loc)), "")
