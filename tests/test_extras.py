"""Beyond the lecture: layers against torch.nn, gains, fold, statistics, config expansion, E01."""

from __future__ import annotations

import copy
import json
import math
import types
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from pipeline.analysis import diagnostics as dg
from pipeline.analysis import stats
from pipeline.config import ConfigError, expand, load, validate
from pipeline.nn.layers import ELU, BatchNorm1d, LayerNorm, LeakyReLU, Linear, ReLU, Sigmoid
from pipeline.nn.models import ACTIVATIONS, GAIN_NAMES, DeepMLP, build_model, loss_fn, recommended_gain
from pipeline.studies.gain_sweep import sensitivity, sweep_members
from pipeline.studies.seeds import seed_names

ROOT = Path(__file__).resolve().parents[1]


def raw_config() -> dict:
    return yaml.safe_load((ROOT / "config.yaml").read_text())


# ---- layers against torch.nn -------------------------------------------------------------------

def test_layernorm_matches_nn_layernorm_forward_and_grads():
    torch.manual_seed(0)
    x = (torch.randn(16, 40) * 3 + 1.5).double()
    ours = LayerNorm(40)
    ours.gamma = torch.randn(40, dtype=torch.double)
    ours.beta = torch.randn(40, dtype=torch.double)
    ref = torch.nn.LayerNorm(40, eps=ours.eps).double()
    with torch.no_grad():
        ref.weight.copy_(ours.gamma)
        ref.bias.copy_(ours.beta)
    xa = x.clone().requires_grad_(True)
    xb = x.clone().requires_grad_(True)
    for p in ours.parameters():
        p.requires_grad_(True)
    upstream = torch.randn(16, 40, dtype=torch.double)
    ya, yb = ours(xa), ref(xb)
    torch.testing.assert_close(ya, yb)
    ya.backward(upstream)
    yb.backward(upstream)
    torch.testing.assert_close(xa.grad, xb.grad)
    torch.testing.assert_close(ours.gamma.grad, ref.weight.grad)
    torch.testing.assert_close(ours.beta.grad, ref.bias.grad)


@pytest.mark.parametrize("ours,ref", [(ReLU(), torch.nn.ReLU()), (LeakyReLU(), torch.nn.LeakyReLU()),
                                      (ELU(), torch.nn.ELU()), (Sigmoid(), torch.nn.Sigmoid())])
def test_activations_match_torch_nn(ours, ref):
    x = torch.linspace(-6, 6, 241, dtype=torch.double)
    xa, xb = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    ya, yb = ours(xa), ref(xb)
    torch.testing.assert_close(ya, yb)
    ya.sum().backward()
    yb.sum().backward()
    torch.testing.assert_close(xa.grad, xb.grad)
    assert ours.out is ya  # kept for the diagnostics


# ---- recommended gains -------------------------------------------------------------------------

def test_recommended_gains_are_calculate_gain():
    from torch.nn.init import calculate_gain
    assert set(GAIN_NAMES) == set(ACTIVATIONS)
    expect = {"tanh": calculate_gain("tanh"), "none": calculate_gain("linear"), "relu": calculate_gain("relu"),
              "leaky_relu": calculate_gain("leaky_relu", 0.01), "elu": calculate_gain("relu"),
              "sigmoid": calculate_gain("sigmoid")}
    for act, g in expect.items():
        assert recommended_gain(act) == pytest.approx(g, abs=0, rel=1e-15), act
    assert recommended_gain("tanh") == pytest.approx(5 / 3)  # the lecture's number
    from pipeline.config.gains import RECOMMENDED  # what the config resolves `recommended` to, without torch
    assert set(RECOMMENDED) == set(GAIN_NAMES)
    for act in GAIN_NAMES:
        assert RECOMMENDED[act] == recommended_gain(act), act  # to the bit


