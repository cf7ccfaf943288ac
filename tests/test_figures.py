"""Figures a teacher can put on a slide: readable text, legends off the data, the site's files (PNG,
dark WebP, thumbnail, JSON) by default and the downloads (SVG and PDF with real text, light and dark,
talk PNGs) in downloads mode, alt text from the numbers, provenance inside every file, and SVGs kept
small by decimation. Runs on small synthetic run directories (no training)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

from pipeline import provenance as pv
from pipeline.io import write_json
from pipeline.plots import files as pf
from pipeline.plots import render_experiment, render_part_a, style

SLIDE_PX = 1280  # a 16:9 slide, 1280 px wide
MIN_PT = 9  # no text under 9 pt (at 96 px per inch) on it
DC = "{http://purl.org/dc/elements/1.1/}"


def fake_run(root: Path, name: str, kind: str, steps: int = 300, seed: int = 0) -> Path:
    """A run directory as the training step writes it, filled with random but plausible numbers."""
    rng = np.random.default_rng(seed)
    d = root / name
    d.mkdir(parents=True)
    spec = {"name": name, "title": f"Run {name.replace('_', ' ')}", "kind": kind, "steps": steps, "activation": "tanh",
            "lr_decay_step": steps // 2}
    loss = np.log10(3.3 * np.exp(-np.arange(steps) / (steps / 3)) + 2 + 0.1 * rng.random(steps))
    history = {"log10_loss": loss}
    if kind == "mlp":
        h = np.tanh(rng.normal(0, 2, (32, 200)))
        h[:, 7] = 1.0  # a dead neuron
        probes = {"init.hpreact": rng.normal(0, 2, (32, 200)), "init.h": h}
    else:
        probes = {}
        for when in ("init", "final"):
            for layer in (1, 3, 5):
                probes[f"{when}.act.{layer}"] = np.tanh(rng.normal(0, 1 + layer / 5, (32, 100)))
                probes[f"{when}.actgrad.{layer}"] = rng.normal(0, 1e-3 / layer, (32, 100))
            for p, shape in (("C", (27, 10)), ("0.Linear.weight", (30, 100)), ("2.Linear.weight", (100, 27))):
                probes[f"{when}.wgrad.{p}"] = rng.normal(0, 1e-3, shape)
                probes[f"{when}.w.{p}"] = rng.normal(0, 0.3, shape)
        history["ud"] = -3 + 0.3 * rng.standard_normal((steps, 3))
        history["ud_names"] = np.array(["C", "0.Linear.weight", "2.Linear.weight"])
    np.savez(d / "history.npz", **history)
    np.savez(d / "probes.npz", **probes)
    write_json(d / "config.json", {"config_hash": f"hash{seed:08d}", "spec": spec})
    write_json(d / "metrics.json", {"experiment": name, "initial_loss": 3.31, "expected_initial_loss": 3.2958,
                                    "vocab_size": 27, "train_loss": 2.1, "val_loss": 2.15, "diverged": None,
                                    "config_hash": f"hash{seed:08d}", "data_sha256": "ab" * 32})
    return d


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """Both kinds of run and Part A's summary, drawn; every saved figure kept for inspection."""
    root = tmp_path_factory.mktemp("figs")
    saved = []
    orig = pf._write

    def keep(fig, path, fmt, metadata, **kw):
        orig(fig, path, fmt, metadata, **kw)
        saved.append((path, fig))

    pf._write = keep
    try:
        runs = [fake_run(root / "runs", "deep_one", "deep", seed=1), fake_run(root / "runs", "mlp_one", "mlp", seed=2),
                fake_run(root / "runs", "mlp_two", "mlp", seed=3)]
        for mode, out in (("site", root / "figures"), ("downloads", root / "downloads" / "figures")):
            pf.set_mode(mode)
            for r in runs[:2]:
                render_experiment(r, out / r.name)
            render_part_a(runs[1:], out / "part_a")
    finally:
        pf._write = orig
        pf.set_mode("site")
    return root, saved


