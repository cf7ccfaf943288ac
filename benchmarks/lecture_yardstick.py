"""A finished run's deep-net figures against the lecture's own loop, run here and now.

For each deep configuration, runs the transcription of the lecture's Part B loop
(tests/lecture_reference.py: its own layers, the lecture's order of operations) for the run's
number of steps, and prints per Tanh layer the % saturated and std after the last step, and per
weight the grad:data ratio, beside the numbers in the run's legend JSON
(figures/<exp>/activations_final.json, weight_gradients_final.json).

    python benchmarks/lecture_yardstick.py --root . --names data/names.txt \\
        batchnorm_gain_0.2 batchnorm_gain_5_3 batchnorm_gain_5
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load  # noqa: E402
from pipeline.data import load_dataset  # noqa: E402
from tests.lecture_reference import lecture_deep_run  # noqa: E402


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=".", help="the pipeline's working directory (results/, figures/)")
    p.add_argument("--names", default="data/names.txt", help="the word list the run used")
    p.add_argument("--configfile", nargs="+", default=[str(ROOT / "config.yaml")])
    p.add_argument("experiments", nargs="+")
    a = p.parse_args()
    cfg = load(*a.configfile)
    root = Path(a.root)
    worst = 0.0
    for name in a.experiments:
        s = cfg["resolved"][name]
        ds = load_dataset(a.names, s["block_size"], s["split_seed"])
        Xtr, Ytr = ds.splits["train"]
        ref = lecture_deep_run(Xtr, Ytr, gain=float(s["gain"]), batchnorm=s["norm"] == "batchnorm", steps=s["steps"],
                               fan_in_scaling=s["fan_in_scaling"], tanh=s["activation"] == "tanh", lr=s["lr"],
                               seed=s["seed"])
        acts = json.loads((root / "figures" / name / "activations_final.json").read_text())
        wg = json.loads((root / "figures" / name / "weight_gradients_final.json").read_text())
        print(f"\n{name} ({s['steps']} steps): this run | the lecture's loop, run here")
        for (layer, ours), lec in zip(acts.items(), ref["act"], strict=True):
            print(f"  {layer:9s} saturated {ours['saturated_pct']:6.2f}% | {lec['saturated_pct']:6.2f}%   "
                  f"std {ours['std']:.4f} | {lec['std']:.4f}")
            worst = max(worst, abs(ours["std"] / lec["std"] - 1))
        for (param, ours), lec in zip(wg.items(), ref["grad_to_data"], strict=True):
            rel = ours["grad_to_data"] / lec - 1
            worst = max(worst, abs(rel))
            print(f"  {param:16s} grad:data {ours['grad_to_data']:.4e} | {lec:.4e}   (rel. diff {rel:+.1e})")
    print(f"\nlargest relative difference (std, grad:data): {worst:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
