"""Nothing lost, nothing stale: the tiny DAG under interruption, concurrency, a word list of
one's own, and reruns that must come out byte for byte the same.

Each test runs Snakemake on a handful of experiments (config.yaml + config.quick.yaml + a tiny
override written here) in a temporary directory, exactly as the README runs it: no extra flags,
so the workflow profile (profiles/default) is what makes interrupted work rerun.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from base64 import urlsafe_b64encode
from pathlib import Path

import numpy as np
import pytest
import torch

from pipeline import reproducible
from pipeline.reproducible import untimed
from pipeline.workflow.experiments import RUN_FILES
from tests.conftest import ROOT, default_signals, run_watched, shared_run, watch

pytestmark = pytest.mark.slow

EXPS = ["kaiming", "batchnorm", "batchnorm_gain_5_3"]  # two Part A variants and a deep net
MLP_STEPS = 12000  # a Part A training lasts a few seconds: a run's evaluation can be recorded while it trains
TINY = f"""
runtime: {{engine: simple, checkpoint_every: 500}}
defaults:
  mlp: {{steps: {MLP_STEPS}, lr_decay_step: {MLP_STEPS // 2}}}
  deep: {{steps: 41}}
sampling: {{count: 5}}
"""
FIGS = {"mlp": ["loss_curve", "hpreact_hist", "tanh_hist", "saturation_map"],
        "deep": ["loss_curve", "activations_init", "activations_final", "update_ratios"]}
LOCKED = "Directory cannot be locked"


def targets(exps=EXPS, figures: bool = True) -> list[str]:
    """The runs' figures (which need every job kind); without figures, only the runs themselves."""
    out = ["results/data.json"]
    for e in exps:
        kind = "deep" if "gain" in e else "mlp"
        out += ([f"figures/{e}/{f}.{x}" for f in FIGS[kind] for x in ("png", "json")] if figures
                else [f"results/runs/{e}/metrics.json"])
    return out


def command(workdir: Path, names: Path, *extra: str, exps=EXPS, figures: bool = True) -> list[str]:
    tiny = workdir / "tiny.yaml"
    if not tiny.exists():
        tiny.write_text(TINY)
    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir),
            "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"), str(tiny),
            "--config", f"names_path={names}", "-j2", *extra, *targets(exps, figures)]


def snake(workdir: Path, names: Path, *extra: str, check: bool = True, exps=EXPS,
          figures: bool = True) -> subprocess.CompletedProcess:
    proc = run_watched(command(workdir, names, *extra, exps=exps, figures=figures))  # bounded by silence
    if check:
        assert proc.returncode == 0, proc.stderr[-6000:]
    return proc


def start(workdir: Path, names: Path, figures: bool = True) -> subprocess.Popen:
    return subprocess.Popen(command(workdir, names, figures=figures), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            # its own process group, as a terminal gives it
                            start_new_session=True, preexec_fn=default_signals)


def wait_for(cond, proc: subprocess.Popen, what: str, timeout: float = 300, every: float = 0.05) -> None:
    t = time.time()
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"snakemake ended before {what}:\n{proc.stdout.read()[-4000:]}")
        if time.time() - t > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def processes(pid: int) -> str:
    """The processes of the Snakemake run `start` began as `pid`, from /proc: its session (Snakemake,
    its jobs' shells and training processes, zombies among them) and any descendant that left it."""
    table = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            args = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # ended meanwhile
            continue
        comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        state, ppid, pgrp, session = rest.split()[:4]
        table[int(d.name)] = (int(ppid), {int(pgrp), int(session)}, state, comm, args)
    ours = {p for p, (_, groups, *_) in table.items() if p == pid or pid in groups}
    while more := {p for p, (ppid, *_) in table.items() if ppid in ours} - ours:
        ours |= more
    return "\n".join(f"  {p} (parent {ppid}) {state} {comm}: {args[:200] or '<defunct>'}"
                     for p, (ppid, _, state, comm, args) in sorted(table.items()) if p in ours) or "  none"


