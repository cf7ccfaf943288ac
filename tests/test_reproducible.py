"""Comparing two runs byte for byte (pipeline/reproducible.py, scripts/compare_trees.py): timings
masked, not skipped, and every other difference reported. Fast: small trees written here."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline import reproducible
from pipeline.reproducible import TIMING_FIELDS, compare, mask, timing_span
from tests.conftest import ROOT

SCRIPT = ROOT / "scripts" / "compare_trees.py"
METRICS = {"experiment": "kaiming", "val_loss": 2.1234, "train_seconds": 12.5, "ms_per_step": 0.25,
           "wall_seconds": 14.0, "resumed_from_step": 0, "steps": 300}
PAGE = ("<table><tr><td>training time</td><td>{t}</td><td>{v}</td></tr></table>\n"
        "<p>val loss {v}</p>\n")


def tree(root: Path, files: dict[str, bytes | str]) -> Path:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def png(pixel: int) -> bytes:
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (pixel, 0, 0)).save(buf, format="PNG")
    return buf.getvalue()


def run(tmp_path: Path, a: dict, b: dict):
    return compare(tree(tmp_path / "a", a), tree(tmp_path / "b", b))


def metrics(**over) -> str:
    return json.dumps({**METRICS, **over}, indent=2)


def test_timing_fields_of_a_json_file_are_masked(tmp_path):
    diffs, counts = run(tmp_path, {"results/runs/kaiming/metrics.json": metrics()},
                        {"results/runs/kaiming/metrics.json": metrics(train_seconds=99.25, ms_per_step=3e-1,
                                                                      wall_seconds=None, resumed_from_step=100)})
    assert diffs == []
    assert counts["masked"] == 1 and counts["compared"] == 1


def test_a_difference_beside_a_masked_timing_is_still_reported(tmp_path):
    rel = "results/runs/kaiming/metrics.json"
    diffs, _ = run(tmp_path, {rel: metrics()}, {rel: metrics(train_seconds=99.0, val_loss=2.1235)})
    assert [d.rel for d in diffs] == [rel]
    assert "val_loss" in diffs[0].what and "2.1234" in diffs[0].what and "2.1235" in diffs[0].what


def test_every_timing_field_is_masked_at_any_depth():
    for f in TIMING_FIELDS:
        a = json.dumps({"rows": [{"experiment": "x", f: 1.5}]}).encode()
        b = json.dumps({"rows": [{"experiment": "x", f: 250}]}).encode()
        assert mask("results/tables/part_a.json", a) == mask("results/tables/part_a.json", b), f
    # a field of another name that merely contains one is compared
    a, b = (json.dumps({"max_train_seconds_allowed": v}).encode() for v in (1, 2))
    assert mask("x.json", a) != mask("x.json", b)


def test_a_differing_png_is_reported_with_its_byte_offset(tmp_path):
    rel = "figures/kaiming/loss_curve.png"
    diffs, _ = run(tmp_path, {rel: png(10)}, {rel: png(11)})
    assert [d.rel for d in diffs] == [rel]
    assert diffs[0].what.startswith("byte ")


def test_a_timing_span_of_a_page_is_masked_and_the_rest_compared(tmp_path):
    rel = "site/reproduce.html"
    a = PAGE.format(t=timing_span("12.5 s"), v="2.1234")
    diffs, counts = run(tmp_path, {rel: a}, {rel: PAGE.format(t=timing_span("13.0 s"), v="2.1234")})
    assert diffs == [] and counts["masked"] == 1
    diffs, _ = run(tmp_path / "2", {rel: a}, {rel: PAGE.format(t=timing_span("13.0 s"), v="2.2000")})
    assert [d.rel for d in diffs] == [rel]
    assert diffs[0].what.startswith("line 1, column 57") and "2.2000" in diffs[0].what and "13.0" not in diffs[0].what
    # the same duration outside a span is not a timing: reported
    diffs, _ = run(tmp_path / "3", {rel: PAGE.format(t="12.5 s", v="1")}, {rel: PAGE.format(t="13.0 s", v="1")})
    assert [d.rel for d in diffs] == [rel]


def test_files_in_one_run_only_are_reported_and_timing_files_are_not_compared(tmp_path):
    diffs, counts = run(tmp_path, {"figures/a.svg": "<svg/>", "results/benchmarks/train/a.tsv": "s\n1.0\n",
                                   "site/sitemap.xml.gz": b"\x1f\x8b1"},
                        {"figures/b.svg": "<svg/>", "results/benchmarks/train/a.tsv": "s\n2.0\n",
                         "results/benchmarks/plot/a.tsv": "s\n2.0\n", "site/sitemap.xml.gz": b"\x1f\x8b2"})
    assert [(d.rel, d.what.split(" (")[0].split(":")[0]) for d in diffs] == [
        ("figures/a.svg", "only in A"), ("figures/b.svg", "only in B"), ("site/sitemap.xml.gz", "byte 2")]
    assert counts["timing files"] == 1


def test_the_timing_filter_of_the_templates_writes_what_is_masked():
    from pipeline.site.render import environment
    t = environment().from_string("{% filter timing %}{{ s | num(1) }} s{% endfilter %} and {{ 3 | timing }}")
    out = t.render(s=12.345)
    assert out == f"{timing_span('12.3 s')} and {timing_span(3)}"
    assert mask("site/x.html", out.encode()) == reproducible.MASK + b" and " + reproducible.MASK


def test_timing_spans_stay_out_of_the_search_index():
    """Material's search plugin skips an element marked data-search-exclude: the index has no timings."""
    from material.plugins.search.plugin import Parser
    p = Parser()
    p.feed(f"<h1 id='t'>Wall time</h1><table><tr><td>train</td><td>{timing_span('12.5 s')}</td></tr></table>"
           "<p>after</p>")
    p.close()
    text = " ".join("".join(s.title + s.text) for s in p.data)
    assert "train" in text and "after" in text and "12.5" not in text


