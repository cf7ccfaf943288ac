"""The step registry: every `python -m pipeline <step>` is one module of this package, listed in STEPS.

A step module defines NAME (the command), HELP (its line in `python -m pipeline --help`), its
docstring (the description `python -m pipeline NAME --help` prints), `add_arguments(parser)` and
`run(args)`, which returns None or an exit status. What a step runs is imported inside `run`, so
importing a step module costs nothing.

The CLI (cli.py) lists every step from here (each NAME and HELP read from its module's source,
a few milliseconds) and imports only the module of the step it runs; the code graph
(workflow/codegraph.py) reads STEPS and each NAME from the source too. So a rule's code
inputs are its own step's module and what that imports: editing one step reruns that step's
rules alone. Stdlib only; the order of STEPS is the order of `--help`.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path
from types import ModuleType

STEPS = ("fetch", "train_stack", "evaluate", "plot", "plot_part_a", "plot_pair", "demo", "plot_demo", "report",
         "study", "zip", "config", "validate", "site")


def _declared(module: str) -> dict[str, str]:
    """A step module's NAME and HELP, read from its source (nothing imported)."""
    tree = ast.parse(Path(__file__).with_name(f"{module}.py").read_text(encoding="utf-8"))
    return {t.id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
            for t in node.targets if isinstance(t, ast.Name) and t.id in ("NAME", "HELP")}


@functools.cache
def index() -> dict[str, tuple[str, str]]:
    """step name -> (its module in this package, its HELP), in the order of STEPS."""
    out = {}
    for module in STEPS:
        d = _declared(module)
        out[d["NAME"]] = (module, d["HELP"])
    return out


def load(step: str) -> ModuleType:
    """The module of one step (imported now; no other step's is)."""
    return importlib.import_module(f"{__name__}.{index()[step][0]}")
