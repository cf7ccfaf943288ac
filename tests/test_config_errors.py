"""Malformed configs, thrown at the loader by hypothesis: every one gets a one-paragraph
ConfigError naming the key, never a traceback from inside jsonschema, torch or the workflow."""

from __future__ import annotations

import copy
import re
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pipeline.config import ConfigError, load, read_yaml, validate
from tests.conftest import ROOT, run_watched

FULL = read_yaml(ROOT / "config.yaml")
RAW = {k: v for k, v in FULL.items() if k != "beyond"}  # the lecture's part: fast to validate
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,  # the same cases on every CI run
                    suppress_health_check=[HealthCheck.too_slow])
SIZE_KEYS = {"steps", "batch_size", "n_embd", "n_hidden", "n_layers", "block_size", "threads", "n", "batch"}
USER_NAMED = {("experiments",), ("beyond", "sweeps"), ("beyond", "comparisons")}  # keys there are names


def _paths(obj, path=()):
    yield path, obj
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, path + (k,))


PATHS = [(p, v) for p, v in _paths(RAW) if p]
MAPPINGS = [p for p, v in _paths(RAW) if isinstance(v, dict)]
SCALARS = [p for p, v in PATHS if not isinstance(v, (dict, list))]
NOT_LISTS = [p for p, v in PATHS if not isinstance(v, list)]
SIZES = [p for p, v in PATHS if p[-1] in SIZE_KEYS and isinstance(v, int)]
ALL_KEYS = sorted({k for p, _ in PATHS for k in p if isinstance(k, str)})


def _set(cfg: dict, path: tuple, value) -> dict:
    cfg = copy.deepcopy(cfg)
    d = cfg
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value
    return cfg


def _dotted(path) -> str:
    return ".".join(str(p) for p in path)


def _clean(e: ConfigError, *needles: str) -> str:
    msg = str(e)
    assert type(e) is ConfigError
    assert "\n" not in msg and "Traceback" not in msg, msg  # one paragraph
    assert len(msg) < 800, msg
    for n in needles:
        assert n in msg, f"{n!r} not named in: {msg}"
    return msg


def _fails(cfg, *needles: str) -> str:
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    return _clean(e.value, *needles)


junk = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                 st.text(max_size=12), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=2))


def test_the_shipped_configs_are_valid():
    validate(RAW)
    validate(FULL)
    load(ROOT / "config.yaml", ROOT / "config.quick.yaml")


@settings(SETTINGS, max_examples=100)
@given(path=st.sampled_from([p for p, _ in _paths(FULL) if p]), value=junk)
def test_any_value_anywhere_is_accepted_or_named(path, value):
    """Whatever is put wherever: either valid, or a ConfigError naming a key on that path."""
    cfg = _set(FULL, path, value)
    try:
        validate(cfg)
    except ConfigError as e:
        msg = _clean(e)
        named = [_dotted(path[:i]) for i in range(1, len(path) + 1)] + [path[-1]]
        assert any(n in msg for n in named) or "experiments." in msg, msg  # defaults show up per experiment


@SETTINGS
@given(path=st.sampled_from(NOT_LISTS), value=st.lists(st.integers(), min_size=1, max_size=3))
def test_a_list_where_none_belongs_names_the_key(path, value):
    _fails(_set(RAW, path, value), _dotted(path))


@SETTINGS
@given(path=st.sampled_from(SCALARS), value=st.dictionaries(st.sampled_from(["x", "value", "kaiming"]),
                                                              st.integers(), min_size=1))
def test_a_mapping_where_a_value_belongs_names_the_key(path, value):
    _fails(_set(RAW, path, value), _dotted(path))


@SETTINGS
@given(path=st.sampled_from(MAPPINGS),
       key=st.one_of(st.sampled_from(ALL_KEYS), st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)))
def test_unknown_keys_at_every_level(path, key):
    node = RAW
    for k in path:
        node = node[k]
    assume(key not in node)
    cfg = copy.deepcopy(RAW)
    target = cfg
    for k in path:
        target = target[k]
    if path in USER_NAMED:  # a new name there is a new entry: give it a body that cannot be right
        target[key] = 7
        _fails(cfg, _dotted(path + (key,)))
        return
    target[key] = 1
    try:
        validate(cfg)
    except ConfigError as e:
        msg = _clean(e)
        assert repr(key) in msg or f"{_dotted(path + (key,))}:" in msg, msg  # unknown, or known but 1 is wrong
        return
    # accepted only where the key is a real option that happens to be missing here (e.g. an override)
    assert path[:1] in (("experiments",), ("defaults",), ("beyond",)), (path, key)


@SETTINGS
@given(path=st.sampled_from(SIZES), value=st.integers(-10**9, 0))
def test_zero_or_negative_sizes(path, value):
    _fails(_set(RAW, path, value), path[-1])


