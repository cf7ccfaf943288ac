"""The downloads of one site page (or of every page) as one zip: `python -m pipeline zip`.

A zip holds `<group>/...`, the download files `python -m pipeline plot --downloads` wrote under
downloads/figures/<group>/ (SVG and PDF, light and dark, talk PNGs: pipeline/plots/files.py),
plus the repository's LICENSE-CONTENT and a README.txt naming each figure's provenance (read from
the files themselves: the talk PNG's text chunks carry what the cited PNG carries).

Byte-reproducible: entries sorted by name, each dated 1980-01-01, mode 0644, DEFLATE at a fixed
level; the zip is written to a temporary name and renamed when whole. No matplotlib here (the
zip step draws nothing: it reads PNG text chunks with Pillow).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.io import atomic_path

DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold
MODE = 0o644
FIELDS = ("experiment", "config_hash", "data_sha256", "commit")


def _entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=DATE)
    info.external_attr = (0o100000 | MODE) << 16  # a regular file, rw-r--r--
    info.create_system = 3  # unix, whatever machine writes it
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def figure_provenance(png: Path) -> dict:
    """makemore:<key> -> value, from a PNG's text chunks (pipeline/plots/files.py writes them)."""
    from PIL import Image
    with Image.open(png) as im:
        text = dict(im.text)
    return {k.removeprefix("makemore:"): v for k, v in text.items() if k.startswith("makemore:")}


def readme(figures_dir: Path, groups: list[str]) -> str:
    """README.txt: what the zip holds, its licence, and each figure's provenance."""
    lines, licence = [], None
    for group in groups:
        for talk in sorted((figures_dir / group / "talk").glob("*.png")):
            prov = figure_provenance(talk)
            licence = licence or prov.get("license")
            lines += [f"{group}/{talk.stem}", f"  cited PNG (the site's figure): {prov.get('url', '-')}"]
            lines += [f"  {k.replace('_', ' ')}: {prov.get(k, '-')}" for k in FIELDS]
    head = ["makemore-bn figures: " + ", ".join(groups), "",
            "Each figure as SVG and PDF (light: <group>/<name>.svg, .pdf; dark: <group>/dark/), and as",
            "a PNG for slides (<group>/talk/<name>.png, dark: <group>/dark/talk/). Every file carries",
            "its provenance and licence inside (SVG metadata, PDF info, PNG text chunks).", "",
            f"Licence of the figures: {licence or 'see LICENSE-CONTENT'} (LICENSE-CONTENT).", "",
            "Provenance, per figure (the commit and config hash that drew it):", ""]
    return "\n".join(head + lines) + "\n"


def write_zip(dirs: list[str | Path], license_file: str | Path, out: str | Path) -> list[str]:
    """Zip the download files of the figure groups `dirs` (downloads/figures/<group>, all in one directory)
    into `out`, each as <group>/...; return the entries."""
    roots = sorted({Path(d) for d in dirs})
    if len({r.parent for r in roots}) != 1:
        raise ValueError(f"figure groups from several directories: {', '.join(map(str, roots))}")
    figures_dir, groups = roots[0].parent, [r.name for r in roots]
    files: dict[str, bytes] = {}
    for root in roots:
        if not root.is_dir():
            raise FileNotFoundError(2, "no download files here (run `snakemake -j4 downloads`)", str(root))
        for f in root.rglob("*"):
            if f.is_file() and not f.name.startswith("."):
                files[f.relative_to(figures_dir).as_posix()] = f.read_bytes()
    files["LICENSE-CONTENT"] = Path(license_file).read_bytes()
    files["README.txt"] = readme(figures_dir, groups).encode("utf-8")
    with atomic_path(out) as tmp, zipfile.ZipFile(tmp, "w") as z:
        for name in sorted(files):
            z.writestr(_entry(name), files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return sorted(files)
