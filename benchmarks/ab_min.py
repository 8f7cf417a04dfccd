"""A steadier chain (or other workload) comparison on a noisy machine: per-process minimum times.

On a shared VM the same workload can run fast or ~1.6x slower depending on how a process
lands, for PyTorch too; ``run_all.py``'s medians then move by ±30% between runs. This runs one
workload -- the chain (``bench_chain.workload``, µs per op), or a training step of the MLP by
hand or the nn MLP (``_workloads.mlp_step``/``nn_mlp_step``, ms per step) -- in 2*N alternating
fresh processes per library, takes each process's minimum over ``--reps`` runs (CPU time), and
prints the sorted minima and the ratios of the lowest and of the median minimum.

    python benchmarks/ab_min.py                       # the chain, retrograd vs PyTorch
    python benchmarks/ab_min.py --baseline /tmp/base  # and another retrograd checkout
    python benchmarks/ab_min.py --row nn_mlp --reps 40
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
sys.path.insert(0, {here!r})
lib, root, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
if lib != "torch":
    sys.path.insert(0, root)
T = __import__("torch" if lib == "torch" else "retrograd")
if lib == "torch":
    T.set_num_threads(1)
row = sys.argv[4]
if row == "chain":
    from bench_chain import OPS_PER_STEP, STEPS, workload
    f, per = workload(T), STEPS * OPS_PER_STEP / 1e6     # µs per op
else:
    import _workloads
    f, per = getattr(_workloads, row + "_step")(T), 1e-3  # ms per step
for _ in range(5):
    f()
best = float("inf")
for _ in range(reps):
    t = time.process_time()
    f()
    best = min(best, time.process_time() - t)
print(best / per)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--procs", type=int, default=6, help="processes per library (x2)")
    parser.add_argument("--reps", type=int, default=60, help="runs per process")
    parser.add_argument("--baseline", help="another retrograd checkout to compare")
    parser.add_argument("--row", choices=["chain", "mlp", "nn_mlp"], default="chain",
                        help="the workload (default: chain)")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    libs = [("retrograd", str(ROOT)), ("torch", "")]
    if args.baseline:
        libs.insert(1, ("baseline", args.baseline))
    code = _CHILD.format(here=str(HERE))
    mins: dict[str, list[float]] = {name: [] for name, _ in libs}
    for i in range(2 * args.procs):
        for name, root in (libs if i % 2 == 0 else libs[::-1]):
            out = subprocess.run([sys.executable, "-c", code, name, root, str(args.reps),
                                  args.row],
                                 capture_output=True, text=True, env=env, check=True)
            mins[name].append(float(out.stdout.strip().splitlines()[-1]))
    unit = "µs/op" if args.row == "chain" else "ms/step"
    for name, values in mins.items():
        print(f"{name:10s} {unit} per process: " + " ".join(f"{v:.2f}" for v in sorted(values)))
    ref = mins["torch"]
    for name, values in mins.items():
        if name != "torch":
            print(f"{name} / torch: lowest {min(values) / min(ref):.2f}x, median "
                  f"{statistics.median(values) / statistics.median(ref):.2f}x")


if __name__ == "__main__":
    main()
