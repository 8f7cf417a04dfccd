"""Keep large NumPy buffers in the process heap instead of fresh pages (glibc only).

NumPy takes every array's memory from ``malloc``. glibc serves blocks above its mmap threshold
with fresh ``mmap`` pages and returns freed memory at the heap's top to the kernel once more than
the trim threshold lies there; both thresholds start small (128 KiB, 256 KiB) and adapt only
partly. A graph over multi-megabyte tensors allocates and frees a few buffers per op, and each
fresh page costs a page fault and the kernel's zeroing: on the 2M-element graph of the speed
table (``((x*x + x.sin()) * 0.5).tanh().sum()``, forward and backward) that was more than half
the time (``run_all.py --clock cpu``: 26.1 ms -> 11.6 ms with the settings below; PyTorch 24.5).

``tune()`` raises the mmap threshold to glibc's maximum (32 MiB on 64-bit) and the trim threshold
to 256 MiB, once, at import. Memory freed stays in the process for reuse (as PyTorch's caching
allocators do on GPUs) up to that much above the heap's top. Not applied when the user set either
threshold through glibc's own environment variables (``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_``), or outside glibc.
"""
from __future__ import annotations

import os

__all__ = ["tune"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024

_tuned = False


def tune() -> bool:
    """Apply the thresholds above (once per process); True if they were set."""
    global _tuned
    if _tuned:
        return True
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None)
        if getattr(libc, "gnu_get_libc_version", None) is None:  # not glibc
            return False
        mallopt = libc.mallopt
    except (OSError, AttributeError, ImportError):  # pragma: no cover - no C library to ask
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # both or neither: setting one stops glibc's own adaptation of the other
    if mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD):
        _tuned = True
    return _tuned
