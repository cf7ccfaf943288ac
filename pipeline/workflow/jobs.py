"""The training and evaluation jobs, and what Snakemake compares to decide they must rerun.

Every training writes results/train/<id>/trained.pt, where <id> hashes the training spec (all
that moves its numbers, pipeline/training/groups.py); every experiment's run directory is written
from its training's file by an evaluation job. One training job per stack (`train_<label>`,
runtime.engine: batched: a training's seeds) or per training (rule `train`, simple), and one
evaluation job per training job (`evaluate_<label>`), for every experiment its trainings serve.

What a job's rerun depends on, all by documented Snakemake triggers:

- a training job's params are its trainings' specs, plain values: they change only when a
  training changes (and then its output path changes too) or when the stack is regrouped. They
  hold no experiment name, so renaming an experiment retrains nothing;
- an evaluation job's params are its experiments' specs (without their presentation text):
  sampling, eval_stats, momentum and names rerun the evaluation, never the training;
- `checkpoint_every` reaches the training command as a resource (`{resources.checkpoint_every}`):
  Snakemake never reruns a job for its resources, and a resumed training ends with the same
  numbers, as rule `data` passes where the word list comes from (rules/data.smk).
"""

from __future__ import annotations

from pipeline.workflow.experiments import Experiments, compact_json, run_files


class Runtime:
    """config.yaml `runtime:`: threads and checkpoints of a training job, and the engine."""

    def __init__(self, cfg: dict):
        rt = cfg["runtime"]
        self.threads: int = rt["threads"]
        self.checkpoint_every: int = rt["checkpoint_every"]  # a resource: a resumed run ends with the same numbers
        self.engine: str = rt.get("engine", "batched")
        self.max_group: int | None = rt.get("max_group")


def trained_path(tid: str) -> str:
    return f"results/train/{tid}/trained.pt"


def training_files(tid: str) -> list[str]:
    """What a training writes: its trained.pt and, beside it, what it cost (store.py)."""
    return [trained_path(tid), f"results/train/{tid}/timing.json"]


class TrainingJobs:
    """The trainings (id -> spec and the experiments it serves) and the jobs over them: `members`
    maps a batched training job's label to its training ids (empty with the simple engine, whose
    rule `train` takes one training id); `evaluations` maps each evaluation job's label to the
    training ids it evaluates, the same groups as the training jobs."""

    def __init__(self, experiments: Experiments, runtime: Runtime):
        from pipeline.training.groups import singles, stacks, trainings
        self.experiments = experiments
        self.runtime = runtime
        self.trainings: dict[str, dict] = trainings(experiments.resolved)
        self.of = {e: tid for tid, t in self.trainings.items() for e in t["experiments"]}
        batched = runtime.engine == "batched"
        self.members: dict[str, list[str]] = stacks(self.trainings, runtime.max_group) if batched else {}
        self.evaluations: dict[str, list[str]] = self.members if batched else singles(self.trainings)

    def __iter__(self):
        return iter(self.members)

    def simple_pattern(self) -> str:
        """The training ids rule `train` (one job each) may make: all with the simple engine, else none."""
        return "|".join(self.trainings) if self.runtime.engine == "simple" and self.trainings else "(?!)"

    # ---- training jobs ----

    def outputs(self, job: str) -> list[str]:
        """A batched training job's trained.pt files, one per training, in order."""
        return [trained_path(t) for t in self.members[job]]

    def timings(self, job: str) -> list[str]:
        """The timing.json beside each of them (store.py)."""
        return [training_files(t)[1] for t in self.members[job]]

    def specs_json(self, job: str) -> str:
        """The params of a batched training job: its training specs, in order (their ids are its outputs)."""
        return compact_json([self.trainings[t]["spec"] for t in self.members[job]])

    def spec_json(self, wildcards) -> str:
        """The params of rule `train` (simple engine): the spec of training `wildcards.tid`."""
        return compact_json([self.trainings[wildcards.tid]["spec"]])

    def specs(self, job: str) -> list[dict]:
        return [self.trainings[t]["spec"] for t in self.members[job]]

    # ---- evaluation jobs ----

    def served(self, job: str) -> list[str]:
        """The experiments evaluation job `job` writes, in config order."""
        return [e for t in self.evaluations[job] for e in self.trainings[t]["experiments"]]

    def trained(self, job: str) -> list[str]:
        """The inputs of evaluation job `job`: its trainings' files."""
        return [f for t in self.evaluations[job] for f in training_files(t)]

    def run_outputs(self, job: str) -> list[str]:
        return [f for e in self.served(job) for f in run_files(e)]

    def eval_specs_json(self, job: str) -> str:
        """The params of an evaluation job: its experiments' specs without their presentation text."""
        return compact_json([self.experiments.train_spec(e) for e in self.served(job)])

    def eval_trained(self, job: str) -> list[str]:
        """Each served experiment's training file, in the order of eval_specs_json (for the command)."""
        return [trained_path(self.of[e]) for e in self.served(job)]

    def run_dirs(self, job: str) -> list[str]:
        return [f"results/runs/{e}" for e in self.served(job)]
