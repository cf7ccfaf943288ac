"""A resolved experiment spec handed to a training step on the command line (`--spec`, `--specs`):
checked for shape before any work, so a hand-written or truncated spec is one line naming what is
missing, not a KeyError deep in the loop."""

from __future__ import annotations

from pipeline.config.core import PRESENTATION_KEYS
from pipeline.config.schema import schema as _schema
from pipeline.errors import ConfigError

# what resolution adds to an experiment's own keys (core.validate): the name, the data settings, sampling
RESOLVED_KEYS = ("name", "block_size", "split_seed", "sampling")
HOW = ("pass the spec the workflow resolves (`snakemake -n -p` prints it), or train a configured experiment "
       "with `python benchmarks/train.py train --experiment NAME --configfile config.yaml`")


def check_spec(spec, where: str = "--spec") -> dict:
    """`spec` if it has the keys a training step reads; ConfigError naming the first problem otherwise."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected a JSON object (one resolved experiment), got {type(spec).__name__}; "
                          f"{HOW}.")
    kinds = _schema()["kinds"]
    kind = spec.get("kind")
    if kind not in kinds:
        raise ConfigError(f"{where}: 'kind' must be one of {', '.join(kinds)}, got {kind!r}; {HOW}.")
    need = [k for k in kinds[kind]["required"] if k not in PRESENTATION_KEYS and k != "part"] + list(RESOLVED_KEYS)
    missing = [k for k in need if k not in spec]
    if missing:
        raise ConfigError(f"{where}: the {kind} spec{' ' + repr(spec['name']) if 'name' in spec else ''} lacks "
                          f"{', '.join(missing)}; {HOW}.")
    return spec


def check_specs(specs, n: int, what: str, fill=None) -> list[dict]:
    """--specs (parsed): a list of `what`, n of them, each checked for shape (after `fill`)."""
    if not isinstance(specs, list) or not specs or len(specs) != n:
        raise ConfigError(f"--specs: expected a JSON list of {what}.")
    return [check_spec(fill(s) if fill and isinstance(s, dict) else s, f"--specs[{i}]") for i, s in enumerate(specs)]
