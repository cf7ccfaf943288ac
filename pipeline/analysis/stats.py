"""Small-sample statistics for seed studies: t intervals and Welch tests from scipy.stats, and
the Holm step-down adjustment (scipy has none) for many pairwise comparisons at once."""

from __future__ import annotations

import math


def _st():
    """scipy.stats, imported when a test is computed: the study modules import this one, and the
    Snakefile reads their declarations, so a module-level import cost every `snakemake` call ~1 s."""
    from scipy import stats
    return stats


def t_ppf(p: float, df: float) -> float:
    """The quantile of Student's t with `df` degrees of freedom."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    return float(_st().t.ppf(p, df))


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t (df may be fractional: Welch)."""
    return float(_st().t.cdf(t, df))


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
    r = _st().ttest_ind(a, b, equal_var=False)  # Welch: unequal variances, Welch-Satterthwaite df
    return {"diff": diff, "t": float(r.statistic), "df": float(r.df), "p": min(1.0, max(0.0, float(r.pvalue)))}


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
