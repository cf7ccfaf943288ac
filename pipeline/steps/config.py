"""Writes the config that Snakemake resolved from config.yaml, every --configfile and --config, as
one JSON file, after validating it."""

from __future__ import annotations

NAME = "config"
HELP = "write the config Snakemake resolved (what the site rules read)"


def add_arguments(p) -> None:
    p.add_argument("--json", required=True, help="the resolved config as JSON text (the Snakefile passes it)")
    p.add_argument("--out", required=True, help="e.g. results/config.json")


def run(a) -> None:
    import json

    from pipeline.config import validate
    from pipeline.io import write_json
    cfg = json.loads(a.json)
    validate(cfg, source="the resolved config")  # what the rules will read must be valid
    write_json(a.out, cfg)
    print(f"wrote the resolved config to {a.out}")
