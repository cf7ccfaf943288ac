"""Trainings shared by experiments that differ only in how they are evaluated, and results that
do not depend on what a model is stacked with (pipeline/training/groups.py, store.py).

A shared training (one run of the engine keeping running statistics at every momentum its
experiments ask for) must write, for each experiment, exactly the run directory that training
that experiment alone writes; and a model must come out of the batched engine with the same
bits whether it trains alone or beside any others."""

from __future__ import annotations

import copy

import pytest
import torch

from pipeline.training.engine import train_group
from pipeline.training.groups import stacks, training_id, trainings
from pipeline.training.jobs import train_many, train_stack
from pipeline.training.store import evaluate, evaluate_many
from tests.test_resume import assert_same_run

BN = ["batchnorm", "batchnorm_running", "bn_momentum_0.1"]


def _short(spec: dict, steps: int = 240, **over) -> dict:
    s = dict(copy.deepcopy(spec), steps=steps, lr_decay_step=steps // 2, **over)
    s["sampling"] = dict(s["sampling"], count=4)
    return s


def test_identity_comes_from_the_spec(config):
    """Evaluation keys (names, texts, sampling, eval_stats, momentum) share a training; anything a
    gradient sees (lr, seed, init, steps) makes another."""
    resolved = config["resolved"]
    t = trainings(resolved)
    shared = [tid for tid, v in t.items() if set(BN) <= set(v["experiments"])]
    assert len(shared) == 1 and t[shared[0]]["spec"]["batchnorm"] == {"momenta": [0.001, 0.1]}
    assert len({tid for tid, v in t.items() for e in v["experiments"] if e in ("kaiming", "bad_init")}) == 2
    assert sum(len(v["experiments"]) for v in t.values()) == len(resolved)

    def tid_of(**over):
        r = copy.deepcopy(resolved)
        for path, value in over.items():
            *keys, last = path.split("__")
            d = r["kaiming"]
            for k in keys:
                d = d[k]
            d[last] = value
        return next(tid for tid, v in trainings(r).items() if "kaiming" in v["experiments"])

    base = tid_of()
    for moves_nothing in ({"title": "x"}, {"summary": "y"}, {"sampling__count": 3}, {"part": "E"},
                          {"on_divergence": "stop"}):
        assert tid_of(**moves_nothing) == base, moves_nothing
    for moves_numbers in ({"lr": 0.05}, {"seed": 3}, {"steps": 10}, {"init__W2": 0.02}, {"batch_size": 16}):
        assert tid_of(**moves_numbers) != base, moves_numbers
    assert training_id(dict(t[base]["spec"], name="another label")) == base
    assert all("name" not in v["spec"] for v in t.values())  # renaming an experiment renames no training


def test_stacks_are_a_trainings_seeds(config):
    t = trainings(config["resolved"])
    jobs = stacks(t)
    assert sorted(tid for tids in jobs.values() for tid in tids) == sorted(t)  # each training once
    kaiming = next(j for j, tids in jobs.items() if any("kaiming" in t[x]["experiments"] for x in tids))
    names = sorted(e for x in jobs[kaiming] for e in t[x]["experiments"])
    assert names == ["kaiming"] + [f"kaiming.seed{k}" for k in range(1, 6)]
    halves = stacks(t, 3)["kaiming_x3_part1"]
    assert len(halves) == 3 and set(halves) < set(jobs[kaiming])


def test_shared_training_equals_each_alone(config, dataset, tmp_path):
    """batchnorm, batchnorm_running and bn_momentum_0.1 trained once (engine and simple loop) give
    each the run directory it gets trained alone, bit for bit."""
    specs = {n: _short(config["resolved"][n]) for n in BN}
    alone = tmp_path / "alone"
    for n, s in specs.items():
        train_many([s], dataset, [alone / n])
    (tid, t), = trainings(specs).items()
    assert t["spec"]["batchnorm"]["momenta"] == [0.001, 0.1]
    for engine in ("batched", "simple"):
        trained = tmp_path / engine / "trained.pt"
        train_stack([t["spec"]], dataset, [trained], simple=engine == "simple")
        for n, s in specs.items():
            evaluate(s, trained, dataset, tmp_path / engine / n)
            if engine == "batched":
                assert_same_run(alone / n, tmp_path / engine / n)
    # the simple loop keeps the same statistics: its run directories agree with its own alone runs
    from pipeline.training.loop import train
    for n, s in specs.items():
        train(s, dataset, tmp_path / "simple_alone" / n)
        assert_same_run(tmp_path / "simple_alone" / n, tmp_path / "simple" / n)


def test_divergence_fails_the_evaluation_not_the_training(config, dataset, tmp_path):
    """on_divergence is how a run reports a divergence, not how it trains (both stop at the step):
    one training serves both; the training job succeeds, the `stop` experiment fails its evaluation
    by name, after the `record` one is written."""
    from pipeline.errors import DivergenceError
    blowup = dict(_short(config["resolved"]["linear_gain_3"], 200), lr=50.0)
    specs = {"stops": dict(blowup, name="stops", on_divergence="stop"),
             "records": dict(blowup, name="records", on_divergence="record")}
    (tid, t), = trainings(specs).items()
    trained = tmp_path / tid / "trained.pt"
    train_stack([t["spec"]], dataset, [trained])
    with pytest.raises(DivergenceError, match=r"experiment 'stops' diverged at step \d+: .* first non-finite"):
        evaluate_many(list(specs.values()), [trained, trained], dataset, [tmp_path / "stops", tmp_path / "records"])
    assert not (tmp_path / "stops" / "metrics.json").exists()
    alone = train_many([specs["records"]], dataset, [tmp_path / "alone"])[0]
    assert alone["diverged"] and alone["diverged"]["step"] > 0
    assert_same_run(tmp_path / "alone", tmp_path / "records")


def _params(result: dict) -> dict:
    model = result["model"]
    return {n: p.clone() for n, p in model.named_parameters()} | {
        f"buffer {k}": t.clone() for k, t in model.buffers().items()}


@pytest.mark.parametrize("target,mates", [
    ("kaiming", ["bad_init", "fixed_tanh", "scaled_logits"]),
    ("bad_init", ["kaiming"]),  # first in the stack, with another lr beside it (below)
    ("batchnorm", ["batchnorm_running", "bn_momentum_0.1"]),
])
def test_stack_neighbours_change_no_bit(config, dataset, target, mates):
    """A model's parameters, running statistics and loss history come out of the engine with the
    same bits alone and in a stack: stacking is scheduling, never a number."""
    torch.set_num_threads(1)
    resolved = config["resolved"]
    spec = _short(resolved[target], 200)
    others = [_short(resolved[m], 200, seed=resolved[m]["seed"] + k) for k, m in enumerate(mates)]
    if target == "bad_init":
        others = [dict(o, lr=0.05) for o in others]
    alone = train_group([spec], dataset)[0]
    stacked = train_group(others[:1] + [spec] + others[1:], dataset)[1] if target != "bad_init" \
        else train_group([spec] + others, dataset)[0]
    pa, ps = _params(alone), _params(stacked)
    assert pa.keys() == ps.keys()
    for k in pa:
        assert torch.equal(pa[k], ps[k]), k
    assert (alone["history"]["log10_loss"] == stacked["history"]["log10_loss"]).all()


def test_a_training_file_holds_no_timing(config, dataset, tmp_path):
    """Two trainings of the same spec write the same trained.pt byte for byte: what they cost lies
    beside it in timing.json (masked by pipeline/reproducible.py); a missing timing.json is named."""
    spec = _short(config["resolved"]["kaiming"], 60)
    (tid, t), = trainings({"kaiming": spec}).items()
    files = [tmp_path / f"run{k}" / tid / "trained.pt" for k in (1, 2)]
    for f in files:
        train_stack([t["spec"]], dataset, [f])
    assert files[0].read_bytes() == files[1].read_bytes()
    import json

    from pipeline import reproducible
    timing = json.loads((files[0].parent / "timing.json").read_text())
    assert set(timing) == {"train_seconds", "resumed_from_step"} and timing["train_seconds"] > 0
    assert set(timing) <= reproducible.TIMING_FIELDS
    (files[1].parent / "timing.json").unlink()
    with pytest.raises(SystemExit, match="timing.json"):
        evaluate(spec, files[1], dataset, tmp_path / "out")
