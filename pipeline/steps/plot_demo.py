"""Render a Part C demonstration's figure from its JSON numbers."""

from __future__ import annotations

NAME = "plot-demo"
HELP = "render a Part C demonstration"


def add_arguments(p) -> None:
    from pipeline.steps.args import downloads_flag
    downloads_flag(p)
    p.add_argument("name", choices=["linear_stats", "batchnorm_demo"])
    p.add_argument("--data", required=True, help="the JSON written by `demo`")
    p.add_argument("--out", required=True)


def run(a) -> None:
    from pipeline.plots import files
    files.set_mode("downloads" if a.downloads else "site")
    from pipeline.plots import render_demo
    render_demo(a.name, a.data, a.out)
