"""A 300-step chain of ``y = (y * w + b).tanh()`` on 1-element tensors, forward + backward, in
retrograd and in PyTorch, in one process run. Prints microseconds per op for each and the ratio.

This measures the per-op overhead (Python around each op, node creation, the engine's step),
which is what dominates small-tensor autograd. Run: ``python benchmarks/bench_chain.py``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STEPS = 300
OPS_PER_STEP = 3  # mul, add, tanh


def workload(T, steps: int = STEPS):
    w = T.tensor([0.5], requires_grad=True)
    b = T.tensor([0.1], requires_grad=True)
    x = T.tensor([0.3], requires_grad=True)

    def run():
        y = x
        for _ in range(steps):
            y = (y * w + b).tanh()
        y.sum().backward()
        w.grad = None
        b.grad = None
        x.grad = None
    return run


def time_per_op(T, repeats: int, steps: int = STEPS) -> float:
    """Median over ``repeats`` runs of the whole forward + backward, in µs per op."""
    run = workload(T, steps)
    run()  # warm up
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples) / (steps * OPS_PER_STEP) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    import retrograd
    import torch
    torch.set_num_threads(1)
    # Interleave the libraries so that machine noise hits both alike.
    ours, ref = [], []
    for _ in range(3):
        ours.append(time_per_op(retrograd, args.repeats))
        ref.append(time_per_op(torch, args.repeats))
    r, p = min(ours), min(ref)
    print(f"chain of (y * w + b).tanh(), {STEPS} steps, 1-element tensors, forward + backward")
    print(f"retrograd: {r:6.2f} us/op")
    print(f"pytorch:   {p:6.2f} us/op   (torch {torch.__version__})")
    print(f"ratio retrograd / pytorch: {r / p:.2f}x")


if __name__ == "__main__":
    main()