def test_config_resolves_recommended_gain_per_activation(config):
    from torch.nn.init import calculate_gain
    raw = raw_config()["experiments"]
    seen = set()
    for name, exp in raw.items():
        if exp.get("gain") == "recommended":
            spec = config["resolved"][name]
            gname, param = GAIN_NAMES[spec["activation"]]
            assert spec["gain"] == calculate_gain(gname, param), name
            seen.add(spec["activation"])
    assert seen >= {"tanh", "relu", "leaky_relu", "elu", "sigmoid", "none"}


def test_deep_model_uses_the_gain_on_hidden_weights(config):
    spec = dict(config["resolved"]["act_relu"])
    g = torch.Generator().manual_seed(spec["seed"])
    model = DeepMLP(spec, 27, 3, g)
    w = model.layers[0].weight  # 30 -> 100, drawn N(0,1)/sqrt(30) * sqrt(2)
    assert float(w.std()) == pytest.approx(math.sqrt(2) / math.sqrt(30), rel=0.05)
    assert isinstance(model.layers[1], ReLU)


# ---- E02: folding BatchNorm -----------------------------------------------------------------

def _trained_bn_deep(config, steps: int = 30) -> DeepMLP:
    spec = dict(config["resolved"]["batchnorm_gain_5_3"])
    g = torch.Generator().manual_seed(7)
    model = build_model(spec, 27, 3, g)
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    for _ in range(steps):  # a few steps so gamma, beta and the running statistics are not trivial
        X = torch.randint(0, 27, (32, 3), generator=g)
        Y = torch.randint(0, 27, (32,), generator=g)
        loss = loss_fn(model(X), Y)
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= 0.1 * p.grad
    for p in params:
        p.requires_grad_(False)
    return model


def test_fold_deep_equals_eval_mode_logits(config):
    from pipeline.nn.fold import FoldedDeep, fold
    model = _trained_bn_deep(config)
    X = torch.randint(0, 27, (500, 3), generator=torch.Generator().manual_seed(1))
    model.eval()
    ref = model(X)
    folded = fold(model)
    assert isinstance(folded, FoldedDeep)
    assert not any(isinstance(layer, BatchNorm1d) for layer in folded.layers)
    assert sum(isinstance(layer, Linear) for layer in folded.layers) == 6
    torch.testing.assert_close(folded(X), ref, atol=1e-5, rtol=1e-4)
    # and it is not trivially equal: the training-mode (batch statistics) logits differ
    model.train()
    assert not torch.allclose(model(X), ref, atol=1e-3)


@pytest.mark.parametrize("eval_stats", ["calibrated", "running"])
def test_fold_mlp_equals_eval_mode_logits(config, eval_stats):
    from pipeline.nn.fold import fold
    spec = copy.deepcopy(config["resolved"]["batchnorm"])
    spec["batchnorm"]["eval_stats"] = eval_stats
    g = torch.Generator().manual_seed(3)
    model = build_model(spec, 27, 3, g)
    with torch.no_grad():
        model.bngain += 0.3 * torch.randn(model.bngain.shape, generator=g)
        model.bnbias += 0.3 * torch.randn(model.bnbias.shape, generator=g)
        model.bnmean_running = torch.randn(model.bnmean_running.shape, generator=g)
        model.bnstd_running = torch.rand(model.bnstd_running.shape, generator=g) + 0.5
    model.calibrate(torch.randint(0, 27, (1000, 3), generator=g))
    X = torch.randint(0, 27, (300, 3), generator=g)
    model.eval()
    torch.testing.assert_close(fold(model)(X), model(X), atol=1e-5, rtol=1e-4)


def test_check_and_time_reports_equivalence(config):
    from pipeline.nn.fold import check_and_time
    model = _trained_bn_deep(config, steps=5)
    X = torch.randint(0, 27, (256, 3), generator=torch.Generator().manual_seed(2))
    r = check_and_time(model, X, repeats=2, batch_sizes=(1, None))
    assert r["allclose"] and r["max_abs_diff"] < 1e-4 and r["n_batchnorm_folded"] == 6
    assert [t["batch"] for t in r["timings"]] == [1, 256]
    assert all(t["speedup"] > 0 for t in r["timings"])


