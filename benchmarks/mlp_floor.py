"""Where the hand-written MLP step's time goes, and the floor it puts under the ratio.

The speed table's "MLP 784-512-256-10 by hand" row (batch 128, float32, one BLAS thread) is
matrix products: per step 3 forward GEMMs, 2 input-gradient GEMMs and 3 weight-gradient GEMMs
(``x`` needs no gradient). This runs, each in fresh processes of its own, alternating:

- ``gemm``: those 8 products alone, on NumPy arrays (what retrograd calls: OpenBLAS's sgemm);
- ``retrograd`` and ``torch``: the whole training step (``_workloads.mlp_step``);

and prints each process's 10th-percentile CPU time per step, then the shares: the products'
time over PyTorch's whole step is the lowest ratio retrograd could reach with no other cost at
all (no autograd, no elementwise work, no optimizer).

    python benchmarks/mlp_floor.py [--procs 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_CHILD = r"""
import sys, time
import numpy as np
kind = sys.argv[1]
sys.path[:0] = [{root!r}, {here!r}]
rng = np.random.default_rng(0)
if kind == "gemm":
    import retrograd  # the same process setup (allocator thresholds) as the retrograd step
    A = lambda *s: rng.standard_normal(s, dtype=np.float32)
    x, w1, w2, w3 = A(128, 784), A(784, 512), A(512, 256), A(256, 10)
    h1, h2, g1, g2, g3 = A(128, 512), A(128, 256), A(128, 512), A(128, 256), A(128, 10)
    def step():
        x @ w1; h1 @ w2; h2 @ w3                 # forward
        g3 @ w3.T; h2.T @ g3                      # layer 3: input and weight gradients
        g2 @ w2.T; h1.T @ g2                      # layer 2
        x.T @ g1                                  # layer 1: weight gradient only
else:
    T = __import__(kind)
    if kind == "torch":
        T.set_num_threads(1)
    from _workloads import mlp_step
    step = mlp_step(T)
for _ in range(5):
    step()
times = []
for _ in range(150):
    t = time.process_time()
    step()
    times.append(time.process_time() - t)
times.sort()
print(times[len(times) // 10] * 1e3)
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--procs", type=int, default=3, help="processes per kind (x2, alternating)")
    args = p.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    kinds = ["gemm", "retrograd", "torch"]
    code = _CHILD.format(root=str(ROOT), here=str(HERE))
    res: dict[str, list[float]] = {k: [] for k in kinds}
    for i in range(2 * args.procs):
        for k in (kinds if i % 2 == 0 else kinds[::-1]):
            out = subprocess.run([sys.executable, "-c", code, k], capture_output=True, text=True,
                                 env=env, check=True)
            res[k].append(float(out.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(v) for k, v in res.items()}
    for k, v in res.items():
        print(f"{k:10s} ms per step (10th percentile, per process): "
              + " ".join(f"{t:.2f}" for t in sorted(v)))
    print(f"products alone / PyTorch's step: {med['gemm'] / med['torch']:.2f}x "
          "(the floor: retrograd cannot go below this ratio while the products cost what they do)")
    print(f"retrograd's step / PyTorch's step: {med['retrograd'] / med['torch']:.2f}x; "
          f"retrograd's time beside the products: {med['retrograd'] - med['gemm']:.2f} ms")


if __name__ == "__main__":
    main()
