"""Experiment names are also run directories, job names, page names and figure folders: the
checks that keep two names from landing on one of them."""

from __future__ import annotations

import re

from pipeline.errors import ConfigError

RESERVED_NAMES = {"index": "the overview page of each part (part-a/index.md)",
                  "part_a": "the figures across Part A (figures/part_a/)"}


def job_key(name: str) -> str:
    """What an experiment's name becomes in job names and on case-insensitive file systems:
    `a.b`, `a-b`, `A_b` and `a_b` all become `a_b` (Snakemake job names, macOS, Windows)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name).lower()


def check_names(experiments: dict, source: str) -> None:
    """Run directories, pages and jobs are named after experiments: two names must not map to
    one job or one file, and a name must not take a page or a figure folder of the site's own."""
    seen: dict[str, str] = {}
    for name in experiments:
        key = job_key(name)
        if key in seen:
            raise ConfigError(f"{source}: experiments.{name}: the name differs from experiments.{seen[key]} "
                              "only in case or in `.`/`-` against `_`; both would get the same job and, on "
                              "macOS or Windows, the same run directory. Rename one.")
        seen[key] = name


def check_reserved(cfg: dict, study_ids, source: str) -> None:
    """Experiments, demos and study jobs share figures/<name>/ and the site's page names."""
    taken = dict(RESERVED_NAMES)
    taken |= {d: f"the demo {d} (figures/{d}/)" for d in cfg["demos"]}
    taken |= {s: f"the study {s} (figures/{s}/, results/beyond/{s}.json)" for s in study_ids}
    for name in cfg["experiments"]:
        if job_key(name) in {job_key(t) for t in taken}:
            what = next(v for t, v in taken.items() if job_key(t) == job_key(name))
            raise ConfigError(f"{source}: experiments.{name}: the name is taken by {what}; its figures or page "
                              "would overwrite that one's. Rename the experiment.")
