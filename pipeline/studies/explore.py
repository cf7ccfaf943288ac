"""The deep network at initialisation over a fine grid of gains: what the site's explore page draws.

For each family of `beyond.explore.families` (tanh, the linear stack, tanh + BatchNorm, tanh
without 1/sqrt(fan_in), ...; a family with a fixed `gain`, such as ReLU at its recommended gain, is
one point) and each gain of a log-spaced grid, the network of `beyond.explore.experiment` (its
architecture, seed, minibatch size and learning rate) is built and run for one step exactly as its
training run begins (pipeline/training/loop.py): the first minibatch forward and backward, the
SGD update, no more. Per gain and layer it records the numbers of the Part B legends, computed by
the same functions (pipeline/analysis/diagnostics.py): mean, std and % saturated (or % zero) of
the activations, mean and std of their gradients, and mean, std and grad:data of every weight's
gradient; plus histogram counts of the activations and of their gradients. The grid always holds
the lecture's gains (`stops`) and the gain of every Part B experiment of a family's kind, so at
those gains the numbers equal that experiment's legend JSON at init (tests/test_explore.py).

Trains nothing and reads no run. Writes results/beyond/explore.json, compact (no indentation).
"""

from __future__ import annotations

import json
import math
import sys

from pipeline.config.expand import log_gains
from pipeline.io import write_text
from pipeline.studies.common import finite_json
from pipeline.studies.registry import Study, StudyIO

FAMILY_KEYS = ("activation", "norm", "fan_in_scaling")  # what a family sets on the experiment
# keys of a deep experiment that do not change its first step (the rest must match for a link)
NOT_AT_INIT = ("name", "title", "summary", "part", "steps", "on_divergence", "sampling", "gain", *FAMILY_KEYS)

SCHEMA = {"explore": {
    "type": "object", "additionalProperties": False,
    "required": ["title", "experiment", "gains", "bins", "stops", "families"],
    "properties": {
        "title": {"type": "string"},
        "experiment": {"type": "string"},  # a deep experiment: architecture, seed, batch size, lr
        "gains": {"type": "object", "additionalProperties": False, "required": ["min", "max", "count"],
                  "properties": {"min": {"type": "number", "exclusiveMinimum": 0},
                                 "max": {"type": "number", "exclusiveMinimum": 0},
                                 "count": {"type": "integer", "minimum": 2, "maximum": 400}}},
        "bins": {"type": "integer", "minimum": 2, "maximum": 200},
        "stops": {"type": "array", "items": {"$ref": "#/definitions/gain"}, "uniqueItems": True},
        "families": {"type": "object", "minProperties": 1,
                     "propertyNames": {"pattern": "^[A-Za-z0-9_]+$"},
                     "additionalProperties": {
                         "type": "object", "additionalProperties": False,
                         "required": ["title", *FAMILY_KEYS],
                         "properties": {"title": {"type": "string", "minLength": 1},
                                        "activation": {"$ref": "#/definitions/activation"},
                                        "norm": {"$ref": "#/definitions/norm"},
                                        "fan_in_scaling": {"type": "boolean"},
                                        "gain": {"$ref": "#/definitions/gain"}}}},
    }}}


def validate(beyond: dict, experiments: dict, add, error, source: str) -> None:
    """Checks of the block at config load (explore generates no experiment): one line, naming the key."""
    spec = beyond.get("explore")
    if not spec:
        return
    where = f"{source}: beyond.explore"
    if spec["gains"]["min"] >= spec["gains"]["max"]:
        raise error(f"{where}.gains: min ({spec['gains']['min']}) must be below max ({spec['gains']['max']}).")
    exp = experiments.get(spec["experiment"])
    if exp is None:
        raise error(f"{where}.experiment: no experiment {spec['experiment']!r}; name a deep (Part B) experiment "
                    "such as tanh_gain_5_3.")
    if exp.get("kind") != "deep":
        raise error(f"{where}.experiment: {spec['experiment']!r} is a {exp.get('kind')} experiment; the explorer "
                    "shows the deep network: name a Part B experiment such as tanh_gain_5_3.")


def _gain(value, where: str) -> float:
    from pipeline.config.core import parse_gain
    return parse_gain(value, where)


