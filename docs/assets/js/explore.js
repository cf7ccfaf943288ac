/* The explore page (pipeline/site/explore.py, docs/templates/explore.md.j2): the `explore` study's
   numbers (window.MAKEMORE_EXPLORE, from results/beyond/explore.json) drawn as SVG, redrawn on every
   move of the gain slider and every switch of the family. No library: a few polylines per frame.

   Every drawn point of a by-depth chart carries its number in data-value, exactly as in the JSON
   (the browser test reads them back). */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                "#bcbd22", "#17becf"];
  var W = 420, H = 250, M = {l: 52, r: 12, t: 14, b: 38};

  var root = document.getElementById("explore");
  if (!root) return;
  var status = root.querySelector(".ex-status");
  var D = window.MAKEMORE_EXPLORE;
  if (!D || !D.families) {
    status.textContent = "The numbers (assets/data/explore-data.js) did not load; rebuild the site.";
    return;
  }
  var pages = JSON.parse(root.getAttribute("data-pages") || "{}");
  var slider = root.querySelector(".ex-gain");
  var radios = root.querySelectorAll("input[name=ex-family]");
  var state = {family: null, index: 0};

  // ---- small helpers --------------------------------------------------------------------------
  function el(tag, attrs, parent, text) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function html(tag, attrs, parent, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function close(a, b) { return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b)); }
  function gainLabel(g) { return close(g, 5 / 3) ? "5/3" : String(+g.toPrecision(3)); }
  function num(v, p) {
    if (v === null || v === undefined) return "\u2014";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e4 || a < 1e-3)) return v.toExponential(p - 1);
    return String(+v.toPrecision(p));
  }
  // what a screen reader says for the slider: the gain, not the slider's index ("5/3 (1.667)")
  function gainText(g) {
    var label = gainLabel(g), value = num(g, 4);
    return label === value ? label : label + " (" + value + ")";
  }
  function family() { return D.families[state.family]; }
  function frame() { return family().frames[state.index]; }

  function logLabel(t) {
    var e = Math.round(Math.log10(t));
    return close(t, Math.pow(10, e)) && (e < -3 || e > 3) ? "1e" + e : num(t, 2);
  }
  // nice linear ticks between lo and hi
  function ticks(lo, hi, n) {
    var span = hi - lo;
    if (!(span > 0)) return [lo];
    var step = Math.pow(10, Math.floor(Math.log10(span / n)));
    var err = span / n / step;
    step *= err >= 7.5 ? 10 : err >= 3.5 ? 5 : err >= 1.5 ? 2 : 1;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }
  function logTicks(lo, hi) {
    var out = [];
    for (var e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) out.push(Math.pow(10, e));
    if (out.length >= 2) return out;
    return ticks(lo, hi, 4).filter(function (t) { return t > 0; });  // less than a decade: plain ticks
  }

  // an empty chart with axes: returns the scales and the plotting group
  function chart(svg, x, y, xlabel, ylabel, xticks, yticks, xfmt, yfmt) {
    clear(svg);
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    var g = el("g", {}, svg);
    var axes = el("g", {"class": "ex-axes"}, g);
    el("line", {x1: M.l, y1: H - M.b, x2: W - M.r, y2: H - M.b}, axes);
    el("line", {x1: M.l, y1: M.t, x2: M.l, y2: H - M.b}, axes);
    xticks.forEach(function (t, i) {
      var px = x(t);
      el("line", {x1: px, y1: H - M.b, x2: px, y2: H - M.b + 4}, axes);
      el("text", {x: px, y: H - M.b + 15, "text-anchor": "middle"}, axes, xfmt ? xfmt(t, i) : num(t, 3));
    });
    yticks.forEach(function (t) {
      var py = y(t);
      el("line", {x1: M.l - 4, y1: py, x2: W - M.r, y2: py, "class": "ex-grid"}, axes);
      el("text", {x: M.l - 6, y: py + 4, "text-anchor": "end"}, axes, yfmt ? yfmt(t) : num(t, 3));
    });
    el("text", {x: (M.l + W - M.r) / 2, y: H - 4, "text-anchor": "middle", "class": "ex-label"}, axes, xlabel);
    el("text", {x: 12, y: (M.t + H - M.b) / 2, "text-anchor": "middle", "class": "ex-label",
                transform: "rotate(-90 12 " + (M.t + H - M.b) / 2 + ")"}, axes, ylabel);
    return g;
  }
  function linear(lo, hi, a, b) { return function (v) { return a + (v - lo) / (hi - lo || 1) * (b - a); }; }
  function logScale(lo, hi, a, b) {
    var l0 = Math.log10(lo), l1 = Math.log10(hi);
    return function (v) { return a + (Math.log10(Math.max(v, lo)) - l0) / (l1 - l0 || 1) * (b - a); };
  }

  // ---- the charts ---------------------------------------------------------------------------------
  // density lines, one per layer, as the lecture's histograms (counts / (n * bin width))
  function drawHist(svg, hists, xlabel) {
    var lo = Infinity, hi = -Infinity, ymax = 0, dens = [];
    hists.forEach(function (h) {
      var n = h[2].reduce(function (s, c) { return s + c; }, 0), w = (h[1] - h[0]) / h[2].length;
      var d = h[2].map(function (c) { return n && w > 0 ? c / (n * w) : 0; });
      dens.push(d);
      lo = Math.min(lo, h[0]); hi = Math.max(hi, h[1]);
      ymax = Math.max(ymax, Math.max.apply(null, d));
    });
    var x = linear(lo, hi, M.l, W - M.r), y = linear(0, ymax || 1, H - M.b, M.t);
    var g = chart(svg, x, y, xlabel, "density", ticks(lo, hi, 5), ticks(0, ymax || 1, 4));
    hists.forEach(function (h, j) {
      var w = (h[1] - h[0]) / h[2].length;
      var pts = dens[j].map(function (v, i) { return x(h[0] + (i + 0.5) * w).toFixed(1) + "," + y(v).toFixed(1); });
      el("polyline", {points: pts.join(" "), fill: "none", stroke: COLORS[j % COLORS.length], "stroke-width": 1.6,
                      "class": "ex-hist"}, g);
    });
  }

  // labels at the right end of the reference lines, moved apart vertically where two would overlap
  // (two gains whose last layers end on almost the same value, as 3 and 5/3 do): sorted by height,
  // each at least `gap` below the one above, then the whole column shifted back up into the chart
  var LABEL_GAP = 11;
  function spread(labels, gap) {
    var out = labels.slice().sort(function (a, b) { return a.y - b.y; });
    for (var i = 1; i < out.length; i++) out[i].y = Math.max(out[i].y, out[i - 1].y + gap);
    var over = out.length ? out[out.length - 1].y - (H - M.b) : 0;
    if (over > 0) out.forEach(function (l) { l.y -= over; });
    return out;
  }

  // one value per layer, a point each; `refs` are faint lines of other gains for comparison
  function drawDepth(svg, values, refs, scale, ylabel, series) {
    var layers = family().layers;
    var x = linear(0, Math.max(layers.length - 1, 1), M.l + 20, W - M.r - 20);
    var y = scale.log ? logScale(scale.lo, scale.hi, H - M.b, M.t) : linear(scale.lo, scale.hi, H - M.b, M.t);
    var yt = scale.log ? logTicks(scale.lo, scale.hi) : ticks(scale.lo, scale.hi, 4);
    var g = chart(svg, x, y, "layer (input side left)", ylabel, layers.map(function (_, i) { return i; }), yt,
                  function (t) { return layers[t].replace("layer ", ""); }, scale.log ? logLabel : null);
    var labels = [];
    refs.forEach(function (r) {
      var pts = [];
      r.values.forEach(function (v, i) { if (v !== null) pts.push(x(i).toFixed(1) + "," + y(v).toFixed(1)); });
      el("polyline", {points: pts.join(" "), fill: "none", "class": "ex-ref"}, g);
      var last = r.values.length - 1;
      if (r.values[last] !== null) labels.push({y: y(r.values[last]) + 3, text: r.label});
    });
    spread(labels, LABEL_GAP).forEach(function (l) {
      el("text", {x: x(layers.length - 1) + 4, y: l.y.toFixed(1), "class": "ex-ref-label"}, g, l.text);
    });
    var pts = [];
    values.forEach(function (v, i) { if (v !== null) pts.push(x(i).toFixed(1) + "," + y(v).toFixed(1)); });
    el("polyline", {points: pts.join(" "), fill: "none", "class": "ex-now"}, g);
    values.forEach(function (v, i) {
      if (v === null) return;
      var c = el("circle", {cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 4, fill: COLORS[i % COLORS.length],
                            "class": "ex-pt", "data-series": series, "data-layer": layers[i], "data-value": String(v)}, g);
      el("title", {}, c, layers[i] + ": " + num(v, 4));
    });
  }

  // the range of a by-depth series over every gain of the family: the axis stays put as the slider moves
  function range(get, log) {
    var lo = Infinity, hi = -Infinity;
    family().frames.forEach(function (f) {
      (get(f) || []).forEach(function (v) {
        if (v === null || (log && !(v > 0))) return;
        lo = Math.min(lo, v); hi = Math.max(hi, v);
      });
    });
    if (!isFinite(lo)) return null;
    if (log) return {log: true, lo: lo / 1.5, hi: hi * 1.5};
    return {log: false, lo: 0, hi: Math.max(hi, 1)};
  }

  function stopIndices() {
    var gains = family().gains, out = [];
    gains.forEach(function (g, i) {
      var lecture = D.stops.some(function (s) { return close(s, g); });
      var link = family().links.filter(function (l) { return close(l.gain, g) && pages[l.experiment]; })[0];
      if (lecture || link) out.push({index: i, gain: g, link: link});
    });
    return out;
  }

  // ---- the controls ---------------------------------------------------------------------------------
  function buildStops() {
    var fam = family(), box = root.querySelector(".ex-stops"), list = root.querySelector("#ex-ticks");
    clear(box); clear(list);
    var n = fam.gains.length;
    stopIndices().forEach(function (s) {
      html("option", {value: s.index}, list);
      // a mark: a button that moves the slider there and, for a configuration of the lecture, a link to its page
      var mark = html("span", {"class": "ex-mark"}, box);
      mark.style.left = n > 1 ? "calc(8px + (100% - 16px) * " + (s.index / (n - 1)) + ")" : "8px";
      var b = html("button", {type: "button", "class": "ex-stop" + (s.link ? " ex-linked" : ""), "data-index": s.index,
                              title: "gain " + gainLabel(s.gain) + (s.link ? "" : ": a gain of the lecture")}, mark,
                   gainLabel(s.gain));
      b.addEventListener("click", function () { setIndex(s.index); slider.focus(); });
      if (s.link) {
        var to = "the page of " + pages[s.link.experiment].title;  // the arrow alone would be read as "up-right arrow"
        html("a", {"class": "ex-stop-link", href: pages[s.link.experiment].href, title: to, "aria-label": to}, mark,
             "\u2197");
      }
    });
    var links = root.querySelector(".ex-links");
    clear(links);
    var linked = fam.links.filter(function (l) { return pages[l.experiment]; });
    if (linked.length) {
      links.appendChild(document.createTextNode("The configurations of this family, each with its full page: "));
      linked.sort(function (a, b) { return a.gain - b.gain; }).forEach(function (l, i) {
        if (i) links.appendChild(document.createTextNode(" \u00b7 "));
        html("a", {href: pages[l.experiment].href}, links, pages[l.experiment].title);
      });
    } else {
      links.textContent = "No configuration of the lecture is of this family; the marks are the lecture's gains.";
    }
  }

  function setFamily(key) {
    var old = state.family ? frameGain() : null;
    state.family = key;
    var gains = family().gains;
    slider.max = String(gains.length - 1);
    slider.disabled = gains.length < 2;
    var best = 0;
    if (old !== null) gains.forEach(function (g, i) { if (Math.abs(Math.log(g / old)) < Math.abs(Math.log(gains[best] / old))) best = i; });
    buildStops();
    setIndex(best);
  }
  function frameGain() { return family().gains[state.index]; }
  function setIndex(i) {
    state.index = Math.max(0, Math.min(family().gains.length - 1, i));
    slider.value = String(state.index);
    render();
  }

  // ---- one frame ------------------------------------------------------------------------------------
  function render() {
    var fam = family(), f = frame(), g = frameGain();
    root.querySelector(".ex-gain-v").textContent = gainLabel(g);
    slider.setAttribute("aria-valuetext", gainText(g));
    root.setAttribute("data-family", state.family);
    root.setAttribute("data-gain", String(g));
    var at = root.querySelector(".ex-at");
    clear(at);
    var stop = stopIndices().filter(function (s) { return s.index === state.index; })[0];
    // .ex-at is a live region (aria-live in the page): a screen reader reads it out after each move
    at.appendChild(document.createTextNode(fam.title + " at gain " + gainText(g) + ". Loss of the first minibatch: "
                                           + num(f.loss, 4) + ". "));
    if (stop && stop.link) {
      at.appendChild(document.createTextNode("This is a configuration of the lecture: "));
      html("a", {href: pages[stop.link.experiment].href, "class": "ex-page"}, at, pages[stop.link.experiment].title);
      at.appendChild(document.createTextNode(" (its page shows these numbers at init, and the run after)."));
    } else if (stop) {
      at.appendChild(document.createTextNode("A gain of the lecture, with no configuration of this family."));
    }
    drawHist(root.querySelector(".ex-act"), f.act.hist, "layer output");
    drawHist(root.querySelector(".ex-grad"), f.grad.hist, "gradient of the loss w.r.t. the layer output");
    var refs = function (get) {
      return stopIndices().filter(function (s) { return s.index !== state.index; })
        .map(function (s) { return {values: get(fam.frames[s.index]), label: gainLabel(s.gain)}; });
    };
    var sa = range(function (x) { return x.act.std; }, true);
    drawDepth(root.querySelector(".ex-std"), f.act.std, refs(function (x) { return x.act.std; }), sa || {log: true, lo: 0.1, hi: 1},
              "std of the activations (log)", "act-std");
    var sg = range(function (x) { return x.grad.std; }, true);
    drawDepth(root.querySelector(".ex-gstd"), f.grad.std, refs(function (x) { return x.grad.std; }), sg || {log: true, lo: 1e-4, hi: 1},
              "std of their gradients (log)", "grad-std");
    var zero = fam.activation === "relu";
    var satOf = function (x) { return zero ? x.act.zero_pct : x.act.saturated_pct; };
    var satSvg = root.querySelector(".ex-sat"), satNote = root.querySelector(".ex-sat-note");
    if (satOf(f).every(function (v) { return v === null; })) {
      clear(satSvg);
      satNote.textContent = "Nothing saturates here: the layers have no squashing non-linearity.";
    } else {
      satNote.textContent = zero ? "ReLU: the share of outputs that are exactly zero (they pass no gradient)."
        : "The share of outputs with |t| > " + D.saturation_threshold + ", where tanh passes almost no gradient.";
      drawDepth(satSvg, satOf(f), refs(satOf), {log: false, lo: 0, hi: 100},
                zero ? "% exactly zero" : "% saturated", zero ? "zero-pct" : "saturated-pct");
    }
    table(fam, f);
  }

  function table(fam, f) {
    var body = root.querySelector(".ex-layers tbody");
    clear(body);
    fam.layers.forEach(function (name, i) {
      var tr = html("tr", {}, body);
      var td = html("td", {}, tr);
      html("span", {"class": "ex-swatch", style: "background:" + COLORS[i % COLORS.length]}, td);
      td.appendChild(document.createTextNode(name));
      var sat = fam.activation === "relu" ? f.act.zero_pct[i] : f.act.saturated_pct[i];
      [f.act.mean[i], f.act.std[i], sat, f.grad.mean[i], f.grad.std[i]].forEach(function (v) {
        html("td", {}, tr, num(v, 3));
      });
    });
    var wb = root.querySelector(".ex-weights tbody");
    clear(wb);
    fam.weights.forEach(function (w, i) {
      var tr = html("tr", {}, wb);
      html("td", {}, tr, w.name + " (" + w.shape.join(" \u00d7 ") + ")");
      [f.wgrad.mean[i], f.wgrad.std[i], f.wgrad.grad_to_data[i]].forEach(function (v) { html("td", {}, tr, num(v, 3)); });
    });
    root.querySelector(".ex-sat-head").textContent = fam.activation === "relu" ? "% zero" : "% saturated";
  }

  // ---- wiring ---------------------------------------------------------------------------------------
  slider.addEventListener("input", function () { setIndex(parseInt(slider.value, 10)); });
  Array.prototype.forEach.call(radios, function (r) {
    r.addEventListener("change", function () { if (r.checked) setFamily(r.value); });
  });
  var first = root.querySelector("input[name=ex-family]:checked") || radios[0];
  first.checked = true;
  setFamily(first.value);
  // start where the page's reference experiment sits (its gain, in its family)
  var start = family().links.filter(function (l) { return l.experiment === D.experiment; })[0];
  if (start) setIndex(family().gains.findIndex(function (g) { return close(g, start.gain); }));
  status.textContent = "";
  root.classList.add("ex-ready");
}());
