"""Load and validate config.yaml; resolve each experiment into the spec a job runs.

Validation happens when the workflow loads, before any job starts: an unknown key,
a wrong type or an out-of-range value raises ConfigError naming the key and what is
allowed. Structure is checked by the JSON Schema in schema.yaml (jsonschema), whose `beyond:`
part is the studies' own (pipeline/studies/registry.py); the few rules that span keys are
checked here.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pipeline.config.names import check_names as _check_names
from pipeline.config.names import check_reserved as _check_reserved
from pipeline.errors import ConfigError  # noqa: F401  (re-exported)

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")
PRESENTATION_KEYS = ("title", "summary")  # text only: editing it never retrains
ONE_LINE_KEYS = ("title",)  # headings and link texts: a line break would end them mid-text


@functools.lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_PATH.read_text()


@functools.lru_cache(maxsize=1)
def _schema_parsed() -> dict:
    return yaml.safe_load(_schema_text())


def _schema() -> dict:
    return copy.deepcopy(_schema_parsed())


# ---- reading YAML: PyYAML silently keeps the last of two equal keys; a config must not --------

class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (naming the key and both lines)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` may be overridden on purpose
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            hash(key)
        except TypeError:
            raise ConfigError(f"{loader.name}, line {line}: a key must be a plain name, "
                              f"not a {type(key).__name__}.") from None
        if key in seen:
            raise ConfigError(f"{loader.name}, line {line}: duplicate key {key!r} (first given at line "
                              f"{seen[key]}). YAML would silently keep only the last one; rename or remove "
                              "one of them.")
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


MAX_ALIASES = 64  # a config needs few if any; a handful nested can stand for billions of values
MAX_DEPTH = 32  # config.yaml nests 5 deep; Python's recursion gives out near 1,000 (a traceback, not an error)


def _check_aliases(text: str, path: Path) -> None:
    """Count `*alias` references before anything is built: ten nested aliases in a few hundred
    bytes expand into 10^10 values for whatever walks the result (a 'billion laughs'). Bound the
    nesting too: every step after parsing (building, merging, validating) recurses per level."""
    n = depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            n += isinstance(event, yaml.AliasEvent)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1
                    raise ConfigError(f"{path}, line {line}: nested more than {MAX_DEPTH} levels deep (lists and "
                                      f"mappings inside each other); no key of the config goes deeper than a "
                                      "few. Flatten it.")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if n > MAX_ALIASES:
                raise ConfigError(f"{path}: more than {MAX_ALIASES} YAML aliases (*name); nested aliases can "
                                  "expand into billions of values, so a config may use at most "
                                  f"{MAX_ALIASES}. Write the repeated values out.")
    except yaml.YAMLError:
        return  # the loader below reports the syntax error with its line


def read_yaml(path: str | Path) -> dict:
    """One config file: valid YAML, a mapping at the top, no key given twice. Empty file: {}."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"config file {path} cannot be read as UTF-8 text ({e}).") from None
    _check_aliases(text, path)
    loader = _StrictLoader(text)
    loader.name = str(path)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as e:
        msg = " ".join(str(e).split())  # one paragraph
        raise ConfigError(f"{path} is not valid YAML: {msg}") from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys to values (key: value lines), "
                          f"not a {type(data).__name__}.")
    return data


def check_files(paths) -> None:
    """Re-read config files with the strict loader (Snakemake's own loader merges duplicate keys)."""
    for p in paths:
        read_yaml(p)


# ---- checks the JSON Schema cannot express ---------------------------------------------------