def merge_gains(*lists: list[float]) -> list[float]:
    """Sorted, with gains closer than 1e-9 (relative) kept once: the first list's value wins."""
    out: list[float] = []
    for g in (g for lst in lists for g in lst):
        if not any(math.isclose(g, h, rel_tol=1e-9) for h in out):
            out.append(g)
    return sorted(out)


def links(base: dict, family: dict, resolved: dict) -> dict[str, float]:
    """The Part B experiments that are this family at some gain with the base's first step:
    name -> gain."""
    same = {k: v for k, v in base.items() if k not in NOT_AT_INIT}
    out = {}
    for name, s in resolved.items():
        if s.get("kind") != "deep" or s.get("part") != "B":
            continue
        if all(s.get(k) == family[k] for k in FAMILY_KEYS) and {k: s.get(k) for k in same} == same \
                and not any(k not in NOT_AT_INIT and k not in same for k in s):
            out[name] = float(s["gain"])
    return out


def specs(beyond: dict, resolved: dict) -> dict[str, dict]:
    spec = beyond.get("explore")
    if not spec:
        return {}
    base = resolved[spec["experiment"]]
    where = "beyond.explore"
    stops = [_gain(g, f"{where}.stops") for g in spec["stops"]]
    grid = log_gains(spec["gains"]["min"], spec["gains"]["max"], spec["gains"]["count"])
    families = {}
    for key, fam in spec["families"].items():
        linked = links(base, fam, resolved)
        if "gain" in fam:  # one point: the family's own gain
            g = fam["gain"]
            if g == "recommended":
                from pipeline.config.gains import recommended_gain
                g = recommended_gain(fam["activation"])
            gains = [_gain(g, f"{where}.families.{key}.gain")]
            linked = {n: v for n, v in linked.items() if math.isclose(v, gains[0], rel_tol=1e-9)}
        else:
            gains = merge_gains(stops, list(linked.values()), grid)
        families[key] = {"title": fam["title"], **{k: fam[k] for k in FAMILY_KEYS}, "gains": gains,
                         "links": linked}
    return {"explore": {"title": spec["title"], "experiment": spec["experiment"], "base": base,
                        "bins": spec["bins"], "grid": spec["gains"], "stops": stops, "families": families}}


def experiments(spec: dict) -> list[str]:
    return []  # reads no run directory: it builds each network itself


# ---- one network at its first step ----------------------------------------------------------------

def first_step(spec: dict, data) -> tuple[float, dict]:
    """The loss of the first minibatch and the probes of a deep run at init, as the training loop
    takes them (pipeline/training/loop.py): activations and their gradients and weight gradients
    after the backward pass, the weights after the first update (the lecture reads them there)."""
    import torch

    from pipeline.nn.models import build_model, loss_fn
    from pipeline.training.loop import _probe_deep, _probe_weights
    from pipeline.training.schedule import lr_at
    g = torch.Generator().manual_seed(spec["seed"])  # draws the init, then the minibatch
    model = build_model(spec, len(data.vocab), data.block_size, g)
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    Xtr, Ytr = data.splits["train"]
    ix = torch.randint(0, Xtr.shape[0], (spec["batch_size"],), generator=g)
    loss = loss_fn(model(Xtr[ix]), Ytr[ix])
    for _, layer in model.activation_layers():
        layer.out.retain_grad()
    loss.backward()
    probes: dict = {}
    _probe_deep(model, "init", probes)
    with torch.no_grad():
        for p in params:
            p.add_(p.grad, alpha=-lr_at(spec, 0))
    _probe_weights(model, "init", probes)
    return loss.item(), probes


def histogram_counts(t, bins: int) -> list:
    """[low, high, counts]: `bins` equal bins from the smallest to the largest finite value (the
    range of the legends' density histograms, diagnostics.histogram), as integer counts."""
    import numpy as np
    t = np.asarray(t, dtype=np.float64).ravel()
    t = t[np.isfinite(t)]
    if t.size == 0:
        return [0.0, 0.0, [0] * bins]
    lo, hi = float(t.min()), float(t.max())
    rng = (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)
    counts, _ = np.histogram(t, bins=bins, range=rng)
    # the ends for drawing, to float32's precision (the data's): 8 digits instead of 17 in the JSON
    return [float(str(np.float32(rng[0]))), float(str(np.float32(rng[1]))), [int(c) for c in counts]]


