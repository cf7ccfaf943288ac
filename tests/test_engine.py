"""The batched engine against the simple loop (the reference): same seed, same numbers.

For each model the engine must reproduce the simple loop's minibatch loss at every step
(to 1e-4) and its final train/val losses (to 0.005), whether it is trained alone or stacked
with others, and write the same run-directory files with the same keys.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipeline.training.groups import group_specs
from pipeline.training.jobs import train_many
from pipeline.training.loop import train

STEPS_A = 400   # crosses the lr decay (set at 300 below)
STEPS_B = 120
PART_A = ["bad_init", "scaled_logits", "fixed_tanh", "kaiming", "batchnorm", "batchnorm_running"]
PART_B = ["tanh_gain_5_3", "tanh_gain_0.5", "linear_gain_1", "batchnorm_gain_5_3", "batchnorm_no_fan_in"]


def _short(spec: dict, steps: int, **over) -> dict:
    s = dict(spec, steps=steps, **over)
    if s["lr_decay_step"] is not None:
        s["lr_decay_step"] = min(s["lr_decay_step"], steps - 100)
    s["sampling"] = dict(s["sampling"], count=3)
    return s


@pytest.fixture(scope="module")
def runs(config, dataset, tmp_path_factory):
    """Part A and Part B, short: simple loop one by one, then the engine on all at once."""
    torch.manual_seed(0)  # nothing may depend on the global generator
    specs = [_short(config["resolved"][n], STEPS_A) for n in PART_A]
    specs += [_short(config["resolved"][n], STEPS_B) for n in PART_B]
    # a second seed of one experiment, and a different lr, stacked with the rest
    specs.append(_short(config["resolved"]["kaiming"], STEPS_A, seed=7, name="kaiming_seed7"))
    specs.append(_short(config["resolved"]["tanh_gain_5_3"], STEPS_B, lr=0.05, name="tanh_lr"))
    root = tmp_path_factory.mktemp("engine")
    simple = [train(s, dataset, root / "simple" / s["name"]) for s in specs]
    batched = train_many(specs, dataset, [root / "engine" / s["name"] for s in specs], threads=1)
    return specs, root, simple, batched


def test_groups_stack_several_models(runs):
    specs = runs[0]
    sizes = sorted(len(g) for g in group_specs(specs))
    assert max(sizes) >= 4  # the no-BatchNorm Part A nets train as one stack


@pytest.mark.parametrize("i", range(len(PART_A) + len(PART_B) + 2))
def test_loss_every_step(runs, i):
    specs, root, _, _ = runs
    name = specs[i]["name"]
    a = np.load(root / "simple" / name / "history.npz")
    b = np.load(root / "engine" / name / "history.npz")
    la, lb = 10.0 ** a["log10_loss"].astype(np.float64), 10.0 ** b["log10_loss"].astype(np.float64)
    assert la.shape == lb.shape == (specs[i]["steps"],)
    assert np.isfinite(la).all()
    np.testing.assert_allclose(lb, la, rtol=0, atol=1e-4)
    assert set(a.files) == set(b.files)
    if "ud" in a.files:
        assert list(a["ud_names"]) == list(b["ud_names"])
        np.testing.assert_allclose(b["ud"], a["ud"], atol=1e-3)


@pytest.mark.parametrize("i", range(len(PART_A) + len(PART_B) + 2))
def test_final_losses_and_files(runs, i):
    specs, root, simple, batched = runs
    sm, bm = simple[i], batched[i]
    assert set(sm) == set(bm)
    for k in ("train_loss", "val_loss", "test_loss"):
        assert abs(sm[k] - bm[k]) < 0.005, (k, sm[k], bm[k])
    for k in ("n_params", "steps", "seed", "experiment", "config_hash", "init", "diverged"):
        if k == "init" and sm[k]:
            assert sm[k]["dead_neurons"] == bm[k]["dead_neurons"]
            assert abs(sm[k]["hpreact_std"] - bm[k]["hpreact_std"]) < 1e-4
        else:
            assert sm[k] == bm[k], k
    name = specs[i]["name"]
    a, b = root / "simple" / name, root / "engine" / name
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    pa, pb = np.load(a / "probes.npz"), np.load(b / "probes.npz")
    assert set(pa.files) == set(pb.files) and pa.files
    for k in pa.files:
        np.testing.assert_allclose(pb[k], pa[k], atol=1e-3, rtol=1e-3, err_msg=k)
    assert json.loads((a / "config.json").read_text()) == json.loads((b / "config.json").read_text())
    ca, cb = torch.load(a / "checkpoint.pt"), torch.load(b / "checkpoint.pt")
    assert set(ca["params"]) == set(cb["params"]) and set(ca["buffers"]) == set(cb["buffers"])
    for k, t in ca["buffers"].items():
        assert t.shape == cb["buffers"][k].shape, k


def test_alone_equals_stacked(config, dataset, tmp_path):
    """A model's numbers do not depend on what it is stacked with."""
    s = _short(config["resolved"]["kaiming"], 150)
    other = _short(config["resolved"]["bad_init"], 150)
    alone = train_many([s], dataset, [tmp_path / "alone"])[0]
    both = train_many([other, s], dataset, [tmp_path / "o", tmp_path / "both"])[1]
    ha = np.load(tmp_path / "alone" / "history.npz")["log10_loss"]
    hb = np.load(tmp_path / "both" / "history.npz")["log10_loss"]
    np.testing.assert_allclose(ha, hb, atol=1e-5)
    assert abs(alone["val_loss"] - both["val_loss"]) < 1e-4


