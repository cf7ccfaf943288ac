"""Helpers the Snakefile calls: everything that is logic, so the Snakefile stays wiring.

Snakemake does not notice edits to imported package code, so each rule takes the files of
its CLI step as inputs, derived from the import graph (codegraph.code_for): editing plots.py
reruns the plots, not the training.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline import config as cfgmod
from pipeline.plots import BEYOND_FIGURES, FIGURES, FORMATS, SUMMARY_FIGURES

PACKAGE = Path(__file__).resolve().parents[1]
from pipeline.config import PRESENTATION_KEYS  # noqa: E402,F401  (the Snakefile's and tests' name for it)


def alternatives(names: list[str]) -> str:
    """`a|b|c` with every name escaped (a dot in `bn_momentum_0.1` must not match any character);
    a pattern that matches nothing when there are none."""
    import re
    return "|".join(re.escape(n) for n in names) or "(?!)"


class Workflow:
    """The validated config, seen from the Snakefile."""

    def __init__(self, config: dict, configfiles=()):
        cfgmod.check_files(configfiles)  # duplicate keys: Snakemake's YAML loader keeps the last silently
        self.cfg = cfgmod.validate(config, source="config (config.yaml and any --configfile/--config)")
        self.resolved = self.cfg["resolved"]

    @classmethod
    def load(cls, config: dict, configfiles=()) -> Workflow:
        """For the Snakefile: a bad config stops Snakemake with the one-paragraph message, no traceback."""
        try:
            return cls(config, configfiles)
        except cfgmod.ConfigError as e:
            raise SystemExit(f"error: {e}") from None

    def names(self, kind: str | None = None, part: str | None = None) -> list[str]:
        return [n for n, s in self.resolved.items()
                if (kind is None or s["kind"] == kind) and (part is None or s["part"] == part)]

    def train_spec(self, name: str) -> dict:
        return {k: v for k, v in self.resolved[name].items() if k not in PRESENTATION_KEYS}

    def spec_json(self, wildcards) -> str:
        """The params of a training job: changes to one experiment rerun that experiment only."""
        return json.dumps(self.train_spec(wildcards.exp), sort_keys=True, separators=(",", ":"))

    def title(self, wildcards) -> str:
        return self.resolved[wildcards.exp]["title"]

    def demo_json(self, wildcards) -> str:
        return json.dumps(self.cfg["demos"][wildcards.demo], sort_keys=True, separators=(",", ":"))

    def demos(self) -> list[str]:
        return list(self.cfg["demos"])

    def data_params(self) -> dict:
        return {"url": self.cfg["names_url"], "path": self.cfg["names_path"] or "",
                "sha256": self.cfg["names_sha256"] or "none"}

    def threads(self) -> int:
        return self.cfg["runtime"]["threads"]

    def checkpoint_every(self) -> int:
        return self.cfg["runtime"]["checkpoint_every"]

    # ---- what each job asks a scheduler for (measured: pipeline/workflow/resources.py, docs/cluster.md) ----
    def train_resources(self, job: str) -> dict:
        """mem_mb and runtime of a batched training job (one stack of experiments)."""
        from pipeline.workflow import resources
        ask = resources.train([self.resolved[e] for e in self.train_jobs()[job]])
        return {k: resources.scaled(v) for k, v in ask.items()}

    def train_mem_mb(self, wildcards, attempt) -> int:
        """mem_mb of rule `train` (the simple loop, one experiment), doubled on each retry."""
        from pipeline.workflow import resources
        return resources.train([self.resolved[wildcards.exp]])["mem_mb"] * 2 ** (attempt - 1)

    def train_runtime(self, wildcards, attempt) -> int:
        """runtime (minutes) of rule `train`, doubled on each retry."""
        from pipeline.workflow import resources
        return resources.train([self.resolved[wildcards.exp]])["runtime"] * 2 ** (attempt - 1)

    @staticmethod
    def rule_resources(kind: str) -> dict:
        """mem_mb and runtime of the light rules: data, plot, demo, report, study, site."""
        from pipeline.workflow import resources
        return {k: resources.scaled(v) for k, v in resources.rule(kind).items()}

    # ---- training jobs: one per experiment (simple loop) or one per stack (batched engine) ----
    def engine(self) -> str:
        return self.cfg["runtime"].get("engine", "batched")

    def simple_pattern(self) -> str:
        """The experiments rule `train` (the simple loop, one job each) may make."""
        return self.name_pattern() if self.engine() == "simple" else "(?!)"

    def train_jobs(self) -> dict[str, list[str]]:
        """Batched engine: job name -> the experiments it trains as one stack (pipeline/training/groups.py).
        Editing one experiment reruns its job only; its stack-mates ride along."""
        import re

        from pipeline.training.groups import job_groups
        if self.engine() != "batched":
            return {}
        jobs = job_groups(self.resolved, self.cfg["runtime"].get("max_group"))
        return {re.sub(r"[^A-Za-z0-9_]", "_", k.split("+")[0]) + f"_x{len(v)}": v for k, v in jobs.items()}

    def job_outputs(self, job: str) -> list[str]:
        return [f"results/runs/{e}/{f}" for e in self.train_jobs()[job] for f in RUN_FILES]

    def job_run_dirs(self, job: str) -> list[str]:
        return [f"results/runs/{e}" for e in self.train_jobs()[job]]

    def job_specs_json(self, job: str) -> str:
        return json.dumps([self.train_spec(e) for e in self.train_jobs()[job]], sort_keys=True,
                          separators=(",", ":"))

    def name_pattern(self, kind: str | None = None) -> str:
        """A regex matching exactly the experiment names (of one kind): names hold dots, escaped."""
        return alternatives(self.names(kind))

    def demo_pattern(self) -> str:
        return alternatives(self.demos())

    # ---- the targets (patterns for rule outputs, concrete paths for `rule all`) ----
    @staticmethod
    def figure_files_pattern(kind: str) -> list[str]:
        return [f"figures/{{exp}}/{f}.{ext}" for f in FIGURES[kind] for ext in FORMATS + ("json",)]

    @staticmethod
    def demo_figures_pattern() -> list[str]:
        return [f"figures/{{demo}}/{{demo}}.{ext}" for ext in FORMATS + ("json",)]

    def figure_files(self, exp: str) -> list[str]:
        kind = self.resolved[exp]["kind"]
        return [f"figures/{exp}/{f}.{ext}" for f in FIGURES[kind] for ext in FORMATS + ("json",)]

    def part_a_figures(self) -> list[str]:
        if not self.names(part="A"):
            return []
        return [f"figures/part_a/{f}.{ext}" for f in SUMMARY_FIGURES for ext in FORMATS + ("json",)]

    def demo_figures(self, demo: str) -> list[str]:
        return [f"figures/{demo}/{demo}.{ext}" for ext in FORMATS + ("json",)]

    def all_figures(self) -> list[str]:
        # generated experiments (seeds, sweeps) are read by their study, not plotted one by one
        out = [f for n in self.resolved if n not in self.cfg.get("expanded", {}) for f in self.figure_files(n)]
        out += self.part_a_figures()
        out += [f for d in self.demos() for f in self.demo_figures(d)]
        return out

    # ---- beyond the lecture: studies over many runs (pipeline/config/expand.py, pipeline/studies/runners.py) ----
    def beyond(self) -> dict:
        return self.cfg.get("beyond") or {}

    def studies(self) -> list[str]:
        """Every study the config asks for: seeds, gain_sweep, compare_<name>, momentum, zero_init, fold."""
        b = self.beyond()
        out = [s for s in ("seeds", "momentum", "zero_init", "fold") if b.get(s)]
        if b.get("sweeps"):
            out.append("gain_sweep")
        out += [f"compare_{c}" for c in b.get("comparisons") or {}]
        return out

    def study_spec(self, study: str) -> dict:
        """The study's config section, with the names of the generated experiments filled in."""
        from pipeline.config import expand as studies
        b = self.beyond()
        if study == "seeds":
            s = b["seeds"]
            return dict(s, groups={v: [v] + studies.seed_names(v, s) for v in s["experiments"]})
        if study == "gain_sweep":
            return {"tolerance": b.get("sweep_tolerance", 0.05),
                    "sweeps": {n: {"title": sw["title"], "steps": self.resolved[studies.sweep_members(n, sw)[0][0]]
                                   ["steps"], "members": studies.sweep_members(n, sw)}
                               for n, sw in b["sweeps"].items()}}
        if study.startswith("compare_"):
            return b["comparisons"][study[len("compare_"):]]
        return b[study]

    def study_experiments(self, study: str) -> list[str]:
        spec = self.study_spec(study)
        if study == "seeds":
            return [n for names in spec["groups"].values() for n in names]
        if study == "gain_sweep":
            return [m[0] for sw in spec["sweeps"].values() for m in sw["members"]]
        return list(spec["experiments"])

    def study_inputs(self, study: str) -> list[str]:
        return [f"results/runs/{n}/{f}" for n in self.study_experiments(study) for f in RUN_FILES]

    def study_params(self, study: str) -> str:
        # key order is meaning here (variants in lecture order: each fix is compared with the one
        # before it), so no sort_keys; the config's order is stable, so the params are too
        return json.dumps(self.study_spec(study), separators=(",", ":"))

    @staticmethod
    def study_outputs(study: str) -> list[str]:
        """Outputs of one study (a wildcard pattern when study is '{study}')."""
        kind = "compare" if study.startswith("compare_") else study
        out = [f"results/beyond/{study}.json"] + (["results/beyond/seeds.md"] if study == "seeds" else [])
        return out + [f"figures/{study}/{f}.{ext}" for f in BEYOND_FIGURES.get(kind, ())
                      for ext in FORMATS + ("json",)]

    def beyond_targets(self) -> list[str]:
        return [f for s in self.studies() for f in self.study_outputs(s)]