# ---- seed statistics ---------------------------------------------------------------------------

@pytest.mark.parametrize("df,q", [(1, 12.706204736), (2, 4.302652730), (5, 2.570581836), (10, 2.228138852),
                                  (30, 2.042272456)])
def test_t_quantiles(df, q):
    assert stats.t_ppf(0.975, df) == pytest.approx(q, rel=1e-8)
    assert stats.t_cdf(q, df) == pytest.approx(0.975, abs=1e-10)


def test_summary_known_values():
    s = stats.summary([1.0, 2.0, 3.0, 4.0, 5.0])
    assert s["mean"] == 3.0 and s["n"] == 5
    assert s["std"] == pytest.approx(math.sqrt(2.5))
    half = 2.776445105 * math.sqrt(2.5) / math.sqrt(5)  # t(0.975, df = 4)
    assert s["ci_low"] == pytest.approx(3 - half, rel=1e-8) and s["ci_high"] == pytest.approx(3 + half, rel=1e-8)
    d = stats.summary([2.0, math.nan, 4.0, None])
    assert d["n"] == 2 and d["n_nonfinite"] == 2 and d["mean"] == 3.0


def test_welch_known_values():
    # R: t.test(c(2,3,4,5,6), c(1,2,3,4)) -> t = 1.5667, df = 6.9808, p-value = 0.1613
    w = stats.welch([2, 3, 4, 5, 6], [1, 2, 3, 4])
    assert w["diff"] == pytest.approx(1.5)
    assert w["t"] == pytest.approx(1.5666989, rel=1e-6)
    assert w["df"] == pytest.approx(6.9807692, rel=1e-6)
    assert w["p"] == pytest.approx(0.16128586, rel=1e-5)
    far = stats.welch([10.0, 10.1, 9.9], [1.0, 1.1, 0.9])
    assert far["p"] < 1e-4


def test_holm():
    assert stats.holm([0.01, 0.04, 0.03, None]) == pytest.approx([0.03, 0.06, 0.06, None])


def test_sensitivity_width():
    gains = [0.25, 0.5, 1, 2, 4]
    z = sensitivity(gains, [3.0, 2.1, 2.0, 2.04, math.inf], 0.05)  # gain 4 diverged
    assert z["best_gain"] == 1 and z["low"] == 1 and z["high"] == 2 and z["width_octaves"] == pytest.approx(1.0)
    assert z["gains_within"] == [1, 2]
    flat = sensitivity(gains, [2.0, 2.01, 2.0, 2.02, 2.03], 0.05)
    assert flat["width_octaves"] == pytest.approx(4.0)


# ---- config: expansion of seeds and sweeps --------------------------------------------------------

def test_log_gains():
    g = expand.log_gains(0.25, 4, 9)
    assert g[0] == 0.25 and g[-1] == 4 and g[4] == 1
    assert np.allclose(np.diff(np.log2(g)), 0.5)


def test_sweep_and_seed_expansion_from_config(config):
    b = config["beyond"]
    assert len(b["sweeps"]) == 2
    for name, sw in b["sweeps"].items():
        members = sweep_members(name, sw)
        assert len({g for _, g, _ in members}) >= 9
        assert min(g for _, g, _ in members) == 0.25 and max(g for _, g, _ in members) == 4
        for exp, gain, seed in members:
            spec = config["resolved"][exp]
            assert spec["gain"] == gain and spec["seed"] == seed and spec["part"] == "E"
            assert spec["steps"] == sw["experiment"]["steps"] and spec["on_divergence"] == "record"
            assert config["expanded"][exp] == f"sweeps.{name}"
    s = b["seeds"]
    assert s["count"] >= 5
    part_a = [n for n, e in config["resolved"].items() if e["part"] == "A"]
    assert set(s["experiments"]) == set(part_a)
    for v in s["experiments"]:
        names = seed_names(v, s)
        assert len(names) == s["count"]
        seeds = {config["resolved"][n]["seed"] for n in names} | {config["resolved"][v]["seed"]}
        assert len(seeds) == s["count"] + 1  # all different from each other and from the lecture's
        for n in names:  # the same experiment but for the seed
            a = {k: x for k, x in config["resolved"][n].items() if k not in ("seed", "name", "title", "part")}
            b_ = {k: x for k, x in config["resolved"][v].items() if k not in ("seed", "name", "title", "part")}
            assert a == b_


