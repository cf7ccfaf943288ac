"""Reproduce the makemore lecture on activations, gradients and BatchNorm.

Modules, in the order the pipeline uses them:
config (load + validate), data (fetch, vocabulary, split), layers (from scratch),
models (every init recipe), train (the loop, run directories), diagnostics
(tensor -> numbers), plots (numbers -> figures), report (tables, figure index).
"""

__version__ = "0.1.0"
