"""Load and validate config.yaml; resolve each experiment into the spec a job runs.

Validation happens when the workflow loads, before any job starts: an unknown key,
a wrong type or an out-of-range value raises ConfigError naming the key and what is
allowed. Structure is checked by the JSON Schema in schema.yaml (jsonschema); the few
rules that span keys are checked here.
"""

from __future__ import annotations

import copy
import hashlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and how to fix it."""


def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _describe(error: jsonschema.ValidationError, root: dict, prefix: tuple = ()) -> str:
    """One paragraph: the key, what was found, what is allowed."""
    key = _key(prefix + tuple(error.absolute_path))
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = key if error.absolute_path or prefix else "the top level"
        return (f"unknown key {', '.join(repr(e) for e in extra)} in {where}. "
                f"Allowed keys there: {', '.join(allowed)}. Check the spelling, or remove it.")
    if error.validator == "required":
        return f"{key}: {error.message}. Add it (see the commented config.yaml for its meaning)."
    desc = error.schema.get("description")
    if desc is None and error.validator in ("anyOf", "oneOf"):
        desc = " or ".join(_short(s, root) for s in error.schema[error.validator])
    found = json.dumps(error.instance, default=str)
    if desc:
        return f"{key}: {found} is not allowed; expected {desc}."
    return f"{key}: {error.message}."


def _short(schema: dict, root: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = root["definitions"][name]
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    t = schema.get("type", "value")
    bounds = [f">= {schema['minimum']}" if "minimum" in schema else "",
              f"> {schema['exclusiveMinimum']}" if "exclusiveMinimum" in schema else ""]
    return " ".join([f"a {t}"] + [b for b in bounds if b])


def _check(instance: Any, schema: dict, root: dict, prefix: tuple = (), source: str = "config") -> None:
    schema = dict(schema, definitions=root["definitions"])
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        raise ConfigError(f"{source}: {_describe(errors[0], root, prefix)}")


def parse_gain(value: float | int | str) -> float:
    if isinstance(value, str):
        return float(Fraction(value))
    return float(value)


def resolve_experiment(cfg: dict, name: str) -> dict:
    """The experiment's full spec: its kind's defaults, overridden by its own keys."""
    exp = cfg["experiments"][name]
    spec = copy.deepcopy(cfg["defaults"][exp["kind"]])
    spec.update(copy.deepcopy(exp))
    return spec


def validate(cfg: dict, source: str = "config") -> dict:
    """Check the whole config; return it with every experiment resolved (cfg['resolved'])."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys to values, got {type(cfg).__name__}.")
    root = _schema()
    kinds = root.pop("kinds")
    _check(cfg, root, root, source=source)
    for kind, schema in kinds.items():  # defaults: known keys, right types; nothing required
        _check(cfg["defaults"][kind], dict(schema, required=[]), root, ("defaults", kind), source)
    from . import studies
    cfg = dict(cfg)
    cfg["experiments"], cfg["expanded"] = studies.expand(cfg, ConfigError, source)
    resolved = {}
    for name in cfg["experiments"]:
        spec = resolve_experiment(cfg, name)
        _check(spec, kinds[spec["kind"]], root, ("experiments", name), source)
        where = f"{source}: experiments.{name}"
        if spec["gain"] == "recommended":  # torch.nn.init.calculate_gain (imports torch: only when asked)
            from .models import recommended_gain
            spec["gain"] = recommended_gain(spec.get("activation", "tanh"))
        spec["gain"] = parse_gain(spec["gain"])
        decay = spec["lr_decay_step"]
        if decay is not None and decay > spec["steps"]:
            raise ConfigError(f"{where}.lr_decay_step: {decay} is past the last step ({spec['steps']} steps). "
                              "Set it to at most steps, or to null for no decay.")
        if spec["kind"] == "mlp" and spec.get("batchnorm") and spec["init"]["b1"] is not None:
            raise ConfigError(f"{where}.init.b1: must be null with batchnorm (the batch mean cancels b1). "
                              "Set init.b1: null.")
        if spec["kind"] == "mlp" and not spec.get("batchnorm") and spec["init"]["b1"] is None:
            raise ConfigError(f"{where}.init.b1: null is only allowed with batchnorm; give a scale such as 0.01.")
        spec["name"] = name
        spec["block_size"] = cfg["data"]["block_size"]
        spec["split_seed"] = cfg["data"]["split_seed"]
        spec["device"] = cfg["runtime"]["device"]
        spec["sampling"] = dict(cfg["sampling"])
        resolved[name] = spec
    demos = cfg["demos"]
    bd = demos.get("batchnorm_demo")
    if bd and bd["moved_index"] >= len(bd["values"]):
        raise ConfigError(f"{source}: demos.batchnorm_demo.moved_index: {bd['moved_index']} is out of range "
                          f"for {len(bd['values'])} values; use 0..{len(bd['values']) - 1}.")
    out = dict(cfg)
    out["resolved"] = resolved
    studies.check(out, ConfigError, source)
    return out


def load(*paths: str | Path, overrides: dict | None = None) -> dict:
    """Read one or more YAML files (later ones override earlier ones, key by key), validate."""
    cfg: dict = {}
    for p in paths:
        try:
            data = yaml.safe_load(Path(p).read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {p} does not exist.") from None
        except yaml.YAMLError as e:
            raise ConfigError(f"{p} is not valid YAML: {e}") from None
        merge(cfg, data or {})
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
