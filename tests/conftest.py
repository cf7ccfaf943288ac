"""Shared fixtures. The names data set is passed explicitly, never fetched:

    pytest --names=../shared/data/names.txt      (or NAMES_TXT=/path/to/names.txt pytest)

A missing or wrong path is an error, not a skip: the tests that need the data must run.
Write `--names=PATH` with the `=`: as two words, pytest would take PATH for a test path before
this file has registered the option, and stop with "unrecognized arguments".
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser):
    parser.addoption("--names", default=os.environ.get("NAMES_TXT"),
                     help="path to names.txt (the lecture's data set); or set NAMES_TXT")


# Module order: pytest-xdist's loadscope hands out the modules with the most tests first. Ordering
# them longest-first instead (--no-loadscope-reorder and a ranking by --durations) was measured
# slower here: 907 s against 848 s for the same 393 tests, because the longest modules (the
# interrupted runs, the Slurm run, the quick DAG) then all compete for the two cores at once.


@pytest.fixture(scope="session")
def names_path(request) -> Path:
    p = request.config.getoption("--names")
    if not p:
        pytest.fail("these tests need the names data set: run `pytest --names=path/to/names.txt` "
                    "(or set NAMES_TXT)", pytrace=False)
    p = Path(p).expanduser().resolve()
    if not p.is_file():
        pytest.fail(f"--names {p}: no such file", pytrace=False)
    return p


@pytest.fixture(scope="session")
def dataset(names_path):
    from pipeline.data import load_dataset
    return load_dataset(names_path)


@pytest.fixture(scope="session")
def config():
    from pipeline.config import load
    return load(ROOT / "config.yaml")


def default_signals() -> None:
    """preexec_fn for processes a test interrupts: a shell that starts pytest in the background
    (`pytest &`, some CI runners) leaves SIGINT ignored, and an ignored SIGINT is inherited, so
    Ctrl-C would never reach the child. Give it the terminal's default, as a user's run has."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def run_snakemake(workdir: Path, names: Path, *args: str, check: bool = True,
                  timeout: float = 1200) -> subprocess.CompletedProcess:
    """The quick DAG (config.yaml + config.quick.yaml) in `workdir`."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"),
           "--config", f"names_path={names}", "-j2", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


def shared_run(tmp_path_factory, name: str, make) -> Path:
    """A directory `make(dir)` fills once per test run, however many workers ask for it.

    pyproject's addopts run the suite with pytest-xdist, one worker per core, and each worker is
    a session of its own: the first to ask builds the directory under a file lock, in a place of
    this test run (PYTEST_XDIST_TESTRUNUID); the others wait for it and share it. If `make`
    raises, the next one to ask tries again (and most likely fails the same way)."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:  # a single process: nobody to share with
        workdir = tmp_path_factory.mktemp(name)
        make(workdir)
        return workdir
    from filelock import FileLock
    shared = tmp_path_factory.getbasetemp().parent  # the workers' basetemps are its children
    workdir = shared / f"{name}-{run_id}"
    done = shared / f"{name}-{run_id}.done"
    with FileLock(str(shared / f"{name}-{run_id}.lock")):
        if not done.exists():
            workdir.mkdir(exist_ok=True)
            make(workdir)
            done.touch()
    return workdir


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, names_path) -> Path:
    """The whole DAG, run once per test run on the quick override; tests read its outputs."""
    return shared_run(tmp_path_factory, "quick_run", lambda w: run_snakemake(w, names_path))
