"""Exercise E01: everything initialised to zero. Which gradients are exactly zero at the first
step, which parameters training ever moved, and the val loss against the unigram model (the best
a net that learns only its output bias can do).

`beyond.zero_init` names the zero-initialised experiments. Writes results/beyond/zero_init.json
and figures/zero_init/gradients.*.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.io import write_json
from pipeline.studies.common import (
    block_schema,
    finite_json,
    listed_experiments,
    load_trained,
    metrics,
    one_job,
    run_spec,
)
from pipeline.studies.registry import Study, StudyIO

SCHEMA = {"zero_init": block_schema()}


def check(beyond: dict, need) -> None:
    if beyond.get("zero_init"):
        need("beyond.zero_init.experiments", beyond["zero_init"]["experiments"])


def run(spec: dict, io: StudyIO) -> dict:
    return zero_init_study(spec, io.runs, io.data, io.json, io.figures)


def unigram_loss(data) -> float:
    """Val cross-entropy of the best input-independent model: next-character frequencies of train."""
    import torch
    _, Ytr = data.splits["train"]
    _, Yva = data.splits["val"]
    counts = torch.bincount(Ytr, minlength=len(data.vocab)).double()
    logp = (counts / counts.sum()).log()
    return float(-logp[Yva].mean())


def zero_init_study(spec: dict, runs, data_path, out_json, fig_dir) -> dict:
    """E01: which gradients are exactly zero at the first step, and which parameters ever moved."""
    import torch

    from pipeline.data import load_dataset
    from pipeline.nn.models import build_model, loss_fn
    runs = Path(runs)
    rows = []
    data = None
    for name in spec["experiments"]:
        s = run_spec(runs, name)
        if data is None:
            data = load_dataset(data_path, s["block_size"], s["split_seed"])
        g = torch.Generator().manual_seed(s["seed"])
        model = build_model(s, len(data.vocab), data.block_size, g)  # the run's exact init
        init = {n: p.detach().clone() for n, p in model.named_parameters()}
        for p in model.parameters():
            p.requires_grad_(True)
        Xtr, Ytr = data.splits["train"]
        ix = torch.randint(0, Xtr.shape[0], (s["batch_size"],), generator=g)  # the run's first minibatch
        loss = loss_fn(model(Xtr[ix]), Ytr[ix])
        loss.backward()
        _, trained = load_trained(runs / name, data)
        final = dict(trained.named_parameters())
        params = []
        for n, p in model.named_parameters():
            grad = p.grad
            moved = (final[n] - init[n]).abs()
            params.append({"name": n, "shape": list(p.shape), "init_all_zero": bool((init[n] == 0).all()),
                           "grad_exactly_zero": bool((grad == 0).all()),
                           "grad_nonzero_entries": int((grad != 0).sum()), "grad_max_abs": float(grad.abs().max()),
                           "changed_by_training": bool((moved > 0).any()), "max_abs_change": float(moved.max())})
        m = metrics(runs, name)
        rows.append({"experiment": name, "kind": s["kind"], "initial_loss": m["initial_loss"],
                     "train_loss": m["train_loss"], "val_loss": m["val_loss"], "steps": m["steps"],
                     "params": params, "trainable": [q["name"] for q in params if q["changed_by_training"]]})
    uni = unigram_loss(data)
    for r in rows:
        r["unigram_val_loss"] = uni
        r["val_minus_unigram"] = None if r["val_loss"] is None else r["val_loss"] - uni
    out = {"title": spec["title"], "unigram_val_loss": uni, "rows": rows}
    write_json(out_json, finite_json(out))
    from pipeline.plots import save
    save(lambda: fig_zero_init(rows, spec["title"]), fig_dir, "gradients")
    return out


def fig_zero_init(rows: list[dict], title: str):
    """Max |gradient| of every parameter tensor at the first step; exact zeros drawn at the floor."""
    from pipeline.plots import plt, style
    w, h = plt.rcParams["figure.figsize"]
    fig, axes = plt.subplots(1, len(rows), figsize=(w * 0.8 * len(rows), h * 1.4), squeeze=False,
                             layout="constrained")
    floor = 1e-12
    legend = {}
    for ax, r in zip(axes[0], rows, strict=True):
        names = [p["name"] for p in r["params"]]
        vals = [max(p["grad_max_abs"], floor) for p in r["params"]]
        colors = ["C2" if p["changed_by_training"] else "C7" for p in r["params"]]
        ax.bar(range(len(names)), vals, color=colors)
        ax.set_yscale("log")
        ax.set_ylim(floor / 2, max(vals) * 10)
        ax.axhline(floor, color=style.fg(), lw=0.8)
        ax.set_xticks(range(len(names)), names, rotation=60, ha="right")
        ax.set_ylabel("max |gradient| at step 0")
        what = "the Part A MLP" if r["kind"] == "mlp" else "the deep network"
        ax.set_title(f"{what}, all zero\ngreen: changed by training; on the floor: gradient exactly 0",
                     loc="left")
        legend[r["experiment"]] = {"trainable": r["trainable"],
                                   "grad_exactly_zero": [p["name"] for p in r["params"] if p["grad_exactly_zero"]]}
    fig.suptitle(title)
    return fig, legend


STUDY = Study(name="zero_init", schema=SCHEMA, specs=one_job("zero_init"), experiments=listed_experiments, run=run,
              figures=("gradients",), check=check)
