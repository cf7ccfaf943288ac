"""Which experiments the batched engine trains together (torch-free: the Snakefile imports it).

Models can share one stacked computation when their architecture, batch size and number
of steps agree; seeds, gains, init scales, learning rates and BatchNorm momentum may differ.
A group larger than `max_size` is cut into near-equal parts, so the jobs of a big sweep
spread over the cores Snakemake is given.
"""

from __future__ import annotations

import math

_MLP_ARCH = ("kind", "n_embd", "n_hidden", "block_size", "batch_size", "steps")
_DEEP_ARCH = ("kind", "n_embd", "n_hidden", "n_layers", "norm", "activation", "block_size", "batch_size",
              "steps")


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
    out = []
    for idx in groups.values():
        parts = math.ceil(len(idx) / max_size) if max_size else 1
        size = math.ceil(len(idx) / parts)
        out += [idx[k:k + size] for k in range(0, len(idx), size)]
    return out


def job_groups(resolved: dict[str, dict], max_size: int | None = None) -> dict[str, list[str]]:
    """Training jobs for the Snakefile: a stable job name -> the experiments it trains.
    The name is the first experiment's, plus how many more ride along."""
    names = list(resolved)
    out = {}
    for idx in group_specs([resolved[n] for n in names], max_size):
        members = [names[i] for i in idx]
        out[members[0] + (f"+{len(members) - 1}" if len(members) > 1 else "")] = members
    return out
