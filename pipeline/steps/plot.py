"""Render the figures of one experiment's run directory (PNG, dark WebP, thumbnails, legend JSON;
with --downloads: SVG, PDF and talk PNGs, light and dark) into --out."""

from __future__ import annotations

NAME = "plot"
HELP = "render every figure of one run"


def add_arguments(p) -> None:
    from pipeline.steps.args import downloads_flag
    downloads_flag(p)
    p.add_argument("--run", required=True, help="a run directory written by `evaluate`")
    p.add_argument("--out", required=True, help="e.g. figures/kaiming")
    p.add_argument("--title", default=None, help="the experiment's title, for figure titles")
    p.add_argument("--family", nargs="*", default=[],
                   help="run directories of the experiments compared with this one: shared axes")


def run(a) -> None:
    from pipeline.plots import files
    files.set_mode("downloads" if a.downloads else "site")
    from pipeline.plots import render_experiment
    print("wrote", ", ".join(render_experiment(a.run, a.out, title=a.title, family=a.family or ())))