def _layer_key(k: str) -> int:
    return int(k.rsplit(".", 1)[1])


def frame(loss: float, probes: dict, activation: str, bins: int) -> dict:
    """One gain's numbers, column-wise: one entry per layer (per weight) in each list."""
    from pipeline.analysis import diagnostics as dg
    acts = sorted((k for k in probes if k.startswith("init.act.")), key=_layer_key)
    grads = sorted((k for k in probes if k.startswith("init.actgrad.")), key=_layer_key)
    weights = [k[len("init.wgrad."):] for k in probes if k.startswith("init.wgrad.")]
    a = [dg.activation_summary(probes[k], activation) for k in acts]
    gr = [dg.grad_stats(probes[k]) for k in grads]
    w = [dg.weight_grad_stats(probes[f"init.wgrad.{n}"], probes[f"init.w.{n}"]) for n in weights]
    return {"loss": loss,
            "act": {"mean": [s["mean"] for s in a], "std": [s["std"] for s in a],
                    "saturated_pct": [s["saturated_pct"] for s in a], "zero_pct": [s["zero_pct"] for s in a],
                    "hist": [histogram_counts(probes[k], bins) for k in acts]},
            "grad": {"mean": [s["mean"] for s in gr], "std": [s["std"] for s in gr],
                     "hist": [histogram_counts(probes[k], bins) for k in grads]},
            "wgrad": {"mean": [s["mean"] for s in w], "std": [s["std"] for s in w],
                      "grad_to_data": [s["grad_to_data"] for s in w]}}


def layout(probes: dict) -> dict:
    """The names a family's frames share: layer labels as the legends write them, weight names and shapes."""
    acts = sorted((k for k in probes if k.startswith("init.act.")), key=_layer_key)
    weights = [k[len("init.wgrad."):] for k in probes if k.startswith("init.wgrad.")]
    return {"layers": [f"layer {_layer_key(k)}" for k in acts],
            "weights": [{"name": n, "shape": list(probes[f"init.wgrad.{n}"].shape)} for n in weights]}


def run(spec: dict, io: StudyIO) -> dict:
    return explore(spec, io.data, io.json, threads=io.threads)


def explore(spec: dict, data_path, out_json, threads: int = 1) -> dict:
    import time

    import torch

    from pipeline.analysis import diagnostics as dg
    from pipeline.data import load_dataset
    torch.set_num_threads(threads)  # as the training jobs: the same threads give the same sums
    t0 = time.perf_counter()
    base = spec["base"]
    data = load_dataset(data_path, base["block_size"], base["split_seed"])
    families = {}
    for key, fam in spec["families"].items():
        frames, names = [], None
        for gain in fam["gains"]:
            s = {**base, **{k: fam[k] for k in ("activation", "norm", "fan_in_scaling")}, "gain": gain}
            loss, probes = first_step(s, data)
            names = names or layout(probes)
            frames.append(frame(loss, probes, fam["activation"], spec["bins"]))
        families[key] = {"title": fam["title"], "activation": fam["activation"], "norm": fam["norm"],
                         "fan_in_scaling": fam["fan_in_scaling"], "gains": fam["gains"],
                         "links": [{"experiment": n, "gain": g} for n, g in fam["links"].items()],
                         **names, "frames": frames}
    n = sum(len(f["gains"]) for f in families.values())
    out = {"title": spec["title"], "experiment": spec["experiment"], "seed": base["seed"],
           "batch_size": base["batch_size"], "lr": base["lr"], "n_layers": base["n_layers"],
           "n_hidden": base["n_hidden"], "bins": spec["bins"], "grid": spec["grid"], "stops": spec["stops"],
           "saturation_threshold": dg.TANH_SATURATED, "families": families}
    text = json.dumps(finite_json(out), separators=(",", ":"), allow_nan=False)
    write_text(out_json, text + "\n")
    print(f"explore: {n} networks in {time.perf_counter() - t0:.1f} s; {out_json} is {len(text.encode()) + 1:,} "
          "bytes", file=sys.stderr)
    return out


STUDY = Study(name="explore", schema=SCHEMA, specs=specs, experiments=experiments, run=run, generate=validate)
