"""Every row of the speed table, in retrograd and PyTorch (and HIPS autograd, MyGrad and JAX for
reference when they are installed), each library in its own processes, several rounds; prints a
markdown table of medians and ratios retrograd / PyTorch with the targets of the speed issue and
the machine it ran on.

    python benchmarks/run_all.py                 # every row, 3 rounds (a few minutes)
    python benchmarks/run_all.py --rounds 5 --only cnn,lstm
    python benchmarks/run_all.py --quick --only chain   # seconds: a check that the runner works
    python benchmarks/run_all.py --baseline /tmp/base   # before/after: another checkout, same run

Rows (``--only`` takes these names, comma-separated or repeated): chain, ops, mlp, graph2m,
nn_mlp, cnn, lstm, forward_ad, random (seeded draws, the same numbers as PyTorch's), import,
rss. Each round starts a fresh process per library for the timed rows (all of them in one),
one per library for ``rss`` (ru_maxrss of a process that ran only that) and one per library for
``import`` (which times ``import X``, then ``import X.nn, X.optim, X.nn.functional`` after it,
what a PyTorch script does: the second row, no target); the table shows the median over rounds of each process's median. BLAS/OpenMP
threads: one unless ``--threads`` says otherwise (the LSTM and forward-AD rows always pin
PyTorch to one thread, as their own scripts do).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GROUPS = ["chain", "ops", "mlp", "graph2m", "nn_mlp", "cnn", "lstm", "forward_ad", "random", "import",
          "rss"]
REFERENCE_LIBS = ["autograd", "mygrad", "jax"]
OP_LIMIT = 1.3  # no single op of the ops rows above this ratio

# (key, group, label, unit, target text, target ratio or None); "import" is judged on seconds
ROWS = [
    ("chain", "chain", "chain: 300 × `(y*w+b).tanh()`, 1-element, fwd+bwd", "µs/op", "≤ 1.0", 1.0),
    ("ops 1", "ops", "25 common ops on (1,), fwd+bwd, geometric mean", "µs", "≤ 1.0, none > 1.3",
     1.0),
    ("ops 16x16", "ops", "25 common ops on (16,16), fwd+bwd, geometric mean", "µs",
     "≤ 1.0, none > 1.3", 1.0),
    ("mlp", "mlp", "MLP 784-512-256-10 by hand, batch 128, CE + SGD step", "ms", "≤ 0.8", 0.8),
    ("graph2m", "graph2m", "2M float32 `((x*x + x.sin()) * 0.5).tanh().sum()`, fwd+bwd", "ms",
     "≤ 1.0", 1.0),
    ("nn_mlp", "nn_mlp", "nn MLP 784-512-256-10, batch 128, CrossEntropyLoss + SGD step", "ms",
     "≤ 1.0 (nn bar)", 1.0),
    ("cnn", "cnn", "nn CNN training step, batch 32, 28×28", "ms", "≤ 1.5 (nn bar 2.0)", 1.5),
    ("cnn conv1", "cnn", "  conv1 1→16 alone, fwd+bwd", "ms", "—", None),
    ("cnn conv2", "cnn", "  conv2 16→32 alone, fwd+bwd", "ms", "—", None),
    ("lstm", "lstm", "nn LSTM float32 step (seq 32, batch 16, 32→128)", "ms", "≤ 1.5 (nn bar 2.0)",
     1.5),
    ("lstm64", "lstm", "nn LSTM float64, same step", "ms", "≤ 1.5", 1.5),
    ("gru", "lstm", "nn GRU float32, same step", "ms", "—", None),
    ("fwad sin", "forward_ad", "forward AD: `sin` of a 1-element dual tensor", "µs", "≤ 1.5", 1.5),
    ("fwad mlp", "forward_ad", "forward AD: MLP 16-32-32-4 in a dual_level", "µs", "≤ 1.5", 1.5),
    ("fwad jvp", "forward_ad", "forward AD: func.jvp of the same MLP", "µs", "≤ 1.5", 1.5),
    ("random randn", "random", "seeded `randn(1_000_000)` float32 (bit-identical)", "ms", "—", None),
    ("random randn64", "random", "  `randn` 1M float64", "ms", "—", None),
    ("random normal_", "random", "  `normal_(1, 2)` 1M float32", "ms", "—", None),
    ("random rand", "random", "  `rand` 1M float32", "ms", "—", None),
    ("random rand64", "random", "  `rand` 1M float64", "ms", "—", None),
    ("random uniform_", "random", "  `uniform_(-1, 1)` 1M float32", "ms", "—", None),
    ("random randint", "random", "  `randint(0, 10, (1_000_000,))`", "ms", "—", None),
    ("random randperm", "random", "  `randperm(1_000_000)`", "ms", "—", None),
    ("random randn small", "random", "  `randn(64, 64)` float32", "µs", "—", None),
    ("import", "import", "`import` in a fresh process, bytecode compiled", "s", "≤ 0.10 s", None),
    ("import nn", "import", "  `import` + `nn`, `optim`, `nn.functional` (same process)", "s", "—",
     None),
    ("rss", "rss", "peak RSS, 200 nn MLP training steps (own process)", "MiB", "< 1.0", 1.0),
]


# --- the worker: one library, one process -----------------------------------------------------

def worker(lib: str, rows: list[str], scale: float, threads: int, clock: str,
           baseline: str | None) -> None:
    sys.path.insert(0, str(HERE))
    if clock == "cpu":
        import time  # every timing here and in the bench_* scripts reads time.perf_counter
        time.perf_counter = time.process_time
    import _workloads as W
    import numpy as np
    if lib in ("retrograd", "baseline", "torch"):
        if lib != "torch":   # imported first, so the bench_* scripts reuse this retrograd
            sys.path.insert(0, baseline if lib == "baseline" else str(ROOT))
        T = __import__("torch" if lib == "torch" else "retrograd")
        if lib == "torch":
            T.set_num_threads(threads)
        res = {}
        for row in rows:
            res.update({**W.TIMED, **W.ISOLATED}[row](T, scale))
        version = T.__version__
    else:
        res = {}
        for row in rows:
            res.update(W.REFERENCE_ROWS[row](lib, scale))
        version = __import__(lib).__version__
    res["_meta"] = {"version": version, "numpy": np.__version__}
    print(json.dumps(res))


def import_time(lib: str, baseline: str | None) -> tuple[float, float]:
    """Seconds of ``import lib`` in a fresh process, and of that import followed by what a
    PyTorch script imports next (``lib.nn``, ``lib.optim``, ``lib.nn.functional``)."""
    root = baseline if lib == "baseline" else str(ROOT)
    name = "retrograd" if lib == "baseline" else lib
    code = ("import sys, time\nsys.path.insert(0, %r)\nt = time.perf_counter()\nimport %s\n"
            "t1 = time.perf_counter()\nimport %s.nn, %s.optim, %s.nn.functional\n"
            "print(t1 - t, time.perf_counter() - t)" % (root, name, name, name, name))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, total = out.stdout.strip().splitlines()[-1].split()
    return float(first), float(total)


# --- the parent -------------------------------------------------------------------------------

def installed(lib: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(lib) is not None


def run_worker(lib, rows, scale, env, baseline):
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", lib, "--rows", ",".join(rows),
           "--scale", str(scale), "--threads", env["BENCH_THREADS"], "--clock",
           env["BENCH_CLOCK"]] + (["--baseline", baseline] if baseline else [])
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode:
        raise SystemExit(f"{lib} worker failed ({' '.join(rows)}):\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def collect(libs, groups, rounds, scale, threads, clock, baseline=None):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), BENCH_THREADS=str(threads), BENCH_CLOCK=clock)
    samples = {lib: {} for lib in libs}
    meta = {}
    if "import" in groups:
        for root in [ROOT] + ([Path(baseline)] if baseline else []):
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "retrograd")],
                           check=True)
        for lib in libs:
            import_time(lib, baseline)  # compiles what is left uncompiled, warms the disk cache
    for r in range(rounds):
        order = libs if r % 2 == 0 else libs[::-1]  # alternate, so drift hits both alike
        for lib in order:
            ref = lib in REFERENCE_LIBS
            timed = [g for g in groups if g not in ("import", "rss")
                     and (not ref or g in ("chain", "graph2m"))]
            jobs = ([timed] if timed else []) + ([["rss"]] if "rss" in groups and not ref else [])
            for rows in jobs:
                res = run_worker(lib, rows, scale, env, baseline)
                meta[lib] = res.pop("_meta")
                for key, value in res.items():
                    samples[lib].setdefault(key, []).append(value)
            if "import" in groups:
                first, total = import_time(lib, baseline)
                samples[lib].setdefault("import", []).append(first)
                samples[lib].setdefault("import nn", []).append(total)
    medians = {lib: {k: statistics.median(v) for k, v in s.items()} for lib, s in samples.items()}
    return medians, meta


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def openblas_core() -> str | None:
    """The kernel set OpenBLAS picked for this CPU (``OPENBLAS_CORETYPE`` overrides it), read
    from the library NumPy loaded; None when that is not an OpenBLAS exposing its name."""
    import ctypes
    import numpy as np
    libs = Path(np.__file__).parent.parent / "numpy.libs"
    for lib in sorted(libs.glob("*openblas*")) if libs.is_dir() else []:
        try:
            dll = ctypes.CDLL(str(lib))
        except OSError:
            continue
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                     "openblas_get_corename"):
            fn = getattr(dll, name, None)
            if fn is not None:
                fn.restype = ctypes.c_char_p
                return fn().decode()
    return None


def machine(meta, threads) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numpy as np
    try:
        blas = np.__config__.CONFIG["Build Dependencies"]["blas"]
        blas = f"{blas['name']} {blas.get('version', '')}".strip()
    except (AttributeError, KeyError, TypeError):
        blas = "unknown BLAS"
    core = openblas_core()
    if core:
        blas += f", kernels: {core}"
    libs = ", ".join(f"{lib} {m['version']}" for lib, m in meta.items()
                     if lib not in ("retrograd", "baseline"))
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, numpy "
            f"{np.__version__} ({blas}), {libs}; BLAS/OpenMP threads: {threads}")


def fmt(value, unit):
    if value is None:
        return "—"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:.2f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def table(med, libs, groups) -> list[str]:
    refs = [lib for lib in libs if lib in REFERENCE_LIBS]
    base = med.get("baseline")
    ours, theirs = med.get("retrograd", {}), med.get("torch", {})
    op_ratios, base_ratios = {}, {}
    for shape in ("1", "16x16"):
        keys = [k for k in ours if k.startswith(f"ops {shape}: ")]
        if keys and all(k in theirs for k in keys):
            for lib in libs:
                if all(k in med[lib] for k in keys):
                    med[lib][f"ops {shape}"] = geomean([med[lib][k] for k in keys])
            op_ratios[shape] = {k.split(": ", 1)[1]: ours[k] / theirs[k] for k in keys}
            if base and all(k in base for k in keys):
                base_ratios[shape] = {k.split(": ", 1)[1]: base[k] / theirs[k] for k in keys}
    head = ["workload", "target (ratio)", "retrograd", "PyTorch", "ratio", "meets target?"]
    if base:
        head += ["baseline", "baseline ratio"]
    lines = ["| " + " | ".join(head + refs) + " |", "|" + "---|" * (len(head) + len(refs))]
    for key, group, label, unit, target, bar in ROWS:
        if group not in groups or key not in ours:
            continue
        r, p = ours[key], theirs.get(key)
        ratio = r / p if p else None
        if key == "import":
            meets = "yes" if r <= 0.10 else "no"
        elif bar is None or ratio is None:
            meets = "—"
        else:
            meets = "yes" if ratio <= bar else "no"
            if key.startswith("ops "):
                over = [n for n, v in op_ratios[key[4:]].items() if v > OP_LIMIT]
                if over:
                    meets = f"no ({len(over)} ops > {OP_LIMIT})"
        cells = [label, target, fmt(r, unit), fmt(p, unit),
                 f"{ratio:.2f}x" if ratio else "—", meets]
        if base:
            b = base.get(key)
            cells += [fmt(b, unit), f"{b / p:.2f}x" if b and p else "—"]
        cells += [fmt(med[lib].get(key), unit) for lib in refs]
        lines.append("| " + " | ".join(cells) + " |")
    if op_ratios:
        names = list(next(iter(op_ratios.values())))
        cols = [("", op_ratios)] + ([("baseline ", base_ratios)] if base_ratios else [])
        heads = [f"{who}({s})" for who, table_ in cols for s in table_]
        lines += ["", f"Each op of the ops rows, ratio retrograd / PyTorch (**bold**: above "
                  f"{OP_LIMIT}):", "", "| op | " + " | ".join(heads) + " |",
                  "|---|" + "---|" * len(heads)]
        for name in names:
            cells = []
            for _, table_ in cols:
                for shape in table_:
                    v = table_[shape][name]
                    cells.append(f"**{v:.2f}**" if v > OP_LIMIT else f"{v:.2f}")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="processes per library and row")
    parser.add_argument("--quick", action="store_true",
                        help="1 round, a tenth of the repeats: checks that everything runs")
    parser.add_argument("--only", action="append", default=[], metavar="ROW",
                        help="rows to run (default: all): " + ", ".join(GROUPS))
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall time (default), or the process's CPU time: steadier on a "
                             "shared machine, meaningful with one thread only")
    parser.add_argument("--no-reference", action="store_true",
                        help="skip HIPS autograd, MyGrad and JAX even when installed")
    parser.add_argument("--baseline", metavar="PATH",
                        help="also time the retrograd of another checkout at PATH (before/after "
                             "in the same run: columns 'baseline' and its ratio to PyTorch)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--rows", help=argparse.SUPPRESS)
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.rows.split(","), args.scale, args.threads, args.clock,
               args.baseline)
        return
    groups = [g for item in args.only for g in item.split(",") if g] or GROUPS
    unknown = sorted(set(groups) - set(GROUPS))
    if unknown:
        parser.error(f"unknown rows {unknown}; choose from {', '.join(GROUPS)}")
    groups = [g for g in GROUPS if g in groups]
    rounds, scale = (1, 0.1) if args.quick else (args.rounds, 1.0)
    refs = [] if args.no_reference else [lib for lib in REFERENCE_LIBS if installed(lib)]
    missing = [lib for lib in REFERENCE_LIBS if lib not in refs]
    if args.baseline:
        args.baseline = str(Path(args.baseline).resolve())
        if not (Path(args.baseline) / "retrograd" / "__init__.py").is_file():
            parser.error(f"--baseline {args.baseline}: no retrograd package there")
    libs = ["retrograd", "torch"] + (["baseline"] if args.baseline else []) + refs
    if args.clock == "cpu" and args.threads != 1:
        parser.error("--clock cpu needs --threads 1 (CPU time adds up every thread's)")
    med, meta = collect(libs, groups, rounds, scale, args.threads, args.clock, args.baseline)
    print(f"Machine: {machine(meta, args.threads)}")
    print(f"Medians over {rounds} round(s) of fresh processes per library, "
          f"{'wall' if args.clock == 'wall' else 'CPU (process)'} time"
          + (" (--quick: numbers are only indicative)" if args.quick else "")
          + "; ratio = retrograd / PyTorch (below 1: faster than PyTorch).")
    if missing and not args.no_reference:
        print(f"Reference libraries not installed (their columns skipped): {', '.join(missing)}.")
    if args.baseline:
        print(f"baseline: the retrograd at {args.baseline}.")
    print()
    print("\n".join(table(med, libs, groups)))


if __name__ == "__main__":
    main()
