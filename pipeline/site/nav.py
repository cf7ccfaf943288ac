"""The site's navigation (docs/generated/content/nav.yml), in config order, so new experiments
and hand-written pages appear without editing mkdocs.yml."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.site.outputs import REPO, Outputs
from pipeline.sitemap import FIXED_PAGES, PARTS

# keep in step with mkdocs.yml exclude_docs
HIDDEN_DOCS = {"generated", "notes", "interactive", "assets", "templates", "theme"}


def nav(o: Outputs, notebooks: list[str]) -> list:
    items: list = [{"Home": "index.md"}]
    parts = o.parts()
    for key in ("A", "B"):
        if key in parts:
            p = PARTS[key]
            items.append({p.title: [{"Overview": p.page}] +
                          [{nav_title(o.resolved[n]["title"]): o.page_of(n)} for n in parts[key]]})
    if o.demos:
        items.append({PARTS["demos"].title: PARTS["demos"].page})
    if "explore" in o.studies:
        items.append({FIXED_PAGES["explore.md"]: "explore.md"})
    beyond = [{nav_title(o.resolved[n]["title"]): o.page_of(n)} for p, names in parts.items() if p not in ("A", "B")
              for n in names]
    if o.studies or beyond:
        items.append({PARTS["E"].title: ([{"Studies": PARTS["studies"].page}] if o.studies else []) + beyond})
    if notebooks:
        items.append({"Notebooks": [{nb_title(nb): f"notebooks/{nb}.ipynb"} for nb in notebooks]})
    items += [{FIXED_PAGES[p]: p} for p in ("figure-index.md", "claims.md", "reproduce.md")]
    listed = {"index.md", "reproduce.md"}
    more = [{page_title(p): p.relative_to(REPO / "docs").as_posix()}
            for p in sorted((REPO / "docs").rglob("*.md"))
            if p.relative_to(REPO / "docs").parts[0] not in HIDDEN_DOCS
            and p.relative_to(REPO / "docs").as_posix() not in listed]
    if more:  # hand-written pages others add to docs/ join the nav by themselves
        items.append({"More": more})
    return items


def nav_title(title: str) -> str:
    """A title from the config, for the nav. The theme prints a nav title as it is into the page's
    text, and through its `e` filter into attributes (the footer's aria-label). So only what would
    be markup in text is escaped: `<`, `>` and an `&` that would start a character reference.
    Quotes stay as they are: escaped here, the aria-label would read "ReLU&#x27;s" aloud."""
    text = re.sub(r"&(?=#?[0-9A-Za-z]+;)", "&amp;", str(title))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def page_title(p: Path) -> str:
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return p.stem.replace("-", " ").replace("_", " ").capitalize()


def nb_title(nb: str) -> str:
    src = REPO / "notebooks" / f"{nb}.py"
    if src.exists():
        for line in src.read_text().splitlines():
            m = re.match(r"#\s+#\s+(.+)", line)
            if m:
                return m.group(1).strip()
    return nb.replace("_", " ").capitalize()


def notebooks() -> list[str]:
    return sorted(p.stem for p in (REPO / "notebooks").glob("*.py"))
