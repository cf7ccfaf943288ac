"""Beyond the lecture: the analyses that read many runs and write one JSON (+ figures) each.

Every function has the shape f(spec, runs_root, ..., out_json, fig_dir): `spec` is the
study's section of config.yaml (with the generated experiment names filled in by
pipeline/workflow/plan.py), runs_root the directory of run directories (results/runs).
The JSON files are what the site renders; no number is typed by hand.
"""

from __future__ import annotations

import math
from functools import partial
from itertools import combinations
from pathlib import Path

import numpy as np

from pipeline.analysis import diagnostics as dg
from pipeline.analysis import stats
from pipeline.analysis.lecture import LECTURE
from pipeline.format import DASH, fmt
from pipeline.io import read_json, write_json, write_text

SPLITS = ("train", "val", "test")


def _metrics(runs: Path, name: str) -> dict:
    return read_json(Path(runs) / name / "metrics.json")


def _loss(m: dict, split: str) -> float:
    v = m.get(f"{split}_loss")
    return math.nan if v is None else float(v)


_fmt = partial(fmt, nonfinite=DASH)  # a study prints nan as a dash


# ---- 1. seeds ---------------------------------------------------------------------------------

def seed_study(spec: dict, runs: str | Path, out_json: str | Path, out_md: str | Path, fig_dir: str | Path) -> dict:
    """Mean, std and t interval per variant; which differences between variants exceed seed noise."""
    alpha = spec.get("alpha", 0.05)
    rows, values = [], {}
    for variant, names in spec["groups"].items():
        ms = [_metrics(runs, n) for n in names]
        row = {"variant": variant, "runs": names, "seeds": [m["seed"] for m in ms], "n": len(ms)}
        for split in SPLITS:
            row[split] = stats.summary([_loss(m, split) for m in ms], alpha)
        row["lecture_seed_val"] = _loss(ms[0], "val")
        lec = LECTURE.get(variant)  # the lecture's printed numbers: one seed, one draw from this spread
        row["lecture"] = lec
        if lec and row["val"]["ci_low"] is not None:
            finite = [v for v in row["val"]["values"] if v is not None]
            row["lecture_val_within_seed_range"] = min(finite) <= lec["val"] <= max(finite)
        rows.append(row)
        values[variant] = {s: [_loss(m, s) for m in ms] for s in SPLITS}
    variants = list(spec["groups"])
    pairs = []
    for split in ("train", "val"):
        tests = [(a, b, stats.welch(values[b][split], values[a][split])) for a, b in combinations(variants, 2)]
        adj = stats.holm([t["p"] for *_, t in tests])
        for (a, b, t), p_holm in zip(tests, adj, strict=True):
            sa = next(r for r in rows if r["variant"] == a)[split]
            sb = next(r for r in rows if r["variant"] == b)[split]
            pairs.append({"split": split, "a": a, "b": b, "diff_b_minus_a": t["diff"], "t": t["t"], "df": t["df"],
                          "p": t["p"], "p_holm": p_holm,
                          "exceeds_seed_noise": p_holm is not None and p_holm < alpha,
                          "intervals_overlap": stats.intervals_overlap(sa, sb),
                          "adjacent": variants.index(b) == variants.index(a) + 1})
    text = seed_text(rows, pairs, alpha)
    out = {"title": spec["title"], "alpha": alpha, "ci_level": 1 - alpha,
           "method": ("per variant: mean, sample std (ddof 1) and the two-sided t interval of the mean over "
                      "seeds; between variants: Welch's t-test, p-values Holm-adjusted over all pairs "
                      "of a split"),
           "rows": rows, "pairs": pairs, "text": text}
    write_json(out_json, _finite_json(out))
    write_text(out_md, seed_markdown(out))
    from pipeline.plots import fig_seed_spread, save
    fig, legend = fig_seed_spread(rows, spec["title"])
    save(fig, fig_dir, "loss_spread", legend)
    return out


