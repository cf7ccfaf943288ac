"""The whole DAG on the quick override: every expected output exists and parses."""

import json
import re

import numpy as np
import pytest
from PIL import Image

from pipeline.config import merge, read_yaml
from pipeline.workflow.experiments import RUN_FILES
from pipeline.workflow.plan import Plan
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wf():
    cfg = merge(read_yaml(ROOT / "config.yaml"), read_yaml(ROOT / "config.quick.yaml"))
    return Plan(cfg)


def test_every_figure_exists_and_parses(quick_run, wf):
    figures = wf.figures.all()
    assert len(figures) >= 4 * (6 * 4 + 11 * 8 + 2 + 2)  # PNG, dark WebP, thumbnail, JSON per figure
    # the default run writes only what the site shows: no SVG, PDF or talk PNG, no downloads/
    heavy = [p for p in (quick_run / "figures").rglob("*") if p.suffix in (".svg", ".pdf") or "talk" in p.parts]
    assert not heavy and not (quick_run / "downloads").exists(), heavy[:5]
    for rel in figures:
        path = quick_run / rel
        assert path.is_file(), rel
        if rel.endswith(".png"):
            with Image.open(path) as im:
                assert im.format == "PNG"
                dpi = im.info.get("dpi", (0, 0))[0]
                assert round(dpi) == 150, (rel, dpi)  # 1.5x: 960 px for a figure shown 640 CSS px wide
                assert im.size[0] >= 960
                assert "CC BY 4.0" in im.text["Copyright"], rel
        elif rel.endswith(".webp"):
            with Image.open(path) as im:
                assert im.format == "WEBP"
                if "/thumbs/" in rel:
                    assert im.size[0] == 270, rel
                else:  # the dark variant, as wide as the light PNG, its provenance in XMP
                    assert "/dark/" in rel and im.size[0] >= 960 and b"CC BY 4.0" in im.info["xmp"], rel
        else:
            legend = json.loads(path.read_text())
            assert isinstance(legend, dict) and re.search(r"\d", legend["alt"]), rel  # alt text with a number


def test_every_run_is_complete(quick_run, wf):
    for name, spec in wf.experiments.resolved.items():
        run = quick_run / "results" / "runs" / name
        for f in RUN_FILES:
            assert (run / f).is_file(), (name, f)
        m = json.loads((run / "metrics.json").read_text())
        for key in ("initial_loss", "train_loss", "val_loss", "test_loss", "n_params", "steps", "seed",
                    "train_seconds", "torch_version", "data_sha256"):
            assert key in m, (name, key)
        assert m["steps"] == spec["steps"]
        with np.load(run / "history.npz") as h:
            assert h["log10_loss"].shape == (spec["steps"],)
        if m["diverged"] is None:
            assert np.isfinite(m["val_loss"])
            if spec["kind"] == "mlp":
                assert len((run / "samples.txt").read_text().splitlines()) == 20
        assert not (run / ".resume").exists()  # resume state is removed once a run completes


def test_figure_legends_carry_the_numbers(quick_run):
    act = json.loads((quick_run / "figures/tanh_gain_5_3/activations_init.json").read_text())
    assert set(act) == {"layer 1", "layer 3", "layer 5", "layer 7", "layer 9", "alt"}
    # the lecture, same seed: the first tanh layer at gain 5/3 is ~20% saturated with std ~0.75
    assert act["layer 1"]["saturated_pct"] == pytest.approx(20.25, abs=0.01)
    assert act["layer 1"]["std"] == pytest.approx(0.75, abs=0.005)
    small = json.loads((quick_run / "figures/tanh_gain_0.5/activations_init.json").read_text())
    stds = [small[f"layer {i}"]["std"] for i in (1, 3, 5, 7, 9)]
    assert all(a > b for a, b in zip(stds, stds[1:], strict=False))  # shrinks layer after layer
    wg = json.loads((quick_run / "figures/batchnorm_gain_5_3/weight_gradients_init.json").read_text())
    assert "C" in wg and all("grad_to_data" in v for k, v in wg.items() if k != "alt")
    ud = json.loads((quick_run / "figures/tanh_gain_5_3/update_ratios.json").read_text())
    assert len(ud) == 7 + 1  # C and six Linear weights, and the alt text


def test_results_table(quick_run):
    rows = json.loads((quick_run / "results/tables/part_a.json").read_text())["rows"]
    assert [r["experiment"] for r in rows] == ["bad_init", "scaled_logits", "fixed_tanh", "kaiming", "batchnorm",
                                               "batchnorm_running"]
    assert rows[0]["lecture_val_loss"] == 2.1682
    md = (quick_run / "results/tables/part_a.md").read_text()
    assert f"{rows[3]['val_loss']:.4f}" in md


def test_rerun_is_a_no_op(quick_run, names_path):
    from tests.conftest import run_snakemake
    proc = run_snakemake(quick_run, names_path, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def _report_var(html: str, name: str) -> dict:
    m = re.search(rf"var {name} = (\{{.*?\}});\n", html, re.S)
    assert m, f"no `var {name}` in report.html"
    return json.loads(m.group(1))


def test_snakemake_report_holds_every_figure_by_part(quick_run, wf, tmp_path, names_path):
    """`snakemake --report report.zip` (Snakemake's own report): every figure's page PNG exactly once,
    under its part and its experiment's title, labelled with its title and this run's alt text."""
    import zipfile

    from pipeline.workflow.report import DEMOS, PARTS, STUDIES
    from tests.conftest import run_snakemake

    out = tmp_path / "report.zip"
    run_snakemake(quick_run, names_path, "--report", str(out))
    with zipfile.ZipFile(out) as z:
        html = z.read("report/report.html").decode()
        raw = [n for n in z.namelist() if n.startswith("report/data/raw/")]
    categories, results = _report_var(html, "categories"), _report_var(html, "results")
    pages = [f for f in wf.figures.all() + wf.studies.targets() if re.fullmatch(r"figures/[^/]+/[^/]+\.png", f)]
    listed = [f for sub in categories.values() for files in sub.values() for f in files]
    assert sorted(listed) == sorted(pages)  # each once: no variant, no thumbnail, none missing
    assert len(raw) == len(pages)
    assert set(categories) == {PARTS["A"], PARTS["B"], PARTS["E"], STUDIES, DEMOS}
    for exp in wf.experiments.names(part="A"):
        title = wf.experiments.resolved[exp]["title"]
        assert f"figures/{exp}/loss_curve.png" in categories[PARTS["A"]][title], title
    for f in pages:
        labels = results[f]["labels"]
        legend = json.loads((quick_run / f).with_suffix(".json").read_text())
        assert labels["what it shows"] == legend["alt"] and legend["alt"], f
        assert labels["figure"] and "_" not in labels["figure"], (f, labels)
