"""The training jobs: one per experiment (the simple loop) or one per stack of experiments that
share an architecture and step count (the batched engine, pipeline/training/groups.py)."""

from __future__ import annotations

import re

from pipeline.workflow.experiments import Experiments, compact_json, run_files


class Runtime:
    """config.yaml `runtime:`: threads and checkpoints of a training job, and the engine."""

    def __init__(self, cfg: dict):
        rt = cfg["runtime"]
        self.threads: int = rt["threads"]
        self.checkpoint_every: int = rt["checkpoint_every"]
        self.engine: str = rt.get("engine", "batched")
        self.max_group: int | None = rt.get("max_group")


class TrainingJobs:
    """Batched engine: job name -> the experiments it trains as one stack, grouped once.
    Editing one experiment reruns its job only; its stack-mates ride along."""

    def __init__(self, experiments: Experiments, runtime: Runtime):
        self.experiments = experiments
        self.runtime = runtime
        self.members: dict[str, list[str]] = self._group() if runtime.engine == "batched" else {}

    def _group(self) -> dict[str, list[str]]:
        from pipeline.training.groups import job_groups
        jobs = job_groups(self.experiments.resolved, self.runtime.max_group)
        return {re.sub(r"[^A-Za-z0-9_]", "_", k.split("+")[0]) + f"_x{len(v)}": v for k, v in jobs.items()}

    def __iter__(self):
        return iter(self.members)

    def simple_pattern(self) -> str:
        """The experiments rule `train` (the simple loop, one job each) may make: all, or none."""
        return self.experiments.pattern() if self.runtime.engine == "simple" else "(?!)"

    def outputs(self, job: str) -> list[str]:
        return [f for e in self.members[job] for f in run_files(e)]

    def run_dirs(self, job: str) -> list[str]:
        return [f"results/runs/{e}" for e in self.members[job]]

    def specs_json(self, job: str) -> str:
        return compact_json([self.experiments.train_spec(e) for e in self.members[job]])
