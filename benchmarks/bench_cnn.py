"""One training step of a small CNN in retrograd and in PyTorch, each library in its own process
(their OpenMP and OpenBLAS threads fight in one). Prints ms per step for each and the ratio, and
the forward + backward time of each convolution alone.

The model: conv(1->16, 3x3, padding 1) - relu - maxpool 2x2 - conv(16->32, 3x3, padding 1) -
relu - maxpool 2x2 - linear(1568 -> 10), batch 32 of 28x28 images; the loss is
F.log_softmax + gather + mean (cross entropy), then backward and an SGD update by hand under
no_grad.

Max pooling: F.max_pool2d is used when the library has it; otherwise both libraries use the
same reshape-based 2x2 max, ``x.reshape(N, C, H/2, 2, W/2, 2).amax((3, 5))`` (so the two
always run the same computation; which one is printed).

Run: ``python benchmarks/bench_cnn.py`` (``--threads 1`` pins both libraries to one thread).
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


def _median_ms(fn, number: int, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples) * 1e3


def _data():
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    w1 = (rng.standard_normal((16, 1, 3, 3)) / 3).astype(np.float32)
    b1 = np.zeros(16, np.float32)
    w2 = (rng.standard_normal((32, 16, 3, 3)) / 12).astype(np.float32)
    b2 = np.zeros(32, np.float32)
    w3 = (rng.standard_normal((10, 1568)) / 40).astype(np.float32)
    b3 = np.zeros(10, np.float32)
    return x, y, [w1, b1, w2, b2, w3, b3]


def measure(lib: str, repeats: int, pool: str, threads: int | None) -> dict:
    if lib == "retrograd":
        sys.path.insert(0, str(ROOT))
        import retrograd as T
    else:
        import torch as T
        if threads:
            T.set_num_threads(threads)
    F = T.nn.functional
    x_np, y_np, ws = _data()
    x, y = T.tensor(x_np), T.tensor(y_np)
    params = [T.tensor(w, requires_grad=True) for w in ws]

    if pool == "max_pool2d":
        def pool2(h):
            return F.max_pool2d(h, 2)
    else:
        def pool2(h):
            n, c, hh, ww = h.shape
            return h.reshape(n, c, hh // 2, 2, ww // 2, 2).amax((3, 5))

    def forward():
        w1, b1, w2, b2, w3, b3 = params
        h = pool2(F.relu(F.conv2d(x, w1, b1, padding=1)))
        h = pool2(F.relu(F.conv2d(h, w2, b2, padding=1)))
        logits = F.linear(h.reshape(h.shape[0], -1), w3, b3)
        return -F.log_softmax(logits, dim=1).gather(1, y.reshape(-1, 1)).mean()

    def step():
        loss = forward()
        loss.backward()
        with T.no_grad():
            for p in params:
                p -= 0.05 * p.grad
                p.grad = None
        return loss

    losses = [float(step().item()) for _ in range(3)]
    params[:] = [T.tensor(w, requires_grad=True) for w in ws]
    res = {"losses": losses, "step": _median_ms(step, 5, repeats)}

    # each convolution alone: forward + backward (input and weight gradients)
    for name, shape, w in (("conv1 1->16 on 32x1x28x28", (32, 1, 28, 28), ws[0]),
                           ("conv2 16->32 on 32x16x14x14", (32, 16, 14, 14), ws[2])):
        import numpy as np
        inp = T.tensor(np.random.default_rng(1).standard_normal(shape).astype(np.float32),
                       requires_grad=True)
        wt = T.tensor(w, requires_grad=True)

        def fb():
            F.conv2d(inp, wt, None, padding=1).sum().backward()
            inp.grad = wt.grad = None
        res[name] = _median_ms(fb, 10, repeats)
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--lib", choices=["retrograd", "torch"])
    parser.add_argument("--pool", choices=["max_pool2d", "reshape"])
    args = parser.parse_args()
    if args.lib:
        print(json.dumps(measure(args.lib, args.repeats, args.pool, args.threads)))
        return
    sys.path.insert(0, str(ROOT))
    import retrograd
    pool = "max_pool2d" if hasattr(retrograd.nn.functional, "max_pool2d") else "reshape"
    env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(args.threads)
    out = {}
    for lib in ("retrograd", "torch"):
        cmd = [sys.executable, __file__, "--lib", lib, "--repeats", str(args.repeats), "--pool",
               pool] + (["--threads", str(args.threads)] if args.threads else [])
        p = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
        out[lib] = json.loads(p.stdout.strip().splitlines()[-1])
    la, lb = out["retrograd"]["losses"], out["torch"]["losses"]
    # same data and weights: the losses of the first steps must agree before timing means anything
    assert all(abs(a - b) < 1e-4 * max(1.0, abs(b)) for a, b in zip(la, lb)), (la, lb)
    print(f"CNN training step, batch 32, 28x28 (pooling: {pool}; threads: "
          f"{args.threads or 'default'})")
    print("| | retrograd ms | PyTorch ms | ratio |\n|---|---|---|---|")
    for row in out["retrograd"]:
        if row == "losses":
            continue
        r, p = out["retrograd"][row], out["torch"][row]
        label = "training step" if row == "step" else row + " (fwd+bwd)"
        print(f"| {label} | {r:.2f} | {p:.2f} | {r / p:.2f}x |")


if __name__ == "__main__":
    main()
