"""Validate config files exactly as the workflow does when it loads."""

from __future__ import annotations

NAME = "validate"
HELP = "check config files and list the experiments"


def add_arguments(p) -> None:
    p.add_argument("--configfile", nargs="+", default=["config.yaml"])


def run(a) -> None:
    from pipeline.config import load, memory
    from pipeline.errors import ConfigError
    cfg = load(*a.configfile)
    for name, s in cfg["resolved"].items():
        print(f"{name:24s} kind={s['kind']:4s} part={s['part']} steps={s['steps']}")
    print(memory.run_cost(cfg, ConfigError))
