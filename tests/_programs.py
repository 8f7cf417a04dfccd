"""Run PyTorch programs unchanged, once under PyTorch and once under retrograd, and compare
what they print (``tests/test_programs.py``).

A program in ``tests/programs/`` is a plain PyTorch script (``import torch``, ``from torch import
nn``, ``torch.utils.data``, ...). ``collect(lib, paths)`` runs every program in one process per
library: the process imports the library once, then forks a child per program, so each program
starts from the same freshly imported state and pays no import. Under retrograd, an import
finder makes ``torch`` and every ``torch.X`` the module ``retrograd`` / ``retrograd.X`` (one
module object, not a copy). A program that raises is reported as its exception's last line, so
errors are compared too.

``compare(expected, got, rtol)`` compares two outputs: text exactly, object addresses ignored,
numbers within ``rtol`` (a program's ``# rtol: X`` line; default 1e-5) and, for two numbers
printed to the same fixed precision of 4 or more decimals (a tensor's repr), one unit in the last
digit (a rounding that lands on the other side).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROGRAMS = Path(__file__).resolve().parent / "programs"

_CHILD = r"""
import importlib, importlib.abc, importlib.util, json, os, runpy, sys, time, warnings
lib, out_dir, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
if lib == "retrograd":
    class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                return importlib.util.spec_from_loader(name, self)
            return None
        def create_module(self, spec):
            return importlib.import_module("retrograd" + spec.name[len("torch"):])
        def exec_module(self, module):
            pass
    sys.meta_path.insert(0, _Alias())
import torch
torch.set_num_threads(1)
results = {}
for i, path in enumerate(paths):
    out = os.path.join(out_dir, f"{lib}-{i}.txt")
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 0
        with open(out, "w", buffering=1) as f:   # lines reach the file as printed
            sys.stdout = f
            warnings.simplefilter("ignore")
            try:
                runpy.run_path(path, run_name="__main__")
            except SystemExit:
                pass
            except BaseException as exc:
                print(f"RAISED {type(exc).__name__}: {exc}")
                code = 1
            f.flush()
        os._exit(code)
    for _ in range(1200):                 # at most 60 s a program
        if os.waitpid(pid, os.WNOHANG)[0]:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        with open(out, "a") as f:
            f.write("TIMEOUT after 60 s\n")
    with open(out) as f:
        results[path] = f.read()
print(json.dumps(results))
"""


def collect(lib: str, paths: list[str], out_dir: str) -> subprocess.Popen:
    """Start running ``paths`` under ``lib`` ("torch" or "retrograd"); ``finish`` reads them."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.Popen([sys.executable, "-c", _CHILD, lib, out_dir, *paths],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=out_dir)


def finish(proc: subprocess.Popen) -> dict[str, str]:
    out, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the program runner failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf)")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def rtol_of(path: str) -> float:
    m = re.search(r"^# rtol: ([0-9.eE+-]+)$", Path(path).read_text(), re.M)
    return float(m.group(1)) if m else 1e-5


def _last_digit(token: str) -> tuple[int, float]:
    """The number of decimals of ``token``'s mantissa and one unit in its last digit."""
    mant, _, exp = token.lower().partition("e")
    digits = len(mant.split(".")[1]) if "." in mant else 0
    return digits, 10.0 ** (-digits + (int(exp) if exp else 0))


def _close(a: str, b: str, rtol: float) -> bool:
    if a == b:
        return True
    if "nan" in a or "inf" in a or "nan" in b or "inf" in b:
        return False
    (da, ua), (db, ub) = _last_digit(a), _last_digit(b)
    atol = 1.01 * max(ua, ub) if da == db and da >= 4 else 0.0
    x, y = float(a), float(b)
    return abs(x - y) <= atol + rtol * abs(y)


def compare(expected: str, got: str, rtol: float) -> str | None:
    """None when ``got`` prints what ``expected`` does; else the first differing line."""
    exp_lines, got_lines = expected.splitlines(), got.splitlines()
    for i, (e, g) in enumerate(zip(exp_lines, got_lines)):
        e, g = _ADDRESS.sub("0x?", e), _ADDRESS.sub("0x?", g)
        en, gn = _NUMBER.findall(e), _NUMBER.findall(g)
        if _NUMBER.sub("#", e) != _NUMBER.sub("#", g) or len(en) != len(gn) or not all(
                _close(a, b, rtol) for a, b in zip(gn, en)):
            return f"line {i + 1}:\n  torch:     {e}\n  retrograd: {g}"
    if len(exp_lines) != len(got_lines):
        n = min(len(exp_lines), len(got_lines))
        return (f"torch printed {len(exp_lines)} lines, retrograd {len(got_lines)}; first extra: "
                f"{(exp_lines + got_lines)[n] if len(exp_lines) > n else got_lines[n]}")
    return None
