"""Which source files a rule runs, derived from the import graph (stdlib only: the Snakefile
imports it).

Snakemake reruns a job when one of its inputs changes, but it does not see the package code a
`python -m pipeline <step>` command imports. Each rule therefore takes as inputs the files of
its step, found here by reading the code, never by a hand-typed list (hand lists drift):

- a step is one module of pipeline/steps/, listed in the registry's STEPS (pipeline/steps/__init__.py)
  and named by its NAME, both read here from the source; the CLI (`cli.py`, run by `__main__.py`)
  imports that module alone. A step starts at its module, the registry, the CLI and `__main__.py`;
- from there every `import` of a package module is followed, at any depth and also inside
  functions (a lazy import still runs when its branch does: the list errs on the side of rerunning);
- every package `__init__.py` on the way is included (importing `a.b` runs `a/__init__.py`);
- a module that quotes another module's source as text (the site shows the init code of
  `models.py`) names it in a module-level `QUOTES_SOURCE_OF = ("models", ...)`; those files
  are inputs too;
- a module that reads a file other than Python when it runs (the figure words, a Jinja template
  the plot steps render into alt text) names it in a module-level `READS_FILES = ("docs/...",)`,
  relative to the repository; those files are inputs too;
- the study registry (pipeline/studies/registry.py) finds the study modules on disk and imports
  them by name, which no import statement shows. A study job imports its own module only, so its
  rule adds that file as a source: `code_for("study", <the study's module>)`, and editing one
  study reruns that study alone. Config validation reads every study's declaration (the schema
  of `beyond:`, the experiments a study generates); those reach a job through its params (the
  specs it trains, the resolved config file the site reads), not through its code inputs;
- the rules take `code_inputs(...)`: the same files, relative to the working directory when they lie
  inside it. Snakemake records the set of a job's inputs by the paths it was given; absolute paths
  would make a moved or re-cloned checkout look like changed code and retrain every experiment. A
  working directory outside the checkout (`-d elsewhere`) keeps absolute paths, so that copying or
  moving it does not either.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
NAME = PACKAGE.name
CLI = "cli"
ENTRY = "__main__"  # `python -m pipeline` runs it; it only calls cli.main
STEPS = "steps"  # the step registry: STEPS, a tuple of the modules of pipeline/steps/


def _file_of(module: str) -> Path | None:
    """`a.b` (relative to the package) -> its .py file, or its package's __init__.py."""
    base = PACKAGE.joinpath(*module.split(".")) if module else PACKAGE
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _is_package(module: str) -> bool:
    return (PACKAGE.joinpath(*module.split(".")) / "__init__.py").is_file() if module else True


@functools.cache
def _tree(module: str) -> ast.Module:
    return ast.parse(_file_of(module).read_text(encoding="utf-8"))


def _resolve(node: ast.ImportFrom | ast.Import, module: str) -> list[str]:
    """Package modules (relative to the package) that one import statement names."""
    out: list[str] = []
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name == NAME or a.name.startswith(NAME + "."):
                out.append(a.name[len(NAME) + 1:])
        return out
    if node.level:  # relative: from the importing module's package, `level` steps up
        parts = module.split(".")[:-1] if not _is_package(module) else module.split(".")
        if module == CLI:
            parts = []
        parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
        base = ".".join(parts + ([node.module] if node.module else []))
    elif node.module and (node.module == NAME or node.module.startswith(NAME + ".")):
        base = node.module[len(NAME) + 1:]
    else:
        return out
    out.append(base)
    for a in node.names:  # `from . import x` / `from .pkg import submodule`
        sub = f"{base}.{a.name}" if base else a.name
        if _file_of(sub) is not None:
            out.append(sub)
    return out


def _imports_in(tree: ast.AST, module: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(m for m in _resolve(node, module) if _file_of(m) is not None)
    return found


@functools.cache
def _imports_of(module: str) -> tuple[str, ...]:
    """The package modules one module's source imports, read once per process: the Snakefile asks
    for ~90 rules' code inputs, and walking every module's syntax tree for each was most of the
    time Snakemake took to load the workflow."""
    return tuple(sorted(_imports_in(_tree(module), module)))


def _constant(module: str, name: str, default=None):
    """The literal a module assigns to `name` at its top level, read from its source."""
    for node in _tree(module).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    return default


def _quoted(module: str) -> set[str]:
    return set(_constant(module, "QUOTES_SOURCE_OF", ()))


def closure(*modules: str) -> set[str]:
    """Every package module the given ones may import, themselves and their packages included."""
    seen: set[str] = set()
    todo = list(modules)
    while todo:
        m = todo.pop()
        if m in seen or _file_of(m) is None:
            continue
        seen.add(m)
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(len(parts))]  # parent packages run first
        todo += _imports_of(m)
    return seen


@functools.cache
def steps() -> dict[str, str]:
    """CLI step -> its module (`steps.<module>`), from the registry's STEPS and each module's NAME."""
    return {_constant(f"{STEPS}.{m}", "NAME"): f"{STEPS}.{m}" for m in _constant(STEPS, "STEPS")}


def step_modules(step: str) -> set[str]:
    """The package modules `python -m pipeline <step>` may import."""
    if step not in steps():
        raise KeyError(f"no CLI step {step!r}; known: {', '.join(sorted(steps()))}")
    return set(_step_closure(step))


@functools.cache
def _step_closure(step: str) -> frozenset[str]:
    return frozenset(closure(ENTRY, CLI, steps()[step]))


def _files(modules: set[str]) -> list[str]:
    quoted = {q for m in modules for q in _quoted(m)}
    read = {str(PACKAGE.parent / f) for m in modules for f in _constant(m, "READS_FILES", ())}
    return sorted({str(_file_of(m)) for m in modules | quoted if _file_of(m) is not None} | read)


def code_for(step: str, *sources: str | Path) -> list[str]:
    """The files a rule running `python -m pipeline <step>` depends on; `sources` are further
    Python files it runs (a notebook's jupytext source), whose package imports are followed too."""
    modules = step_modules(step)
    files = set()
    for src in sources:
        tree = ast.parse(Path(src).read_text(encoding="utf-8"))
        modules |= closure(*{m for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                             for m in _resolve(n, CLI) if _file_of(m) is not None})
        files.add(str(Path(src)))
    return sorted(set(_files(modules)) | files)


def code_inputs(step: str, *sources: str | Path) -> list[str]:
    """`code_for` as the rules take it: a file inside the working directory by its relative path (the
    usual case, Snakemake run in the checkout: moving the checkout keeps the paths), one outside it
    (`-d elsewhere`) by its absolute path (moving the working directory keeps those)."""
    here = Path.cwd().resolve()
    return [os.path.relpath(f, here) if Path(f).resolve().is_relative_to(here) else f
            for f in code_for(step, *sources)]
