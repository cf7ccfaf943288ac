"""The README's two commands are what CI runs and what the project supports."""

import re

from tests.conftest import ROOT


def _test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    lines = [ln.strip() for ln in readme.splitlines() if "pytest" in ln and "pip install" in ln]
    assert len(lines) == 1, lines
    return lines[0]


def test_ci_runs_exactly_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert _test_command() in [ln.strip() for ln in ci]


def test_readme_test_command_passes_names_as_one_argument():
    # `--names PATH` in two words makes pytest treat PATH as a test path (rootdir moves, the option
    # is unknown); only `--names=PATH` works from the repository root
    assert re.search(r"pytest --names=\S+", _test_command())


def test_readme_main_command_runs_snakemake_j4():
    readme = (ROOT / "README.md").read_text()
    assert any(ln.strip().endswith("snakemake -j4") and "pip install" in ln for ln in readme.splitlines())