@SETTINGS
@given(path=st.sampled_from(SIZES), value=st.floats(0.5, 1e4).filter(lambda v: v != int(v)) | st.just(64.0))
def test_sizes_must_be_integers(path, value):
    _fails(_set(RAW, path, value), _dotted(path))


@SETTINGS
@given(where=st.sampled_from(["lr", "lr_decayed", "seed", "lr_decay_step"]),
       kind=st.sampled_from(["mlp", "deep"]), value=st.integers(-10**6, -1) | st.just(-0.5))
def test_negative_rates_and_seeds(where, kind, value):
    _fails(_set(RAW, ("defaults", kind, where), value), f"defaults.{kind}.{where}")


@SETTINGS
@given(data=st.data())
def test_steps_before_the_decay_step(data):
    decay = RAW["defaults"]["mlp"]["lr_decay_step"]
    in_experiment = data.draw(st.booleans())
    if in_experiment:
        resolved = validate(RAW)["resolved"]
        name = data.draw(st.sampled_from([n for n, s in resolved.items() if s["lr_decay_step"]]))
        steps = data.draw(st.integers(1, resolved[name]["lr_decay_step"] - 1))
        cfg = _set(RAW, ("experiments", name, "steps"), steps)
        msg = _fails(cfg, f"experiments.{name}.lr_decay_step", "steps", f"experiments.{name})")
    else:
        steps = data.draw(st.integers(1, decay - 1))
        msg = _fails(_set(RAW, ("defaults", "mlp", "steps"), steps), "lr_decay_step", "defaults.mlp")
    assert str(steps) in msg


@pytest.mark.parametrize("value", [{}, None, [], "none"])
def test_empty_or_missing_experiment_list(value):
    _fails(_set(RAW, ("experiments",), value), "experiments")


def test_experiments_equal_but_for_case():
    cfg = copy.deepcopy(RAW)
    cfg["experiments"]["Kaiming"] = copy.deepcopy(cfg["experiments"]["kaiming"])
    _fails(cfg, "experiments.Kaiming", "experiments.kaiming")


@pytest.mark.parametrize("gain", ["5/0", "0/3", 0, -1, "1e999", float("inf"), float("nan")])
def test_impossible_gains(gain):
    _fails(_set(RAW, ("experiments", "tanh_gain_1", "gain"), gain), "experiments.tanh_gain_1.gain")


@pytest.mark.parametrize("key", [3, None, 1.5, True])
def test_keys_that_are_not_names(key):
    cfg = copy.deepcopy(RAW)
    cfg["runtime"][key] = 1
    _fails(cfg, "runtime", repr(key))


# ---- YAML files: duplicate keys, non-mappings, syntax --------------------------------------

TEXT = (ROOT / "config.yaml").read_text()
KEY_LINES = [i for i, line in enumerate(TEXT.splitlines())
             if re.match(r"^\s*[A-Za-z_][\w.]*:(\s|$)", line) and not line.lstrip().startswith("#")]


@SETTINGS
@given(i=st.sampled_from(KEY_LINES))
def test_duplicate_keys_are_named_with_their_line(tmp_path_factory, i):
    lines = TEXT.splitlines()
    indent, key = re.match(r"^(\s*)([\w.]+):", lines[i]).groups()
    lines.insert(i, f"{indent}{key}: null")  # same mapping, same key, one line earlier
    path = tmp_path_factory.mktemp("dup") / "config.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ConfigError) as e:
        load(path)
    _clean(e.value, f"duplicate key {key!r}", f"line {i + 2}", f"line {i + 1}", str(path))


@pytest.mark.parametrize("text,needle", [
    ("- a\n- b\n", "top level must be a mapping"),
    ("just text\n", "top level must be a mapping"),
    ("runtime: {threads: 1\n", "not valid YAML"),
    ("runtime:\n\tthreads: 1\n", "not valid YAML"),
    ("? [a, b]\n: 1\n", "plain name"),
])
def test_files_that_are_not_a_config(tmp_path, text, needle):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    with pytest.raises(ConfigError) as e:
        load(ROOT / "config.yaml", p)
    _clean(e.value, needle)


