"""Forward + backward of the common losses in retrograd and in PyTorch, in one process run:
cross_entropy (class indices, with and without label smoothing; a (N, C, H, W) input),
binary_cross_entropy_with_logits and mse_loss, at a small size (per-call overhead) and a large
one (NumPy kernels). Prints the median time per call for each library and the ratio.

Run: ``python benchmarks/bench_loss.py`` (``--repeats N`` to change the number of timed runs).
PyTorch is limited to one thread, as retrograd's kernels are single-threaded NumPy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def cases(T, small: bool):
    rng = np.random.default_rng(0)
    n, c = (8, 10) if small else (512, 1000)
    x = T.tensor(rng.standard_normal((n, c)).astype(np.float32), requires_grad=True)
    t = T.tensor(rng.integers(0, c, n))
    p = T.tensor(rng.random((n, c)).astype(np.float32))
    img = T.tensor(rng.standard_normal((2 if small else 8, 5, 4 if small else 64, 64 if not small
                                        else 4)).astype(np.float32), requires_grad=True)
    timg = T.tensor(rng.integers(0, 5, (img.shape[0], img.shape[2], img.shape[3])))
    F = T.nn.functional
    return {
        "cross_entropy": (lambda: F.cross_entropy(x, t), x),
        "cross_entropy_smoothing": (lambda: F.cross_entropy(x, t, label_smoothing=0.1), x),
        "cross_entropy_4d": (lambda: F.cross_entropy(img, timg), img),
        "bce_with_logits": (lambda: F.binary_cross_entropy_with_logits(x, p), x),
        "mse_loss": (lambda: F.mse_loss(x, p), x),
    }


def time_call(fn, leaf, repeats: int) -> float:
    def once():
        leaf.grad = None
        fn().backward()
    for _ in range(3):
        once()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(10):
            once()
        times.append((time.perf_counter() - start) / 10)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    import retrograd
    print(f"{'case':<28}{'retrograd':>12}{'torch':>12}{'ratio':>8}")
    for small in (True, False):
        ours, ref = cases(retrograd, small), cases(torch, small)
        for name in ours:
            a = time_call(*ours[name], args.repeats)
            b = time_call(*ref[name], args.repeats)
            label = f"{name} ({'small' if small else 'large'})"
            print(f"{label:<28}{a * 1e6:>10.1f}us{b * 1e6:>10.1f}us{a / b:>8.2f}")


if __name__ == "__main__":
    main()
