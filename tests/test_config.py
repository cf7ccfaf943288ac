"""The config is validated when it loads: bad keys and values fail, naming the key."""

import copy
import subprocess
import sys

import pytest
import yaml

from pipeline.config import ConfigError, load, read_yaml, validate
from tests.conftest import ROOT, run_watched


@pytest.fixture()
def raw():
    return yaml.safe_load((ROOT / "config.yaml").read_text())


def test_default_config_declares_every_lecture_experiment(config):
    r = config["resolved"]
    part_a = [n for n, s in r.items() if s["part"] == "A"]
    assert part_a[:6] == ["bad_init", "scaled_logits", "fixed_tanh", "kaiming", "batchnorm", "batchnorm_running"]
    deep = {(s["activation"], s["norm"], round(s["gain"], 4), s["fan_in_scaling"]) for s in r.values()
            if s["kind"] == "deep"}
    for gain in (0.5, 1.0, round(5 / 3, 4), 3.0):
        assert ("tanh", "none", gain, True) in deep
    assert ("none", "none", 1.0, True) in deep
    assert ("tanh", "batchnorm", round(5 / 3, 4), True) in deep
    assert any(a == "tanh" and n == "batchnorm" and not f for a, n, _, f in deep)
    assert set(config["demos"]) == {"linear_stats", "batchnorm_demo"}


@pytest.mark.parametrize("mutate,key", [
    (lambda c: c["experiments"]["kaiming"].__setitem__("stepz", 5), "stepz"),
    (lambda c: c["experiments"]["kaiming"]["init"].__setitem__("W1", "he"), "experiments.kaiming.init.W1"),
    (lambda c: c["defaults"]["mlp"].__setitem__("batch_size", "32"), "defaults.mlp.batch_size"),
    (lambda c: c["defaults"]["mlp"].__setitem__("lr", -0.1), "defaults.mlp.lr"),
    (lambda c: c["runtime"].__setitem__("threads", 0), "runtime.threads"),
    (lambda c: c["experiments"]["tanh_gain_1"].__setitem__("gain", "five"), "experiments.tanh_gain_1.gain"),
    (lambda c: c["experiments"]["tanh_gain_1"].__setitem__("norm", "groupnorm"), "experiments.tanh_gain_1.norm"),
    (lambda c: c["defaults"]["mlp"].__setitem__("steps", 50), "lr_decay_step"),
    (lambda c: c.__setitem__("names_sha256", "abc"), "names_sha256"),
    (lambda c: c["experiments"]["batchnorm"]["init"].__setitem__("b1", 0.01), "experiments.batchnorm.init.b1"),
])
def test_bad_values_name_the_key(raw, mutate, key):
    cfg = copy.deepcopy(raw)
    mutate(cfg)
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    assert key in str(e.value)


def test_gain_fractions_parse(config):
    assert config["resolved"]["kaiming"]["gain"] == pytest.approx(5 / 3)


def test_snakemake_refuses_a_bad_config_before_any_job(tmp_path, names_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("defaults:\n  mlp:\n    stepz: 10\n")
    proc = run_watched([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
                           "--configfile", str(ROOT / "config.yaml"), str(bad), "-j1",
                           "--config", f"names_path={names_path}"])
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "stepz" in out and "defaults.mlp" in out
    assert not (tmp_path / "results").exists() and not (tmp_path / "data").exists()


def test_cli_help_for_every_step():
    from pipeline import steps
    assert "train" not in steps.index() and "train-many" not in steps.index()  # benchmarks/train.py
    for step in steps.index():
        proc = subprocess.run([sys.executable, "-m", "pipeline", step, "--help"], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "usage: python -m pipeline " + step in proc.stdout
    for step in ("train", "train-many"):
        proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "train.py"), step, "--help"],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        assert "usage: python benchmarks/train.py " + step in proc.stdout


def test_cli_validate_lists_experiments():
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", "--configfile", str(ROOT / "config.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0
    assert "batchnorm_running" in proc.stdout


def test_load_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load(ROOT / "no-such-config.yaml")


def test_wildcard_patterns_match_the_names_and_nothing_else(config):
    """The Snakefile's wildcard_constraints: a dot in a name is a dot, not any character."""
    import re

    from pipeline.workflow.plan import Plan
    plan = Plan(read_yaml(ROOT / "config.yaml"))
    exps, demos = plan.experiments, plan.demos
    for pattern, names in ((exps.pattern(), exps.names()), (demos.pattern(), demos.names()),
                           (exps.pattern("deep"), exps.names("deep"))):
        assert all(re.fullmatch(pattern, n) for n in names)
        dotted = [n for n in names if "." in n]
        for n in dotted:
            assert not re.fullmatch(pattern, n.replace(".", "x")), n
    assert any("." in n for n in exps.names())  # the check above has something to bite on
    # and the workflow builds every constraint with those helpers, never with a bare join
    for snakefile in [ROOT / "Snakefile", *sorted((ROOT / "rules").glob("*.smk"))]:
        assert '"|".join(' not in snakefile.read_text(), snakefile
