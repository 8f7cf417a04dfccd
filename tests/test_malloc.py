"""retrograd/_malloc.py: glibc's mmap/trim thresholds are raised once at import, unless the user
set them through glibc's own environment variables (then theirs stand)."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GLIBC = getattr(ctypes.CDLL(None), "gnu_get_libc_version", None) is not None

PROBE = "import retrograd, retrograd._malloc as m; print(m._tuned, m.tune())"


def _run(env_extra: dict) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    env.update(env_extra)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env,
                         cwd=ROOT, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not GLIBC, reason="the thresholds are glibc's (mallopt)")
def test_tuned_at_import_once():
    assert _run({}) == "True True"


@pytest.mark.parametrize("var", ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"])
def test_user_setting_wins(var):
    assert _run({var: "131072"}) == "False False"
