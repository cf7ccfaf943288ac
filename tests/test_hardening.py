"""Defects of a red-team run, each fixed as a class (issue: the user who does something unexpected).

- the site rules read the config Snakemake resolved (results/config.json), not config.yaml again;
- the data step's identity is the word list's content: a copy elsewhere reruns nothing, an edit of
  one's own list reruns it, a wrong checksum stops before anything verified is deleted;
- the pipeline graph is the same picture on every run;
- files a user may be handed are read with `weights_only=True`: a checkpoint cannot run code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import ROOT, run_watched

WRONG_SHA = "ab" * 32


def snakemake(workdir: Path, *args: str,
              configfiles=("config.yaml", "config.quick.yaml")) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), "-j1", *args,
           "--configfile", *[str(ROOT / c) if not Path(c).is_absolute() else c for c in configfiles]]
    return run_watched(cmd)  # bounded by silence, not wall time: conftest


def planned_rules(proc: subprocess.CompletedProcess) -> set[str]:
    """The rules a dry run would run."""
    out = proc.stdout + proc.stderr
    return {line.split()[-1].rstrip(":") for line in out.splitlines()
            if line.startswith(("rule ", "localrule ")) and line.rstrip().endswith(":")}


# ---- the site sees the config Snakemake resolved --------------------------------------------------

def test_the_site_rules_read_the_config_snakemake_resolved(tmp_path, names_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("experiments:\n  kaiming: {title: 'Kaiming, retitled by a later configfile'}\n")
    files = ("config.yaml", "config.quick.yaml", str(extra))
    dry = snakemake(tmp_path, "-n", "-p", "--forceall", "docs/generated/content", "docs/generated/dag/dag.svg",
                    "--config", f"names_path={names_path}", configfiles=files)
    assert dry.returncode == 0, dry.stderr[-3000:]
    site_cmds = [line for line in dry.stdout.splitlines() if "-m pipeline site " in line]
    assert len(site_cmds) == 2, dry.stdout[-3000:]
    for line in site_cmds:  # one resolved file, never config.yaml read again over the overrides
        assert "--configfile results/config.json" in line and "config.yaml" not in line, line

    done = snakemake(tmp_path, "results/config.json", "--config", f"names_path={names_path}", configfiles=files)
    assert done.returncode == 0, done.stderr[-3000:]
    from pipeline.site.build import load_cfg
    cfg = load_cfg([str(tmp_path / "results/config.json")])
    assert cfg["resolved"]["kaiming"]["title"] == "Kaiming, retitled by a later configfile"
    assert cfg["resolved"]["kaiming"]["steps"] == 300  # config.quick.yaml, not config.yaml's 200,000
    assert cfg["names_path"] == str(names_path)  # --config reaches it too
    # in config.yaml's order, which is the lecture's: each Part A page compares its variant with the one
    # before it (sorted keys once made scaled_logits's "previous variant" kaiming)
    from pipeline.config import merge, read_yaml
    expected = merge(merge(read_yaml(ROOT / files[0]), read_yaml(ROOT / files[1])), read_yaml(extra))["experiments"]
    assert list(cfg["experiments"])[:len(expected)] == list(expected)  # the generated ones (seeds, sweeps) after
    assert list(cfg["resolved"])[:6] == ["bad_init", "scaled_logits", "fixed_tanh", "kaiming", "batchnorm",
                                         "batchnorm_running"]


# ---- the data step: its identity is the content ---------------------------------------------------

@pytest.fixture
def fetched(tmp_path, names_path) -> Path:
    done = snakemake(tmp_path, "data/names.txt", "--config", f"names_path={names_path}")
    assert done.returncode == 0, done.stderr[-3000:]
    return tmp_path


def test_a_byte_identical_copy_elsewhere_reruns_nothing(fetched, tmp_path_factory, names_path):
    copy = tmp_path_factory.mktemp("elsewhere") / "my_names.txt"
    shutil.copyfile(names_path, copy)
    dry = snakemake(fetched, "-n", "data/names.txt", "--config", f"names_path={copy}")
    assert dry.returncode == 0, dry.stderr[-3000:]
    assert "data" not in planned_rules(dry), dry.stdout[-3000:]


def test_an_edited_word_list_of_ones_own_is_noticed(tmp_path, names_path):
    own = tmp_path / "own.txt"
    shutil.copyfile(names_path, own)
    args = ("--config", f"names_path={own}", "names_sha256=null")
    assert snakemake(tmp_path, "data/names.txt", *args).returncode == 0
    assert "data" not in planned_rules(snakemake(tmp_path, "-n", "data/names.txt", *args))
    with open(own, "a") as f:
        f.write("zzyzx\n")
    dry = snakemake(tmp_path, "-n", "data/names.txt", *args)
    assert "data" in planned_rules(dry), dry.stdout[-3000:]


@pytest.mark.parametrize("source", ["names_path", "download"])
def test_a_wrong_checksum_stops_before_the_verified_copy_is_touched(fetched, names_path, source):
    if source == "download":  # as if the copy had been downloaded: the URL is its recorded origin
        info = json.loads((fetched / "results/data.json").read_text())
        from pipeline.config import read_yaml
        info["origin"] = read_yaml(ROOT / "config.yaml")["names_url"]
        (fetched / "results/data.json").write_text(json.dumps(info))
    before = {f: ((fetched / f).read_bytes(), (fetched / f).stat().st_mtime_ns)
              for f in ("data/names.txt", "results/data.json")}
    args = ["--config", f"names_sha256={WRONG_SHA}"]
    if source == "names_path":
        args.append(f"names_path={names_path}")
    proc = snakemake(fetched, "data/names.txt", *args)
    assert proc.returncode != 0
    err = proc.stdout + proc.stderr
    assert "names_sha256" in err and "Nothing was changed" in err and "Traceback" not in err, err[-2000:]
    assert {f: ((fetched / f).read_bytes(), (fetched / f).stat().st_mtime_ns) for f in before} == before


# ---- the same picture of the pipeline on every run -------------------------------------------------

def test_the_pipeline_graph_is_the_same_on_every_run(tmp_path, names_path):
    done = snakemake(tmp_path, "results/config.json", "--config", f"names_path={names_path}")
    assert done.returncode == 0, done.stderr[-3000:]
    svgs = []
    for seed in ("1", "2"):  # Python's string hashing differs between processes unless pinned
        out = tmp_path / f"dag{seed}"
        proc = subprocess.run([sys.executable, "-m", "pipeline", "site", "dag", "--snakefile", str(ROOT / "Snakefile"),
                               "--configfile", "results/config.json", "--out", str(out), "--root", str(tmp_path)],
                              cwd=tmp_path, capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(ROOT)))
        assert proc.returncode == 0, proc.stderr[-3000:]
        svgs.append({k: (out / f"{k}.svg").read_bytes() for k in ("dag", "rulegraph")})
    assert svgs[0] == svgs[1]


# ---- a checkpoint cannot run code when loaded -----------------------------------------------------

class _Payload:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_checkpoint_carrying_code_is_refused_not_run(tmp_path, dataset, monkeypatch):
    from pipeline.studies.common import load_trained
    run = tmp_path / "run"
    run.mkdir()
    torch.save({"spec": _Payload(), "params": {}}, run / "checkpoint.pt")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Exception):  # noqa: B017 (torch's UnpicklingError, or our one-line error)
        load_trained(run, dataset)
    assert not (tmp_path / "pwned").exists()
