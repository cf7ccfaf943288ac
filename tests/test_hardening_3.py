"""Defects of a third red-team run (issue 28), each fixed as a class:

1. sizes nobody can run are refused when the config is validated, from a memory estimate;
2. a damaged artefact (trained.pt, checkpoint, resume state, npz, JSON) is caught on read, against
   the content hash written with it;
3. a title is one line; Markdown escaping holds on every line of a text; a code block shows the
   text once, unescaped;
4. nesting in a config file is bounded while it is parsed;
5. a failed site build leaves the earlier site (or none), never part of a new one;
6. scripts/publish.sh refuses a CITATION.cff version that is not a version;
7. a names_path that is a directory or a device, and a name too long, are told so.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import markdown
import numpy as np
import pytest
import yaml

from pipeline.config import ConfigError, load
from pipeline.config.core import PRESENTATION_KEYS, read_yaml
from pipeline.errors import DataError
from tests.conftest import ROOT

PY = sys.executable


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "pipeline", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The error a step printed: exit 1, one `error:` line, no traceback."""
    err = proc.stderr.strip()
    assert proc.returncode == 1, (proc.returncode, err[-2000:])
    assert "Traceback" not in err, err[-2000:]
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err[-2000:]
    return err


def write_yaml(path: Path, obj: dict) -> Path:
    path.write_text(yaml.safe_dump(obj), encoding="utf-8")
    return path


# ---- 1. sizes nobody can run -----------------------------------------------------------------

TOO_BIG = [
    ({"defaults": {"mlp": {"n_hidden": 10**9}}}, "n_hidden: 1000000000"),
    ({"defaults": {"mlp": {"steps": 10**15}}}, "steps: 1000000000000000"),
    ({"defaults": {"deep": {"batch_size": 10**9}}}, "batch_size: 1000000000"),
    ({"data": {"block_size": 100000}}, "data.block_size: 100000"),
]


@pytest.mark.parametrize("override,key", TOO_BIG, ids=[k.split(":")[0] for _, k in TOO_BIG])
def test_a_size_nobody_can_run_stops_validation_naming_the_key(override, key):
    with pytest.raises(ConfigError) as e:
        load(ROOT / "config.yaml", overrides=copy.deepcopy(override))
    msg = str(e.value)
    assert key in msg and "memory" in msg and "\n" not in msg, msg
    assert "runtime.memory_budget_gb" in msg, msg  # how to raise the limit


def test_the_cli_says_it_in_one_line_and_says_what_a_good_config_costs(tmp_path):
    bad = write_yaml(tmp_path / "big.yaml", {"data": {"block_size": 100000}})
    err = one_line_error(cli("validate", "--configfile", "config.yaml", str(bad)))
    assert "data.block_size: 100000" in err and "GB" in err, err
    ok = cli("validate", "--configfile", "config.yaml", "config.quick.yaml")
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert "memory" in ok.stdout.splitlines()[-1] and "training steps" in ok.stdout.splitlines()[-1], ok.stdout


def test_the_budget_is_a_config_key_both_ways():
    small = {"runtime": {"memory_budget_gb": 0.001}}  # 1 MB: even the lecture's runs need more
    with pytest.raises(ConfigError, match=r"runtime\.memory_budget_gb: 0\.001"):
        load(ROOT / "config.yaml", overrides=small)
    big = {"data": {"block_size": 100000}, "runtime": {"memory_budget_gb": 10**6}}  # a petabyte
    assert load(ROOT / "config.yaml", overrides=big)["data"]["block_size"] == 100000
    with pytest.raises(ConfigError, match="memory_budget_gb"):
        load(ROOT / "config.yaml", overrides={"runtime": {"memory_budget_gb": 0}})


