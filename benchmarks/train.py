"""Train experiments straight into run directories, outside the workflow (no rule runs this).

    python benchmarks/train.py train --experiment kaiming --data data/names.txt --out /tmp/kaiming
    python benchmarks/train.py train --spec '<resolved spec as JSON>' --data data/names.txt --out /tmp/r
    python benchmarks/train.py train-many --specs '[<spec>, ...]' --data data/names.txt --out /tmp/a /tmp/b

`train` is the lecture's loop for one experiment (pipeline.training.loop.train); `train-many` trains
experiments that share an architecture as one stacked computation (pipeline.training.jobs.train_many).
Both write what the workflow's `train-stack` + `evaluate` write: metrics.json, history.npz,
probes.npz, samples.txt and checkpoint.pt per run directory, and print each run's losses as JSON.
Errors are the CLI's: one `error:` line, exit status 1 (pipeline.cli.guarded).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.cli import guarded  # noqa: E402
from pipeline.steps.args import count, json_arg  # noqa: E402

LOSSES = ("experiment", "initial_loss", "train_loss", "val_loss", "test_loss")


def _spec(a) -> dict:
    from pipeline.config.spec import check_spec
    if a.spec:
        return check_spec(json_arg(a.spec, "--spec"))
    from pipeline.config import PRESENTATION_KEYS, load
    cfg = load(*a.configfile)
    if a.experiment not in cfg["resolved"]:
        raise SystemExit(f"error: no experiment {a.experiment!r} in {', '.join(a.configfile)}; "
                         f"known: {', '.join(cfg['resolved'])}")
    return {k: v for k, v in cfg["resolved"][a.experiment].items() if k not in PRESENTATION_KEYS}


def train(a) -> None:
    from pipeline.training.loop import train
    m = train(_spec(a), a.data, a.out, threads=a.threads, checkpoint_every=a.checkpoint_every)
    print(json.dumps({k: m[k] for k in (*LOSSES, "n_params", "train_seconds", "ms_per_step")}))


def train_many(a) -> None:
    from pipeline.config.spec import check_specs
    from pipeline.training.jobs import train_many
    specs = check_specs(json_arg(a.specs, "--specs"), len(a.out), "resolved experiment specs, one per --out directory")
    for m in train_many(specs, a.data, a.out, threads=a.threads, checkpoint_every=a.checkpoint_every):
        print(json.dumps({k: m[k] for k in (*LOSSES, "train_seconds", "ms_per_step")}))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python benchmarks/train.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="step", required=True, metavar="STEP")
    s = sub.add_parser("train", help="train one experiment into a run directory",
                       description="Train one experiment (a resolved spec as JSON, or a name from the config) "
                                   "and write metrics.json, history.npz, probes.npz, samples.txt and "
                                   "checkpoint.pt to --out.")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--spec", help="a resolved experiment spec as JSON")
    g.add_argument("--experiment", help="an experiment name from --configfile")
    s.add_argument("--configfile", nargs="+", default=["config.yaml"], help="config files, later override earlier")
    s.add_argument("--out", required=True, help="the run directory, e.g. /tmp/kaiming")
    s.set_defaults(run=train)
    m = sub.add_parser("train-many", help="train several experiments at once with the batched engine",
                       description="Train experiments that share an architecture as one stacked computation "
                                   "(pipeline/training/engine.py) and write one run directory per experiment, the "
                                   "same files as `train`.")
    m.add_argument("--specs", required=True, help="a JSON list of resolved experiment specs")
    m.add_argument("--out", nargs="+", required=True, help="one run directory per spec, in order")
    m.set_defaults(run=train_many)
    for q, every in ((s, "steps between resumable checkpoints"),
                     (m, "steps between resumable checkpoints of each stack (in its first run directory)")):
        q.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
        q.add_argument("--threads", type=count(1), default=1, help="torch threads (default 1)")
        q.add_argument("--checkpoint-every", type=count(0), default=0, help=every)
    return p


def main(argv: list[str] | None = None) -> int:
    a = parser().parse_args(argv)
    return guarded(a.run, a)


if __name__ == "__main__":
    sys.exit(main())
