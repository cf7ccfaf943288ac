"""benchmarks/dag_cost.py reads a run's Snakemake log and benchmark files: jobs, their
dependencies through the files they make, CPU per kind of job, and the critical path."""

import subprocess
import sys

from tests.conftest import ROOT

LOG = """Building DAG of jobs...
[Mon Nov 23 20:00:00 2026]
localrule data:
    output: data/names.txt
    jobid: 1
    benchmark: results/benchmarks/data.tsv
    resources: tmpdir=/tmp
[Mon Nov 23 20:00:00 2026]
localrule train_a_x6:
    input: data/names.txt, pipeline/cli.py
    output: results/train/a/trained.pt, results/train/a/timing.json
    jobid: 2
    benchmark: results/benchmarks/train/a.tsv
    resources: tmpdir=/tmp
[Mon Nov 23 20:00:00 2026]
localrule train_b_x6:
    input: data/names.txt
    output: results/train/b/trained.pt
    jobid: 3
    benchmark: results/benchmarks/train/b.tsv
[Mon Nov 23 20:00:10 2026]
Finished jobid: 1 (Rule: data)
[Mon Nov 23 20:01:00 2026]
localrule evaluate_b_x6:
    input: results/train/b/trained.pt
    output: results/runs/b/metrics.json
    jobid: 4
    benchmark: results/benchmarks/evaluate/b.tsv
[Mon Nov 23 20:01:40 2026]
Finished jobid: 2 (Rule: train_a_x6)
[Mon Nov 23 20:02:00 2026]
Finished jobid: 3 (Rule: train_b_x6)
[Mon Nov 23 20:02:05 2026]
Finished jobid: 4 (Rule: evaluate_b_x6)
[Mon Nov 23 20:02:06 2026]
localrule site_pages:
    input: results/runs/b/metrics.json, results/train/a/timing.json
    output: site/index.html
    jobid: 5
[Mon Nov 23 20:02:09 2026]
Finished jobid: 5 (Rule: site_pages)
"""
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def test_dag_cost_reads_the_critical_path_and_cpu_of_a_run(tmp_path):
    (tmp_path / ".snakemake/log").mkdir(parents=True)
    (tmp_path / ".snakemake/log/run.snakemake.log").write_text(LOG)
    for path, wall, cpu in (("data", 10, 2), ("train/a", 100, 99), ("train/b", 60, 58), ("evaluate/b", 45, 5)):
        f = tmp_path / "results/benchmarks" / f"{path}.tsv"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(HEADER + f"{wall}\t0\t1\t1\t1\t1\t0\t0\t90\t{cpu}\n")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks/dag_cost.py"), str(tmp_path), "--cores", "2"],
                         capture_output=True, text=True, check=True).stdout
    flat = " ".join(out.split())
    # data 10 -> train b 60 -> evaluate b 45 -> site 3 (from the log) = 118 s beats data -> train a -> site (113 s)
    assert "critical path (4 jobs): 118.0 s wall = 1.44 x total CPU / cores" in flat, out
    assert "data (10 s) -> train_b_x6 (60 s) -> evaluate_b_x6 (45 s) -> site_pages (3 s)" in flat, out
    assert "total CPU / 2 cores: 82.0 s" in flat, out  # (2 + 99 + 58 + 5) / 2
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line[:1].isalpha()}
    assert rows["train"][:2] == ["2", "157.0"] and rows["evaluate"][:2] == ["1", "5.0"], out
    assert "measured wall (log): 129.0 s" in flat, out  # 20:00:00 to 20:02:09
