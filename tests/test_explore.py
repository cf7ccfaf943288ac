"""The explore study (pipeline/studies/explore.py) and its page (pipeline/site/explore.py,
docs/assets/js/explore.js): the numbers at the lecture's gains are the Part B legends' own, and the
page draws the JSON's numbers for the gain and family picked, offline, in headless Chromium."""

from __future__ import annotations

import copy
import json
import math
import statistics

import pytest

from pipeline.config import ConfigError, load, read_yaml, validate
from pipeline.studies import explore as ex
from pipeline.studies import registry
from tests.conftest import ROOT
from tests.test_site import (  # noqa: F401  (browser, served: fixtures, Chromium and a local server)
    CONFIGS,
    NO_STORED_PALETTE,
    PALETTES,
    browser,
    open_in_palette,
    served,
)

LECTURE_GAINS = (0.5, 1.0, 5 / 3, 3.0)


def _job(*configs) -> dict:
    cfg = load(*configs)
    return registry.jobs(cfg["beyond"], cfg["resolved"])["explore"][1]


def _frame_of(fam: dict, gain: float) -> dict:
    i = next(i for i, g in enumerate(fam["gains"]) if math.isclose(g, gain, rel_tol=1e-12))
    return fam["frames"][i]


def legends_equal(fam: dict, frame: dict, legends: dict) -> list[str]:
    """Every number of one frame against the three legends at init: what differs."""
    act, grad, wg = ({k: v for k, v in legends[f].items() if k != "alt"}  # the alt text is words, not numbers
                     for f in ("activations_init", "gradients_init", "weight_gradients_init"))
    bad = []
    if list(act) != fam["layers"] or list(grad) != fam["layers"]:
        bad.append(f"layers {fam['layers']} against {list(act)} / {list(grad)}")
    for i, layer in enumerate(fam["layers"]):
        for key in ("mean", "std", "saturated_pct", "zero_pct"):
            want = act.get(layer, {}).get(key)  # the legend leaves out what does not apply (None here)
            if frame["act"][key][i] != want:
                bad.append(f"{layer} activation {key}: {frame['act'][key][i]!r} != {want!r}")
        for key in ("mean", "std"):
            if frame["grad"][key][i] != grad.get(layer, {}).get(key):
                bad.append(f"{layer} gradient {key}: {frame['grad'][key][i]!r} != {grad.get(layer, {}).get(key)!r}")
    if [w["name"] for w in fam["weights"]] != list(wg):
        bad.append(f"weights {[w['name'] for w in fam['weights']]} against {list(wg)}")
    for i, w in enumerate(fam["weights"]):
        lg = wg.get(w["name"], {})
        if w["shape"] != lg.get("shape"):
            bad.append(f"{w['name']} shape {w['shape']} != {lg.get('shape')}")
        for key in ("mean", "std", "grad_to_data"):
            if frame["wgrad"][key][i] != lg.get(key):
                bad.append(f"{w['name']} {key}: {frame['wgrad'][key][i]!r} != {lg.get(key)!r}")
    return bad


# ---- the study, without the DAG --------------------------------------------------------------------

def test_the_grid_holds_the_lecture_gains_and_links_every_part_b_configuration():
    spec = _job(ROOT / "config.yaml")
    cfg = load(ROOT / "config.yaml")
    part_b = {n for n, s in cfg["resolved"].items() if s["part"] == "B"}
    linked = {n: (k, g) for k, f in spec["families"].items() for n, g in f["links"].items()}
    assert set(linked) == part_b, set(linked) ^ part_b
    tanh = spec["families"]["tanh"]
    assert sorted(tanh["links"].values()) == sorted(LECTURE_GAINS)
    for key, fam in spec["families"].items():
        gains = fam["gains"]
        assert gains == sorted(gains) and len(set(gains)) == len(gains)
        if key == "relu":  # one point: torch's recommended gain for ReLU
            assert gains == [pytest.approx(math.sqrt(2))]
            continue
        assert len(gains) >= 40 and min(gains) == pytest.approx(0.1) and max(gains) == pytest.approx(5)
        for g in LECTURE_GAINS + tuple(fam["links"].values()):
            assert any(math.isclose(g, h, rel_tol=1e-12) for h in gains), (key, g)
        for name, g in fam["links"].items():  # each link is the family's configuration at that gain
            s = cfg["resolved"][name]
            assert (s["activation"], s["norm"], s["fan_in_scaling"]) == (fam["activation"], fam["norm"],
                                                                         fam["fan_in_scaling"])
            assert s["gain"] == g


