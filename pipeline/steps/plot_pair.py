"""Activations, gradients and weight gradients at init, without and with BatchNorm, in one figure
(figures/<batchnorm run>/versus_plain.*)."""

from __future__ import annotations

NAME = "plot-pair"
HELP = "draw a deep network against its BatchNorm twin, on shared axes"


def add_arguments(p) -> None:
    from pipeline.steps.args import downloads_flag
    downloads_flag(p)
    p.add_argument("--plain", required=True, help="the run directory without BatchNorm")
    p.add_argument("--batchnorm", required=True, help="the run directory with BatchNorm")
    p.add_argument("--out", required=True, help="e.g. figures/batchnorm_gain_5_3")
    p.add_argument("--titles", default="", help="JSON: experiment name -> its title")


def run(a) -> None:
    from pipeline.plots import files
    files.set_mode("downloads" if a.downloads else "site")
    import json

    from pipeline.plots.compare import render_pair
    render_pair(a.plain, a.batchnorm, a.out, titles=json.loads(a.titles) if a.titles else None)
