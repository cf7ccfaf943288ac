"""Layers written from scratch in the shape of torch.nn: callable, `.parameters()`, `.out`.

They hold plain tensors (no nn.Module), so every number the lecture looks at is in
plain sight: `layer.out` keeps the last output for the diagnostics.

Credit: the classes follow the shape of the lecture notebook's (karpathy/nn-zero-to-hero, MIT
License, Copyright (c) 2022 Andrej); see the third-party notice in LICENSE.
"""

from __future__ import annotations

import torch


class Layer:
    training: bool = True
    out: torch.Tensor | None = None

    def parameters(self) -> list[torch.Tensor]:
        return []

    def train(self, mode: bool = True) -> Layer:
        self.training = mode
        return self

    def eval(self) -> Layer:
        return self.train(False)


class Linear(Layer):
    """y = x @ W + b, with W drawn N(0, 1) / sqrt(fan_in): unit gain keeps the std of x."""

    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, *,
                 generator: torch.Generator | None = None, fan_in_scaling: bool = True):
        self.weight = torch.randn((fan_in, fan_out), generator=generator)
        if fan_in_scaling:
            self.weight /= fan_in**0.5  # the 1/sqrt(fan_in) of Kaiming init
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d(Layer):
    """Normalise each feature over the batch, then scale by gamma and shift by beta.

    unbiased=True divides the batch variance by n-1 (as the lecture's `x.var(0)` does);
    unbiased=False is torch.nn.BatchNorm1d's choice. The running variance is always
    updated with the unbiased estimate, as torch.nn does.
    """

    def __init__(self, dim: int, eps: float = 1e-5, momentum: float = 0.1, unbiased: bool = True):
        self.eps, self.momentum, self.unbiased = eps, momentum, unbiased
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)  # buffers, not trained by backprop
        self.running_var = torch.ones(dim)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            xmean = x.mean(0, keepdim=True)
            xvar = x.var(0, keepdim=True, unbiased=self.unbiased)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                m = self.momentum
                var = xvar if self.unbiased else x.var(0, keepdim=True, unbiased=True)
                self.running_mean = (1 - m) * self.running_mean + m * xmean.squeeze(0)
                self.running_var = (1 - m) * self.running_var + m * var.squeeze(0)
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        return [self.gamma, self.beta]


class LayerNorm(Layer):
    """Normalise each example over its features (no batch statistics, no running buffers)."""

    def __init__(self, dim: int, eps: float = 1e-5):
        self.eps = eps
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        xmean = x.mean(1, keepdim=True)
        xvar = x.var(1, keepdim=True, unbiased=False)
        self.out = self.gamma * (x - xmean) / torch.sqrt(xvar + self.eps) + self.beta
        return self.out

    def parameters(self) -> list[torch.Tensor]:
        return [self.gamma, self.beta]


class Activation(Layer):
    """A non-linearity: `fn` is applied elementwise; the diagnostics histogram its `.out`."""

    def fn(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        self.out = self.fn(x)
        return self.out


class Tanh(Activation):
    def fn(self, x):
        return torch.tanh(x)


class Identity(Activation):
    """No non-linearity: the 'purely linear stack' of the lecture."""

    def fn(self, x):
        return x


class ReLU(Activation):
    def fn(self, x):
        return torch.clamp_min(x, 0.0)  # exactly 0 (and zero gradient) for every x < 0


class LeakyReLU(Activation):
    def __init__(self, negative_slope: float = 0.01):  # torch.nn.LeakyReLU's default
        self.negative_slope = negative_slope

    def fn(self, x):
        return torch.where(x >= 0, x, x * self.negative_slope)


class ELU(Activation):
    def __init__(self, alpha: float = 1.0):
        self.alpha = alpha

    def fn(self, x):
        return torch.where(x > 0, x, self.alpha * torch.expm1(torch.clamp_max(x, 0.0)))


class Sigmoid(Activation):
    def fn(self, x):
        return torch.sigmoid(x)  # 2 sigmoid(x) - 1 = tanh(x / 2): it saturates like tanh


class Sequential(Layer):
    def __init__(self, layers: list[Layer]):
        self.layers = layers

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return x

    def parameters(self) -> list[torch.Tensor]:
        return [p for layer in self.layers for p in layer.parameters()]

    def train(self, mode: bool = True) -> Sequential:
        self.training = mode
        for layer in self.layers:
            layer.train(mode)
        return self
