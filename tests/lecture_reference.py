"""The lecture's Part B loop, transcribed as the yardstick the pipeline's deep nets are held to.

Deliberately independent of `pipeline.nn`/`pipeline.models`: its own three layer classes and
its own loop, in the lecture's order of operations (C first, then each Linear's weight; the
gain applied with `for layer in layers[:-1]`; every minibatch from the same generator; the
update, then the update:data ratio of every parameter). `lecture_deep_run` returns the numbers
the lecture prints after its loop: per Tanh layer mean/std/% saturated (|t| > 0.97), and per
2-D parameter the grad:data ratio, from the last step's forward and backward. The weight data
in grad:data is read *after* the last update, as the lecture's cell after the loop reads it.

Credit: a transcription of the lecture notebook's loop (karpathy/nn-zero-to-hero, MIT License,
Copyright (c) 2022 Andrej); see the third-party notice in LICENSE.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class _Linear:
    def __init__(self, fan_in, fan_out, bias, g, scaled):
        self.weight = torch.randn((fan_in, fan_out), generator=g) / (fan_in**0.5 if scaled else 1.0)
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight + (0 if self.bias is None else self.bias)
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class _BatchNorm:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum = eps, momentum
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x):  # training mode only: the diagnostic run never evaluates
        mean, var = x.mean(0, keepdim=True), x.var(0, keepdim=True)
        self.out = self.gamma * (x - mean) / torch.sqrt(var + self.eps) + self.beta
        with torch.no_grad():
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class _Tanh:
    def __init__(self, squash=True):  # squash=False: the lecture's purely linear stack, outputs still kept
        self.squash = squash

    def __call__(self, x):
        self.out = torch.tanh(x) if self.squash else x * 1.0
        return self.out

    def parameters(self):
        return []


def lecture_deep_run(Xtr, Ytr, *, gain, batchnorm, steps, fan_in_scaling=True, vocab_size=27, n_embd=10,
                     n_hidden=100, block_size=3, batch_size=32, lr=0.1, seed=2147483647, tanh=True):
    g = torch.Generator().manual_seed(seed)
    C = torch.randn((vocab_size, n_embd), generator=g)
    dims = [n_embd * block_size] + [n_hidden] * 5 + [vocab_size]
    layers = []
    for i in range(6):
        layers.append(_Linear(dims[i], dims[i + 1], not batchnorm, g, fan_in_scaling))
        if batchnorm:
            layers.append(_BatchNorm(dims[i + 1]))
        if i < 5:
            layers.append(_Tanh(tanh))
    with torch.no_grad():
        if batchnorm:
            layers[-1].gamma *= 0.1
        else:
            layers[-1].weight *= 0.1
        for layer in layers[:-1]:
            if isinstance(layer, _Linear):
                layer.weight *= gain
    parameters = [C] + [p for layer in layers for p in layer.parameters()]
    for p in parameters:
        p.requires_grad = True
    ud = []
    for _ in range(steps):
        ix = torch.randint(0, Xtr.shape[0], (batch_size,), generator=g)
        x = C[Xtr[ix]].view(batch_size, -1)
        for layer in layers:
            x = layer(x)
        loss = F.cross_entropy(x, Ytr[ix])
        for layer in layers:
            layer.out.retain_grad()
        for p in parameters:
            p.grad = None
        loss.backward()
        for p in parameters:
            p.data += -lr * p.grad
        with torch.no_grad():
            ud.append([((lr * p.grad).std() / p.data.std()).log10().item() for p in parameters])
    acts = [layer for layer in layers if isinstance(layer, _Tanh)]
    return {
        "act": [{"mean": t.out.mean().item(), "std": t.out.std().item(),
                 "saturated_pct": (t.out.abs() > 0.97).float().mean().item() * 100} for t in acts],
        "grad_std": [t.out.grad.std().item() for t in acts],
        "grad_to_data": [(p.grad.std() / p.data.std()).item() for p in parameters if p.ndim == 2],
        "last_ud": [u for u, p in zip(ud[-1], parameters, strict=True) if p.ndim == 2],
        "loss": loss.item(),
    }
