"""Evaluate finished trainings (trained.pt of `train-stack`) as experiments (running statistics or
calibrated BatchNorm, losses, samples) into run directories. An experiment with on_divergence: stop
whose training diverged fails the step."""

from __future__ import annotations

from pipeline.steps.args import count

NAME = "evaluate"
HELP = "write experiments' run directories from their trainings"


def add_arguments(p) -> None:
    p.add_argument("--specs", required=True, help="a JSON list of resolved experiment specs")
    p.add_argument("--trained", nargs="+", required=True, help="each spec's training file (trained.pt), in order")
    p.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
    p.add_argument("--out", nargs="+", required=True, help="each spec's run directory, e.g. results/runs/kaiming")
    p.add_argument("--threads", type=count(1), default=1, help="torch threads: its training job's (default 1)")


def run(a) -> None:
    import json

    import torch

    from pipeline.config.spec import check_specs
    from pipeline.errors import ConfigError
    from pipeline.steps.args import json_arg
    from pipeline.training.store import evaluate_many
    if len(a.trained) != len(a.out):
        raise ConfigError(f"evaluate: {len(a.trained)} --trained files but {len(a.out)} --out directories.")
    specs = check_specs(json_arg(a.specs, "--specs"), len(a.out),
                        "resolved experiment specs, one per --trained file and --out directory")
    torch.set_num_threads(a.threads)  # the training job's: the same threads give the same numbers
    for m in evaluate_many(specs, a.trained, a.data, a.out):
        print(json.dumps({k: m[k] for k in ("experiment", "initial_loss", "train_loss", "val_loss", "test_loss")}))
