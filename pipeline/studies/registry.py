"""The study registry: every module of pipeline/studies/ that defines `STUDY` is a study.

A study is one file. Its `STUDY = Study(...)` declares, in one place, the keys of config.yaml's
`beyond:` it owns (with their JSON schema), the experiments it generates, how its section becomes
the spec of each of its jobs and which runs a job reads, what it writes (results/beyond/<id>.json,
extra files, figures/<id>/<figure>.*) and the function that runs it. The registry finds the
modules itself (pkgutil), so adding a study is a new file here plus its block in config.yaml;
config validation, the Snakefile, the CLI (`python -m pipeline study <id>`) and the figure lists
all read it from here.

Declarations are light: a study module imports torch and matplotlib inside its functions only,
since the Snakefile imports every declaration when it loads. This module is stdlib only.

A study's job id is its name (`seeds`) or, for a study with several instances, `<name>_<instance>`
(`compare_activations`). The CLI finds the one module it runs from the id alone, so a study job
imports its own module and no other (its rule's code inputs are that module's: codegraph.py).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PACKAGE = __name__.rsplit(".", 1)[0]  # pipeline.studies
NOT_STUDIES = ("registry", "common")  # the modules of the package that declare no study


@dataclass(frozen=True)
class StudyIO:
    """Where one study job reads and writes (the CLI's arguments)."""
    id: str
    runs: Path  # the directory of run directories (results/runs)
    data: Path  # the word list, for studies that re-evaluate trained models
    out: Path  # results/beyond: <id>.json and the study's extra files
    figures: Path  # figures/<id>
    threads: int = 1

    @property
    def json(self) -> Path:
        return self.out / f"{self.id}.json"


@dataclass(frozen=True)
class Study:
    """One study's declaration (the `STUDY` of its module)."""
    name: str  # the module's name; job ids are `name` or `name_<instance>`
    schema: dict  # {key of `beyond:` this study owns: its JSON schema (refs into schema.yaml's definitions)}
    specs: Callable[[dict, dict], dict[str, dict]]  # (beyond, resolved experiments) -> {job id: spec}
    experiments: Callable[[dict], list[str]]  # spec -> the experiments whose run directories the job reads
    run: Callable[[dict, StudyIO], dict]  # (spec, where) -> the JSON written (numbers; its sentences are the notes')
    figures: tuple[str, ...] = ()  # written under figures/<id>/ as <figure>.{png,svg,json}
    extra_outputs: tuple[str, ...] = ()  # under results/beyond/, besides <id>.json; "{id}" is filled in
    # (beyond, experiments as written, add, error class, source) -> None: experiments the study trains,
    # each given to add(name, experiment, tag, where) (pipeline/config/expand.py)
    generate: Callable | None = None
    # (beyond, need) -> None: cross-checks on the resolved experiments, need(where, names, ok, what)
    check: Callable | None = None

    @property
    def config_keys(self) -> tuple[str, ...]:
        return tuple(self.schema)

    def owns(self, study_id: str) -> bool:
        return study_id == self.name or study_id.startswith(self.name + "_")

    def outputs(self, study_id: str) -> list[str]:
        """Files under results/beyond/ (the JSON first)."""
        return [f"{study_id}.json"] + [f.format(id=study_id) for f in self.extra_outputs]


def module_names() -> list[str]:
    """Every study module of the package, found on disk (nothing imported)."""
    path = importlib.import_module(PACKAGE).__path__
    return sorted(m.name for m in pkgutil.iter_modules(path) if not m.ispkg and m.name not in NOT_STUDIES)


def _declaration(module: str) -> Study:
    mod = importlib.import_module(f"{PACKAGE}.{module}")
    study = getattr(mod, "STUDY", None)
    if not isinstance(study, Study):
        raise TypeError(f"{mod.__file__}: a module of {PACKAGE} declares a study as `STUDY = Study(...)` "
                        f"(pipeline/studies/registry.py); helpers belong in one of {', '.join(NOT_STUDIES)}.")
    if study.name != module:
        raise TypeError(f"{mod.__file__}: STUDY.name is {study.name!r}; it must be the module's name, {module!r}.")
    return study


@functools.cache
def studies() -> dict[str, Study]:
    """name -> declaration, for every study module (imports them all; they are light)."""
    out = {m: _declaration(m) for m in module_names()}
    owner: dict[str, str] = {}
    for s in out.values():
        for key in s.config_keys:
            if key in owner:
                raise TypeError(f"beyond.{key} is claimed by two studies, {owner[key]} and {s.name}.")
            owner[key] = s.name
    return out


def source(name: str) -> str:
    """The file of a study's module (its rule's code input, beside the CLI's)."""
    return str(Path(importlib.import_module(f"{PACKAGE}.{name}").__file__))


def study_of(study_id: str) -> Study:
    """The study a job id belongs to, importing its module only: the longest module name that is
    the id or its prefix before `_<instance>`."""
    names = [m for m in module_names() if study_id == m or study_id.startswith(m + "_")]
    if not names:
        raise KeyError(f"no study {study_id!r}; the studies are {', '.join(module_names())} "
                       "(a job id is a study's name, or <name>_<instance>)")
    return _declaration(max(names, key=len))


def beyond_schema() -> dict:
    """The JSON schema of config.yaml's `beyond:`: every key some study owns."""
    props = {k: v for s in studies().values() for k, v in s.schema.items()}
    return {"type": "object", "additionalProperties": False, "properties": props}


def in_config_order(beyond: dict) -> list[Study]:
    """The studies whose keys `beyond:` holds, in the order the block lists them."""
    owner = {k: s for s in studies().values() for k in s.config_keys}
    out: list[Study] = []
    for key in beyond or {}:
        if key in owner and owner[key] not in out:
            out.append(owner[key])
    return out


def jobs(beyond: dict, resolved: dict) -> dict[str, tuple[Study, dict]]:
    """Every study job the config asks for: id -> (study, spec), in the order of `beyond:`."""
    out: dict[str, tuple[Study, dict]] = {}
    for s in in_config_order(beyond):
        for study_id, spec in s.specs(beyond, resolved).items():
            if not s.owns(study_id) or study_of(study_id) is not s:
                raise TypeError(f"study {s.name}: job id {study_id!r} must be {s.name!r} or {s.name}_<instance>, "
                                "and no other study's name may claim it")
            if study_id in out:
                raise TypeError(f"study job {study_id!r} is declared twice")
            out[study_id] = (s, spec)
    return out


def figures() -> dict[str, list[str]]:
    """study name -> the figures each of its jobs writes (the studies that write any)."""
    return {name: list(s.figures) for name, s in studies().items() if s.figures}
