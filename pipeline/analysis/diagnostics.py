"""Pure functions: arrays in, the numbers the lecture reads off its plots out.

They take numpy arrays (torch tensors convert with .numpy()), so the plotting step
needs no torch and every number in a legend is computed in exactly one place.
"""

from __future__ import annotations

import math

import numpy as np

TANH_SATURATED = 0.97  # the lecture's threshold for the activation histograms
DEAD_THRESHOLD = 0.99  # the lecture's threshold for the white-pixel saturation map


def _f(x) -> float:
    return float(np.asarray(x, dtype=np.float64))


def std(a: np.ndarray) -> float:
    """Unbiased std, as torch's .std()."""
    a = np.asarray(a, dtype=np.float64).ravel()
    return _f(a.std(ddof=1)) if a.size > 1 else 0.0


def saturation_map(h: np.ndarray, threshold: float = DEAD_THRESHOLD) -> np.ndarray:
    """True where |h| > threshold: the white pixels of the lecture's map (examples x neurons)."""
    return np.abs(h) > threshold


def dead_neurons(h: np.ndarray, threshold: float = DEAD_THRESHOLD) -> int:
    """Neurons saturated for every example of the batch: no gradient flows through them."""
    return int(saturation_map(h, threshold).all(axis=0).sum())


def percent_saturated(t: np.ndarray, threshold: float = TANH_SATURATED) -> float:
    return _f((np.abs(t) > threshold).mean() * 100.0)


def grad_stats(t: np.ndarray) -> dict:
    t = np.asarray(t, dtype=np.float64)
    return {"mean": _f(t.mean()), "std": std(t)}


def weight_grad_stats(grad: np.ndarray, data: np.ndarray) -> dict:
    """Legend of the weight-gradient figure: shape, mean, std, grad:data = std(grad)/std(data)."""
    s_data = std(data)
    s_grad = std(grad)
    return {"shape": list(np.shape(grad)), "mean": _f(np.mean(grad)), "std": s_grad,
            "grad_to_data": s_grad / s_data if s_data > 0 else math.inf}


def histogram(t: np.ndarray, bins: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Density histogram: bin centres and densities (as torch.histogram(density=True))."""
    t = np.asarray(t, dtype=np.float64).ravel()
    t = t[np.isfinite(t)]
    if t.size == 0 or t.min() == t.max():
        lo = t[0] if t.size else 0.0
        t = np.array([lo - 1e-12, lo + 1e-12]) if t.size == 0 else t
        dens, edges = np.histogram(t, bins=bins, range=(lo - 0.5, lo + 0.5), density=True)
    else:
        dens, edges = np.histogram(t, bins=bins, density=True)
    return (edges[:-1] + edges[1:]) / 2, dens


def smooth(y: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over consecutive blocks of `window` steps (the lecture's view(-1, 1000).mean(1))."""
    y = np.asarray(y, dtype=np.float64)
    window = max(1, min(window, y.size))
    n = (y.size // window) * window
    means = y[:n].reshape(-1, window).mean(axis=1)
    centres = np.arange(means.size) * window + (window - 1) / 2
    return centres, means


def expected_initial_loss(vocab_size: int) -> float:
    """-ln(1/vocab): the loss of a model that spreads its probability evenly."""
    return math.log(vocab_size)


# ---- other activations (beyond the lecture) --------------------------------------------------

def saturation_threshold(activation: str) -> float | None:
    """Saturation only means something for squashing activations: tanh and sigmoid.

    Sigmoid is tested on 2s - 1 = tanh(x / 2), so both count a unit as saturated where its
    derivative is below 1 - 0.97^2 ~ 6% of its maximum. None for every other activation.
    """
    return TANH_SATURATED if activation in ("tanh", "sigmoid") else None


def percent_saturated_for(t: np.ndarray, activation: str) -> float | None:
    th = saturation_threshold(activation)
    if th is None:
        return None
    t = np.asarray(t, dtype=np.float64)
    return percent_saturated(2.0 * t - 1.0 if activation == "sigmoid" else t, th)


def percent_zero(t: np.ndarray) -> float:
    """Share of exactly-zero outputs: ReLU units that pass no gradient for this example."""
    return _f((np.asarray(t) == 0).mean() * 100.0)


def activation_summary(t: np.ndarray, activation: str) -> dict:
    """mean and std, plus the one 'unit is off' number that fits the activation:
    saturated_pct for tanh/sigmoid, zero_pct for ReLU (None where it does not apply)."""
    t = np.asarray(t, dtype=np.float64)
    return {"mean": _f(t.mean()), "std": std(t), "saturated_pct": percent_saturated_for(t, activation),
            "zero_pct": percent_zero(t) if activation == "relu" else None}
