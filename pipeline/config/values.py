"""What the JSON Schema cannot say about the values of a config: keys are names, numbers are finite,
titles are one line, `--config key=value` text that means a number becomes one (and what it cannot
mean is refused with the way to write it), the CPU only, a gain as a number or a fraction."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from pipeline.config.schema import key_of as _key
from pipeline.config.schema import short_json as _short_json
from pipeline.errors import ConfigError

ONE_LINE_KEYS = ("title",)  # headings and link texts: a line break would end them mid-text


def walk(obj: Any, path: tuple = ()) -> None:
    """Keys are text; numbers are finite (a NaN passes every `minimum` of a JSON Schema)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if not isinstance(k, str):
                where = _key(path) if path else "the top level"
                raise ConfigError(f"{where}: the key {k!r} is a {type(k).__name__}; keys must be names "
                                  "(quote it in YAML if it must look like a number).")
            walk(v, path + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            walk(v, path + (i,))
    elif isinstance(obj, float) and not math.isfinite(obj):
        raise ConfigError(f"{_key(path)}: {obj} is not allowed; give a finite number.")
    elif isinstance(obj, str) and path and path[-1] in ONE_LINE_KEYS and "".join(obj.splitlines()) != obj:
        raise ConfigError(f"{_key(path)}: {_short_json(obj)} has a line break; a title is one line (it is a "
                          "heading and the text of links). Write it on one line; a longer text goes in summary.")


def parse_gain(value: float | int | str, key: str = "gain") -> float:
    try:
        gain = float(Fraction(value)) if isinstance(value, str) else float(value)
    except (ValueError, ZeroDivisionError):
        raise ConfigError(f"{key}: {value!r} is not a number or a fraction such as \"5/3\".") from None
    if not math.isfinite(gain) or gain <= 0:
        raise ConfigError(f"{key}: {value!r} is not allowed; a gain must be a finite number > 0.")
    return gain


CPU_ONLY = ("the pipeline runs on the CPU only: CPU runs are deterministic (the same config and seed give the "
            "same numbers, which the site's comparisons with the lecture rely on), and models this small (12k to "
            "47k parameters, minibatches of 32) gain little from an accelerator")


def check_cpu_only(cfg: dict, source: str) -> None:
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


def numbers_from_text(obj, key=None):
    if isinstance(obj, dict):
        return {k: numbers_from_text(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [numbers_from_text(v) if isinstance(v, (dict, list)) else v for v in obj]  # names stay names
    if isinstance(obj, str) and key not in TEXT_KEYS and _NUMBER_TEXT.fullmatch(obj.strip()):
        v = float(obj)
        return int(v) if v.is_integer() and "." not in obj and abs(v) < 2**63 else v
    return obj


def check_command_line(cfg: dict, source: str) -> None:
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