def test_quick_override_shrinks_the_studies():
    cfg = load(ROOT / "config.yaml", ROOT / "config.quick.yaml")
    gen = cfg["expanded"]
    assert len(gen) <= 12
    assert all(cfg["resolved"][n]["steps"] <= 300 for n in cfg["resolved"] if cfg["resolved"][n]["part"] == "E")


def _with(mutate) -> dict:
    cfg = raw_config()
    mutate(cfg)
    return cfg


def test_expansion_errors_name_the_key():
    def collide(c):
        c["experiments"]["kaiming.seed1"] = copy.deepcopy(c["experiments"]["kaiming"])
    with pytest.raises(ConfigError, match="kaiming.seed1.*already exists"):
        validate(_with(collide))

    def gain_in_template(c):
        c["beyond"]["sweeps"]["gain_plain"]["experiment"]["gain"] = 2
    with pytest.raises(ConfigError, match=r"beyond\.sweeps\.gain_plain\.experiment\.gain"):
        validate(_with(gain_in_template))

    def unknown(c):
        c["beyond"]["seeds"]["experiments"].append("no_such_variant")
    with pytest.raises(ConfigError, match="no_such_variant"):
        validate(_with(unknown))

    def bad_fold(c):
        c["beyond"]["fold"]["experiments"] = ["kaiming"]
    with pytest.raises(ConfigError, match="beyond.fold.experiments.*BatchNorm"):
        validate(_with(bad_fold))

    def typo(c):
        c["beyond"]["seeds"]["cuont"] = 3
    with pytest.raises(ConfigError, match="cuont"):
        validate(_with(typo))

    def reversed_gains(c):
        c["beyond"]["sweeps"]["gain_plain"]["gains"].update(min=4, max=0.25)
    with pytest.raises(ConfigError, match="gains"):
        validate(_with(reversed_gains))


def test_generated_experiments_get_no_per_run_figures(config):
    from pipeline.workflow.plan import Plan
    plan = Plan(raw_config())
    figs = plan.figures.all()
    assert not any("/gain_plain." in f or ".seed1/" in f for f in figs)
    assert any(f.startswith("figures/act_relu/") for f in figs)
    targets = plan.studies.targets()
    for study in ("seeds", "gain_sweep", "compare_activations", "compare_normalisations", "momentum", "zero_init",
                  "fold"):
        assert f"results/beyond/{study}.json" in targets


# ---- E01: which gradients are exactly zero -----------------------------------------------------

def _grads(spec: dict) -> dict:
    g = torch.Generator().manual_seed(spec["seed"])
    model = build_model(spec, 27, 3, g)
    for p in model.parameters():
        p.requires_grad_(True)
    X = torch.randint(0, 27, (32, 3), generator=g)
    Y = torch.randint(0, 27, (32,), generator=g)
    loss = loss_fn(model(X), Y)
    loss.backward()
    assert loss.item() == pytest.approx(math.log(27), rel=1e-6)  # logits are all 0: uniform
    return {n: p.grad for n, p in model.named_parameters()}


