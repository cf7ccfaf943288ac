"""The sentences a learner reads around the numbers (issue 24): a claim states the direction the data
show, a comparison never prints two sides the same or a change as nothing, counts and headings are
written for people, the lecture is quoted at the precision it printed, one rounding and one sign rule
hold everywhere (the explorable's JavaScript included)."""

from __future__ import annotations

import json
import math
import random
import re
import subprocess
from pathlib import Path

import jinja2
import pytest

from pipeline.analysis.lecture import LECTURE, LECTURE_LINEAR
from pipeline.errors import ClaimError
from pipeline.format import fmt
from pipeline.site import render
from pipeline.site.claims import ClaimBook

ROOT = Path(__file__).resolve().parents[1]


def helper(name: str):
    """A helper of pipeline/format.py, imported where a test needs it (each test fails on its own)."""
    import pipeline.format
    return getattr(pipeline.format, name)
NOTES = ROOT / "docs" / "notes"


def fresh_env() -> jinja2.Environment:
    return render.environment.__wrapped__(render.TEMPLATES)


def claim(expr: str, sentence: str, mode: str = "warn", **numbers) -> ClaimBook:
    book = ClaimBook(mode)
    args = ", ".join(f"{k}={k}" for k in numbers)
    fresh_env().from_string(f'{{% call claim("{expr}", {args}) %}}{sentence}{{% endcall %}}').render(
        _claims=book, _page="p.md", **numbers)
    return book


class Facts:
    """Just what the notes under test read of `run`."""

    def __init__(self, sig=None, d=None, layers=(), ud=(), ref_ud=(), spec=None, val=2.2, ref_val=2.1):
        self.sig, self.d = sig, d
        self._layers, self._ud, self._ref_ud, self._spec = list(layers), list(ud), list(ref_ud), spec or {}
        self._val, self._ref_val = val, ref_val

    def seed_pair(self, a, b):
        return {"a": a, "b": b, "exceeds_seed_noise": self.sig, "diff_b_minus_a": self.d, "p_holm": 0.025}

    def seed_row(self, name):
        return {"n": 6}

    @staticmethod
    def abs(x):
        return None if x is None else abs(x)

    def layers(self, name):
        return self._layers

    def hidden_weights(self, name):
        return self._ud if name != "batchnorm_gain_5_3" else self._ref_ud

    def spec(self, name):
        return self._spec

    def m(self, name):
        return {"val_loss": self._ref_val}

    @staticmethod
    def torch_init(rows, cols, nonlinearity="tanh"):
        from pipeline.site.facts import Facts as Real
        return Real.torch_init(rows, cols, nonlinearity)


def render_note(note: str, run: Facts, **context) -> tuple[str, ClaimBook]:
    book = ClaimBook("warn")
    text = fresh_env().from_string((NOTES / note).read_text()).render(run=run, _claims=book, _page=note,
                                                                       **context)
    return " ".join(text.split()), book


# ---- a claim states the direction the data show ---------------------------------------------------

def test_a_claim_that_holds_for_opposite_verdicts_is_refused():
    # the BatchNorm page's old claim: true for a significant loss *and* for noise, so it says neither
    with pytest.raises(ClaimError, match="holds whether the data show higher or indistinguishable"):
        claim("not (sig and d < 0)", "no improvement beyond the seed noise", sig=True, d=0.0042)
    with pytest.raises(ClaimError, match="holds whether"):
        claim("d > -1 or sig", "it differs", sig=False, d=0.01)


def test_a_claim_pinned_to_one_verdict_is_accepted():
    for expr, sig, d in [("verdict(sig, d) == 'higher'", True, 0.0042), ("sig and d < 0", True, -0.01),
                         ("not sig", False, 0.003)]:
        book = claim(expr, "x", sig=sig, d=d)
        assert [c.holds for c in book.claims] == [True], expr


BN_CONTEXT = {"name": "batchnorm", "base": {"name": "kaiming"}, "spec": {"n_hidden": 200},
              "m": {"n_params": 12297}, "base_m": {"n_params": 12097}, "init": {"hpreact_std": 1.0}}


