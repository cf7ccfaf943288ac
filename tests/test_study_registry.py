"""The study registry (pipeline/studies/registry.py): a study is one module of pipeline/studies/
plus its block in config.yaml `beyond:`. Held here by adding a toy study to a copy of the
repository, never to the real tree: its block validates, its job is in the dry-run DAG with its
outputs and its own module as code input, and `python -m pipeline study toy` runs it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pipeline.config import ConfigError, load
from pipeline.studies import registry
from tests.conftest import ROOT, run_watched

STUDIES = {"seeds", "gain_sweep", "compare", "momentum", "zero_init", "fold", "explore"}

TOY = '''"""A toy study: the mean val loss of a few runs, and a bar chart of them."""

from pipeline.io import read_json, write_json
from pipeline.studies.registry import Study, StudyIO

SCHEMA = {"toy": {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "experiments"],
    "properties": {"title": {"type": "string"},
                   "experiments": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
}}


def specs(beyond: dict, resolved: dict) -> dict:
    return {"toy": beyond["toy"]} if beyond.get("toy") else {}


def experiments(spec: dict) -> list:
    return list(spec["experiments"])


def check(beyond: dict, need) -> None:
    if beyond.get("toy"):
        need("beyond.toy.experiments", beyond["toy"]["experiments"])


def run(spec: dict, io: StudyIO) -> dict:
    val = {n: read_json(io.runs / n / "metrics.json")["val_loss"] for n in spec["experiments"]}
    mean = sum(val.values()) / len(val)
    out = {"title": spec["title"], "val_loss": val, "mean_val_loss": mean}
    write_json(io.json, out)
    from pipeline.plots import plt, save
    fig, ax = plt.subplots()
    ax.bar(list(val), list(val.values()))
    save(fig, io.figures, "bars", {"mean_val_loss": mean})
    return out


STUDY = Study(name="toy", schema=SCHEMA, specs=specs, experiments=experiments, run=run, figures=("bars",),
              check=check)
'''
TOY_CONFIG = {"beyond": {"toy": {"title": "A toy study", "experiments": ["fixed_tanh", "kaiming"]}}}


# ---- the real studies ------------------------------------------------------------------------

def test_every_study_module_is_registered():
    assert set(registry.studies()) == STUDIES
    keys = [k for s in registry.studies().values() for k in s.config_keys]
    assert len(keys) == len(set(keys))  # every key of `beyond:` has one owner
    assert set(keys) == set(yaml.safe_load((ROOT / "config.yaml").read_text())["beyond"])


def test_declarations_import_neither_torch_nor_matplotlib():
    """The Snakefile imports every declaration when it loads: heavy imports wait for the runner."""
    code = ("import sys\nfrom pipeline.studies import registry\nregistry.studies()\n"
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.stdout.strip() == "[]", out.stdout


def test_job_ids_find_their_study_from_the_id_alone():
    assert registry.study_of("compare_activations").name == "compare"
    assert registry.study_of("gain_sweep").name == "gain_sweep"
    with pytest.raises(KeyError, match="no study 'nope'"):
        registry.study_of("nope")


def test_beyond_figures_is_a_view_of_the_registry():
    from pipeline.plots import BEYOND_FIGURES
    assert BEYOND_FIGURES == {"seeds": ["loss_spread"], "gain_sweep": ["val_loss_vs_gain", "saturation_vs_gain"],
                              "compare": ["summary"], "momentum": ["running_swing"], "zero_init": ["gradients"]}


def test_a_block_no_study_owns_is_refused():
    """The schema of `beyond:` is the studies' own: without toy.py, its block is an unknown key."""
    with pytest.raises(ConfigError, match=r"unknown key 'toy' in beyond\. Allowed keys there: comparisons, "):
        load(ROOT / "config.yaml", overrides=TOY_CONFIG)


def test_the_cli_names_the_studies_for_an_unknown_id(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pipeline", "study", "nope", "--spec", "{}", "--figures",
                           str(tmp_path)], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode != 0
    assert ("no study 'nope'; the studies are compare, explore, fold, gain_sweep, momentum, seeds, zero_init"
            in proc.stderr)


# ---- a toy study, added to a copy of the repository -------------------------------------------

@pytest.fixture(scope="module")
def toy_repo(tmp_path_factory) -> Path:
    """The repository's files (tracked, and new ones not ignored) plus pipeline/studies/toy.py and
    its block in a config file of its own."""
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.splitlines()
    copy = tmp_path_factory.mktemp("toy") / "repo"
    for f in files:
        if (ROOT / f).is_file():
            (copy / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, copy / f)
    (copy / "pipeline" / "studies" / "toy.py").write_text(TOY)
    (copy / "toy.yaml").write_text(yaml.safe_dump(TOY_CONFIG))
    return copy