def test_first_step_gives_the_numbers_of_the_training_runs_legends(dataset, tmp_path):
    """The study's one step against a real run of the training loop and the figures' legends."""
    import numpy as np

    from pipeline.plots import plt
    from pipeline.plots.runs import fig_layer_hists, fig_weight_grads
    from pipeline.training.loop import train
    cfg = load(ROOT / "config.yaml")
    for name in ("tanh_gain_0.5", "batchnorm_gain_0.2"):
        spec = dict(cfg["resolved"][name], steps=2)
        train(spec, dataset, tmp_path / name)
        with np.load(tmp_path / name / "probes.npz") as p:
            probes = {k: p[k] for k in p.files}
        legends = {}
        for fig_name, (fig, legend) in (("activations_init", fig_layer_hists(probes, "init", "act", spec, "at init")),
                                        ("gradients_init", fig_layer_hists(probes, "init", "actgrad", spec, "at init")),
                                        ("weight_gradients_init", fig_weight_grads(probes, "init", spec, "at init"))):
            plt.close(fig)
            legends[fig_name] = json.loads(json.dumps(legend))
        loss, mine = ex.first_step(spec, dataset)
        fam = {**ex.layout(mine)}
        frame = ex.frame(loss, mine, spec["activation"], 40)
        assert legends_equal(fam, frame, legends) == [], name
        m = json.loads((tmp_path / name / "metrics.json").read_text())
        # metrics.json keeps 10 ** (log10 of the loss, as float32): equal to float32 precision
        assert frame["loss"] == pytest.approx(m["initial_loss"], rel=1e-6)
        assert sum(frame["act"]["hist"][0][2]) == spec["batch_size"] * spec["n_hidden"]


def test_histogram_counts_cover_every_finite_value():
    import numpy as np
    t = np.array([[0.0, 1.0, 2.0, np.inf], [3.0, np.nan, 4.0, 4.0]], dtype=np.float32)
    lo, hi, counts = ex.histogram_counts(t, 4)
    assert (lo, hi) == (0.0, 4.0) and counts == [1, 1, 1, 3]
    assert ex.histogram_counts(np.full(5, 2.0), 3) == [1.5, 2.5, [0, 5, 0]]


@pytest.mark.parametrize("change, named", [
    (lambda b: b["explore"]["gains"].update(min=5, max=0.1), "beyond.explore.gains"),
    (lambda b: b["explore"].update(experiment="nope"), "beyond.explore.experiment"),
    (lambda b: b["explore"].update(experiment="kaiming"), "beyond.explore.experiment"),
    (lambda b: b["explore"]["families"]["tanh"].update(activation="swish"), "activation"),
    (lambda b: b["explore"]["families"]["tanh"].pop("norm"), "norm"),
    (lambda b: b["explore"].update(stops=["five thirds"]), "stops"),
])
def test_a_bad_explore_block_is_one_line_naming_the_key(change, named):
    cfg = read_yaml(ROOT / "config.yaml")
    cfg["beyond"] = {"explore": copy.deepcopy(cfg["beyond"]["explore"])}
    change(cfg["beyond"])
    with pytest.raises(ConfigError) as e:
        validate(cfg)
    msg = str(e.value)
    assert named in msg and "\n" not in msg and "Traceback" not in msg, msg


# ---- the quick run's outputs --------------------------------------------------------------------------

def _study(quick_run) -> dict:
    p = quick_run / "results" / "beyond" / "explore.json"
    assert p.is_file(), "the quick run wrote no results/beyond/explore.json"
    return json.loads(p.read_text())


