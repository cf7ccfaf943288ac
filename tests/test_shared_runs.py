"""The fixtures' own logic (tests/conftest.py): how long a Snakemake run of the tests may take, what a
stopped run leaves behind, and how the pytest-xdist workers share a run that failed.

A busy or slow machine must give a slow green run: a run that keeps printing is never stopped, a
stopped run leaves neither processes nor Snakemake's lock behind (so a retry in its directory works),
and a shared run that failed is one failure, not one rebuild per waiting worker."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests import conftest

SNAKEFILE = """\
# {tag}
rule all:
    input: "out.txt"

rule slow:
    output: "out.txt"
    shell: "echo partial > {{output}}; echo started; sleep {{config[sleep]}}; echo whole > {{output}}  # {tag}"
"""


def tagged(tag: str) -> list[int]:
    """The processes whose command line carries `tag`: the job shells of one test's Snakemake runs."""
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if tag.encode() in (d / "cmdline").read_bytes():
                    pids.append(int(d.name))
            except OSError:  # ended meanwhile
                pass
    return pids


@pytest.fixture
def tiny_root(tmp_path, monkeypatch) -> tuple[Path, str]:
    """A project root of one rule that sleeps config['sleep'] seconds, for conftest.run_snakemake."""
    root = tmp_path / "root"
    root.mkdir()
    tag = f"t29-{os.getpid()}-{tmp_path.name}"
    (root / "Snakefile").write_text(SNAKEFILE.format(tag=tag))
    (root / "config.yaml").write_text("sleep: 600\n")
    (root / "config.quick.yaml").write_text("{}\n")
    monkeypatch.setattr(conftest, "ROOT", root)
    yield root, tag
    for pid in tagged(tag):  # whatever a failing run left: nothing outlives the test
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_silent_run_is_stopped_then_a_retry_in_its_directory_succeeds(tiny_root, tmp_path):
    root, tag = tiny_root
    work = tmp_path / "work"
    names = tmp_path / "names.txt"  # the tiny Snakefile reads no data
    with pytest.raises(Exception) as first:  # its job sleeps 600 s without a word: stopped after 20
        conftest.run_snakemake(work, names, timeout=20)
    assert (work / "out.txt").read_text() == "partial\n", "the attempt was not stopped inside its job"
    (root / "config.quick.yaml").write_text("sleep: 0\n")
    retry = conftest.run_snakemake(work, names, check=False, timeout=600)
    assert retry.returncode == 0, f"the retry failed:\n{retry.stderr[-3000:]}"
    assert (work / "out.txt").read_text() == "whole\n"
    assert tagged(tag) == [], "the stopped attempt left its job running"
    msg = str(first.value)
    assert "printed nothing for 20 s" in msg and "TEST_SILENCE_LIMIT" in msg and str(work) in msg, msg


def test_a_run_that_keeps_printing_is_not_stopped_however_long():
    talk = "import time\nfor i in range(8):\n    print(i, flush=True)\n    time.sleep(0.5)\n"
    proc = conftest.run_watched([sys.executable, "-c", talk], timeout=2)  # 4 s in all, 0.5 s of silence
    assert proc.returncode == 0 and proc.stdout.split() == [str(i) for i in range(8)]


class _Factory:
    """tmp_path_factory as one pytest-xdist worker sees it: its basetemp is a child of the shared one."""

    def __init__(self, base: Path):
        self.base = base

    def getbasetemp(self) -> Path:
        self.base.mkdir(parents=True, exist_ok=True)
        return self.base


def test_a_shared_run_that_failed_is_not_built_again_by_the_waiting_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "r1")
    calls = []

    def make(workdir):
        calls.append(workdir)
        raise AssertionError("snakemake (the quick DAG) printed nothing for 1800 s")

    with pytest.raises(AssertionError, match="printed nothing"):
        conftest.shared_run(_Factory(tmp_path / "gw0"), "quick_run", make)
    with pytest.raises(pytest.fail.Exception) as second:  # the next worker, once it holds the lock
        conftest.shared_run(_Factory(tmp_path / "gw1"), "quick_run", make)
    assert len(calls) == 1, "a waiting worker ran the failed shared run again"
    assert "another pytest worker" in str(second.value) and "printed nothing for 1800 s" in str(second.value)


def test_a_shared_run_is_built_once(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_TESTRUNUID", "r2")
    calls = []

    def make(workdir):
        calls.append(workdir)
        (workdir / "made").write_text("1")

    a = conftest.shared_run(_Factory(tmp_path / "gw0"), "run", make)
    b = conftest.shared_run(_Factory(tmp_path / "gw1"), "run", make)
    assert a == b and (a / "made").is_file() and len(calls) == 1


@pytest.mark.parametrize("raw", ["soon", "-5", "nan"])
def test_a_bad_silence_limit_is_one_clear_error(monkeypatch, raw):
    monkeypatch.setenv("TEST_SILENCE_LIMIT", raw)
    with pytest.raises(pytest.fail.Exception, match="TEST_SILENCE_LIMIT.*number of seconds"):
        conftest.silence_limit()


def test_the_readme_states_the_silence_limit_the_tests_use():
    readme = " ".join((conftest.ROOT / "README.md").read_text().split())
    assert f"stopped only after {conftest.SILENCE_LIMIT / 60:g} min without printing a line" in readme
