"""MkDocs hooks of the teaching site (mkdocs.yml `hooks:`). Build-time only:

- mount the pipeline's outputs into the site: the generated pages
  (docs/generated/content/pages), the executed notebooks, the pipeline graph and every
  file under figures/ (PNG, SVG, PDF, thumbnails and the legend JSON), read from the run's working
  directory ($MAKEMORE_SITE_ROOT, default: beside mkdocs.yml), so nothing is copied;
- take the navigation from the generated nav.yml (experiments come from the config);
- point pymdownx.snippets at the generated includes and the hand-written notes;
- turn the math (pymdownx.arithmatex, generic mode) into MathML, so pages need no
  math script;
- date the site (sitemap.xml) by the code's commit, not by the day of the build;
- drop the CDN scripts (MathJax, mermaid) that notebook pages would otherwise load;
- load our file:// Web Worker shim (docs/assets/js/file-worker.js) in place of the CDN one.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import yaml
from latex2mathml.converter import convert as latex_to_mathml
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from pipeline.provenance import citation_meta, source_date_epoch
from pipeline.site import versions
from pipeline.site.render import fig_id

SITE_ROOT_ENV = "MAKEMORE_SITE_ROOT"
MIKE_VERSION_ENV = "MIKE_DOCS_VERSION"  # the version `mike deploy` is building
SHIM_URL = "assets/js/file-worker.js"  # our Web Worker shim for file:// pages (search from a USB stick)
_state: dict = {}


def _paths(config) -> tuple[Path, Path]:
    repo = Path(config.config_file_path).resolve().parent
    root = Path(os.environ.get(SITE_ROOT_ENV) or repo).resolve()
    return repo, root


@event_priority(-100)  # after Material's offline plugin has added its polyfill
def on_config(config):
    repo, root = _paths(config)
    gen = root / "docs" / "generated"
    content = gen / "content"
    if not (content / "nav.yml").is_file():
        raise PluginError(f"{content / 'nav.yml'} is missing: the pages are generated from the pipeline's "
                          "outputs. Run `snakemake -j4` (or `python -m pipeline site pages`) first.")
    _state.update(repo=repo, root=root, gen=gen, content=content)
    epoch = source_date_epoch(repo)  # the site's date: the commit's, not the build's (sitemap.xml)
    if epoch:
        os.environ["SOURCE_DATE_EPOCH"] = epoch  # read by MkDocs when it makes the pages, after this hook
    config.nav = yaml.safe_load((content / "nav.yml").read_text(encoding="utf-8"))
    try:
        cite = citation_meta(repo)
    except ValueError as e:  # a url or version in CITATION.cff that cannot make an address
        raise PluginError(str(e)) from None
    if not config.site_url:  # this version's address: CITATION.cff's `url` (or $MAKEMORE_SITE_URL, from
        # --config site_url) and `version`, as in every figure file and citation
        config.site_url = cite["site_url"]
    deploying = os.environ.get(MIKE_VERSION_ENV)  # set by `mike deploy` for the build it publishes
    if deploying is not None:
        if deploying != cite["version"]:
            raise PluginError(f"mike deploy {deploying}: CITATION.cff says version {cite['version']!r}, and every "
                              "citation and figure file names that version's address. Deploy that version "
                              "(scripts/publish.sh reads it from CITATION.cff), or set the version there and "
                              "rerun snakemake, which redraws the figures with the new address.")
        config.extra["version"] = {"provider": "mike", "default": "latest"}  # Material's version selector
    _state.pop("pixels", None)  # a new build (mkdocs serve rebuilds in one process)
    _state.update(deploying=deploying, version=cite["version"])
    snippets = config.mdx_configs.setdefault("pymdownx.snippets", {})
    snippets["base_path"] = [str(content / "include"), str(repo / "docs")]
    snippets["check_paths"] = True
    # Material's offline plugin adds the third-party iframe-worker shim from a CDN; use ours instead.
    # A polyfill, not extra_javascript: it must run (in <head>) before the bundle creates its worker.
    polyfills = [u for u in config.extra.get("polyfills", []) if "iframe-worker" not in str(u)]
    config.extra["polyfills"] = polyfills + ([] if SHIM_URL in polyfills else [SHIM_URL])
    return config


def _mounts():
    """(source directory, site prefix, suffixes) of everything mounted into the site."""
    root, gen, content = _state["root"], _state["gen"], _state["content"]
    return [
        (content / "pages", "", (".md", ".bib")),
        (gen / "notebooks", "notebooks/", (".ipynb",)),
        (gen / "dag", "assets/dag/", (".svg",)),
        (root / "figures", "figures/", (".png", ".svg", ".pdf", ".webp", ".json")),
        (content / "assets", "assets/data/", (".js",)),  # the explore page's numbers (pipeline/site/explore.py)
    ]


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks
def on_files(files, config):
    for src, prefix, suffixes in _mounts():
        if not src.is_dir():
            continue
        for p in sorted(src.rglob("*")):
            if not p.is_file() or p.suffix not in suffixes or p.name.startswith("."):
                continue
            uri = prefix + p.relative_to(src).as_posix()
            old = files.get_file_from_path(uri)
            if old is not None:
                files.remove(old)
            base = str(p)[: -len(uri)] if p.as_posix().endswith("/" + uri) else None
            if base:  # a plain File: mkdocs-jupyter's wrapper only works with those
                files.append(File(uri, base, config.site_dir, config.use_directory_urls))
            else:
                files.append(File.generated(config, uri, abs_src_path=str(p)))
    return files


_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
_REMOTE_SCRIPT = re.compile(r"<script\b[^>]*>(?:(?!</script>).)*?(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/"
                            r"(?:(?!</script>).)*?</script>|<script\b[^>]*\bsrc=\"(?:https?:)?//[^\"]*\"[^>]*>"
                            r"\s*</script>", re.S | re.I)
_MATHJAX_CONFIG = re.compile(r'<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->'
                             r'|<script type="text/x-mathjax-config">.*?</script>', re.S)


def mathml(tex: str, display: str) -> str:
    try:
        return latex_to_mathml(html.unescape(tex).strip(), display=display)
    except Exception as e:  # a typo in a formula must fail the build, not show raw TeX
        raise PluginError(f"cannot convert the math {tex!r} to MathML: {e}") from e


def on_page_content(html_text, page, config, files):
    html_text = _BLOCK.sub(lambda m: f'<div class="math-block">{mathml(m.group(1), "block")}</div>', html_text)
    html_text = _INLINE.sub(lambda m: mathml(m.group(1), "inline"), html_text)
    if page.file.src_uri.endswith(".ipynb"):
        html_text = _MATHJAX_CONFIG.sub("", html_text)
        html_text = _REMOTE_SCRIPT.sub("", html_text)
    if page.file.src_uri == "figure-index.md" and _state.get("deploying") is not None:
        html_text = _mark_changes(html_text)
    return html_text


def _pixels() -> dict[str, str]:
    if "pixels" not in _state:
        _state["pixels"] = versions.pixel_hashes(_state["root"] / "figures")
    return _state["pixels"]


def _mark_changes(html_text: str) -> str:
    """A published version's figure index: what changed since the newest other published version."""
    prev = versions.previous(_state["repo"], _state["version"])
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
    if _state.get("deploying") is None:
        return
    out = Path(config.site_dir) / versions.PIXELS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(_pixels(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
