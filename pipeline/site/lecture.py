"""Where each result appears in the lecture: docs/lecture.yaml (the video's chapters, the notebook's
cells) read into links. A `t=` link to the video at the chapter's start, and the notebook cell."""

from __future__ import annotations

import functools
import re

import yaml

from pipeline.site.outputs import REPO

LECTURE_YAML = REPO / "docs" / "lecture.yaml"


def seconds(start: str) -> int:
    """'1:03:07' or '4:19' -> seconds."""
    if not re.fullmatch(r"\d+(:\d\d){1,2}", start):
        raise ValueError(f"{LECTURE_YAML.name}: the chapter start {start!r} is not m:ss or h:mm:ss")
    n = 0
    for part in start.split(":"):
        n = 60 * n + int(part)
    return n


@functools.cache
def load(path=LECTURE_YAML) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    chapters = {k: {"key": k, "start": v[0], "title": v[1], "t": seconds(v[0])} for k, v in data["chapters"].items()}
    for kind in ("experiments", "figures"):
        for name, entry in data[kind].items():
            if entry["chapter"] not in chapters:
                raise ValueError(f"{path.name}: {kind}.{name}.chapter {entry['chapter']!r} is not a chapter; "
                                 f"known: {', '.join(chapters)}")
    return {**data, "chapters": chapters}


def moment(kind: str, name: str) -> dict | None:
    """The lecture's moment of an experiment ('experiments') or figure kind ('figures'), or None."""
    data = load()
    entry = data[kind].get(name)
    if entry is None:
        return None
    ch = data["chapters"][entry["chapter"]]
    cell = entry.get("cell")
    return {"title": ch["title"], "start": ch["start"], "url": f"{data['video']}&t={ch['t']}s",
            "cell": cell, "notebook": data["notebook"]}