def test_e01_zero_mlp_only_b2_has_a_gradient(config):
    grads = _grads(config["resolved"]["e01_zero_mlp"])
    nonzero = [n for n, gr in grads.items() if (gr != 0).any()]
    assert nonzero == ["b2"]
    # d loss / d b2 = mean over the batch of softmax - one-hot: it sums to zero over the vocabulary
    assert float(grads["b2"].sum()) == pytest.approx(0.0, abs=1e-6)


def test_e01_zero_deep_only_last_batchnorm_beta_has_a_gradient(config):
    spec = config["resolved"]["e01_zero_deep"]
    grads = _grads(spec)
    nonzero = [n for n, gr in grads.items() if (gr != 0).any()]
    assert len(nonzero) == 1 and nonzero[0].endswith("BatchNorm1d.beta")
    last_bn = max(int(n.split(".")[0]) for n in grads if "BatchNorm1d" in n)
    assert nonzero[0] == f"{last_bn}.BatchNorm1d.beta"


def test_e01_without_zero_init_every_tensor_gets_a_gradient(config):
    spec = dict(config["resolved"]["e01_zero_deep"], zero_init=False)  # the control: the usual init
    g = torch.Generator().manual_seed(spec["seed"])
    model = build_model(spec, 27, 3, g)
    for p in model.parameters():
        p.requires_grad_(True)
    X = torch.randint(0, 27, (32, 3), generator=g)
    loss_fn(model(X), torch.randint(0, 27, (32,), generator=g)).backward()
    assert all((p.grad != 0).any() for p in model.parameters())


# ---- saturation is only reported where it means something ---------------------------------------

def test_saturation_only_for_squashing_activations():
    t = np.array([-0.99, 0.0, 0.5, 0.98])
    assert dg.percent_saturated_for(t, "tanh") == 50.0
    s = np.array([0.001, 0.5, 0.6, 0.999])  # sigmoid: 2s - 1 = -0.998, 0, 0.2, 0.998
    assert dg.percent_saturated_for(s, "sigmoid") == 50.0
    for act in ("relu", "leaky_relu", "elu", "none"):
        assert dg.activation_summary(t, act)["saturated_pct"] is None
    assert dg.activation_summary(np.array([0.0, 0.0, 1.0, 2.0]), "relu")["zero_pct"] == 50.0


# ---- the studies on the quick DAG ------------------------------------------------------------------

@pytest.mark.slow
def test_beyond_outputs_of_the_quick_dag(quick_run):
    out = quick_run / "results" / "beyond"
    fold = json.loads((out / "fold.json").read_text())
    assert all(r["allclose"] and r["max_abs_diff"] < 1e-4 for r in fold["rows"])
    z = json.loads((out / "zero_init.json").read_text())
    trainable = {r["experiment"]: r["trainable"] for r in z["rows"]}
    assert trainable["e01_zero_mlp"] == ["b2"]
    assert len(trainable["e01_zero_deep"]) == 1 and trainable["e01_zero_deep"][0].endswith("BatchNorm1d.beta")
    seeds = json.loads((out / "seeds.json").read_text())
    assert all(r["val"]["n"] == r["n"] >= 2 for r in seeds["rows"]) and seeds["pairs"] and "text" not in seeds
    sweep = json.loads((out / "gain_sweep.json").read_text())
    assert set(sweep["sweeps"]) == {"gain_plain", "gain_batchnorm"}
    acts = json.loads((out / "compare_activations.json").read_text())
    by = {r["activation"]: r for r in acts["rows"]}
    assert by["relu"]["layers_init"][0]["saturated_pct"] is None and by["relu"]["layers_init"][0]["zero_pct"] > 0
    assert by["tanh"]["layers_init"][0]["saturated_pct"] is not None
    mom = json.loads((out / "momentum.json").read_text())
    assert {r["momentum"] for r in mom["rows"]} == {0.1, 0.001}
    for rel in ("seeds/loss_spread", "gain_sweep/val_loss_vs_gain", "gain_sweep/saturation_vs_gain",
                "momentum/running_swing", "zero_init/gradients", "compare_activations/summary"):
        group, name = rel.split("/")
        for f in (f"{name}.png", f"{name}.json", f"dark/{name}.webp", f"thumbs/{name}.webp"):
            assert (quick_run / "figures" / group / f).stat().st_size > 0