def _in(copy: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(copy))
    proc = run_watched(list(args), cwd=copy, env=env, **kw)  # bounded by silence, not wall time: conftest
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return proc


def _job(dry_run: str, rule: str) -> str:
    """The block of a dry run that plans the one job of `rule`."""
    start = re.search(rf"^(local)?rule {rule}:$", dry_run, re.M).start()
    return dry_run[start:dry_run.index("\n\n", start)]


def test_the_toy_study_is_in_the_dry_run(toy_repo, names_path, tmp_path):
    proc = _in(toy_repo, sys.executable, "-m", "snakemake", "-n", "-s", str(toy_repo / "Snakefile"),
               "-d", str(tmp_path / "work"), "--configfile", "config.yaml", "config.quick.yaml", "toy.yaml",
               "--config", f"names_path={names_path}")  # rule all: every target of the plan
    out = proc.stdout
    stats = dict(re.findall(r"^(\w+)\s+(\d+)$", out.split("Job stats:")[1].split("\n\n")[0], re.M))
    assert stats.get("study_toy") == "1", out[-3000:]
    assert all(stats.get(f"study_{s}") == "1" for s in ("seeds", "gain_sweep", "momentum", "fold")), stats
    block = _job(out, "study_toy")
    outputs = re.search(r"output: (.*)", block).group(1).split(", ")
    from pipeline.plots import files_of
    assert outputs == ["results/beyond/toy.json"] + [f"figures/toy/{f}" for f in files_of("bars")]
    assert "figures/toy/dark/bars.webp" in outputs and not [o for o in outputs if o.endswith((".svg", ".pdf"))]
    inputs = re.search(r"input: (.*)", block).group(1).split(", ")
    assert "results/runs/kaiming/metrics.json" in inputs and "results/runs/fixed_tanh/checkpoint.pt" in inputs
    code = {os.path.relpath(f, toy_repo) for f in inputs if f.startswith(str(toy_repo) + os.sep)}
    assert "pipeline/studies/toy.py" in code and "pipeline/studies/registry.py" in code
    assert not {"pipeline/studies/seeds.py", "pipeline/studies/momentum.py"} & code  # its own module only
    # the site's pages read its results too (rule all asks for them through the plan)
    assert "results/beyond/toy.json" in _job(out, "site_pages")


def test_the_toy_study_checks_its_experiments(toy_repo):
    (toy_repo / "bad.yaml").write_text(yaml.safe_dump({"beyond": {"toy": {"title": "t", "experiments": ["nope"]}}}))
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--configfile", "config.yaml", "bad.yaml"],
                          cwd=toy_repo, env=dict(os.environ, PYTHONPATH=str(toy_repo)), capture_output=True,
                          text=True)
    assert proc.returncode == 1 and "beyond.toy.experiments: no experiment 'nope'" in proc.stderr, proc.stderr


def test_the_toy_study_runs_from_the_cli(toy_repo, tmp_path):
    runs = tmp_path / "runs"
    for name, val in (("fixed_tanh", 2.25), ("kaiming", 2.75)):
        (runs / name).mkdir(parents=True)
        (runs / name / "metrics.json").write_text(json.dumps({"val_loss": val}))
    # the spec the Snakefile would pass, from the copy's own plan
    spec = _in(toy_repo, sys.executable, "-c",
               "from pipeline.config import load\nfrom pipeline.workflow.studies import Studies\n"
               "print(Studies(load('config.yaml', 'config.quick.yaml', 'toy.yaml')).params('toy'))").stdout.strip()
    assert json.loads(spec) == TOY_CONFIG["beyond"]["toy"]
    proc = _in(toy_repo, sys.executable, "-m", "pipeline", "study", "toy", "--spec", spec, "--runs", str(runs),
               "--out", str(tmp_path / "beyond"), "--figures", str(tmp_path / "figures" / "toy"))
    assert proc.stdout.startswith("study toy: fields mean_val_loss, title, val_loss; wrote "), proc.stdout
    assert str(tmp_path / "beyond" / "toy.json") in proc.stdout and "docs/notes/toy.md" in proc.stdout
    out = json.loads((tmp_path / "beyond" / "toy.json").read_text())
    assert out["mean_val_loss"] == 2.5 and out["val_loss"] == {"fixed_tanh": 2.25, "kaiming": 2.75}
    for rel in ("bars.png", "bars.json", "dark/bars.webp"):
        assert (tmp_path / "figures" / "toy" / rel).stat().st_size > 0
