"""Part C: the lecture's bonus demonstrations, as numbers (plots.render_demo draws them)."""

from __future__ import annotations

import numpy as np
import torch

from pipeline.analysis import diagnostics as dg


def _hist(t: torch.Tensor) -> dict:
    c, d = dg.histogram(t.numpy(), bins=60)
    return {"centres": c.tolist(), "density": d.tolist()}


def linear_stats(spec: dict) -> dict:
    """x (batch x n) ~ N(0,1) through W (n x n) ~ N(0,1): unscaled, / sqrt(n), and + BatchNorm.

    Forward: std(x @ W) ~ sqrt(n). Backward: with an upstream gradient ~ N(0,1),
    std(d/dx) = std(grad @ W.T) ~ sqrt(n) too. Dividing W by sqrt(n) keeps both near 1;
    a BatchNorm after the unscaled Linear restores unit std whatever the scale.
    """
    n, batch = spec["n"], spec["batch"]
    g = torch.Generator().manual_seed(spec["seed"])
    x = torch.randn(batch, n, generator=g)
    W = torch.randn(n, n, generator=g)
    upstream = torch.randn(batch, n, generator=g)
    cases = []
    for label, scale, bn in (("W ~ N(0, 1)", 1.0, False),
                             (f"W ~ N(0, 1) / sqrt({n})", n ** -0.5, False),
                             ("W ~ N(0, 1), then BatchNorm", 1.0, True)):
        xr = x.clone().requires_grad_(True)
        y = xr @ (W * scale)
        if bn:
            y = (y - y.mean(0, keepdim=True)) / torch.sqrt(y.var(0, keepdim=True) + 1e-5)
        y.backward(upstream)
        cases.append({"label": label, "scale": scale, "batchnorm": bn,
                      "x_std": float(x.std()), "y_std": float(y.detach().std()),
                      "grad_std": float(xr.grad.std()),
                      "x_hist": _hist(x), "y_hist": _hist(y.detach())})
    return {"title": spec["title"], "n": n, "batch": batch, "seed": spec["seed"],
            "sqrt_n": n ** 0.5, "cases": cases}


def batchnorm_demo(spec: dict, points: int = 161) -> dict:
    """Slide one input of a small batch; record the batch mean, std and every normalised value."""
    values = np.asarray(spec["values"], dtype=np.float64)
    j = spec["moved_index"]
    sweep = np.linspace(spec["sweep"][0], spec["sweep"][1], points)
    means, stds, outs = [], [], []
    for v in sweep:
        x = values.copy()
        x[j] = v
        m, s = x.mean(), x.std(ddof=1)
        means.append(m)
        stds.append(s)
        outs.append(((x - m) / s).tolist())
    m, s = values.mean(), values.std(ddof=1)
    return {"title": spec["title"], "values": values.tolist(), "moved_index": j, "sweep": sweep.tolist(),
            "mean": means, "std": stds, "normalised": outs,
            "at_original": {"mean": float(m), "std": float(s), "normalised": ((values - m) / s).tolist()}}


DEMOS = {"linear_stats": linear_stats, "batchnorm_demo": batchnorm_demo}
