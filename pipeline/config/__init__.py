"""The configuration: config.yaml read strictly, validated against schema.yaml, and resolved
into one spec per experiment (core.py); studies past the lecture expanded into the experiments
they train (expand.py)."""

from pipeline.config.core import (  # noqa: F401
    CPU_ONLY,
    PRESENTATION_KEYS,
    SCHEMA_PATH,
    ConfigError,
    check_files,
    load,
    merge,
    parse_gain,
    read_yaml,
    resolve_experiment,
    spec_hash,
    validate,
)
