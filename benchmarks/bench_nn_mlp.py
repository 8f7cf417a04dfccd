"""One training step of the nn issue's MLP: 784-512-256-10 (ReLU), batch 128, nn.CrossEntropyLoss,
optim.SGD, written with nn modules as a PyTorch user writes it, in retrograd and in PyTorch, each
library in its own process (their BLAS threads fight in one). Prints the median ms per step and
the ratio. Run: ``python benchmarks/bench_nn_mlp.py [--threads N] [--batch B]`` (small batches
take F.linear's column-ordered products: ``ops/linalg/matmul.by_columns``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(lib: str, repeats: int, batch: int = 128) -> float:
    if lib == "retrograd":
        sys.path.insert(0, str(ROOT))
    T = __import__(lib)
    if lib == "torch":
        T.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _workloads import nn_mlp_step
    step = nn_mlp_step(T, batch)
    for _ in range(5):
        step()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(10):
            step()
        samples.append((time.perf_counter() - t0) / 10)
    return statistics.median(samples) * 1e3


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads of each library")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lib", choices=["retrograd", "torch"])
    args = p.parse_args()
    if args.lib:
        print(json.dumps(measure(args.lib, args.repeats, args.batch)))
        return
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads),
               MKL_NUM_THREADS=str(args.threads), BENCH_THREADS=str(args.threads))
    res = {}
    for lib in ("retrograd", "torch"):
        out = subprocess.run([sys.executable, __file__, "--lib", lib, "--repeats", str(args.repeats),
                              "--batch", str(args.batch)],
                             capture_output=True, text=True, check=True, env=env)
        res[lib] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"MLP 784-512-256-10, batch {args.batch}, CrossEntropyLoss + SGD "
          f"(threads: {args.threads})")
    print("| | retrograd ms | PyTorch ms | ratio |\n|---|---|---|---|")
    print(f"| training step | {res['retrograd']:.2f} | {res['torch']:.2f} | "
          f"{res['retrograd'] / res['torch']:.2f}x |")


if __name__ == "__main__":
    main()
