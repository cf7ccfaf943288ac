"""Layers that only point down: no module of the package imports, directly or through others, a
module that imports it back (every import statement counts, at module level or inside a function),
and loading the Snakefile (what `snakemake -n` does before any job) imports neither torch, matplotlib
nor scipy: the workflow reads the config and the figure names, not the code that trains, draws or tests
(each costs every `snakemake` call a second or more, before any job)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "pipeline"


def module_names(root: Path = ROOT) -> dict[str, Path]:
    out = {}
    for p in (root / "pipeline").rglob("*.py"):
        parts = p.relative_to(root).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return out


def _imported(node, name: str, is_package: bool, mods: dict) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the package this module is in (or is)
        pkg = name.split(".") if is_package else name.split(".")[:-1]
        base = ".".join(pkg[: len(pkg) - node.level + 1] + ([base] if base else []))
    subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in mods]
    return subs + ([base] if len(subs) < len(node.names) else [])


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the package modules it imports anywhere in its code. Importing a module runs its
    parent packages' __init__ first; that edge (to one's own ancestors) is Python's, not a layer's."""
    mods = module_names(root)
    graph = {}
    for name, path in mods.items():
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for t in _imported(node, name, path.name == "__init__.py", mods):
                if t in mods and t != name and not name.startswith(t + "."):
                    deps.add(t)
        graph[name] = deps
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_imports_back_what_imports_it():
    graph = import_graph()
    assert len(graph) > 50 and graph["pipeline.config.core"], "the walk found no imports: it is broken"
    found = cycles(graph)
    assert not found, "import cycles (move what both need into a module below them): " + "; ".join(
        " <-> ".join(c) for c in found)


def test_the_cycle_check_finds_a_cycle(tmp_path):
    pkg = tmp_path / "pipeline"
    (pkg / "a").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a" / "__init__.py").write_text("from pipeline.a import x  # a package importing its own module\n")
    (pkg / "a" / "x.py").write_text("import pipeline.b\n")
    (pkg / "b.py").write_text("def f():\n    from pipeline.a.x import g  # inside a function: counts\n")
    (pkg / "c.py").write_text("from . import b\n")
    assert cycles(import_graph(tmp_path)) == [["pipeline.a.x", "pipeline.b"]]


LOAD = ("import atexit, sys, runpy\n"
        "atexit.register(lambda: print('HEAVY ' + ' '.join(m for m in ('torch', 'matplotlib', 'scipy') if m in sys.modules),"
        " file=sys.stderr))\n"
        "sys.argv = ['snakemake'] + sys.argv[1:]\n"
        "runpy.run_module('snakemake', run_name='__main__', alter_sys=True)\n")


def test_loading_the_snakefile_imports_neither_torch_nor_matplotlib_nor_scipy(tmp_path):
    """A dry run of the whole default DAG: Snakemake loads the Snakefile, every rule file and the Plan."""
    proc = subprocess.run([sys.executable, "-c", LOAD, "-n", "-q", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
                           "--config", f"names_path={json.dumps(str(ROOT / 'README.md'))}", "names_sha256=null"],
                          capture_output=True, text=True, timeout=600)
    heavy = [ln for ln in proc.stderr.splitlines() if ln.startswith("HEAVY")]
    assert proc.returncode == 0 and heavy, proc.stderr[-3000:]
    assert heavy[-1] == "HEAVY ", f"loading the Snakefile imported {heavy[-1][6:]}"
