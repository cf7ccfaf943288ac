"""The training jobs and what they write (pipeline/training/groups.py says what a training is).

Every training writes results/train/<id>/trained.pt, where <id> hashes everything that moves its
numbers, and every experiment's run directory is written from its training's file by rule
`evaluate`. So the path of a training job's output is its identity, and its params carry nothing
Snakemake should compare (`Untracked`): a change that moves a number is a new path, and one that
moves none (checkpoint_every, how trainings are stacked, max_group, an experiment added beside
them) reruns no training. With `runtime.engine: simple` each training is a job of its own (rule
`train`); with `batched`, the seeds of one training are one job (groups.stacks).
"""

from __future__ import annotations

from pipeline.workflow.experiments import Experiments, compact_json


class Untracked:
    """A job param that reaches the shell command but that Snakemake does not compare between runs
    (its params trigger compares the params it can represent, the builtin types; this is none of them).
    For values that change no output: the cadence of checkpoints, and specs already hashed in the
    output paths."""

    def __init__(self, value):
        self.value = value

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Runtime:
    """config.yaml `runtime:`: threads and checkpoints of a training job, and the engine."""

    def __init__(self, cfg: dict):
        rt = cfg["runtime"]
        self.threads: int = rt["threads"]
        self.checkpoint_every = Untracked(rt["checkpoint_every"])  # a resumed run ends with the same numbers
        self.engine: str = rt.get("engine", "batched")
        self.max_group: int | None = rt.get("max_group")


def trained_path(tid: str) -> str:
    return f"results/train/{tid}/trained.pt"


class TrainingJobs:
    """The trainings (id -> spec and the experiments it serves) and the jobs that train them:
    `members` maps a batched job's label to its training ids (empty with the simple engine)."""

    def __init__(self, experiments: Experiments, runtime: Runtime):
        from pipeline.training.groups import stacks, trainings
        self.experiments = experiments
        self.runtime = runtime
        self.trainings: dict[str, dict] = trainings(experiments.resolved)
        self.of = {e: tid for tid, t in self.trainings.items() for e in t["experiments"]}
        self.members: dict[str, list[str]] = (stacks(self.trainings, runtime.max_group)
                                              if runtime.engine == "batched" else {})

    def __iter__(self):
        return iter(self.members)

    def simple_pattern(self) -> str:
        """The training ids rule `train` (one job each) may make: all with the simple engine, else none."""
        return "|".join(self.trainings) if self.runtime.engine == "simple" and self.trainings else "(?!)"

    def outputs(self, job: str) -> list[str]:
        return [trained_path(t) for t in self.members[job]]

    def specs_json(self, job: str) -> Untracked:
        """The training specs of a batched job, for its command line (their ids are its outputs)."""
        return Untracked(compact_json([self.trainings[t]["spec"] for t in self.members[job]]))

    def spec_json(self, wildcards) -> Untracked:
        """The training spec of rule `train` (simple engine) for one training id."""
        return Untracked(compact_json([self.trainings[wildcards.tid]["spec"]]))

    def trained_of(self, wildcards) -> str:
        """The trained.pt that experiment `wildcards.exp` is evaluated from."""
        return trained_path(self.of[wildcards.exp])

    def specs(self, job: str) -> list[dict]:
        return [self.trainings[t]["spec"] for t in self.members[job]]