# ---- the interactive BatchNorm demo (docs/interactive/batchnorm.html) ----------------------------

DEMO = ROOT / "docs" / "interactive" / "batchnorm.html"


def test_batchnorm_widget_is_offline_and_self_contained():
    import re
    html = DEMO.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched
    assert "@import" not in html and "url(" not in html
    assert html.count("<script>") == 1 and "<script src" not in html
    assert "\n\n" not in html  # one raw HTML block for Markdown: a blank line would end it
    values = json.loads(re.search(r'data-values="([^"]+)"', html).group(1))
    assert values == raw_config()["demos"]["batchnorm_demo"]["values"]


def test_batchnorm_widget_numbers_match_numpy(tmp_path):
    import re
    import shutil
    import subprocess
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: the widget test runs its script in Node.js "
                    "(Debian package nodejs; scripts/test.sh installs it)", pytrace=False)
    js = re.search(r"<script>(.*)</script>", DEMO.read_text(), re.S).group(1)
    (tmp_path / "demo.js").write_text(js)
    out = subprocess.run([node, str(ROOT / "tests" / "js" / "bn_fakedom.js"), str(tmp_path / "demo.js")],
                         capture_output=True, text=True, timeout=60, check=True).stdout.splitlines()
    x = np.array(raw_config()["demos"]["batchnorm_demo"]["values"], dtype=float)
    assert f"\u03bc = {x.mean():+.3f}" in out[0] and f"\u03c3 = {x.std(ddof=1):.3f}" in out[0]
    x[0] = 3.0  # the harness drags input 0 to 3
    assert f"\u03bc = {x.mean():+.3f}" in out[1] and f"\u03c3 = {x.std(ddof=1):.3f}" in out[1]
    xhat = (x - x.mean()) / np.sqrt(x.var(ddof=1) + 1e-5)
    cells = re.findall(r"<tr[^>]*><td>\d+</td><td>([^<]+)</td><td>([^<]+)</td>", out[2])
    assert [float(c[1]) for c in cells] == pytest.approx(np.round(xhat, 3).tolist(), abs=1e-3)


# ---- the study functions on hand-made run directories (no training) -------------------------------

def _fake_run(root: Path, name: str, *, seed: int, val, train=None, activation: str = "tanh",
              diverged: bool = False, sat: float = 0.5) -> None:
    from pipeline.io import write_json
    d = root / name
    d.mkdir(parents=True)
    write_json(d / "metrics.json", {"experiment": name, "seed": seed, "val_loss": None if diverged else val,
                                    "train_loss": None if diverged else (train if train is not None else val - 0.05),
                                    "test_loss": None if diverged else val,
                                    "diverged": {"step": 5, "loss": float("nan"), "first_nonfinite": "logits"}
                                    if diverged else None})
    write_json(d / "config.json", {"spec": {"name": name, "activation": activation, "seed": seed}})
    act = np.full((32, 100), sat)  # |t| = sat everywhere: 0% or 100% saturated
    probes = {"init.act.2": act, "init.act.5": act}
    if not diverged:
        probes["final.act.2"] = act
    np.savez(d / "probes.npz", **probes)