TIMING_IN_TEMPLATE = re.compile(r"\b(?:" + "|".join(sorted(TIMING_FIELDS)) + r"|max_rss|cpu_time|r\.seconds|j\.s|"
                                r"slowest\.s)\b")


def test_every_measured_number_a_template_prints_goes_through_the_timing_filter():
    """A template line that prints a timing field (or a benchmark's seconds or memory) wraps each
    in the `timing` filter: as many filters as measured values on the line."""
    bad = []
    for t in sorted((ROOT / "docs" / "templates").glob("*.j2")):
        for i, line in enumerate(t.read_text().splitlines(), 1):
            if line.lstrip().startswith("{#"):
                continue
            for expr in re.findall(r"\{\{(.*?)\}\}", line):
                if TIMING_IN_TEMPLATE.search(expr) and "timing" not in expr \
                        and not _inside_timing_filter(line, line.index(expr)):
                    bad.append(f"{t.name}:{i}: {expr.strip()}")
    assert not bad, "measured numbers printed without the timing filter:\n" + "\n".join(bad)


def _inside_timing_filter(line: str, pos: int) -> bool:
    before = line[:pos]
    return before.rfind("{% filter timing %}") > before.rfind("{% endfilter %}")


def test_the_script_reports_and_exits_1_on_a_difference_0_otherwise(tmp_path):
    rel = "results/runs/kaiming/metrics.json"
    a = tree(tmp_path / "a", {rel: metrics(), "figures/x.png": png(1)})
    b = tree(tmp_path / "b", {rel: metrics(train_seconds=1.0), "figures/x.png": png(1)})
    same = subprocess.run([sys.executable, str(SCRIPT), str(a), str(b)], capture_output=True, text=True)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "0 difference(s); 2 file(s) compared: 1 identical, 1 identical once their timings are masked" in same.stdout
    (b / rel).write_text(metrics(train_seconds=1.0, steps=301))
    differ = subprocess.run([sys.executable, str(SCRIPT), str(a), str(b)], capture_output=True, text=True)
    assert differ.returncode == 1
    assert differ.stdout.startswith(f"{rel}: line ") and '"steps": 300' in differ.stdout


@pytest.mark.parametrize("args", [["--help"], []])
def test_the_script_explains_itself(args, tmp_path):
    r = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
    if args:
        assert r.returncode == 0 and "TIMING_FIELDS" in r.stdout and "RUN_A" in r.stdout
    else:
        assert r.returncode == 2 and "RUN_A" in r.stderr


def test_the_benchmark_table_lists_only_rules_the_pages_wait_for(tmp_path):
    """Jobs of report, notebook and site may end before or after the pages step: their rows would
    make the Reproduce page depend on the scheduler."""
    from types import SimpleNamespace

    from pipeline.site import machine
    for rule in ("train", "plot", "report", "notebook", "site"):
        tree(tmp_path, {f"results/benchmarks/{rule}/job.tsv": "s\th:m:s\tmax_rss\n1.5\t0:00:01\t100\n"})
    ctx = machine.benchmarks(SimpleNamespace(root=tmp_path))
    assert [r["rule"] for r in ctx["rules"]] == ["plot", "train"]
    assert set(ctx["left_out"]) == {"report", "notebook", "site"}


def test_the_site_is_dated_by_the_commit_not_the_build(monkeypatch):
    from pipeline import provenance
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    day = provenance.git_commit()["date"]
    if day is None:
        pytest.skip("not a git checkout")
    epoch = int(provenance.source_date_epoch())
    assert epoch % 86400 == 0 and time.strftime("%Y-%m-%d", time.gmtime(epoch)) == day
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234")
    assert provenance.source_date_epoch() == "1234"


def test_compare_runs_ignores_timings_at_any_depth_and_reports_a_number(tmp_path):
    """scripts/compare_runs.py: a nested timing (fold.json's) is no difference, a loss is."""
    script = ROOT / "scripts" / "compare_runs.py"
    study = {"rows": [{"timings": [{"folded_ms": 0.013, "speedup": 1.1}], "max_abs_diff": 1e-7}]}
    files = {"results/runs/kaiming/metrics.json": metrics(), "results/beyond/fold.json": json.dumps(study),
             "figures/kaiming/loss_curve.json": json.dumps({"final": 2.1, "alt": "loss 2.1"})}
    tree(tmp_path / "a", files)
    study["rows"][0]["timings"][0].update(folded_ms=0.02, speedup=0.9)
    tree(tmp_path / "b", {**files, "results/beyond/fold.json": json.dumps(study),
                          "results/runs/kaiming/metrics.json": metrics(train_seconds=99.0)})
    same = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b")],
                          capture_output=True, text=True)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "study JSON: 1 of 1 identical" in same.stdout
    tree(tmp_path / "b", {"results/runs/kaiming/metrics.json": metrics(val_loss=2.1235)})
    moved = subprocess.run([sys.executable, str(script), str(tmp_path / "a"), str(tmp_path / "b")],
                           capture_output=True, text=True)
    assert moved.returncode == 1 and "val_loss: 2.1234 vs 2.1235" in moved.stdout, moved.stdout
    bad = subprocess.run([sys.executable, str(script), str(tmp_path), str(tmp_path / "b")],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "holds no results/runs/" in bad.stderr
