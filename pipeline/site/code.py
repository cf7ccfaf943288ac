"""Source excerpts for the pages: the init recipe is quoted from the package itself, so the
code on a page is the code that made its numbers."""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

from pipeline.site.outputs import REPO

QUOTES_SOURCE_OF = ("nn.models", "nn.layers")  # pages quote their code: editing them regenerates the pages

INIT_PATTERNS = {  # which source lines implement each init key of a Part A recipe
    "W1": [r"\bw1\b", r"self\.W1 ="], "b1": [r"self\.b1 ="], "W2": [r"self\.W2 ="], "b2": [r"self\.b2 ="],
}


def source_of(path: Path, qualname: str) -> tuple[str, int, int]:
    """The source of a top-level function or a method ('Class.method'), with its line span."""
    tree = ast.parse(path.read_text())
    node: ast.AST = tree
    for part in qualname.split("."):
        node = next(n for n in ast.iter_child_nodes(node)
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
    lines = path.read_text().splitlines()
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    text = "\n".join(lines[start - 1:node.end_lineno])
    return textwrap.dedent(text), start, node.end_lineno


def excerpt(module: str, qualname: str, highlight: list[str] = ()) -> dict:
    """pipeline/<module>.py's `qualname` for the `code` macro, the lines matching `highlight` marked."""
    assert module in QUOTES_SOURCE_OF, f"add {module!r} to QUOTES_SOURCE_OF (the site rule's code inputs)"
    rel = "pipeline/" + module.replace(".", "/") + ".py"
    try:
        text, a, b = source_of(REPO / rel, qualname)
    except (StopIteration, FileNotFoundError, SyntaxError):
        return {"path": rel, "qualname": qualname, "text": None}
    hl = [i + 1 for i, line in enumerate(text.splitlines()) if any(re.search(p, line) for p in highlight)]
    return {"path": rel, "qualname": qualname, "text": text, "first": a, "last": b, "highlight": hl}


def spec_diff(prev: dict | None, cur: dict) -> list[tuple[str, object, object]]:
    """(key, before, now) of the config keys that differ; with no `prev`, the init recipe itself."""
    skip = {"title", "summary", "name", "part"}
    flat = {}
    for which, spec in (("prev", prev or {}), ("cur", cur)):
        for k, v in spec.items():
            if k in skip:
                continue
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    flat.setdefault(f"{k}.{k2}", {})[which] = v2
            else:
                flat.setdefault(k, {})[which] = v
    if prev is None:
        return [(k, None, v.get("cur")) for k, v in flat.items() if k.startswith("init.") or k == "batchnorm"]
    return [(k, v.get("prev"), v.get("cur")) for k, v in flat.items() if v.get("prev") != v.get("cur")]


def mlp_excerpts(spec: dict, prev_spec: dict | None, changed: set[str]) -> list[dict]:
    """The code a Part A page quotes: what reads the recipe, and the BatchNorm code when it is new."""
    fresh = prev_spec is None
    pats = [p for k, ps in INIT_PATTERNS.items() if f"init.{k}" in changed or fresh for p in ps]
    out = []
    if str(spec.get("init", {}).get("W1")) == "kaiming" and ("init.W1" in changed or fresh):
        out.append(excerpt("nn.models", "kaiming_scale"))
    out.append(excerpt("nn.models", "MLP.__init__", pats))
    if spec.get("batchnorm") and (fresh or not prev_spec.get("batchnorm")):
        out.append(excerpt("nn.models", "MLP.__call__", [r"bnmeani", r"bnstdi", r"bngain", r"running"]))
        out.append(excerpt("nn.models", "MLP.calibrate"))
    elif any(k.startswith("batchnorm.") for k in changed):
        out.append(excerpt("nn.models", "MLP.eval_stats", [r"running", r"bnmean\b"]))
    return out
