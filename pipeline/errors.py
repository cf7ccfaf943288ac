"""The errors a step reports as one line (`error: ...`) instead of a traceback.

They live apart from the modules that raise them so the CLI can catch them without importing
those modules (and so a rule's code inputs, derived from imports, stay its own: codegraph.py).
"""


class ConfigError(ValueError):
    """The configuration is invalid; the message names the key and how to fix it."""


class DataError(RuntimeError):
    """The data set could not be obtained or is not what the config says it is."""


class DivergenceError(RuntimeError):
    """The loss became NaN or inf."""


class ClaimError(RuntimeError):
    """Sentences of the site that the run's outputs contradict; one line per claim."""
