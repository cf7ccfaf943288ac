"""Training: the lecture's loop, one model at a time (loop.py); the batched engine, many models
as one stacked computation (engine.py); which experiments share a stack (groups.py, torch-free);
and below both, the run directory every trained model is written to (rundir.py)."""