@pytest.mark.parametrize("sig, d, words", [
    (True, 0.0042, "0.0042 *higher* than Kaiming's"),
    (True, -0.0042, "0.0042 lower than Kaiming's"),
    (False, 0.0042, "differs from Kaiming's by +0.0042, within the seed noise"),
])
def test_the_batchnorm_page_says_the_direction_its_seeds_show(sig, d, words):
    text, book = render_note("batchnorm.md", Facts(sig=sig, d=d), **BN_CONTEXT)
    assert words in text
    assert not book.failed(), [c.line() for c in book.failed()]
    if sig and d > 0:
        assert "no improvement" not in text and "worse" in text


@pytest.mark.parametrize("sig, d, words", [(False, 0.001, "moves by +0.0010"), (True, 0.002, "0.0020 higher"),
                                           (True, -0.002, "0.0020 lower")])
def test_the_kaiming_page_says_the_direction_its_seeds_show(sig, d, words):
    ctx = {"name": "kaiming", "base": {"name": "fixed_tanh"}, "spec": {"n_embd": 10, "block_size": 3, "n_hidden": 200,
                                                                      "gain": 5 / 3},
           "init": {"hpreact_std": 1.2, "saturated_pct_099": 5.0},
           "base_m": {"init": {"hpreact_std": 1.0, "saturated_pct_099": 3.0}}}
    text, book = render_note("kaiming.md", Facts(sig=sig, d=d), **ctx)
    assert words in text
    assert not book.failed(), [c.line() for c in book.failed()]


# ---- Kaiming in PyTorch: the call that matches this layout, checked by torch.nn.init itself -----

def test_the_kaiming_pytorch_sentence_names_the_call_torch_confirms():
    from pipeline.site.facts import Facts as Real
    t = Real.torch_init(30, 200)
    assert math.isclose(t["fan_out"], 5 / 3 / math.sqrt(30), rel_tol=0.05)  # 0.304: the recipe's std
    assert math.isclose(t["fan_in"], 5 / 3 / math.sqrt(200), rel_tol=0.05)  # 0.118: the default mode, wrong here
    ctx = {"name": "kaiming", "base": {"name": "fixed_tanh"},
           "spec": {"n_embd": 10, "block_size": 3, "n_hidden": 200, "gain": 5 / 3},
           "init": {"hpreact_std": 1.2, "saturated_pct_099": 5.0},
           "base_m": {"init": {"hpreact_std": 1.0, "saturated_pct_099": 3.0}}}
    text, book = render_note("kaiming.md", Facts(sig=False, d=0.001), **ctx)
    assert 'kaiming_normal_(W1, mode="fan_out", nonlinearity="tanh")' in text
    torch_claims = [c for c in book.claims if "kaiming_normal_" in c.sentence]
    assert torch_claims and all(c.holds for c in torch_claims)
    assert "0.304" in text and "0.118" in text


# ---- batchnorm_no_fan_in: the factor against gain 5/3, computed -----------------------------------

def test_the_no_fan_in_factor_is_computed_against_the_kaiming_gain():
    run = Facts(layers=[0.63, 0.64], ud=[-5.1, -5.2, -5.0], ref_ud=[-3.5, -3.6, -3.5],
                spec={"gain": 5 / 3}, val=2.3, ref_val=2.1)
    run.layers = lambda name: [0.63, 0.64]
    run.m = lambda name: {"val_loss": 2.1}
    text, book = render_note("batchnorm_no_fan_in.md", run, name="batchnorm_no_fan_in",
                             spec={"n_hidden": 100}, m={"val_loss": 2.3, "steps": 1000})
    assert "about 6.0 times too large" in text and "10 times" not in text
    assert "36 is 1.6 decades" in text
    assert not book.failed(), [c.line() for c in book.failed()]


# ---- nothing printed as nothing, no comparison whose sides print the same ---------------------------

