"""Tabulate every Part A run beside the lecture's published losses."""

from __future__ import annotations

NAME = "report"
HELP = "the Part A results table (JSON + Markdown)"


def add_arguments(p) -> None:
    p.add_argument("--metrics", nargs="+", required=True, help="metrics.json files, in lecture order")
    p.add_argument("--json", required=True)
    p.add_argument("--md", required=True)


def run(a) -> None:
    from pipeline.analysis.tables import results_table
    results_table(a.metrics, a.json, a.md)
