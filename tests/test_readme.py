"""The README's two commands are what CI runs and what the project supports; the test command
runs scripts/test.sh, the one definition of setting up and running the tests."""

import re

from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "test.sh"


def _test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    lines = [ln.strip() for ln in readme.splitlines() if ln.strip().startswith("bash scripts/test.sh")]
    assert len(lines) == 1, lines
    return lines[0]


def test_ci_runs_exactly_the_readme_test_command():
    ci = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert _test_command() in ci
    # and nothing else installs or tests: one definition, in the script
    body = [ln for ln in ci if ln and not ln.startswith("#")]
    assert not any(re.search(r"\b(pip|pytest|apt-get)\b", ln) for ln in body), body


def test_the_script_installs_system_packages_the_venv_and_runs_pytest():
    text = SCRIPT.read_text()
    for pkg in ("graphviz", "chromium", "nodejs", "slurm-wlm", "slurmdbd", "munge", "mariadb-server"):
        assert pkg in text, pkg
    assert "apt-get install" in text and "sudo" in text
    assert 'pip install -q -e ".[test]"' in text
    assert text.rstrip().endswith('exec pytest "$@"')


def test_readme_test_command_passes_names_as_one_argument():
    # `--names PATH` in two words makes pytest treat PATH as a test path (rootdir moves, the option
    # is unknown); only `--names=PATH` works from the repository root
    assert re.search(r"--names=\S+", _test_command())


def test_readme_documents_plain_pytest_for_prepared_machines():
    readme = (ROOT / "README.md").read_text()
    assert "pytest --names=" in readme


def test_readme_main_command_runs_snakemake_j4():
    readme = (ROOT / "README.md").read_text()
    assert any(ln.strip().endswith("snakemake -j4") and "pip install" in ln for ln in readme.splitlines())
