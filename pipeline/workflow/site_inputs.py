"""What the teaching site's rules read (pipeline/site/): the last targets of `snakemake`.
The pages and notebooks go to docs/generated/ of the working directory; the hand-written
sources (mkdocs.yml, docs/, notebooks/) are the repository's."""

from __future__ import annotations

from pathlib import Path

from pipeline.workflow.experiments import Demos, Experiments
from pipeline.workflow.studies import Studies
from pipeline.workflow.targets import Figures

REPO = Path(__file__).resolve().parents[2]
SITE_RUN_FILES = ("metrics.json", "config.json", "samples.txt")


def mkdocs_hooks() -> list[str]:
    """The Python files mkdocs.yml runs as hooks (the site build's code, beside the CLI step's)."""
    import yaml

    class _AnyTag(yaml.SafeLoader):  # mkdocs.yml may hold !!python/name tags; only `hooks` matters here
        pass
    _AnyTag.add_multi_constructor("", lambda loader, suffix, node: None)
    hooks = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTag).get("hooks") or []
    return [str(REPO / h) for h in hooks]


def notebooks() -> list[str]:
    """The companion notebooks: every jupytext .py under notebooks/."""
    return sorted(p.stem for p in (REPO / "notebooks").glob("*.py"))


def site_sources() -> list[str]:
    """The hand-written site: mkdocs.yml, CITATION.cff and docs/ (not the generated part)."""
    docs = REPO / "docs"
    files = [p for p in docs.rglob("*") if p.is_file() and p.relative_to(docs).parts[0] != "generated"]
    return [str(REPO / "mkdocs.yml"), str(REPO / "CITATION.cff")] + sorted(str(p) for p in files)


def rule_files(main_snakefile: str) -> list[str]:
    """The rule files the pipeline graph is drawn from: rules/*.smk beside the Snakefile."""
    return sorted(str(p) for p in (Path(main_snakefile).parent / "rules").glob("*.smk"))


class SitePages:
    """What the generated pages read: the shown runs, every figure (legends), the demos' numbers,
    the studies' results. The config itself comes from results/config.json (rule resolved_config)."""

    def __init__(self, experiments: Experiments, demos: Demos, figures: Figures, studies: Studies):
        self.experiments = experiments
        self.demos = demos
        self.figures = figures
        self.studies = studies

    def inputs(self) -> list[str]:
        return ([f"results/runs/{n}/{f}" for n in self.experiments.shown() for f in SITE_RUN_FILES]
                + self.figures.all() + [f"results/demos/{d}.json" for d in self.demos.names()]
                + self.studies.targets() + ["results/data.json"])
