"""What one job asks a scheduler for: threads, memory (mem_mb), wall time (runtime, minutes).

Measured, not guessed. The numbers below are the largest seen in the `benchmark:` files of real
runs (results/benchmarks/<rule>/<job>.tsv: `max_rss` MB, `s` seconds) and in the ms_per_step of
the full-config runs' metrics.json, as printed by

    python profiles/slurm/measure.py . /tmp/a-quick-run ...

on the development machine (2 cores shared by several runs, so the times are pessimistic).
A request is the measurement times a headroom, so one slow node or a larger stack still fits;
a job that is killed for memory or time anyway is retried with twice the ask (`attempt`).
Locally Snakemake schedules by threads and, if given `--resources mem_mb=...`, by memory.
"""

from __future__ import annotations

import math

# ---- measured (profiles/slurm/measure.py; the Slurm rows by `sacct --format=JobID,MaxRSS`) ----
TRAIN_RSS_MB = {"mlp": 799, "deep": 1356}  # one training job, any engine: torch + data + eval
PER_MODEL_RSS_MB = {"mlp": 5, "deep": 10}  # each extra model of a batched stack (bad_init_x7 vs x1)
# slowest model-step seen (one thread): a job of one model, and per model of a batched stack.
# Deep nets train with the simple loop even inside a batched job (pipeline/training/engine.py).
MS_PER_STEP = {("mlp", "one"): 2.557, ("mlp", "stack"): 0.271,
               ("deep", "one"): 19.843, ("deep", "stack"): 19.843}
START_S = 10  # python + torch import, data load, split losses and samples: a quick job's wall time
RULE_RSS_MB = {  # the other rules: largest max_rss seen (study: rule study_*, benchmarks/beyond/)
    "data": 228, "plot": 288, "demo": 276, "report": 227, "study": 618, "site": 572,
    "evaluate": 1159,  # an evaluation job (run directories from training files), quick run
}
RULE_S = {"data": 7, "plot": 20, "demo": 10, "report": 3, "study": 16, "site": 30}
EVAL_S = {"start": 10, "run": 5}  # an evaluation job: its start, and each run directory it writes
# On a cluster every job also holds two Snakemake processes: the one Slurm starts (356 MB) and the
# job step it runs (about 300 MB: a Slurm step's MaxRSS minus the job's own max_rss). Slurm counts
# them against the job's memory, so every ask includes them.
WRAPPER_RSS_MB = 660

# ---- policy ----
MEM_HEADROOM = 1.5  # ask 1.5x the largest max_rss (plus the wrapper) ...
MEM_QUANTUM = 256  # ... rounded up to 256 MB
TIME_HEADROOM = 3  # cluster cores are often slower than a laptop's, and shared
MIN_RUNTIME = 10  # minutes: schedulers count in minutes and a shorter ask buys nothing


def mem_ask(mb: float) -> int:
    return int(math.ceil((mb * MEM_HEADROOM + WRAPPER_RSS_MB) / MEM_QUANTUM) * MEM_QUANTUM)


def runtime_ask(seconds: float) -> int:
    return max(MIN_RUNTIME, math.ceil(seconds * TIME_HEADROOM / 60))


def train(specs: list[dict]) -> dict:
    """mem_mb and runtime (minutes) for one training job over `specs` (one model, or a stack)."""
    kinds = {s["kind"] for s in specs}
    rss = max(TRAIN_RSS_MB[k] for k in kinds) + sum(PER_MODEL_RSS_MB[s["kind"]] for s in specs[1:])
    job = "stack" if len(specs) > 1 else "one"
    seconds = START_S * len(specs) + sum(s["steps"] * MS_PER_STEP[s["kind"], job] / 1e3 for s in specs)
    return {"mem_mb": mem_ask(rss), "runtime": runtime_ask(seconds)}


def rule(kind: str) -> dict:
    return {"mem_mb": mem_ask(RULE_RSS_MB[kind]), "runtime": runtime_ask(RULE_S[kind])}


def scaled(value: int):
    """A resource callable for Snakemake: the ask, doubled on each retry (`--retries`)."""
    def ask(wildcards, attempt):
        return value * 2 ** (attempt - 1)
    return ask


class Asks:
    """Each rule's `resources:`: the measured asks above, for the jobs of this config."""

    def __init__(self, trainings: dict[str, dict], stacks: dict[str, list[str]],
                 evaluations: dict[str, list[str]] | None = None):
        self.trainings = trainings  # training id -> {"spec": ..., "experiments": [...]}
        self.stacks = stacks  # batched training job -> its training ids
        self.evaluations = evaluations or {}  # evaluation job -> its training ids

    def training_job(self, job: str) -> dict:
        """mem_mb and runtime of a batched training job (one stack of trainings)."""
        return {k: scaled(v) for k, v in train([self.trainings[t]["spec"] for t in self.stacks[job]]).items()}

    def train_mem_mb(self, wildcards, attempt) -> int:
        """mem_mb of rule `train` (the simple loop, one training), doubled on each retry."""
        return train([self.trainings[wildcards.tid]["spec"]])["mem_mb"] * 2 ** (attempt - 1)

    def train_runtime(self, wildcards, attempt) -> int:
        """runtime (minutes) of rule `train`, doubled on each retry."""
        return train([self.trainings[wildcards.tid]["spec"]])["runtime"] * 2 ** (attempt - 1)

    def evaluation(self, job: str) -> dict:
        """mem_mb and runtime of an evaluation job: one model in memory at a time, a few seconds each."""
        n = sum(len(self.trainings[t]["experiments"]) for t in self.evaluations[job])
        ask = {"mem_mb": mem_ask(RULE_RSS_MB["evaluate"]), "runtime": runtime_ask(EVAL_S["start"] + n * EVAL_S["run"])}
        return {k: scaled(v) for k, v in ask.items()}

    @staticmethod
    def for_rule(kind: str) -> dict:
        """mem_mb and runtime of the light rules: data, plot, demo, report, study, site."""
        return {k: scaled(v) for k, v in rule(kind).items()}
