"""Who made a file and from what: the commit of the code, the project's citation metadata
(CITATION.cff: title, authors, licence of the figures, the site's URL) and the licence
statement that every figure carries, in its file and on the site."""

from __future__ import annotations

import functools
import os
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CONTENT_LICENSE = "CC BY 4.0"  # text and figures (LICENSE-CONTENT); the code is MIT (LICENSE)
CONTENT_LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
LECTURE_CREDIT = ("after Andrej Karpathy's lecture \"Building makemore Part 3: Activations & Gradients, "
                  "BatchNorm\" (2022), https://www.youtube.com/watch?v=P6sfmUTpUmc")


@functools.cache
def git_commit(repo: Path = REPO) -> dict:
    """The commit of the code; `dirty` when the work tree has edits."""
    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
    try:
        head = git("rev-parse", "HEAD")
    except (OSError, subprocess.SubprocessError):
        head = None
    if head is None or head.returncode != 0:
        return {"commit": None, "short": "unknown", "dirty": None, "date": None}
    commit = head.stdout.strip()
    status = git("status", "--porcelain", "--untracked-files=no")
    date = git("show", "-s", "--format=%cs", commit).stdout.strip() or None
    return {"commit": commit, "short": commit[:10], "dirty": bool(status.stdout.strip()), "date": date}


def source_date_epoch(repo: Path = REPO) -> str | None:
    """The date a build stamps its files with (the site's sitemap.xml `lastmod` and the gzip header of
    sitemap.xml.gz): the day of the code's commit rather than the day of the build, so that two builds
    of the same outputs give the same bytes (https://reproducible-builds.org/specs/source-date-epoch/).
    A SOURCE_DATE_EPOCH already set wins; None without git (the build's day stays)."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return os.environ["SOURCE_DATE_EPOCH"]
    day = git_commit(repo)["date"]  # YYYY-MM-DD
    return str(int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())) if day else None


def commit_label(repo: Path = REPO) -> str:
    g = git_commit(repo)
    return (g["commit"] or "unknown") + (" (with uncommitted changes)" if g["dirty"] else "")


SITE_URL_ENV = "MAKEMORE_SITE_URL"  # the site's address for this run: the Snakefile sets it from --config site_url


def _http_url(url, source: str) -> str:
    url = str(url).strip()
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", url):
        raise ValueError(f"{source}: url {url!r} is not an http(s) address; give the address where the site "
                         "is published (https://...)")
    return url


def site_url(meta: dict) -> str | None:
    """The address of this version of the site: CITATION.cff's `url` (where the published versions
    live, one folder each, as `mike deploy` lays them out) joined with its `version`, with one trailing
    slash; None if `url` is unset. A cited figure's URL names its version, so the next release, at its
    own path, leaves the cited pixels alone (README, "Publishing")."""
    url = meta.get("url")
    if not url:
        return None
    url = _http_url(url, "CITATION.cff")
    version = str(meta.get("version") or "").strip()
    if version and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", version):
        raise ValueError(f"CITATION.cff: version {version!r} cannot name a folder of the published site; "
                         "write it as letters, digits, '.', '_', '+' or '-' (0.2.0, say)")
    return url.rstrip("/") + "/" + (version + "/" if version else "")


def _released_year(meta: dict) -> str | None:
    """The year of CITATION.cff's `date-released` (YAML reads an unquoted date as a date)."""
    released = meta.get("date-released")
    m = re.match(r"(\d{4})", str(released)) if released else None
    return m.group(1) if m else None


def citation_meta(repo: Path = REPO, url: str | None = None) -> dict:
    """The project's citation: title, authors, version, year, site URL, licence of text and figures.
    The site's address is `url` (the config's site_url, read by the pages step), else
    $MAKEMORE_SITE_URL (the Snakefile sets it from `--config site_url=...` for every job, so a fork's
    figures and pages name the fork's address), else CITATION.cff's `url`."""
    cff = repo / "CITATION.cff"
    meta = yaml.safe_load(cff.read_text(encoding="utf-8")) if cff.exists() else {}
    meta = meta or {}
    override = str(url or os.environ.get(SITE_URL_ENV) or "").strip()
    if override:
        meta["url"] = _http_url(override, "site_url" if url else f"site_url (${SITE_URL_ENV})")
    authors = []
    for a in meta.get("authors", []):
        authors.append(a.get("name") or " ".join(x for x in (a.get("given-names"), a.get("family-names")) if x))
    versioned = site_url(meta)
    return {"title": meta.get("title", "makemore-bn"), "authors": authors or ["makemore-bn contributors"],
            "version": str(meta.get("version", "")), "year": _released_year(meta), "site_url": versioned,
            "base_url": str(meta["url"]).strip().rstrip("/") if meta.get("url") else None,
            "url": versioned or meta.get("repository-code"),
            "license": CONTENT_LICENSE, "license_url": CONTENT_LICENSE_URL, "lecture": LECTURE_CREDIT}


def download_url(meta: dict, filename: str) -> str | None:
    """Where a zip of figures is published beside a version: <url>/downloads/<version>/<filename>
    (scripts/publish.sh puts them there); None when no site address is set. `meta` is
    citation_meta()'s answer (or CITATION.cff's keys: `url`, `version`)."""
    base = meta["base_url"] if "base_url" in meta else meta.get("url")
    if not base:
        return None
    version = str(meta.get("version") or "").strip()
    return str(base).strip().rstrip("/") + "/downloads/" + (version + "/" if version else "") + filename


def figure_url(meta: dict, rel: str) -> str:
    """A figure's address: absolute under the site's URL when one is set, else its path in the site."""
    return (meta["site_url"] or "") + rel