def agg(fig):
    """A drawn Agg canvas for a figure (a closed figure keeps none): its renderer."""
    FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def texts(fig):
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_no_text_under_9pt_on_a_slide(drawn):
    _, saved = drawn
    assert saved
    for path, fig in saved:
        width_pt = fig.get_figwidth() * 72
        for t in texts(fig):
            on_slide = t.get_fontsize() * SLIDE_PX / width_pt * 0.75  # px -> pt at 96 px per inch
            assert on_slide >= MIN_PT, (path.name, t.get_text(), t.get_fontsize())
    talk = [fig for path, fig in saved if path.parent.name == "talk"]
    assert talk and all(min(t.get_fontsize() for t in texts(f)) >= style.MIN_FONT_PT["talk"] for f in talk)
    for sub in ("talk", "dark/talk"):  # both palettes, a slide's width
        with Image.open(drawn[0] / f"downloads/figures/deep_one/{sub}/activations_init.png") as im:
            assert im.size[0] >= SLIDE_PX, sub


def test_legends_never_cover_the_data(drawn):
    _, saved = drawn
    n = 0
    for path, fig in saved:
        agg(fig)
        legends = fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
        for lg in legends:
            box = lg.get_window_extent()
            for ax in fig.axes:
                assert not box.overlaps(ax.get_window_extent()), (path, [t.get_text() for t in lg.get_texts()])
            n += 1
    assert n > 10


def test_titles_and_legends_name_experiments_by_title_not_id(drawn):
    _, saved = drawn
    for path, fig in saved:
        words = " ".join(t.get_text() for t in texts(fig))
        assert not re.search(r"\b(deep_one|mlp_one|mlp_two)\b", words), (path, words)
    assert any("Run deep one" in " ".join(t.get_text() for t in texts(f)) for _, f in saved)


def test_every_file_of_every_figure_with_real_text(drawn):
    root, _ = drawn
    site, downloads = root / "figures/deep_one", root / "downloads/figures/deep_one"
    names = ("loss_curve", "activations_init", "gradients_init", "weight_gradients_init", "activations_final",
             "gradients_final", "weight_gradients_final", "update_ratios")
    written = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and p.suffix != ".sha256"}
    assert written == {rel for name in names for rel in pf.files_of(name)}  # the site's files, no SVG, PDF or talk
    written = {p.relative_to(downloads).as_posix() for p in downloads.rglob("*") if p.is_file()}
    assert written == {rel for name in names for rel in pf.download_files_of(name)}  # no JSON, PNG or thumbnail
    for sub in ("", "dark/"):
        svg = (downloads / f"{sub}activations_init.svg").read_text()
        assert "<text" in svg and "layer 1" in svg  # text, not glyph outlines
        assert 'id="DejaVuSans' not in svg
        pdf = (downloads / f"{sub}activations_init.pdf").read_bytes()
        assert b"/FontFile2" in pdf and b"/Type3" not in pdf  # TrueType (fonttype 42), text selectable
    with Image.open(site / "activations_init.png") as im:  # 1.5x: 960 px, shown at 640 CSS px
        assert im.size[0] == 960 and round(im.info["dpi"][0]) == style.DPI == 150 and im.mode == "P"
    with Image.open(site / "dark/activations_init.webp") as im:
        assert im.format == "WEBP" and im.size[0] == 960
    with Image.open(site / "thumbs/activations_init.webp") as im:
        assert im.format == "WEBP" and im.size[0] == pf.THUMB_WIDTH == 270


def test_dark_variant_is_dark_and_light_is_light(drawn):
    root, _ = drawn
    for rel, dark in (("figures/mlp_one/loss_curve.png", False), ("figures/mlp_one/dark/loss_curve.webp", True),
                      ("downloads/figures/mlp_one/talk/loss_curve.png", False),
                      ("downloads/figures/mlp_one/dark/talk/loss_curve.png", True)):
        with Image.open(root / rel) as im:
            mean = np.asarray(im.convert("L"), dtype=float).mean()
        assert (mean < 80) if dark else (mean > 200), (rel, mean)
    svg = (root / "downloads/figures/mlp_one/dark/loss_curve.svg").read_text()
    assert style.DARK_BG in svg and style.DARK_BG not in (root / "downloads/figures/mlp_one/loss_curve.svg").read_text()


