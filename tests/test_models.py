"""Parameter counts, initial losses and determinism on the real data."""

import math

import pytest
import torch

from pipeline.nn.models import build_model, loss_fn
from pipeline.reproducible import untimed
from pipeline.training.loop import train

EXPECTED = math.log(27)  # -ln(1/27) = 3.2958


def _model(spec, dataset):
    g = torch.Generator().manual_seed(spec["seed"])
    return build_model(spec, len(dataset.vocab), dataset.block_size, g), g


@pytest.mark.parametrize("name,count", [("bad_init", 11897), ("kaiming", 11897), ("batchnorm", 12097),
                                        ("batchnorm_running", 12097), ("batchnorm_gain_5_3", 47024),
                                        ("tanh_gain_5_3", 46497)])
def test_parameter_counts(config, dataset, name, count):
    model, _ = _model(config["resolved"][name], dataset)
    assert sum(p.nelement() for p in model.parameters()) == count


def _initial_loss(spec, dataset):
    model, g = _model(spec, dataset)
    Xtr, Ytr = dataset.splits["train"]
    ix = torch.randint(0, Xtr.shape[0], (spec["batch_size"],), generator=g)
    return loss_fn(model(Xtr[ix]), Ytr[ix]).item()


def test_bad_init_is_confidently_wrong(config, dataset):
    loss = _initial_loss(config["resolved"]["bad_init"], dataset)
    assert loss > 5 * EXPECTED
    assert abs(loss - 27.8817) < 1e-3  # the lecture's printed step-0 loss, same seed and draw order


@pytest.mark.parametrize("name", ["scaled_logits", "fixed_tanh", "kaiming", "batchnorm", "batchnorm_running"])
def test_scaled_variants_start_near_uniform(config, dataset, name):
    assert abs(_initial_loss(config["resolved"][name], dataset) - EXPECTED) < 0.1


def test_fixed_tanh_is_less_saturated_than_scaled_logits(config, dataset):
    from pipeline.analysis.diagnostics import dead_neurons, percent_saturated
    out = {}
    for name in ("scaled_logits", "fixed_tanh"):
        model, g = _model(config["resolved"][name], dataset)
        Xtr, _ = dataset.splits["train"]
        model(Xtr[torch.randint(0, Xtr.shape[0], (32,), generator=g)])
        out[name] = (percent_saturated(model.h.numpy(), 0.99), dead_neurons(model.h.numpy()))
    assert out["scaled_logits"][0] > 30 and out["fixed_tanh"][0] < 5
    assert out["fixed_tanh"][1] == 0


def _short(spec, steps=200):
    return dict(spec, steps=steps, lr_decay_step=steps // 2, sampling={"count": 3, "seed": 1})


@pytest.mark.parametrize("name", ["kaiming", "batchnorm", "batchnorm_gain_5_3"])
def test_same_seed_same_numbers(config, dataset, tmp_path, name):
    spec = _short(config["resolved"][name])
    a = train(spec, dataset, tmp_path / "a")
    b = train(spec, dataset, tmp_path / "b")
    assert untimed(a) == untimed(b)
    assert (tmp_path / "a" / "samples.txt").read_text() == (tmp_path / "b" / "samples.txt").read_text()


def test_different_seed_different_numbers(config, dataset, tmp_path):
    spec = _short(config["resolved"]["kaiming"])
    a = train(spec, dataset, tmp_path / "a")
    b = train(dict(spec, seed=spec["seed"] + 1), dataset, tmp_path / "b")
    assert a["val_loss"] != b["val_loss"]


@pytest.mark.parametrize("name,gained", [
    # the lecture's `for layer in layers[:-1]`: the last *layer* is spared, not the last Linear
    ("batchnorm_gain_5_3", [True] * 6),           # last layer is a BatchNorm: every Linear gets the gain
    ("tanh_gain_5_3", [True] * 5 + [False]),      # last layer is the last Linear: it gets x 0.1 instead
])
def test_which_linear_weights_carry_the_gain(config, dataset, name, gained):
    from pipeline.nn.layers import BatchNorm1d, Linear
    spec = config["resolved"][name]
    m1, _ = _model(dict(spec, gain=1.0), dataset)  # same generator, same draws: only the scale differs
    m3, _ = _model(dict(spec, gain=3.0), dataset)
    lin1 = [layer for layer in m1.layers if isinstance(layer, Linear)]
    lin3 = [layer for layer in m3.layers if isinstance(layer, Linear)]
    ratios = [(b.weight / a.weight).mean().item() for a, b in zip(lin1, lin3, strict=True)]
    assert ratios == pytest.approx([3.0 if g else 1.0 for g in gained], rel=1e-5)
    last = m3.layers[-1]  # the output is made less confident on the last layer, whatever it is
    if isinstance(last, BatchNorm1d):
        assert torch.allclose(last.gamma, torch.full_like(last.gamma, spec["last_layer_scale"]))
    else:
        ref = _model(dict(spec, gain=3.0, last_layer_scale=1.0), dataset)[0].layers[-1].weight
        assert torch.allclose(last.weight, ref * spec["last_layer_scale"])


@pytest.mark.parametrize("name", ["bad_init", "batchnorm", "batchnorm_running", "tanh_gain_5_3", "batchnorm_gain_5_3"])
def test_a_split_evaluated_in_blocks_gives_the_logits_of_one_pass(config, dataset, name):
    """split_loss runs the forward pass EVAL_ROWS rows at a time; the run's reported losses may only
    come out as they would from one pass over the split. Checked bit for bit, on every kind of net."""
    from pipeline.nn.models import MLP
    from pipeline.training.evaluation import EVAL_ROWS, split_loss
    model, g = _model(config["resolved"][name], dataset)
    with torch.no_grad():
        for p in model.parameters():  # away from the init's symmetries: any trained state would do
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    X, Y = dataset.splits["train"]
    assert len(X) > 3 * EVAL_ROWS and len(X) % EVAL_ROWS  # several blocks and a short last one
    if isinstance(model, MLP):
        model.calibrate(X)
    model.eval()
    with torch.no_grad():
        whole = model(X)
        blocks = torch.cat([model(X[i:i + EVAL_ROWS]) for i in range(0, len(X), EVAL_ROWS)])
    assert torch.equal(whole, blocks)
    assert split_loss(model, X, Y) == loss_fn(whole, Y).item()