@pytest.mark.parametrize("sentence", [
    "over 200 more minibatches with frozen weights it swings with std 0.0000 (range 2.1057..2.1057).",
    "the std of the deepest layer changes by a factor of 1; without BatchNorm, by a factor of 11.2.",
    "steady with depth: 0.63 to 0.64 with LayerNorm, 0.63 to 0.64 with BatchNorm.",
])
def test_a_sentence_that_prints_nothing_or_two_equal_sides_is_found(sentence):
    assert helper("sentence_problems")(sentence)


def test_a_true_claim_that_prints_its_sides_the_same_does_not_hold():
    book = claim("a != b", "from {{ a | num(2) }} to {{ b | num(2) }} here, {{ a | num(2) }} to {{ b | num(2) }} there",
                 a=0.631, b=0.6352)
    [c] = book.claims
    assert not c.holds and c.reason.startswith("true but misprinted")


def test_more_digits_or_other_words_instead():
    apart, change = helper("apart"), helper("change")
    assert apart(2.105712, 2.105741, start=4) == 5
    assert apart([0.631, 0.642], [0.633, 0.638]) == 3
    assert change(1.003) == "0.3 %" and change(1.00002) == "0.002 %" and change(11.23) == "a factor of 11.2"
    assert change(1.0) == "not at all"


def momentum_note(slow_frozen: dict, fast_frozen: dict) -> tuple[str, ClaimBook]:
    """The momentum note rendered on two rows that differ in what the frozen-weights trace saw."""
    def row(m, frozen, dev):
        return {"momentum": m, "frozen_steps": 200, "frozen_val_loss": frozen, "val_loss_calibrated": 2.1,
                "val_running_minus_calibrated": 0.001, "final_running_vs_calibrated": {"mean_dev_avg": dev}}
    rows = {0.001: row(0.001, slow_frozen, 0.31), 0.1: row(0.1, fast_frozen, 0.12)}
    run = Facts()
    run.row = lambda study, key, value: rows[value]
    return render_note("momentum.md", run)


def test_the_frozen_swing_prints_its_range_apart_and_its_direction():
    close = {"min": 2.105712, "max": 2.105741, "std": 1.1e-5}
    text, book = momentum_note({"min": 2.1057, "max": 2.1057, "std": 0.0}, close)
    assert "from 2.10571 to 2.10574" in text and "it stays at 2.10570" in text, text
    assert not helper("sentence_problems")(text), helper("sentence_problems")(text)
    assert not book.failed(), [c.line() for c in book.failed()]
    # the data the other way round: the other sentence, and its claim holds for that direction only
    text, book = momentum_note(close, {"min": 2.1057, "max": 2.1057, "std": 0.0})
    assert "no more than the" in text and "the faster average follows" not in text, text
    assert not book.failed(), [c.line() for c in book.failed()]


def test_part_c_states_the_point_not_the_tests_threshold():
    text = (ROOT / "docs" / "templates" / "part_c.md.j2").read_text()
    assert "within 10 %" not in text and "are both about sqrt(fan_in)" in text


# ---- plurals and headings for people ---------------------------------------------------------------

def test_counts_take_their_noun_in_the_right_number():
    plural = helper("plural")
    assert [plural(n, "dead neuron") for n in (0, 1, 2)] == ["0 dead neurons", "1 dead neuron", "2 dead neurons"]
    assert plural(1, "thread") == "1 thread"


def test_no_template_or_note_writes_a_count_with_a_parenthesised_plural():
    hits = []
    for p in [*(ROOT / "docs" / "templates").glob("*.j2"), *NOTES.glob("*.md")]:
        for m in re.finditer(r"\}\}\s+[\w ]+?\((?:s|es)\)", p.read_text()):
            hits.append(f"{p.name}: {m.group(0)}")
    assert not hits


