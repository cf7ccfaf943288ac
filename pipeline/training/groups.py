"""What is trained, and which trainings share a job (torch-free: the Snakefile imports it).

A **training** is what determines a model's weights and history: architecture, init, seed,
data, schedule, lr. An experiment's spec is its training plus how the trained net is
*evaluated*: its name and texts, the names sampled from it, whether a divergence fails it
(`on_divergence`: `stop` and `record` end the training at the same step, they differ in what
the run reports), and for the Part A net with BatchNorm whether the calibrated or the running
statistics are used and the running statistics' momentum. Running statistics never touch a
gradient, so one training keeps a set of them, one per momentum its experiments ask for.
Experiments whose specs differ only in the evaluation keys share one training (`trainings`):
`batchnorm`, `batchnorm_running` and `bn_momentum_0.1` are one training that keeps running
statistics at momenta 0.001 and 0.1.

A training spec has no name: renaming an experiment changes no training. Its identity is the
hash of its spec (`training_id`); its outputs live under results/train/<id>/, so a job's outputs
say what it trains and a change of anything that moves the numbers is a new path. A **stack**
is the trainings one job trains (`stacks`): a training's seeds, i.e. its spec without the seed;
the batched engine trains them as one computation. Results do not depend on the stack
(tests/test_engine.py holds a model trained alone and in any stack to the same bits), so how
trainings are stacked is scheduling only, and a new experiment gets a stack of its own unless it
is another seed of an existing one. Jobs are labelled by the experiments they serve (`label`),
for people; the label is no part of any training's identity.

Within a job, `group_key` says which trainings can share one stacked computation.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re

_MLP_ARCH = ("kind", "n_embd", "n_hidden", "block_size", "batch_size", "steps")
_DEEP_ARCH = ("kind", "n_embd", "n_hidden", "n_layers", "norm", "activation", "block_size", "batch_size",
              "steps")
# keys of an experiment's spec that no gradient depends on (see the module docstring)
EVAL_KEYS = ("name", "title", "summary", "part", "sampling", "on_divergence")


def group_key(spec: dict) -> tuple:
    """Specs with equal keys can be trained in one stack."""
    if spec["kind"] == "mlp":
        return tuple(spec.get(k) for k in _MLP_ARCH) + (bool(spec.get("batchnorm")), spec["init"]["b1"] is None)
    return tuple(spec.get(k) for k in _DEEP_ARCH)


def group_specs(specs: list[dict], max_size: int | None = None) -> list[list[int]]:
    """Indices of `specs`, grouped by `group_key` in first-seen order, each group cut into
    ceil(n / max_size) parts of near-equal size."""
    groups: dict[tuple, list[int]] = {}
    for i, s in enumerate(specs):
        groups.setdefault(group_key(s), []).append(i)
    return [part for idx in groups.values() for part in split(idx, max_size)]


def split(items: list, max_size: int | None) -> list[list]:
    """`items` cut into ceil(n / max_size) consecutive parts of near-equal size."""
    parts = math.ceil(len(items) / max_size) if max_size else 1
    size = math.ceil(len(items) / parts)
    return [items[k:k + size] for k in range(0, len(items), size)]


# ---- trainings ---------------------------------------------------------------------------------

def _bn_momentum(spec: dict) -> float | None:
    """The running statistics' momentum of a Part A net with BatchNorm (an evaluation key), else None."""
    bn = spec.get("batchnorm") if spec["kind"] == "mlp" else None
    return bn["momentum"] if bn else None


def training_base(spec: dict) -> dict:
    """An experiment's spec without its evaluation keys: experiments with equal bases share a training."""
    base = {k: copy.deepcopy(v) for k, v in spec.items() if k not in EVAL_KEYS}
    if _bn_momentum(spec) is not None:
        base["batchnorm"] = {}  # BatchNorm in the forward pass; eval_stats and momentum are evaluation
    return base


def canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def training_id(tspec: dict) -> str:
    """A training's identity: the hash of what determines its numbers (a `name` given to it for logs aside)."""
    return hashlib.sha256(canonical({k: v for k, v in tspec.items() if k != "name"}).encode()).hexdigest()[:16]


def trainings(resolved: dict[str, dict]) -> dict[str, dict]:
    """Training id -> {"spec": the training spec, "experiments": the experiments it serves}, in
    config order. The training spec is the shared base (no name), with `batchnorm: {"momenta": [...]}`
    listing the running-statistics momenta its experiments evaluate with."""
    bases: dict[str, tuple[dict, list[str], set]] = {}
    for name, spec in resolved.items():
        base = training_base(spec)
        key = canonical(base)
        entry = bases.setdefault(key, (base, [], set()))
        entry[1].append(name)
        if _bn_momentum(spec) is not None:
            entry[2].add(float(spec["batchnorm"]["momentum"]))
    out = {}
    for base, names, momenta in bases.values():
        tspec = dict(base)
        if momenta:
            tspec["batchnorm"] = {"momenta": sorted(momenta)}
        out[training_id(tspec)] = {"spec": tspec, "experiments": names}
    return out


def label(trains: dict[str, dict], tids: list[str]) -> str:
    """A job's name for people (rule names, logs): its first experiment, `_x<n>` for n trainings."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", trains[tids[0]]["experiments"][0])
    return out + (f"_x{len(tids)}" if len(tids) > 1 else "")


def _labelled(trains: dict[str, dict], parts: list[list[str]], out: dict, numbered: bool = False) -> None:
    """Add each part to `out` under its label (`_part<k>` if `numbered`), unique by a tid prefix."""
    for k, part in enumerate(parts):
        name = label(trains, part) + (f"_part{k + 1}" if numbered else "")
        out[name if name not in out else f"{name}_{part[0][:8]}"] = part


def stacks(trains: dict[str, dict], max_size: int | None = None) -> dict[str, list[str]]:
    """Job label -> the training ids it trains: the seeds of one training (its spec without seed
    and momenta) form a stack, cut into ceil(n / max_size) near-equal parts. Labels come from the
    experiment names (unique, and distinct after `_` for `.`: checked at validation)."""
    families: dict[str, list[str]] = {}
    for tid, t in trains.items():
        fam = {k: v for k, v in t["spec"].items() if k != "seed"}
        if "batchnorm" in fam:
            fam["batchnorm"] = {}
        families.setdefault(canonical(fam), []).append(tid)
    out: dict[str, list[str]] = {}
    for tids in families.values():
        parts = split(tids, max_size)
        _labelled(trains, parts, out, numbered=len(parts) > 1)
    return out


def singles(trains: dict[str, dict]) -> dict[str, list[str]]:
    """Job label -> [training id]: one job per training (runtime.engine: simple)."""
    out: dict[str, list[str]] = {}
    _labelled(trains, [[tid] for tid in trains], out)
    return out