def test_divergence_recorded_like_simple_loop(config, dataset, tmp_path):
    """A diverging Part A model (huge W2 and lr: the logits overflow) is frozen at its divergence
    step, with the same record as the simple loop; its stack-mates train on unharmed."""
    bad = _short(config["resolved"]["bad_init"], 160, lr=1e10, on_divergence="record", name="blowup")
    bad["init"] = dict(bad["init"], W2=1e30)
    good = _short(config["resolved"]["scaled_logits"], 160)
    ref = train(bad, dataset, tmp_path / "ref")
    ref_good = train(good, dataset, tmp_path / "ref_good")
    got, got_good = train_many([bad, good], dataset, [tmp_path / "got", tmp_path / "got_good"])
    assert ref["diverged"] is not None
    assert got["diverged"]["step"] == ref["diverged"]["step"]
    assert got["diverged"]["first_nonfinite"] == ref["diverged"]["first_nonfinite"]
    assert abs(got_good["val_loss"] - ref_good["val_loss"]) < 1e-4
    ha = np.load(tmp_path / "ref" / "history.npz")["log10_loss"]
    hb = np.load(tmp_path / "got" / "history.npz")["log10_loss"]
    np.testing.assert_array_equal(np.isnan(ha), np.isnan(hb))


def test_stop_on_divergence_raises_after_the_others(config, dataset, tmp_path):
    from pipeline.training.loop import DivergenceError
    bad = _short(config["resolved"]["bad_init"], 160, lr=1e10, on_divergence="stop", name="blowup")
    bad["init"] = dict(bad["init"], W2=1e30)
    good = _short(config["resolved"]["scaled_logits"], 160)
    with pytest.raises(DivergenceError, match="blowup"):
        train_many([bad, good], dataset, [tmp_path / "bad", tmp_path / "good"])
    assert (tmp_path / "good" / "metrics.json").exists()
    assert not (tmp_path / "bad" / "metrics.json").exists()


def test_metrics_name_the_engine_that_made_them(config, dataset, tmp_path):
    spec = dict(config["resolved"]["kaiming"], steps=3, lr_decay_step=1)
    assert train(spec, dataset, tmp_path / "s")["engine"] == "simple"
    assert train_many([spec], dataset, [tmp_path / "b"])[0]["engine"] == "batched"