def test_yaml_merge_keys_may_override(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("x: &base {threads: 1, device: cpu, checkpoint_every: 0}\nruntime:\n  <<: *base\n  threads: 2\n")
    with pytest.raises(ConfigError) as e:  # `x` is unknown, but the merge itself is no duplicate
        load(ROOT / "config.yaml", p)
    _clean(e.value, "unknown key 'x'")


# ---- Snakemake stops with the message, before any job ----------------------------------------

@pytest.mark.parametrize("text,needle", [
    ("experiments:\n  kaiming:\n    steps: 5\n  kaiming:\n    steps: 6\n", "duplicate key 'kaiming'"),
    ("runtime:\n  threads: -2\n", "runtime.threads"),
    ("data:\n  block_size: 0\n", "data.block_size"),
])
def test_snakemake_prints_the_message_and_runs_nothing(tmp_path, names_path, text, needle):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    # --dry-run: should the config ever be accepted, the test fails without starting the full pipeline
    proc = run_watched([sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(tmp_path),
                           "--configfile", str(ROOT / "config.yaml"), str(bad), "-j1", "--dry-run",
                           "--config", f"names_path={names_path}"])
    assert proc.returncode != 0
    err = proc.stderr.strip()
    assert needle in err, err[-3000:]
    assert "Traceback" not in err and 'File "' not in err, err[-3000:]  # no frames from deep inside
    assert err.splitlines()[-1].startswith("error: "), err[-3000:]
    assert not (tmp_path / "results").exists() and not (tmp_path / "data").exists()


def test_null_from_the_command_line():
    """`snakemake --config names_sha256=null` passes the text "null": it means no checksum."""
    cfg = validate(dict(RAW, names_sha256="null", names_path="words.txt"))
    assert cfg["names_sha256"] is None and cfg["names_path"] == "words.txt"


@pytest.mark.parametrize("device", ["gpu", "gpu:0", "mps", 1])
def test_an_accelerator_is_refused_as_cpu_only(device):
    """No option promises a device no code uses: the pipeline is CPU-only and says why."""
    msg = _fails(_set(RAW, ("runtime", "device"), device), "runtime.device", "CPU only", "deterministic")
    assert "Remove runtime.device" in msg


def test_device_cpu_is_still_accepted_and_changes_nothing():
    a, b = validate(RAW), validate(_set(RAW, ("runtime", "device"), "cpu"))
    assert a["resolved"] == b["resolved"] and "device" not in b["runtime"]


def test_a_yaml_alias_bomb_is_refused_before_it_expands(tmp_path):
    """342 bytes that stand for 10^9 values: refused while counting aliases, in well under a second."""
    import time
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [{', '.join('*' + prev for _ in range(9))}]")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    t = time.perf_counter()
    with pytest.raises(ConfigError) as e:
        read_yaml(bomb)
    assert time.perf_counter() - t < 2
    _clean(e.value, "aliases", "at most")


@pytest.mark.parametrize("text,value", [("1e-3", 0.001), ("1.0e-2", 0.01), ("5E-2", 0.05)])
def test_numbers_yaml_11_leaves_as_text_are_read_as_numbers(text, value):
    """`lr: 1e-3` is text to YAML 1.1 (a float needs a dot and a signed exponent there)."""
    cfg = validate(_set(_set(RAW, ("defaults", "mlp", "lr"), text), ("experiments", "kaiming", "gain"), "1.0e0"))
    assert cfg["resolved"]["kaiming"]["lr"] == value and cfg["resolved"]["kaiming"]["gain"] == 1.0


def test_titles_that_look_like_numbers_stay_text():
    cfg = validate(_set(RAW, ("experiments", "kaiming", "title"), "1e3"))
    assert cfg["resolved"]["kaiming"]["title"] == "1e3"


def test_a_checksum_of_digits_from_the_command_line_says_how_to_quote_it():
    _fails(dict(RAW, names_sha256=0), "names_sha256", "number 0", "Quote it")


def test_nested_keys_from_the_command_line_say_how_to_set_them():
    _fails(dict(RAW, runtime="{checkpoint_every: 50}"), "runtime", "--configfile config.yaml my.yaml")


@pytest.mark.parametrize("a,b", [("a.b", "a_b"), ("a-b", "a_b"), ("A.b", "a-b")])
def test_names_that_share_a_job_or_a_file_are_refused(a, b):
    exps = dict(RAW["experiments"])
    exps[a] = exps[b] = dict(RAW["experiments"]["kaiming"])
    _fails(dict(RAW, experiments=exps), f"experiments.{b}", "same job", "Rename one")


@pytest.mark.parametrize("name,needle", [("index", "overview page"), ("part_a", "figures across Part A"),
                                         ("linear_stats", "demo"), ("part.a", "figures across Part A")])
def test_names_the_site_uses_are_reserved(name, needle):
    exps = dict(RAW["experiments"])
    exps[name] = dict(RAW["experiments"]["kaiming"])
    _fails(dict(RAW, experiments=exps), f"experiments.{name}", needle, "Rename")


def test_a_study_name_is_reserved_too():
    exps = dict(FULL["experiments"])
    exps["seeds"] = dict(FULL["experiments"]["kaiming"])
    _fails(dict(FULL, experiments=exps), "experiments.seeds", "the study seeds")
