"""Compare two pipeline working directories byte for byte: results/, figures/ and site/.

    python scripts/compare_trees.py RUN_A RUN_B

Two clean runs of the same config and data on the same machine must write the same bytes. The only
thing allowed to differ is what the run cost, listed once in pipeline/reproducible.py:

  - JSON keys TIMING_FIELDS (train_seconds, ms_per_step, ...), at any depth: masked, so the rest of
    such a file (metrics.json, results/tables/part_a.json) must still match;
  - the site's measured numbers, printed as <span class="timing">...</span> in the HTML: masked;
  - files under TIMING_PATHS (results/benchmarks/, logs/, .snakemake/): not compared.

Prints each file that differs (or is in one run only) with where the bytes first differ: the
line and column and the text of both there, or the byte offset and bytes of a binary file such as
a PNG. Exits 1 if anything differs, 0 with a count of the files compared otherwise; 2 on bad usage.

Compare numbers rather than bytes (after a refactoring, say) with scripts/compare_runs.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline import reproducible  # noqa: E402  the one list of what may differ


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="compare_trees.py", description=__doc__.split("\n\n", 1)[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("a", type=Path, metavar="RUN_A", help="a pipeline working directory (snakemake -d)")
    p.add_argument("b", type=Path, metavar="RUN_B", help="the other one")
    p.add_argument("--trees", nargs="+", default=list(reproducible.TREES), metavar="DIR",
                   help="the directories of each run to compare (default: %(default)s)")
    args = p.parse_args(argv)
    for d in (args.a, args.b):
        if not d.is_dir():
            p.error(f"{d} is not a directory")
    if not any((d / t).is_dir() for d in (args.a, args.b) for t in args.trees):
        p.error(f"neither run has any of {', '.join(args.trees)}: not pipeline working directories?")
    diffs, counts = reproducible.compare(args.a, args.b, tuple(args.trees))
    for line in reproducible.report(diffs, counts):
        print(line)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
