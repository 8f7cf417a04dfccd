"""Interrupted saves beyond an exception (issue 12, checkpoint faults): a KeyboardInterrupt in the
middle of a save, and a process killed outright while it writes, never leave a torn checkpoint:
the path holds the old file or the whole new one (the write goes to a temporary file moved over
the path when complete). Truncated, crafted and oversized files: test_serialization_security.py.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

import retrograd
from retrograd.serialization import _zipio


def test_keyboard_interrupt_during_a_save_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    retrograd.save({"step": 1}, path)
    old = path.read_bytes()
    real = _zipio.ZipWriter.write_record

    def interrupted(self, name, data):
        if name.startswith("data/"):
            raise KeyboardInterrupt
        return real(self, name, data)

    monkeypatch.setattr(_zipio.ZipWriter, "write_record", interrupted)
    with pytest.raises(KeyboardInterrupt):
        retrograd.save({"step": 2, "w": retrograd.ones(4)}, path)
    assert path.read_bytes() == old and os.listdir(tmp_path) == ["ckpt.pt"]


_WRITER = """
import sys
import retrograd
path = sys.argv[1]
big = retrograd.arange(float(2 ** 20))
step = 0
print("ready", flush=True)
while True:
    step += 1
    retrograd.save({"step": step, "w": big + step}, path)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_while_saving_leaves_a_whole_checkpoint(tmp_path):
    path = tmp_path / "ckpt.pt"
    retrograd.save({"step": 0, "w": retrograd.arange(float(2 ** 20))}, path)
    root = os.path.dirname(os.path.dirname(os.path.abspath(retrograd.__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for delay in (0.1, 0.4):
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, str(path)], env=env,
                                stdout=subprocess.PIPE)
        try:
            assert proc.stdout.readline().strip() == b"ready"
            time.sleep(delay)          # somewhere inside one of the saves, or between two
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        for lib in (retrograd, torch):  # whole, and readable by both
            ck = lib.load(path)
            np.testing.assert_array_equal(ck["w"].numpy(),
                                          np.arange(2.0 ** 20, dtype=np.float32) + ck["step"])
        # (a killed writer may leave its hidden temporary file; the checkpoint is never torn)
        assert [p for p in os.listdir(tmp_path) if not p.startswith(".")] == ["ckpt.pt"]
