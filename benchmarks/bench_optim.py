"""One optimizer step over many parameters, in retrograd and in PyTorch (single thread), in one
process run: milliseconds per step for each and the ratio (retrograd / torch).

Two shapes of work: 50 parameters of 10,000 elements (NumPy's kernels dominate) and 200
parameters of 10 elements (the Python around each parameter dominates).
Run: ``python benchmarks/bench_optim.py``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

import retrograd  # noqa: E402

CASES = [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", {}), ("AdamW", {}),
         ("RMSprop", dict(centered=True)), ("Adagrad", {}), ("NAdam", {}), ("Rprop", {})]


def ms_per_step(T, name, kwargs, n, size, steps=50) -> float:
    params = [T.ones(size, requires_grad=True) for _ in range(n)]
    for p in params:
        p.grad = T.full((size,), 0.01)
    opt = getattr(T.optim, name)(params, **kwargs)
    opt.step()                                   # state created outside the timing
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            opt.step()
        best = min(best, (time.perf_counter() - t0) / steps * 1e3)
    return best


def main() -> None:
    torch.set_num_threads(1)
    for name, kwargs in CASES:
        for n, size in [(50, 10_000), (200, 10)]:
            r = ms_per_step(retrograd, name, kwargs, n, size)
            t = ms_per_step(torch, name, kwargs, n, size)
            print(f"{name:8s} {n:4d} x {size:6d}: retrograd {r:6.2f} ms  torch {t:6.2f} ms  "
                  f"ratio {r / t:.2f}")


if __name__ == "__main__":
    main()
