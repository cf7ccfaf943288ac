"""Where rule `data` gets the word list, and what identifies it: its content (sha256), never its path.

Checked when Snakemake reads the Snakefile, before any job runs, so that a wrong setting stops
the run with one line and nothing already verified is deleted (Snakemake removes a job's outputs
before it runs the job: a checksum that could only fail inside the job would cost the good copy):

- names_path given: the file is hashed now (a 230 KB read). Its sha256 is the data's identity:
  a byte-identical copy under another path changes nothing; an edited word list (with
  names_sha256 null) changes the identity, so rule `data` and every training rerun. A names_sha256
  that does not match the file stops here.
- download: the identity is names_sha256 (or, with names_sha256 null, the URL). A names_sha256 that
  contradicts the copy already downloaded from the same URL and verified stops here too.

Rule `data` takes only the identity as a param; the path and URL reach it as resources, which
Snakemake never reruns a job for.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.errors import ConfigError
from pipeline.io import not_a_file, sha256_of

NAMES = Path("data/names.txt")
INFO = Path("results/data.json")


def data_identity(cfg: dict, workdir: str | Path = ".") -> str:
    """The sha256 the word list must have (or `url:<url>` for an unchecked download); raises
    ConfigError naming the setting and the fix when the settings contradict the files."""
    url, path, sha = cfg["names_url"], cfg["names_path"], cfg["names_sha256"]
    sha = sha.lower() if sha else None
    workdir = Path(workdir)
    if path:
        src = Path(path).expanduser()
        src = src if src.is_absolute() else workdir / src
        if not src.is_file():
            raise ConfigError(f"names_path {path!r}: {not_a_file(src)}. Give the path of a word list (one name "
                              "per line), or set names_path to null to download it from names_url.")
        digest = sha256_of(src)
        if sha and digest != sha:
            raise ConfigError(f"names_path {path!r} has sha256 {digest}, but names_sha256 is {sha}. Use the "
                              "lecture's names.txt, or, for a word list of your own, set names_sha256 to its "
                              "checksum (or to null). Nothing was changed.")
        return digest
    info = workdir / INFO
    if sha and (workdir / NAMES).is_file() and info.is_file():
        try:
            recorded = json.loads(info.read_text())
        except (OSError, ValueError):
            recorded = {}
        if recorded.get("origin") == url and recorded.get("sha256") not in (None, sha):
            raise ConfigError(f"names_sha256 is {sha}, but the word list already downloaded from {url} and "
                              f"verified has sha256 {recorded['sha256']} (data/names.txt). A mistyped checksum? "
                              "If the file at that URL has really changed, delete data/names.txt and "
                              "results/data.json to download it again. Nothing was changed.")
    return sha or f"url:{url}"
