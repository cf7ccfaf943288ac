"""Exercise E02: fold a trained BatchNorm into the Linear before it, for inference.

At evaluation a BatchNorm is a fixed affine map per feature,
    y = gamma * (x @ W + b - mean) / std + beta,
so it merges into the Linear: W' = W * (gamma / std) (column-wise), b' = (b - mean) * gamma / std + beta.
The folded network computes the same logits with one matmul + bias less work per BatchNorm.
"""

from __future__ import annotations

import time

import torch

from pipeline.nn.layers import BatchNorm1d, Layer, Linear, Sequential
from pipeline.nn.models import MLP, DeepMLP


def fold_linear_bn(lin: Linear, bn: BatchNorm1d) -> Linear:
    """A new Linear equal to bn(lin(x)) in eval mode (running statistics)."""
    scale = bn.gamma / torch.sqrt(bn.running_var + bn.eps)
    bias = lin.bias if lin.bias is not None else torch.zeros_like(bn.running_mean)
    out = Linear.__new__(Linear)
    out.weight = lin.weight * scale  # scales each output column
    out.bias = (bias - bn.running_mean) * scale + bn.beta
    return out


class FoldedDeep:
    """DeepMLP with every (Linear, BatchNorm1d) pair merged; inference only."""

    def __init__(self, model: DeepMLP):
        layers: list[Layer] = []
        src = model.layers
        i = 0
        while i < len(src):
            if isinstance(src[i], Linear) and i + 1 < len(src) and isinstance(src[i + 1], BatchNorm1d):
                layers.append(fold_linear_bn(src[i], src[i + 1]))
                i += 2
            else:
                layers.append(src[i])
                i += 1
        self.C = model.C
        self.net = Sequential(layers).eval()
        self.layers = layers

    @torch.no_grad()
    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        emb = self.C[X]
        return self.net(emb.view(emb.shape[0], -1))


class FoldedMLP:
    """Part A MLP with its BatchNorm (whichever statistics it evaluates with) merged into W1."""

    def __init__(self, model: MLP):
        mean, std = model.eval_stats()
        scale = model.bngain / std
        b1 = model.b1 if model.b1 is not None else 0.0
        self.C = model.C
        self.W1 = model.W1 * scale
        self.b1 = ((b1 - mean) * scale + model.bnbias).squeeze(0)
        self.W2, self.b2 = model.W2, model.b2

    @torch.no_grad()
    def __call__(self, X: torch.Tensor) -> torch.Tensor:
        emb = self.C[X]
        h = torch.tanh(emb.view(emb.shape[0], -1) @ self.W1 + self.b1)
        return h @ self.W2 + self.b2


def fold(model: MLP | DeepMLP) -> FoldedMLP | FoldedDeep:
    model.eval()
    return FoldedDeep(model) if isinstance(model, DeepMLP) else FoldedMLP(model)


def n_bn(model: MLP | DeepMLP) -> int:
    if isinstance(model, DeepMLP):
        return sum(isinstance(layer, BatchNorm1d) for layer in model.layers)
    return 1 if model.bn else 0


@torch.no_grad()
def _time(fn, X: torch.Tensor, repeats: int) -> float:
    fn(X)  # warm-up
    best = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(X)
        best.append(time.perf_counter() - t0)
    best.sort()
    return best[len(best) // 2]  # median: robust to a busy machine


@torch.no_grad()
def check_and_time(model: MLP | DeepMLP, X: torch.Tensor, repeats: int = 50, batch_sizes=(1, 32, None)) -> dict:
    """Max |folded - unfolded| logits over X, and median forward times for a few batch sizes."""
    model.eval()
    folded = fold(model)
    ref, got = model(X), folded(X)
    out = {"n_batchnorm_folded": n_bn(model), "examples": int(X.shape[0]),
           "max_abs_diff": float((ref - got).abs().max()), "allclose": bool(torch.allclose(ref, got, atol=1e-5,
                                                                                          rtol=1e-4)),
           "timings": []}
    for bs in batch_sizes:
        Xb = X if bs is None else X[:bs]
        reps = repeats if bs is None else repeats * 20
        t_ref, t_fold = _time(model, Xb, reps), _time(folded, Xb, reps)
        out["timings"].append({"batch": int(Xb.shape[0]), "unfolded_ms": 1e3 * t_ref, "folded_ms": 1e3 * t_fold,
                               "speedup": t_ref / t_fold if t_fold > 0 else None})
    out["threads"] = torch.get_num_threads()
    return out
