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


# How long a command a test starts may go without printing anything before the test stops it. It is a
# bound on silence, not on the whole run: a slow machine or a shared CPU stretches a run, but Snakemake
# still prints a line each time a job starts or ends, so a run that keeps going is never stopped
# however long it takes. Only a run that hangs is. Measured: the quick DAG (`snakemake -j2`) on two
# cores at a load average of 24 to 38 took 54 min, where the 1,200 s wall-clock bound used before
# would have killed it, and its longest stretch without a line was 95 s. 30 min of silence is
# generous, on purpose. Set TEST_SILENCE_LIMIT=seconds to change it, 0 to wait for ever.
SILENCE_LIMIT = 1800.0


def silence_limit() -> float:
    raw = os.environ.get("TEST_SILENCE_LIMIT")
    if raw is None:
        return SILENCE_LIMIT
    try:
        limit = float(raw)
    except ValueError:
        limit = -1.0
    if not limit >= 0:
        pytest.fail(f"TEST_SILENCE_LIMIT={raw!r}: give a number of seconds (0 for no limit)", pytrace=False)
    return limit


class RunStopped(AssertionError):
    """A command a test started printed nothing for the silence limit and was stopped."""


def _stop(proc: subprocess.Popen) -> None:
    """End the process group `run_watched` started: SIGINT first, as Ctrl-C in a terminal (Snakemake
    then ends its jobs and releases its lock), SIGKILL for whatever is left after 30 s."""
    import signal
    try:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:  # what is left: Snakemake if it did not end, any job it left behind if it did
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # the group is gone already
        pass
    proc.wait()


def is_snakemake(cmd) -> bool:
    return any(Path(str(a)).name == "snakemake" for a in cmd[:3])


def run_watched(cmd, *, timeout: float | None = None, check: bool = False, what: str | None = None,
                **popen) -> subprocess.CompletedProcess:
    """`subprocess.run(cmd, capture_output=True, text=True)`, bounded by silence instead of wall time.

    `timeout` is how many seconds the command may go without printing a line (default: the silence
    limit above). If it does, its whole process group is stopped (it runs in a session of its own,
    so its jobs go with it); a Snakemake run is then unlocked (`snakemake ... --unlock`), so a retry
    in the same directory never meets the lock this attempt left; and RunStopped is raised, saying
    what happened and how to raise the limit."""
    popen.setdefault("preexec_fn", default_signals)  # so that the SIGINT of a stop reaches it
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **popen)
    done = watch(proc, timeout=timeout, what=what, cwd=popen.get("cwd"), env=popen.get("env"))
    if check and done.returncode != 0:
        raise AssertionError(f"{what or cmd[0]} failed ({done.returncode}):\n{done.stdout[-4000:]}\n"
                             f"{done.stderr[-8000:]}")
    return done


def watch(proc: subprocess.Popen, *, timeout: float | None = None, what: str | None = None,
          describe=None, cwd=None, env=None) -> subprocess.CompletedProcess:
    """Wait for `proc` (text pipes, a session of its own), reading its output, for as long as it
    keeps printing; run_watched says what happens when it does not. `describe()`, if given, is
    called before the stop and its text joins the error (what was running then, say)."""
    import threading
    import time
    limit = silence_limit() if timeout is None else timeout
    heard = [time.monotonic()]
    out: list[str] = []
    err: list[str] = []

    def pump(stream, sink):
        for line in stream:
            sink.append(line)
            heard[0] = time.monotonic()

    pumps = [threading.Thread(target=pump, args=(stream, sink), daemon=True)
             for stream, sink in ((proc.stdout, out), (proc.stderr, err)) if stream is not None]
    for t in pumps:
        t.start()
    try:
        while proc.poll() is None:
            if limit and time.monotonic() - heard[0] > limit:
                break
            time.sleep(min(1.0, limit / 10) if limit else 1.0)
    except BaseException:  # Ctrl-C, or pytest's own timeout: nothing may outlive the test
        _stop(proc)
        raise
    stopped = proc.poll() is None
    seen = describe() if stopped and describe else ""
    if stopped:
        _stop(proc)
    for t in pumps:
        t.join(timeout=30)
    cmd = [str(a) for a in proc.args]
    done = subprocess.CompletedProcess(cmd, proc.wait(), "".join(out), "".join(err))
    if stopped:
        unlocked = ""
        if is_snakemake(cmd):
            unlock = run_watched([*cmd, "--unlock"], timeout=limit or None, cwd=cwd, env=env)
            unlocked = (", and unlocked its directory" if unlock.returncode == 0 else
                        f"; unlocking its directory failed too:\n{unlock.stderr[-2000:]}")
        name = what or " ".join(cmd[:6]) + " ..."
        raise RunStopped(
            f"{name} printed nothing for {limit:g} s, so the test stopped it{unlocked}. On a machine this "
            f"slow, raise the limit: TEST_SILENCE_LIMIT=seconds (0: none; tests/conftest.py).{seen} Its "
            f"last output:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
    return done


def run_snakemake(workdir: Path, names: Path, *args: str, check: bool = True,
                  timeout: float | None = None) -> subprocess.CompletedProcess:
    """The quick DAG (config.yaml + config.quick.yaml) in `workdir`, stopped only if it prints nothing
    for `timeout` s (run_watched). `--rerun-incomplete`: a retry after a stopped attempt redoes the
    job that attempt was in, where Snakemake would otherwise refuse to start."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
           "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"),
           "--config", f"names_path={names}", "-j2", "--rerun-incomplete", *args]
    return run_watched(cmd, timeout=timeout, check=check, what=f"snakemake (the quick DAG in {workdir})")


def shared_run(tmp_path_factory, name: str, make) -> Path:
    """A directory `make(dir)` fills once per test run, however many workers ask for it.

    pyproject's addopts run the suite with pytest-xdist, one worker per core, and each worker is
    a session of its own: the first to ask builds the directory under a file lock, in a place of
    this test run (PYTEST_XDIST_TESTRUNUID); the others wait for it and share it. If `make` fails,
    its error is the one failure to read: the workers that were waiting do not build it again (that
    would cost each of them as long again, to fail the same way); they fail at once, pointing to it."""
    run_id = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run_id is None:  # a single process: nobody to share with
        workdir = tmp_path_factory.mktemp(name)
        make(workdir)
        return workdir
    from filelock import FileLock
    shared = tmp_path_factory.getbasetemp().parent  # the workers' basetemps are its children
    workdir = shared / f"{name}-{run_id}"
    done = shared / f"{name}-{run_id}.done"
    failed = shared / f"{name}-{run_id}.failed"
    with FileLock(str(shared / f"{name}-{run_id}.lock")):
        if failed.exists():
            pytest.fail(f"the shared {name!r} run failed in another pytest worker, so this one does not "
                        f"run it again; that worker's error is the one to read. It said: "
                        f"{failed.read_text()}", pytrace=False)
        if not done.exists():
            workdir.mkdir(exist_ok=True)
            try:
                make(workdir)
            except BaseException as e:
                first = (str(e).strip().splitlines() or [type(e).__name__])[0]
                failed.write_text(f"{type(e).__name__}: {first[:500]}")
                raise
            done.touch()
    return workdir


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory, names_path) -> Path:
    """The whole DAG, run once per test run on the quick override; tests read its outputs."""
    return shared_run(tmp_path_factory, "quick_run", lambda w: run_snakemake(w, names_path))
