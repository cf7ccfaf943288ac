"""The learning-rate schedule both training loops step by: the lecture's step decay."""

from __future__ import annotations


def lr_at(spec: dict, step: int) -> float:
    """`lr` until step `lr_decay_step`, then `lr_decayed` (no decay when lr_decay_step is None)."""
    decay = spec["lr_decay_step"]
    return spec["lr"] if decay is None or step < decay else spec["lr_decayed"]
