"""Word lists as people really have them: each one works as documented (read_words) or fails
with a message naming the file and the line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipeline.data import CANONICAL_SHA256, DataError, Vocab, fetch, load_dataset, read_words, sha256_of
from tests.conftest import ROOT

NAMES = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail", "emily"]


def _write(tmp_path, data: bytes):
    p = tmp_path / "words.txt"
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("encode", [
    lambda ws: "\n".join(ws).encode(),                        # no final newline
    lambda ws: ("\n".join(ws) + "\n").encode(),
    lambda ws: ("\r\n".join(ws) + "\r\n").encode(),          # Windows line ends
    lambda ws: ("\r".join(ws) + "\r").encode(),              # old Mac line ends
    lambda ws: b"\xef\xbb\xbf" + ("\n".join(ws)).encode(),   # a BOM
    lambda ws: ("\n\n  " + "\n\n".join(w + "  " for w in ws) + "\n\n\n").encode(),  # blank lines, spaces
    lambda ws: ("\t" + "\n\t".join(ws) + "\n").encode("utf-16"),  # refused below: not UTF-8
])
def test_line_ends_bom_and_blank_lines(tmp_path, encode):
    p = _write(tmp_path, encode(NAMES))
    if encode(["x"]).startswith(b"\xff\xfe"):
        with pytest.raises(DataError, match="line 1: not UTF-8 text"):
            read_words(p)
        return
    assert read_words(p) == NAMES


def test_case_is_kept_and_every_character_is_a_token(tmp_path):
    words = NAMES + ["Anna", "anna", "jean-luc", "zoë", "r2d2"]
    p = _write(tmp_path, "\n".join(words).encode())
    assert read_words(p) == words
    vocab = Vocab.from_words(read_words(p))
    assert vocab.itos[0] == "."
    for c in "A-ë2":
        assert c in vocab.itos
    ds = load_dataset(p)
    assert len(ds.vocab) == len(set("".join(words))) + 1
    assert ds.sha256 == sha256_of(p)


@pytest.mark.parametrize("line,bad", [("mary ann", "' '"), ("st.john", "'.'"), ("a\tb", "'\\t'")])
def test_dots_and_inner_spaces_are_refused_naming_the_line(tmp_path, line, bad):
    p = _write(tmp_path, ("\n".join(NAMES[:5] + [line] + NAMES[5:]) + "\n").encode())
    with pytest.raises(DataError) as e:
        read_words(p)
    assert f"{p}, line 6" in str(e.value) and bad in str(e.value)


@pytest.mark.parametrize("n", [0, 1, 2, 5])
def test_too_few_names(tmp_path, n):
    p = _write(tmp_path, "\n".join(NAMES[:n]).encode())
    with pytest.raises(DataError, match=f"holds {n} word"):
        read_words(p)


def test_ten_names_give_every_split_a_word(tmp_path):
    ds = load_dataset(_write(tmp_path, "\n".join(NAMES[:10]).encode()))
    assert all(v > 0 for v in ds.sizes.values())


def test_invalid_utf8_names_the_line(tmp_path):
    p = _write(tmp_path, b"anna\nbob\n\xff\xfeoops\n" + b"\n".join(w.encode() for w in NAMES))
    with pytest.raises(DataError, match="line 3: not UTF-8"):
        read_words(p)


def test_fetch_refuses_an_unusable_list_naming_the_source(tmp_path):
    src = _write(tmp_path, b"one\n")
    with pytest.raises(DataError) as e:
        fetch(tmp_path / "out.txt", local=src, sha256=None)
    assert "local file" in str(e.value) and str(src) in str(e.value) and ".tmp" not in str(e.value)
    assert not (tmp_path / "out.txt").exists()


def test_fetch_info_records_checksum_origin_and_vocab(tmp_path, names_path):
    info = tmp_path / "data.json"
    proc = subprocess.run([sys.executable, "-m", "pipeline", "fetch", "--out", str(tmp_path / "names.txt"),
                           "--path", str(names_path), "--info", str(info)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(info.read_text())
    assert d["sha256"] == CANONICAL_SHA256 and d["canonical"] is True
    assert d["origin"] == f"local file {names_path.name}"  # the name only: no machine path on the site
    assert d["words"] == 32033 and d["vocab_size"] == 27 and d["vocab"] == ".abcdefghijklmnopqrstuvwxyz"
