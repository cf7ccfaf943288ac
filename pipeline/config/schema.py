"""The JSON Schema of the config (schema.yaml, jsonschema) and the one-paragraph errors it gives:
the key, what was found, what is allowed. Which error of several to report is jsonschema's own
choice (`jsonschema.exceptions.best_match`), not ours."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pipeline.errors import ConfigError

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


@functools.lru_cache(maxsize=1)
def _schema_text() -> str:
    return SCHEMA_PATH.read_text()


@functools.lru_cache(maxsize=1)
def _schema_parsed() -> dict:
    return yaml.safe_load(_schema_text())


def schema() -> dict:
    """A fresh copy of schema.yaml, parsed (the caller may change it)."""
    return copy.deepcopy(_schema_parsed())


def short_json(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def key_of(path) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


# JSON Schema counts 3.0 as an integer; a step count or size must be written as one (3, not 3.0)
_TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _, v: isinstance(v, int) and not isinstance(v, bool))
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_TYPES)


def _describe(error: jsonschema.ValidationError, root: dict, prefix: tuple = ()) -> str:
    """One paragraph: the key, what was found, what is allowed."""
    if error.validator in ("anyOf", "oneOf"):  # e.g. batchnorm: null or {...}: blame the key inside
        inner = [e for e in error.context if len(e.absolute_path) > len(error.absolute_path)]
        if not inner and "description" not in error.schema:  # the branch of the right type, at this key
            inner = [e for e in error.context if e.validator != "type"]
        if inner:
            return _describe(min(inner, key=lambda e: len(e.absolute_path)), root, prefix)
    key = key_of(prefix + tuple(error.absolute_path))
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
        return (f"{key}: {short_json(error.instance, 40)}: {what} is {len(error.instance)} characters long; at "
                f"most {error.validator_value} are allowed. Shorten it.")
    desc = error.schema.get("description")
    if desc is None and error.validator in ("anyOf", "oneOf"):
        desc = " or ".join(_short(s, root) for s in error.schema[error.validator])
    found = short_json(error.instance)
    if desc:
        return f"{key}: {found} is not allowed; expected {desc}."
    if error.validator in ("type", "enum", "const", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum",
                           "pattern", "minLength", "maxLength", "minItems", "maxItems", "uniqueItems"):
        return f"{key}: {found} is not allowed; expected {_short(error.schema, root)}."
    if error.validator == "minProperties" and not error.instance:
        return f"{key}: is empty; declare at least one entry (see the commented config.yaml)."
    return f"{key}: {found} is not allowed ({error.validator} {short_json(error.validator_value)})."


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


def check(instance: Any, schema: dict, root: dict, prefix: tuple = (), source: str = "config") -> None:
    schema = dict(schema, definitions=root["definitions"])
    validator = _Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise ConfigError(f"{source}: {_describe(_described(error), root, prefix)}")


def _described(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """best_match descends into an anyOf/oneOf to the branch that came closest; where the key's schema
    says in words what it allows (`description`), that alternative as a whole is the error to report."""
    e = error
    while e.parent is not None and e.parent.absolute_path == error.absolute_path:
        e = e.parent
        if "description" in e.schema:
            return e
    return error


