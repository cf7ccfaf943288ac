"""The `beyond:` block of config.yaml: studies past the lecture, expanded at load time.

Each key of `beyond:` belongs to a study of pipeline/studies/ (registry.py), which declares
its schema. Some studies generate the experiments they read, so the Snakefile stays generic
(one training job each): `seeds` trains every listed Part A variant with more seeds
(`<variant>.seed<k>`), `sweeps` one experiment per (gain, seed) of a log-spaced grid
(`<sweep>.g<gain>.s<seed>`). The others only name experiments that their jobs read; they are
cross-checked here so a typo fails when the workflow loads.
Generated experiments get part "E" and no per-run figures (`cfg["expanded"]`).
"""

from __future__ import annotations

import copy
import math


def log_gains(lo: float, hi: float, count: int) -> list[float]:
    """`count` gains spaced evenly in log from lo to hi (both included), to 10 significant digits."""
    if count == 1:
        return [float(lo)]
    step = (math.log(hi) - math.log(lo)) / (count - 1)
    return [float(f"{math.exp(math.log(lo) + i * step):.10g}") for i in range(count)]


def gain_tag(g: float) -> str:
    """A gain inside a generated experiment's name (and its title): four significant digits.
    Not for display of a lecture gain: that is site.render.gain_label (5/3 as a fraction)."""
    return f"{g:.4g}"


def seed_list(seedset: dict) -> list[int]:
    return [seedset["first"] + k for k in range(seedset["count"])]


def expand(cfg: dict, error, source: str = "config") -> tuple[dict, dict]:
    """Return (experiments including the generated ones, {generated name: study tag}), generated in
    the order `beyond:` lists the studies."""
    from pipeline.studies import registry
    beyond = cfg.get("beyond") or {}
    experiments = copy.deepcopy(cfg["experiments"])
    generated: dict[str, str] = {}

    def add(name: str, exp: dict, study: str, where: str) -> None:
        if name in experiments:
            raise error(f"{source}: {where} generates the experiment {name!r}, which already exists. "
                        "Rename that experiment or change the seeds/gains.")
        experiments[name] = exp
        generated[name] = study

    for study in registry.in_config_order(beyond):
        if study.generate:
            study.generate(beyond, cfg["experiments"], add, error, source)
    return experiments, generated


def check(cfg: dict, error, source: str = "config") -> None:
    """Cross-checks on the resolved experiments: every study names experiments that fit it."""
    from pipeline.studies import registry
    beyond = cfg.get("beyond") or {}
    resolved = cfg["resolved"]

    def need(where: str, names: list[str], ok=None, what: str = "") -> None:
        for n in names:
            if n not in resolved:
                raise error(f"{source}: {where}: no experiment {n!r}; known: {', '.join(sorted(resolved))}.")
            if ok is not None and not ok(resolved[n]):
                raise error(f"{source}: {where}: {n!r} is not {what}.")

    for study in registry.in_config_order(beyond):
        if study.check:
            study.check(beyond, need)
