"""Numbers from tensors and runs: the lecture's diagnostics (diagnostics.py), statistics over
seeds (stats.py), the Part C demonstrations (demos.py), the lecture's own printed numbers
(lecture.py) and the Part A table beside them (tables.py)."""
