"""A fresh interpreter for the import tests: what loads at import is only visible in one."""
from __future__ import annotations

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_fresh(code: str):
    """Run ``code`` in a fresh interpreter (this checkout first on sys.path); its last stdout
    line is JSON."""
    code = f"import sys; sys.path.insert(0, {ROOT!r})\n" + code
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])
