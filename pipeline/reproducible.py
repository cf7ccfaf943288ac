"""What may differ between two runs of the same config and data on the same machine: what the run
cost (how long things took, how much memory they held). Listed here once; whatever compares runs
(scripts/compare_trees.py, scripts/compare_runs.py, tests/test_robustness.py) ignores exactly these
and nothing else. Everything else under results/, figures/ and site/ is the same, byte for byte.

Three kinds of timing, each masked (replaced by a placeholder) rather than skipped, so that the rest
of a file that holds one must still match:

- TIMING_FIELDS: keys of the JSON files (a run's metrics.json, results/tables/part_a.json,
  results/beyond/fold.json), at any depth;
- TIMING_PATHS: files that are nothing but timing or bookkeeping of one invocation, skipped whole;
- the site's measured numbers: every page prints them through the `timing` template filter
  (timing_span below, pipeline/site/render.py), as <span class="timing">...</span>, also left out of
  the search index (Material's data-search-exclude), whose text would otherwise carry them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TIMING_FIELDS = frozenset({
    "train_seconds", "ms_per_step", "wall_seconds", "resumed_from_step",  # a run's metrics.json
    "unfolded_ms", "folded_ms", "speedup",  # results/beyond/fold.json: inference time with and without BatchNorm
})
# files whose whole content is timing or bookkeeping of one invocation (paths relative to the run directory)
TIMING_PATHS = ("results/benchmarks/", "logs/", ".snakemake/")
TIMING_CLASS = "timing"  # the class of a measured number on the site's pages

TREES = ("results", "figures", "site")  # what two runs of the same config and data must agree on
MASK = b"<timing>"

_SPAN = re.compile(rb'<span class="' + TIMING_CLASS.encode() + rb'"[^>]*>.*?</span>', re.S)
_FIELD = re.compile(rb'("(?:' + b"|".join(re.escape(f.encode()) for f in sorted(TIMING_FIELDS))
                    + rb')"\s*:\s*)(?:-?[0-9][0-9.eE+-]*|null|NaN|-?Infinity)')


def untimed(x):
    """`x` (parsed JSON) without the TIMING_FIELDS keys, at any depth: what a run computed, not how long."""
    if isinstance(x, dict):
        return {k: untimed(v) for k, v in x.items() if k not in TIMING_FIELDS}
    if isinstance(x, list):
        return [untimed(v) for v in x]
    return x


def timing_span(text) -> str:
    """A measured duration, speed or size as a page prints it: marked for masking, kept out of search."""
    return f'<span class="{TIMING_CLASS}" data-search-exclude>{text}</span>'


def timing_path(rel: str) -> bool:
    """The file (path relative to the run directory, with /) is timing as a whole."""
    return rel.startswith(TIMING_PATHS)


def mask(rel: str, data: bytes) -> bytes:
    """`data` of the file `rel` with every timing in it replaced by MASK."""
    if rel.endswith(".json"):
        data = _FIELD.sub(rb"\1" + MASK, data)
    if rel.endswith((".html", ".htm")):
        data = _SPAN.sub(MASK, data)
    return data


# ---- comparing two run directories ------------------------------------------------------------

@dataclass
class Difference:
    rel: str
    what: str  # "only in A", "only in B", or where the bytes first differ and around it


def files(root: Path, trees=TREES) -> set[str]:
    out = set()
    for t in trees:
        base = root / t
        if base.is_dir():
            out |= {p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file() or p.is_symlink()}
    return out


def first_difference(a: bytes, b: bytes) -> str:
    """Where two byte strings first differ, and what is there: the line for text, bytes for binary."""
    n = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if b"\0" in a[:8192] + b[:8192] or not _utf8(a) or not _utf8(b):
        lo = max(n - 8, 0)
        return f"byte {n} (of {len(a)} vs {len(b)}): A {a[lo:n + 16].hex(' ')} | B {b[lo:n + 16].hex(' ')}"
    start = a.rfind(b"\n", 0, n) + 1  # the line holding byte n, the same in both up to n
    col = n - start
    lo = max(col - 60, 0)

    def line(x: bytes) -> str:
        return repr(x[start:].split(b"\n", 1)[0][lo:lo + 160].decode("utf-8", "replace"))
    row = a.count(b"\n", 0, n) + 1
    return f"line {row}, column {col + 1} (byte {n}):\n    A: {line(a)}\n    B: {line(b)}"


def _utf8(x: bytes) -> bool:
    try:
        x.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def compare(a: Path, b: Path, trees=TREES) -> tuple[list[Difference], dict]:
    """Differences between the trees of run directories `a` and `b`, timings masked; and counts."""
    fa, fb = files(a, trees), files(b, trees)
    diffs = [Difference(r, "only in A") for r in sorted(fa - fb) if not timing_path(r)]
    diffs += [Difference(r, "only in B") for r in sorted(fb - fa) if not timing_path(r)]
    counts = {"compared": 0, "identical": 0, "masked": 0, "timing files": 0}
    for rel in sorted(fa & fb):
        if timing_path(rel):
            counts["timing files"] += 1
            continue
        counts["compared"] += 1
        da, db = (a / rel).read_bytes(), (b / rel).read_bytes()
        if da == db:
            counts["identical"] += 1
            continue
        ma, mb = mask(rel, da), mask(rel, db)
        if ma == mb:
            counts["masked"] += 1  # the same but for its timings
        else:
            where = first_difference(ma, mb)
            diffs.append(Difference(rel, where + ("  [with its timings masked]" if (ma, mb) != (da, db) else "")))
    diffs.sort(key=lambda d: d.rel)
    return diffs, counts


def report(diffs: list[Difference], counts: dict) -> Iterator[str]:
    for d in diffs:
        yield f"{d.rel}: {d.what}"
    yield (f"{len(diffs)} difference(s); {counts['compared']} file(s) compared: {counts['identical']} identical, "
           f"{counts['masked']} identical once their timings are masked; {counts['timing files']} timing file(s) "
           f"({', '.join(TIMING_PATHS)}) not compared")
