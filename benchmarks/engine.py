"""The simple loop against the batched engine, side by side in one process, on the same data.

    python benchmarks/engine.py --names data/names.txt              # the table (a few minutes)
    python benchmarks/engine.py --names data/names.txt --profile    # + where the engine's time goes
    python benchmarks/engine.py --names data/names.txt --compile    # + the step under torch.compile

For 1, 6 and 30 models (seeds of one experiment, so one stack) on 1 and 2 threads it prints
model-steps per second of the simple loop (pipeline.train.train, one model after another)
and of the engine (pipeline.engine.train_group, all at once), their ratio, and the peak
resident memory of each phase. Then the arithmetic limit: FLOPs per model-step over the
measured throughput of the engine's own matmuls, and of a large matmul on this machine.
Ratios are measured in one process a few seconds apart, so a shared machine moves both
sides alike; absolute numbers move with the load.

`--compile` times the engine's step as it is and under `torch.compile` (Inductor, which compiles
C++ with the machine's compiler) on the same stack and minibatches, 1 thread, and says how far the
compiled step's parameters land from the eager step's: the pipeline keeps the eager step unless the
compiled one is both faster and gives the same numbers.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.config import load  # noqa: E402
from pipeline.data import load_dataset  # noqa: E402
from pipeline.training.engine import train_group  # noqa: E402
from pipeline.training.loop import train  # noqa: E402


def reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM (peak RSS)
    except OSError:
        pass


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def specs_for(base: dict, n: int, steps: int) -> list[dict]:
    out = []
    for k in range(n):
        s = dict(base, steps=steps, seed=base["seed"] + k, name=f"{base['name']}_s{k}")
        if s["lr_decay_step"] is not None:
            s["lr_decay_step"] = steps // 2
        s["sampling"] = dict(s["sampling"], count=0)
        out.append(s)
    return out


def bench_simple(specs, data, tmp: Path) -> float:
    """Seconds of training-loop time (train.py's own train_seconds), summed over the models."""
    total = 0.0
    for s in specs:
        m = train(s, data, tmp / s["name"], threads=torch.get_num_threads(), log=io.StringIO())
        total += m["train_seconds"]
    return total


def bench_engine(specs, data) -> float:
    t = time.perf_counter()
    train_group(specs, data, log=io.StringIO())
    return time.perf_counter() - t


def compiled_vs_eager(base: dict, data, n: int, steps: int) -> tuple[float, float, float, float]:
    """(eager model-steps/s, compiled model-steps/s, seconds to compile, largest parameter difference
    after `steps` steps) of MLPStack.step on n models, from the same init and minibatches."""
    from pipeline.nn.models import build_model
    from pipeline.training.engine import MLPStack, _draw
    specs = specs_for(base, n, steps)
    gens = [torch.Generator().manual_seed(s["seed"]) for s in specs]
    models = [build_model(s, len(data.vocab), data.block_size, g) for s, g in zip(specs, gens, strict=True)]
    stack = MLPStack(models, specs)
    stack.set_lr([specs[0]["lr"]] * n)
    Xtr, Ytr = data.splits["train"]
    ix = _draw(gens, Xtr.shape[0], steps, stack.B)
    X = (Xtr[ix] + stack.offsets).permute(1, 0, 2, 3).reshape(steps, -1).contiguous()
    Y = Ytr[ix].permute(1, 0, 2).unsqueeze(-1).contiguous()
    nll = torch.empty(n)
    start = stack.snapshot()

    def timed(step) -> float:
        stack.restore(start)
        t = time.perf_counter()
        for i in range(steps):
            step(X[i], Y[i], nll)
        return n * steps / (time.perf_counter() - t)

    eager = timed(stack.step)
    after_eager = stack.P.buf.clone()
    compiled_step = torch.compile(stack.step)
    stack.restore(start)
    t = time.perf_counter()
    for i in range(3):  # compiles (and may recompile once for the second call's guards)
        compiled_step(X[i], Y[i], nll)
    compile_s = time.perf_counter() - t
    compiled = timed(compiled_step)
    diff = float((stack.P.buf - after_eager).abs().max())
    return eager, compiled, compile_s, diff


def mlp_flops(spec: dict, V: int, block: int) -> float:
    """FLOPs of one model-step's matmuls: 2 forward, 4 backward (dW and dX of each layer)."""
    B, F, H = spec["batch_size"], spec["n_embd"] * block, spec["n_hidden"]
    return 3 * 2 * (B * F * H + B * H * V)


def deep_flops(spec: dict, V: int, block: int) -> float:
    dims = [spec["n_embd"] * block] + [spec["n_hidden"]] * (spec["n_layers"] - 1) + [V]
    return 3 * 2 * spec["batch_size"] * sum(a * b for a, b in zip(dims[:-1], dims[1:], strict=True))


def matmul_rate(M: int, spec: dict, V: int, block: int, reps: int = 200) -> float:
    """GFLOP/s of exactly the six bmm calls of one fused Part A step, for M stacked models."""
    B, F, H = spec["batch_size"], spec["n_embd"] * block, spec["n_hidden"]
    emb, W1, h, W2, dl = (torch.randn(M, B, F), torch.randn(M, F, H), torch.randn(M, B, H),
                          torch.randn(M, H, V), torch.randn(M, B, V))

    def step():
        torch.bmm(emb, W1), torch.bmm(h, W2), torch.bmm(h.transpose(1, 2), dl)
        torch.bmm(dl, W2.transpose(1, 2)), torch.bmm(emb.transpose(1, 2), h), torch.bmm(h, W1.transpose(1, 2))
    step()
    t = time.perf_counter()
    for _ in range(reps):
        step()
    dt = (time.perf_counter() - t) / reps
    return M * mlp_flops(spec, V, block) / dt / 1e9


def big_matmul_rate(n: int = 1024, reps: int = 10) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--names", default=str(ROOT / "data" / "names.txt"), help="the names.txt word list")
    p.add_argument("--config", default=str(ROOT / "config.yaml"))
    p.add_argument("--experiment", default="kaiming", help="the experiment whose seeds are stacked")
    p.add_argument("--steps", type=int, default=600, help="training steps per model")
    p.add_argument("--models", type=int, nargs="+", default=[1, 6, 30])
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--profile", action="store_true", help="profile the engine (torch.profiler) at the largest M")
    p.add_argument("--compile", action="store_true", help="time the engine's step under torch.compile too (1 thread)")
    a = p.parse_args()

    cfg = load(a.config)
    base = cfg["resolved"][a.experiment]
    data = load_dataset(a.names, base["block_size"], base["split_seed"])
    V, block = len(data.vocab), data.block_size
    fl = (deep_flops if base["kind"] == "deep" else mlp_flops)(base, V, block)
    print(f"# {a.experiment} ({base['kind']}), {a.steps} steps per model, torch {torch.__version__}, "
          f"{torch.backends.cpu.get_cpu_capability()}; {fl / 1e6:.2f} MFLOP of matmuls per model-step")
    print(f"{'threads':>7} {'models':>6} {'simple m-steps/s':>17} {'engine m-steps/s':>17} {'ratio':>6} "
          f"{'per core':>8} {'simple peak MB':>14} {'engine peak MB':>14} {'engine GFLOP/s':>14}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for th in a.threads:
            torch.set_num_threads(th)
            for n in a.models:
                specs = specs_for(base, n, a.steps)
                reset_peak()
                t_simple = bench_simple(specs, data, Path(tmp) / f"t{th}m{n}")
                mem_simple = peak_mb()
                reset_peak()
                t_engine = bench_engine(specs, data)
                mem_engine = peak_mb()
                rs, re_ = n * a.steps / t_simple, n * a.steps / t_engine
                rows.append((th, n, rs, re_))
                print(f"{th:>7} {n:>6} {rs:>17.0f} {re_:>17.0f} {re_ / rs:>5.1f}x {re_ / rs:>7.1f}x "
                      f"{mem_simple:>14.0f} {mem_engine:>14.0f} {re_ * fl / 1e9:>14.1f}", flush=True)
    print("# 'per core' compares the two at the same thread count, so it is the ratio; the simple loop gains")
    print("# nothing from a second thread, so the engine's 2-thread rate over the simple 1-thread rate, / 2, is:")
    for th, n, _, re_ in rows:
        if th > 1:
            base1 = next(r[2] for r in rows if r[0] == 1 and r[1] == n) if any(r[0] == 1 for r in rows) else None
            if base1:
                print(f"#   {n} models on {th} threads: {re_ / base1 / th:.1f}x per core")

    if base["kind"] == "mlp":
        torch.set_num_threads(1)
        big = big_matmul_rate()
        print(f"\n# arithmetic limit (1 thread): a 1024x1024 matmul runs at {big:.1f} GFLOP/s here")
        for n in a.models:
            mm = matmul_rate(n, base, V, block)
            limit = mm * 1e9 / fl
            eng = next(r[3] for r in rows if r[0] == 1 and r[1] == n)
            print(f"#   {n:>2} models: the step's six bmm alone run at {mm:.1f} GFLOP/s = {limit:.0f} model-steps/s "
                  f"(engine {eng:.0f}: {100 * eng / limit:.0f}% of it); at the big-matmul rate "
                  f"{big * 1e9 / fl:.0f} model-steps/s")

    if a.compile and base["kind"] == "mlp":
        torch.set_num_threads(1)
        print(f"\n# torch.compile (Inductor) of the engine's step, 1 thread, {a.steps} steps, the same init and batches")
        for n in a.models:
            eager, compiled, took, diff = compiled_vs_eager(base, data, n, a.steps)
            same = "the same bits" if diff == 0 else f"parameters differ by up to {diff:.2e}"
            print(f"#   {n:>2} models: eager {eager:.0f} m-steps/s, compiled {compiled:.0f} ({compiled / eager:.2f}x; "
                  f"{took:.0f} s to compile); {same}")

    if a.profile:
        torch.set_num_threads(1)
        n = max(a.models)
        specs = specs_for(base, n, min(a.steps, 300))
        from torch.profiler import ProfilerActivity, profile
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            train_group(specs, data, log=io.StringIO())
        print(f"\n# profile: engine, {n} models, {specs[0]['steps']} steps, 1 thread")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=18))


if __name__ == "__main__":
    main()
