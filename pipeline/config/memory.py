"""What an experiment will hold in memory, estimated from its spec alone (torch-free, a few dozen
multiplications: cheap for thousands of experiments), so a size nobody can run is refused when the
config is validated instead of failing in training after minutes of allocating.

The estimate counts, in float32 (int64 for the examples):
- data: the examples of the word list, (block_size + 1) int64 per character of the file;
- parameters: each weight with its gradient, its update and a copy (checkpoint, probes);
- activations: one minibatch through every layer, forward and backward;
- evaluation: the whole training split through the first layer (BatchNorm calibration) and the
  logits of a split, the rest in blocks of evaluation.EVAL_ROWS rows;
- history: one loss per step, and per step one update:data ratio per weight of a deep net;
- probes: a deep net's activations, their gradients, weights and weight gradients at the first and
  the last step; the Part A net's hidden layer before and after tanh.
The batched engine trains a Part A training's seeds as one stack: the per-model parts are counted
once per model of the largest stack it may form (at most runtime.max_group). It is an estimate, on
the generous side, meant to tell a run that fits from one that cannot, not to the megabyte.
"""

from __future__ import annotations

import os
from pathlib import Path

VOCAB = 27  # the names' vocabulary; a word list of one's own rarely has many more characters
NAMES_BYTES = 228_145  # the lecture's names.txt: about one example per byte (each character, each end)
EVAL_ROWS = 4096  # as pipeline/training/evaluation.py (which imports torch: not imported here)
F32, I64 = 4, 8
GB = 1e9


def machine_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def examples(cfg: dict) -> int:
    """About how many examples the word list makes: its size in bytes (a character or a name's end
    each is one example). The lecture's file when no local one is named."""
    path = cfg.get("names_path")
    if path:
        try:
            p = Path(path).expanduser()
            if p.is_file():
                return max(p.stat().st_size, 1)
        except OSError:
            pass
    return NAMES_BYTES


def estimate(spec: dict, n_examples: int, stack: int = 1) -> dict[str, int]:
    """Bytes per part (see the module docstring), each naming the config key that drives it."""
    block, emb, hid, batch = spec["block_size"], spec["n_embd"], spec["n_hidden"], spec["batch_size"]
    fan_in = block * emb
    deep = spec["kind"] == "deep"
    layers = spec["n_layers"] if deep else 2  # Linear layers
    hidden = layers - 1  # hidden layers of width n_hidden
    weights = [fan_in * hid] + [hid * hid] * (hidden - 1) + [hid * VOCAB]
    n_params = VOCAB * emb + sum(weights) + 4 * hid * hidden + VOCAB  # biases, BatchNorm gain/bias/stats
    act_per_row = fan_in + 3 * hid * hidden + 3 * VOCAB  # pre-activation, norm, activation per layer
    history = spec["steps"] * (1 + (len(weights) if deep else 0))
    probes = (2 * (2 * batch * hid * hidden + 2 * sum(weights)) if deep else 2 * batch * hid)
    # evaluation: Part A with BatchNorm calibrates on the whole training split at once (its embedding
    # and hidden layer); every split's logits are kept; the rest goes EVAL_ROWS rows at a time
    calibrate = (not deep) and bool(spec.get("batchnorm"))
    return {
        "data.block_size": n_examples * (block + 1) * I64 + calibrate * n_examples * fan_in * F32,
        "n_hidden": stack * 4 * n_params * F32 + calibrate * n_examples * hid * F32
        + (n_examples * VOCAB + EVAL_ROWS * act_per_row) * F32,
        "batch_size": stack * (2 * batch * act_per_row + probes) * F32,
        "steps": stack * history * F32,
    }


def stack_sizes(resolved: dict, runtime: dict) -> dict[str, int]:
    """Per experiment, the most models the batched engine may train beside it in one computation."""
    if runtime.get("engine", "batched") != "batched":
        return dict.fromkeys(resolved, 1)
    from pipeline.training.groups import group_key  # torch-free
    count: dict[tuple, int] = {}
    keys = {}
    for name, s in resolved.items():
        if s["kind"] == "mlp":
            keys[name] = group_key(s)
            count[keys[name]] = count.get(keys[name], 0) + 1
    cap = runtime.get("max_group") or 10**9
    return {name: min(count[keys[name]], cap) if name in keys else 1 for name in resolved}


def budget(cfg: dict) -> tuple[float, str]:
    """The most one experiment may need, in bytes, and where that limit comes from."""
    gb = (cfg.get("runtime") or {}).get("memory_budget_gb")
    if gb is not None:
        return gb * GB, f"runtime.memory_budget_gb: {gb}"
    total = machine_memory()
    if total is None:
        return float("inf"), "no limit (this system does not report its memory)"
    return total, "this machine's memory (runtime.memory_budget_gb can raise it)"


def _size(n: float) -> str:
    for unit, f in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= f:
            return f"{n / f:.3g} {unit}"
    return f"{int(n)} B"


HOW = {"data.block_size": "Lower data.block_size (each example holds block_size + 1 tokens)",
       "n_hidden": "Lower n_hidden (or n_embd, n_layers): the weights grow with it",
       "batch_size": "Lower batch_size (or n_hidden, n_layers): a minibatch's activations grow with it",
       "steps": "Lower steps: the history keeps a loss per step"}


def check(cfg: dict, error, source: str) -> dict[str, dict]:
    """Estimate every resolved experiment; raise `error` (one line) for the first that exceeds the
    budget, naming the experiment, the key that drives the estimate and the estimate. Returns the
    estimates."""
    limit, why = budget(cfg)
    n = examples(cfg)
    stacks = stack_sizes(cfg["resolved"], cfg.get("runtime") or {})
    out = {}
    for name, spec in cfg["resolved"].items():
        parts = estimate(spec, n, stacks[name])
        total = sum(parts.values())
        out[name] = {"bytes": total, "parts": parts}
        if total > limit:
            key = max(parts, key=parts.get)
            where = "data.block_size" if key == "data.block_size" else f"experiments.{name}.{key}"
            value = cfg["data"]["block_size"] if key == "data.block_size" else spec[key]
            stack = f" for a stack of {stacks[name]} models" if stacks[name] > 1 else ""
            raise error(f"{source}: {where}: {value}: experiment {name} would need about {_size(total)} of "
                        f"memory{stack} ({_size(parts[key])} of it from this key), more than the {_size(limit)} "
                        f"allowed by {why}. {HOW[key]}.")
    return out


def summary(estimates: dict[str, dict]) -> str:
    """One line: the experiment that needs the most memory, and how much."""
    if not estimates:
        return "no experiments"
    name = max(estimates, key=lambda k: estimates[k]["bytes"])
    return f"the largest experiment, {name}, needs about {_size(estimates[name]['bytes'])} of memory"


def run_cost(cfg: dict, error) -> str:
    """What a validated config will cost, in one line: experiments, training steps, the largest memory."""
    estimates = check(cfg, error, "config")  # passed already when the config loaded: here for the numbers
    steps = sum(s["steps"] for s in cfg["resolved"].values())
    limit, where = budget(cfg)
    return (f"{len(cfg['resolved'])} experiments, {steps:,} training steps in all (experiments that differ only "
            f"in their evaluation share one training); {summary(estimates)}, within {_size(limit)}: {where}.")
