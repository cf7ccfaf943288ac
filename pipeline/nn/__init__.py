"""The networks: layers written from scratch in the shape of torch.nn (layers.py), the lecture's
models built from an experiment's init recipe (models.py), and BatchNorm folded into the Linear
before it for inference (fold.py, exercise E02)."""
