"""torch.accelerator: no accelerator in a CPU-only run; what needs one raises PyTorch's error."""
from __future__ import annotations

from ._device import NO_ACCELERATOR

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize"]


def is_available() -> bool:
    return False


def current_accelerator(check_available: bool = False):
    return None


def device_count() -> int:
    return 0


def _none(*args, **kwargs):
    raise RuntimeError(NO_ACCELERATOR)


current_device_index = current_device_idx = set_device_index = synchronize = \
    current_stream = empty_cache = memory_allocated = max_memory_allocated = \
    memory_reserved = max_memory_reserved = memory_stats = reset_peak_memory_stats = _none
