"""Training: the lecture's loop, one model at a time (loop.py); the batched engine, many models
as one stacked computation (engine.py); which experiments share a stack (groups.py, torch-free);
the jobs of the Snakefile (jobs.py) and the trainings they save (store.py); and below both loops,
the learning-rate schedule (schedule.py), progress lines (progress.py), divergence records
(divergence.py), resumable states (resume.py), evaluation and sampling (evaluation.py), and the
run directory every trained model is written to (finish.py)."""
