"""The one number formatter: the site's pages, the Part A results table and the studies' text
print every number through `fmt`, so a missing value or a nan looks the same everywhere.

One rounding rule and one sign rule, wherever a number is printed:
- fixed-point digits round half away from zero on the float's exact value (6.125 -> 6.13), the
  rule of JavaScript's toFixed/toPrecision, so the explorable and the pages print the same digits;
- a number that rounds to zero prints without a sign ("0.0000", never "-0.0000" or "+0.0000").

Beside it, the words a sentence needs around numbers (the site's filters, pipeline/site/render.py):
`plural` (1 dead neuron, 2 dead neurons), `apart` (the fewest decimals at which numbers that differ
print differently), `Printed` (a number quoted at the precision its source printed it), and
`RoundsToNothing`, what `fmt(..., nonzero=True)` raises for a number that prints as zero.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal

DASH = "—"  # what a missing number prints as
_FIXED = re.compile(r"^(?P<sign>[+\- ]?)(?P<comma>,?)\.(?P<digits>\d+)f$")
_ZERO = re.compile(r"^[+\- ]?[0.,]+(e[+-]?\d+)?%?$")


class RoundsToNothing(ValueError):
    """A number that is not zero printed as zero: the sentence needs more digits or other words."""


class Printed(float):
    """A number as a source printed it: `Printed("2.07")` is 2.07 with 2 decimals. It is a float
    everywhere (JSON writes it as one), and `fmt` quotes it at its own decimals, never more."""

    decimals: int

    def __new__(cls, text: str):
        self = super().__new__(cls, text)
        self.decimals = len(text.split(".", 1)[1]) if "." in text else 0
        return self

    def __reduce__(self):
        return (Printed, (fmt(float(self), self.decimals),))


def _half_up(v, digits: int) -> Decimal:
    return Decimal(v).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def fmt(v, spec: int | str = 4, nonfinite: str | None = None, nonzero: bool = False) -> str:
    """`v` formatted by `spec`: an int is a count of decimals (fixed point), a str is a format
    spec ('+.3f', '.2e', ',', 'g'). None prints as a dash; nan and inf print as themselves,
    or as `nonfinite` when given. A `Printed` number keeps its own decimals. With `nonzero`,
    a number other than zero that would print as zero raises RoundsToNothing."""
    if v is None:
        return DASH
    if isinstance(v, float) and not math.isfinite(v):
        return str(v) if nonfinite is None else nonfinite
    if isinstance(spec, int):
        spec = f".{spec}f"
    fixed = _FIXED.match(spec) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    if fixed and isinstance(v, Printed):
        spec = f"{fixed['sign']}{fixed['comma']}.{v.decimals}f"
        fixed = _FIXED.match(spec)
    if fixed:
        text = format(_half_up(v, int(fixed["digits"])), spec)
    else:
        text = format(v, spec)
    if _ZERO.match(text) and any(c in text for c in "0"):  # one sign rule: zero has none
        text = text.lstrip("+- ")
        if nonzero and v != 0:
            raise RoundsToNothing(f"{v!r} prints as {text} with the format {spec!r}: print it with more digits "
                                  "(`apart`) or say in words that it does not change")
    return text


def plural(n, noun: str, nouns: str | None = None, spec: int | str = ",") -> str:
    """'1 dead neuron', '0 dead neurons', '3 threads': a count and its noun, in the right number.
    `nouns` is the plural when it is not noun + 's'."""
    if n is None:
        return f"{DASH} {nouns or noun + 's'}"
    one = n == 1
    return f"{fmt(n, spec)} {noun if one else (nouns or noun + 's')}"


def apart(*values, start: int = 2, most: int = 6) -> int:
    """The fewest decimals (from `start`, at most `most`) at which numbers that differ print
    differently: for a comparison whose two sides must not print the same. Numbers (or lists of
    numbers, compared element by element: two ranges) that are equal print the same at any count."""
    flat = [v for v in values if v is not None]
    for d in range(start, most + 1):
        seen: dict = {}
        clash = False
        for v in flat:
            key = tuple(fmt(x, d) for x in v) if isinstance(v, (list, tuple)) else fmt(v, d)
            if key in seen and seen[key] != v:
                clash = True
                break
            seen.setdefault(key, v)
        if not clash:
            return d
    return most


def at_precision(v, ref):
    """`v - ref` compared at the precision `ref` was printed with (a `Printed` number): this run's
    value rounded as the source rounded its own, then subtracted; a Printed difference, so it
    prints at that precision too. A plain `ref` gives the plain difference."""
    if v is None or ref is None:
        return None
    if not isinstance(ref, Printed):
        return v - ref
    d = ref.decimals
    return Printed(str(_half_up(v, d) - Decimal(fmt(ref, d))))


def change(ratio, big: float = 1.5) -> str:
    """How much a max/min ratio says something changes, in words that never read 'a factor of 1':
    'a factor of 11.2' when it is at least `big`, else the change in percent at the fewest digits
    that do not print as zero ('0.3 %', '0.004 %'), or 'not at all' when the ratio is exactly 1."""
    if ratio is None or (isinstance(ratio, float) and not math.isfinite(ratio)):
        return DASH
    if ratio >= big:
        return f"a factor of {fmt(ratio, '.3g')}"
    pct = (ratio - 1) * 100
    if pct == 0:
        return "not at all"
    d = 1
    while d < 8 and _ZERO.match(fmt(pct, d)):
        d += 1
    return f"{fmt(pct, d)} %"


_NUM = r"[+\-−]?\d+(?:\.\d+)?"
_RANGE = re.compile(rf"({_NUM})\s*(?:\.\.|–| to )\s*({_NUM})")
_FACTOR_ONE = re.compile(r"\bfactor of (?:about )?1(?:\.0*)?(?![\d.]*\d)")
_ZERO_SPREAD = re.compile(r"\b(?:std|standard deviation|spread)(?: of)? [+\-]?0\.0+(?!\d)")


def sentence_problems(text: str) -> list[str]:
    """What makes a sentence about numbers read wrong, found in its printed text: a range whose two
    ends print the same, two ranges (the two sides of a comparison) that print the same, a factor
    that prints as 1, a spread that prints as zero. Empty when there is none."""
    out = []
    ranges = [(a, b) for a, b in _RANGE.findall(text)]
    for a, b in ranges:
        if a == b:
            out.append(f"the range {a} to {b} has two ends that print the same")
    dup = sorted({r for r in ranges if ranges.count(r) > 1 and r[0] != r[1]})
    for a, b in dup:
        out.append(f"the range {a} to {b} is printed for two sides of a comparison")
    if _FACTOR_ONE.search(text):
        out.append(f"'{_FACTOR_ONE.search(text).group(0)}' says a change that prints as no change")
    if _ZERO_SPREAD.search(text):
        out.append(f"'{_ZERO_SPREAD.search(text).group(0)}' prints a spread as zero")
    return out
