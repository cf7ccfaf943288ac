"""The `beyond:` block of config.yaml: studies past the lecture, expanded at load time.

Two entries generate experiments, so the Snakefile stays generic (one `train` job each):

- `seeds`: every listed Part A variant again with `count` more seeds (`<variant>.seed<k>`);
  the variant itself is the run with the lecture's seed.
- `sweeps`: one experiment per (gain, seed) of a log-spaced gain grid
  (`<sweep>.g<gain>.s<seed>`), from an experiment template.

The other entries (comparisons, momentum, zero_init, fold) only name experiments that the
analysis rules read; they are checked here so a typo fails when the workflow loads.
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


def gain_label(g: float) -> str:
    return f"{g:.4g}"


def seed_list(seedset: dict) -> list[int]:
    return [seedset["first"] + k for k in range(seedset["count"])]


def seed_names(variant: str, seeds: dict) -> list[str]:
    return [f"{variant}.seed{s}" for s in seed_list(seeds)]


def sweep_name(sweep: str, gain: float, seed: int) -> str:
    return f"{sweep}.g{gain_label(gain)}.s{seed}"


def sweep_members(sweep: str, spec: dict) -> list[tuple[str, float, int]]:
    """(experiment name, gain, seed) for every point of one sweep."""
    g = spec["gains"]
    return [(sweep_name(sweep, gain, seed), gain, seed)
            for gain in log_gains(g["min"], g["max"], g["count"]) for seed in seed_list(spec["seeds"])]


def expand(cfg: dict, error, source: str = "config") -> tuple[dict, dict]:
    """Return (experiments including the generated ones, {generated name: study})."""
    beyond = cfg.get("beyond") or {}
    experiments = copy.deepcopy(cfg["experiments"])
    generated: dict[str, str] = {}

    def add(name: str, exp: dict, study: str, where: str) -> None:
        if name in experiments:
            raise error(f"{source}: {where} generates the experiment {name!r}, which already exists. "
                        "Rename that experiment or change the seeds/gains.")
        experiments[name] = exp
        generated[name] = study

    seeds = beyond.get("seeds")
    if seeds:
        for variant in seeds["experiments"]:
            if variant not in cfg["experiments"]:
                raise error(f"{source}: beyond.seeds.experiments: no experiment {variant!r}; "
                            f"known: {', '.join(cfg['experiments'])}.")
            base = cfg["experiments"][variant]
            for s in seed_list(seeds):
                exp = copy.deepcopy(base)
                exp.update(part="E", seed=s, title=f"{base['title']}, seed {s}")
                add(f"{variant}.seed{s}", exp, "seeds", "beyond.seeds")
    for sweep, spec in (beyond.get("sweeps") or {}).items():
        where = f"beyond.sweeps.{sweep}"
        if spec["gains"]["min"] >= spec["gains"]["max"]:
            raise error(f"{source}: {where}.gains: min ({spec['gains']['min']}) must be below max "
                        f"({spec['gains']['max']}).")
        for key in ("kind", "gain", "seed"):
            if key in spec["experiment"] and key != "kind":
                raise error(f"{source}: {where}.experiment.{key}: the sweep sets it; remove it from the template.")
        if spec["experiment"].get("kind") != "deep":
            raise error(f"{source}: {where}.experiment.kind: must be 'deep' (the gain sweep is a Part B study).")
        for name, gain, seed in sweep_members(sweep, spec):
            exp = copy.deepcopy(spec["experiment"])
            exp.update(part="E", gain=gain, seed=seed, title=f"{spec['title']}, gain {gain_label(gain)}, seed {seed}")
            exp.setdefault("summary", "")
            add(name, exp, f"sweeps.{sweep}", where)
    return experiments, generated


def check(cfg: dict, error, source: str = "config") -> None:
    """Cross-checks on the resolved experiments: every study names experiments that fit it."""
    beyond = cfg.get("beyond") or {}
    resolved = cfg["resolved"]

    def need(where: str, names: list[str], ok=None, what: str = "") -> None:
        for n in names:
            if n not in resolved:
                raise error(f"{source}: {where}: no experiment {n!r}; known: {', '.join(sorted(resolved))}.")
            if ok is not None and not ok(resolved[n]):
                raise error(f"{source}: {where}: {n!r} is not {what}.")

    for name, comp in (beyond.get("comparisons") or {}).items():
        need(f"beyond.comparisons.{name}.experiments", comp["experiments"], lambda s: s["kind"] == "deep",
             "a deep (Part B kind) experiment")
    if beyond.get("momentum"):
        need("beyond.momentum.experiments", beyond["momentum"]["experiments"],
             lambda s: s["kind"] == "mlp" and bool(s.get("batchnorm")), "a Part A experiment with batchnorm")
    if beyond.get("zero_init"):
        need("beyond.zero_init.experiments", beyond["zero_init"]["experiments"])
    if beyond.get("fold"):
        need("beyond.fold.experiments", beyond["fold"]["experiments"],
             lambda s: bool(s.get("batchnorm")) if s["kind"] == "mlp" else s["norm"] == "batchnorm",
             "an experiment with BatchNorm")
