"""Compare two pipeline working directories number for number: every results/runs/*/metrics.json
(timing fields aside), every legend JSON under figures/ (its `alt` text aside: words written from
the very numbers compared), every study JSON under results/beyond/. The timing keys of
pipeline/reproducible.py are left out at any depth of every file (fold.json's timings, say).

    python scripts/compare_runs.py BEFORE_DIR AFTER_DIR

A refactoring must leave the numbers alone: run the full DAG before and after, then this.
Prints each file that differs and where; exits 1 if anything does.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.reproducible import untimed  # noqa: E402  how long, not what


def diff(a, b, path="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in one" for k in set(a) ^ set(b)]
        return out + [d for k in sorted(set(a) & set(b)) for d in diff(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in diff(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("before", type=Path, help="a pipeline working directory (snakemake -d), the run before")
    p.add_argument("after", type=Path, help="the run after")
    a = p.parse_args(argv)
    before, after = a.before, a.after
    for d in (before, after):
        if not (d / "results" / "runs").is_dir():
            p.error(f"{d} holds no results/runs/: give the directory a full `snakemake` ran in")
    groups = {"metrics.json": "results/runs/*/metrics.json", "legend JSON": "figures/*/*.json",
              "study JSON": "results/beyond/*.json"}
    bad = 0
    for label, pattern in groups.items():
        files = sorted(p.relative_to(before) for p in before.glob(pattern))
        same = 0
        for rel in files:
            if not (after / rel).exists():
                print(f"{rel}: missing after")
                bad += 1
                continue
            a, b = (untimed(json.loads((d / rel).read_text())) for d in (before, after))
            if label == "legend JSON":
                a, b = ({k: v for k, v in m.items() if k != "alt"} for m in (a, b))
            d = diff(a, b)
            if d:
                bad += 1
                print(f"{rel}: {len(d)} difference(s), e.g. {d[:3]}")
            else:
                same += 1
        extra = [str(p.relative_to(after)) for p in sorted(after.glob(pattern))
                 if not (before / p.relative_to(after)).exists()]
        print(f"{label}: {same} of {len(files)} identical" + (f"; new after: {extra}" if extra else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