def seed_text(rows: list[dict], pairs: list[dict], alpha: float) -> list[str]:
    """Sentences generated from the numbers: each fix against the one before it, on val loss."""
    lines = []
    n = min(r["n"] for r in rows)
    noise = [r["val"]["std"] for r in rows if r["val"]["std"] is not None]
    if noise:
        lines.append(f"Across {n} seeds per variant, the seed-to-seed std of the val loss ranges from "
                     f"{min(noise):.4f} to {max(noise):.4f}.")
    for p in pairs:
        if p["split"] != "val" or not p["adjacent"] or p["diff_b_minus_a"] is None:
            continue
        d = p["diff_b_minus_a"]
        direction = "lowers" if d < 0 else "raises"
        verdict = ("exceeds the seed noise" if p["exceeds_seed_noise"]
                   else "is within the seed noise")
        lines.append(f"`{p['b']}` {direction} the mean val loss of `{p['a']}` by {abs(d):.4f} "
                     f"(Welch p = {p['p']:.3g}, Holm-adjusted {p['p_holm']:.3g}): the difference {verdict} "
                     f"at the {alpha:g} level; the {100 * (1 - alpha):g}% intervals "
                     f"{'overlap' if p['intervals_overlap'] else 'do not overlap'}.")
    sig = [p for p in pairs if p["split"] == "val" and p["exceeds_seed_noise"]]
    lines.append(f"{len(sig)} of {sum(p['split'] == 'val' for p in pairs)} pairs of variants differ in val loss "
                 "by more than the seed noise explains.")
    return lines


