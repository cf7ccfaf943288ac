"""Download names.txt (or copy a local file) and verify its sha256. Nothing is written unless the
checksum matches."""

from __future__ import annotations

NAME = "fetch"
HELP = "put the word list in place, verified by sha256"


def add_arguments(p) -> None:
    p.add_argument("--out", required=True, help="where to write the word list, e.g. data/names.txt")
    p.add_argument("--info", default="", help="also write its sha256, origin and vocabulary here (JSON)")
    p.add_argument("--url", default=None)  # None: pipeline.data.CANONICAL_URL
    p.add_argument("--path", default="", help="a local copy to use instead of downloading")
    p.add_argument("--expect", default="", help="what the workflow computed when it read the Snakefile: the "
                                                "sha256 the copy must have (replaces --sha256), or url:<url>")
    p.add_argument("--sha256", default=None,  # None: pipeline.data.CANONICAL_SHA256
                   help="expected checksum, or 'none' to skip the check")


def run(a) -> None:
    from pipeline.data import CANONICAL_SHA256, CANONICAL_URL, fetch
    url = a.url if a.url is not None else CANONICAL_URL
    sha256 = a.sha256 if a.sha256 is not None else CANONICAL_SHA256
    if a.expect:  # rule data: the checksum is the identity Snakemake computed (workflow/data_source.py)
        sha256 = "none" if a.expect.startswith("url:") else a.expect
    digest = fetch(a.out, url=url, local=a.path or None, sha256=None if sha256 == "none" else sha256)
    if a.info:
        from pathlib import Path

        from pipeline.data import describe
        from pipeline.io import write_json
        origin = f"local file {Path(a.path).name}" if a.path else url  # no machine paths on the site
        write_json(a.info, describe(a.out, origin))
    print(f"{a.out}: sha256 {digest} ({'copied from ' + a.path if a.path else 'downloaded from ' + url})")
