"""The names data set: fetch and verify, vocabulary, split, context windows.

The vocabulary comes from the data ('.' then the sorted letters), never from config.
"""

from __future__ import annotations

import random
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import torch

from pipeline.errors import DataError  # noqa: F401  (re-exported)
from pipeline.io import atomic_path, not_a_file, sha256_of  # noqa: F401  (sha256_of re-exported)

CANONICAL_URL = "https://raw.githubusercontent.com/karpathy/makemore/master/names.txt"
CANONICAL_SHA256 = "0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d"
LOCAL_HINT = (
    "To use a local copy instead, pass its path: "
    "snakemake -j4 --config names_path=/path/to/names.txt"
)





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
                raise DataError(f"names_path {str(src)!r}: {not_a_file(src)}. "
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
        try:
            read_words(tmp)  # a word list the pipeline cannot use fails here, in the data rule
        except DataError as e:
            raise DataError(str(e).replace(str(tmp), origin)) from None
    return digest


def read_words(path: str | Path) -> list[str]:
    """The word list: one word per line, in UTF-8.

    What is tolerated, and how: a byte-order mark is dropped; Windows (CRLF) and old Mac (CR)
    line ends are fine; spaces around a word and empty lines are ignored; case is kept, so
    'Anna' and 'anna' are different words and 'A' is a token of its own; any other character
    (digits, '-', 'é', ...) becomes a token of the vocabulary. Refused, with a message naming
    the line: '.' or whitespace inside a word ('.' marks the start and end of a word), text that
    is not UTF-8, and a list too short to give every split (train/val/test) at least one word.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such word list. Give the path of names.txt (one name per line); "
                        "in the workflow, rule data puts it at data/names.txt.")
    try:
        text = path.read_bytes().decode("utf-8-sig")  # tolerate a BOM
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text ({e.reason} at byte {e.start}). "
                        "Save the word list as UTF-8, one word per line.") from None
    words = []
    for n, raw in enumerate(text.splitlines(), 1):
        w = raw.strip()
        if not w:
            continue
        bad = sorted({c for c in w if c == "." or c.isspace()})
        if bad:
            raise DataError(f"{path}, line {n}: the word {w!r} contains {', '.join(repr(c) for c in bad)}; "
                            "words may not contain '.' (it marks the start and end of a word) or spaces.")
        words.append(w)
    sizes = split_sizes(len(words))
    if min(sizes) == 0:
        raise DataError(f"{path} holds {len(words)} word(s): too few for a train/val/test split of 80/10/10% "
                        f"(it would give {sizes[0]}/{sizes[1]}/{sizes[2]} words). Give at least 10 words.")
    return words


def split_sizes(n: int) -> tuple[int, int, int]:
    n1, n2 = int(0.8 * n), int(0.9 * n)
    return n1, n2 - n1, n - n2


def describe(path: str | Path, origin: str, block_size: int = 3, split_seed: int = 42) -> dict:
    """What a site or a reader needs to know about the data a build used (results/data.json)."""
    words = read_words(path)
    vocab = Vocab.from_words(words)
    path = Path(path)
    digest = sha256_of(path)
    return {"sha256": digest, "bytes": path.stat().st_size, "origin": origin,
            "canonical": digest == CANONICAL_SHA256, "canonical_sha256": CANONICAL_SHA256,
            "words": len(words), "vocab_size": len(vocab), "vocab": "".join(vocab.itos),
            "split_words": dict(zip(("train", "val", "test"), split_sizes(len(words)), strict=True))}


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
