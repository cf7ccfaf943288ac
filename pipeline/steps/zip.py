"""Zip figure groups' download files with LICENSE-CONTENT and a README.txt of the figures'
provenance, reproducibly (sorted entries, fixed dates and modes): pipeline/bundle.py."""

from __future__ import annotations

NAME = "zip"
HELP = "zip the download files of figure groups, reproducibly"


def add_arguments(p) -> None:
    p.add_argument("groups", nargs="+", help="downloads/figures/<group> directories (a site page's figures each)")
    p.add_argument("--license", default="LICENSE-CONTENT", help="the figures' licence, zipped beside them")
    p.add_argument("--out", required=True, help="e.g. downloads/kaiming.zip")


def run(a) -> None:
    from pipeline.bundle import write_zip
    print(f"wrote {a.out}: {len(write_zip(a.groups, a.license, a.out))} files")
