"""Train training specs (pipeline/training/groups.py: an experiment's spec without its evaluation
keys) with the batched engine, each into a trained.pt that `evaluate` turns into run directories."""

from __future__ import annotations

from pipeline.steps.args import count

NAME = "train-stack"
HELP = "train the trainings of one stack into their trained.pt files"


def add_arguments(p) -> None:
    p.add_argument("--specs", required=True, help="a JSON list of training specs")
    p.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
    p.add_argument("--out", nargs="+", required=True, help="one trained.pt per spec, in order")
    p.add_argument("--threads", type=count(1), default=1, help="torch threads (default 1)")
    p.add_argument("--checkpoint-every", type=count(0), default=0,
                   help="steps between resumable checkpoints (beside the first out file, in .resume/)")
    p.add_argument("--engine", choices=("batched", "simple"), default="batched",
                   help="simple: the lecture's loop for every spec (runtime.engine: simple)")


def run(a) -> None:
    from pipeline.config.spec import check_specs
    from pipeline.steps.args import json_arg
    from pipeline.training.jobs import train_stack, with_defaults
    # an experiment's spec without its evaluation keys (training/groups.py): no name, sampling, on_divergence
    specs = check_specs(json_arg(a.specs, "--specs"), len(a.out), "training specs, one per --out file",
                        fill=with_defaults)
    train_stack(specs, a.data, a.out, threads=a.threads, checkpoint_every=a.checkpoint_every,
                simple=a.engine == "simple")
