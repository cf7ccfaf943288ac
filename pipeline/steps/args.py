"""What several steps parse the same way: counts (`--threads`, `--checkpoint-every`), JSON arguments and
the figure steps' `--downloads`. Nothing here imports what a step runs (every step that parses a count
would otherwise take that code as its own, and rerun when it changes)."""

from __future__ import annotations

import argparse
import json


def count(minimum: int):
    """argparse type: an integer >= minimum, refused with the flag's name otherwise."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"{n} is below {minimum}" + (" (0 turns it off)" if minimum == 0 else ""))
        return n
    parse.__name__ = f"integer >= {minimum}"
    return parse


def json_arg(text: str, flag: str):
    """The value of a JSON flag; ConfigError naming the flag when it is not JSON."""
    from pipeline.errors import ConfigError
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{flag}: not valid JSON ({e}); quote the whole spec for the shell.") from None



def downloads_flag(p) -> None:
    """The figure steps' mode (pipeline/plots/files.py): the site's files, or the downloads'."""
    p.add_argument("--downloads", action="store_true",
                   help="write SVG, PDF and talk PNGs, light and dark, into the downloads tree instead of the "
                        "site's PNG, dark WebP, thumbnail and legend JSON (rules/downloads.smk)")
