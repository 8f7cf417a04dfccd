"""Per-sample gradients (vmap of grad) of a 2-layer MLP (32 -> 64 -> 10, tanh, log_softmax +
NLL) over a batch of 64: retrograd's batched path against its per-example loop, and PyTorch, in
one process run; prints ms per call and the ratios. (tests/test_vmap.py checks that the batched
path runs and agrees with the loop and with torch; the speed is measured here, not asserted.)
Run: ``python benchmarks/bench_vmap.py``.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def setup(T, batch=64, d_in=32, hidden=64, classes=10):
    rng = np.random.default_rng(0)
    p = {"w1": T.tensor(rng.standard_normal((d_in, hidden)) * 0.1),
         "b1": T.tensor(np.zeros(hidden)),
         "w2": T.tensor(rng.standard_normal((hidden, classes)) * 0.1),
         "b2": T.tensor(np.zeros(classes))}
    x = T.tensor(rng.standard_normal((batch, d_in)))
    y = T.tensor(rng.integers(0, classes, batch))

    def loss(p, x, y):
        h = T.tanh(x @ p["w1"] + p["b1"])
        logits = h @ p["w2"] + p["b2"]
        return -T.log_softmax(logits, dim=-1).gather(-1, y.unsqueeze(-1)).squeeze(-1)
    f = T.func.vmap(T.func.grad(loss), in_dims=(None, 0, 0))
    return lambda: f(p, x, y)


def best_ms(fn, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def main() -> None:
    import torch

    import retrograd
    from retrograd.func._vmap import per_example

    ours = setup(retrograd)
    batched = best_ms(ours)
    with per_example():
        loop = best_ms(ours)
    ref = best_ms(setup(torch))
    print(f"retrograd batched      {batched:8.2f} ms")
    print(f"retrograd per example  {loop:8.2f} ms  ({loop / batched:.1f}x the batched path)")
    print(f"torch.func             {ref:8.2f} ms  (retrograd batched / torch: {batched / ref:.2f})")


if __name__ == "__main__":
    main()