def test_alt_text_is_written_from_the_numbers(drawn):
    root, _ = drawn
    from pipeline.format import fmt, plural
    tanh = json.loads((root / "figures/mlp_one/tanh_hist.json").read_text())
    assert fmt(tanh["saturated_pct"], 1) in tanh["alt"] and "Run mlp one" in tanh["alt"]
    assert str(tanh["threshold"]) in tanh["alt"]  # the threshold as the legend records it, not typed
    sat = json.loads((root / "figures/mlp_one/saturation_map.json").read_text())
    assert fmt(sat["white_pct"], 1) in sat["alt"] and plural(sat["dead_neurons"], "dead neuron") in sat["alt"]
    act = json.loads((root / "figures/deep_one/activations_init.json").read_text())
    assert fmt(act["layer 1"]["std"], 2) in act["alt"] and fmt(act["layer 5"]["std"], 2) in act["alt"]
    for p in (root / "figures").rglob("*.json"):
        lg = json.loads(p.read_text())
        assert re.search(r"\d", lg["alt"]), p  # every figure's alt text says a number


STUDY_LEGENDS = {  # the shape each study's plot writes (pipeline/studies/*.py), small
    "summary": {"act_tanh": {"val_loss": 2.2184, "train_loss": 2.19}, "act_sigmoid": {"val_loss": 2.8224}},
    "val_loss_vs_gain": {"gain_plain": {"sensitivity": {"best_gain": 1.414213562, "best_loss": 2.28039,
                                                        "loss_range_over_gains": 0.3854}}},
    "saturation_vs_gain": {"gain_plain": {"gains": [0.25, 1.0, 4.0], "saturation_init_pct": [0.0, 0.78, 56.01]},
                           "gain_batchnorm": {"gains": [0.25, 1.0, 4.0], "saturation_init_pct": [3.03, 3.04, 3.04]}},
    "running_swing": {"bn_momentum_0.1": {"momentum": 0.1, "val_loss_running_final": 2.1082,
                                          "val_loss_calibrated": 2.1056, "frozen_val_loss": {"std": 0.00063}}},
    "loss_spread": {"bad_init": {"val": {"n": 6, "mean": 2.1591, "std": 0.0088}},
                    "fixed_tanh": {"val": {"n": 6, "mean": 2.1026, "std": 0.0013}}},
    "gradients": {"e01_zero_mlp": {"trainable": ["b2"], "grad_exactly_zero": ["C", "W1", "b1", "W2"]}},
}


def test_every_study_figure_has_words_of_its_own():
    """A study's figure is named and numbered by its own sentence in _figure_words.md.j2, not by the
    fallback that reads out key paths ('gain plain sensitivity best gain 1.41') to a screen reader."""
    from pipeline import words
    from pipeline.studies import registry
    what = words.environment().get_template(words.TEMPLATE).module.what
    declared = {f for figs in registry.figures().values() for f in figs}
    assert declared == set(STUDY_LEGENDS), declared ^ set(STUDY_LEGENDS)
    said = {}
    for name, lg in STUDY_LEGENDS.items():
        assert str(what(name)) != name.replace("_", " ").capitalize(), name
        said[name] = words.alt(name, "a study", lg)
        fallback = [k.replace("_", " ") for k, _ in words.leading_numbers(lg)]
        assert not any(k in said[name] for k in fallback), said[name]
    assert said["summary"].endswith("val loss from 2.2184 (act_tanh) to 2.8224 (act_sigmoid)")
    assert "best mean val loss 2.2804 at gain 1.41, a range of 0.385" in said["val_loss_vs_gain"]
    # a flat line is said to be flat, a rising one by its two ends: never two ends that print the same
    assert "gain_plain: 0.0 % at initialisation at gain 0.25, 56.0 % at gain 4" in said["saturation_vs_gain"]
    assert "gain_batchnorm: 3.0 % at initialisation at every gain from 0.25 to 4" in said["saturation_vs_gain"]
    assert "val loss 2.1082 with its running statistics, 2.1056 with calibrated ones, std 0.00063" in said["running_swing"]
    assert "over 6 seeds from 2.1026 (fixed_tanh) to 2.1591 (bad_init); seed-to-seed std at most 0.0088" in said["loss_spread"]
    assert said["gradients"].endswith("e01_zero_mlp: 1 of 5 parameter tensors (b2)")
    titled = words.alt("summary", "a study", STUDY_LEGENDS["summary"], {"act_tanh": "Tanh, gain 5/3"})
    assert "(Tanh, gain 5/3)" in titled
    # the demos' figures too (config.yaml demos:, one figure each, named as the demo)
    linear = {"n": 1000, "batch": 1000, "seed": 1, "sqrt_n": 31.6228, "cases": [
        {"label": "W ~ N(0, 1)", "x_std": 0.9997, "y_std": 31.605, "grad_std": 31.59},
        {"label": "W ~ N(0, 1) / sqrt(1000)", "x_std": 0.9997, "y_std": 0.9994, "grad_std": 0.999}]}
    said = words.alt("linear_stats", "a demo", linear)
    assert said.endswith("input std 1.00, fan-in 1000 (sqrt 31.6); W ~ N(0, 1): output std 31.61, gradient std "
                         "31.59; W ~ N(0, 1) / sqrt(1000): output std 1.00, gradient std 1.00"), said
    bn = {"values": [-1.2, 0.3, 0.8], "moved_index": 0,
          "at_original": {"mean": -0.0333, "std": 1.04, "normalised": [-1.12, 0.32, 0.80]}}
    said = words.alt("batchnorm_demo", "a demo", bn)
    assert "a batch of 3 values with mean -0.03 and std 1.04; example 1 (-1.2) normalises to -1.12" in said, said


