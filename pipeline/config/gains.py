"""The gain `gain: recommended` resolves to, per activation, without importing torch when the
config is read (the Snakefile reads it): torch.nn.init.calculate_gain's formulas for the
nonlinearity each activation maps to (pipeline/nn/models.py GAIN_NAMES; elu takes relu's).
tests/test_extras.py checks each value against torch's own function, to the bit."""

from __future__ import annotations

import math

LEAKY_SLOPE = 0.01  # the negative slope our leaky_relu uses, and calculate_gain's default
RECOMMENDED = {
    "tanh": 5.0 / 3,
    "none": 1.0,  # linear
    "sigmoid": 1.0,
    "relu": math.sqrt(2.0),
    "elu": math.sqrt(2.0),
    "leaky_relu": math.sqrt(2.0 / (1 + LEAKY_SLOPE**2)),
}


def recommended_gain(activation: str) -> float:
    try:
        return RECOMMENDED[activation]
    except KeyError:
        raise ValueError(f"no recommended gain for activation {activation!r}; known: "
                         f"{', '.join(RECOMMENDED)}") from None