@pytest.mark.slow
def test_numbers_at_the_lecture_gains_equal_the_part_b_legends(quick_run):
    d = _study(quick_run)
    checked = []
    for key, fam in d["families"].items():
        for link in fam["links"]:
            legends = {f: json.loads((quick_run / "figures" / link["experiment"] / f"{f}.json").read_text())
                       for f in ("activations_init", "gradients_init", "weight_gradients_init")}
            frame = _frame_of(fam, link["gain"])
            assert legends_equal(fam, frame, legends) == [], (key, link)
            m = json.loads((quick_run / "results" / "runs" / link["experiment"] / "metrics.json").read_text())
            assert frame["loss"] == pytest.approx(m["initial_loss"], rel=1e-6), link  # via float32 log10
            checked.append((key, link["gain"]))
    tanh = sorted(g for k, g in checked if k == "tanh")
    assert tanh == pytest.approx(sorted(LECTURE_GAINS)), checked
    assert len(checked) == sum(s["part"] == "B" for s in load(*CONFIGS)["resolved"].values())


# ---- the page in Chromium ---------------------------------------------------------------------------------

def _watch(page, allowed: tuple[str, ...]) -> list[str]:
    events: list[str] = []
    page.on("console", lambda m: events.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda e: events.append(f"page error: {e}"))
    page.on("request", lambda r: events.append(f"request off the machine: {r.url}")
            if not r.url.startswith(allowed) else None)
    page.on("requestfailed", lambda r: events.append(f"failed request: {r.url} ({r.failure})"))
    return events


def _drawn(page, series: str) -> list[float]:
    return page.eval_on_selector_all(f".ex-std circle.ex-pt[data-series={series}], "
                                     f".ex-sat circle.ex-pt[data-series={series}]",
                                     "els => els.map(e => Number(e.getAttribute('data-value')))")


def _state(page) -> tuple[str, float]:
    return page.get_attribute("#explore", "data-family"), float(page.get_attribute("#explore", "data-gain"))


def _check_drawn(page, d: dict) -> tuple[str, int]:
    """The drawn std-by-depth and saturation-by-depth values are the JSON's for the shown family and gain."""
    key, gain = _state(page)
    fam = d["families"][key]
    i = int(page.input_value(".ex-gain"))
    assert fam["gains"][i] == gain
    assert _drawn(page, "act-std") == fam["frames"][i]["act"]["std"], (key, gain)
    sat = fam["frames"][i]["act"]["saturated_pct"]
    if all(v is not None for v in sat):
        assert _drawn(page, "saturated-pct") == sat, (key, gain)
    return key, i


@pytest.mark.slow
def test_the_slider_and_the_family_switch_draw_the_json_numbers(quick_run, served, browser):  # noqa: F811
    d = _study(quick_run)
    page = browser.new_page()
    events = _watch(page, (served + "/", "data:", "blob:", "about:"))
    page.goto(f"{served}/explore.html", wait_until="networkidle")
    page.wait_for_selector("#explore.ex-ready")
    key, i0 = _check_drawn(page, d)
    assert key == "tanh" and d["families"]["tanh"]["gains"][i0] == pytest.approx(5 / 3)
    before = _drawn(page, "act-std")
    page.focus(".ex-gain")
    for _ in range(5):  # drag by keyboard: every step is a network of its own
        page.keyboard.press("ArrowLeft")
    key, i1 = _check_drawn(page, d)
    assert i1 == i0 - 5 and _drawn(page, "act-std") != before
    page.fill(".ex-gain", "0")  # the far left end
    assert _check_drawn(page, d) == ("tanh", 0)
    # a stop: its button moves the slider there, and the link names the configuration's page
    page.get_by_role("button", name="3", exact=True).click()
    key, i3 = _check_drawn(page, d)
    assert d["families"]["tanh"]["gains"][i3] == 3.0
    assert page.get_attribute(".ex-at a.ex-page", "href") == "part-b/tanh_gain_3.html"
    marks = page.eval_on_selector_all(".ex-mark", """els => els.map(e => {
        const a = e.querySelector("a");
        return [e.querySelector("button").textContent, a ? a.getAttribute("href") : null];
    })""")
    assert marks == [["0.5", "part-b/tanh_gain_0.5.html"], ["1", "part-b/tanh_gain_1.html"],
                     ["5/3", "part-b/tanh_gain_5_3.html"], ["3", "part-b/tanh_gain_3.html"]], marks
    tanh_values = _drawn(page, "act-std")
    page.check("input[name=ex-family][value=linear]")
    key, il = _check_drawn(page, d)
    assert key == "linear" and d["families"]["linear"]["gains"][il] == 3.0
    assert _drawn(page, "act-std") != tanh_values
    assert page.locator(".ex-sat circle").count() == 0  # nothing saturates in a linear stack
    page.check("input[name=ex-family][value=batchnorm]")
    assert _check_drawn(page, d)[0] == "batchnorm"
    page.check("input[name=ex-family][value=relu]")
    assert _check_drawn(page, d) == ("relu", 0) and page.is_disabled(".ex-gain")
    assert _drawn(page, "zero-pct") == d["families"]["relu"]["frames"][0]["act"]["zero_pct"]
    # the configuration's page is there
    page.check("input[name=ex-family][value=tanh]")
    page.click(".ex-links a >> nth=0")
    page.wait_for_load_state("load")
    assert page.url.endswith("/part-b/tanh_gain_0.5.html"), page.url
    page.close()
    assert not events, "\n".join(events)