def test_alt_text_and_caption_say_the_same_numbers(drawn):
    """One macro (docs/templates/_figure_words.md.j2) words a figure's numbers: the alt text the plot
    step wrote and the caption the site renders from the same legend say them identically."""
    from pipeline.site import render
    env = render.environment()
    macro = env.from_string('{% from "_macros.md.j2" import legend_numbers %}{{ legend_numbers(f) | trim }}')
    root, _ = drawn
    seen = 0
    for p in sorted((root / "figures").glob("*/*.json")):
        lg = json.loads(p.read_text())
        alt = lg.pop("alt")
        titles = {n: f"Run {n.replace('_', ' ')}" for n in ("mlp_one", "mlp_two")}  # fake_run's
        caption = macro.render(f={"name": p.stem, "legend": lg, "titles": titles if p.parent.name == "part_a" else {}})
        if not caption:
            continue
        head, _, said = alt.partition(": ")
        assert caption.rstrip(".").lower() == said.lower(), (p, alt, caption)
        seen += 1
    assert seen >= 8, seen  # the histograms, maps, layer figures and loss curves of both runs


def png_provenance(path: Path) -> dict[str, str]:
    with Image.open(path) as im:
        return {k.split(":", 1)[1]: v for k, v in im.text.items() if k.startswith("makemore:")}


def svg_provenance(path: Path) -> dict[str, str]:
    meta = ET.parse(path).getroot().find("{http://www.w3.org/2000/svg}metadata")
    desc = meta.find(f".//{DC}description").text
    out = dict(kv.split(": ", 1) for kv in desc.split("Provenance: ", 1)[1].split("; "))
    assert meta.find(f".//{DC}rights//{DC}title").text == out["license"]
    return out


def pdf_provenance(path: Path) -> dict[str, str]:
    kw = re.search(rb"/Keywords \(((?:\\.|[^\\)])*)\)", path.read_bytes()).group(1).decode("latin-1")
    kw = re.sub(r"\\(.)", r"\1", kw)  # a PDF string's escapes
    return dict(kv.split(": ", 1) for kv in kw.split("; "))


def webp_provenance(path: Path) -> dict[str, str]:
    with Image.open(path) as im:
        xmp = ET.fromstring(im.info["xmp"].decode("utf-8").split("?>", 1)[1].rsplit("<?xpacket", 1)[0])
    ns = "{https://github.com/makemore-bn/ns/}"
    return {e.tag[len(ns):]: e.text for e in xmp.iter() if e.tag.startswith(ns)}


def _provenance_of(root: Path, rel: str) -> dict[str, str]:
    """The provenance inside every file of a figure, the same in each: the site's PNG and WebP
    (figures/) and the downloads' SVG, PDF and talk PNG, light and dark (downloads/figures/)."""
    png = png_provenance(root / "figures" / f"{rel}.png")
    group, name = rel.split("/")
    dl = root / "downloads/figures" / group
    every = {"dark webp": webp_provenance(root / "figures" / group / "dark" / f"{name}.webp")}
    for sub in ("", "dark/"):
        every |= {f"{sub}svg": svg_provenance(dl / f"{sub}{name}.svg"),
                  f"{sub}pdf": pdf_provenance(dl / f"{sub}{name}.pdf"),
                  f"{sub}talk": png_provenance(dl / f"{sub}talk/{name}.png")}
    for what, prov in every.items():
        assert prov == png, (what, prov, png)
    return png


