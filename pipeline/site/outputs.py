"""Reading the pipeline's outputs: run directories, figure legends, demo and study JSON, the
word list's description, and the commit and citation of the code. Nothing here writes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from pipeline import sitemap, words
from pipeline.io import read_json
from pipeline.provenance import citation_meta, git_commit  # noqa: F401 (re-exported)
from pipeline.site.text import mark_text  # config text: escaped wherever a page prints it

REPO = Path(__file__).resolve().parents[2]
LEARNING = ("remember", "why", "goals", "questions")  # the subfolders of docs/notes/ Outputs.learning reads
TEMPLATES = words.TEMPLATES  # the pages' prose and layout, beside the hand-written docs


def load_captions(templates: Path = TEMPLATES) -> dict[str, dict]:
    """figure name -> {title, caption}, in the order figures appear on a page."""
    return yaml.safe_load((templates / "captions.yaml").read_text(encoding="utf-8"))


CAPTIONS = load_captions()
FIGURE_ORDER = list(CAPTIONS)


def caption_of(figure: str) -> tuple[str, str]:
    """A figure's title and caption; a figure without an entry is titled by its file name."""
    c = CAPTIONS.get(figure)
    return (c["title"], c["caption"]) if c else (figure.replace("_", " "), "")


class Outputs:
    """Everything the pages are made of, read once from the working directory `root`."""

    def __init__(self, cfg: dict, root: Path, repo: Path = REPO):
        cfg = mark_text(cfg)
        self.cfg, self.root, self.repo = cfg, Path(root), Path(repo)
        hidden = set(cfg.get("expanded") or {})  # seed replicates, sweep points: read by their study only
        self.resolved: dict[str, dict] = {n: s for n, s in cfg["resolved"].items() if n not in hidden}
        self.metrics, self.samples, self.legends = {}, {}, {}
        for name in self.resolved:
            run = self.root / "results" / "runs" / name
            self.metrics[name] = read_json(run / "metrics.json")
            s = run / "samples.txt"
            self.samples[name] = s.read_text().split() if s.exists() else []
        self.demos = {}
        for d in cfg["demos"]:
            p = self.root / "results" / "demos" / f"{d}.json"
            if p.exists():
                self.demos[d] = read_json(p)
        self.studies = {}
        for p in sorted((self.root / "results" / "beyond").glob("*.json")):
            self.studies[p.stem] = mark_text(read_json(p))
        p = self.root / "results" / "data.json"  # what the data rule verified: origin, checksum
        self.data = mark_text(read_json(p)) if p.exists() else None
        self.figures = self._find_figures()
        self.git = git_commit(self.repo)
        self.cite = citation_meta(self.repo, cfg.get("site_url"))  # the config's site_url, if set

    def note(self, name: str) -> str | None:
        """The docs-relative path of a hand-written docs/notes/<name>.md, if there is one."""
        return f"notes/{name}.md" if (self.repo / "docs" / "notes" / f"{name}.md").exists() else None

    def learning(self, key: str) -> dict:
        """The learner's notes of a page (docs/notes/<kind>/<key>.md): `remember` (the takeaway at its top),
        `why` (the mechanism, when the page's own note is not it), `goals` (what a part teaches) and
        `questions` (questions and exercises with folded answers); None for those that do not exist."""
        return {kind: (f"notes/{kind}/{key}.md" if (self.repo / "docs" / "notes" / kind / f"{key}.md").exists()
                       else None) for kind in LEARNING}

    def parts(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, spec in self.resolved.items():
            out.setdefault(spec["part"], []).append(name)
        return dict(sorted(out.items()))

    def _find_figures(self) -> dict[str, list[str]]:
        """group (experiment, 'part_a' or demo) -> figure names present as PNG + legend JSON, in caption order."""
        groups = list(self.resolved) + (["part_a"] if any(s["part"] == "A" for s in self.resolved.values())
                                        else []) + list(self.cfg["demos"]) + list(self.studies)
        out = {}
        for g in groups:
            d = self.root / "figures" / g
            names = sorted({p.stem for p in d.glob("*.png") if (d / f"{p.stem}.json").exists()},
                           key=lambda n: (FIGURE_ORDER.index(n) if n in FIGURE_ORDER else len(FIGURE_ORDER), n))
            if names:
                out[g] = names
        return out

    def _legend_file(self, group: str, figure: str) -> dict:
        key = (group, figure)
        if key not in self.legends:
            p = self.root / "figures" / group / f"{figure}.json"
            self.legends[key] = mark_text(read_json(p)) if p.exists() else {}
        return self.legends[key]

    def legend(self, group: str, figure: str) -> dict:
        """The numbers of a figure's legend (its JSON without the alt text)."""
        return {k: v for k, v in self._legend_file(group, figure).items() if k != "alt"}

    def numbers(self, group: str) -> dict:
        """Every figure of a group with its legend numbers and alt text: the site's numbers.json of it."""
        return {"group": group, "figures": {f: self._legend_file(group, f) for f in self.figures.get(group, [])}}

    def figure_hash(self, group: str, figure: str) -> str | None:
        """The first 12 hex digits of the sha256 of a figure's PNG: a citation names the exact pixels."""
        p = self.root / "figures" / group / f"{figure}.png"
        return hashlib.sha256(p.read_bytes()).hexdigest()[:12] if p.is_file() else None

    def alt(self, group: str, figure: str) -> str:
        """A figure's alt text, written from its numbers when it was drawn (the `alt` macro of
        docs/templates/_figure_words.md.j2, rendered by pipeline/words.py)."""
        return self._legend_file(group, figure).get("alt") or caption_of(figure)[0]

    def title(self, group: str) -> str:
        if group in self.resolved:
            return self.resolved[group]["title"]
        if group == "part_a":
            return "Part A summary"
        if group in self.cfg["demos"]:
            return self.cfg["demos"][group].get("title", group)
        if group in self.studies:
            return self.studies[group].get("title") or group.replace("_", " ")
        return group

    def title_of_page(self, page: str) -> str:
        """The title of a site page, for links to it (sitemap.py)."""
        fixed = sitemap.page_title(page)
        if fixed:
            return fixed
        stem = page.rsplit("/", 1)[-1].removesuffix(".md")
        return self.resolved[stem]["title"] if stem in self.resolved else stem

    def page_of(self, group: str) -> str:
        """The page that shows a figure group (sitemap.py)."""
        if group in self.resolved:
            return sitemap.experiment_page(self.resolved[group]["part"], group)
        if group == "part_a":
            return sitemap.PARTS["A"].page
        if group in self.studies:
            return sitemap.PARTS["studies"].page
        return sitemap.PARTS["demos"].page
