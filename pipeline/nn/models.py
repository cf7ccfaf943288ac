"""Every initialisation choice of the lecture lives here, driven by an experiment's spec.

Two model families:
- `MLP`: the one-hidden-layer net of Part A (C, W1, b1, W2, b2 [, bngain, bnbias]),
  written with plain tensors so it reads like the lecture;
- `DeepMLP`: the six-Linear stack of Part B, built from `layers.py`.

Draw order matters: one generator draws the parameters in a fixed order and then
every minibatch, so a run is comparable number-for-number with the lecture.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from pipeline.nn.layers import (
    ELU,
    Activation,
    BatchNorm1d,
    Identity,
    Layer,
    LayerNorm,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)


def kaiming_scale(gain: float, fan_in: int) -> float:
    return gain / math.sqrt(fan_in)  # keeps the pre-activation std near `gain`


class MLP:
    """Part A: emb (block_size x n_embd) -> W1 -> [BatchNorm] -> tanh -> W2 -> logits."""

    def __init__(self, spec: dict, vocab_size: int, block_size: int, g: torch.Generator):
        n_embd, n_hidden = spec["n_embd"], spec["n_hidden"]
        fan_in = n_embd * block_size
        init = spec["init"]
        w1 = init["W1"]
        w1_scale = kaiming_scale(spec["gain"], fan_in) if w1 == "kaiming" else float(w1)
        self.block_size = block_size
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        self.W1 = torch.randn((fan_in, n_hidden), generator=g) * w1_scale
        # b1 is dropped with BatchNorm: the batch mean subtracts it away
        self.b1 = None if init["b1"] is None else torch.randn(n_hidden, generator=g) * float(init["b1"])
        self.W2 = torch.randn((n_hidden, vocab_size), generator=g) * float(init["W2"])  # x 0.01: logits near 0
        self.b2 = torch.randn(vocab_size, generator=g) * float(init["b2"])  # x 0 still draws, as the lecture
        bn = spec.get("batchnorm")
        self.bn = bn
        if bn:
            self.bngain = torch.ones((1, n_hidden))
            self.bnbias = torch.zeros((1, n_hidden))
            # an experiment keeps running statistics at its momentum; a training shared by several
            # (pipeline/training/groups.py) keeps one set per momentum: they never touch a gradient
            self.momenta = list(bn["momenta"]) if "momenta" in bn else [bn["momentum"]]
            self.running = {m: (torch.zeros((1, n_hidden)), torch.ones((1, n_hidden))) for m in self.momenta}
            self.bnmean = self.bnstd = None  # calibrated over the training set after training
        self.training = True
        self.hpreact: torch.Tensor | None = None  # last pre-activations, for the diagnostics
        self.h: torch.Tensor | None = None

    def named_parameters(self) -> list[tuple[str, torch.Tensor]]:
        names = ["C", "W1", "b1", "W2", "b2"] + (["bngain", "bnbias"] if self.bn else [])
        return [(n, getattr(self, n)) for n in names if getattr(self, n) is not None]

    def parameters(self) -> list[torch.Tensor]:
        return [p for _, p in self.named_parameters()]

    # the running statistics at the (first) momentum, under the lecture's names
    @property
    def bnmean_running(self) -> torch.Tensor:
        return self.running[self.momenta[0]][0]

    @bnmean_running.setter
    def bnmean_running(self, t: torch.Tensor) -> None:
        self.running[self.momenta[0]] = (t, self.running[self.momenta[0]][1])

    @property
    def bnstd_running(self) -> torch.Tensor:
        return self.running[self.momenta[0]][1]

    @bnstd_running.setter
    def bnstd_running(self, t: torch.Tensor) -> None:
        self.running[self.momenta[0]] = (self.running[self.momenta[0]][0], t)

    def buffers(self) -> dict[str, torch.Tensor]:
        """bnmean_running, bnstd_running [, bnmean, bnstd]; a training keeping several momenta
        names each set `bnmean_running@<momentum>`, `bnstd_running@<momentum>`."""
        if not self.bn:
            return {}
        if len(self.momenta) == 1:
            out = {"bnmean_running": self.bnmean_running, "bnstd_running": self.bnstd_running}
        else:
            out = {f"{n}@{m}": t for m, pair in self.running.items()
                   for n, t in zip(("bnmean_running", "bnstd_running"), pair, strict=True)}
        if self.bnmean is not None:
            out |= {"bnmean": self.bnmean, "bnstd": self.bnstd}
        return out

    def load_buffers(self, bufs: dict[str, torch.Tensor]) -> None:
        for key, t in bufs.items():
            name, _, m = key.partition("@")
            if not m:
                setattr(self, name, t)
                continue
            i = ("bnmean_running", "bnstd_running").index(name)
            pair = list(self.running[float(m)])
            pair[i] = t
            self.running[float(m)] = tuple(pair)

    def preact(self, X: torch.Tensor) -> torch.Tensor:
        emb = self.C[X]
        hpreact = emb.view(emb.shape[0], -1) @ self.W1
        return hpreact if self.b1 is None else hpreact + self.b1

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        hpreact = self.preact(X)
        if self.bn:
            if self.training:
                bnmeani = hpreact.mean(0, keepdim=True)
                bnstdi = hpreact.std(0, keepdim=True)  # unbiased, as the lecture
                hpreact = self.bngain * (hpreact - bnmeani) / bnstdi + self.bnbias
                with torch.no_grad():
                    for m, (mean, std) in self.running.items():
                        self.running[m] = ((1 - m) * mean + m * bnmeani, (1 - m) * std + m * bnstdi)
            else:
                mean, std = self.eval_stats()
                hpreact = self.bngain * (hpreact - mean) / std + self.bnbias
        self.hpreact = hpreact
        self.h = torch.tanh(hpreact)
        return self.h @ self.W2 + self.b2

    def eval_stats(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.bn["eval_stats"] == "running":
            return self.bnmean_running, self.bnstd_running
        if self.bnmean is None:
            raise RuntimeError("calibrate() must run before evaluating a calibrated BatchNorm model")
        return self.bnmean, self.bnstd

    @torch.no_grad()
    def calibrate(self, Xtr: torch.Tensor) -> None:
        """Measure the BatchNorm mean/std over the whole training set (the lecture's extra pass)."""
        if self.bn:
            hpreact = self.preact(Xtr)
            self.bnmean = hpreact.mean(0, keepdim=True)
            self.bnstd = hpreact.std(0, keepdim=True)

    def probes(self) -> dict[str, torch.Tensor]:
        """The internal tensors the Part A figures look at, from the last forward pass."""
        return {"hpreact": self.hpreact, "h": self.h}

    def train(self, mode: bool = True) -> MLP:
        self.training = mode
        return self

    def eval(self) -> MLP:
        return self.train(False)


ACTIVATIONS = {"tanh": Tanh, "none": Identity, "relu": ReLU, "leaky_relu": LeakyReLU, "elu": ELU,
               "sigmoid": Sigmoid}
# how each activation is named to torch.nn.init.calculate_gain (with its parameter). torch has
# no entry for ELU: it is the identity for x > 0 like ReLU, and its paper initialises it as
# ReLU (He et al.), so it takes ReLU's sqrt(2).
GAIN_NAMES = {"tanh": ("tanh", None), "none": ("linear", None), "relu": ("relu", None),
              "leaky_relu": ("leaky_relu", 0.01), "elu": ("relu", None), "sigmoid": ("sigmoid", None)}


def recommended_gain(activation: str) -> float:
    """The gain torch.nn.init.calculate_gain recommends for `activation` (never typed by hand)."""
    from torch.nn.init import calculate_gain
    name, param = GAIN_NAMES[activation]
    return float(calculate_gain(name, param))



class DeepMLP:
    """Part B: C, then n_layers Linear layers (30 -> 100 -> ... -> vocab), each but the last
    followed by [norm] and the activation; with BatchNorm the last Linear gets one too."""

    def __init__(self, spec: dict, vocab_size: int, block_size: int, g: torch.Generator):
        n_embd, n_hidden, n_layers = spec["n_embd"], spec["n_hidden"], spec["n_layers"]
        norm, act = spec["norm"], ACTIVATIONS[spec["activation"]]
        scaling = spec["fan_in_scaling"]
        self.block_size = block_size
        self.C = torch.randn((vocab_size, n_embd), generator=g)
        dims = [n_embd * block_size] + [n_hidden] * (n_layers - 1) + [vocab_size]
        layers: list[Layer] = []
        for i, (fi, fo) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
            last = i == n_layers - 1
            # no bias before a BatchNorm: its mean subtraction cancels it
            layers.append(Linear(fi, fo, bias=norm != "batchnorm", generator=g, fan_in_scaling=scaling))
            if norm == "batchnorm":
                layers.append(BatchNorm1d(fo, eps=spec["bn_eps"], momentum=spec["bn_momentum"]))
            elif norm == "layernorm" and not last:
                layers.append(LayerNorm(fo))
            if not last:
                layers.append(act())
        with torch.no_grad():
            lin = [layer for layer in layers if isinstance(layer, Linear)]
            # the lecture's rule, `for layer in layers[:-1]`: the gain goes to every Linear but the
            # network's *last layer*. Without BatchNorm that is the last Linear (x 0.1 instead);
            # with BatchNorm the last layer is the last BatchNorm (its gamma x 0.1), so the last
            # Linear gets the gain too (its weight gradient moves by 1/gain, its update:data by 1/gain^2)
            for layer in layers[:-1]:
                if isinstance(layer, Linear):
                    layer.weight *= spec["gain"]  # 5/3 for tanh: undoes its squashing
            last = layers[-1]
            if isinstance(last, BatchNorm1d):  # less confident output at init
                last.gamma *= spec["last_layer_scale"]
            else:
                last.weight *= spec["last_layer_scale"]
            if spec.get("zero_init"):  # exercise E01: every Linear weight and bias starts at 0
                for layer in lin:
                    layer.weight.zero_()
                    if layer.bias is not None:
                        layer.bias.zero_()
        self.net = Sequential(layers)
        self.layers = layers

    def named_parameters(self) -> list[tuple[str, torch.Tensor]]:
        out = [("C", self.C)]
        for i, layer in enumerate(self.layers):
            for attr in ("weight", "bias", "gamma", "beta"):
                t = getattr(layer, attr, None)
                if t is not None:
                    out.append((f"{i}.{type(layer).__name__}.{attr}", t))
        return out

    def parameters(self) -> list[torch.Tensor]:
        return [p for _, p in self.named_parameters()]

    def buffers(self) -> dict[str, torch.Tensor]:
        out = {}
        for i, layer in enumerate(self.layers):
            if isinstance(layer, BatchNorm1d):
                out[f"{i}.running_mean"] = layer.running_mean
                out[f"{i}.running_var"] = layer.running_var
        return out

    def load_buffers(self, bufs: dict[str, torch.Tensor]) -> None:
        for key, t in bufs.items():
            i, attr = key.split(".", 1)
            setattr(self.layers[int(i)], attr, t)

    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        emb = self.C[X]
        return self.net(emb.view(emb.shape[0], -1))

    def activation_layers(self) -> list[tuple[int, Layer]]:
        """The non-linearity layers whose outputs the diagnostics plot (output layer excluded)."""
        return [(i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, Activation)]

    def train(self, mode: bool = True) -> DeepMLP:
        self.training = mode
        self.net.train(mode)
        return self

    def eval(self) -> DeepMLP:
        return self.train(False)


def build_model(spec: dict, vocab_size: int, block_size: int, g: torch.Generator) -> MLP | DeepMLP:
    return {"mlp": MLP, "deep": DeepMLP}[spec["kind"]](spec, vocab_size, block_size, g)


def set_buffers(model: MLP | DeepMLP, bufs: dict[str, torch.Tensor]) -> None:
    model.load_buffers(bufs)


def loss_fn(logits: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, Y)
