"""How a figure is cited: a BibTeX entry per figure (on its figure-index entry and, all of them,
in figures/figures.bib). Each names the figure's URL (absolute, under this version's address:
CITATION.cff's `url` or the config's `site_url`), its content hash, licence, commit, and credits the
lecture; its year is CITATION.cff's date-released."""

from __future__ import annotations


def _braced(text: str, verbatim: bool = False) -> str:
    """A BibTeX field value: braces balanced, TeX specials escaped (a URL is verbatim)."""
    text = str(text)
    for c in "\\{}":
        text = text.replace(c, "")
    if not verbatim:
        for c in "&%$#_":
            text = text.replace(c, "\\" + c)
    return "{" + text + "}"


def bibtex(f: dict, group_title: str, cite: dict, git: dict, year: str) -> str:
    fields = [("author", " and ".join(cite["authors"])),
              ("title", f"{f['title']} ({group_title})"),
              ("howpublished", f"Figure {f['file']} in {cite['title']}"),
              ("year", year),
              ("url", f["url"]),
              ("note", f"version {cite['version'] or 'unversioned'}, commit {git.get('commit') or 'unknown'}, "
                       f"PNG sha256 {f['sha256']}; licence {cite['license']} ({cite['license_url']}); "
                       f"{cite['lecture']}")]
    body = ",\n".join(f"  {k:<12} = {_braced(v, verbatim=k == 'url')}" for k, v in fields)
    return f"@misc{{{f['bibtex_key']},\n{body}\n}}"


def bib_file(sections: list[dict]) -> str:
    """figures.bib: every figure's entry, in the order of the figure index."""
    entries = [f["bibtex"] for s in sections for g in s["groups"] for f in g["figures"]]
    return "\n\n".join(entries) + "\n"