def test_provenance_inside_each_file_reads_back(drawn):
    root, _ = drawn
    prov = _provenance_of(root, "deep_one/gradients_init")
    assert prov["experiment"] == "deep_one" and prov["config_hash"] == "hash00000001"
    assert prov["data_sha256"] == "ab" * 32
    assert prov["commit"] == pv.commit_label()
    assert "CC BY 4.0" in prov["license"] and pv.CONTENT_LICENSE_URL in prov["license"]
    assert prov["url"].endswith("figures/deep_one/gradients_init.png")
    summary = _provenance_of(root, "part_a/loss_overlay")
    assert summary["experiment"] == "mlp_one, mlp_two"


def test_the_figure_url_follows_the_citation_url(tmp_path):
    assert pv.figure_url({"site_url": "https://example.org/mm/"}, "figures/a/b.png") == \
        "https://example.org/mm/figures/a/b.png"
    assert pv.site_url({"url": "https://example.org/mm"}) == "https://example.org/mm/"
    with pytest.raises(ValueError, match="not an http"):
        pv.site_url({"url": "example.org"})


def test_long_runs_are_decimated_so_svgs_stay_small(tmp_path):
    run = fake_run(tmp_path / "runs", "long_deep", "deep", steps=200_000)
    render_experiment(run, tmp_path / "fig")
    pf.set_mode("downloads")
    try:
        render_experiment(run, tmp_path / "dl")
    finally:
        pf.set_mode("site")
    for name in ("loss_curve", "update_ratios"):
        size = (tmp_path / "dl" / f"{name}.svg").stat().st_size
        assert size < 300_000, (name, size)
    ud = json.loads((tmp_path / "fig/update_ratios.json").read_text())
    hist = np.load(run / "history.npz")
    assert ud["C"]["final_log10_ratio"] == float(hist["ud"][-1, 0])  # numbers from the full series


def test_decimate_keeps_spikes_and_bounds_points():
    y = np.zeros(100_000)
    y[54_321] = 9.0
    y[77] = -4.0
    x, yd = style.decimate(np.arange(y.size), y, 1000)
    assert yd.size <= 1000 and yd.max() == 9.0 and yd.min() == -4.0 and 54_321 in x


def _capture(monkeypatch) -> dict:
    """Record the light figure of every name saved from now on."""
    seen = {}
    orig = pf._write

    def keep(fig, path, fmt, metadata, **kw):
        orig(fig, path, fmt, metadata, **kw)
        if fmt == "png" and path.parent.name not in ("dark", "talk"):  # the site's light PNG
            seen[(path.parent.name, path.stem)] = fig
    monkeypatch.setattr(pf, "_write", keep)
    return seen


def test_a_family_shares_its_axes(tmp_path, monkeypatch):
    seen = _capture(monkeypatch)
    runs = [fake_run(tmp_path / "runs", f"gain_{k}", "deep", steps=60, seed=k) for k in (1, 2)]
    with np.load(runs[1] / "probes.npz") as p:  # the second run's gradients are much wider than the first's
        probes = {key: p[key] * 40 if ".actgrad." in key else p[key] for key in p.files}
    np.savez(runs[1] / "probes.npz", **probes)
    for r in runs:
        render_experiment(r, tmp_path / "fig" / r.name, family=runs)
    for name in ("activations_init", "gradients_init", "weight_gradients_final", "update_ratios", "loss_curve"):
        a, b = seen[("gain_1", name)].axes[0], seen[("gain_2", name)].axes[0]
        assert a.get_xlim() == b.get_xlim() and a.get_ylim() == b.get_ylim(), name
    alone = tmp_path / "alone"
    render_experiment(runs[0], alone / "gain_1")  # without its family: its own, narrower axes
    own, shared = (seen[(g, "gradients_init")].axes[0].get_xlim() for g in ("gain_1", "gain_2"))
    assert own != shared