def test_study_tables_have_written_headings_and_no_title_column_repeating_the_id():
    from pipeline.site.pages import study_columns
    rows = [{"experiment": "act_tanh", "title": "act_tanh", "n_params": 47551, "saturation_meaningful": True,
             "val_loss": 2.2}]
    cols = study_columns(rows, "compare_activations")
    assert [c["heading"] for c in cols] == ["experiment", "parameters", "saturation applies (tanh)", "val loss"]
    with pytest.raises(KeyError, match="'new_column' of the study 's' has no heading"):
        study_columns([{"new_column": 1}], "s")
    assert 'map("replace", "_", " ")' not in (ROOT / "docs" / "templates" / "beyond.md.j2").read_text()


# ---- the lecture at the precision it printed; one rounding, one sign rule ---------------------------

def test_the_lecture_is_quoted_and_compared_at_its_printed_precision(tmp_path):
    val = LECTURE["scaled_logits"]["val"]
    assert fmt(LECTURE["scaled_logits"]["train"]) == "2.07" and fmt(val) == "2.13"
    assert fmt(LECTURE["kaiming"]["val"]) == "2.1070" and fmt(LECTURE_LINEAR["y_std"], 2) == "31.01"
    at_precision = helper("at_precision")
    assert fmt(at_precision(2.1311, val), "+.4f") == "0.00"  # not "+0.0011": the lecture printed 2 decimals
    assert fmt(at_precision(2.1391, val), "+.4f") == "+0.01"
    assert json.dumps(val) == "2.13" and val == 2.13  # the number itself is unchanged
    from pipeline.analysis.tables import results_table
    m = {"experiment": "scaled_logits", "n_params": 11897, "steps": 200000, "initial_loss": 3.3, "val_loss": 2.1311,
         "expected_initial_loss": 3.2958, "train_loss": 2.0695, "test_loss": 2.13, "train_seconds": 1.0,
         "diverged": False}
    (tmp_path / "m.json").write_text(json.dumps(m))
    rows = results_table([tmp_path / "m.json"], tmp_path / "t.json", tmp_path / "t.md")
    md = (tmp_path / "t.md").read_text()
    assert "| 2.07 | 2.13 | 0.00 |" in md
    assert math.isclose(rows[0]["val_minus_lecture"], 2.1311 - 2.13)  # the JSON keeps the exact difference


def test_zero_prints_without_a_sign_whatever_the_spec():
    assert {fmt(v, "+.4f") for v in (-0.00001, 0.0, -0.0, 0.00004)} == {"0.0000"}
    assert fmt(-0.00001, 4) == "0.0000" and fmt(-0.0, "g") == "0"
    assert fmt(0.0012, "+.4f") == "+0.0012" and fmt(-0.0012, "+.4f") == "-0.0012"


def test_python_rounds_as_the_explorables_javascript_does():
    values = [6.125, -6.125, 2.675, 0.5, 1.5, 2.5, 0.125, 1.005, 31.005, 6.1249999]
    rng = random.Random(0)
    values += [round(rng.uniform(-50, 50), rng.randint(2, 5)) for _ in range(300)]
    digits = [2, 3, 4]
    js = (f"const v = {json.dumps(values)}; const out = []; for (const x of v) for (const d of {json.dumps(digits)}) "
          "out.push(x.toFixed(d)); console.log(JSON.stringify(out));")
    proc = subprocess.run(["node", "-e", js], capture_output=True, text=True, check=True)
    expected = [s.lstrip("-") if float(s) == 0 else s for s in json.loads(proc.stdout)]  # the one sign rule
    assert [fmt(v, d) for v in values for d in digits] == expected


def test_printed_keeps_its_decimals_through_pickling():
    import pickle
    v = pickle.loads(pickle.dumps(helper("Printed")("2.1070")))
    assert fmt(v) == "2.1070" and v == 2.107


# ---- |h| on the claims page: a pipe in math is TeX's \vert, not a norm sign -------------------------

def test_a_pipe_inside_math_in_a_table_cell_is_not_a_norm_sign():
    cell = render.md_escape("and 94.1 % of the tanh outputs have $|h| > 0.99$: |x| outside")
    math_part = re.search(r"\$[^$]*\$", cell).group(0)
    assert "\\|" not in math_part and "\\vert" in math_part
    assert cell.endswith("\\|x\\| outside")  # outside math, still an escaped pipe
