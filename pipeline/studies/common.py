"""What several studies share: reading a run directory, formatting, strict JSON, rebuilding a
trained model. Not a study (registry.NOT_STUDIES)."""

from __future__ import annotations

import math
from pathlib import Path

from pipeline.format import DASH
from pipeline.format import fmt as _fmt
from pipeline.io import read_json

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
    ck = torch.load(Path(run_dir) / "checkpoint.pt", weights_only=False)
    spec = ck["spec"]
    model = build_model(spec, len(data.vocab), data.block_size, torch.Generator().manual_seed(spec["seed"]))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(ck["params"][name])
    set_buffers(model, ck["buffers"])
    return spec, model