def test_batchnorm_against_plain_in_one_figure_on_shared_axes(tmp_path, monkeypatch):
    from pipeline.plots.compare import NAME, render_pair, twin
    seen = _capture(monkeypatch)
    plain = fake_run(tmp_path / "runs", "plain", "deep", steps=40, seed=4)
    bn = fake_run(tmp_path / "runs", "bn", "deep", steps=40, seed=5)
    render_pair(plain, bn, tmp_path / "fig" / "bn", titles={"plain": "Tanh, gain 5/3", "bn": "BatchNorm, gain 5/3"})
    fig = seen[("bn", NAME)]
    axes = np.array(fig.axes[:6]).reshape(2, 3)
    for col in range(3):
        assert axes[0, col].get_xlim() == axes[1, col].get_xlim()
        assert axes[0, col].get_ylim() == axes[1, col].get_ylim()
    lg = json.loads((tmp_path / "fig/bn" / f"{NAME}.json").read_text())
    assert lg["plain"]["experiment"] == "plain" and lg["batchnorm"]["experiment"] == "bn"
    assert set(lg["batchnorm"]) == {"experiment", "activations", "gradients", "weight_gradients"}
    assert f"{lg['plain']['activations']['layer 5']['std']:.2f}" in lg["alt"]
    base = {"kind": "deep", "activation": "tanh", "gain": 5 / 3, "fan_in_scaling": True, "part": "B"}
    resolved = {"p_other_part": base | {"norm": "none", "part": "E"}, "p": base | {"norm": "none"},
                "b": base | {"norm": "batchnorm", "bn_momentum": 0.1},
                "b2": base | {"norm": "batchnorm", "gain": 0.2},
                "zero": base | {"norm": "batchnorm", "zero_init": True}}  # no plain net starts at zero
    assert twin(resolved, "b") == "p" and twin(resolved, "p") is None
    assert twin(resolved, "b2") is None and twin(resolved, "zero") is None


def test_a_citation_names_the_absolute_url_hash_licence_and_lecture(tmp_path):
    from pipeline.site.cite import bib_file, bibtex
    (tmp_path / "CITATION.cff").write_text("title: T_1 & co\nauthors:\n  - name: A B\nversion: 2\n"
                                           "url: https://example.org/mm\n")
    meta = pv.citation_meta(tmp_path)
    f = {"title": "Saturation map", "file": "figures/kaiming/saturation_map", "sha256": "0123456789ab",
         "bibtex_key": "makemore-bn:kaiming-saturation_map",
         "url": pv.figure_url(meta, "figures/kaiming/saturation_map.png")}
    entry = bibtex(f, "Kaiming 100%", meta, {"commit": "c0ffee"}, "2026")
    fields = dict(re.findall(r"^  (\w+)\s*= \{(.*)\},?$", entry, re.M))
    assert fields["url"] == "https://example.org/mm/2/figures/kaiming/saturation_map.png"  # the version's own path
    assert fields["howpublished"].endswith("T\\_1 \\& co") and fields["title"] == "Saturation map (Kaiming 100\\%)"
    assert "sha256 0123456789ab" in fields["note"] and "CC BY 4.0" in fields["note"] and "Karpathy" in fields["note"]
    assert entry.count("{") == entry.count("}")
    sections = [{"groups": [{"figures": [{"bibtex": entry}, {"bibtex": entry.replace("kaiming-", "other-")}]}]}]
    assert bib_file(sections).count("@misc{") == 2


def test_no_text_outside_the_figure(drawn):
    """Everything drawn (the tight box of the figure's artists) fits the canvas: no clipped label."""
    _, saved = drawn
    for path, fig in saved:
        tight = fig.get_tightbbox(agg(fig))  # inches
        w, h = fig.get_size_inches()
        tol = 0.03
        assert tight.x0 >= -tol and tight.y0 >= -tol and tight.x1 <= w + tol and tight.y1 <= h + tol, \
            (path, tight.bounds, (w, h))


def test_downloads_mode_draws_the_same_numbers_into_other_files(tmp_path):
    from pipeline.plots import load_run
    from pipeline.plots import runs as rf
    spec, _, _, probes = load_run(fake_run(tmp_path / "runs", "mlp_x", "mlp", seed=6))

    def make():
        return rf.fig_hist(probes["init.h"], spec, "tanh outputs at init", "tanh output", saturation=True)
    site = pf.save(make, tmp_path / "figures/g", "tanh_hist")
    pf.set_mode("downloads")
    try:
        again = pf.save(make, tmp_path / "downloads/g", "tanh_hist")
    finally:
        pf.set_mode("site")
    assert again == site and {k: v for k, v in json.loads((tmp_path / "figures/g/tanh_hist.json").read_text()).items()
                              if k != "alt"} == site
    assert sorted(p.name for p in (tmp_path / "downloads/g").rglob("*") if p.is_file()) == sorted(
        Path(f).name for f in pf.download_files_of("tanh_hist"))
    with pytest.raises(ValueError, match="unknown figure mode"):
        pf.set_mode("print")
