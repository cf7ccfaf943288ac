"""Load and validate config.yaml; resolve each experiment into the spec a job runs.

Validation happens when the workflow loads, before any job starts: an unknown key,
a wrong type or an out-of-range value raises ConfigError naming the key and what is
allowed. The file is read strictly (yamlfile.py); structure is checked by the JSON Schema in
schema.yaml (schema.py), whose `beyond:` part is the studies' own (pipeline/studies/registry.py);
values the schema cannot judge (values.py) and the few rules that span keys are checked here.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path

from pipeline.config import schema as config_schema
from pipeline.config.gains import recommended_gain
from pipeline.config.names import check_names as _check_names
from pipeline.config.names import check_reserved as _check_reserved
from pipeline.config.schema import SCHEMA_PATH, check  # noqa: F401  (SCHEMA_PATH re-exported)
from pipeline.config.values import CPU_ONLY, check_command_line, check_cpu_only, numbers_from_text, parse_gain, walk
from pipeline.config.yamlfile import check_files, read_yaml  # noqa: F401  (re-exported)
from pipeline.errors import ConfigError  # noqa: F401  (re-exported)

__all__ = ["CPU_ONLY", "PRESENTATION_KEYS", "SCHEMA_PATH", "ConfigError", "check_files", "load", "merge",
           "parse_gain", "read_yaml", "resolve_experiment", "spec_hash", "validate"]

PRESENTATION_KEYS = ("title", "summary")  # text only: editing it never retrains


def resolve_experiment(cfg: dict, name: str) -> dict:
    """The experiment's full spec: its kind's defaults, overridden by its own keys."""
    exp = cfg["experiments"][name]
    spec = copy.deepcopy(cfg["defaults"][exp["kind"]])
    spec.update(copy.deepcopy(exp))
    return spec


def _resolved(cfg: dict, name: str, kinds: dict, root: dict, source: str) -> dict:
    """One experiment's spec, checked against its kind's schema and the rules across its keys."""
    spec = resolve_experiment(cfg, name)
    check(spec, kinds[spec["kind"]], root, ("experiments", name), source)
    where = f"{source}: experiments.{name}"
    if spec["gain"] == "recommended":  # torch.nn.init.calculate_gain's value, without torch (gains.py)
        spec["gain"] = recommended_gain(spec.get("activation", "tanh"))
    spec["gain"] = parse_gain(spec["gain"], f"{where}.gain")
    decay = spec["lr_decay_step"]
    if decay is not None and decay > spec["steps"]:
        origin = {k: f"experiments.{name}" if k in cfg["experiments"][name] else f"defaults.{spec['kind']}"
                  for k in ("lr_decay_step", "steps")}
        raise ConfigError(f"{where}.lr_decay_step: {decay} (from {origin['lr_decay_step']}) is past the "
                          f"last step: steps is {spec['steps']} (from {origin['steps']}). Set lr_decay_step "
                          "to at most steps, or to null for no decay.")
    if spec["kind"] == "mlp" and spec.get("batchnorm") and spec["init"]["b1"] is not None:
        raise ConfigError(f"{where}.init.b1: must be null with batchnorm (the batch mean cancels b1). "
                          "Set init.b1: null.")
    if spec["kind"] == "mlp" and not spec.get("batchnorm") and spec["init"]["b1"] is None:
        raise ConfigError(f"{where}.init.b1: null is only allowed with batchnorm; give a scale such as 0.01.")
    spec["name"] = name
    spec["block_size"] = cfg["data"]["block_size"]
    spec["split_seed"] = cfg["data"]["split_seed"]
    spec["sampling"] = dict(cfg["sampling"])
    return spec


def validate(cfg: dict, source: str = "config") -> dict:
    """Check the whole config; return it with every experiment resolved (cfg['resolved'])."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys to values, got {type(cfg).__name__}.")
    walk(cfg)
    cfg = numbers_from_text(cfg)
    for k in ("names_path", "names_sha256"):  # `--config names_sha256=null` arrives as the text "null"
        if isinstance(cfg.get(k), str) and cfg[k].strip().lower() in ("null", "none", "~", ""):
            cfg[k] = None
    check_command_line(cfg, source)
    check_cpu_only(cfg, source)
    root = config_schema.schema()
    kinds = root.pop("kinds")
    from pipeline.studies import registry  # each key of `beyond:` is a study's, with the study's schema
    root["properties"]["beyond"] = registry.beyond_schema()
    check(cfg, root, root, source=source)
    _check_names(cfg["experiments"], source)
    for kind, schema in kinds.items():  # defaults: known keys, right types; nothing required
        check(cfg["defaults"][kind], dict(schema, required=[]), root, ("defaults", kind), source)
    from pipeline.config import expand as studies
    cfg = dict(cfg)
    cfg["experiments"], cfg["expanded"] = studies.expand(cfg, ConfigError, source)
    resolved = {name: _resolved(cfg, name, kinds, root, source) for name in cfg["experiments"]}
    demos = cfg["demos"]
    bd = demos.get("batchnorm_demo")
    if bd and bd["moved_index"] >= len(bd["values"]):
        raise ConfigError(f"{source}: demos.batchnorm_demo.moved_index: {bd['moved_index']} is out of range "
                          f"for {len(bd['values'])} values; use 0..{len(bd['values']) - 1}.")
    out = dict(cfg)
    out["resolved"] = resolved
    studies.check(out, ConfigError, source)
    _check_reserved(out, registry.jobs(out.get("beyond") or {}, resolved), source)
    from pipeline.config import memory  # sizes nobody can run stop here, not in training
    memory.check(out, ConfigError, source)
    return out


def load(*paths: str | Path, overrides: dict | None = None) -> dict:
    """Read one or more YAML files (later ones override earlier ones, key by key), validate."""
    cfg: dict = {}
    for p in paths:
        merge(cfg, read_yaml(p))
    merge(cfg, overrides or {})
    return validate(cfg, source=", ".join(str(p) for p in paths) or "config")


def merge(base: dict, new: dict) -> dict:
    """Recursive update, as Snakemake merges several --configfile."""
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def spec_hash(spec: dict) -> str:
    """A short, stable digest of everything that determines a run's numbers."""
    blob = json.dumps(spec, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
