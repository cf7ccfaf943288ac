"""The validated experiments and demos, as the Snakefile names them: lists, wildcard patterns,
the spec each job runs."""

from __future__ import annotations

import json
import re

from pipeline.config import PRESENTATION_KEYS

RUN_FILES = ("metrics.json", "config.json", "history.npz", "probes.npz", "samples.txt", "checkpoint.pt")


def alternatives(names: list[str]) -> str:
    """`a|b|c` with every name escaped (a dot in `bn_momentum_0.1` must not match any character);
    a pattern that matches nothing when there are none."""
    return "|".join(re.escape(n) for n in names) or "(?!)"


RUNS_DIR = "results/runs"  # one run directory per experiment (rules/train.smk writes them)
BEYOND_DIR = "results/beyond"  # each study's numbers (rules/studies.smk)


def run_files(name: str) -> list[str]:
    """The files of one run directory; `name` may be the wildcard "{exp}"."""
    return [f"{RUNS_DIR}/{name}/{f}" for f in RUN_FILES]


def compact_json(obj, sort_keys: bool = True) -> str:
    """A job's params as one JSON line: equal specs give equal text, so an edit reruns only its jobs."""
    return json.dumps(obj, sort_keys=sort_keys, separators=(",", ":"))


class Experiments:
    """Every experiment of the validated config, the generated ones (seeds, sweep points) included."""

    def __init__(self, cfg: dict):
        self.resolved: dict[str, dict] = cfg["resolved"]
        self.generated = frozenset(cfg.get("expanded") or {})  # read by their study only

    def names(self, kind: str | None = None, part: str | None = None) -> list[str]:
        return [n for n, s in self.resolved.items()
                if (kind is None or s["kind"] == kind) and (part is None or s["part"] == part)]

    def shown(self) -> list[str]:
        """The experiments with their own figures and page (not the generated ones)."""
        return [n for n in self.resolved if n not in self.generated]

    def pattern(self, kind: str | None = None) -> str:
        """A regex matching exactly the experiment names (of one kind): names hold dots, escaped."""
        return alternatives(self.names(kind))

    def train_spec(self, name: str) -> dict:
        """What training reads: the resolved spec without its presentation text (a retitle retrains nothing)."""
        return {k: v for k, v in self.resolved[name].items() if k not in PRESENTATION_KEYS}

    def spec_json(self, wildcards) -> str:
        """The params of a training job: changes to one experiment rerun that experiment only."""
        return compact_json(self.train_spec(wildcards.exp))

    def title(self, wildcards) -> str:
        return self.resolved[wildcards.exp]["title"]


class Demos:
    """Part C's demonstrations (config.yaml `demos:`)."""

    def __init__(self, cfg: dict):
        self.specs: dict[str, dict] = cfg["demos"]

    def names(self) -> list[str]:
        return list(self.specs)

    def pattern(self) -> str:
        return alternatives(self.names())

    def spec_json(self, wildcards) -> str:
        return compact_json(self.specs[wildcards.demo])
