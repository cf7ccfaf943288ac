"""Compute the numbers of one Part C demonstration into a JSON file."""

from __future__ import annotations

NAME = "demo"
HELP = "compute a Part C demonstration"


def add_arguments(p) -> None:
    p.add_argument("name", choices=["linear_stats", "batchnorm_demo"])
    p.add_argument("--spec", required=True, help="the demo's config section as JSON")
    p.add_argument("--out", required=True)


def run(a) -> None:
    import json

    from pipeline.analysis.demos import DEMOS
    from pipeline.io import write_json
    write_json(a.out, DEMOS[a.name](json.loads(a.spec)))