def _walk(obj: Any, path: tuple = ()) -> None:
    """Keys are text; numbers are finite (a NaN passes every `minimum` of a JSON Schema)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                where = _key(path) if path else "the top level"
                raise ConfigError(f"{where}: the key {k!r} is a {type(k).__name__}; keys must be names "
                                  "(quote it in YAML if it must look like a number).")
            _walk(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            _walk(v, path + (i,))
    elif isinstance(obj, float) and not math.isfinite(obj):
        raise ConfigError(f"{_key(path)}: {obj} is not allowed; give a finite number.")
    elif isinstance(obj, str) and path and path[-1] in ONE_LINE_KEYS and "".join(obj.splitlines()) != obj:
        raise ConfigError(f"{_key(path)}: {_short_json(obj)} has a line break; a title is one line (it is a "
                          "heading and the text of links). Write it on one line; a longer text goes in summary.")


def _short_json(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# JSON Schema counts 3.0 as an integer; a step count or size must be written as one (3, not 3.0)
_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)


def _key(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _describe(error: jsonschema.ValidationError, root: dict, prefix: tuple = ()) -> str:
    """One paragraph: the key, what was found, what is allowed."""
    if error.validator in ("anyOf", "oneOf"):  # e.g. batchnorm: null or {...}: blame the key inside
        inner = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if not inner and "description" not in error.schema:  # the branch of the right type, at this key
            inner = [e for e in error.context if e.validator != "type"]
        if inner:
            return _describe(min(inner, key=lambda e: len(e.absolute_path)), root, prefix)
    key = _key(prefix + tuple(error.absolute_path))
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        where = key if error.absolute_path or prefix else "the top level"
        return (f"unknown key {', '.join(repr(e) for e in extra)} in {where}. "
                f"Allowed keys there: {', '.join(allowed)}. Check the spelling, or remove it.")
    if error.validator == "required":
        return f"{key}: {error.message}. Add it (see the commented config.yaml for its meaning)."
    if error.validator == "maxLength" and isinstance(error.instance, str):  # the limit, not the pattern
        what = "the name" if error.schema.get("pattern") else "the text"
        return (f"{key}: {_short_json(error.instance, 40)}: {what} is {len(error.instance)} characters long; at "
                f"most {error.validator_value} are allowed. Shorten it.")
    desc = error.schema.get("description")
    if desc is None and error.validator in ("anyOf", "oneOf"):
        desc = " or ".join(_short(s, root) for s in error.schema[error.validator])
    found = _short_json(error.instance)
    if desc:
        return f"{key}: {found} is not allowed; expected {desc}."
    if error.validator in ("type", "enum", "const", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
                           "pattern", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems"):
        return f"{key}: {found} is not allowed; expected {_short(error.schema, root)}."
    if error.validator == "minProperties" and not error.instance:
        return f"{key}: is empty; declare at least one entry (see the commented config.yaml)."
    return f"{key}: {found} is not allowed ({error.validator} {_short_json(error.validator_value)})."


def _short(schema: dict, root: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = root["definitions"][name]
    if "const" in schema:
        return repr(schema["const"])
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    t = schema.get("type", "value")
    t = " or ".join(t) if isinstance(t, list) else str(t)
    t = {"null": "null", "integer": "an integer (no decimal point)", "object": "a mapping of keys",
         "array": "a list", "string": "a text", "boolean": "true or false"}.get(t, f"a {t}")
    bounds = [f">= {schema['minimum']}" if "minimum" in schema else "",
              f"> {schema['exclusiveMinimum']}" if "exclusiveMinimum" in schema else "",
              f"<= {schema['maximum']}" if "maximum" in schema else "",
              f"< {schema['exclusiveMaximum']}" if "exclusiveMaximum" in schema else "",
              "(not empty)" if schema.get("minLength") == 1 or schema.get("minItems") == 1 else "",
              f"with at least {schema['minItems']} items" if schema.get("minItems", 1) > 1 else "",
              f"with at most {schema['maxItems']} items" if "maxItems" in schema else "",
              f"matching {schema['pattern']}" if "pattern" in schema else ""]
    return " ".join([t] + [b for b in bounds if b])


def _check(instance: Any, schema: dict, root: dict, prefix: tuple = (), source: str = "config") -> None:
    schema = dict(schema, definitions=root["definitions"])
    validator = _Validator(schema)
    errors = sorted(validator.iter_errors(instance),
                    key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    if errors:
        raise ConfigError(f"{source}: {_describe(errors[0], root, prefix)}")


def parse_gain(value: float | int | str, key: str = "gain") -> float:
    try:
        gain = float(Fraction(value)) if isinstance(value, str) else float(value)
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{key}: {value!r} is not a number or a fraction such as \"5/3\".") from None
    if not math.isfinite(gain) or gain <= 0:
        raise ConfigError(f"{key}: {value!r} is not allowed; a gain must be a finite number > 0.")
    return gain


def resolve_experiment(cfg: dict, name: str) -> dict:
    """The experiment's full spec: its kind's defaults, overridden by its own keys."""
    exp = cfg["experiments"][name]
    spec = copy.deepcopy(cfg["defaults"][exp["kind"]])
    spec.update(copy.deepcopy(exp))
    return spec


CPU_ONLY = ("the pipeline runs on the CPU only: CPU runs are deterministic (the same config and seed give the "
            "same numbers, which the site's comparisons with the lecture rely on), and models this small (12k to "
            "47k parameters, minibatches of 32) gain little from an accelerator")


def _check_cpu_only(cfg: dict, source: str) -> None:
    """`runtime.device` existed once; `cpu` is still accepted (it changes nothing), anything else is
    refused here rather than silently run on the CPU."""
    rt = cfg.get("runtime")
    if isinstance(rt, dict) and "device" in rt:
        if rt["device"] != "cpu":
            raise ConfigError(f"{source}: runtime.device: {rt['device']!r}: {CPU_ONLY}. Remove runtime.device.")
        cfg["runtime"] = {k: v for k, v in rt.items() if k != "device"}


# YAML 1.1 (PyYAML, Snakemake) reads `1e-3` and `1.0e308` as text: a float needs a dot and a signed
# exponent there. What a user means is plain, so such text becomes the number it spells.
_NUMBER_TEXT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+")
TEXT_KEYS = {"title", "summary", "names_url", "names_path", "names_sha256"}  # free text: never numbers


def _numbers_from_text(obj, key=None):
    if isinstance(obj, dict):
        return {k: _numbers_from_text(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_numbers_from_text(v) if isinstance(v, (dict, list)) else v for v in obj]  # names stay names
    if isinstance(obj, str) and key not in TEXT_KEYS and _NUMBER_TEXT.fullmatch(obj.strip()):
        v = float(obj)
        return int(v) if v.is_integer() and "." not in obj and abs(v) < 2**63 else v
    return obj


def _check_text_from_the_command_line(cfg: dict, source: str) -> None:
    """What `--config key=value` turns into something else, named with the way to write it."""
    sha = cfg.get("names_sha256")
    if isinstance(sha, (int, float)) and not isinstance(sha, bool):
        raise ConfigError(f"{source}: names_sha256 arrived as the number {sha!r}: YAML reads a checksum made of "
                          "digits as a number and drops its leading zeros. Quote it: --config "
                          "'names_sha256=\"<64 hex digits>\"', or write it in quotes in a config file.")
    for k, v in cfg.items():
        if isinstance(v, str) and v.lstrip().startswith("{") and k not in TEXT_KEYS:
            raise ConfigError(f"{source}: {k}: got the text {v!r}; `--config {k}={{...}}` cannot set keys inside "
                              f"{k}. Put them in a small YAML file (e.g. `{k}:` then `  key: value` lines) and "
                              "add it after config.yaml: --configfile config.yaml my.yaml.")


def validate(cfg: dict, source: str = "config") -> dict:
    """Check the whole config; return it with every experiment resolved (cfg['resolved'])."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys to values, got {type(cfg).__name__}.")
    _walk(cfg)
    cfg = _numbers_from_text(cfg)
    for k in ("names_path", "names_sha256"):  # `--config names_sha256=null` arrives as the text "null"
        if isinstance(cfg.get(k), str) and cfg[k].strip().lower() in ("null", "none", "~", ""):
            cfg[k] = None
    _check_text_from_the_command_line(cfg, source)
    _check_cpu_only(cfg, source)
    root = _schema()
    kinds = root.pop("kinds")
    from pipeline.studies import registry  # each key of `beyond:` is a study's, with the study's schema
    root["properties"]["beyond"] = registry.beyond_schema()
    _check(cfg, root, root, source=source)
    _check_names(cfg["experiments"], source)
    for kind, schema in kinds.items():  # defaults: known keys, right types; nothing required
        _check(cfg["defaults"][kind], dict(schema, required=[]), root, ("defaults", kind), source)
    from pipeline.config import expand as studies
    cfg = dict(cfg)
    cfg["experiments"], cfg["expanded"] = studies.expand(cfg, ConfigError, source)
    resolved = {}
    for name in cfg["experiments"]:
        spec = resolve_experiment(cfg, name)
        _check(spec, kinds[spec["kind"]], root, ("experiments", name), source)
        where = f"{source}: experiments.{name}"
        if spec["gain"] == "recommended":  # torch.nn.init.calculate_gain (imports torch: only when asked)
            from pipeline.nn.models import recommended_gain
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
        resolved[name] = spec
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
