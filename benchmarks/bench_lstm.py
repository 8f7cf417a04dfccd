"""One training step of a recurrent model in retrograd and in PyTorch, each library in its own
process (their OpenMP and OpenBLAS threads fight in one). Prints milliseconds per step for each
and the ratio.

The step: nn.LSTM (1 layer, input 32, hidden 128) over a (seq 32, batch 16) float32 sequence, a
linear head on every step's output, the MSE written with ops ((y - target) ** 2).mean(),
backward, and the SGD update done by hand (p -= lr * p.grad under no_grad, grads zeroed).
Rows: float32 LSTM (torch's oneDNN layer; retrograd's fused mkldnn_rnn_layer), float64 LSTM
(both build the graph step by step: unbind, addmm, unsafe_chunk, sigmoid/tanh, mul, stack),
and a float32 GRU (step by step in both).

Both run with one BLAS thread (OPENBLAS_NUM_THREADS=1, torch.set_num_threads(1)).

Run: ``python benchmarks/bench_lstm.py``.
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
SEQ, BATCH, INPUT, HIDDEN = 32, 16, 32, 128


def _median_ms(fn, number: int, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - t0) / number)
    return statistics.median(samples) * 1e3


def measure(lib: str, repeats: int) -> dict:
    if lib == "retrograd":
        sys.path.insert(0, str(ROOT))
        import retrograd as T
    else:
        import torch as T
        T.set_num_threads(1)
    import numpy as np

    def step_fn(cls, dtype):
        rng = np.random.default_rng(0)
        T.manual_seed(0)
        rnn = getattr(T.nn, cls)(INPUT, HIDDEN).to(dtype)
        head = T.nn.Linear(HIDDEN, 1).to(dtype)
        params = list(rnn.parameters()) + list(head.parameters())
        x = T.tensor(rng.standard_normal((SEQ, BATCH, INPUT)), dtype=dtype)
        target = T.tensor(rng.standard_normal((SEQ, BATCH, 1)), dtype=dtype)

        def step():
            out, _ = rnn(x)
            loss = ((head(out) - target) ** 2).mean()
            loss.backward()
            with T.no_grad():
                for p in params:
                    p -= 0.01 * p.grad
                    p.grad = None
            return loss
        return step

    return {
        f"LSTM float32 (seq {SEQ}, batch {BATCH}, {INPUT} -> {HIDDEN}) + head + MSE + SGD":
            _median_ms(step_fn("LSTM", T.float32), 5, repeats),
        "LSTM float64, same step": _median_ms(step_fn("LSTM", T.float64), 5, repeats),
        "GRU float32, same step": _median_ms(step_fn("GRU", T.float32), 5, repeats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--lib", choices=["retrograd", "torch"])
    args = parser.parse_args()
    if args.lib:
        print(json.dumps(measure(args.lib, args.repeats)))
        return
    # one BLAS/OpenMP thread in both (torch.set_num_threads(1) in its process): on these shared
    # 2-core machines a multi-threaded OpenBLAS spends milliseconds per small GEMM waiting
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    out = {}
    for lib in ("retrograd", "torch"):
        p = subprocess.run([sys.executable, __file__, "--lib", lib, "--repeats", str(args.repeats)],
                           capture_output=True, text=True, check=True, env=env)
        out[lib] = json.loads(p.stdout.strip().splitlines()[-1])
    print("| training step | retrograd ms | PyTorch ms | ratio |\n|---|---|---|---|")
    for row in out["retrograd"]:
        r, p = out["retrograd"][row], out["torch"][row]
        print(f"| {row} | {r:.2f} | {p:.2f} | {r / p:.2f}x |")


if __name__ == "__main__":
    main()
