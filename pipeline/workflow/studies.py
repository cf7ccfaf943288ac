"""The study jobs the config asks for (config.yaml `beyond:`), from the study registry
(pipeline/studies/registry.py): one rule each, `study_<id>`."""

from __future__ import annotations

from pipeline.studies import registry
from pipeline.workflow.experiments import BEYOND_DIR, compact_json, run_files
from pipeline.workflow.targets import download_paths, figure_paths


class Studies:
    """study job id -> (its study's declaration, its spec), in the order of `beyond:`."""

    def __init__(self, cfg: dict):
        self.jobs = registry.jobs(cfg.get("beyond") or {}, cfg["resolved"])

    def __iter__(self):
        return iter(self.jobs)

    def spec(self, study_id: str) -> dict:
        """The study's config section, with the names of the generated experiments filled in."""
        return self.jobs[study_id][1]

    def params(self, study_id: str) -> str:
        # key order is meaning here (variants in lecture order: each fix is compared with the one
        # before it), so no sort_keys; the config's order is stable, so the params are too
        return compact_json(self.spec(study_id), sort_keys=False)

    def experiments(self, study_id: str) -> list[str]:
        study, spec = self.jobs[study_id]
        return study.experiments(spec)

    def inputs(self, study_id: str) -> list[str]:
        return [f for n in self.experiments(study_id) for f in run_files(n)]

    def outputs(self, study_id: str) -> list[str]:
        study = self.jobs[study_id][0]
        return ([f"{BEYOND_DIR}/{f}" for f in study.outputs(study_id)]
                + figure_paths(study_id, study.figures))

    def download_outputs(self, study_id: str) -> list[str]:
        """What rule study_<id>_downloads writes: the download files of the study's figures."""
        return download_paths(study_id, self.jobs[study_id][0].figures)

    def groups(self) -> dict[str, list[str]]:
        """study job id (its figures/<id>/ group) -> the names of its figures; a study that draws none
        (it only computes numbers for the site) has no group."""
        return {s: list(self.jobs[s][0].figures) for s in self.jobs if self.jobs[s][0].figures}

    def targets(self) -> list[str]:
        return [f for s in self.jobs for f in self.outputs(s)]

    def source(self, study_id: str) -> str:
        """The study's module: its rule's code input beside the CLI step's (codegraph.code_for)."""
        return registry.source(self.jobs[study_id][0].name)
