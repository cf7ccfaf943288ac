"""What a finished Snakemake run cost: CPU per kind of job, the longest job, the critical path.

    python benchmarks/dag_cost.py [RUN_DIR] [--cores 2] [--log .snakemake/log/<run>.snakemake.log]

Reads the run's own records, nothing estimated: the Snakemake log of the run (every job's rule,
inputs, outputs, benchmark file, and when it started and finished) and each job's benchmark file
(results/benchmarks/**.tsv: `s`, the job's wall seconds, and `cpu_time`, the CPU seconds of its
process tree). A job depends on the jobs of this run that made its inputs. The critical path is
the chain of jobs with the most wall seconds: no number of cores finishes the run sooner. Against
it stand the total CPU over the cores (no schedule on that many cores finishes sooner either) and
the run's measured wall time (first job start to last job end, from the log). A job without a
benchmark file (the site's bookkeeping rules) counts with the seconds the log gives it.

Wall seconds move with what else the machine runs; CPU seconds much less so. Compare runs made
the same way (the same machine, alone or under the same load). Snakemake samples a job's CPU
(every half second for its first 30 samples, then every 30 s), so a long job's last seconds are missed and the
CPU column is a lower bound; for the whole run's true CPU, time the command itself
(`/usr/bin/time -v snakemake -j4`, user + system), which also counts Snakemake's own work.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

_STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
_RULE = re.compile(r"^(?:local)?(?:checkpoint|rule) (\S+):$")
_FINISHED = re.compile(r"^Finished jobid: (\d+)")


@dataclass
class Job:
    jobid: str
    rule: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    benchmark: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    wall: float = 0.0  # seconds: the benchmark's, else the log's
    cpu: float = 0.0


def _stamp(text: str) -> datetime:
    return datetime.strptime(" ".join(text.split()), "%a %b %d %H:%M:%S %Y")


def parse_log(path: Path) -> dict[str, Job]:
    """Every job the run started, by jobid, with when it started and (if it did) finished."""
    jobs: dict[str, Job] = {}
    now, job = None, None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if m := _STAMP.match(line):
            now, job = _stamp(m.group(1)), None
        elif m := _RULE.match(line):
            job = Job(jobid="?", rule=m.group(1), start=now)
        elif job is not None and raw.startswith("    ") and ": " in line:
            key, value = line.split(": ", 1)
            if key == "jobid":
                job.jobid = value
                jobs[value] = job
            elif key in ("input", "output"):
                getattr(job, key + "s").extend(v.strip() for v in value.split(","))
            elif key == "benchmark":
                job.benchmark = value
        elif m := _FINISHED.match(line):
            job = None
            if m.group(1) in jobs:
                jobs[m.group(1)].end = now
    return jobs


def read_benchmark(path: Path) -> tuple[float, float] | None:
    """(wall s, cpu s) of a benchmark file's last row; None if it is missing or empty."""
    try:
        rows = list(csv.DictReader(path.open(), delimiter="\t"))
    except OSError:
        return None
    if not rows:
        return None
    row = rows[-1]
    return float(row["s"]), float(row["cpu_time"]) if row.get("cpu_time") not in (None, "", "NA") else 0.0


def critical_path(jobs: dict[str, Job]) -> tuple[float, list[Job]]:
    """The chain of jobs (each depending on the one before) with the most wall seconds."""
    made_by = {o: j for j in jobs.values() for o in j.outputs}
    deps = {j.jobid: {made_by[i].jobid for i in j.inputs if i in made_by} - {j.jobid} for j in jobs.values()}
    best: dict[str, tuple[float, str | None]] = {}

    def longest(jid: str) -> tuple[float, str | None]:
        if jid not in best:
            before = max(((longest(d)[0], d) for d in deps[jid]), default=(0.0, None))
            best[jid] = (before[0] + jobs[jid].wall, before[1])
        return best[jid]

    sys.setrecursionlimit(max(1000, 4 * len(jobs)))
    end = max(jobs, key=lambda j: longest(j)[0])
    chain, jid = [], end
    while jid is not None:
        chain.append(jobs[jid])
        jid = best[jid][1]
    return best[end][0], chain[::-1]


def kind(rule: str) -> str:
    """Rules made per job (train_<label>, evaluate_<label>) grouped by what they do."""
    return rule.split("_", 1)[0] if rule.startswith(("train_", "evaluate_", "study_")) else rule


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", nargs="?", default=".", help="the run's working directory (default: here)")
    p.add_argument("--log", help="its Snakemake log (default: the newest under .snakemake/log/ that ran jobs)")
    p.add_argument("--cores", type=int, default=2, help="the cores the run had (default 2)")
    a = p.parse_args()
    run = Path(a.run)
    if a.log:
        log = Path(a.log)
    else:
        logs = sorted((run / ".snakemake" / "log").glob("*.snakemake.log"), reverse=True)
        log = next((f for f in logs if "jobid:" in f.read_text()), None)
        if log is None:
            raise SystemExit(f"error: no Snakemake log with jobs under {run}/.snakemake/log; run the pipeline "
                             "there first, or pass --log.")
    jobs = parse_log(log)
    if not jobs:
        raise SystemExit(f"error: {log} names no job; pass the log of a run that ran jobs.")
    unfinished = [j for j in jobs.values() if j.end is None]
    missing = []
    for j in jobs.values():
        b = read_benchmark(run / j.benchmark) if j.benchmark else None
        if b:
            j.wall, j.cpu = b
        else:
            if j.benchmark:
                missing.append(j.benchmark)
            j.wall = (j.end - j.start).total_seconds() if j.end and j.start else 0.0
    total_cpu = sum(j.cpu for j in jobs.values())
    starts = [j.start for j in jobs.values() if j.start]
    ends = [j.end for j in jobs.values() if j.end]
    measured = (max(ends) - min(starts)).total_seconds() if ends else float("nan")
    length, chain = critical_path(jobs)
    longest = max(jobs.values(), key=lambda j: j.wall)
    bound = total_cpu / a.cores

    print(f"# {log.name}: {len(jobs)} jobs" + (f", {len(unfinished)} not finished" if unfinished else ""))
    if missing:
        print(f"# {len(missing)} job(s) without a benchmark file; counted with the log's seconds")
    by_kind: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    for j in jobs.values():
        row = by_kind[kind(j.rule)]
        row[0] += 1
        row[1] += j.cpu
        row[2] = max(row[2], j.wall)
    print(f"\n{'jobs of rule':24s} {'jobs':>5} {'CPU s':>9} {'longest s':>10}")
    for k, (n, cpu, top) in sorted(by_kind.items(), key=lambda kv: -kv[1][1]):
        print(f"{k:24s} {n:>5} {cpu:>9.1f} {top:>10.1f}")
    print(f"{'all':24s} {len(jobs):>5} {total_cpu:>9.1f} {longest.wall:>10.1f}")
    print(f"\ntotal CPU / {a.cores} cores:         {bound:8.1f} s")
    print(f"longest job ({longest.rule}): {longest.wall:8.1f} s wall")
    print(f"critical path ({len(chain)} jobs):  {length:8.1f} s wall = {length / bound:.2f} x total CPU / cores")
    print(f"measured wall (log):            {measured:8.1f} s = {measured / bound:.2f} x total CPU / cores")
    print("critical path: " + " -> ".join(f"{j.rule} ({j.wall:.0f} s)" for j in chain))


if __name__ == "__main__":
    main()