@pytest.mark.slow
def test_the_explore_page_works_from_the_file_system(quick_run, browser):  # noqa: F811
    d = _study(quick_run)
    page = browser.new_page()
    events = _watch(page, ("file:", "data:", "blob:", "about:"))
    page.goto((quick_run / "site" / "explore.html").as_uri(), wait_until="load")
    page.wait_for_selector("#explore.ex-ready")
    _, i0 = _check_drawn(page, d)
    page.focus(".ex-gain")
    page.keyboard.press("End")
    _, i1 = _check_drawn(page, d)
    assert i1 == len(d["families"]["tanh"]["gains"]) - 1 != i0
    page.check("input[name=ex-family][value=no_fan_in]")
    assert _check_drawn(page, d)[0] == "no_fan_in"
    page.close()
    assert not events, "\n".join(events)


@pytest.mark.slow
def test_the_explore_page_loads_its_numbers_as_one_script(quick_run, served, browser, record_property):  # noqa: F811
    """From a local server with the browser's cache off: the numbers arrive as one script holding the
    study's JSON, once. The load time and bytes are printed and recorded (a measurement, not a pass/fail
    threshold: timed asserts fail on a busy machine and say nothing on a fast one)."""
    page = browser.new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    sizes: dict[str, int] = {}

    def on_response(r):
        if r.url.startswith(served) and r.status == 200:
            sizes[r.url] = len(r.body())
    page.on("response", on_response)
    times = []
    for _ in range(3):
        page.goto(f"{served}/explore.html", wait_until="load")
        page.wait_for_selector("#explore.ex-ready")
        times.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
    page.wait_for_load_state("networkidle")  # the search index, fetched after the load event
    page.close()
    total = sum(sizes.values())
    data = next(v for u, v in sizes.items() if u.endswith("explore-data.js"))
    record_property("explore_load_ms", times)
    record_property("explore_bytes", total)
    print(f"\nexplore.html: load event after {', '.join(f'{t:.0f}' for t in times)} ms "
          f"(median {statistics.median(times):.0f}); {total:,} bytes in {len(sizes)} files, "
          f"of which the numbers {data:,}")
    study = (quick_run / "results" / "beyond" / "explore.json").stat().st_size  # its JSON, one line
    assert data == study - 1 + len("window.MAKEMORE_EXPLORE = ;\n")


# ---- the page for a screen reader, and in both palettes ---------------------------------------------------

def _gain_text(g: float) -> str:
    """What the slider should say for gain g: its label and, where the label is not the number, the number."""
    label = "5/3" if math.isclose(g, 5 / 3, rel_tol=1e-9) else f"{g:.3g}"
    value = f"{g:.4g}"
    return label if label == value else f"{label} ({value})"


