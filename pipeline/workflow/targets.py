"""The figures the rules write: wildcard patterns for rule outputs, concrete paths for `rule all`.
Figure names are stable (a course links to figures/kaiming/saturation_map.svg); each figure is
a PNG, an SVG, a PDF, dark and talk variants, a thumbnail and the JSON of its legend's numbers
(pipeline/plots/files.py)."""

from __future__ import annotations

from pipeline.plots import FIGURES, SUMMARY_FIGURES, files_of
from pipeline.plots.compare import NAME as PAIR_FIGURE
from pipeline.plots.compare import twin
from pipeline.workflow.experiments import Demos, Experiments


def figure_paths(directory: str, names) -> list[str]:
    """Every file of every named figure under figures/<directory>/; directory may be a wildcard."""
    return [f"figures/{directory}/{p}" for f in names for p in files_of(f)]


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

    def family(self, exp: str) -> list[str]:
        """The experiments whose figures share axes with `exp`'s: the deep networks of the same
        configuration (activation, normalisation, fan-in scaling, shape) at other gains."""
        spec = self.experiments.resolved[exp]
        if spec["kind"] != "deep":
            return []
        keys = ("activation", "norm", "fan_in_scaling", "n_layers", "n_hidden", "part")
        return [n for n in self.experiments.shown()
                if all(self.experiments.resolved[n].get(k) == spec.get(k) for k in keys)]

    def twins(self) -> dict[str, str]:
        """BatchNorm experiment -> its twin without BatchNorm, for every pair the config has."""
        shown = {n: self.experiments.resolved[n] for n in self.experiments.shown()}
        return {n: t for n in shown if (t := twin(shown, n))}

    @staticmethod
    def pair_pattern() -> list[str]:
        return figure_paths("{exp}", [PAIR_FIGURE])

    def part_a(self) -> list[str]:
        return figure_paths("part_a", SUMMARY_FIGURES) if self.experiments.names(part="A") else []

    def all(self) -> list[str]:
        # generated experiments (seeds, sweeps) are read by their study, not plotted one by one
        out = [f for n in self.experiments.shown() for f in self.of(n)]
        out += self.part_a()
        out += [f for n in self.twins() for f in figure_paths(n, [PAIR_FIGURE])]
        out += [f for d in self.demos.names() for f in figure_paths(d, [d])]
        return out
