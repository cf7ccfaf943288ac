"""The Slurm profile against a real Slurm: a one-node cluster on localhost (tests/slurm/cluster.sh:
munged, MariaDB + slurmdbd for sacct, slurmctld, slurmd) runs part of the quick DAG through
`snakemake --profile profiles/slurm`; every job must show up in sacct and the results must equal
the local run of the same config (the session's quick_run).

Needs root and Debian's slurm-wlm, slurmdbd, munge and mariadb-server (scripts/test.sh installs them; as
root with apt-get this test installs them itself). Without them it fails, saying what is missing:
a Slurm test that skips itself would prove nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from pipeline.reproducible import untimed  # the timing fields, the only ones allowed to differ

from .conftest import ROOT, run_watched

pytestmark = pytest.mark.slow

CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"
DAEMONS = ("munged", "mariadbd", "slurmdbd", "slurmctld", "slurmd", "sacct", "sbatch")
ACCOUNT = "makemore"  # the account cluster.sh creates


def mem_mb(reqmem: str) -> int:
    """sacct's ReqMem ('1280M', '2G') in MB."""
    return int(float(reqmem[:-1]) * {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2}[reqmem[-1]])


def free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.fixture(scope="module")
def slurm(tmp_path_factory) -> dict:
    """A running one-node cluster; yields the environment its clients need, then stops it."""
    if not all(shutil.which(b) for b in DAEMONS):
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            pytest.fail("Slurm is not installed and this is not root with apt-get: "
                        "run `tests/slurm/cluster.sh install` as root", pytrace=False)
        subprocess.run([str(CLUSTER), "install"], check=True, timeout=900)
    if os.geteuid() != 0:
        pytest.fail("the test cluster runs its daemons as root: run the tests as root", pytrace=False)
    state = tmp_path_factory.mktemp("slurm")
    ctld, slurmd, dbd = free_ports(3)
    env = dict(os.environ, SLURMCTLD_PORT=str(ctld), SLURMD_PORT=str(slurmd), SLURMDBD_PORT=str(dbd))
    try:
        proc = subprocess.run([str(CLUSTER), "start", str(state)], env=env, capture_output=True,
                              text=True, timeout=300)
        if proc.returncode != 0:
            pytest.fail(f"the Slurm cluster did not start:\n{proc.stdout}\n{proc.stderr}", pytrace=False)
        yield dict(os.environ, SLURM_CONF=str(state / "slurm.conf"))
    finally:
        subprocess.run([str(CLUSTER), "stop", str(state)], timeout=120)


def targets(config) -> list[str]:
    """Every kind of job, small: the figures of one Part A experiment (its training stack and
    evaluation through Slurm), of one deep network that shares its axes with no other (one
    training, not a gain family's four), and of one demo (a job of seconds, run beside Snakemake).
    Studies, the Part A summary and the site are left to the local tests."""
    import yaml

    from pipeline.plots import FIGURES
    from pipeline.workflow.plan import Plan
    plan = Plan(yaml.safe_load((ROOT / "config.yaml").read_text()))
    mlp = next(n for n, s in config["resolved"].items() if s["part"] == "A")
    deep = min((n for n in plan.experiments.shown() if plan.experiments.resolved[n]["kind"] == "deep"),
               key=lambda n: len(plan.figures.family(n)))  # the first of the smallest families
    assert plan.figures.family(deep) == [deep], deep
    demo = next(iter(config["demos"]))
    return ([f"figures/{mlp}/{f}.json" for f in FIGURES["mlp"]]
            + [f"figures/{deep}/{f}.json" for f in FIGURES["deep"]]
            + [f"figures/{demo}/{demo}.json"])


def sacct(env: dict, *fields: str) -> list[list[str]]:
    out = subprocess.run(["sacct", "-X", "-a", "-n", "-P", "--starttime", "now-1days",
                          "--format", ",".join(fields)], env=env, capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return [line.split("|") for line in out.splitlines() if line]


def test_slurm_runs_the_dag_like_a_local_run(slurm, quick_run, names_path, config, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    want = targets(config)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work),
           "--profile", str(ROOT / "profiles" / "slurm"),
           "--configfile", str(ROOT / "config.yaml"), str(ROOT / "config.quick.yaml"),
           "--config", f"names_path={names_path}",
           "--slurm-init-seconds-before-status-checks", "5",  # the profile's default suits a real queue
           "--jobs", "4", *want]
    t0 = time.monotonic()
    proc = run_watched(cmd, env=slurm)  # bounded by silence, not wall time: conftest
    took = time.monotonic() - t0
    assert proc.returncode == 0, f"snakemake --profile profiles/slurm failed:\n{proc.stdout[-4000:]}\n" \
                                 f"{proc.stderr[-8000:]}"
    print(f"the DAG took {took:.0f} s through Slurm")

    # ---- the jobs went through Slurm, and Slurm's accounting knows them ----
    jobs = sacct(slurm, "JobID", "State", "Account", "Comment", "ReqMem", "Timelimit")
    print("\n".join("  ".join(j) for j in jobs))
    assert jobs, "sacct lists no jobs"
    assert {j[1] for j in jobs} == {"COMPLETED"}, f"not every Slurm job completed: {jobs}"
    assert {j[2] for j in jobs} == {ACCOUNT}, "the jobs were not charged to the user's default account"
    ran = {j[3].split("_wildcards_")[0].removeprefix("rule_") for j in jobs}  # the plugin's rule_<name>...
    assert {"plot_mlp", "plot_deep"} <= ran, ran
    assert any(r.startswith("train") for r in ran), ran
    # the jobs of a few seconds (the Snakefile's `localrules:`) ran beside Snakemake, not queued
    assert not {"data", "demo", "plot_demo"} & ran, ran
    # Slurm got what the Snakefile declares (pipeline/workflow/resources.py): memory and time limit
    from pipeline.workflow import resources
    ask = resources.rule("plot")
    plot = next(j for j in jobs if j[3].startswith("rule_plot_mlp"))
    limit = f"{ask['runtime'] // 60:02d}:{ask['runtime'] % 60:02d}:00"
    assert mem_mb(plot[4]) == ask["mem_mb"] and plot[5] == limit, plot

    # ---- the results equal the local run of the same config ----
    runs = sorted(p.parent.name for p in (work / "results" / "runs").glob("*/metrics.json"))
    assert runs, "no training run came back"
    for name in runs:
        ours = json.loads((work / "results" / "runs" / name / "metrics.json").read_text())
        local = json.loads((quick_run / "results" / "runs" / name / "metrics.json").read_text())
        assert untimed(ours) == untimed(local), f"{name}: metrics differ between Slurm and the local run"
    legends = sorted((work / "figures").rglob("*.json"))
    assert len(legends) >= len(want)
    for f in legends:
        rel = f.relative_to(work)
        assert json.loads(f.read_text()) == json.loads((quick_run / rel).read_text()), \
            f"{rel} differs between Slurm and the local run"
