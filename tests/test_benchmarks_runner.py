"""The benchmark command (benchmarks/run_all.py) runs and prints its table: one quick row, in
subprocesses as the command always runs. No timing is asserted (the numbers are machine noise
here); only that both libraries ran and the table has its columns and the row."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_run_all_quick_chain_prints_the_row():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--quick",
                          "--only", "chain", "--no-reference"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("Machine: ") and "torch 2." in lines[0]
    assert "| workload | target (ratio) | retrograd | PyTorch | ratio | meets target? |" in lines
    row = next(line for line in lines if line.startswith("| chain: "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "≤ 1.0" and cells[2].endswith(" µs/op") and cells[3].endswith(" µs/op")
    assert cells[4].endswith("x") and float(cells[4][:-1]) > 0 and cells[5] in ("yes", "no")


def test_run_all_rejects_an_unknown_row():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run_all.py"), "--only",
                          "nosuchrow"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 2 and "unknown rows ['nosuchrow']" in out.stderr


def test_ab_min_prints_each_library_and_the_ratio():
    """benchmarks/ab_min.py (per-process minima for a noisy machine): one process per library
    and a few runs each; no timing is asserted."""
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "ab_min.py"), "--procs", "1",
                          "--reps", "2"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("retrograd  µs/op per process: ") and len(lines[0].split()) == 6
    assert lines[1].startswith("torch      µs/op per process: ")
    assert lines[2].startswith("retrograd / torch: lowest ") and lines[2].endswith("x")
