"""Atomic, durable file output: write to a temporary file beside the target, flush it to disk,
rename it onto the target, then flush the directory entry.

A killed job therefore never leaves a file that looks complete but is not, and after a power
loss a file that was renamed into place holds its whole content (the rename alone may reach the
disk before the data does: fsync the file first, then the directory that records the rename).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import DataError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, sealed: bool = False) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it onto `path` on success.
    `sealed`: also write the content hash a later step checks the file against (see seal)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        _fsync(tmp)
        digest = content_hash(path.name, tmp.read_bytes()) if sealed else None
        if digest:  # a kill between the rename and the new hash must not leave the old hash beside the
            hash_path(path).unlink(missing_ok=True)  # new file (a 'damaged' state, retrained from step 0)
        os.replace(tmp, path)
        _fsync(path.parent)
        if digest:
            _write_hash(path, digest)
    finally:
        if tmp.exists():
            tmp.unlink()


# ---- content hashes: what a later step reads is checked against the hash written with it ----------
#
# Beside each artefact one step writes and another reads (trained.pt, checkpoint.pt, a resume state,
# .npz, .json) lies `<name>.sha256`, one line as `sha256sum` writes it. A reader verifies the file
# against it (verify), so a flipped byte is one line naming the file, never wrong weights flowing
# into evaluation, figures and the site (torch does not check its archive's CRCs on load; a JSON
# number with a wrong digit parses). A JSON file's timings (pipeline/reproducible.py) are masked
# before hashing, so two clean runs write the same hash files too; they are what the run cost, not
# a result. A file without a hash file (written by hand, or by an older version) is read unchecked.

HASH_SUFFIX = ".sha256"


def hash_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.name + HASH_SUFFIX)


def content_hash(name: str, data: bytes) -> str:
    """The sha256 of a file's bytes, those of a .json with their timings masked."""
    import hashlib
    if name.endswith(".json"):
        from pipeline.reproducible import mask
        data = mask(name, data)
    return hashlib.sha256(data).hexdigest()


def _write_hash(path: Path, digest: str) -> None:
    with atomic_path(hash_path(path)) as tmp:
        tmp.write_text(f"{digest}  {path.name}\n", encoding="utf-8")


def seal(path: str | os.PathLike) -> None:
    """Write the content hash of a file already in place."""
    path = Path(path)
    _write_hash(path, content_hash(path.name, path.read_bytes()))


def verify(path: str | os.PathLike, data: bytes | None = None) -> bytes:
    """The bytes of `path`, checked against its hash file; DataError (one line) if they differ."""
    path = Path(path)
    if data is None:
        data = path.read_bytes()
    try:
        recorded = hash_path(path).read_text(encoding="utf-8").split()
    except FileNotFoundError:
        return data
    except (OSError, UnicodeDecodeError):
        recorded = []
    if not recorded or recorded[0] != content_hash(path.name, data):
        raise DataError(f"{path}: its content does not match the sha256 written with it "
                        f"({hash_path(path).name}); the file is damaged: {REBUILD}.")
    return data


def _fsync(path: Path) -> None:
    """Flush a file's data, or a directory's entries, to the disk."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sha256_of(path: str | os.PathLike) -> str:
    """The sha256 of a file, read in 1 MiB blocks (torch-free: the Snakefile hashes the word list)."""
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def not_a_file(path: Path) -> str:
    """What is at `path` instead of a regular file, in words."""
    import stat
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file"
    except OSError as e:
        return f"cannot be read ({e.strerror})"
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return f"is {what}, not a file"
    return "is not a regular file"


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    with atomic_path(path, sealed=True) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False, allow_nan=True) + "\n", encoding="utf-8")


# ---- reading what an earlier step wrote: a missing or damaged file is one line naming it and the fix ----

REBUILD = "delete it and run snakemake again, which rebuilds it (and only what depends on it)"


def _missing(path: Path) -> DataError:
    return DataError(f"{path}: no such file. An earlier step of the workflow writes it: run snakemake, "
                     "which makes what is missing.")


def read_json(path: str | os.PathLike) -> Any:
    path = Path(path)
    try:
        data = path.read_bytes()
        obj = json.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise _missing(path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not valid JSON ({e}); the file is damaged: {REBUILD}.") from None
    verify(path, data)  # valid JSON, but what was written? (a wrong digit still parses)
    return obj


def read_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Every array of an .npz file (written by write_npz), read at once."""
    import io
    path = Path(path)
    try:
        data = path.read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise _missing(path) from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise DataError(f"{path}: not a readable .npz archive ({e}); the file is damaged: {REBUILD}.") from None
    verify(path, data)
    return arrays


def load_torch(path: str | os.PathLike) -> Any:
    """A checkpoint or state written by this pipeline: tensors and plain types only, so it is read with
    `weights_only=True` and a file from elsewhere cannot run code when loaded."""
    import io
    import pickle

    import torch
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _missing(path) from None
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True)
    except pickle.UnpicklingError as e:
        raise DataError(f"{path}: refused: it holds more than tensors and plain values ({str(e).splitlines()[0]}); "
                        "this pipeline never writes such a file. Rebuild it: " + REBUILD + ".") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError) as e:
        why = str(e).splitlines()[0].split(". ")[0]
        raise DataError(f"{path}: not a readable checkpoint ({why}); the file is damaged or truncated: {REBUILD}.") \
            from None
    verify(path, data)  # it loaded: but are these the tensors that were written? (torch checks no CRC)
    return obj


def write_npz(path: str | os.PathLike, **arrays: np.ndarray) -> None:
    """np.savez_compressed, but byte-reproducible: np.savez stamps each member with the current
    time, so two identical runs would differ. Members get a fixed date instead; np.load reads it."""
    with atomic_path(path, sealed=True) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, value in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with zf.open(info, "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asanyarray(value), allow_pickle=False)
