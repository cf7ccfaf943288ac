"""The progress lines of a training, shared by both loops."""

from __future__ import annotations

import sys
import time


class Progress:
    """A tqdm bar in a terminal; short lines (about 20 per run) in Snakemake logs."""

    def __init__(self, name: str, total: int, start: int = 0, stream=None):
        self.name, self.total = name, total
        self.stream = stream or sys.stderr
        self.bar = None
        self.t0 = time.perf_counter()
        self.start = start
        self.every = max(1, total // 20)
        if self.stream.isatty():
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=start, desc=name, unit="step", file=self.stream,
                            dynamic_ncols=True, smoothing=0.05)

    def update(self, step: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(1)
            if step % 500 == 0:
                self.bar.set_postfix(loss=f"{loss:.4f}")
        elif (step + 1) % self.every == 0 or step + 1 == self.total:
            dt = time.perf_counter() - self.t0
            done = step + 1 - self.start
            print(f"[{self.name}] step {step + 1:>7d}/{self.total} loss {loss:.4f} "
                  f"({dt:.1f}s, {1e3 * dt / max(done, 1):.3f} ms/step)", file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
