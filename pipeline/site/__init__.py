"""The teaching site: markdown pages generated from the pipeline's outputs, then MkDocs.

Nothing here trains or plots. `write_pages` reads what the pipeline wrote (run
directories, figure legend JSON, demo JSON, Snakemake benchmark files) and the resolved
config, and writes markdown under docs/generated/content/:

  pages/      whole pages, mounted at the site root by pipeline/site/hooks.py
  include/    fragments that the hand-written pages in docs/ pull in with `--8<--`
  nav.yml     the navigation, in config order (lecture order), so new experiments
              appear without editing mkdocs.yml

Every number on the site comes from those files; the only constants are the lecture's
published numbers (pipeline.report.LECTURE), always labelled as the lecture's.

Other steps: `execute_notebook` (jupytext .py -> executed .ipynb, via nbclient),
`render_dag` (`snakemake --dag | dot -Tsvg`) and `build` (`mkdocs build --strict`).
"""

from __future__ import annotations

import ast
import csv
import html
import importlib.metadata
import json
import math
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from pipeline.io import read_json, write_text

REPO = Path(__file__).resolve().parents[2]
SITE_ROOT_ENV = "MAKEMORE_SITE_ROOT"  # where docs/generated and figures/ live (the Snakemake workdir)
GENERATED = Path("docs/generated")
CONTENT = GENERATED / "content"
PART_TITLES = {"A": "Part A: the MLP and its fixes", "B": "Part B: deep-network diagnostics",
               "E": "Beyond the lecture"}

# what each figure shows; numbers are added from its legend JSON
CAPTIONS = {
    "loss_curve": ("Training loss",
                   "log10 of every minibatch loss (faint) and its moving average (bold); the dotted line is "
                   "the loss of a uniform guess over the vocabulary."),
    "hpreact_hist": ("Pre-activations at initialisation",
                     "histogram of the hidden pre-activations (the input of tanh) on the first minibatch, "
                     "before any update."),
    "tanh_hist": ("tanh outputs at initialisation",
                  "histogram of the hidden tanh outputs on the first minibatch; mass piled up at ±1 means "
                  "saturated units whose local gradient 1 − h² is almost zero."),
    "saturation_map": ("Saturation map at initialisation",
                       "one row per example of the first minibatch, one column per hidden neuron; white where "
                       "|h| > 0.99. An all-white column is a dead neuron: no example lets gradient through it."),
    "activations_init": ("Activation distribution at initialisation",
                         "one histogram line per hidden layer's output on the first minibatch."),
    "gradients_init": ("Gradient distribution at initialisation",
                       "the gradient of the loss with respect to each hidden layer's output, first minibatch."),
    "weight_gradients_init": ("Weight-gradient distribution at initialisation",
                              "one line per 2-D parameter; the legend gives the grad:data ratio "
                              "std(grad) / std(data)."),
    "activations_final": ("Activation distribution after training",
                          "one histogram line per hidden layer's output on the last minibatch of the run."),
    "gradients_final": ("Gradient distribution after training",
                        "the gradient of the loss with respect to each hidden layer's output, last minibatch."),
    "weight_gradients_final": ("Weight-gradient distribution after training",
                               "one line per 2-D parameter on the last minibatch."),
    "update_ratios": ("Update:data ratio during training",
                      "log10(std(lr · grad) / std(data)) of every 2-D parameter at every step; the dashed line "
                      "at −3 is the lecture's rule of thumb for a healthy learning rate."),
    "loss_overlay": ("Part A: every loss curve",
                     "the smoothed training loss of every Part A variant on one set of axes."),
    "initial_loss": ("Part A: loss at step 0",
                     "the loss before any update, per variant, against the loss of a uniform guess "
                     "(log scale)."),
    "linear_stats": ("A Linear layer and the std of its output",
                     "input and output distributions of a square Gaussian matrix applied to Gaussian inputs: "
                     "unscaled, divided by sqrt(fan_in), and followed by a BatchNorm."),
    "batchnorm_demo": ("BatchNorm couples the examples of a batch",
                       "one input of a five-number batch slides across a range; the batch mean and std follow "
                       "it, and so does every normalised output."),
    # the studies beyond the lecture (results/beyond/<study>.json, figures/<study>/)
    "loss_spread": ("Spread over seeds",
                    "every seed's final train and val loss per variant, with the mean and its confidence interval."),
    "val_loss_vs_gain": ("Validation loss against the gain", "one line per swept configuration."),
    "saturation_vs_gain": ("Saturation against the gain",
                           "share of saturated tanh outputs at initialisation, per gain."),
    "summary": ("The configurations side by side", "the compared runs' numbers on one chart."),
    "running_swing": ("Running statistics during training",
                      "how far the BatchNorm running estimates move during training, per momentum."),
    "gradients": ("Gradients from an all-zero initialisation",
                  "the gradients that reach each parameter when everything starts at zero."),
}
FIGURE_ORDER = list(CAPTIONS)


# ---- small helpers -------------------------------------------------------------------

def fmt(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}f}"


def fmt_g(v, digits: int = 3) -> str:
    """Compact for numbers of any size (gradient stds, ratios)."""
    if v is None:
        return "—"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


def slug(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_-]+", "-", p) for p in parts)


def fig_id(group: str, figure: str) -> str:
    return "fig-" + slug(group, figure)


def rel(from_page: str, target: str) -> str:
    """A relative link from one page (docs-relative path) to another file."""
    return os.path.relpath(target, start=os.path.dirname(from_page) or ".").replace(os.sep, "/")


def md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def gain_label(g: float) -> str:
    for num, den in ((5, 3),):
        if math.isclose(g, num / den):
            return f"{num}/{den}"
    return f"{g:g}"


def indent(text: str, n: int = 4) -> str:
    pad = " " * n
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())


# ---- provenance ----------------------------------------------------------------------

def git_commit(repo: Path = REPO) -> dict:
    """The commit of the code the pages describe; `dirty` when the work tree has edits."""
    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=30)
    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return {"commit": None, "short": "unknown", "dirty": None, "date": None}
    commit = head.stdout.strip()
    status = git("status", "--porcelain", "--untracked-files=no")
    date = git("show", "-s", "--format=%cs", commit).stdout.strip() or None
    return {"commit": commit, "short": commit[:10], "dirty": bool(status.stdout.strip()), "date": date}


def citation_meta(repo: Path = REPO) -> dict:
    cff = repo / "CITATION.cff"
    meta = yaml.safe_load(cff.read_text()) if cff.exists() else {}
    authors = []
    for a in meta.get("authors", []):
        authors.append(a.get("name") or " ".join(x for x in (a.get("given-names"), a.get("family-names")) if x))
    return {"title": meta.get("title", "makemore-bn"), "authors": authors or ["makemore-bn contributors"],
            "version": str(meta.get("version", "")), "url": meta.get("repository-code") or meta.get("url")}


# ---- reading the pipeline's outputs ----------------------------------------------------

