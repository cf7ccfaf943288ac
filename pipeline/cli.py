"""Command line: `python -m pipeline <step> --help`. The Snakefile calls these steps."""

from __future__ import annotations

import argparse
import sys

from pipeline import steps

PROG = "python -m pipeline"


def _parser(chosen=None) -> argparse.ArgumentParser:
    """Every step, by name and help line (pipeline/steps/); the arguments of `chosen` (a step module) only."""
    p = argparse.ArgumentParser(prog=PROG, description=__doc__)
    sub = p.add_subparsers(dest="step", required=True, metavar="STEP")
    for name, (_, help_line) in steps.index().items():
        if chosen is not None and chosen.NAME == name:
            s = sub.add_parser(name, help=help_line, description=chosen.__doc__)
            chosen.add_arguments(s)
        else:  # not the step asked for: no arguments, and its --help is not answered here
            sub.add_parser(name, help=help_line, add_help=False)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    known, _ = _parser().parse_known_args(argv)  # which step (or --help, or an unknown step: argparse exits)
    step = steps.load(known.step)  # that step's module alone: a rule's code is its own step's (codegraph.py)
    a = _parser(step).parse_args(argv)
    return guarded(step.run, a)


def guarded(run, a) -> int:
    """run(a)'s exit status; a refused input, a missing file or a full disk is one `error:` line and status 1."""
    from pipeline.errors import (
        DISK_FULL,
        ClaimError,
        ConfigError,
        DataError,
        DivergenceError,
        os_error_line,
        write_failed,
    )
    try:
        rc = run(a)
    except (ConfigError, DataError, DivergenceError, ClaimError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # the machine said no: a full disk, a missing or unwritable path
        print(f"error: {os_error_line(e)}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        if not write_failed(e):
            raise
        print(f"error: writing a file failed ({str(e).splitlines()[0][:120]}); {DISK_FULL}", file=sys.stderr)
        return 1
    return rc or 0
