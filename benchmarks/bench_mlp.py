"""A training step of a 2-layer MLP (784 -> 256 -> 10, tanh, log_softmax + NLL, SGD), batch 64,
in retrograd and in PyTorch in one process run; prints ms per step and the ratio.

This measures the big-tensor path (NumPy kernels, copies, gradient accumulation) rather than the
per-op overhead that bench_chain.py measures. Run: ``python benchmarks/bench_mlp.py``.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_step(T, F, data):
    x_np, y_np, w1_np, w2_np = data
    x, y = T.tensor(x_np), T.tensor(y_np)
    w1 = T.tensor(w1_np, requires_grad=True)
    b1 = T.zeros(256, requires_grad=True)
    w2 = T.tensor(w2_np, requires_grad=True)
    b2 = T.zeros(10, requires_grad=True)
    params = [w1, b1, w2, b2]
    rows = T.arange(x_np.shape[0])

    def step():
        h = (x @ w1 + b1).tanh()
        logp = F.log_softmax(h @ w2 + b2, dim=1)
        loss = -logp[rows, y].mean()
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 0.1 * p.grad
                p.grad = None
        return loss
    return step


def time_step(step, repeats: int) -> float:
    step()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) * 1e3


def main() -> None:
    import retrograd
    import retrograd.nn.functional as RF
    import torch
    import torch.nn.functional as TF
    rng = np.random.default_rng(0)
    data = (rng.standard_normal((64, 784), dtype=np.float32), rng.integers(0, 10, 64),
            (rng.standard_normal((784, 256)) * 0.03).astype(np.float32),
            (rng.standard_normal((256, 10)) * 0.06).astype(np.float32))
    # Same data, same updates: the libraries must agree on the loss before timing means anything.
    a, b = make_step(retrograd, RF, data), make_step(torch, TF, data)
    for _ in range(5):
        la, lb = a().item(), b().item()
    assert abs(la - lb) < 1e-4 * max(1.0, abs(lb)), (la, lb)
    ours, ref = [], []
    for _ in range(3):
        ours.append(time_step(make_step(retrograd, RF, data), 20))
        ref.append(time_step(make_step(torch, TF, data), 20))
    r, p = min(ours), min(ref)
    print("MLP 784-256-10, batch 64, forward + backward + SGD update")
    print(f"retrograd: {r:7.3f} ms/step")
    print(f"pytorch:   {p:7.3f} ms/step   (torch {torch.__version__}, default threads)")
    print(f"ratio retrograd / pytorch: {r / p:.2f}x")


if __name__ == "__main__":
    main()