def finish(proc: subprocess.Popen, after: str, timeout: float | None = 300) -> str:
    """The output of a Snakemake run `start` began, once it has ended. If it has not ended `timeout` s
    after `after` (a signal, a kill), fail saying so, with the last step it reported done and the
    processes alive then; then kill them all, so that nothing outlives the test. `timeout=None`: the
    run goes on to its end, as long as it takes, unless it goes silent (conftest.watch)."""
    if timeout is None:
        return watch(proc, what=f"Snakemake (after {after})",
                     describe=lambda: f" Processes alive then (pid, parent, state):\n{processes(proc.pid)}\n").stdout
    try:
        return proc.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        alive = processes(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        out = proc.communicate()[0]
        steps = re.findall(r"^\d+ of \d+ steps \(\d+%\) done$", out, re.MULTILINE)
        pytest.fail(f"Snakemake had not ended {timeout:.0f} s after {after}. Its last step line: "
                    f"{steps[-1] if steps else '(no step done)'}\nProcesses alive then (pid, parent, state):\n"
                    f"{alive}\nThe end of its output:\n{out[-3000:]}", pytrace=False)


def runs(workdir: Path) -> dict[str, Path]:
    return {e: workdir / "results" / "runs" / e for e in EXPS}


def checkpointed(workdir: Path) -> list[Path]:
    """Part A training directories (results/train/<id>/) with a resume state and no finished
    training yet: trainings part-way. (A deep net of 41 steps has no checkpoint before its last
    step, where it keeps its final state for a moment before writing trained.pt: not part-way.)"""
    return [s.parent.parent for s in workdir.glob("results/train/*/.resume/state.pt")
            if not (s.parent.parent / "trained.pt").exists() and s.parent.parent.name in _part_a(workdir)]


_TRAININGS: dict[Path, dict] = {}


def _trainings(workdir: Path) -> dict[str, dict]:
    """The trainings of the test's config (groups.trainings), read once per run directory."""
    if workdir not in _TRAININGS:
        from pipeline.config import load
        from pipeline.training.groups import trainings
        _TRAININGS[workdir] = trainings(load(ROOT / "config.yaml", ROOT / "config.quick.yaml",
                                             workdir / "tiny.yaml")["resolved"])
    return _TRAININGS[workdir]


def _part_a(workdir: Path) -> set[str]:
    """The ids of the trainings of the test's Part A experiments."""
    return {tid for tid, t in _trainings(workdir).items()
            if any(e in EXPS and "gain" not in e for e in t["experiments"])}


def finished_trainings(workdir: Path) -> list[Path]:
    """Training directories whose trained.pt Snakemake has recorded as finished."""
    return [t for t in workdir.glob("results/train/*")
            if recorded(workdir, "", f"results/train/{t.name}/trained.pt")]


def recorded(workdir: Path, exp: str, path: str | None = None) -> bool:
    """Snakemake has recorded the run of `exp` (or the output `path`) as finished (its metadata, no
    incomplete mark). A job killed after writing metrics.json but before Snakemake saw it end is not
    finished: it is rightly redone."""
    path = path or f"results/runs/{exp}/metrics.json"
    key = urlsafe_b64encode(path.encode()).decode()
    return ((workdir / path).exists()
            and (workdir / ".snakemake/metadata" / key).exists()
            and not (workdir / ".snakemake/incomplete" / key).exists())


def served(training: Path) -> list[str]:
    """The experiments of EXPS a training (results/train/<id>/) serves, by the test's config (a
    training's file holds no experiment name: renaming one retrains nothing)."""
    return [e for e in _trainings(training.parents[2])[training.name]["experiments"] if e in EXPS]


def _npz(path: Path) -> dict:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def assert_same_numbers(a: Path, b: Path, exps=EXPS, figures: bool = True) -> None:
    """Every run and figure of `b` equals `a`'s: metrics but for timing, arrays, figure files byte for byte."""
    for e in exps:
        ra, rb = a / "results" / "runs" / e, b / "results" / "runs" / e
        ma, mb = (json.loads((r / "metrics.json").read_text()) for r in (ra, rb))
        assert untimed(ma) == untimed(mb), e
        for f in ("history.npz", "probes.npz"):
            za, zb = _npz(ra / f), _npz(rb / f)
            assert za.keys() == zb.keys()
            for k in za:
                np.testing.assert_array_equal(za[k], zb[k], err_msg=f"{e}/{f}:{k}")
        for f in ("samples.txt", "config.json"):
            assert (ra / f).read_bytes() == (rb / f).read_bytes(), f"{e}/{f}"
        ca, cb = (torch.load(r / "checkpoint.pt", weights_only=True) for r in (ra, rb))
        for n, t in ca["params"].items():
            assert torch.equal(t, cb["params"][n]), f"{e}: {n}"
    for t in targets(exps, figures):
        if t.endswith("/metrics.json"):  # compared above, but for the timing it holds
            continue
        assert (a / t).read_bytes() == (b / t).read_bytes(), f"{t} differs between the two runs"


def assert_nothing_looks_complete_that_is_not(workdir: Path) -> None:
    for e, r in runs(workdir).items():
        if (r / "metrics.json").exists():  # written last: a run with it must be whole and readable
            for f in RUN_FILES:
                assert (r / f).stat().st_size > 0, f"{e}/{f}"
            json.loads((r / "metrics.json").read_text())
            _npz(r / "history.npz")
    for p in (workdir / "figures").rglob("*.json") if (workdir / "figures").exists() else []:
        json.loads(p.read_text())


@pytest.fixture(scope="session")
def clean(tmp_path_factory, names_path) -> Path:
    """A clean, uninterrupted run of the tiny DAG: the reference every other run must equal (one per
    test run, shared by the workers: tests/conftest.py)."""
    return shared_run(tmp_path_factory, "clean", lambda w: snake(w, names_path))


# ---- 7: concurrency, and 6: a second clean run is byte-identical -------------------------------

@pytest.fixture(scope="module")
def concurrent(tmp_path_factory, names_path) -> tuple[Path, subprocess.CompletedProcess, str]:
    w = tmp_path_factory.mktemp("concurrent")
    first = start(w, names_path)
    wait_for(lambda: list(w.glob("results/train/*/.resume")), first, "a training job")
    second = snake(w, names_path, check=False)
    out = finish(first, "a second Snakemake was refused", timeout=None)  # the whole run
    assert first.returncode == 0, out[-6000:]
    return w, second, out


def test_a_second_snakemake_is_refused_with_the_lock_message(concurrent):
    _, second, _ = concurrent
    assert second.returncode != 0
    assert LOCKED in second.stdout + second.stderr, (second.stdout + second.stderr)[-3000:]


def test_the_running_snakemake_is_unharmed(concurrent, clean):
    w, _, out = concurrent
    assert "Exception" not in out
    assert_same_numbers(clean, w)


def test_two_clean_runs_are_byte_identical(concurrent, clean):
    """Figures (PNG, SVG, legend JSON) and data.json byte for byte; history/probes/samples exactly;
    then every file of results/ and figures/ byte for byte but for the timings of
    pipeline/reproducible.py (what scripts/compare_trees.py checks of two full runs)."""
    w, _, _ = concurrent
    assert_same_numbers(clean, w)
    for e in EXPS:  # the npz files too, not only their arrays (np.savez would stamp the time)
        for f in ("history.npz", "probes.npz", "samples.txt", "config.json"):
            assert (clean / "results/runs" / e / f).read_bytes() == (w / "results/runs" / e / f).read_bytes()
    diffs, counts = reproducible.compare(clean, w)
    assert counts["compared"] > len(targets()), counts  # the runs' files too, not only the targets
    assert not diffs, "\n".join(reproducible.report(diffs, counts))


# ---- 1 + 2: interruption, and resume through Snakemake --------------------------------------

def _pids_of_training(workdir: Path, of: list[Path] | None = None) -> list[int]:
    """The `python -m pipeline train-stack` processes of the Snakemake run
    in `workdir` (not the shells); with `of`, only those writing one of these training directories."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid,args"], capture_output=True, text=True).stdout  # whole lines
    pids = []
    for line in out.splitlines()[1:]:
        pid, *args = line.split()
        if args and Path(args[0]).name.startswith("python") and args[1:3] == ["-m", "pipeline"] \
                and args[3:4] == ["train-stack"] and _cwd(int(pid)) == workdir \
                and (of is None or any(f"results/train/{t.name}/trained.pt" in args for t in of)):
            pids.append(int(pid))
    return pids


def _cwd(pid: int) -> Path | None:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL", "kill one training job", "SIGINT to Snakemake alone"])
def test_interrupted_run_finishes_on_rerun_without_retraining(tmp_path, names_path, clean, how):
    # the runs only, no figures: what an interruption can break is a training and its record (the
    # figures' own jobs write atomically, and the clean runs compare every figure byte for byte)
    w = tmp_path
    first = start(w, names_path, figures=False)
    r = runs(w)
    # part-way: a training (or a run) finished, a Part A training past its first checkpoint
    # polled often, so that the signal can land just as a job ends: Snakemake is busiest then (it
    # records the job, picks the next ones), and once, a SIGTERM there hung it for good
    wait_for(lambda: finished_trainings(w) and checkpointed(w),
             first, "a finished training and a checkpointed one", every=0.002)
    training = checkpointed(w)
    if how == "kill one training job":
        # the job of a run past its first checkpoint (the other may be the deep net, which has none)
        victims = _pids_of_training(w.resolve(), of=training)
        assert victims, f"no training process of {training} found:\n{processes(first.pid)}"
        os.kill(victims[0], signal.SIGKILL)
    elif how == "SIGTERM":
        first.send_signal(signal.SIGTERM)  # to Snakemake only, as `kill <pid>` does
    elif how == "SIGINT to Snakemake alone":  # `kill -INT <pid>`: its jobs run on, their end goes unrecorded
        first.send_signal(signal.SIGINT)
    else:  # Ctrl-C reaches the whole foreground group; so does a kill -9 of the session
        os.killpg(first.pid, getattr(signal, how))
    finish(first, how if how.startswith("SIG") else "one of its training jobs was killed")
    # trainings that ended after Snakemake stopped listening: their files are there, unrecorded
    unrecorded = [t for t in training
                  if (t / "trained.pt").exists() and not recorded(w, "", f"results/train/{t.name}/trained.pt")]
    if how == "SIGINT to Snakemake alone":
        assert unrecorded, "no training ended unrecorded: the case this test is for did not happen"
    if how == "SIGKILL":  # nothing of Snakemake survives it; end its orphaned jobs as the OS would
        for pid in _pids_of_training(w.resolve()):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
    assert first.returncode != 0
    assert_nothing_looks_complete_that_is_not(w)
    finished = {e: (p / "metrics.json").stat().st_mtime_ns for e, p in r.items() if recorded(w, e)}
    trained = {t: (t / "trained.pt").stat().st_mtime_ns for t in finished_trainings(w)}
    assert trained, "no training had finished"
    if how == "SIGTERM":  # Snakemake's graceful stop: running jobs end, no new ones start
        assert all((t / "trained.pt").exists() for t in training), f"{training} were training: a SIGTERM lets them end"
        assert not all((w / t).exists() for t in targets(figures=False)), "SIGTERM came too late to test anything"
    else:
        assert len(finished) < len(EXPS), finished

    again = snake(w, names_path, check=False, figures=False)
    if how == "SIGKILL":  # a hard kill leaves Snakemake's lock: it says so, and --unlock clears it
        assert again.returncode != 0 and LOCKED in again.stdout + again.stderr
        snake(w, names_path, "--unlock", figures=False)
        again = snake(w, names_path, check=False, figures=False)
    assert again.returncode == 0, again.stderr[-6000:]
    for t, mtime in trained.items():  # no training that had finished is trained again
        assert (t / "trained.pt").stat().st_mtime_ns == mtime, f"{t.name} ({served(t)}) was retrained"
    for e, mtime in finished.items():  # nor evaluated again
        assert (r[e] / "metrics.json").stat().st_mtime_ns == mtime, f"{e} was retrained"
    for e in [e for t in unrecorded for e in served(t)]:  # rewritten from the state kept after its last step
        m = json.loads((r[e] / "metrics.json").read_text())
        assert m["resumed_from_step"] == m["steps"], f"{e} was trained again from step {m['resumed_from_step']}"
    resumed = [e for e in EXPS if e not in finished
               and json.loads((r[e] / "metrics.json").read_text())["resumed_from_step"]]
    if how != "SIGTERM":  # after a SIGTERM, a run not finished had not started: nothing to resume
        assert resumed, "no interrupted run resumed from its checkpoint"
    assert not list(w.glob("results/train/*/.resume"))  # onsuccess: every state of a finished training is gone
    assert_same_numbers(clean, w, figures=False)  # resumed or not, the numbers of an uninterrupted run


# the batched engine (the default): one job trains a stack; killed, it resumes the whole stack
BATCHED = """
runtime: {engine: batched, checkpoint_every: 500}
defaults:
  mlp: {steps: 6000, lr_decay_step: 3000}
sampling: {count: 5}
"""


def test_killed_batched_job_resumes_its_stack_exactly(tmp_path, names_path):
    """Only the training of one Part A stack (no figures), so it stays cheap (about 30 s)."""
    def run(w: Path, *, background: bool = False):
        w.mkdir(exist_ok=True)
        (w / "batched.yaml").write_text(BATCHED)
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(w),
               "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"), str(w / "batched.yaml"),
               "--config", f"names_path={names_path}", "-j2", "results/runs/kaiming/metrics.json",
               "results/runs/kaiming.seed1/metrics.json"]
        if background:
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                    start_new_session=True, preexec_fn=default_signals)
        return run_watched(cmd)

    w = tmp_path / "killed"
    first = run(w, background=True)
    logs = w / "logs" / "train"
    wait_for(lambda: list(w.glob("results/train/*/.resume/state.pt")), first, "the stack's first checkpoint")
    victims = _pids_of_training(w.resolve())
    assert victims, "no training process found"
    os.kill(victims[0], signal.SIGKILL)
    out = finish(first, "its training job was killed")
    assert first.returncode != 0, out[-3000:]
    (state,) = w.glob("results/train/*/.resume/state.pt")
    assert not list(w.glob("results/runs/*/metrics.json")), "nothing may look complete"
    (log,) = logs.glob("*.log")  # the stack's one job

    again = run(w)
    assert again.returncode == 0, again.stderr[-6000:]
    assert "resuming from step" in log.read_text()
    assert not state.parent.exists()
    clean = run(tmp_path / "clean")
    assert clean.returncode == 0, clean.stderr[-6000:]
    dirs = sorted(p.parent.name for p in (tmp_path / "clean").glob("results/runs/*/metrics.json"))
    assert "kaiming" in dirs and len(dirs) > 1  # a stack of several models
    assert dirs == sorted(p.parent.name for p in w.glob("results/runs/*/metrics.json"))
    from tests.test_resume import assert_same_run
    for d in dirs:
        assert json.loads((w / "results/runs" / d / "metrics.json").read_text())["resumed_from_step"]
        assert_same_run(tmp_path / "clean" / "results/runs" / d, w / "results/runs" / d)


# ---- 5: a word list of one's own ------------------------------------------------------------

def fake_names(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    onsets, vowels, codas = "bdklmnrstvz", "aeiou", ["", "n", "l", "r", "s", "th"]
    return ["".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.randint(1, 3))) + rng.choice(codas)
            for _ in range(n)]


def test_a_word_list_of_ones_own(tmp_path, names_path):
    words = fake_names(300)
    own = tmp_path / "my names.txt"
    own.write_text("\r\n".join(w.capitalize() if i % 50 == 0 else w for i, w in enumerate(words)) + "\r\n")
    exps = ["kaiming", "batchnorm_gain_5_3"]
    cmd = command(tmp_path, own, exps=exps)
    cmd.insert(cmd.index("--config") + 2, "names_sha256=null")  # as data/README.md says
    proc = run_watched(cmd)
    assert proc.returncode == 0, proc.stderr[-6000:]

    from pipeline.data import sha256_of
    digest = sha256_of(own)
    info = json.loads((tmp_path / "results/data.json").read_text())
    vocab = "." + "".join(sorted(set("".join(w.capitalize() if i % 50 == 0 else w for i, w in enumerate(words)))))
    assert info["sha256"] == digest and info["canonical"] is False
    assert info["origin"] == "local file my names.txt" and info["words"] == 300
    assert info["vocab"] == vocab and info["vocab_size"] == len(vocab) != 27
    for e in exps:
        m = json.loads((tmp_path / "results/runs" / e / "metrics.json").read_text())
        assert m["data_sha256"] == digest and m["vocab_size"] == len(vocab)
        assert m["expected_initial_loss"] == pytest.approx(np.log(len(vocab)))
        assert sum(m["split_sizes"].values()) == sum(len(w) + 1 for w in words)
    samples = (tmp_path / "results/runs/kaiming/samples.txt").read_text().split()
    assert samples and set("".join(samples)) <= set(vocab)

    # the canonical checksum still guards the default: the same list without names_sha256: null fails,
    # when Snakemake reads the Snakefile (pipeline/workflow/data_source.py), before any job
    (tmp_path / "b").mkdir()
    bad = run_watched(command(tmp_path / "b", own, exps=exps))
    assert bad.returncode != 0
    out = bad.stdout + bad.stderr
    assert f"has sha256 {digest}, but names_sha256 is" in out and "Nothing was changed" in out, out[-3000:]
    assert not (tmp_path / "b" / "data").exists()


# ---- 3: a divergence through Snakemake: the message on the console, not only in a log --------

@pytest.mark.parametrize("engine", ["simple", "batched"])
def test_divergence_named_on_the_snakemake_console(tmp_path, names_path, engine):
    (tmp_path / "blowup.yaml").write_text(f"""
runtime: {{engine: {engine}}}
experiments:
  blowup:
    kind: deep
    part: B
    title: Linear stack, gain 3, lr 50
    activation: none
    gain: 3
    lr: 50.0
    steps: 200
    on_divergence: stop
""")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
           "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"), str(tmp_path / "blowup.yaml"),
           "--config", f"names_path={names_path}", "-j2", "results/runs/blowup/metrics.json"]
    proc = run_watched(cmd)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "experiment 'blowup' diverged at step" in out, out[-4000:]
    assert "first non-finite tensor is" in out
    assert not (tmp_path / "results/runs/blowup/metrics.json").exists()
