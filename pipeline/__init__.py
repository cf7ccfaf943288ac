"""Reproduce the makemore lecture on activations, gradients and BatchNorm.

Sub-packages, in the order a run uses them: config (load, validate, resolve), data (fetch,
vocabulary, split), nn (layers from scratch, models from init recipes), training (the lecture's
loop, the batched engine, the run directory), analysis (tensors -> the lecture's numbers),
plots (numbers -> figures), studies (past the lecture, one module each), site (pages from
templates), workflow (what the Snakefile reads). `python -m pipeline <step>` runs one step (cli.py;
steps holds one module per step).
"""

__version__ = "0.1.0"