def test_seed_study_says_which_differences_exceed_noise(tmp_path):
    from pipeline.studies.seeds import seed_study
    runs = tmp_path / "runs"
    groups = {"a": [], "b": [], "c": []}
    rng = np.random.default_rng(0)
    for v, mu in (("a", 2.20), ("b", 2.10), ("c", 2.1005)):
        for k in range(6):
            name = f"{v}.seed{k}"
            _fake_run(runs, name, seed=k, val=float(mu + 0.002 * rng.standard_normal()))
            groups[v].append(name)
    out = seed_study({"title": "t", "alpha": 0.05, "groups": groups}, runs, tmp_path / "s.json",
                     tmp_path / "s.md", tmp_path / "fig")
    val = {(p["a"], p["b"]): p for p in out["pairs"] if p["split"] == "val"}
    assert val[("a", "b")]["exceeds_seed_noise"] and not val[("a", "b")]["intervals_overlap"]
    assert not val[("b", "c")]["exceeds_seed_noise"]
    assert (tmp_path / "fig" / "loss_spread.png").stat().st_size > 0
    assert "| `a` | 6 |" in (tmp_path / "s.md").read_text()
    # what the site says of it: the seeds note's claims, one per adjacent pair, each checking its verdict
    from pipeline.site import render
    from pipeline.site.claims import ClaimBook
    book = ClaimBook("warn")
    render.environment().get_template("notes/seeds.md").render(
        run=types.SimpleNamespace(study=lambda name: out), _claims=book, _page="beyond.md")
    pairs = [c for c in book.claims if "sig" in c.numbers]
    assert len(pairs) == 2 and all(c.holds for c in pairs), [c.line() for c in pairs]
    by_diff = {round(c.numbers["d"], 12): c.expr for c in pairs}
    assert "'indistinguishable'" in by_diff[round(val[("b", "c")]["diff_b_minus_a"], 12)]
    ab = next(c for c in pairs if c.numbers["d"] == val[("a", "b")]["diff_b_minus_a"])
    assert ab.numbers["sig"] is True and ab.numbers["d"] < 0 and ab.numbers.get("v") == "lower"
    count = next(c for c in book.claims if "k" in c.numbers)
    assert count.holds and count.numbers["k"] == sum(p["exceeds_seed_noise"] for p in val.values())


def test_gain_sweep_records_divergence_instead_of_crashing(tmp_path):
    from pipeline.studies.gain_sweep import gain_sweep
    runs = tmp_path / "runs"
    members = []
    for gain, val, sat in ((0.5, 2.5, 0.5), (1.0, 2.2, 0.5), (2.0, 2.23, 0.99), (4.0, None, 0.99)):
        for seed in (1, 2):
            name = f"sw.g{gain}.s{seed}"
            _fake_run(runs, name, seed=seed, val=val, diverged=val is None, sat=sat)
            members.append([name, gain, seed])
    out = gain_sweep({"tolerance": 0.05, "sweeps": {"sw": {"title": "sweep", "steps": 10, "members": members}}},
                     runs, tmp_path / "g.json", tmp_path / "fig")
    s = out["sweeps"]["sw"]
    assert [p["n_diverged"] for p in s["points"]] == [0, 0, 0, 2]
    assert s["sensitivity"]["low"] == 1.0 and s["sensitivity"]["high"] == 2.0
    assert [p["saturation_init_pct"] for p in s["points"]] == [0.0, 0.0, 100.0, 100.0]
    assert s["points"][3]["saturation_final_pct"] is None
    saved = json.loads((tmp_path / "g.json").read_text())  # strict JSON: no inf/nan
    assert saved["sweeps"]["sw"]["points"][3]["val_mean"] is None
    for f in ("val_loss_vs_gain", "saturation_vs_gain"):
        assert (tmp_path / "fig" / f"{f}.png").stat().st_size > 0


def test_seed_study_params_keep_the_lecture_order():
    """Each fix is compared with the one before it, so the study must see the variants in
    lecture order (a sorted JSON once turned that into alphabetical order)."""
    import json

    from pipeline.config import read_yaml
    from pipeline.workflow.plan import Plan
    plan = Plan(read_yaml(ROOT / "config.yaml"))
    groups = list(json.loads(plan.studies.params("seeds"))["groups"])
    assert groups == ["bad_init", "scaled_logits", "fixed_tanh", "kaiming", "batchnorm", "batchnorm_running"]
