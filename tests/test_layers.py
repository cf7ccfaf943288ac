"""The from-scratch layers against torch.nn on the same weights (minGPT's habit)."""

import pytest
import torch
import torch.nn as nn

from pipeline.nn.layers import BatchNorm1d, Linear, Sequential, Tanh


def _close(a, b, tol=1e-5):
    assert torch.allclose(a, b, atol=tol, rtol=tol), (a - b).abs().max().item()


def test_linear_matches_nn_linear_forward_and_grads():
    g = torch.Generator().manual_seed(0)
    ours = Linear(30, 20, bias=True, generator=g)
    ours.bias = torch.randn(20, generator=g)
    ref = nn.Linear(30, 20)
    with torch.no_grad():
        ref.weight.copy_(ours.weight.T)  # torch.nn stores (out, in)
        ref.bias.copy_(ours.bias)
    x = torch.randn(16, 30, generator=g)
    for p in ours.parameters():
        p.requires_grad_(True)
    y1, y2 = ours(x), ref(x)
    _close(y1, y2)
    up = torch.randn_like(y1)
    y1.backward(up)
    y2.backward(up)
    _close(ours.weight.grad, ref.weight.grad.T)
    _close(ours.bias.grad, ref.bias.grad)


def test_linear_init_is_unit_gain_over_sqrt_fan_in():
    g = torch.Generator().manual_seed(1)
    w = Linear(400, 400, generator=g).weight
    assert abs(w.std().item() * 400**0.5 - 1.0) < 0.02
    w = Linear(400, 400, generator=g, fan_in_scaling=False).weight
    assert abs(w.std().item() - 1.0) < 0.02


@pytest.mark.parametrize("momentum", [0.1, 0.001])
def test_batchnorm_matches_nn_batchnorm(momentum):
    """With the biased batch variance (torch.nn's choice) every number must match torch.nn:
    train-mode forward, running statistics after several steps, gradients, eval forward."""
    g = torch.Generator().manual_seed(2)
    ours = BatchNorm1d(12, eps=1e-5, momentum=momentum, unbiased=False)
    ref = nn.BatchNorm1d(12, eps=1e-5, momentum=momentum)
    ours.gamma = torch.rand(12, generator=g) + 0.5
    ours.beta = torch.randn(12, generator=g)
    with torch.no_grad():
        ref.weight.copy_(ours.gamma)
        ref.bias.copy_(ours.beta)
    for p in ours.parameters():
        p.requires_grad_(True)
    for _ in range(5):
        x = torch.randn(32, 12, generator=g) * 3 + 1
        y1, y2 = ours(x), ref(x)
        _close(y1, y2)
    _close(ours.running_mean, ref.running_mean)
    _close(ours.running_var, ref.running_var)
    up = torch.randn(32, 12, generator=g)
    for p in ours.parameters():
        p.grad = None
    ref.zero_grad()
    xa = torch.randn(32, 12, generator=g).requires_grad_(True)
    xb = xa.detach().clone().requires_grad_(True)
    ours(xa).backward(up)
    ref(xb).backward(up)
    _close(xa.grad, xb.grad)
    _close(ours.gamma.grad, ref.weight.grad)
    _close(ours.beta.grad, ref.bias.grad)
    ours.eval()
    ref.eval()
    x = torch.randn(7, 12, generator=g)
    _close(ours(x), ref(x))


def test_batchnorm_unbiased_is_the_lecture_formula_and_keeps_torch_running_var():
    """The lecture's variant divides by n-1 in training; the running statistics still match torch.nn."""
    g = torch.Generator().manual_seed(3)
    ours = BatchNorm1d(8, unbiased=True)
    ref = nn.BatchNorm1d(8)
    x = torch.randn(32, 8, generator=g) * 2 - 1
    y = ours(x)
    ref(x)
    expected = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=True) + 1e-5)
    _close(y, expected)
    _close(ours.running_var, ref.running_var)
    _close(ours.running_mean, ref.running_mean)


def test_tanh_and_sequential():
    x = torch.randn(5, 3)
    _close(Tanh()(x), nn.Tanh()(x))
    g = torch.Generator().manual_seed(4)
    seq = Sequential([Linear(3, 4, generator=g), BatchNorm1d(4), Tanh()])
    assert len(seq.parameters()) == 4
    seq.eval()
    assert all(not layer.training for layer in seq.layers)
    out = seq(x)
    assert seq.layers[-1].out is out
