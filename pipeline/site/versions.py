"""What changed since the last published version: the figures whose pixels differ.

Every published build (`mike deploy`) writes `figures/pixels.json`: for each figure, a hash of its decoded pixels (the
page PNG as RGBA, with its size), not of its file, whose metadata names the commit and the version
and so changes with every release. When `mike deploy` builds a version (scripts/publish.sh), the
figure index compares with the newest other version on the gh-pages branch: it says how many
figures changed and marks each one, so a teacher who cited a figure of that version sees whether
the new one still shows the same picture. The cited file itself stays where it was, under its
version's path.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

PIXELS = "figures/pixels.json"
BRANCH = "gh-pages"


def pixel_hashes(figures_dir: Path) -> dict[str, str]:
    """{"<group>/<figure>": hash} of every page PNG (figures/<group>/<figure>.png)."""
    from PIL import Image

    out = {}
    for p in sorted(figures_dir.glob("*/*.png")):
        with Image.open(p) as im:
            rgba = im.convert("RGBA")
            h = hashlib.sha256(f"{rgba.width}x{rgba.height}:".encode())
            h.update(rgba.tobytes())
        out[f"{p.parent.name}/{p.stem}"] = h.hexdigest()[:16]
    return out


def _show(repo: Path, path: str) -> str | None:
    r = subprocess.run(["git", "show", f"{BRANCH}:{path}"], cwd=repo, capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None


def previous(repo: Path, current: str) -> tuple[str, dict | None] | None:
    """The newest published version other than `current` and its pixel hashes (None if it was
    published without them); None if nothing else is published."""
    text = _show(repo, "versions.json")
    for v in json.loads(text) if text else []:  # mike lists the newest first
        if v["version"] != current:
            manifest = _show(repo, f"{v['version']}/{PIXELS}")
            return v["version"], (json.loads(manifest) if manifest else None)
    return None


def changed(now: dict[str, str], before: dict[str, str]) -> list[str]:
    """Figures new since `before` or whose pixels differ, in `now`'s order."""
    return [k for k, h in now.items() if before.get(k) != h]


def mark_index(html_text: str, ids: set[str], version: str, total: int) -> str:
    """The figure index's HTML with the heading of each figure in `ids` (element ids) marked and,
    under the title, how many changed since `version`. One pass over the page."""
    n = 0

    def badge(m: re.Match) -> str:
        nonlocal n
        if m.group(1) not in ids:
            return m.group(0)
        n += 1
        return m.group(0) + f'<span class="fig-changed">changed since {version}</span> '

    html_text = re.sub(r'<h4 id="([^"]+)">', badge, html_text)
    return say(html_text, f"Since version {version}: {n} of {total} figures show other pixels"
               + (", marked below." if n else "."))


def say(html_text: str, sentence: str) -> str:
    """`sentence` as the first paragraph under the page's title."""
    return re.sub(r"</h1>", lambda m: m.group(0) + f'<p class="fig-changes">{sentence}</p>', html_text, count=1)
