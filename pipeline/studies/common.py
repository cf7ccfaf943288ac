"""What several studies share: reading a run directory, formatting, strict JSON, rebuilding a
trained model. Not a study (registry.NOT_STUDIES)."""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.format import DASH
from pipeline.format import fmt as _fmt
from pipeline.io import load_torch, read_json

SPLITS = ("train", "val", "test")


def metrics(runs: str | Path, name: str) -> dict:
    return read_json(Path(runs) / name / "metrics.json")


def run_spec(runs: str | Path, name: str) -> dict:
    """The resolved spec a run was trained with (its config.json)."""
    return read_json(Path(runs) / name / "config.json")["spec"]


def loss(m: dict, split: str) -> float:
    v = m.get(f"{split}_loss")
    return math.nan if v is None else float(v)


def fmt(v, digits: int = 4) -> str:
    """The one formatter (pipeline/format.py), a nan printed as a dash in study tables."""
    return _fmt(v, digits, nonfinite=DASH)


def finite_json(obj):
    """inf/nan become None in the JSON the site reads (strict JSON has no inf)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite_json(v) for v in obj]
    return obj


def load_trained(run_dir: str | Path, data):
    """(spec, model) with the run's trained parameters and buffers."""
    import torch

    from pipeline.nn.models import build_model, set_buffers
    ck = load_torch(Path(run_dir) / "checkpoint.pt")
    spec = ck["spec"]
    model = build_model(spec, len(data.vocab), data.block_size, torch.Generator().manual_seed(spec["seed"]))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(ck["params"][name])
    set_buffers(model, ck["buffers"])
    return spec, model


# ---- what most study declarations share: a block with a title and the experiments it reads ----

def block_schema(min_items: int = 1, **more: dict) -> dict:
    """The JSON schema of a study block: `title`, `experiments` (at least `min_items` names) and
    the study's `more` keys, every one of them required."""
    return {"type": "object", "additionalProperties": False, "required": ["title", "experiments", *more],
            "properties": {"title": {"type": "string"},
                           "experiments": {"type": "array", "items": {"type": "string"}, "minItems": min_items,
                                           "uniqueItems": True},
                           **more}}


def one_job(key: str):
    """`specs` of a study with one job, named as its `beyond:` key, when the block is there."""
    return lambda beyond, resolved: {key: beyond[key]} if beyond.get(key) else {}


def listed_experiments(spec: dict) -> list[str]:
    """`experiments` of a study whose block lists the runs it reads."""
    return list(spec["experiments"])