RUN_FILES = ("metrics.json", "config.json", "history.npz", "probes.npz", "samples.txt", "checkpoint.pt")


# ---- the teaching site (pipeline/site/__init__.py): the last targets of `snakemake` ----------------
REPO = PACKAGE.parent


def mkdocs_hooks() -> list[str]:
    """The Python files mkdocs.yml runs as hooks (the site build's code, beside the CLI step's)."""
    import yaml

    class _AnyTag(yaml.SafeLoader):  # mkdocs.yml may hold !!python/name tags; only `hooks` matters here
        pass
    _AnyTag.add_multi_constructor("", lambda loader, suffix, node: None)
    hooks = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTag).get("hooks") or []
    return [str(REPO / h) for h in hooks]
SITE_RUN_FILES = ("metrics.json", "config.json", "samples.txt")


def notebooks() -> list[str]:
    """The companion notebooks: every jupytext .py under notebooks/."""
    return sorted(p.stem for p in (REPO / "notebooks").glob("*.py"))


def site_sources() -> list[str]:
    """The hand-written site: mkdocs.yml, CITATION.cff and docs/ (not the generated part)."""
    docs = REPO / "docs"
    files = [p for p in docs.rglob("*") if p.is_file() and p.relative_to(docs).parts[0] != "generated"]
    return [str(REPO / "mkdocs.yml"), str(REPO / "CITATION.cff")] + sorted(str(p) for p in files)


def site_page_inputs(wf: Workflow) -> list[str]:
    """What the generated pages read: the shown runs, every figure (legends), the demos' numbers."""
    shown = [n for n in wf.resolved if n not in wf.cfg.get("expanded", {})]
    beyond = wf.beyond_targets() if hasattr(wf, "beyond_targets") else []
    return ([f"results/runs/{n}/{f}" for n in shown for f in SITE_RUN_FILES] + wf.all_figures()
            + [f"results/demos/{d}.json" for d in wf.demos()] + beyond + ["results/data.json"])


def site_digest(wf: Workflow) -> str:
    """Changes with anything in the resolved config, so editing an experiment regenerates the pages."""
    import hashlib
    blob = json.dumps({"resolved": wf.resolved, "demos": wf.cfg["demos"]}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
