"""The MkDocs hook that makes the site out of the run (mkdocs.yml `hooks:`; the others there each do
one job: pagehtml.py, changes.py, prune.py). Build-time only:

- mount the pipeline's outputs into the site: the generated pages (docs/generated/content/pages),
  the executed notebooks, the pipeline graph and every file under figures/ (PNG, dark WebP,
  thumbnails; the legend numbers one numbers.json per group, written by the pages step), read from
  the run's working directory ($MAKEMORE_SITE_ROOT,
  default: beside mkdocs.yml; paths.py), so nothing is copied;
- take the navigation from the generated nav.yml (experiments come from the config);
- point pymdownx.snippets at the generated includes and the hand-written notes;
- the site's address and version (CITATION.cff, `site_url`), checked against `mike deploy`'s;
- date the site (sitemap.xml) by the code's commit, not by the day of the build;
- load our file:// Web Worker shim (docs/assets/js/file-worker.js) in place of the CDN one.
"""

from __future__ import annotations

import os

import yaml
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from pipeline.provenance import citation_meta, source_date_epoch
from pipeline.site.paths import MIKE_VERSION_ENV, site_paths

SHIM_URL = "assets/js/file-worker.js"  # our Web Worker shim for file:// pages (search from a USB stick)

@event_priority(-100)  # after Material's offline plugin has added its polyfill
def on_config(config):
    paths = site_paths(config.config_file_path)
    repo, content = paths["repo"], paths["content"]
    if not (content / "nav.yml").is_file():
        raise PluginError(f"{content / 'nav.yml'} is missing: the pages are generated from the pipeline's "
                          "outputs. Run `snakemake -j4` (or `python -m pipeline site pages`) first.")
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
    snippets = config.mdx_configs.setdefault("pymdownx.snippets", {})
    snippets["base_path"] = [str(content / "include"), str(repo / "docs")]
    snippets["check_paths"] = True
    # Material's offline plugin adds the third-party iframe-worker shim from a CDN; use ours instead.
    # A polyfill, not extra_javascript: it must run (in <head>) before the bundle creates its worker.
    polyfills = [u for u in config.extra.get("polyfills", []) if "iframe-worker" not in str(u)]
    config.extra["polyfills"] = polyfills + ([] if SHIM_URL in polyfills else [SHIM_URL])
    return config


def _mounts(config):
    """(source directory, site prefix, suffixes) of everything mounted into the site."""
    paths = site_paths(config.config_file_path)
    root, gen, content = paths["root"], paths["gen"], paths["content"]
    return [
        (content / "pages", "", (".md", ".bib", ".json")),  # numbers.json of each figure group
        (gen / "notebooks", "notebooks/", (".ipynb",)),
        (gen / "dag", "assets/dag/", (".svg",)),
        (root / "figures", "figures/", (".png", ".webp")),  # a figure's numbers: its group's numbers.json
        (content / "assets", "assets/data/", (".js",)),  # the explore page's numbers (pipeline/site/explore.py)
    ]


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks
def on_files(files, config):
    for src, prefix, suffixes in _mounts(config):
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
