"""Small-sample statistics for seed studies, in plain Python (no scipy needed).

Student's t distribution through the regularised incomplete beta function
(Numerical Recipes' continued fraction), so a 95% interval and a Welch test can be
computed from a handful of seeds.
"""

from __future__ import annotations

import math


def _betacf(a: float, b: float, x: float, itmax: int = 500, eps: float = 3e-16) -> float:
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    tiny = 1e-300
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, itmax + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * _betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom (df may be fractional: Welch)."""
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_ppf(p: float, df: float) -> float:
    """The t quantile: the t with t_cdf(t, df) = p (bisection; monotone, robust)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p == 0.5:
        return 0.0
    lo, hi = -1.0, 1.0
    while t_cdf(lo, df) > p:
        lo *= 2.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * max(1.0, abs(mid)):
            break
    return 0.5 * (lo + hi)


def summary(values: list[float], alpha: float = 0.05) -> dict:
    """n, mean, sample std (ddof 1), sem and the two-sided (1 - alpha) t interval of the mean.

    Non-finite values (a diverged run) are counted apart and left out of the numbers.
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    n = len(finite)
    kept = [float(v) if v is not None and math.isfinite(v) else None for v in values]
    out = {"n": n, "n_nonfinite": len(values) - n, "values": kept,
           "mean": None, "std": None, "sem": None, "ci_low": None, "ci_high": None, "ci_level": 1 - alpha}
    if n == 0:
        return out
    mean = math.fsum(finite) / n
    out["mean"] = mean
    if n >= 2:
        var = math.fsum((v - mean) ** 2 for v in finite) / (n - 1)
        std = math.sqrt(var)
        sem = std / math.sqrt(n)
        half = t_ppf(1 - alpha / 2, n - 1) * sem
        out.update(std=std, sem=sem, ci_low=mean - half, ci_high=mean + half)
    return out


def welch(a: list[float], b: list[float]) -> dict:
    """Welch's unequal-variance t-test of mean(a) - mean(b): t, df (Welch-Satterthwaite), two-sided p."""
    a = [float(v) for v in a if v is not None and math.isfinite(v)]
    b = [float(v) for v in b if v is not None and math.isfinite(v)]
    na, nb = len(a), len(b)
    if na < 2 or nb < 2:
        return {"diff": None, "t": None, "df": None, "p": None}
    ma, mb = math.fsum(a) / na, math.fsum(b) / nb
    va = math.fsum((v - ma) ** 2 for v in a) / (na - 1)
    vb = math.fsum((v - mb) ** 2 for v in b) / (nb - 1)
    se2 = va / na + vb / nb
    diff = ma - mb
    if se2 == 0.0:
        return {"diff": diff, "t": math.copysign(math.inf, diff) if diff else 0.0, "df": float(na + nb - 2),
                "p": 0.0 if diff else 1.0}
    t = diff / math.sqrt(se2)
    df = se2 ** 2 / ((va / na) ** 2 / (na - 1) + (vb / nb) ** 2 / (nb - 1))
    p = 2.0 * (1.0 - t_cdf(abs(t), df))
    return {"diff": diff, "t": t, "df": df, "p": min(1.0, max(0.0, p))}


def holm(pvalues: list[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (same order), for many pairwise comparisons at once."""
    idx = sorted((i for i, p in enumerate(pvalues) if p is not None), key=lambda i: pvalues[i])
    m = len(idx)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(idx):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def intervals_overlap(s1: dict, s2: dict) -> bool | None:
    if s1["ci_low"] is None or s2["ci_low"] is None:
        return None
    return not (s1["ci_high"] < s2["ci_low"] or s2["ci_high"] < s1["ci_low"])
