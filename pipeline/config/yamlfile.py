"""Reading a config file strictly: valid YAML, a mapping at the top, no key given twice, no
'billion laughs' of nested aliases, nesting bounded. PyYAML alone silently keeps the last of two
equal keys; a config must not."""

from __future__ import annotations

from pathlib import Path

import yaml

from pipeline.errors import ConfigError


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
