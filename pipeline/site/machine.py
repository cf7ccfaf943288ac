"""The contexts of the Reproduce page's includes: what the runs were made from (data, code,
software, hardware) and what they cost (Snakemake benchmark files, training times)."""

from __future__ import annotations

import csv
import importlib.metadata
import os
import platform
import shutil
import subprocess
from pathlib import Path

from pipeline.site.outputs import Outputs

VERSION_PACKAGES = ("torch", "numpy", "matplotlib", "snakemake", "mkdocs", "mkdocs-material", "mkdocs-jupyter",
                    "mkdocs-glightbox", "pymdown-extensions", "latex2mathml", "jupytext", "nbclient", "pyyaml")


def software() -> dict:
    versions = []
    for p in VERSION_PACKAGES:
        try:
            versions.append((p, importlib.metadata.version(p)))
        except importlib.metadata.PackageNotFoundError:
            versions.append((p, None))
    dot, graphviz = shutil.which("dot"), None
    if dot:
        r = subprocess.run([dot, "-V"], capture_output=True, text=True)
        graphviz = (r.stderr or r.stdout).strip().replace("dot - ", "")
    return {"python": platform.python_version(), "versions": versions, "graphviz": graphviz}


def hardware() -> dict:
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
    return {"os": f"{platform.system()} {platform.release()} ({platform.machine()})", "cpu": cpu,
            "cpus": os.cpu_count(), "memory_gib": mem}


# Benchmark directories of the rules that are not upstream of the pages step (rule site_pages): their
# jobs may run before, alongside or after it, so whether their files exist when the page is written
# depends on the scheduler; listed, they would make two runs of the same DAG write different pages.
NOT_BEFORE_PAGES = ("report", "notebook", "site")


def benchmarks(o: Outputs) -> dict:
    """Per rule upstream of the pages, the last line of each job's benchmark file (a rerun appends a line)."""
    root = o.root / "results" / "benchmarks"
    per_rule: dict[str, list[dict]] = {}
    for f in sorted(root.glob("**/*.tsv")):
        parts = f.relative_to(root).parts
        rule = parts[0] if len(parts) > 1 else "(top level)"
        if rule in NOT_BEFORE_PAGES:
            continue
        with f.open() as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if rows:
            per_rule.setdefault(rule, []).append({**rows[-1], "job": f.stem, "s": float(rows[-1]["s"])})
    rules = []
    for rule, jobs in per_rule.items():
        rss = max(float(j["max_rss"]) for j in jobs if j.get("max_rss") not in (None, "", "-"))
        rules.append({"rule": rule, "jobs": jobs, "seconds": sum(j["s"] for j in jobs),
                      "slowest": max(jobs, key=lambda j: j["s"]), "max_rss": rss})
    return {"rules": rules, "left_out": NOT_BEFORE_PAGES}


def run_facts(o: Outputs) -> dict:
    ms = list(o.metrics.values())
    return {"data": o.data, "m": ms[0], "hashes": sorted({m["data_sha256"] for m in ms}),
            "devices": sorted({m["device"] for m in ms}), "engines": sorted({m["engine"] for m in ms}),
            "git": o.git, "experiments": len(ms), "figures": sum(len(v) for v in o.figures.values())}


def training_times(o: Outputs) -> dict:
    return {"metrics": o.metrics}
