"""Overlay of every loss curve and the initial-loss chart."""

from __future__ import annotations

NAME = "plot-part-a"
HELP = "render the figures across Part A"


def add_arguments(p) -> None:
    from pipeline.steps.args import downloads_flag
    downloads_flag(p)
    p.add_argument("--runs", nargs="+", required=True, help="the Part A run directories, in lecture order")
    p.add_argument("--out", required=True, help="e.g. figures/part_a")
    p.add_argument("--titles", default="", help="JSON: experiment name -> its title, for the legends")


def run(a) -> None:
    from pipeline.plots import files
    files.set_mode("downloads" if a.downloads else "site")
    import json

    from pipeline.plots import render_part_a
    render_part_a(a.runs, a.out, titles=json.loads(a.titles) if a.titles else None)
