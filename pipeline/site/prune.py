"""An MkDocs hook of one job: leave out of the site the theme files no reader's browser fetches.

Material ships, in every build, source maps of its bundles (`*.map`, fetched only by a browser's
developer tools) and lunr's stemmers for some thirty languages (the search worker loads only the
languages of the `search` plugin's `lang`). Together about 2 MB of a site a teacher downloads.
Only the theme's own files are pruned, so a page or figure of ours is never dropped."""

from __future__ import annotations

import re

_LUNR = re.compile(r"^assets/javascripts/lunr/min/lunr\.([a-z]{2,})\.min\.js$")
_KEEP_LUNR = {"stemmer", "multi"}  # lunr.stemmer.support and lunr.multi: shared by every language
_SEGMENTERS = {"assets/javascripts/lunr/tinyseg.js": "ja", "assets/javascripts/lunr/wordcut.js": "th"}
_THEME_ASSETS = ("assets/javascripts/", "assets/stylesheets/")


def search_languages(config) -> set[str]:
    """The languages the search worker loads: the search plugin's `lang`, else the theme's language."""
    plugin = config.plugins.get("search") or config.plugins.get("material/search")
    lang = getattr(plugin, "config", {}).get("lang") if plugin is not None else None
    if not lang:
        lang = [config.theme.get("language") or "en"]
    return {str(x) for x in ([lang] if isinstance(lang, str) else lang)}


def unused(uri: str, languages: set[str]) -> bool:
    """True for a theme file no page of this site loads."""
    if not uri.startswith(_THEME_ASSETS):
        return False
    if uri.endswith(".map"):
        return True
    m = _LUNR.match(uri)
    if m is not None:
        return m.group(1) not in _KEEP_LUNR | languages
    segmenter = _SEGMENTERS.get(uri)  # the word splitters of Japanese and Thai
    return segmenter is not None and segmenter not in languages


def on_files(files, config):
    languages = search_languages(config)
    for f in [f for f in files if unused(f.src_uri, languages)]:
        files.remove(f)
    return files
