"""What the DataLoader's iterators and its worker processes share (torch.utils.data._utils)."""
from __future__ import annotations

import atexit

MP_STATUS_CHECK_INTERVAL = 5.0
"""Seconds between a worker's checks that the main process is still alive, and how long shutdown
waits for a worker to exit before terminating it."""

python_exit_status = False
"""Set at interpreter exit: iterators then leave their daemonic workers to multiprocessing."""


def _set_python_exit_flag() -> None:
    global python_exit_status
    python_exit_status = True


atexit.register(_set_python_exit_flag)

from . import collate, fetch, worker  # noqa: E402,F401
