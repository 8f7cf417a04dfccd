"""Forward-mode AD in retrograd and in PyTorch, each library in its own process (their OpenMP and
OpenBLAS threads fight in one). Prints microseconds per call for each and the ratio.

Rows:
- ``sin``: ``sin`` of a one-element dual tensor inside a ``dual_level`` (the per-op cost of
  forward AD: the op, its JVP rule, the tangent bookkeeping);
- a small MLP (16 -> 32 -> 32 -> 4, tanh, batch 8) on a dual input in a ``dual_level``, and
  ``func.jvp`` of the same MLP along a random tangent of its input.

Run: ``python benchmarks/bench_forward_ad.py``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _median_us(fn, number: int, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples) * 1e6


def measure(lib: str, repeats: int) -> dict:
    if lib == "retrograd":
        sys.path.insert(0, str(ROOT))
        import retrograd as T
        from retrograd import func
        import retrograd.autograd.forward_ad as fwAD
    else:
        import torch as T
        from torch import func
        import torch.autograd.forward_ad as fwAD
        T.set_num_threads(1)
    import numpy as np
    rng = np.random.default_rng(0)
    x = T.tensor([0.3])
    t = T.tensor([1.0])
    res = {}
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t)
        res["sin of a 1-element dual tensor"] = _median_us(lambda: d.sin(), 200, repeats)

    ws = [T.tensor(rng.standard_normal(s).astype("float32")) for s in
          [(32, 16), (32,), (32, 32), (32,), (4, 32), (4,)]]
    inp = T.tensor(rng.standard_normal((8, 16)).astype("float32"))
    tan = T.tensor(rng.standard_normal((8, 16)).astype("float32"))

    def mlp(a):
        h = (a @ ws[0].T + ws[1]).tanh()
        h = (h @ ws[2].T + ws[3]).tanh()
        return h @ ws[4].T + ws[5]

    def dual_mlp():
        with fwAD.dual_level():
            return fwAD.unpack_dual(mlp(fwAD.make_dual(inp, tan))).tangent

    res["MLP 16-32-32-4 (batch 8) in a dual_level"] = _median_us(dual_mlp, 20, repeats)
    res["func.jvp of the same MLP"] = _median_us(lambda: func.jvp(mlp, (inp,), (tan,)), 20, repeats)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--lib", choices=["retrograd", "torch"])
    args = parser.parse_args()
    if args.lib:
        print(json.dumps(measure(args.lib, args.repeats)))
        return
    out = {}
    for lib in ("retrograd", "torch"):
        p = subprocess.run([sys.executable, __file__, "--lib", lib, "--repeats", str(args.repeats)],
                           capture_output=True, text=True, check=True)
        out[lib] = json.loads(p.stdout.strip().splitlines()[-1])
    print(f"| forward AD | retrograd µs | PyTorch µs | ratio |\n|---|---|---|---|")
    for row in out["retrograd"]:
        r, p = out["retrograd"][row], out["torch"][row]
        print(f"| {row} | {r:.1f} | {p:.1f} | {r / p:.2f}x |")


if __name__ == "__main__":
    main()
