"""The names data set: fetch and verify, vocabulary, split, context windows.

The vocabulary comes from the data ('.' then the sorted letters), never from config.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

from .io import atomic_path

CANONICAL_URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
CANONICAL_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
LOCAL_HINT = (
    "To use a local copy instead, pass its path: "
    "snakemake -j4 --config names_path=/path/to/names.txt"
)


class DataError(RuntimeError):
    """The data set could not be obtained or is not what the config says it is."""


def sha256_of(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(out: str | Path, *, url: str = CANONICAL_URL, local: str | Path | None = None,
          sha256: str | None = CANONICAL_SHA256, timeout: float = 30.0) -> str:
    """Put the word list at `out` (copied from `local`, else downloaded from `url`), verified.

    Returns the sha256 of the file. Nothing is written to `out` unless the checksum matches.
    """
    out = Path(out)
    with atomic_path(out) as tmp:
        if local:
            src = Path(local).expanduser()
            if not src.is_file():
                raise DataError(f"names_path points to {str(src)!r}, which is not a file. "
                                "Give the path of an existing word list (one name per line), "
                                "or leave names_path empty to download it.")
            shutil.copyfile(src, tmp)
            origin = f"local file {src}"
        else:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as r:
                    tmp.write_bytes(r.read())
            except (urllib.error.URLError, OSError, ValueError) as e:
                raise DataError(f"could not download the word list from {url} ({e}). "
                                f"{LOCAL_HINT}") from None
            origin = url
        digest = sha256_of(tmp)
        if sha256 and digest != sha256.lower():
            raise DataError(f"checksum mismatch for {origin}: expected sha256 {sha256}, got {digest}. "
                            "The file is not the expected names.txt (truncated or edited?). "
                            f"{LOCAL_HINT} -- or, for a word list of your own, also set "
                            "names_sha256 to its checksum (or to null to skip the check).")
    return digest


def read_words(path: str | Path) -> list[str]:
    """One word per line; blank lines and surrounding whitespace are ignored."""
    text = Path(path).read_text(encoding="utf-8-sig")  # tolerate a BOM
    words = [w.strip() for w in text.splitlines()]
    words = [w for w in words if w]
    if len(words) < 3:
        raise DataError(f"{path} holds {len(words)} word(s); a train/val/test split needs at least 3.")
    bad = sorted({c for w in words for c in w if c == "." or c.isspace()})
    if bad:
        raise DataError(f"{path}: words may not contain {bad!r}: '.' marks the start and end of a word.")
    return words


@dataclass(frozen=True)
class Vocab:
    itos: tuple[str, ...]  # index 0 is '.', the start/end token

    @classmethod
    def from_words(cls, words: list[str]) -> Vocab:
        return cls(("." ,) + tuple(sorted(set("".join(words)))))

    @property
    def stoi(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.itos)}

    def __len__(self) -> int:
        return len(self.itos)


def split_words(words: list[str], seed: int = 42) -> tuple[list[str], list[str], list[str]]:
    """Shuffle with Python's random (as the lecture does) and cut at 80% / 90%."""
    words = list(words)
    random.seed(seed)
    random.shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return words[:n1], words[n1:n2], words[n2:]


def build_examples(words: list[str], vocab: Vocab, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every (context of block_size previous tokens, next token) pair, '.'-padded at the start."""
    stoi = vocab.stoi
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X, dtype=torch.long).view(-1, block_size), torch.tensor(Y, dtype=torch.long)


@dataclass
class Dataset:
    vocab: Vocab
    block_size: int
    splits: dict[str, tuple[torch.Tensor, torch.Tensor]]  # train / val / test -> (X, Y)
    sha256: str

    @property
    def sizes(self) -> dict[str, int]:
        return {k: int(v[0].shape[0]) for k, v in self.splits.items()}


def load_dataset(path: str | Path, block_size: int = 3, split_seed: int = 42) -> Dataset:
    words = read_words(path)
    vocab = Vocab.from_words(words)
    tr, va, te = split_words(words, split_seed)
    splits = {name: build_examples(ws, vocab, block_size) for name, ws in
              (("train", tr), ("val", va), ("test", te))}
    return Dataset(vocab, block_size, splits, sha256_of(path))
