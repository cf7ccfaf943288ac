# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Explore the runs
#
# This notebook reads what the pipeline wrote to `results/runs/` and pokes at it: a table of
# every run, the numbers behind the initialisation diagnostics, and a trained model brought back
# from its checkpoint to sample new names. Snakemake executes it after the runs (rule
# `notebook`), so what you see below is the output of this build. To run it yourself, open it
# with Jupyter from the repository root (`jupytext` pairs the `.py` with a notebook). Every file is
# read through `pipeline.io`, which checks it against the content hash written beside it
# (`<file>.sha256`): a damaged file stops the notebook, naming it, rather than showing wrong numbers.

# %%
from pathlib import Path

import numpy as np
import torch
from IPython.display import Markdown, display

from pipeline.io import load_torch, read_json, read_npz
from pipeline.nn.models import build_model, set_buffers
from pipeline.training.evaluation import sample

RUNS = Path("results/runs")
runs = {p.name: read_json(p / "metrics.json") for p in sorted(RUNS.iterdir())
        if (p / "metrics.json").exists()}
print(f"{len(runs)} runs in {RUNS}/")

# %% [markdown]
# ## Every run at a glance
#
# One row per lecture run. Part A runs are the one-hidden-layer MLP; Part B runs are the
# six-layer diagnostic network, trained only briefly. Runs of the studies beyond the lecture
# (extra seeds, sweeps) are counted, not listed.

# %%
def table(rows, head):
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return Markdown("\n".join(lines))


def f4(v):
    return "—" if v is None else f"{v:.4f}"


rows = [(name, m["part"], m["n_params"], m["steps"], f4(m["initial_loss"]), f4(m["train_loss"]),
         f4(m["val_loss"]), "yes" if m["diverged"] else "")
        for name, m in sorted(runs.items(), key=lambda kv: (kv[1]["part"], kv[0])) if m["part"] in ("A", "B")]
display(table(rows, ["run", "part", "params", "steps", "step-0 loss", "train", "val", "diverged"]))
n_more = sum(m["part"] not in ("A", "B") for m in runs.values())
print(f"{n_more} further runs belong to the studies beyond the lecture")

# %% [markdown]
# ## The hidden layer at initialisation (Part A)
#
# `probes.npz` keeps the hidden pre-activations and tanh outputs of the first minibatch. From
# them: how wide the pre-activations are, what share of units is saturated, and how many neurons
# are saturated for every example of the batch (dead from the start).

# %%
rows = []
for name, m in runs.items():
    if m["part"] != "A":
        continue
    p = read_npz(RUNS / name / "probes.npz")
    hpre, h = p["init.hpreact"], p["init.h"]
    sat = np.abs(h) > 0.99
    rows.append((name, f"{hpre.std():.3f}", f"{np.abs(hpre).max():.2f}", f"{100 * sat.mean():.1f} %",
                 int(sat.all(axis=0).sum()), f"{100 * sat.any(axis=0).mean():.0f} %"))
display(table(rows, ["run", "std of pre-activations", "max abs", "tanh beyond ±0.99", "dead neurons",
                     "neurons saturated for some example"]))

# %% [markdown]
# ## A trained model, back from its checkpoint
#
# `checkpoint.pt` holds the trained parameters and the BatchNorm statistics. We rebuild the
# model from the spec saved beside them and sample with a seed of our own, different from the
# one used for the names shown on the variant pages.

# %%
def load_model(name):
    ck = load_torch(RUNS / name / "checkpoint.pt")
    spec, itos = ck["spec"], ck["itos"]
    model = build_model(spec, len(itos), spec["block_size"], torch.Generator().manual_seed(0))
    with torch.no_grad():
        for pname, p in model.named_parameters():
            p.copy_(ck["params"][pname])
    set_buffers(model, ck["buffers"])
    return model.eval(), spec, itos


part_a = [n for n, m in runs.items() if m["part"] == "A" and not m["diverged"]]
for name in part_a[-2:]:
    model, spec, itos = load_model(name)
    names = sample(model, spec["block_size"], itos, count=8, seed=1234)
    print(f"{name:>20}: " + ", ".join(names))

# %% [markdown]
# ## How deep does the signal get? (Part B)
#
# For every diagnostic run, the std of each tanh layer's output on the first minibatch, read
# from the figure's legend file `figures/<run>/activations_init.json`. A row that shrinks to
# the right is a signal fading with depth; a row stuck near 1 with tanh is saturation.

# %%
rows = []
for name, m in runs.items():
    legend = Path("figures") / name / "activations_init.json"
    if m["part"] != "B" or not legend.exists():
        continue
    stats = read_json(legend)
    stats.pop("alt", None)  # the figure's alt text, beside the numbers
    if "diverged" in stats:
        continue
    rows.append((name, *(f"{v['std']:.3f}" for v in stats.values())))
if rows:
    width = max(len(r) for r in rows) - 1
    display(table([r + ("",) * (width + 1 - len(r)) for r in rows],
                  ["run"] + [f"hidden layer {i + 1}" for i in range(width)]))