class Outputs:
    """Everything the pages are made of, read once from the working directory `root`."""

    def __init__(self, cfg: dict, root: Path, repo: Path = REPO):
        self.cfg, self.root, self.repo = cfg, Path(root), Path(repo)
        hidden = set(cfg.get("expanded") or {})  # seed replicates, sweep points: read by their study only
        self.resolved: dict[str, dict] = {n: s for n, s in cfg["resolved"].items() if n not in hidden}
        self.metrics, self.runcfg, self.samples, self.legends = {}, {}, {}, {}
        for name in self.resolved:
            run = self.root / "results" / "runs" / name
            self.metrics[name] = read_json(run / "metrics.json")
            self.runcfg[name] = read_json(run / "config.json")
            s = run / "samples.txt"
            self.samples[name] = s.read_text().split() if s.exists() else []
        self.demos = {}
        for d in cfg["demos"]:
            p = self.root / "results" / "demos" / f"{d}.json"
            if p.exists():
                self.demos[d] = read_json(p)
        self.studies = {}
        for p in sorted((self.root / "results" / "beyond").glob("*.json")):
            self.studies[p.stem] = read_json(p)
        p = self.root / "results" / "data.json"  # what the data rule verified: origin, checksum
        self.data = read_json(p) if p.exists() else None
        self.figures = self._find_figures()
        self.git = git_commit(self.repo)
        self.cite = citation_meta(self.repo)

    def note(self, name: str, heading: str | None = None) -> list[str]:
        """The include of a hand-written docs/notes/<name>.md (under `heading`), or nothing."""
        if not (self.repo / "docs" / "notes" / f"{name}.md").exists():
            return []
        return ([heading] if heading else []) + [f'--8<-- "notes/{name}.md"\n']

    def parts(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, spec in self.resolved.items():
            out.setdefault(spec["part"], []).append(name)
        return dict(sorted(out.items()))

    def _find_figures(self) -> dict[str, list[str]]:
        """group (experiment, 'part_a' or demo) -> figure names present as PNG + SVG, in caption order."""
        groups = list(self.resolved) + (["part_a"] if any(s["part"] == "A" for s in self.resolved.values())
                                        else []) + list(self.cfg["demos"]) + list(self.studies)
        out = {}
        for g in groups:
            d = self.root / "figures" / g
            names = sorted({p.stem for p in d.glob("*.png") if (d / f"{p.stem}.svg").exists()},
                           key=lambda n: (FIGURE_ORDER.index(n) if n in FIGURE_ORDER else len(FIGURE_ORDER), n))
            if names:
                out[g] = names
        return out

    def legend(self, group: str, figure: str) -> dict:
        key = (group, figure)
        if key not in self.legends:
            p = self.root / "figures" / group / f"{figure}.json"
            self.legends[key] = read_json(p) if p.exists() else {}
        return self.legends[key]

    def title(self, group: str) -> str:
        if group in self.resolved:
            return self.resolved[group]["title"]
        if group == "part_a":
            return "Part A summary"
        if group in self.cfg["demos"]:
            return self.cfg["demos"][group].get("title", group)
        if group in self.studies:
            return self.studies[group].get("title") or group.replace("_", " ")
        return group

    def page_of(self, group: str) -> str:
        """The page that shows a figure group."""
        if group in self.resolved:
            return f"part-{self.resolved[group]['part'].lower()}/{group}.md"
        if group == "part_a":
            return "part-a/index.md"
        if group in self.studies:
            return "beyond.md"
        return "part-c.md"


# ---- source excerpts (the init recipe, read from the package itself) --------------------

def source_of(path: Path, qualname: str) -> tuple[str, int, int]:
    """The source of a top-level function or a method ('Class.method'), with its line span."""
    tree = ast.parse(path.read_text())
    node: ast.AST = tree
    for part in qualname.split("."):
        node = next(n for n in ast.iter_child_nodes(node)
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
    lines = path.read_text().splitlines()
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    text = "\n".join(lines[start - 1:node.end_lineno])
    import textwrap
    return textwrap.dedent(text), start, node.end_lineno


QUOTES_SOURCE_OF = ("nn.models", "nn.layers")  # pages quote their code: editing them regenerates the pages


def code_block(module: str, qualname: str, highlight: list[str] = ()) -> str:
    """A fenced block of pipeline/<module>.py's `qualname`, lines matching `highlight` marked."""
    assert module in QUOTES_SOURCE_OF, f"add {module!r} to QUOTES_SOURCE_OF (the site rule's code inputs)"
    rel = "pipeline/" + module.replace(".", "/") + ".py"
    path = REPO / rel
    try:
        text, a, b = source_of(path, qualname)
    except (StopIteration, FileNotFoundError, SyntaxError):
        return f"*(`{qualname}` is no longer in `{rel}`.)*\n"
    hl = [str(i + 1) for i, line in enumerate(text.splitlines())
          if any(re.search(p, line) for p in highlight)]
    opts = f'title="{rel}, {qualname} (lines {a}–{b})" linenums="{a}"'
    if hl:
        opts += f' hl_lines="{" ".join(hl)}"'
    return f"``` {{ .python {opts} }}\n{text}\n```\n"


INIT_PATTERNS = {  # which source lines implement each init key of a Part A recipe
    "W1": [r"\bw1\b", r"self\.W1 ="], "b1": [r"self\.b1 ="], "W2": [r"self\.W2 ="], "b2": [r"self\.b2 ="],
}


def spec_diff(prev: dict | None, cur: dict) -> list[tuple[str, object, object]]:
    skip = {"title", "summary", "name", "part"}
    flat = {}
    for which, spec in (("prev", prev or {}), ("cur", cur)):
        for k, v in spec.items():
            if k in skip:
                continue
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    flat.setdefault(f"{k}.{k2}", {})[which] = v2
            else:
                flat.setdefault(k, {})[which] = v
    if prev is None:
        return [(k, None, v.get("cur")) for k, v in flat.items() if k.startswith("init.") or k == "batchnorm"]
    return [(k, v.get("prev"), v.get("cur")) for k, v in flat.items() if v.get("prev") != v.get("cur")]


def show(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return gain_label(v)
    return f"`{v}`"


# ---- figure blocks ---------------------------------------------------------------------

def figure_md(o: Outputs, page: str, group: str, figure: str, numbers: str = "", width: str | None = None) -> str:
    title, caption = CAPTIONS.get(figure, (figure.replace("_", " "), ""))
    caption = caption[:1].upper() + caption[1:]
    png = rel(page, f"figures/{group}/{figure}.png")
    idx = rel(page, "figure-index.md") + "#" + fig_id(group, figure)
    size = f"{{ width={width} }}" if width else ""
    extra = f" {numbers}" if numbers else ""
    return (f'<figure markdown="span">\n'
            f'  ![{html.escape(title)}: {html.escape(o.title(group))}]({png}){size}\n'
            f'  <figcaption markdown="span">**{title}.** {caption}{extra} '
            f'[Cite, download, provenance]({idx})</figcaption>\n'
            f'</figure>\n')


def figure_html(o: Outputs, page: str, group: str, figure: str) -> str:
    """The same figure as raw HTML, for places where markdown is not parsed (inside content tabs)."""
    title, caption = CAPTIONS.get(figure, (figure.replace("_", " "), ""))
    caption = caption[:1].upper() + caption[1:]
    png = rel(page, f"figures/{group}/{figure}.png")
    idx = rel(page, "figure-index.html") + "#" + fig_id(group, figure)
    return (f'<figure><img src="{png}" alt="{html.escape(title)}: {html.escape(o.title(group))}">'
            f"<figcaption><strong>{html.escape(title)}.</strong> {html.escape(caption)} "
            f'<a href="{idx}">Cite, download, provenance</a></figcaption></figure>')


# ---- Part A ------------------------------------------------------------------------------

def home_results(o: Outputs, page: str = "index.md") -> str:
    from pipeline.analysis.lecture import LECTURE, LECTURE_INITIAL_LOSS, LECTURE_STEPS
    names = o.parts().get("A", [])
    if not names:
        return "*No Part A experiment in the config.*\n"
    lines = ["| variant | steps | loss at step 0 | train | val | test | lecture: train / val | val − lecture |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n in names:
        m, lec = o.metrics[n], LECTURE.get(n, {})
        diff = (m["val_loss"] - lec["val"]) if m["val_loss"] is not None and "val" in lec else None
        lec_init = LECTURE_INITIAL_LOSS.get(n)
        init = fmt(m["initial_loss"]) + (f" (lecture: {fmt(lec_init)})" if lec_init else "")
        lecture = f"{fmt(lec.get('train'))} / {fmt(lec.get('val'))}" if lec else "—"
        lines.append(f"| [{md_escape(o.resolved[n]['title'])}]({rel(page, o.page_of(n))}) | {m['steps']:,} | "
                     f"{init} | {fmt(m['train_loss'])} | {fmt(m['val_loss'])} | {fmt(m['test_loss'])} | "
                     f"{lecture} | {'—' if diff is None else f'{diff:+.4f}'} |")
    exp0 = o.metrics[names[0]]
    out = "\n".join(lines) + "\n\n"
    out += (f"Loss of a uniform guess over {exp0['vocab_size']} characters: −ln(1/{exp0['vocab_size']}) = "
            f"{fmt(exp0['expected_initial_loss'])}. The *lecture* columns are the numbers printed in the "
            f"lecture ({LECTURE_STEPS:,} steps, one seed); the others are this build's.\n")
    short = sorted({o.metrics[n]["steps"] for n in names if o.metrics[n]["steps"] != LECTURE_STEPS})
    if short:
        out += (f'\n!!! warning "A shortened run"\n    This site was built from runs of '
                f"{', '.join(f'{s:,}' for s in short)} steps instead of the lecture's {LECTURE_STEPS:,}, so "
                "the losses are not comparable with the lecture's. Run the full configuration to compare "
                "(see [Reproduce](" + rel(page, "reproduce.md") + ")).\n")
    return out


def part_a_numbers(o: Outputs, name: str) -> str:
    from pipeline.analysis.lecture import LECTURE, LECTURE_INITIAL_LOSS, LECTURE_STEPS
    m, lec = o.metrics[name], LECTURE.get(name, {})
    init = m.get("init") or {}
    rows = [
        ("loss at step 0", fmt(m["initial_loss"]), fmt(LECTURE_INITIAL_LOSS.get(name))),
        (f"loss of a uniform guess, −ln(1/{m['vocab_size']})", fmt(m["expected_initial_loss"]), ""),
        ("train loss", fmt(m["train_loss"]), fmt(lec.get("train"))),
        ("val loss", fmt(m["val_loss"]), fmt(lec.get("val"))),
        ("test loss", fmt(m["test_loss"]), "—"),
        ("parameters", f"{m['n_params']:,}", ""),
        ("training steps", f"{m['steps']:,}", f"{LECTURE_STEPS:,}"),
    ]
    if init:
        rows += [("std of the pre-activations at init", fmt(init.get("hpreact_std"), 3), ""),
                 ("tanh outputs with |h| > 0.99 at init", f"{fmt(init.get('saturated_pct_099'), 1)} %", ""),
                 ("dead neurons at init (white columns)", str(init.get("dead_neurons")), "")]
    rows.append(("training time", f"{m['train_seconds']:.1f} s ({m['ms_per_step']:.3f} ms/step, "
                                  f"{m['threads']} thread(s), {m['device']}, {m['engine']} engine)", ""))
    out = ["| quantity | this run | the lecture |", "|---|---:|---:|"]
    out += [f"| {md_escape(a)} | {b} | {c or ''} |" for a, b, c in rows]
    return "\n".join(out) + "\n"


def part_a_page(o: Outputs, name: str, names: list[str]) -> str:
    page = o.page_of(name)
    spec, m = o.resolved[name], o.metrics[name]
    i = names.index(name)
    prev = names[i - 1] if i else None
    nxt = names[i + 1] if i + 1 < len(names) else None
    kind_prev = next((n for n in reversed(names[:i]) if o.resolved[n]["kind"] == spec["kind"]), None)
    nav = []
    if prev:
        nav.append(f"[← {md_escape(o.resolved[prev]['title'])}]({rel(page, o.page_of(prev))})")
    nav.append(f"{'variant' if spec['part'] == 'A' else 'experiment'} {i + 1} of {len(names)}")
    if nxt:
        nav.append(f"[{md_escape(o.resolved[nxt]['title'])} →]({rel(page, o.page_of(nxt))})")
    out = [f"# {spec['title']}\n", f"<small>{' · '.join(nav)} · experiment `{name}`</small>\n"]
    if spec.get("summary"):
        out.append(f"{spec['summary']}\n")
    if m.get("diverged"):
        out.append(diverged_note(m))

    out.append("## What changed\n")
    prev = kind_prev
    if spec["part"] != "A":  # beyond the lecture: compare with the closest lecture variant
        lecture = [n for n in o.parts().get("A", []) if o.resolved[n]["kind"] == spec["kind"]]
        prev = min(lecture, key=lambda n: len(spec_diff(o.resolved[n], spec)), default=kind_prev)
    prev_spec = o.resolved[prev] if prev else None
    diff = spec_diff(prev_spec, spec)
    if prev:
        which = "the previous variant" if prev == kind_prev else "the closest lecture variant"
        out.append(f"Against {which}, [{o.resolved[prev]['title']}]({rel(page, o.page_of(prev))}), "
                   "the config (`config.yaml`) changes:\n")
    else:
        out.append("The initialisation recipe, as declared in `config.yaml`:\n")
    if diff:
        head = "| key | before | now |" if prev else "| key | value |"
        out.append(head + "\n" + ("|---|---|---|" if prev else "|---|---|"))
        for k, a, b in diff:
            out.append(f"| `{k}` | {show(a)} | {show(b)} |" if prev else f"| `{k}` | {show(b)} |")
        out.append("")
    else:
        out.append("*Nothing: the same recipe.*\n")
    changed = {k for k, _, _ in diff}
    pats = [p for k, ps in INIT_PATTERNS.items() if f"init.{k}" in changed or not prev for p in ps]
    out.append("The code that reads the recipe, taken from the package when this page was built "
               "(highlighted: the lines the change acts on):\n")
    if str(spec.get("init", {}).get("W1")) == "kaiming" and ("init.W1" in changed or not prev):
        out.append(code_block("nn.models", "kaiming_scale"))
    out.append(code_block("nn.models", "MLP.__init__", pats))
    if spec.get("batchnorm") and (not prev_spec or not prev_spec.get("batchnorm")):
        out.append(code_block("nn.models", "MLP.__call__", [r"bnmeani", r"bnstdi", r"bngain", r"running"]))
        out.append(code_block("nn.models", "MLP.calibrate"))
    elif any(k.startswith("batchnorm.") for k in changed):
        out.append(code_block("nn.models", "MLP.eval_stats", [r"running", r"bnmean\b"]))

    out += o.note(name, "## Why\n")

    out.append("## Numbers\n")
    out.append(part_a_numbers(o, name))
    out.append("## Figures\n")
    for f in o.figures.get(name, []):
        out.append(figure_md(o, page, name, f, figure_numbers(o, name, f)))
    out.append("## Sampled names\n")
    samp = o.samples[name]
    seed = spec["sampling"]["seed"]
    if samp:
        out.append(f"{len(samp)} names drawn from the trained model, one character at a time, with a "
                   f"`torch.Generator` seeded {seed} (the file `results/runs/{name}/samples.txt`):\n")
        out.append('<div class="names" markdown>\n\n' + " · ".join(f"`{s}`" for s in samp) + "\n\n</div>\n")
    else:
        out.append("*No names were sampled (the run diverged, or sampling.count is 0).*\n")
    return "\n".join(out)


def figure_numbers(o: Outputs, group: str, figure: str) -> str:
    """One sentence of the legend's numbers, for a figure's caption."""
    lg = o.legend(group, figure)
    if not lg or "diverged" in lg:
        return ""
    if figure == "loss_curve":
        return (f"Step 0: {fmt(lg.get('initial_loss'))} (uniform guess {fmt(lg.get('expected_initial_loss'))}); "
                f"smoothing window {lg.get('smoothing_window')} steps.")
    if figure in ("hpreact_hist", "tanh_hist"):
        s = f"Mean {lg['mean']:+.3f}, std {lg['std']:.3f}"
        if "saturated_pct" in lg:
            s += f", {lg['saturated_pct']:.1f} % with |h| > 0.99"
        return s + "."
    if figure == "saturation_map":
        return f"{lg['white_pct']:.1f} % white; {lg['dead_neurons']} dead neuron(s)."
    return ""


def part_a_overview(o: Outputs, names: list[str]) -> str:
    page = "part-a/index.md"
    out = ["# Part A: one hidden layer, six fixes\n"]
    out += o.note("part_a")
    out.append("## The variants\n")
    out.append("| # | variant | what changes | val loss | loss at step 0 |\n|---:|---|---|---:|---:|")
    for i, n in enumerate(names):
        m = o.metrics[n]
        out.append(f"| {i + 1} | [{md_escape(o.resolved[n]['title'])}]({rel(page, o.page_of(n))}) | "
                   f"{md_escape(o.resolved[n].get('summary', ''))} | {fmt(m['val_loss'])} | "
                   f"{fmt(m['initial_loss'])} |")
    out.append("")
    out.append("## This run beside the lecture\n")
    out.append(home_results(o, page))
    for f in o.figures.get("part_a", []):
        out.append(figure_md(o, page, "part_a", f))
    return "\n".join(out)


# ---- Part B ------------------------------------------------------------------------------

def family_key(spec: dict) -> tuple:
    return (spec["activation"], spec["norm"], spec["fan_in_scaling"], spec.get("n_layers"), spec.get("n_hidden"))


def family_label(spec: dict) -> str:
    act = {"tanh": "Tanh", "none": "no non-linearity (linear stack)"}.get(spec["activation"], spec["activation"])
    norm = {"none": "no normalisation", "batchnorm": "BatchNorm", "layernorm": "LayerNorm"}.get(spec["norm"],
                                                                                              spec["norm"])
    lab = f"{act}, {norm}"
    if not spec["fan_in_scaling"]:
        lab += ", without 1/sqrt(fan_in)"
    return lab


def layer_table(lg: dict, kind: str) -> str:
    if not lg or "diverged" in lg:
        return ""
    if kind == "act":
        sat = any("saturated_pct" in v for v in lg.values())
        head = "| layer | mean | std |" + (" saturated (\\|h\\| > 0.97) |" if sat else "")
        rows = [head, "|---|---:|---:|" + ("---:|" if sat else "")]
        for k, v in lg.items():
            rows.append(f"| {k} | {v['mean']:+.3f} | {v['std']:.3f} |" +
                        (f" {v['saturated_pct']:.2f} % |" if sat else ""))
    elif kind == "grad":
        rows = ["| layer | mean | std |", "|---|---:|---:|"]
        rows += [f"| {k} | {v['mean']:+.2e} | {v['std']:.2e} |" for k, v in lg.items()]
    elif kind == "wgrad":
        rows = ["| parameter | shape | mean | std | grad:data |", "|---|---|---:|---:|---:|"]
        rows += [f"| `{k}` | {' × '.join(map(str, v['shape']))} | {v['mean']:+.2e} | {v['std']:.2e} | "
                 f"{v['grad_to_data']:.2e} |" for k, v in lg.items()]
    else:  # update ratios
        rows = ["| parameter | log10 ratio, last step | mean of the last 100 steps |", "|---|---:|---:|"]
        rows += [f"| `{k}` | {fmt(v['final_log10_ratio'], 2)} | {fmt(v['mean_log10_ratio_last_100'], 2)} |"
                 for k, v in lg.items()]
    return "\n".join(rows) + "\n"


TABLE_KIND = {"activations": "act", "gradients": "grad", "weight_gradients": "wgrad", "update_ratios": "ud"}


def table_for(o: Outputs, name: str, figure: str) -> str:
    base = figure.rsplit("_", 1)[0] if figure.endswith(("_init", "_final")) else figure
    kind = TABLE_KIND.get(base)
    return layer_table(o.legend(name, figure), kind) if kind else ""


def diverged_note(m: dict) -> str:
    d = m["diverged"]
    return (f'!!! failure "This run diverged"\n    At step {d["step"]} the loss became `{d["loss"]}`; the first '
            f'non-finite tensor was `{d["first_nonfinite"]}`. The config keeps the run as a result '
            f'(`on_divergence: record`): the figures below show what happened up to that step, and the '
            f'losses after training are undefined.\n')


def part_b_page(o: Outputs, name: str) -> str:
    page = o.page_of(name)
    spec, m = o.resolved[name], o.metrics[name]
    out = [f"# {spec['title']}\n", f"<small>{PART_TITLES.get(spec['part'], 'Part ' + spec['part'])} · "
           f"{family_label(spec)} · gain {gain_label(spec['gain'])} · "
           f"experiment `{name}`</small>\n"]
    if spec.get("summary"):
        out.append(f"{spec['summary']}\n")
    if m.get("diverged"):
        out.append(diverged_note(m))
    out.append("## Setup\n")
    rows = [("layers", f"{spec['n_layers']} Linear, {spec['n_hidden']} hidden units"),
            ("activation", spec["activation"]), ("normalisation", spec["norm"]),
            ("gain on the hidden Linear weights", gain_label(spec["gain"])),
            ("divide by sqrt(fan_in)", "yes" if spec["fan_in_scaling"] else "no"),
            ("last layer scaled by", f"{spec['last_layer_scale']:g}"),
            ("parameters", f"{m['n_params']:,}"), ("steps", f"{m['steps']:,} (batch {m['batch_size']}, "
                                                        f"lr {spec['lr']:g})"),
            ("loss at step 0", fmt(m["initial_loss"])),
            ("train / val loss after the run", f"{fmt(m['train_loss'])} / {fmt(m['val_loss'])}")]
    out.append("| setting | value |\n|---|---|")
    out += [f"| {a} | {b} |" for a, b in rows]
    out.append("")
    out.append("??? example \"The code that builds this network\"\n")
    out.append(indent(code_block("nn.models", "DeepMLP.__init__",
                                 [r"gain", r"last_layer_scale", r"fan_in_scaling", r"BatchNorm1d\("])))
    out.append("")
    out += o.note(name, "## Why\n")
    sections = [("At initialisation (first minibatch)", "_init"),
                (f"After the last step (step {spec['steps'] - 1})", "_final")]
    figs = o.figures.get(name, [])
    for head, suffix in sections:
        these = [f for f in figs if f.endswith(suffix)]
        if not these:
            continue
        out.append(f"## {head}\n")
        for f in these:
            out.append(figure_md(o, page, name, f))
            out.append(table_for(o, name, f))
    rest = [f for f in figs if not f.endswith(("_init", "_final"))]
    if rest:
        out.append("## During training\n")
        for f in rest:
            out.append(figure_md(o, page, name, f, figure_numbers(o, name, f)))
            out.append(table_for(o, name, f))
    return "\n".join(out)


def deepest(lg: dict) -> tuple[str, dict] | None:
    if not lg or "diverged" in lg:
        return None
    k = list(lg)[-1]
    return k, lg[k]


def part_b_overview(o: Outputs, names: list[str]) -> str:
    page = "part-b/index.md"
    out = ["# Part B: diagnosing a deep network\n"]
    out += o.note("part_b")
    families: dict[tuple, list[str]] = {}
    for n in names:
        families.setdefault(family_key(o.resolved[n]), []).append(n)

    out.append("## The configurations\n")
    out.append("| configuration | gain | deepest layer at init: std | saturated | loss at step 0 | "
               "val loss after the run |\n|---|---:|---:|---:|---:|---:|")
    for fam in families.values():
        for n in sorted(fam, key=lambda n: o.resolved[n]["gain"]):
            d = deepest(o.legend(n, "activations_init"))
            std = fmt(d[1]["std"], 3) if d else "—"
            sat = f"{d[1]['saturated_pct']:.2f} %" if d and "saturated_pct" in d[1] else "—"
            m = o.metrics[n]
            val = "diverged" if m.get("diverged") else fmt(m["val_loss"])
            out.append(f"| [{md_escape(o.resolved[n]['title'])}]({rel(page, o.page_of(n))}) | "
                       f"{gain_label(o.resolved[n]['gain'])} | {std} | {sat} | {fmt(m['initial_loss'])} | {val} |")
    out.append("")

    out.append("## Flip between gains\n")
    out.append("Each tab shows one configuration at initialisation: the activations, the gradients flowing "
               "back through them, the weight gradients, and the update:data ratio over the run. The "
               "configuration's page has the numbers and the same plots after training.\n")
    for fam in families.values():
        spec0 = o.resolved[fam[0]]
        out.append(f"### {family_label(spec0)}\n")
        for n in sorted(fam, key=lambda n: o.resolved[n]["gain"]):
            out.append(f'=== "gain {gain_label(o.resolved[n]["gain"])}"\n')
            body = [f"[{o.resolved[n]['title']}: every figure and number]({rel(page, o.page_of(n))})\n"]
            if o.metrics[n].get("diverged"):
                body.append(diverged_note(o.metrics[n]))
            figs = [figure_html(o, page, n, f) for f in
                    ("activations_init", "gradients_init", "weight_gradients_init", "update_ratios")
                    if f in o.figures.get(n, [])]
            body.append('<div class="grid">' + "".join(figs) + "</div>\n")
            out.append(indent("\n".join(body)))
            out.append("")

    pairs = []
    for n in names:
        s = o.resolved[n]
        if s["norm"] != "batchnorm":
            continue
        for p in names:
            t = o.resolved[p]
            if (t["norm"] == "none" and t["activation"] == s["activation"] and math.isclose(t["gain"], s["gain"])
                    and t["fan_in_scaling"] == s["fan_in_scaling"]):
                pairs.append((p, n))
    if pairs:
        out.append("## BatchNorm against no BatchNorm\n")
        out.append("The same gain, the same seed; the only difference is a BatchNorm after every Linear.\n")
        for p, n in pairs:
            out.append(f"### {o.resolved[p]['title']} vs {o.resolved[n]['title']}\n")
            for f in ("activations_init", "gradients_init", "activations_final", "update_ratios"):
                if f in o.figures.get(p, []) and f in o.figures.get(n, []):
                    out.append('<div class="grid" markdown>\n')
                    out.append(figure_md(o, page, p, f))
                    out.append(figure_md(o, page, n, f))
                    out.append("</div>\n")

    out.append("## How much does the gain matter?\n")
    out.append("For every family of configurations, the spread over gains of the std of the deepest hidden "
               "layer's output at initialisation (measured on this run's first minibatch). A small spread is a "
               "network that does not care much what gain it was given.\n")
    out.append("| family | gains | std of the deepest layer, per gain | max / min |\n|---|---|---|---:|")
    for fam in families.values():
        if len(fam) < 2:
            continue
        fam = sorted(fam, key=lambda n: o.resolved[n]["gain"])
        stds = [(o.resolved[n]["gain"], deepest(o.legend(n, "activations_init"))) for n in fam]
        vals = [d[1]["std"] for _, d in stds if d]
        ratio = (max(vals) / min(vals)) if vals and min(vals) > 0 else None
        out.append(f"| {family_label(o.resolved[fam[0]])} | {', '.join(gain_label(g) for g, _ in stds)} | "
                   f"{', '.join(fmt(d[1]['std'], 3) if d else '—' for _, d in stds)} | {fmt_g(ratio, 3)} |")
    out.append("")
    return "\n".join(out)


# ---- Part C ------------------------------------------------------------------------------

def part_c_page(o: Outputs) -> str:
    page = "part-c.md"
    out = ["# Part C: the lecture's bonus demonstrations\n"]
    out += o.note("part_c")
    for d, data in o.demos.items():
        out.append(f"## {data.get('title', d)}\n")
        out += o.note(d)
        if d == "linear_stats":
            out.append(f"A batch of {data['batch']} Gaussian vectors through a {data['n']} × {data['n']} Gaussian "
                       f"matrix (seed {data['seed']}); sqrt(fan_in) = {data['sqrt_n']:.2f}. The backward column "
                       "is the std of the gradient that reaches the input when a unit-Gaussian gradient "
                       "arrives from above.\n")
            out.append("| case | std of the input | std of the output | std of the input's gradient |\n"
                       "|---|---:|---:|---:|")
            for c in data["cases"]:
                out.append(f"| {c['label']} | {c['x_std']:.3f} | {c['y_std']:.3f} | {c['grad_std']:.3f} |")
            out.append("")
        elif d == "batchnorm_demo":
            a = data["at_original"]
            out.append(f"The batch: {', '.join(f'{v:+.2f}' for v in data['values'])}; mean {a['mean']:+.3f}, "
                       f"std {a['std']:.3f}. Normalised: "
                       f"{', '.join(f'{v:+.3f}' for v in a['normalised'])}. Input {data['moved_index']} then "
                       f"slides from {data['sweep'][0]:+.1f} to {data['sweep'][-1]:+.1f}.\n")
        for f in o.figures.get(d, []):
            out.append(figure_md(o, page, d, f))
        if d == "batchnorm_demo":
            out.append(slider(o, data))
    return "\n".join(out)


def slider(o: Outputs, data: dict) -> str:
    """The lecture's slider, as the offline widget of docs/interactive/, started at the config's batch."""
    widget = o.repo / "docs" / "interactive" / "batchnorm.html"
    if not widget.exists():
        return ""
    text = widget.read_text()
    text = re.sub(r'data-values="[^"]*"', f'data-values="{json.dumps(data["values"])}"', text, count=1)
    text = re.sub(r'data-moved="[^"]*"', f'data-moved="{data["moved_index"]}"', text, count=1)
    return "### Try it\n\n" + text.strip() + "\n"


# ---- beyond the lecture -------------------------------------------------------------------

def scalar_table(rows: list[dict]) -> str:
    """The scalar columns of a study's rows (nested values are left to its JSON file)."""
    if not rows or not isinstance(rows[0], dict):
        return ""
    cols = [k for k, v in rows[0].items() if isinstance(v, (str, int, float, bool)) or v is None]
    if not cols:
        return ""

    def cell(v):
        if isinstance(v, bool) or v is None:
            return "—" if v is None else ("yes" if v else "no")
        if isinstance(v, float):
            return fmt_g(v, 4)
        return md_escape(str(v))
    out = ["| " + " | ".join(c.replace("_", " ") for c in cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(cell(r.get(c)) for c in cols) + " |" for r in rows]
    return "\n".join(out) + "\n"


def beyond_page(o: Outputs) -> str:
    page = "beyond.md"
    out = ["# Beyond the lecture\n"]
    out += o.note("beyond")
    for study, data in o.studies.items():
        out.append(f"## {o.title(study)}\n")
        out += o.note(study)
        for line in data.get("text") or []:
            out.append(f"- {line}")
        out.append("")
        out.append(scalar_table(data.get("rows") or []))
        for f in o.figures.get(study, []):
            out.append(figure_md(o, page, study, f))
        out.append(f"The numbers: `results/beyond/{study}.json`.\n")
    extra = [n for n, s in o.resolved.items() if s["part"] not in ("A", "B")]
    if extra:
        out.append("## Single runs\n")
        out += [f"- [{md_escape(o.resolved[n]['title'])}]({rel(page, o.page_of(n))}): "
                f"{md_escape(o.resolved[n].get('summary', ''))}" for n in extra]
        out.append("")
    return "\n".join(out)


# ---- figure index ------------------------------------------------------------------------

def regenerate_command(o: Outputs, group: str, figure: str) -> str:
    return f"snakemake -j1 --force {shlex.quote(f'figures/{group}/{figure}.png')}"


def provenance(o: Outputs, group: str) -> dict:
    if group in o.resolved:
        m = o.metrics[group]
        return {"experiment": group, "config_hash": m["config_hash"], "data_sha256": m["data_sha256"],
                "seed": m["seed"], "inputs": f"results/runs/{group}/"}
    if group == "part_a":
        names = o.parts().get("A", [])
        m = o.metrics[names[0]] if names else {}
        return {"experiment": ", ".join(names), "config_hash": ", ".join(o.metrics[n]["config_hash"] for n in names),
                "data_sha256": m.get("data_sha256"), "seed": m.get("seed"),
                "inputs": ", ".join(f"results/runs/{n}/" for n in names)}
    from pipeline.config import spec_hash
    if group in o.studies:
        beyond = o.cfg.get("beyond") or {}
        key = group[len("compare_"):] if group.startswith("compare_") else group
        spec = (beyond.get("comparisons") or {}).get(key) or beyond.get(key) or beyond.get("sweeps") or {}
        any_m = next(iter(o.metrics.values()), {})
        return {"experiment": f"study {group}", "config_hash": spec_hash(spec),
                "data_sha256": any_m.get("data_sha256"), "seed": "see the study's runs",
                "inputs": f"results/beyond/{group}.json"}
    spec = o.cfg["demos"].get(group, {})
    return {"experiment": f"demo {group}", "config_hash": spec_hash(spec), "data_sha256": "— (synthetic data)",
            "seed": spec.get("seed", "—"), "inputs": f"results/demos/{group}.json"}


def bibtex_key(group: str, figure: str) -> str:
    return "makemore-bn:" + re.sub(r"[^A-Za-z0-9]+", "-", f"{group}-{figure}")


def citation(o: Outputs, group: str, figure: str) -> tuple[str, str]:
    title = CAPTIONS.get(figure, (figure,))[0]
    what = f"{title} ({o.title(group)})"
    c = o.cite
    authors = ", ".join(c["authors"])
    commit = o.git["short"]
    year = (o.git.get("date") or "")[:4] or "n.d."
    ident = f"figures/{group}/{figure}"
    plain = (f"{authors} ({year}). {what}. Figure {ident} in {c['title']}"
             f"{', version ' + c['version'] if c['version'] else ''}, commit {commit}."
             + (f" {c['url']}" if c["url"] else ""))
    bib = [f"@misc{{{bibtex_key(group, figure)},",
           f"  author       = {{{' and '.join(c['authors'])}}},",
           f"  title        = {{{what}}},",
           f"  howpublished = {{Figure {ident}, {c['title']}}},",
           f"  year         = {{{year}}},",
           f"  note         = {{version {c['version'] or 'unversioned'}, commit {o.git['commit'] or 'unknown'}}},"]
    if c["url"]:
        bib.append(f"  url          = {{{c['url']}}},")
    bib.append("}")
    return plain, "\n".join(bib)


def figure_index(o: Outputs) -> str:
    page = "figure-index.md"
    out = ["# Figure index\n",
           "Every figure of this build: a thumbnail (click to zoom), its downloads, where it came from and how "
           "to cite it. The anchor of each entry is stable, so a link to it keeps working across rebuilds.\n"]
    dirty = " (with uncommitted changes)" if o.git["dirty"] else ""
    out.append(f"Built from commit `{o.git['commit'] or 'unknown'}`{dirty}.\n")
    order = []
    for part, names in o.parts().items():
        order.append((PART_TITLES.get(part, f"Part {part}"), (["part_a"] if part == "A" else []) + names))
    order.append(("Part C: bonus demonstrations", list(o.cfg["demos"])))
    if o.studies:
        order.append(("Studies beyond the lecture", list(o.studies)))
    for head, groups in order:
        out.append(f"## {head}\n")
        for g in groups:
            if g not in o.figures:
                continue
            out.append(f"### {o.title(g)}\n")
            out.append(f"Shown on [{o.title(g)}]({rel(page, o.page_of(g))}).\n")
            prov = provenance(o, g)
            for f in o.figures[g]:
                fid = fig_id(g, f)
                title, caption = CAPTIONS.get(f, (f, ""))
                out.append(f"#### {title}: {o.title(g)} {{#{fid}}}\n")
                png = rel(page, f"figures/{g}/{f}.png")
                out.append(f'<div class="fig-entry" markdown>\n\n[![{html.escape(title)}]({png}){{ width="320" }}]'
                           f'({png}){{ .glightbox }}\n\n'
                           f"{caption[:1].upper() + caption[1:]} {figure_numbers(o, g, f)}\n\n"
                           f"Download: [PNG]({png}){{ download }} · "
                           f"[SVG]({rel(page, f'figures/{g}/{f}.svg')}){{ download }} · "
                           f"[numbers (JSON)]({rel(page, f'figures/{g}/{f}.json')}){{ download }}\n\n</div>\n")
                cmd = regenerate_command(o, g, f)
                out.append("| provenance | |\n|---|---|")
                out.append(f"| file | `figures/{g}/{f}.png`, `.svg`, `.json` |")
                out.append(f"| experiment | `{prov['experiment']}` |")
                out.append(f"| config hash | `{prov['config_hash']}` |")
                out.append(f"| git commit | `{o.git['short']}`{dirty} |")
                out.append(f"| data sha256 | `{prov['data_sha256']}` |")
                out.append(f"| seed | `{prov['seed']}` |")
                out.append(f"| made from | `{prov['inputs']}` |")
                out.append(f"| regenerate | `{cmd}` |")
                out.append("")
                plain, bib = citation(o, g, f)
                out.append(f'=== "Plain text"\n\n    ```text\n{indent(plain, 4)}\n    ```\n')
                out.append(f'=== "BibTeX"\n\n    ```bibtex\n{indent(bib, 4)}\n    ```\n')
    return "\n".join(out)


# ---- reproduce ---------------------------------------------------------------------------

VERSION_PACKAGES = ("torch", "numpy", "matplotlib", "snakemake", "mkdocs", "mkdocs-material", "mkdocs-jupyter",
                    "mkdocs-glightbox", "pymdown-extensions", "latex2mathml", "jupytext", "nbclient", "pyyaml")


def software_versions() -> str:
    rows = ["| software | version |", "|---|---|", f"| Python | {platform.python_version()} |"]
    for p in VERSION_PACKAGES:
        try:
            rows.append(f"| {p} | {importlib.metadata.version(p)} |")
        except importlib.metadata.PackageNotFoundError:
            rows.append(f"| {p} | not installed |")
    dot = shutil.which("dot")
    if dot:
        r = subprocess.run([dot, "-V"], capture_output=True, text=True)
        ver = (r.stderr or r.stdout).strip().replace("dot - ", "")
        rows.append(f"| graphviz (dot) | {ver} |")
    return "\n".join(rows) + "\n"


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 1024 ** 2
    except OSError:
        pass
    rows = ["| | this machine |", "|---|---|", f"| operating system | {platform.system()} {platform.release()} "
                                  f"({platform.machine()}) |",
            f"| CPU | {cpu} |", f"| logical CPUs | {os.cpu_count()} |"]
    if mem:
        rows.append(f"| memory | {mem:.1f} GiB |")
    return "\n".join(rows) + "\n"


def benchmarks(o: Outputs) -> str:
    root = o.root / "results" / "benchmarks"
    files = sorted(root.glob("**/*.tsv"))
    if not files:
        return "*No benchmark files yet.*\n"
    per_rule: dict[str, list[tuple[str, dict]]] = {}
    for f in files:
        with f.open() as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if rows:
            rule = f.relative_to(root).parts[0] if len(f.relative_to(root).parts) > 1 else "(top level)"
            per_rule.setdefault(rule, []).append((f.stem, rows[-1]))
    out = ["| rule | jobs | total wall time | slowest job | max resident memory |", "|---|---:|---:|---|---:|"]
    for rule, jobs in per_rule.items():
        secs = [float(r["s"]) for _, r in jobs]
        slow = max(jobs, key=lambda j: float(j[1]["s"]))
        rss = max(float(r["max_rss"]) for _, r in jobs if r.get("max_rss") not in (None, "", "-"))
        out.append(f"| `{rule}` | {len(jobs)} | {sum(secs):.1f} s | `{slow[0]}` ({float(slow[1]['s']):.1f} s) | "
                   f"{rss:.0f} MB |")
    out.append("")
    out.append('??? info "Every job"\n')
    rows = ["| rule | job | wall time (s) | CPU time (s) | max RSS (MB) |", "|---|---|---:|---:|---:|"]
    for rule, jobs in per_rule.items():
        for job, r in jobs:
            rows.append(f"| `{rule}` | `{job}` | {float(r['s']):.2f} | {r.get('cpu_time', '—')} | "
                        f"{r.get('max_rss', '—')} |")
    out.append(indent("\n".join(rows)))
    return "\n".join(out) + "\n"


def training_times(o: Outputs) -> str:
    rows = ["| experiment | engine | steps | training time | per step | threads | device |",
            "|---|---|---:|---:|---:|---:|---|"]
    for n, m in o.metrics.items():
        rows.append(f"| `{n}` | {m['engine']} | {m['steps']:,} | {m['train_seconds']:.1f} s | "
                    f"{m['ms_per_step']:.3f} ms | {m['threads']} | {m['device']} |")
    return "\n".join(rows) + "\n"


ENGINES = {"batched": "batched engine (`pipeline/training/engine.py`: models that share an architecture train as one stack)",
           "simple": "simple loop (`pipeline/training/loop.py`: the lecture's loop, one model per job)"}


def run_facts(o: Outputs) -> str:
    any_m = next(iter(o.metrics.values()))
    hashes = sorted({m["data_sha256"] for m in o.metrics.values()})
    d = o.data
    source = ""
    if d:
        kind = "the lecture's names.txt" if d["canonical"] else "a word list of your own (not the lecture's)"
        source = (f"- data: {kind}, from {d['origin']}: {d['words']:,} words, vocabulary of "
                  f"{d['vocab_size']} tokens\n")
    return source + (f"- data checksum: sha256 `{', '.join(hashes)}`; split sizes "
            f"{', '.join(f'{k} {v:,}' for k, v in any_m['split_sizes'].items())} examples\n"
            f"- trained with Python {any_m['python_version']}, torch {any_m['torch_version']}, on the "
            f"{' and '.join(sorted({m['device'] for m in o.metrics.values()}))}, by the "
            f"{' and '.join(ENGINES[e] for e in sorted({m['engine'] for m in o.metrics.values()}))}\n"
            f"- code: commit `{o.git['commit'] or 'unknown'}`{' with uncommitted changes' if o.git['dirty'] else ''}\n"
            f"- {len(o.metrics)} experiments, {sum(len(v) for v in o.figures.values())} figures\n")


# ---- nav and top level -------------------------------------------------------------------

def nav(o: Outputs, notebooks: list[str]) -> list:
    items: list = [{"Home": "index.md"}]
    parts = o.parts()
    if "A" in parts:
        items.append({"Part A: MLP variants": [{"Overview": "part-a/index.md"}] +
                      [{o.resolved[n]["title"]: o.page_of(n)} for n in parts["A"]]})
    if "B" in parts:
        items.append({"Part B: deep diagnostics": [{"Overview": "part-b/index.md"}] +
                      [{o.resolved[n]["title"]: o.page_of(n)} for n in parts["B"]]})
    if o.demos:
        items.append({"Part C: bonus demos": "part-c.md"})
    beyond = [{o.resolved[n]["title"]: o.page_of(n)} for p, names in parts.items() if p not in ("A", "B")
              for n in names]
    if o.studies or beyond:
        items.append({"Beyond the lecture": ([{"Studies": "beyond.md"}] if o.studies else []) + beyond})
    if notebooks:
        items.append({"Notebooks": [{nb_title(nb): f"notebooks/{nb}.ipynb"} for nb in notebooks]})
    items.append({"Figure index": "figure-index.md"})
    items.append({"Reproduce": "reproduce.md"})
    listed = {"index.md", "reproduce.md"}
    more = [{page_title(p): p.relative_to(REPO / "docs").as_posix()}
            for p in sorted((REPO / "docs").rglob("*.md"))
            if p.relative_to(REPO / "docs").parts[0] not in HIDDEN_DOCS
            and p.relative_to(REPO / "docs").as_posix() not in listed]
    if more:  # hand-written pages others add to docs/ join the nav by themselves
        items.append({"More": more})
    return items


HIDDEN_DOCS = {"generated", "notes", "interactive", "assets"}  # keep in step with exclude_docs in mkdocs.yml


def page_title(p: Path) -> str:
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return p.stem.replace("-", " ").replace("_", " ").capitalize()


def nb_title(nb: str) -> str:
    src = REPO / "notebooks" / f"{nb}.py"
    if src.exists():
        for line in src.read_text().splitlines():
            m = re.match(r"#\s+#\s+(.+)", line)
            if m:
                return m.group(1).strip()
    return nb.replace("_", " ").capitalize()


def notebooks() -> list[str]:
    return sorted(p.stem for p in (REPO / "notebooks").glob("*.py"))


def write_pages(cfg: dict, root: str | Path = ".", out: str | Path | None = None) -> list[Path]:
    """Generate every page and include from the outputs under `root` into `out` (docs/generated/content)."""
    root = Path(root)
    out = Path(out) if out else root / CONTENT
    o = Outputs(cfg, root)
    files: dict[str, str] = {}
    parts = o.parts()
    for names in parts.values():
        for n in names:
            kind = o.resolved[n]["kind"]
            files[f"pages/{o.page_of(n)}"] = (part_a_page(o, n, names) if kind == "mlp" else part_b_page(o, n))
    if "A" in parts:
        files["pages/part-a/index.md"] = part_a_overview(o, parts["A"])
    if "B" in parts:
        files["pages/part-b/index.md"] = part_b_overview(o, parts["B"])
    if o.demos:
        files["pages/part-c.md"] = part_c_page(o)
    if o.studies:
        files["pages/beyond.md"] = beyond_page(o)
    files["pages/figure-index.md"] = figure_index(o)
    files["include/home_results.md"] = home_results(o, "index.md")
    files["include/run_facts.md"] = run_facts(o)
    files["include/software.md"] = software_versions()
    files["include/hardware.md"] = hardware()
    files["include/benchmarks.md"] = benchmarks(o)
    files["include/training_times.md"] = training_times(o)
    files["include/part_links.md"] = part_links(o)
    files["nav.yml"] = yaml.safe_dump(nav(o, notebooks()), sort_keys=False, allow_unicode=True)
    if out.exists():
        shutil.rmtree(out)
    written = []
    for relpath, text in files.items():
        p = out / relpath
        write_text(p, text if text.endswith("\n") else text + "\n")
        written.append(p)
    return written


def part_links(o: Outputs) -> str:
    lines = []
    for part, names in o.parts().items():
        lines.append(f"- **{PART_TITLES.get(part, 'Part ' + part)}**: " +
                     ", ".join(f"[{md_escape(o.resolved[n]['title'])}]({o.page_of(n)})" for n in names))
    if o.demos:
        lines.append("- **Part C: bonus demonstrations**: " +
                     ", ".join(f"[{md_escape(d.get('title', k))}](part-c.md)" for k, d in o.demos.items()))
    return "\n".join(lines) + "\n"


# ---- the companion notebooks ----------------------------------------------------------------

def execute_notebook(src: str | Path, out: str | Path, cwd: str | Path = ".", timeout: int = 900) -> None:
    """jupytext .py -> notebook, executed top to bottom in `cwd` (where results/ lives)."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(src)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata.pop("jupytext", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(Path(cwd).resolve())}})
    client.execute()
    for i, cell in enumerate(nb.cells):  # stable ids: reruns give the same file
        cell["id"] = f"cell-{i}"
    from pipeline.io import atomic_path
    with atomic_path(out) as tmp:
        nbformat.write(nb, str(tmp))


# ---- the pipeline graph -------------------------------------------------------------------------

def render_dag(snakefile: str, configfiles: list[str], out_dir: str | Path, workdir: str | Path = ".") -> None:
    """`snakemake --dag` and `--rulegraph` of the whole workflow, drawn by graphviz as SVG."""
    dot = shutil.which("dot")
    if not dot:
        raise SystemExit("error: graphviz's `dot` is not installed (Debian: apt-get install graphviz)")
    out_dir = Path(out_dir)
    for kind in ("dag", "rulegraph"):
        cmd = [sys.executable, "-m", "snakemake", "-s", snakefile, "-d", str(workdir), "--configfile", *configfiles,
               "--forceall", "--nolock", "--ignore-incomplete", f"--{kind}", "dot", "all"]
        graph = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if graph.returncode != 0:
            raise SystemExit(f"error: {' '.join(cmd)} failed:\n{graph.stderr[-4000:]}")
        text = graph.stdout[graph.stdout.index("digraph"):]
        svg = subprocess.run([dot, "-Tsvg"], input=text, capture_output=True, text=True, timeout=300, check=True)
        from pipeline.io import write_text as wt
        wt(out_dir / f"{kind}.svg", clean_svg(svg.stdout))


def clean_svg(svg: str) -> str:
    """Drop the DOCTYPE (a DTD URL) and the generator comment: nothing to fetch, nothing that varies."""
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!-- Generated by [^>]*-->\s*", "", svg)
    return svg


# ---- mkdocs ---------------------------------------------------------------------------------------

def build(config_file: str | Path, site_dir: str | Path, root: str | Path = ".", strict: bool = True) -> int:
    """`mkdocs build` with the generated pages of `root` mounted (see pipeline/site/hooks.py)."""
    env = dict(os.environ, **{SITE_ROOT_ENV: str(Path(root).resolve())})
    cmd = [sys.executable, "-m", "mkdocs", "build", "-f", str(config_file), "-d", str(Path(site_dir).resolve())]
    if strict:
        cmd.append("--strict")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    return proc.returncode


def load_cfg(configfiles: list[str] | None) -> dict:
    from pipeline import config as cfgmod
    return cfgmod.load(*(configfiles or ["config.yaml"]))
