"""An MkDocs hook of one job: a published version (`mike deploy`, scripts/publish.sh) says on its
figure index which figures show other pixels than in the newest version published before it, and
carries its own figures' pixel hashes for the next one to compare with (figures/pixels.json).
A build nobody publishes does neither."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipeline.provenance import citation_meta
from pipeline.site import versions
from pipeline.site.paths import MIKE_VERSION_ENV, site_paths
from pipeline.site.text import fig_id

_build: dict = {}  # this build's published version, root and pixel hashes (`mkdocs serve` rebuilds in one process)


def on_config(config):
    _build.clear()
    deploying = os.environ.get(MIKE_VERSION_ENV)
    if deploying is not None:  # hooks.py has checked it is CITATION.cff's version
        paths = site_paths(config.config_file_path)
        _build.update(version=citation_meta(paths["repo"])["version"], repo=paths["repo"], root=paths["root"])
    return config


def on_page_content(html_text, page, config, files):
    if page.file.src_uri == "figure-index.md" and _build:
        html_text = _mark_changes(html_text)
    return html_text


def _pixels() -> dict[str, str]:
    if "pixels" not in _build:
        _build["pixels"] = versions.pixel_hashes(_build["root"] / "figures")
    return _build["pixels"]


def _mark_changes(html_text: str) -> str:
    """A published version's figure index: what changed since the newest other published version."""
    prev = versions.previous(_build["repo"], _build["version"])
    if prev is None:
        return html_text
    version, before = prev
    if before is None:  # published before versions carried their pixel hashes: say so, flag nothing
        return versions.say(html_text, f"Version {version} was published without its figures' pixel hashes: "
                                       "what changed since then cannot be shown.")
    now = _pixels()
    ids = {fig_id(*k.split("/", 1)) for k in versions.changed(now, before)}
    return versions.mark_index(html_text, ids, version, len(now))


def on_post_build(config):
    """A published build carries its figures' pixel hashes, for the next version to compare with
    (decoding every figure takes a second or so: not for the builds nobody publishes)."""
    if not _build:
        return
    out = Path(config.site_dir) / versions.PIXELS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_pixels(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
