"""The figures the rules write: wildcard patterns for rule outputs, concrete paths for `rule all`.
Figure names are stable (a course links to figures/kaiming/saturation_map.png); on the site each
figure is a PNG, a dark WebP, a thumbnail and the JSON of its legend's numbers; its SVG, PDF and
talk variants are downloads (downloads/figures/<group>/, zipped per group by `snakemake
downloads`): pipeline/plots/files.py."""

from __future__ import annotations

from pipeline.figures import FIGURES, PAIR_FIGURE, SUMMARY_FIGURES, download_files_of, files_of, twin
from pipeline.workflow.experiments import Demos, Experiments


def figure_paths(directory: str, names) -> list[str]:
    """Every site file of every named figure under figures/<directory>/; directory may be a wildcard."""
    return [f"figures/{directory}/{p}" for f in names for p in files_of(f)]


def download_paths(directory: str, names) -> list[str]:
    """Every download file of every named figure under downloads/figures/<directory>/."""
    return [f"downloads/figures/{directory}/{p}" for f in names for p in download_files_of(f)]


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
    def download_paths(group: str, names) -> list[str]:
        return download_paths(group, names)

    @staticmethod
    def download_pattern(kind: str) -> list[str]:
        """The outputs of rule plot_<kind>_downloads, in `{exp}`."""
        return download_paths("{exp}", FIGURES[kind])

    @staticmethod
    def download_pair_pattern() -> list[str]:
        return download_paths("{exp}", [PAIR_FIGURE])

    @staticmethod
    def download_demo_pattern() -> list[str]:
        return download_paths("{demo}", ["{demo}"])

    @staticmethod
    def download_part_a() -> list[str]:
        return download_paths("part_a", SUMMARY_FIGURES)

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

    def groups(self) -> dict[str, list[str]]:
        """figures/<group>/ -> the names of its figures (each group is the figures of one site page),
        the studies' groups left out (Studies.groups)."""
        out: dict[str, list[str]] = {}
        for n in self.experiments.shown():
            out[n] = list(FIGURES[self.experiments.resolved[n]["kind"]])
        if self.experiments.names(part="A"):
            out["part_a"] = list(SUMMARY_FIGURES)
        for n in self.twins():
            out[n].append(PAIR_FIGURE)
        out.update({d: [d] for d in self.demos.names()})
        return out

    def all(self) -> list[str]:
        # generated experiments (seeds, sweeps) are read by their study, not plotted one by one
        out = [f for n in self.experiments.shown() for f in self.of(n)]
        out += self.part_a()
        out += [f for n in self.twins() for f in figure_paths(n, [PAIR_FIGURE])]
        out += [f for d in self.demos.names() for f in figure_paths(d, [d])]
        return out
