"""The run's outputs as the claims of the templates and notes read them: `run` in every template.

Short accessors only, no judgement: a claim's expression decides what the numbers mean. Every
accessor returns None (or an empty list) for what this run did not produce, so that the claim that
needs it reports the number as missing instead of the page failing to render.
"""

from __future__ import annotations

import math

from pipeline.analysis import lecture as lecture_numbers
from pipeline.site.outputs import Outputs


class Facts:
    def __init__(self, o: Outputs):
        self.o = o
        self.metrics = o.metrics
        self.lecture = lecture_numbers

    # ---- runs and figures ----------------------------------------------------------------------
    def m(self, name: str) -> dict:
        """metrics.json of a shown experiment ({} when the config has no such experiment)."""
        return self.o.metrics.get(name) or {}

    def has(self, *names: str) -> bool:
        return all(n in self.o.metrics for n in names)

    def spec(self, name: str) -> dict:
        return self.o.resolved.get(name) or {}

    def legend(self, group: str, figure: str) -> dict:
        return self.o.legend(group, figure)

    def layers(self, name: str, figure: str = "activations_init", key: str = "std") -> list:
        """One number per layer (or parameter) of a deep net's figure legend, in legend order."""
        lg = self.o.legend(name, figure)
        if not lg or "diverged" in lg:
            return []
        return [v.get(key) for v in lg.values()]

    def weights(self, name: str, figure: str = "update_ratios", key: str = "mean_log10_ratio_last_100") -> dict:
        """parameter -> number, for the Linear weights of a deep net (C and BatchNorm left out)."""
        lg = self.o.legend(name, figure)
        if not lg or "diverged" in lg:
            return {}
        return {k: v.get(key) for k, v in lg.items() if k.endswith("Linear.weight")}

    def hidden_weights(self, name: str, figure: str = "update_ratios",
                       key: str = "mean_log10_ratio_last_100") -> list:
        """The number of every Linear weight but the last, in layer order."""
        return list(self.weights(name, figure, key).values())[:-1]

    def last_weight(self, name: str, figure: str = "update_ratios", key: str = "mean_log10_ratio_last_100"):
        w = list(self.weights(name, figure, key).values())
        return w[-1] if w else None

    def with_param(self, param: str) -> list[str]:
        """The one-hidden-layer experiments whose recipe draws `param` (init.<param> is not null)."""
        return [n for n, s in self.o.resolved.items() if s["kind"] == "mlp" and s["init"].get(param) is not None]

    def lecture_val_gaps(self, names) -> list:
        """|our val loss - the lecture's| for each of `names` the lecture printed a val loss for."""
        out = []
        for n in names:
            lec = self.lecture.LECTURE.get(n)
            if lec and "val" in lec:
                v = self.m(n).get("val_loss")
                out.append(None if v is None else abs(v - lec["val"]))
        return out

    def gains(self, names) -> list:
        """The gains of those of `names` that keep the 1/sqrt(fan_in) (the others differ by more)."""
        return [self.spec(n)["gain"] for n in names if self.spec(n).get("fan_in_scaling", True)]

    def max_layer_gap(self, name: str, others, figure: str = "activations_init", key: str = "std"):
        """The largest |difference| between a layer's number in `name` and in any of `others` (None if one
        is missing)."""
        ref = self.layers(name, figure, key)
        gaps = []
        for other in others:
            xs = self.layers(other, figure, key)
            if not ref or len(xs) != len(ref) or None in xs or None in ref:
                return None
            gaps += [abs(a - b) for a, b in zip(xs, ref, strict=True)]
        return max(gaps) if gaps else None

    @staticmethod
    def abs(x):  # noqa: A003 (the name a template reads best)
        """|x|, or None when x is missing."""
        return None if x is None else abs(x)

    @staticmethod
    def quotients(xs: list, ys: list) -> list:
        """x / y pair by pair, for a sentence (empty when the lists do not pair up)."""
        if not xs or len(xs) != len(ys) or None in xs or None in ys:
            return [None]
        return [x / y for x, y in zip(xs, ys, strict=True)]

    @staticmethod
    def torch_init(rows: int, cols: int, nonlinearity: str = "tanh", seed: int = 0) -> dict:
        """What torch.nn.init itself does to a weight of shape (rows, cols): the std of
        kaiming_normal_ in each mode (PyTorch reads dimension 1 as fan-in, nn.Linear's (out, in)
        layout), the std each mode aims at, and calculate_gain. Real calls, for the claims that say
        which call matches a recipe; the claims page records the numbers."""
        import torch

        g = torch.Generator().manual_seed(seed)
        out = {"gain": torch.nn.init.calculate_gain(nonlinearity), "shape": [rows, cols]}
        for mode in ("fan_in", "fan_out"):
            w = torch.empty(rows, cols)
            torch.nn.init.kaiming_normal_(w, mode=mode, nonlinearity=nonlinearity, generator=g)
            out[mode] = float(w.std())
            fan = cols if mode == "fan_in" else rows
            out[f"{mode}_target"] = out["gain"] / math.sqrt(fan)
        return out

    # ---- studies ----------------------------------------------------------------------------------
    def study(self, name: str) -> dict:
        return self.o.studies.get(name) or {}

    def row(self, study: str, key: str, value) -> dict:
        """The row of a study whose `key` is `value` ({} when there is none)."""
        return next((r for r in self.study(study).get("rows") or [] if r.get(key) == value), {})

    def seed_pair(self, a: str, b: str, split: str = "val") -> dict:
        """The seed study's test of b against a (diff = mean b - mean a), in either order."""
        for p in self.study("seeds").get("pairs") or []:
            if p["split"] != split:
                continue
            if (p["a"], p["b"]) == (a, b):
                return p
            if (p["a"], p["b"]) == (b, a):
                d = p["diff_b_minus_a"]
                return {**p, "a": a, "b": b, "diff_b_minus_a": None if d is None else -d}
        return {}

    def seed_row(self, variant: str) -> dict:
        return self.row("seeds", "variant", variant)

    def sweep(self, name: str) -> dict:
        return (self.study("gain_sweep").get("sweeps") or {}).get(name) or {}

    def sweep_point(self, name: str, gain: float) -> dict:
        return next((p for p in self.sweep(name).get("points") or [] if math.isclose(p["gain"], gain)), {})


def ratio(a, b):
    """a / b, or None when either is missing or b is 0 (a template helper)."""
    if a is None or b is None or b == 0:
        return None
    return a / b
