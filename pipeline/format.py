"""The one number formatter: the site's pages, the Part A results table and the studies' text
print every number through `fmt`, so a missing value or a nan looks the same everywhere."""

from __future__ import annotations

import math

DASH = "—"  # what a missing number prints as


def fmt(v, spec: int | str = 4, nonfinite: str | None = None) -> str:
    """`v` formatted by `spec`: an int is a count of decimals (fixed point), a str is a format
    spec ('+.3f', '.2e', ',', 'g'). None prints as a dash; nan and inf print as themselves,
    or as `nonfinite` when given."""
    if v is None:
        return DASH
    if isinstance(v, float) and not math.isfinite(v):
        return str(v) if nonfinite is None else nonfinite
    return format(v, f".{spec}f" if isinstance(spec, int) else spec)
