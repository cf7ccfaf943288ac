"""A training that diverged: where its loss stopped being finite, which tensor went first, and the
error that names them when the experiment says `on_divergence: stop`."""

from __future__ import annotations

import torch

ADVICE = ". Lower lr or the init scales."


def first_nonfinite(named: list[tuple[str, torch.Tensor]]) -> str | None:
    """The name of the first tensor holding a NaN or an infinity (None ones skipped)."""
    for name, t in named:
        if t is not None and not torch.isfinite(t).all():
            return name
    return None


def at_step(step: int, loss: float, logits: torch.Tensor, model) -> dict:
    """The divergence record of the lecture's loop at `step`: the model as the step left it,
    before any update (its logits, then its parameters, then their gradients)."""
    named = list(model.named_parameters())
    bad = first_nonfinite([("logits", logits)] + named + [(f"grad of {n}", p.grad) for n, p in named])
    return {"step": step, "loss": loss, "first_nonfinite": bad}


def message(name: str, d: dict) -> str:
    """What diverged, for DivergenceError (ADVICE follows the last of them)."""
    return (f"experiment {name!r} diverged at step {d['step']}: the loss is {d['loss']}; "
            f"the first non-finite tensor is {d['first_nonfinite']}")
