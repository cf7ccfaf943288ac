"""Data: vocabulary, split, context windows on the real file; fetch errors."""

import hashlib

import pytest

from pipeline.data import CANONICAL_SHA256, DataError, Vocab, build_examples, fetch, read_words


def test_real_file_checksum(names_path):
    assert hashlib.sha256(names_path.read_bytes()).hexdigest() == CANONICAL_SHA256


def test_vocab_and_split_sizes(dataset):
    assert len(dataset.vocab) == 27
    assert dataset.vocab.itos[0] == "." and dataset.vocab.itos[1] == "a" and dataset.vocab.itos[26] == "z"
    assert dataset.sizes == {"train": 182625, "val": 22655, "test": 22866}
    X, Y = dataset.splits["train"]
    assert X.shape == (182625, 3) and Y.shape == (182625,)


def test_context_windows():
    vocab = Vocab.from_words(["emma", "ab"])
    X, Y = build_examples(["ab"], vocab, block_size=3)
    s = vocab.stoi
    assert X.tolist() == [[0, 0, 0], [0, 0, s["a"]], [0, s["a"], s["b"]]]
    assert Y.tolist() == [s["a"], s["b"], 0]  # the final '.' is a target too


def test_fetch_copies_local_file_and_verifies(tmp_path, names_path):
    out = tmp_path / "data" / "names.txt"
    assert fetch(out, local=names_path) == CANONICAL_SHA256
    assert out.read_bytes() == names_path.read_bytes()


def test_fetch_missing_local_file(tmp_path):
    with pytest.raises(DataError, match="nope.txt': no such file"):
        fetch(tmp_path / "out.txt", local=tmp_path / "nope.txt")
    assert not (tmp_path / "out.txt").exists()


def test_fetch_checksum_mismatch_writes_nothing(tmp_path):
    bad = tmp_path / "names.txt"
    bad.write_text("emma\nolivia\nava\n")
    out = tmp_path / "data" / "names.txt"
    with pytest.raises(DataError, match="checksum mismatch") as e:
        fetch(out, local=bad)
    assert "names_path" in str(e.value)  # says how to supply a local copy
    assert not out.exists()
    assert list(out.parent.iterdir()) == []  # no temporary file left behind


def test_fetch_unreachable_url(tmp_path):
    out = tmp_path / "names.txt"
    with pytest.raises(DataError, match="could not download") as e:
        fetch(out, url="http://127.0.0.1:9/names.txt", timeout=5)
    assert "names_path" in str(e.value)
    assert not out.exists()


def test_read_words_rejects_too_few(tmp_path):
    p = tmp_path / "w.txt"
    p.write_text("anna\n\n")
    with pytest.raises(DataError, match="too few for a train/val/test split"):
        read_words(p)
