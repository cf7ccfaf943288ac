"""The look of every figure, in one place: rcParams per variant, legend placement, line decimation.

Four variants of each figure are drawn from the same numbers (pipeline/plots/files.py saves them):

- `light`: the page figure (16:9, 6.4 x 3.6 in, text of at least 10 pt). On the site a PNG at 1.5x
  (150 dpi: 960 px wide for a figure shown 640 CSS px wide); in the downloads, SVG and PDF with
  real text.
- `dark`: the same figure on the dark palette of the site (Material's `slate`): lossless WebP at
  1.5x on the site, SVG and PDF in the downloads.
- `talk`: light, with larger text for a projected slide (at least 14 pt on an 8-in figure),
  PNG 1280 px wide (downloads only).
- `dark_talk`: the talk sizes on the dark palette (downloads only).

Figures are drawn inside `use(variant)`; code that needs a colour that must read on both
backgrounds asks `fg()` (text and reference lines) instead of writing "k".
"""

from __future__ import annotations

import contextlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from cycler import cycler  # noqa: E402

VARIANTS = ("light", "dark", "talk", "dark_talk")
DPI = 150  # 1.5x of 100 px per inch: a 6.4-in figure is 960 px, shown at 640 CSS px
TALK_DPI = 160  # an 8-in talk figure is 1280 px: a 16:9 slide's width
SIZE = (6.4, 3.6)  # 16:9
WIDE = (10.0, 3.9)  # two or more panels side by side
MIN_FONT_PT = {"light": 10, "dark": 10, "talk": 14, "dark_talk": 14}  # the smallest text each variant may draw
MAX_POINTS = 1500  # per line in a saved figure: no SVG over a few hundred KB

# colour-blind-safe palette (Okabe and Ito), readable on white and on the dark background
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#999999"]
DARK_BG = "#1e2129"  # Material's slate background
DARK_FG = "#e3e4e8"

BASE = {
    "svg.hashsalt": "makemore-bn",  # stable ids in SVG output
    "svg.fonttype": "none",  # text stays text: editable, searchable
    "pdf.fonttype": 42,  # TrueType fonts embedded, text selectable
    "ps.fonttype": 42,
    "figure.figsize": SIZE,
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 12,
    "legend.framealpha": 0.9,
    "lines.linewidth": 1.6,
    "image.cmap": "gray",
}
THEMES = {
    "light": {"figure.facecolor": "white", "axes.facecolor": "white", "savefig.facecolor": "white"},
    "dark": {"figure.facecolor": DARK_BG, "axes.facecolor": DARK_BG, "savefig.facecolor": DARK_BG,
             "text.color": DARK_FG, "axes.labelcolor": DARK_FG, "axes.edgecolor": "#9a9ca5",
             "xtick.color": DARK_FG, "ytick.color": DARK_FG, "grid.color": "#c0c2c8",
             "legend.facecolor": DARK_BG, "legend.edgecolor": "#9a9ca5",
             "axes.prop_cycle": cycler(color=["#56B4E9", "#E69F00", "#009E73", "#F07E3E", "#CC79A7",
                                               "#9AD0F5", "#F0E442", "#BBBBBB"])},
    "talk": {"font.size": 15, "axes.titlesize": 16, "axes.labelsize": 15, "xtick.labelsize": 14,
             "ytick.labelsize": 14, "legend.fontsize": 14, "legend.title_fontsize": 14, "figure.titlesize": 16,
             "lines.linewidth": 2.2, "figure.figsize": (8.0, 4.5)},
}


def rc(variant: str) -> dict:
    if variant not in VARIANTS:
        raise ValueError(f"unknown figure variant {variant!r}; known: {', '.join(VARIANTS)}")
    if variant == "dark_talk":
        return BASE | THEMES["light"] | THEMES["dark"] | THEMES["talk"]
    return BASE | THEMES["light"] | THEMES[variant]


@contextlib.contextmanager
def use(variant: str):
    """Draw inside this: every artist created takes the variant's fonts and colours."""
    with plt.rc_context(rc(variant)):
        yield


def fg() -> str:
    """The colour of text and reference lines in the current variant."""
    return plt.rcParams["text.color"]


def wide(height: float | None = None) -> tuple[float, float]:
    """The size of a figure of several panels, scaled like the variant's single-panel size."""
    w, h = plt.rcParams["figure.figsize"]
    return (w * WIDE[0] / SIZE[0], (height or WIDE[1]) * h / SIZE[1])


def legend(ax_or_fig, *, ncol: int | None = None, **kw):
    """One legend for the whole figure, below its panels (constrained layout makes room for it):
    it never covers data. Columns: as many as fit the figure's width. None if nothing is labelled."""
    fig = ax_or_fig if isinstance(ax_or_fig, plt.Figure) else ax_or_fig.figure
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if not labels:
        return None
    size = plt.rcParams["legend.fontsize"]
    size = size if isinstance(size, (int, float)) else 10
    width_pt = fig.get_figwidth() * 72
    col_pt = max(len(s) for s in labels) * size * 0.6 + 3.5 * size  # text plus the line sample
    fit = max(1, int(width_pt // col_pt))
    cols = min(len(labels), fit if ncol is None else min(ncol, fit))
    return fig.legend(handles, labels, loc="outside lower center", ncol=cols, frameon=False, **kw)


def decimate(x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most about `max_points` points of a line, keeping each bucket's min and max (spikes survive).
    Only what is drawn changes: numbers in a figure's legend come from the full series."""
    x, y = np.asarray(x), np.asarray(y)
    n = y.size
    if n <= max_points:
        return x, y
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(int)
    xi = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        seg = y[a:b]
        fin = np.isfinite(seg)
        if not fin.any():
            xi.append(a)
            continue
        idx = np.flatnonzero(fin)
        lo, hi = a + idx[np.argmin(seg[fin])], a + idx[np.argmax(seg[fin])]
        xi.extend(sorted({lo, hi}))
    xi = np.array(xi)
    return x[xi], y[xi]
