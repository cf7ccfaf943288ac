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


def test_a_kill_between_a_sealed_file_and_its_hash_leaves_no_false_damage(tmp_path, monkeypatch):
    """A resume state is replaced every checkpoint: killed after the new file is in place but before its
    hash is, the old hash must not be left beside the new file (the state would read as damaged, and the
    training restart from step 0). The file is then read unchecked, as one written without a hash."""
    import pipeline.io as pio
    target = tmp_path / "state.json"
    pio.write_json(target, {"step": 1})
    assert pio.hash_path(target).exists()

    def killed(*_):
        raise KeyboardInterrupt  # the process dies here

    monkeypatch.setattr(pio, "_write_hash", killed)
    with pytest.raises(KeyboardInterrupt):
        pio.write_json(target, {"step": 2})
    monkeypatch.undo()
    assert pio.read_json(target) == {"step": 2}  # not "damaged"
