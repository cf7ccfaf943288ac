"""Summarise what the jobs of finished runs really used, to size their resources.

    python profiles/slurm/measure.py DIR [DIR ...]

DIR is a working directory the pipeline ran in (the repository root, or a test's temp dir).
It reads the `benchmark:` files (DIR/results/benchmarks/<rule>/<job>.tsv: `s` wall seconds,
`max_rss` MB) and the training runs' metrics.json (ms_per_step, steps, kind), and prints the
maxima per rule, and the cost of one model-step per model kind, for a job that trains one model
(`one`: the simple loop, or a stack of one) and for a batched stack (`stack`).
pipeline/workflow/resources.py holds the numbers it printed last.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path


def benchmarks(root: Path):
    for f in sorted((root / "results" / "benchmarks").rglob("*.tsv")):
        rows = list(csv.DictReader(f.open(), delimiter="\t"))
        if rows:
            rule = f.relative_to(root / "results" / "benchmarks").parts[0]
            yield rule, f.stem, float(rows[-1]["s"]), float(rows[-1]["max_rss"])


def main(dirs: list[str]) -> None:
    per_rule: dict[str, list] = defaultdict(list)
    per_kind: dict[str, list] = defaultdict(list)
    for d in map(Path, dirs):
        metrics = [json.loads(m.read_text()) for m in (d / "results" / "runs").glob("*/metrics.json")]
        # a training job is named after its (first) experiment; a batched one adds _x<models>
        kind_of = {re.sub(r"[^A-Za-z0-9_]", "_", m["experiment"]): m["kind"] for m in metrics}
        for rule, job, s, rss in benchmarks(d):
            if rule == "train":
                rule = f"train/{kind_of.get(re.sub(r'_x[0-9]+$', '', re.sub(r'[^A-Za-z0-9_]', '_', job)), '?')}"
            per_rule[rule].append((rss, s, f"{d}:{job}"))
        # a batched stack's models share one clock: ms_per_step / models is the cost of one model-step
        stacks: dict[tuple, int] = defaultdict(int)
        for m in metrics:
            stacks[(m["kind"], m["steps"], m["train_seconds"])] += 1
        for m in metrics:
            if not m.get("ms_per_step") or m["steps"] < 100:
                continue
            n = stacks[(m["kind"], m["steps"], m["train_seconds"])]
            key = f"{m['kind']}/{'stack' if n > 1 else 'one'}"
            per_kind[key].append((m["ms_per_step"] / n, m["steps"], f"{d}:{m['experiment']} (x{n})"))
    print(f"{'rule':<12} {'jobs':>5} {'max_rss MB':>11} {'max s':>8}  (largest max_rss)")
    for rule, rows in sorted(per_rule.items()):
        top = max(rows)
        print(f"{rule:<12} {len(rows):>5} {top[0]:>11.0f} {max(r[1] for r in rows):>8.1f}  {top[2]}")
    print(f"\n{'kind/job':<12} {'runs':>5} {'max ms/model-step':>17} {'median':>8}  (slowest)")
    for kind, rows in sorted(per_kind.items()):
        rows.sort()
        print(f"{kind:<12} {len(rows):>5} {rows[-1][0]:>17.3f} {rows[len(rows) // 2][0]:>8.3f}  {rows[-1][2]}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
