"""The explore page: the `explore` study's numbers (results/beyond/explore.json) behind a gain
slider and a family switch, drawn by a small script of our own (docs/assets/js/explore.js).

Why our own script and not a charting library: the page draws a few lines and polylines per
frame from numbers computed ahead, so what a library would add is weight. The bundles the
registries ship, measured from their wheels: plotly 7.1.0's plotly.min.js 4,815,814 bytes;
bokeh 3.9.0's bokeh.min.js + bokeh-widgets.min.js 1,643,092 bytes; vl-convert-python 1.9.0's
Vega + Vega-Lite + vega-embed bundle (`vl_convert.javascript_bundle()`) 897,700 bytes. Ours is
a few kilobytes, and all the data is one script file, so the page opens from file:// (a page
opened from the file system may not fetch() a JSON file, but it may load a script).

The data file is the study's JSON as it is, wrapped as `window.MAKEMORE_EXPLORE = {...};` and
mounted into the site as assets/data/explore-data.js (pipeline/site/hooks.py).
"""

from __future__ import annotations

import json
import math

from pipeline.site.outputs import Outputs
from pipeline.site.render import gain_label, rel

PAGE = "explore.md"
DATA_JS = "assets/explore-data.js"  # under docs/generated/content/, served at assets/data/ (hooks.py;
# a folder named `generated` would fall under mkdocs.yml exclude_docs)
DATA_URL = "assets/data/explore-data.js"
SCRIPT_URL = "assets/js/explore.js"  # docs/assets/js/explore.js, hand-written
GLOBAL = "MAKEMORE_EXPLORE"


def html_href(page: str, target: str) -> str:
    """A link for raw HTML (MkDocs rewrites .md links in markdown only): the built .html file."""
    href = rel(page, target)
    return href[:-3] + ".html" if href.endswith(".md") else href


def data_js(study: dict) -> str:
    """The study's JSON as a script that sets one global (loadable from file://, unlike fetch)."""
    return f"window.{GLOBAL} = " + json.dumps(study, separators=(",", ":"), allow_nan=False) + ";\n"


def context(o: Outputs) -> dict:
    d = o.studies["explore"]
    pages = {}
    for fam in d["families"].values():
        for link in fam["links"]:
            n = link["experiment"]
            if n in o.resolved:
                pages[n] = {"href": html_href(PAGE, o.page_of(n)), "title": o.resolved[n]["title"]}
    fams = [{"key": k, "title": f["title"], "count": len(f["gains"]),
             "links": [{**pages[x["experiment"]], "gain": gain_label(x["gain"])}
                       for x in sorted(f["links"], key=lambda x: x["gain"]) if x["experiment"] in pages]}
            for k, f in d["families"].items()]
    base = d["experiment"]
    size = (o.root / "results" / "beyond" / "explore.json").stat().st_size
    return {"d": d, "families": fams, "pages_json": json.dumps(pages, sort_keys=True),
            "base": {"name": base, "title": o.resolved[base]["title"] if base in o.resolved else base,
                     "href": rel(PAGE, o.page_of(base)) if base in o.resolved else None},
            "stops": [gain_label(g) for g in d["stops"]], "grid": d["grid"],
            "lo": gain_label(d["grid"]["min"]), "hi": gain_label(d["grid"]["max"]),
            "networks": sum(len(f["gains"]) for f in d["families"].values()),
            "kb": math.ceil(size / 1024), "data_url": DATA_URL, "script_url": SCRIPT_URL,
            "beyond": "beyond.md", "part_b": "part-b/index.md" if "B" in o.parts() else None}


def files(o: Outputs) -> dict[str, str]:
    """{path under docs/generated/content: text} of the page and its data; none without the study."""
    if "explore" not in o.studies:
        return {}
    from pipeline.site.render import render
    return {f"pages/{PAGE}": render("explore.md.j2", context(o)), DATA_JS: data_js(o.studies["explore"])}
