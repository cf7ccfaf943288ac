"""Estimate the default pipeline's training wall time, simple loop against batched engine.

    python benchmarks/pipeline_estimate.py --names data/names.txt [--cores 2] [--probe-steps 200]

A full run of the default config takes hours with the simple loop, so this measures instead:
for every training job the Snakefile would run with `runtime.engine: batched` (the stacks of
pipeline/training/groups.py), the engine's seconds per step on a short run of that exact stack, and the
simple loop's seconds per step on one model of the same kind; both are scaled to the full step
counts. Jobs are then packed onto `--cores` cores (longest first, one thread per job, as
`snakemake -j<cores>` does) to give a wall time for each engine, and the longest job against
total / cores says how well the stacks balance. It is an estimate: it leaves out the plots, the
site and each job's start (the same for both) and assumes steady per-step cost.
"""

from __future__ import annotations

import argparse
import heapq
import io
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load  # noqa: E402
from pipeline.data import load_dataset  # noqa: E402
from pipeline.training.groups import group_specs, stacks, trainings  # noqa: E402
from pipeline.training.jobs import fit_all, with_defaults  # noqa: E402
from pipeline.training.loop import train  # noqa: E402


def wall(durations: list[float], cores: int) -> float:
    loads = [0.0] * cores
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--names", default=str(ROOT / "data" / "names.txt"))
    p.add_argument("--config", default=str(ROOT / "config.yaml"))
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--probe-steps", type=int, default=200)
    p.add_argument("--layout", choices=("trainings", "architecture"), default="trainings",
                   help="trainings: the jobs the Snakefile runs (a training's seeds, experiments that differ "
                        "only in their evaluation trained once); architecture: the earlier layout, every "
                        "experiment trained, stacked by architecture and step count, cut at max_group")
    a = p.parse_args()
    torch.set_num_threads(1)
    cfg = load(a.config)
    resolved = cfg["resolved"]
    data = load_dataset(a.names)
    trains = trainings(resolved)
    if a.layout == "trainings":
        jobs = {job: [with_defaults(trains[t]["spec"]) for t in tids]
                for job, tids in stacks(trains, cfg["runtime"].get("max_group")).items()}
    else:
        specs = list(resolved.values())
        jobs = {specs[idx[0]]["name"] + f"+{len(idx) - 1}": [specs[i] for i in idx]
                for idx in group_specs(specs, cfg["runtime"].get("max_group"))}
    simple_rate: dict[tuple, float] = {}
    trains_of = {tid: t["experiments"][0] for tid, t in trains.items()}  # an experiment of each (named by id)
    trains_of |= {n: n for n in resolved}
    engine_jobs, simple_jobs = [], []
    print(f"{'job':40s} {'models':>6} {'steps':>7} {'simple s/model':>14} {'engine s/job':>12} {'ratio':>6}")
    with tempfile.TemporaryDirectory() as tmp:
        for job, specs in jobs.items():
            names = [s["name"] for s in specs]
            steps = specs[0]["steps"]
            n = min(a.probe_steps, steps)
            short = [dict(s, steps=n, lr_decay_step=None) for s in specs]
            key = (specs[0]["kind"], specs[0].get("norm"), bool(specs[0].get("batchnorm")), specs[0].get("activation"))
            if key not in simple_rate:
                probe = dict(resolved[trains_of[names[0]]], steps=n, lr_decay_step=None)
                m = train(dict(probe, sampling=dict(probe["sampling"], count=0)), data, Path(tmp) / job,
                          log=io.StringIO())
                simple_rate[key] = m["train_seconds"] / n
            t = time.perf_counter()
            fit_all(short, data, [Path(tmp) / job / str(i) for i in range(len(short))], log=io.StringIO(),
                    done=lambda *_: None)
            t_engine = (time.perf_counter() - t) / n * steps
            t_simple = simple_rate[key] * steps
            engine_jobs.append(t_engine)
            simple_jobs += [t_simple] * len(names)
            print(f"{job:40s} {len(names):>6} {steps:>7} {t_simple:>14.1f} {t_engine:>12.1f} "
                  f"{t_simple * len(names) / t_engine:>5.1f}x", flush=True)
    cs, ce = sum(simple_jobs), sum(engine_jobs)
    ws, we = wall(simple_jobs, a.cores), wall(engine_jobs, a.cores)
    print(f"\ntraining core-seconds: simple {cs:.0f}, engine {ce:.0f} ({cs / ce:.1f}x)")
    print(f"training wall on {a.cores} cores ({len(simple_jobs)} simple jobs, {len(engine_jobs)} engine jobs): "
          f"simple {ws:.0f} s, engine {we:.0f} s ({ws / we:.1f}x)")
    print(f"engine: longest job {max(engine_jobs):.0f} s against total / cores {ce / a.cores:.0f} s "
          f"(wall / (total / cores) = {we / (ce / a.cores):.2f})")


if __name__ == "__main__":
    main()
