"""BatchNorm momentum: how far the running estimates of trained Part A BatchNorm nets swing around
the statistics of the whole training set, and what that does to the val loss.

`beyond.momentum` names Part A experiments with batchnorm (the lecture's momentum 0.001 against
torch's 0.1). Writes results/beyond/momentum.json and figures/momentum/running_swing.*.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

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

SCHEMA = {"momentum": block_schema(steps={"$ref": "#/definitions/posint"}, seed={"$ref": "#/definitions/seed"})}


def check(beyond: dict, need) -> None:
    if beyond.get("momentum"):
        need("beyond.momentum.experiments", beyond["momentum"]["experiments"],
             lambda s: s["kind"] == "mlp" and bool(s.get("batchnorm")), "a Part A experiment with batchnorm")


def run(spec: dict, io: StudyIO) -> dict:
    return momentum_study(spec, io.runs, io.data, io.json, io.figures)


def _bn_val_loss(model, h_va, Yva, mean, std) -> float:
    """Val loss of a Part A BatchNorm net whose BatchNorm uses the given mean and std."""
    import torch

    from pipeline.nn.models import loss_fn
    hp = model.bngain * (h_va - mean) / std + model.bnbias
    return loss_fn(torch.tanh(hp) @ model.W2 + model.b2, Yva).item()


def _bn_deviation(cal_mean, cal_std, mean, std) -> tuple[float, float, float, float]:
    """|mean - calibrated| in calibrated stds and |std / calibrated - 1|: average and max over neurons."""
    dm = ((mean - cal_mean).abs() / cal_std).squeeze(0)
    ds = (std / cal_std - 1).abs().squeeze(0)
    return float(dm.mean()), float(dm.max()), float(ds.mean()), float(ds.max())


def _frozen_trace(spec: dict, m: float, batch_size: int, h_tr, run_mean, run_std, deviation, val_loss) -> dict:
    """`steps` more minibatches with the weights frozen: the running estimates updated with momentum `m`,
    their deviation from the calibrated statistics and the val loss with them, about 200 times along."""
    import torch
    g = torch.Generator().manual_seed(spec["seed"])
    every = max(1, spec["steps"] // 200)
    tr = {"step": [], "mean_dev": [], "std_dev": [], "val_loss": []}
    for t in range(spec["steps"]):
        ix = torch.randint(0, h_tr.shape[0], (batch_size,), generator=g)
        hb = h_tr[ix]
        run_mean = (1 - m) * run_mean + m * hb.mean(0, keepdim=True)
        run_std = (1 - m) * run_std + m * hb.std(0, keepdim=True)
        if t % every == 0 or t == spec["steps"] - 1:
            d = deviation(run_mean, run_std)
            tr["step"].append(t + 1)
            tr["mean_dev"].append(d[0])
            tr["std_dev"].append(d[2])
            tr["val_loss"].append(val_loss(run_mean, run_std))
    return tr


def momentum_study(spec: dict, runs, data_path, out_json, fig_dir) -> dict:
    """How far running BatchNorm estimates swing around the statistics of the whole training set.

    For each trained Part A BatchNorm run: its final running mean/std against the calibrated ones;
    then, with the weights frozen, `steps` more minibatches (batch size of the run) update the running
    estimates with the run's momentum, and the val loss is evaluated with them along the way.
    """
    import torch

    from pipeline.data import load_dataset
    runs = Path(runs)
    data = None
    rows, traces = [], {}
    for name in spec["experiments"]:
        if data is None:
            s0 = run_spec(runs, name)
            data = load_dataset(data_path, s0["block_size"], s0["split_seed"])
        s, model = load_trained(runs / name, data)
        m = s["batchnorm"]["momentum"]
        Xtr, _ = data.splits["train"]
        Xva, Yva = data.splits["val"]
        with torch.no_grad():
            h_tr = model.preact(Xtr)
            cal_mean, cal_std = h_tr.mean(0, keepdim=True), h_tr.std(0, keepdim=True)
            h_va = model.preact(Xva)
            val_loss = partial(_bn_val_loss, model, h_va, Yva)
            deviation = partial(_bn_deviation, cal_mean, cal_std)
            run_mean, run_std = model.bnmean_running.clone(), model.bnstd_running.clone()
            dev0 = deviation(run_mean, run_std)
            tr = _frozen_trace(spec, m, s["batch_size"], h_tr, run_mean, run_std, deviation, val_loss)
            vl = np.array(tr["val_loss"])
            rows.append({"experiment": name, "momentum": m, "batch_size": s["batch_size"],
                         "eval_stats": s["batchnorm"]["eval_stats"],
                         "val_loss_reported": metrics(runs, name)["val_loss"],
                         "val_loss_running_final": val_loss(model.bnmean_running, model.bnstd_running),
                         "val_loss_calibrated": val_loss(cal_mean, cal_std),
                         "final_running_vs_calibrated": {"mean_dev_avg": dev0[0], "mean_dev_max": dev0[1],
                                                         "std_dev_avg": dev0[2], "std_dev_max": dev0[3]},
                         "frozen_steps": spec["steps"],
                         "frozen_val_loss": {"mean": float(vl.mean()), "std": float(vl.std(ddof=1)) if vl.size > 1
                                             else 0.0, "min": float(vl.min()), "max": float(vl.max())},
                         "frozen_mean_dev_avg": float(np.mean(tr["mean_dev"])),
                         "frozen_std_dev_avg": float(np.mean(tr["std_dev"]))})
            rows[-1]["val_running_minus_calibrated"] = (rows[-1]["val_loss_running_final"]
                                                        - rows[-1]["val_loss_calibrated"])
            traces[name] = tr
    out = {"title": spec["title"], "rows": rows, "traces": traces,
           "deviation_units": "mean over neurons of |running - calibrated| / calibrated std (mean), "
                              "and of |running std / calibrated std - 1| (std)"}
    write_json(out_json, finite_json(out))
    from pipeline.plots import save
    save(lambda: fig_momentum(out), fig_dir, "running_swing")
    return out


def fig_momentum(out: dict):
    from pipeline.plots import plt, style
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=style.wide(4.5), layout="constrained")
    legend = {}
    for j, r in enumerate(out["rows"]):
        tr = out["traces"][r["experiment"]]
        lab = f"momentum {r['momentum']:g}"
        ax1.plot(tr["step"], tr["mean_dev"], color=f"C{j}", label=f"{lab}: mean")
        ax1.plot(tr["step"], tr["std_dev"], color=f"C{j}", ls="--", label=f"{lab}: std")
        ax2.plot(tr["step"], tr["val_loss"], color=f"C{j}", label=f"{lab}, running statistics")
        ax2.axhline(r["val_loss_calibrated"], color=f"C{j}", ls=":", lw=1.2, label=f"{lab}, calibrated")
        legend[r["experiment"]] = {k: r[k] for k in ("momentum", "val_loss_running_final", "val_loss_calibrated",
                                                     "frozen_val_loss", "final_running_vs_calibrated")}
    ax1.set_yscale("log")
    ax1.set_xlabel("minibatch (weights frozen)")
    ax1.set_ylabel("|running - calibrated| / std")
    ax1.set_title("how far the running estimates swing")
    ax2.set_xlabel("minibatch (weights frozen)")
    ax2.set_ylabel("val loss")
    ax2.set_title("val loss evaluated with the running estimates")
    style.legend(fig, ncol=2)
    fig.suptitle(out["title"])
    return fig, legend


STUDY = Study(name="momentum", schema=SCHEMA, specs=one_job("momentum"), experiments=listed_experiments, run=run,
              figures=("running_swing",), check=check)
