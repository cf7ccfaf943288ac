"""Exercise E02: BatchNorm folded into the Linear before it. For each listed run, the largest
difference between the logits of the folded and the original net, and the inference time of each
(the median of repeated forward passes on this machine).

`beyond.fold` names experiments with BatchNorm. Writes results/beyond/fold.json (no figures).
"""

from __future__ import annotations

from pathlib import Path

from pipeline.io import write_json
from pipeline.studies.common import block_schema, finite_json, listed_experiments, load_trained, one_job, run_spec
from pipeline.studies.registry import Study, StudyIO

SCHEMA = {"fold": block_schema(repeats={"$ref": "#/definitions/posint"})}


def check(beyond: dict, need) -> None:
    if beyond.get("fold"):
        need("beyond.fold.experiments", beyond["fold"]["experiments"],
             lambda s: bool(s.get("batchnorm")) if s["kind"] == "mlp" else s["norm"] == "batchnorm",
             "an experiment with BatchNorm")


def run(spec: dict, io: StudyIO) -> dict:
    return fold_study(spec, io.runs, io.data, io.json, threads=io.threads)


def fold_study(spec: dict, runs, data_path, out_json, threads: int = 1) -> dict:
    """E02: fold each listed run's BatchNorm into its Linear; check the logits and time inference."""
    import torch

    from pipeline.data import load_dataset
    from pipeline.nn.fold import check_and_time
    torch.set_num_threads(threads)
    runs = Path(runs)
    rows, data = [], None
    for name in spec["experiments"]:
        s = run_spec(runs, name)
        if data is None:
            data = load_dataset(data_path, s["block_size"], s["split_seed"])
        _, model = load_trained(runs / name, data)
        if s["kind"] == "mlp":
            model.calibrate(data.splits["train"][0])
        Xva, _ = data.splits["val"]
        rows.append({"experiment": name, "kind": s["kind"], **check_and_time(model, Xva, spec["repeats"])})
    out = {"title": spec["title"], "rows": rows,
           "note": "median of repeated forward passes on this machine; timings vary between machines and runs"}
    write_json(out_json, finite_json(out))
    return out


STUDY = Study(name="fold", schema=SCHEMA, specs=one_job("fold"), experiments=listed_experiments, run=run, check=check)
