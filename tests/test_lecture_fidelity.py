"""The deep nets, under both engines, against a transcription of the lecture's own loop
(tests/lecture_reference.py): per Tanh layer mean, std and % saturated, per weight the grad:data
ratio and the last update:data ratio, after the same number of steps. The tolerances are float
order (the pipeline's statistics are computed in float64 from float32 tensors); a wrong init rule
or a weight read before instead of after the update moves them by 1e-4 to a factor of gain^2."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.analysis import diagnostics as dg
from pipeline.training.jobs import train_many
from pipeline.training.loop import train
from tests.lecture_reference import lecture_deep_run

STEPS = 41
NETS = ["batchnorm_gain_0.2", "batchnorm_gain_5_3", "batchnorm_gain_5", "batchnorm_no_fan_in", "tanh_gain_5_3",
        "tanh_gain_0.5", "linear_gain_1"]


@pytest.fixture(scope="module")
def reference(config, dataset):
    Xtr, Ytr = dataset.splits["train"]
    out = {}
    for name in NETS:
        s = config["resolved"][name]
        out[name] = lecture_deep_run(Xtr, Ytr, gain=float(s["gain"]), batchnorm=s["norm"] == "batchnorm",
                                     steps=STEPS, fan_in_scaling=s["fan_in_scaling"],
                                     tanh=s["activation"] == "tanh", lr=s["lr"], seed=s["seed"])
    return out


def _ours(run_dir) -> dict:
    with np.load(run_dir / "probes.npz") as z:
        p = {k: z[k] for k in z.files}
    with np.load(run_dir / "history.npz") as h:
        ud = h["ud"][-1]
    acts = sorted((k for k in p if k.startswith("final.act.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    wg = [k for k in p if k.startswith("final.wgrad.")]
    return {"act": [dg.activation_summary(p[k], "tanh") for k in acts],  # tanh's threshold, also for the linear net
            "grad_std": [dg.std(p[k.replace(".act.", ".actgrad.")]) for k in acts],
            "grad_to_data": [dg.weight_grad_stats(p[k], p[k.replace("wgrad", "w")])["grad_to_data"] for k in wg],
            "last_ud": list(ud)}


@pytest.fixture(scope="module")
def runs(config, dataset, tmp_path_factory):
    out = {}
    specs = [dict(config["resolved"][n], steps=STEPS) for n in NETS]
    base = tmp_path_factory.mktemp("fidelity")
    for s in specs:
        train(s, dataset, base / "simple" / s["name"])
        out[("simple", s["name"])] = _ours(base / "simple" / s["name"])
    train_many(specs, dataset, [base / "batched" / s["name"] for s in specs])
    for s in specs:
        out[("batched", s["name"])] = _ours(base / "batched" / s["name"])
    return out


@pytest.mark.parametrize("engine", ["simple", "batched"])
@pytest.mark.parametrize("name", NETS)
def test_deep_net_matches_the_lectures_loop(runs, reference, engine, name):
    ours, ref = runs[(engine, name)], reference[name]
    assert len(ours["act"]) == len(ref["act"]) == 5
    for a, b in zip(ours["act"], ref["act"], strict=True):
        assert a["saturated_pct"] == pytest.approx(b["saturated_pct"], abs=1e-3)
        assert a["std"] == pytest.approx(b["std"], rel=1e-4)
        assert a["mean"] == pytest.approx(b["mean"], abs=1e-5)
    assert ours["grad_std"] == pytest.approx(ref["grad_std"], rel=1e-4)
    assert ours["grad_to_data"] == pytest.approx(ref["grad_to_data"], rel=1e-4)
    assert ours["last_ud"] == pytest.approx(ref["last_ud"], abs=1e-4)
