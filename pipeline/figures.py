"""The names and files of every figure, without drawing anything: what the Snakefile asks for
(pipeline/workflow/targets.py) and what the drawing code writes (pipeline/plots/files.py) read
this one table. Stdlib only: loading the workflow imports neither matplotlib nor torch.

For figure <name> in figures/<group>/ (`snakemake -j4`, the site's files) and, in downloads mode,
in downloads/figures/<group>/ (`snakemake -j4 downloads`, zipped per group): see plots/files.py.
"""

from __future__ import annotations

# the figures each kind of experiment produces: the Snakefile asks for exactly these
FIGURES = {
    "mlp": ["loss_curve", "hpreact_hist", "tanh_hist", "saturation_map"],
    "deep": ["loss_curve", "activations_init", "gradients_init", "weight_gradients_init",
             "activations_final", "gradients_final", "weight_gradients_final", "update_ratios"],
}
SUMMARY_FIGURES = ["loss_overlay", "initial_loss"]  # across Part A, in figures/part_a/
DEMO_FIGURES = ("linear_stats", "batchnorm_demo")  # one figure each, named as the demo
PAIR_FIGURE = "versus_plain"  # a deep BatchNorm network against its twin without, in the BatchNorm run's group

MODES = ("site", "downloads")
# per mode: (style variant, the file under the group's directory, its format); one drawing per variant
OUTPUTS = {
    "site": (("light", "{name}.png", "png"), ("dark", "dark/{name}.webp", "webp")),
    "downloads": (("light", "{name}.svg", "svg"), ("light", "{name}.pdf", "pdf"),
                  ("dark", "dark/{name}.svg", "svg"), ("dark", "dark/{name}.pdf", "pdf"),
                  ("talk", "talk/{name}.png", "png"), ("dark_talk", "dark/talk/{name}.png", "png")),
}
THUMB = "thumbs/{name}.webp"


def files_of(name: str) -> list[str]:
    """The site's files of figure `name`, relative to its figures/<group>/ directory."""
    return [p.format(name=name) for _, p, _ in OUTPUTS["site"]] + [THUMB.format(name=name), f"{name}.json"]


def download_files_of(name: str) -> list[str]:
    """The files of figure `name` in downloads mode, relative to downloads/figures/<group>/."""
    return [p.format(name=name) for _, p, _ in OUTPUTS["downloads"]]


NORM_KEYS = {"norm", "bn_eps", "bn_momentum", "batchnorm"}  # what BatchNorm adds to a spec
TEXT_KEYS = {"name", "title", "summary", "part"}


def twin(resolved: dict, name: str) -> str | None:
    """The experiment that is `name` without BatchNorm and otherwise the same (init, gain, shape,
    seed, steps...); one of the same part first. Its pair figure is drawn into `name`'s group."""
    s = resolved[name]
    if s.get("kind") != "deep" or s.get("norm") != "batchnorm":
        return None
    same = [p for p, t in resolved.items() if t.get("norm") == "none"
            and all(t.get(k) == s.get(k) for k in (set(s) | set(t)) - NORM_KEYS - TEXT_KEYS)]
    return next((p for p in same if resolved[p].get("part") == s.get("part")), same[0] if same else None)