def test_the_estimate_needs_no_torch_and_grows_with_each_key():
    code = ("import sys; from pipeline.config import memory; "
            "s = dict(kind='mlp', block_size=3, n_embd=10, n_hidden=200, batch_size=32, steps=1000); "
            "print('torch' in sys.modules, sum(memory.estimate(s, 228145).values()))")
    out = subprocess.run([PY, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "False"
    from pipeline.config import memory
    base = dict(kind="mlp", block_size=3, n_embd=10, n_hidden=200, batch_size=32, steps=1000)
    total = sum(memory.estimate(base, 228145).values())
    assert total == float(out[1])
    for key in ("block_size", "n_hidden", "batch_size", "steps"):
        bigger = dict(base, **{key: base[key] * 100})
        assert sum(memory.estimate(bigger, 228145).values()) > total, key


def test_snakemake_stops_with_the_same_line_before_any_job(tmp_path):
    bad = write_yaml(tmp_path / "big.yaml", {"data": {"block_size": 100000}})
    proc = subprocess.run([PY, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path / "w"),
                           "--configfile", str(ROOT / "config.yaml"), str(bad)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "data.block_size: 100000" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]


# ---- 2. a damaged artefact is caught on read -----------------------------------------------------

def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _tensor_byte(path: Path) -> int:
    """The offset of a byte inside the stored data of a torch archive's largest tensor (stored, not
    compressed: torch does not check the member's CRC when it reads it)."""
    with zipfile.ZipFile(path) as z:
        info = max((i for i in z.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    with open(path, "rb") as f:
        f.seek(info.header_offset + 26)
        name_len, extra_len = int.from_bytes(f.read(2), "little"), int.from_bytes(f.read(2), "little")
    return info.header_offset + 30 + name_len + extra_len + info.file_size // 2


@pytest.fixture(scope="module")
def trained(tmp_path_factory, dataset):
    """A tiny Part A training, its trained.pt and its run directory."""
    from pipeline.training import loop, store
    cfg = load(ROOT / "config.yaml")
    spec = {k: v for k, v in cfg["resolved"]["kaiming"].items() if k not in PRESENTATION_KEYS}
    spec.update(steps=20, lr_decay_step=10)
    d = tmp_path_factory.mktemp("trained")
    r = loop.fit(spec, dataset)
    store.save_trained(d / "train" / "trained.pt", spec, r, threads=1)
    loop.train(spec, dataset, d / "run")
    return d


def test_a_flipped_byte_in_trained_pt_is_refused_naming_the_file(trained, tmp_path):
    import shutil

    from pipeline.training import store
    src = tmp_path / "t"
    shutil.copytree(trained / "train", src)
    path = src / "trained.pt"
    good = store.load_trained(path)
    _flip(path, _tensor_byte(path))
    with pytest.raises(SystemExit) as e:
        store.load_trained(path)
    msg = str(e.value)
    assert str(path) in msg and "damaged" in msg and "snakemake" in msg, msg
    assert good["params"]  # the intact file loaded


def test_a_flipped_byte_in_a_checkpoint_is_refused(trained, tmp_path):
    import shutil

    from pipeline.io import load_torch
    path = tmp_path / "checkpoint.pt"
    shutil.copy(trained / "run" / "checkpoint.pt", path)
    shutil.copy(trained / "run" / "checkpoint.pt.sha256", tmp_path / "checkpoint.pt.sha256")
    assert load_torch(path)["params"]
    _flip(path, _tensor_byte(path))
    with pytest.raises(DataError, match="checkpoint.pt: its content does not match"):
        load_torch(path)


def test_a_damaged_resume_state_is_not_resumed(tmp_path, capsys):
    from pipeline.training import resume
    path = tmp_path / ".resume" / "state.pt"
    resume.save_state(path, "key", 7, params={"w": np.arange(64, dtype=np.float32)})
    assert resume.load_state(path, "key")["step"] == 7
    _flip(path, _tensor_byte(path))
    assert resume.load_state(path, "key") is None  # starts afresh rather than from wrong weights
    assert "state.pt" in capsys.readouterr().err
    resume.drop_state(path)  # the hash file goes with the state, and the empty directory with both
    assert not path.parent.exists()


def test_a_json_number_with_a_wrong_digit_is_refused(tmp_path):
    from pipeline.io import read_json, write_json
    path = tmp_path / "metrics.json"
    write_json(path, {"val_loss": 2.0667, "n_params": 12097})
    text = path.read_text()
    path.write_text(text.replace("2.0667", "2.0567"))  # still valid JSON
    with pytest.raises(DataError, match=r"metrics\.json: its content does not match"):
        read_json(path)


def test_a_damaged_npz_is_refused(tmp_path):
    from pipeline.io import read_npz, write_npz
    path = tmp_path / "history.npz"
    write_npz(path, log10_loss=np.linspace(0, 1, 1000, dtype=np.float32))
    assert read_npz(path)["log10_loss"].shape == (1000,)
    _flip(path, path.stat().st_size // 3)
    with pytest.raises(DataError, match=r"history\.npz"):
        read_npz(path)


def test_the_hash_of_a_json_ignores_only_its_timings(tmp_path):
    """Two clean runs write the same hash files: a run's metrics.json differs only in timings."""
    from pipeline.io import hash_path, read_json, write_json
    a, b = tmp_path / "a" / "metrics.json", tmp_path / "b" / "metrics.json"
    write_json(a, {"val_loss": 2.1, "train_seconds": 12.5, "wall_seconds": 13.0})
    write_json(b, {"val_loss": 2.1, "train_seconds": 99.25, "wall_seconds": 101.0})
    assert hash_path(a).read_bytes() == hash_path(b).read_bytes()
    assert read_json(b)["train_seconds"] == 99.25
    write_json(b, {"val_loss": 2.2, "train_seconds": 99.25, "wall_seconds": 101.0})
    assert hash_path(a).read_bytes() != hash_path(b).read_bytes()


# ---- 3. titles are one line; every line of a text is escaped; a code block is not escaped ----------

@pytest.mark.parametrize("where", [("experiments", "kaiming"), ("demos", "linear_stats")])
def test_a_title_with_a_line_break_is_refused_naming_the_key(where):
    over = {where[0]: {where[1]: {"title": "Kaiming\n- evil: x"}}}
    with pytest.raises(ConfigError, match=rf"{where[0]}\.{where[1]}\.title: .*line break"):
        load(ROOT / "config.yaml", overrides=over)


def test_every_line_of_a_multi_line_text_is_escaped():
    from pipeline.site.render import md_text
    # in a heading (a page's title, a figure's entry) a line break ends the block: each next line
    # would start its own list, heading or code block if its start were not escaped
    for text in ("first line\n- a list?", "first line\n1. numbered?", "first line\n\n    code?",
                 "first line\n# title?", "first line\n  * starred?"):
        html = markdown.markdown("### " + md_text(text))
        for tag in ("<li", "<ol", "<ul", "<pre", "<code", "<h1"):
            assert tag not in html, (text, html)
        assert text.split("\n")[-1].strip(" -*#1.") in html, html


def test_a_citation_in_a_code_block_shows_the_title_as_written():
    from pipeline.site.render import Text, environment
    title = Text("{{ 7*7 }} <img src=x onerror=alert(1)> a_b")
    env = environment()
    assert env.from_string("{{ t | verbatim }}").render(t=title) == str(title)
    assert env.from_string("{{ t }}").render(t=title) != str(title)  # in Markdown it is escaped
    # every title inside a fenced code block of the figure index goes through `verbatim`
    src = (ROOT / "docs" / "templates" / "figure_index.md.j2").read_text(encoding="utf-8")
    fences = src.split("```")[1::2]
    titles = [e for f in fences for e in re.findall(r"\{\{([^}]*title[^}]*)\}\}", f)]
    assert titles and all("verbatim" in e for e in titles), titles


# ---- 4. nesting is bounded while parsing ----------------------------------------------------------

@pytest.mark.parametrize("depth", [40, 3000])
def test_deep_nesting_is_one_line(tmp_path, depth):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * depth + "]" * depth + "\n")
    with pytest.raises(ConfigError, match="nested more than"):
        read_yaml(path)
    err = one_line_error(cli("validate", "--configfile", "config.yaml", str(path)))
    assert "nested more than" in err


def test_snakemake_says_it_in_one_line_too(tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 250 + "]" * 250 + "\n")  # deeper ones stop Snakemake's own loader first
    proc = subprocess.run([PY, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path / "w"),
                           "--configfile", str(ROOT / "config.yaml"), str(path)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "nested more than" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr[-3000:]


# ---- 5. a failed site build leaves nothing behind -------------------------------------------------

def _tiny_site(tmp_path: Path, broken: bool) -> Path:
    d = tmp_path / ("broken" if broken else "fine")
    (d / "docs").mkdir(parents=True)
    (d / "docs" / "index.md").write_text("# Home\n\n" + ("[gone](missing.md)\n" if broken else "Hello.\n"))
    (d / "mkdocs.yml").write_text("site_name: t\nuse_directory_urls: false\n")
    return d / "mkdocs.yml"


def test_a_failed_strict_build_leaves_the_earlier_site_untouched(tmp_path):
    from pipeline.site.build import build
    site = tmp_path / "out" / "site"
    site.mkdir(parents=True)
    (site / "old.html").write_text("the earlier site")
    assert build(_tiny_site(tmp_path, broken=True), site, root=tmp_path, strict=True) != 0
    assert sorted(p.name for p in site.iterdir()) == ["old.html"]  # no 404.html, no index.html
    assert sorted(p.name for p in site.parent.iterdir()) == ["site"]  # no temporary directory left
    assert build(_tiny_site(tmp_path, broken=False), site, root=tmp_path, strict=True) == 0
    assert (site / "index.html").is_file() and not (site / "old.html").exists()
    assert sorted(p.name for p in site.parent.iterdir()) == ["site"]


# ---- 6. publish.sh refuses what is not a version --------------------------------------------------

@pytest.mark.parametrize("version,ok", [("../../etc", False), ("1.0; touch x", False), ("$(id)", False),
                                        ("1.0/x", False), ("0.2.0", True), ("1.0-rc1", True)])
def test_publish_refuses_a_version_that_is_not_one(tmp_path, version, ok):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pipeline").symlink_to(ROOT / "pipeline")
    (repo / "mkdocs.yml").write_text("site_name: t\n")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    cff["version"] = version
    (repo / "CITATION.cff").write_text(yaml.safe_dump(cff, sort_keys=False), encoding="utf-8")
    fake = tmp_path / "bin"
    fake.mkdir()
    log = tmp_path / "mike.log"
    (fake / "mike").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    (fake / "mike").chmod(0o755)
    env = dict(os.environ, PATH=f"{fake}:{Path(PY).parent}:{os.environ['PATH']}")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "publish.sh")], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=120)
    if ok:
        assert proc.returncode == 0, proc.stderr
        assert f"deploy --update-aliases {version} latest" in log.read_text()
    else:
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert "is not a version" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert not log.exists(), "mike ran"
        assert not (tmp_path / "x").exists()


# ---- 7. wording ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path,what", [("DIR", "is a directory"), ("/dev/null", "is a character device"),
                                       ("MISSING", "no such file")])
