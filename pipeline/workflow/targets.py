"""The figures the rules write: wildcard patterns for rule outputs, concrete paths for `rule all`.
Figure names are stable (a course links to figures/kaiming/saturation_map.svg); each figure is
a PNG, an SVG and the JSON of its legend's numbers."""

from __future__ import annotations

from pipeline.plots import FIGURES, FORMATS, SUMMARY_FIGURES
from pipeline.workflow.experiments import Demos, Experiments


def figure_paths(directory: str, names) -> list[str]:
    """figures/<directory>/<name>.{png,svg,json} for every name; directory may be a wildcard."""
    return [f"figures/{directory}/{f}.{ext}" for f in names for ext in FORMATS + ("json",)]


class Figures:
    """Per-experiment figures, Part A's summary figures and the demos' figures."""

    def __init__(self, experiments: Experiments, demos: Demos):
        self.experiments = experiments
        self.demos = demos

    @staticmethod
    def pattern(kind: str) -> list[str]:
        """The outputs of rule plot_<kind>, in `{exp}`."""
        return figure_paths("{exp}", FIGURES[kind])

    @staticmethod
    def demo_pattern() -> list[str]:
        return figure_paths("{demo}", ["{demo}"])

    def of(self, exp: str) -> list[str]:
        return figure_paths(exp, FIGURES[self.experiments.resolved[exp]["kind"]])

    def part_a(self) -> list[str]:
        return figure_paths("part_a", SUMMARY_FIGURES) if self.experiments.names(part="A") else []

    def all(self) -> list[str]:
        # generated experiments (seeds, sweeps) are read by their study, not plotted one by one
        out = [f for n in self.experiments.shown() for f in self.of(n)]
        out += self.part_a()
        out += [f for d in self.demos.names() for f in figure_paths(d, [d])]
        return out
