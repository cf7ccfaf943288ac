"""What may differ between two runs of the same config and data on the same machine: how long
things took. Listed here once; whatever compares runs (tests/test_robustness.py,
scripts/compare_runs.py) ignores exactly these and nothing else.
"""

TIMING_FIELDS = frozenset({"train_seconds", "ms_per_step", "wall_seconds", "resumed_from_step"})  # metrics.json
# files whose whole content is timing or bookkeeping of one invocation
TIMING_PATHS = ("results/benchmarks/", "logs/", ".snakemake/")