def _luminance(rgb) -> float:
    c = [v / 255 for v in rgb]
    c = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(fg: tuple, alpha: float, bg: tuple) -> float:
    """WCAG contrast ratio of colour `fg` drawn at opacity `alpha` over the opaque `bg` (RGB 0-255)."""
    mixed = [alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True)]
    hi, lo = sorted((_luminance(mixed), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# the colours of the grey reference lines and their labels as drawn, the page's background behind them,
# and every pair of reference labels that overlap, over every family and every slider position
_REFS_EVERYWHERE = """() => {
    const rgba = s => { const m = s.match(/[\\d.]+/g).map(Number); return [m.slice(0, 3), m.length > 3 ? m[3] : 1]; };
    let bg = null;
    for (let e = document.querySelector(".ex-std"); e && !bg; e = e.parentElement) {
        const [c, a] = rgba(getComputedStyle(e).backgroundColor);
        if (a === 1) bg = c;
    }
    const colours = sel => {
        const e = document.querySelector(sel), cs = getComputedStyle(e);
        const [c, a] = rgba(sel.includes("text") ? cs.fill : cs.stroke);
        const op = Number(sel.includes("text") ? cs.fillOpacity : cs.strokeOpacity) * Number(cs.opacity);
        return {rgb: c, alpha: a * op};
    };
    const out = {bg: bg || [255, 255, 255], overlaps: [], positions: 0};
    const slider = document.querySelector(".ex-gain");
    for (const radio of document.querySelectorAll("input[name=ex-family]")) {
        radio.click();
        for (let i = 0; i <= Number(slider.max); i++) {
            slider.value = String(i);
            slider.dispatchEvent(new Event("input", {bubbles: true}));
            out.positions++;
            if (!out.line && document.querySelector("polyline.ex-ref") && document.querySelector("text.ex-ref-label")) {
                out.line = colours("polyline.ex-ref");
                out.label = colours("text.ex-ref-label");
            }
            for (const svg of document.querySelectorAll("#explore svg")) {
                const boxes = Array.from(svg.querySelectorAll("text.ex-ref-label"), t => [t.textContent, t.getBBox()]);
                for (let a = 0; a < boxes.length; a++) for (let b = a + 1; b < boxes.length; b++) {
                    const [p, q] = [boxes[a][1], boxes[b][1]];
                    if (p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height)
                        out.overlaps.push(`${radio.value} at gain ${document.querySelector(".ex-gain-v").textContent}, `
                            + `${svg.getAttribute("class")}: "${boxes[a][0]}" and "${boxes[b][0]}"`);
                }
            }
        }
    }
    return out;
}"""


@pytest.mark.slow
def test_the_explore_page_speaks_the_gain_and_reads_in_both_palettes(quick_run, served, browser):  # noqa: F811
    """The slider announces the gain (aria-valuetext), not its index; the loss and the configuration
    it has reached are in a live region, read out as they change; in the light and the dark palette
    the grey reference lines stand out from the page (3:1, WCAG 1.4.11), their labels can be read
    (4.5:1) and never sit on top of each other."""
    d = _study(quick_run)
    page = browser.new_page()
    page.add_init_script(NO_STORED_PALETTE)
    seen = []
    for palette in PALETTES:
        open_in_palette(page, f"{served}/explore.html", palette)
        page.wait_for_selector("#explore.ex-ready")
        key, i = _check_drawn(page, d)
        fam = d["families"][key]
        slider = page.get_by_role("slider", name="gain")
        assert slider.get_attribute("aria-valuetext") == "5/3 (1.667)" == _gain_text(fam["gains"][i])
        live = page.locator("#explore [aria-live]")
        assert live.count() == 1 and live.get_attribute("aria-live") == "polite", "no live region for the numbers"
        assert f"{fam['frames'][i]['loss']:.4g}" in live.inner_text() and "5/3" in live.inner_text()
        slider.focus()
        page.keyboard.press("ArrowLeft")
        key, j = _check_drawn(page, d)
        assert j == i - 1
        assert slider.get_attribute("aria-valuetext") == _gain_text(fam["gains"][j])
        assert f"{fam['frames'][j]['loss']:.4g}" in live.inner_text(), live.inner_text()
        refs = page.evaluate(_REFS_EVERYWHERE)
        bg = tuple(refs["bg"])
        line = contrast(tuple(refs["line"]["rgb"]), refs["line"]["alpha"], bg)
        label = contrast(tuple(refs["label"]["rgb"]), refs["label"]["alpha"], bg)
        seen.append(f"{palette}: reference lines {line:.2f}:1, their labels {label:.2f}:1 on the page; "
                    f"{refs['positions']} slider positions, {len(refs['overlaps'])} overlapping labels")
        assert line >= 3 and label >= 4.5, seen[-1]
        assert refs["positions"] == sum(len(f["gains"]) for f in d["families"].values())
        assert not refs["overlaps"], f"{palette}: " + "; ".join(refs["overlaps"][:10])
    page.close()
    print("\n" + "\n".join(seen))