def seed_markdown(out: dict) -> str:
    lvl = f"{100 * out['ci_level']:g}%"
    lines = [f"| variant | seeds | train mean ± std | train {lvl} CI | val mean ± std | val {lvl} CI | "
             "lecture val (its one seed) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in out["rows"]:
        tr, va = r["train"], r["val"]
        lines.append(f"| `{r['variant']}` | {r['n']} | {_fmt(tr['mean'])} ± {_fmt(tr['std'])} | "
                     f"[{_fmt(tr['ci_low'])}, {_fmt(tr['ci_high'])}] | {_fmt(va['mean'])} ± {_fmt(va['std'])} | "
                     f"[{_fmt(va['ci_low'])}, {_fmt(va['ci_high'])}] | "
                     f"{_fmt((r.get('lecture') or {}).get('val'))} |")
    lines += ["", *[f"- {t}" for t in out["text"]], ""]
    return "\n".join(lines)


# ---- 2. gain sweep ----------------------------------------------------------------------------

def _saturation(run_dir: Path, prefix: str, activation: str) -> float | None:
    with np.load(run_dir / "probes.npz") as p:
        keys = [k for k in p.files if k.startswith(f"{prefix}.act.")]
        if not keys or dg.saturation_threshold(activation) is None:
            return None
        return float(np.mean([dg.percent_saturated_for(p[k], activation) for k in keys]))


def sensitivity(gains: list[float], means: list[float], tolerance: float) -> dict:
    """The contiguous run of grid gains around the best mean loss whose mean is within `tolerance`.

    Width in octaves: log2(high / low). A gain with a diverged seed (mean nan/inf) breaks the run.
    """
    finite = [i for i, m in enumerate(means) if m is not None and math.isfinite(m)]
    if not finite:
        return {"best_gain": None, "best_loss": None, "low": None, "high": None, "width_octaves": None,
                "gains_within": []}
    best = min(finite, key=lambda i: means[i])
    ok = [m is not None and math.isfinite(m) and m <= means[best] + tolerance for m in means]
    lo = hi = best
    while lo - 1 >= 0 and ok[lo - 1]:
        lo -= 1
    while hi + 1 < len(means) and ok[hi + 1]:
        hi += 1
    return {"best_gain": gains[best], "best_loss": means[best], "low": gains[lo], "high": gains[hi],
            "width_octaves": math.log2(gains[hi] / gains[lo]), "gains_within": [g for g, k in zip(gains, ok,
                                                                                                   strict=True) if k]}


def gain_sweep(spec: dict, runs: str | Path, out_json: str | Path, fig_dir: str | Path) -> dict:
    runs = Path(runs)
    tol = spec["tolerance"]
    out = {"tolerance": tol, "sweeps": {}}
    for sweep, s in spec["sweeps"].items():
        by_gain: dict[float, list] = {}
        for name, gain, seed in s["members"]:
            m = _metrics(runs, name)
            act = read_json(runs / name / "config.json")["spec"]["activation"]
            by_gain.setdefault(gain, []).append({
                "experiment": name, "seed": seed, "val_loss": m["val_loss"], "train_loss": m["train_loss"],
                "diverged": m["diverged"] is not None,
                "saturation_init_pct": _saturation(runs / name, "init", act),
                "saturation_final_pct": None if m["diverged"] else _saturation(runs / name, "final", act)})
        gains = sorted(by_gain)
        points = []
        for g in gains:
            rs = by_gain[g]
            vals = [r["val_loss"] for r in rs]
            n_div = sum(r["diverged"] for r in rs)
            summ = stats.summary(vals)
            sat_i = [r["saturation_init_pct"] for r in rs if r["saturation_init_pct"] is not None]
            sat_f = [r["saturation_final_pct"] for r in rs if r["saturation_final_pct"] is not None]
            points.append({"gain": g, "runs": rs, "n_diverged": n_div,
                           "val_mean": summ["mean"] if n_div == 0 else math.inf,
                           "val": summ,
                           "saturation_init_pct": float(np.mean(sat_i)) if sat_i else None,
                           "saturation_final_pct": float(np.mean(sat_f)) if sat_f else None})
        sens = sensitivity(gains, [p["val_mean"] for p in points], tol)
        finite = [p["val_mean"] for p in points if p["val_mean"] is not None and math.isfinite(p["val_mean"])]
        sens["loss_range_over_gains"] = max(finite) - min(finite) if finite else None  # worst minus best mean
        out["sweeps"][sweep] = {"title": s["title"], "steps": s.get("steps"), "points": points,
                                "sensitivity": sens}
    out["text"] = sweep_text(out)
    write_json(out_json, _finite_json(out))
    from pipeline.plots import fig_gain_sweep, save
    for what in ("val_loss", "saturation"):
        fig, legend = fig_gain_sweep(out, what)
        save(fig, fig_dir, f"{what}_vs_gain", legend)
    return out


def sweep_text(out: dict) -> list[str]:
    lines = []
    for s in out["sweeps"].values():
        z = s["sensitivity"]
        if z["best_gain"] is None:
            lines.append(f"{s['title']}: every run diverged.")
            continue
        div = [p["gain"] for p in s["points"] if p["n_diverged"]]
        lines.append(f"{s['title']}: best mean val loss {z['best_loss']:.4f} at gain {z['best_gain']:.3g}; "
                     f"within {out['tolerance']:g} of it from gain {z['low']:.3g} to {z['high']:.3g} "
                     f"({z['width_octaves']:.1f} octaves)"
                     + (f"; runs diverged at gain {', '.join(f'{g:.3g}' for g in div)}." if div else "."))
    return lines


def _finite_json(obj):
    """inf/nan become None in the JSON the site reads (strict JSON has no inf)."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite_json(v) for v in obj]
    return obj


# ---- 3./4. comparisons of deep-net variants ---------------------------------------------------

def compare(spec: dict, runs: str | Path, out_json: str | Path, fig_dir: str | Path) -> dict:
    runs = Path(runs)
    rows = []
    for name in spec["experiments"]:
        m = _metrics(runs, name)
        s = read_json(runs / name / "config.json")["spec"]
        layers = {}
        with np.load(runs / name / "probes.npz") as p:
            for prefix in ("init", "final"):
                keys = sorted((k for k in p.files if k.startswith(f"{prefix}.act.")),
                              key=lambda k: int(k.rsplit(".", 1)[1]))
                layers[prefix] = [dg.activation_summary(p[k], s["activation"]) for k in keys]
        with np.load(runs / name / "history.npz") as h:
            ud = h["ud"]
            fin = ud[np.isfinite(ud).all(axis=1)] if ud.size else ud
            ud_last = float(fin[-100:].mean()) if fin.size else None
        rows.append({"experiment": name, "title": s.get("title", name), "activation": s["activation"],
                     "norm": s["norm"], "gain": s["gain"], "steps": m["steps"], "n_params": m["n_params"],
                     "initial_loss": m["initial_loss"], "train_loss": m["train_loss"], "val_loss": m["val_loss"],
                     "test_loss": m["test_loss"], "diverged": m["diverged"],
                     "saturation_meaningful": dg.saturation_threshold(s["activation"]) is not None,
                     "layers_init": layers["init"], "layers_final": layers["final"],
                     "mean_log10_update_ratio_last_100": ud_last, "figures": f"figures/{name}/"})
    out = {"title": spec["title"], "rows": rows}
    write_json(out_json, _finite_json(out))
    from pipeline.plots import fig_compare, save
    fig, legend = fig_compare(rows, spec["title"])
    save(fig, fig_dir, "summary", legend)
    return out


# ---- torch-side helpers: rebuild a trained model from its run directory ----------------------

def load_trained(run_dir: str | Path, data):
    """(spec, model) with the run's trained parameters and buffers."""
    import torch

    from pipeline.nn.models import build_model, set_buffers
    ck = torch.load(Path(run_dir) / "checkpoint.pt", weights_only=False)
    spec = ck["spec"]
    model = build_model(spec, len(data.vocab), data.block_size, torch.Generator().manual_seed(spec["seed"]))
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(ck["params"][name])
    set_buffers(model, ck["buffers"])
    return spec, model


# ---- 5. BatchNorm momentum -------------------------------------------------------------------

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


def momentum_study(spec: dict, runs: str | Path, data_path: str | Path, out_json: str | Path,
                   fig_dir: str | Path) -> dict:
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
            s0 = read_json(runs / name / "config.json")["spec"]
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
            g = torch.Generator().manual_seed(spec["seed"])
            every = max(1, spec["steps"] // 200)
            tr = {"step": [], "mean_dev": [], "std_dev": [], "val_loss": []}
            for t in range(spec["steps"]):
                ix = torch.randint(0, Xtr.shape[0], (s["batch_size"],), generator=g)
                hb = h_tr[ix]
                run_mean = (1 - m) * run_mean + m * hb.mean(0, keepdim=True)
                run_std = (1 - m) * run_std + m * hb.std(0, keepdim=True)
                if t % every == 0 or t == spec["steps"] - 1:
                    d = deviation(run_mean, run_std)
                    tr["step"].append(t + 1)
                    tr["mean_dev"].append(d[0])
                    tr["std_dev"].append(d[2])
                    tr["val_loss"].append(val_loss(run_mean, run_std))
            vl = np.array(tr["val_loss"])
            rows.append({"experiment": name, "momentum": m, "batch_size": s["batch_size"],
                         "eval_stats": s["batchnorm"]["eval_stats"],
                         "val_loss_reported": _metrics(runs, name)["val_loss"],
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
    text = [f"momentum {r['momentum']:g} (`{r['experiment']}`): the running mean sits on average "
            f"{r['final_running_vs_calibrated']['mean_dev_avg']:.3f} calibrated std away from the training-set "
            f"mean; evaluated with the running statistics the val loss is {r['val_loss_running_final']:.4f} "
            f"against {r['val_loss_calibrated']:.4f} with calibrated ones "
            f"({r['val_running_minus_calibrated']:+.4f}); over {r['frozen_steps']} more minibatches with frozen "
            f"weights it swings with std {r['frozen_val_loss']['std']:.4f} "
            f"(range {r['frozen_val_loss']['min']:.4f}..{r['frozen_val_loss']['max']:.4f})." for r in rows]
    cal = [r["val_loss_calibrated"] for r in rows]
    if len(rows) > 1 and max(cal) - min(cal) < 1e-6:
        text.append("The momentum only updates the running buffers, never the forward pass in training, so "
                    "every run here trained to the same weights (equal calibrated val loss, "
                    f"{cal[0]:.4f}): the differences come from the evaluation statistics alone.")
    out = {"title": spec["title"], "rows": rows, "traces": traces, "text": text,
           "deviation_units": "mean over neurons of |running - calibrated| / calibrated std (mean), "
                              "and of |running std / calibrated std - 1| (std)"}
    write_json(out_json, _finite_json(out))
    from pipeline.plots import fig_momentum, save
    fig, legend = fig_momentum(out)
    save(fig, fig_dir, "running_swing", legend)
    return out


# ---- 6. exercises -----------------------------------------------------------------------------

def unigram_loss(data) -> float:
    """Val cross-entropy of the best input-independent model: next-character frequencies of train."""
    import torch
    _, Ytr = data.splits["train"]
    _, Yva = data.splits["val"]
    counts = torch.bincount(Ytr, minlength=len(data.vocab)).double()
    logp = (counts / counts.sum()).log()
    return float(-logp[Yva].mean())


def zero_init_study(spec: dict, runs: str | Path, data_path: str | Path, out_json: str | Path,
                    fig_dir: str | Path) -> dict:
    """E01: which gradients are exactly zero at the first step, and which parameters ever moved."""
    import torch

    from pipeline.data import load_dataset
    from pipeline.nn.models import build_model, loss_fn
    runs = Path(runs)
    rows = []
    data = None
    for name in spec["experiments"]:
        s = read_json(runs / name / "config.json")["spec"]
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
        m = _metrics(runs, name)
        rows.append({"experiment": name, "kind": s["kind"], "initial_loss": m["initial_loss"],
                     "train_loss": m["train_loss"], "val_loss": m["val_loss"], "steps": m["steps"],
                     "params": params, "trainable": [q["name"] for q in params if q["changed_by_training"]]})
    uni = unigram_loss(data)
    for r in rows:
        r["unigram_val_loss"] = uni
        r["val_minus_unigram"] = None if r["val_loss"] is None else r["val_loss"] - uni
    text = [f"`{r['experiment']}`: of {len(r['params'])} parameter tensors only "
            f"{', '.join(f'`{n}`' for n in r['trainable']) or 'none'} ever changed; every other gradient is "
            f"exactly zero at every step. Val loss {_fmt(r['val_loss'])} against {uni:.4f} for the unigram "
            "model (next-character frequencies, no context): the network learns only the output bias." for r in rows]
    text.append("Why: with every weight zero, each hidden layer outputs the same constant (0) for every "
                "input, so the gradient of a weight, input^T @ upstream gradient, is zero (the input is 0), and "
                "the gradient passed down, upstream @ W^T, is zero (W is 0). Only a bias that feeds the logits "
                "directly sees a non-zero gradient, and it can only learn the average next character.")
    out = {"title": spec["title"], "unigram_val_loss": uni, "rows": rows, "text": text}
    write_json(out_json, _finite_json(out))
    from pipeline.plots import fig_zero_init, save
    fig, legend = fig_zero_init(rows, spec["title"])
    save(fig, fig_dir, "gradients", legend)
    return out


def fold_study(spec: dict, runs: str | Path, data_path: str | Path, out_json: str | Path, threads: int = 1) -> dict:
    """E02: fold each listed run's BatchNorm into its Linear; check the logits and time inference."""
    import torch

    from pipeline.data import load_dataset
    from pipeline.nn.fold import check_and_time
    torch.set_num_threads(threads)
    runs = Path(runs)
    rows, data = [], None
    for name in spec["experiments"]:
        s = read_json(runs / name / "config.json")["spec"]
        if data is None:
            data = load_dataset(data_path, s["block_size"], s["split_seed"])
        _, model = load_trained(runs / name, data)
        if s["kind"] == "mlp":
            model.calibrate(data.splits["train"][0])
        Xva, _ = data.splits["val"]
        rows.append({"experiment": name, "kind": s["kind"], **check_and_time(model, Xva, spec["repeats"])})
    out = {"title": spec["title"], "rows": rows,
           "note": "median of repeated forward passes on this machine; timings vary between machines and runs"}
    write_json(out_json, _finite_json(out))
    return out
