"""A figure's alt text, written from the numbers of its legend: what a screen reader (or a slide
without the picture) should say. Stored in the legend JSON under `alt` and used on every <img>."""

from __future__ import annotations

import math

from pipeline.figures import PAIR_FIGURE

WHEN = {"init": "at initialisation", "final": "after training"}


def _n(v, spec: str = ".3g") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "undefined"
    return format(v, spec)


def _deepest(lg: dict) -> tuple[str, dict] | None:
    items = [(k, v) for k, v in lg.items() if isinstance(v, dict)]
    return items[-1] if items else None


def _numbers(obj, path: str = "") -> list[tuple[str, float]]:
    """Every finite number of a legend, with its key path, in order."""
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in _numbers(v, f"{path} {k}".strip())]
    if isinstance(obj, list):
        return [x for i, v in enumerate(obj[:4]) for x in _numbers(v, f"{path} {i + 1}")]
    if isinstance(obj, (int, float)) and not isinstance(obj, bool) and math.isfinite(obj):
        return [(path.replace("_", " "), obj)]
    return []


def generic(what: str, subject: str, lg: dict) -> str:
    nums = _numbers(lg)[:3]
    tail = "; ".join(f"{k} {_n(v)}" for k, v in nums)
    return f"{what}, {subject}" + (f": {tail}" if tail else "")


def describe(name: str, subject: str, lg: dict, titles: dict | None = None) -> str:
    """One sentence: the figure, its experiment (`subject`) and its key numbers; `titles` names
    the experiments a summary figure's legend is keyed by."""
    titles = titles or {}
    if "diverged" in lg:
        d = lg["diverged"]
        return f"{name.replace('_', ' ')}, {subject}: the run diverged at step {d.get('step')}, nothing to plot"
    stem, _, when = name.rpartition("_")
    when_text = WHEN.get(when)
    if name == "loss_curve":
        return (f"Training loss, {subject}: {_n(lg.get('initial_loss'), '.4f')} at step 0 (uniform guess "
                f"{_n(lg.get('expected_initial_loss'), '.4f')}), train {_n(lg.get('train_loss'), '.4f')}, "
                f"val {_n(lg.get('val_loss'), '.4f')} after training")
    if name == "hpreact_hist":
        return (f"Hidden pre-activations at initialisation, {subject}: mean {_n(lg['mean'], '+.3f')}, "
                f"std {_n(lg['std'], '.3f')}")
    if name == "tanh_hist":
        return (f"tanh outputs at initialisation, {subject}: {_n(lg['saturated_pct'], '.1f')}% beyond |0.99|, "
                f"std {_n(lg['std'], '.3f')}")
    if name == "saturation_map":
        dead = lg["dead_neurons"]
        return (f"Saturation map at initialisation, {subject}: {_n(lg['white_pct'], '.1f')}% of the "
                f"{lg['shape'][0]} x {lg['shape'][1]} cells beyond |{lg['threshold']}|, "
                + ("no dead neuron" if dead == 0 else f"{dead} dead neuron{'s' if dead != 1 else ''}"))
    text = _describe_deep(name, stem, when_text, subject, lg)
    if text is None:
        text = _describe_part_a(name, lg, titles)
    return text if text is not None else generic(name.replace("_", " ").capitalize(), subject, lg)


def _describe_deep(name: str, stem: str, when_text: str | None, subject: str, lg: dict) -> str | None:
    """A deep network's diagnostic figures; None for any other figure."""
    if when_text and stem in ("activations", "gradients") and _deepest(lg):
        first_k, first = next(iter(lg.items()))
        last_k, last = _deepest(lg)
        fmt = ".2f" if stem == "activations" else ".2e"
        text = (f"{'Activations' if stem == 'activations' else 'Gradients'} {when_text}, {subject}: std "
                f"{_n(first['std'], fmt)} at {first_k} to {_n(last['std'], fmt)} at {last_k}")
        if stem == "activations" and "saturated_pct" in first:
            text += f"; {_n(first['saturated_pct'], '.1f')}% saturated at {first_k}"
        return text
    if when_text and stem == "weight_gradients" and lg:
        ratios = {k: v["grad_to_data"] for k, v in lg.items() if isinstance(v, dict) and "grad_to_data" in v}
        hi = max(ratios, key=lambda k: ratios[k] if math.isfinite(ratios[k]) else -1)
        lo = min(ratios, key=lambda k: ratios[k] if math.isfinite(ratios[k]) else math.inf)
        return (f"Weight gradients {when_text}, {subject}: grad:data ratio from {_n(ratios[lo], '.1e')} ({lo}) "
                f"to {_n(ratios[hi], '.1e')} ({hi})")
    if name == "update_ratios" and lg:
        last = {k: v["mean_log10_ratio_last_100"] for k, v in lg.items()
                if isinstance(v, dict) and v.get("mean_log10_ratio_last_100") is not None}
        if last:
            lo, hi = min(last, key=last.get), max(last, key=last.get)
            return (f"Update:data ratio during training, {subject}: log10 ratio over the last 100 steps from "
                    f"{_n(last[lo], '.2f')} ({lo}) to {_n(last[hi], '.2f')} ({hi}); the guide is -3")
    if name == PAIR_FIGURE and "plain" in lg:
        def deep(side, key):
            d = _deepest({k: v for k, v in lg[side].get(key, {}).items()})
            return d[1]["std"] if d else None
        return (f"At initialisation, {subject}: std of the deepest layer's activations "
                f"{_n(deep('plain', 'activations'), '.2f')} without and {_n(deep('batchnorm', 'activations'), '.2f')} "
                f"with BatchNorm; of its gradients {_n(deep('plain', 'gradients'), '.2e')} without and "
                f"{_n(deep('batchnorm', 'gradients'), '.2e')} with")
    return None


def _describe_part_a(name: str, lg: dict, titles: dict) -> str | None:
    """The figures across Part A; None for any other figure."""
    if name == "loss_overlay":
        best = min(lg, key=lambda k: lg[k]["val_loss"])
        worst = max(lg, key=lambda k: lg[k]["val_loss"])
        return (f"Training loss of every Part A variant: val loss from {_n(lg[best]['val_loss'], '.4f')} "
                f"({titles.get(best, best)}) to {_n(lg[worst]['val_loss'], '.4f')} ({titles.get(worst, worst)})")
    if name == "initial_loss":
        init = lg["initial_loss"]
        hi = max(init, key=init.get)
        return (f"Loss at step 0 of every Part A variant against a uniform guess of "
                f"{_n(lg['expected_initial_loss'], '.4f')}: highest {_n(init[hi], '.2f')} ({titles.get(hi, hi)})")
    return None