def test_names_path_says_what_is_there(tmp_path, path, what):
    from pipeline.workflow.data_source import data_identity
    path = {"DIR": str(tmp_path), "MISSING": str(tmp_path / "nope.txt")}.get(path, path)
    cfg = {"names_url": "https://example.org/names.txt", "names_path": path, "names_sha256": None}
    with pytest.raises(ConfigError) as e:
        data_identity(cfg, tmp_path)
    assert what in str(e.value), str(e.value)
    if what != "no such file":
        assert "no such file" not in str(e.value)


def test_the_fetch_step_says_it_too(tmp_path):
    err = one_line_error(cli("fetch", "--out", str(tmp_path / "names.txt"), "--path", str(tmp_path)))
    assert "is a directory" in err, err


def test_a_name_too_long_is_told_its_length_not_the_pattern():
    name = "a" * 300
    over = {"experiments": {name: {"kind": "mlp", "part": "A", "title": "t", "summary": "s"}}}
    with pytest.raises(ConfigError) as e:
        load(ROOT / "config.yaml", overrides=over)
    msg = str(e.value)
    assert "300 characters" in msg and "at most 80" in msg, msg
    assert "matching" not in msg and "[A-Za-z0-9]" not in msg, msg


def test_the_metrics_of_a_run_carry_a_hash_file(trained):
    """Every artefact a later step reads is written with its hash (trained.pt, checkpoint, npz, JSON)."""
    run = trained / "run"
    for name in ("metrics.json", "config.json", "history.npz", "probes.npz", "checkpoint.pt"):
        side = run / f"{name}.sha256"
        assert side.is_file(), name
        assert side.read_text().split()[1] == name
    assert (trained / "train" / "trained.pt.sha256").is_file()
    assert json.loads((run / "metrics.json").read_text())["steps"] == 20
