"""Results tables: this run's Part A numbers beside the lecture's published ones."""

from __future__ import annotations

from pathlib import Path

from pipeline.analysis.lecture import LECTURE
from pipeline.format import at_precision, fmt
from pipeline.io import read_json, write_json, write_text


def results_table(metrics_paths: list[str | Path], json_out: str | Path, md_out: str | Path) -> list[dict]:
    rows = []
    for p in metrics_paths:
        m = read_json(p)
        lec = LECTURE.get(m["experiment"], {})
        rows.append({
            "experiment": m["experiment"], "n_params": m["n_params"], "steps": m["steps"],
            "initial_loss": m["initial_loss"], "expected_initial_loss": m["expected_initial_loss"],
            "train_loss": m["train_loss"], "val_loss": m["val_loss"], "test_loss": m["test_loss"],
            "lecture_train_loss": lec.get("train"), "lecture_val_loss": lec.get("val"),
            "val_minus_lecture": None if m["val_loss"] is None or "val" not in lec else m["val_loss"] - lec["val"],
            "train_seconds": m["train_seconds"], "diverged": m["diverged"],
        })
    write_json(json_out, {"rows": rows, "lecture_source": "the lecture's printed loss log"})
    lines = [
        "| variant | params | initial loss | train | val | test | lecture train | lecture val | val − lecture |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        # printed at the precision the lecture printed its number with; fmt prints a zero unsigned
        diff = at_precision(r["val_loss"], LECTURE.get(r["experiment"], {}).get("val"))
        lines.append(f"| `{r['experiment']}` | {fmt(r['n_params'], ',')} | {fmt(r['initial_loss'])} | "
                     f"{fmt(r['train_loss'])} | {fmt(r['val_loss'])} | {fmt(r['test_loss'])} | "
                     f"{fmt(r['lecture_train_loss'])} | {fmt(r['lecture_val_loss'])} | {fmt(diff, '+.4f')} |")
    expected = rows[0]["expected_initial_loss"] if rows else None
    lines.append("")
    lines.append(f"Expected initial loss of a uniform prediction: −ln(1/27) = {fmt(expected)}. "
                 "Lecture columns are the lecture's published numbers.")
    write_text(md_out, "\n".join(lines) + "\n")
    return rows
