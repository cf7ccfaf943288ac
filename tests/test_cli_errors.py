"""Every CLI step answers missing, damaged or nonsensical input with one line naming the file or the
flag and the fix: no traceback (issue: the user who does something unexpected, class 9)."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import pytest

from pipeline import cli
from tests.conftest import ROOT


def run_cli(capsys, *argv: str) -> str:
    """stderr of `python -m pipeline ARGV`, which must fail with one `error:` line (argparse: its usage too)."""
    try:
        rc = cli.main(list(argv))
    except SystemExit as e:  # argparse refuses a flag's value with exit status 2
        rc = e.code
    err = capsys.readouterr().err
    assert rc not in (0, None), err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("error:", "python -m pipeline")), err
    return err


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, names_path) -> Path:
    """A tiny finished run directory to damage."""
    from pipeline.config import PRESENTATION_KEYS, load
    spec = {k: v for k, v in load(ROOT / "config.yaml")["resolved"]["kaiming"].items() if k not in PRESENTATION_KEYS}
    spec.update(steps=20, lr_decay_step=10)
    out = tmp_path_factory.mktemp("run") / "kaiming"
    from pipeline.training.loop import train
    train(spec, names_path, out)
    return out


def damaged(run: Path, tmp_path: Path, name: str, keep_bytes: int | None = None, text: str | None = None) -> Path:
    copy = tmp_path / run.name
    shutil.copytree(run, copy)
    f = copy / name
    f.write_bytes(f.read_bytes()[:keep_bytes] if text is None else text.encode())
    return copy


def test_bad_flags_and_specs(capsys, names_path, tmp_path):
    data, out = str(names_path), str(tmp_path / "r")

    def evaluate(specs: str, *more: str) -> str:
        return run_cli(capsys, "evaluate", "--specs", specs, "--trained", str(tmp_path / "t.pt"), "--data", data,
                       "--out", out, *more)
    assert "--specs[0]: 'kind' must be one of" in evaluate("[{}]")
    assert "lacks" in evaluate('[{"kind": "mlp"}]')
    assert "not valid JSON" in evaluate("{nope")
    assert "--specs: expected a JSON list" in evaluate("{}")
    assert "0 is below 1" in evaluate(f"[{cli_spec()}]", "--threads", "0")
    assert "-5 is below 0" in run_cli(capsys, "train-stack", "--specs", f"[{cli_spec()}]", "--data", data,
                                      "--out", out, "--checkpoint-every", "-5")
    assert "--spec lacks" in run_cli(capsys, "study", "seeds", "--spec", "{}", "--runs", str(tmp_path),
                                     "--figures", str(tmp_path / "f"))


def test_missing_inputs_are_named(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    assert f"{missing}: no such word list" in run_cli(capsys, "train-stack", "--specs", f"[{cli_spec()}]",
                                                     "--data", str(missing), "--out", str(tmp_path / "r.pt"))
    assert f"{missing}/config.json: no such file" in run_cli(capsys, "plot", "--run", str(missing), "--out",
                                                             str(tmp_path / "f"))
    assert "metrics.json: no such file" in run_cli(capsys, "report", "--metrics", str(missing / "metrics.json"),
                                                   "--json", str(tmp_path / "t.json"), "--md", str(tmp_path / "t.md"))


@pytest.mark.parametrize("name,keep,text,says", [
    ("metrics.json", None, "{not json", "not valid JSON"),
    ("history.npz", 100, None, "not a readable .npz archive"),
    ("probes.npz", 0, None, "not a readable .npz archive"),
])
def test_a_damaged_run_file_is_named_with_the_fix(capsys, finished_run, tmp_path, name, keep, text, says):
    run = damaged(finished_run, tmp_path, name, keep, text)
    err = run_cli(capsys, "plot", "--run", str(run), "--out", str(tmp_path / "f"))
    assert f"{run / name}: {says}" in err and "run snakemake again" in err


def test_a_truncated_checkpoint_is_named_with_the_fix(finished_run, tmp_path, dataset):
    from pipeline.errors import DataError
    from pipeline.studies.common import load_trained
    run = damaged(finished_run, tmp_path, "checkpoint.pt", keep_bytes=1000)
    with pytest.raises(DataError, match=r"checkpoint.pt: not a readable checkpoint .*run snakemake again"):
        load_trained(run, dataset)


@pytest.mark.parametrize("failure", ["torch zip writer", "ENOSPC"])
def test_a_full_disk_is_one_line(capsys, monkeypatch, names_path, tmp_path, failure):
    """A full disk, as torch.save reports it (its zip writer's RuntimeError) and as the OS does."""
    import torch

    def full(*a, **k):
        if failure == "ENOSPC":
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "r" / "checkpoint.pt"))
        raise RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 4480 vs 4374")
    monkeypatch.setattr(torch, "save", full)
    err = run_cli(capsys, "train-stack", "--specs", f"[{cli_spec()}]", "--data", str(names_path),
                  "--out", str(tmp_path / "r" / "trained.pt"))
    assert "disk full" in err or "no space left" in err
    assert not list((tmp_path / "r").glob(".*.tmp")), "a temporary file was left behind"


def cli_spec() -> str:
    from pipeline.config import PRESENTATION_KEYS, load
    spec = {k: v for k, v in load(ROOT / "config.yaml")["resolved"]["kaiming"].items() if k not in PRESENTATION_KEYS}
    spec.update(steps=5, lr_decay_step=2)
    return json.dumps(spec)
