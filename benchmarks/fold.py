"""Exercise E02: how much faster is inference once BatchNorm is folded into the Linear before it?

    python benchmarks/fold.py --data data/names.txt                     # trained runs in results/runs
    python benchmarks/fold.py --data data/names.txt --runs results/runs/batchnorm results/runs/batchnorm_gain_5_3
    python benchmarks/fold.py --data data/names.txt --untrained         # no runs needed: fresh models

For each model: the max |folded - unfolded| logits over the val split (must be ~1e-6), and the
median forward time of both at batch 1 (sampling one character), 32 and the whole val split.
The pipeline's `fold` study (results/beyond/fold.json) runs the same measurement.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="names.txt")
    p.add_argument("--runs", nargs="*", default=["results/runs/batchnorm", "results/runs/batchnorm_gain_5_3"],
                   help="run directories of trained BatchNorm experiments")
    p.add_argument("--untrained", action="store_true",
                   help="benchmark freshly initialised models from config.yaml instead of trained runs")
    p.add_argument("--repeats", type=int, default=50, help="timed passes on the whole split (x20 for small batches)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args(argv)

    import torch

    from pipeline.config import load
    from pipeline.data import load_dataset
    from pipeline.nn.fold import check_and_time
    from pipeline.nn.models import build_model
    from pipeline.studies.common import load_trained

    torch.set_num_threads(a.threads)
    data = load_dataset(a.data)
    Xva, _ = data.splits["val"]
    models = []
    if a.untrained:
        cfg = load(ROOT / "config.yaml")
        for name in ("batchnorm", "batchnorm_gain_5_3"):
            spec = cfg["resolved"][name]
            m = build_model(spec, len(data.vocab), data.block_size, torch.Generator().manual_seed(spec["seed"]))
            if spec["kind"] == "mlp":
                m.calibrate(data.splits["train"][0])
            models.append((name + " (untrained)", m))
    else:
        for run in a.runs:
            spec, m = load_trained(run, data)
            if spec["kind"] == "mlp":
                m.calibrate(data.splits["train"][0])
            models.append((spec["name"], m))
    rows = []
    print(f"{'model':32s} {'BN':>3s} {'max|diff|':>10s} {'batch':>6s} {'unfolded ms':>12s} {'folded ms':>10s} "
          f"{'speedup':>8s}")
    for name, m in models:
        r = check_and_time(m, Xva, a.repeats)
        rows.append({"model": name, **r})
        for t in r["timings"]:
            print(f"{name:32s} {r['n_batchnorm_folded']:3d} {r['max_abs_diff']:10.2e} {t['batch']:6d} "
                  f"{t['unfolded_ms']:12.4f} {t['folded_ms']:10.4f} {t['speedup']:7.2f}x")
        if not r["allclose"]:
            print(f"error: folded logits differ from eval-mode logits for {name}", file=sys.stderr)
            return 1
    if a.json:
        Path(a.json).write_text(json.dumps({"threads": a.threads, "rows": rows}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
