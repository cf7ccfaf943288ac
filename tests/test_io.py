"""atomic_path: the README promises that an interrupted run, power loss included, never leaves a
file that looks complete but is not. A rename is only durable once the file's data and then the
directory entry are on disk: fsync the file, rename, fsync the directory, in that order."""

from __future__ import annotations

import os
import stat

import pytest

from pipeline import io


def test_file_is_synced_before_the_rename_and_the_directory_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        mode = os.fstat(fd).st_mode
        events.append(("fsync", "dir" if stat.S_ISDIR(mode) else "file"))
        real_fsync(fd)

    def replace(a, b):
        events.append(("replace", os.path.basename(b)))
        real_replace(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    io.write_json(tmp_path / "m.json", {"a": 1})
    once = [("fsync", "file"), ("replace", "m.json"), ("fsync", "dir")]
    # then its content hash, written the same way (a reader checks the file against it)
    assert events == once + [("fsync", "file"), ("replace", "m.json.sha256"), ("fsync", "dir")]
    assert io.read_json(tmp_path / "m.json") == {"a": 1}


def test_a_failed_write_leaves_neither_target_nor_temporary(tmp_path):
    with pytest.raises(RuntimeError), io.atomic_path(tmp_path / "x.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
