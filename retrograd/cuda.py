"""torch.cuda as a CPU build of PyTorch 2.13 answers it: nothing is available, seeding is
accepted and ignored, memory counters are 0, and what needs a device raises
``AssertionError: Torch not compiled with CUDA enabled``."""
from __future__ import annotations

from collections import OrderedDict

from ._device import NO_CUDA
from ._legacy import CUDA_TYPES
from ._device import device as _dev

__all__ = ["is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all",
           "seed", "seed_all", "current_device", "get_device_name", "synchronize",
           "empty_cache", "memory_allocated", "max_memory_allocated", "memory_reserved",
           "max_memory_reserved", "device"]


def _no_cuda(*args, **kwargs):
    raise AssertionError(NO_CUDA)


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


def is_initialized() -> bool:
    return False


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return False


def is_tf32_supported() -> bool:
    return False


def get_arch_list() -> list:
    return []


def manual_seed(seed) -> None:
    """Accepted and ignored (there is no CUDA generator), as in PyTorch's CPU build."""
    int(seed)


def manual_seed_all(seed) -> None:
    int(seed)


def seed() -> None:
    return None


def seed_all() -> None:
    return None


def get_rng_state_all() -> list:
    return []


def set_rng_state(new_state, device="cuda") -> None:
    return None


def set_rng_state_all(new_states) -> None:
    return None


def empty_cache() -> None:
    return None


def memory_allocated(device=None) -> int:
    return 0


def max_memory_allocated(device=None) -> int:
    return 0


def memory_reserved(device=None) -> int:
    return 0


def max_memory_reserved(device=None) -> int:
    return 0


def memory_stats(device=None) -> OrderedDict:
    return OrderedDict()


init = current_device = get_device_name = get_device_properties = get_device_capability = \
    synchronize = initial_seed = get_rng_state = mem_get_info = current_stream = \
    default_stream = ipc_collect = _lazy_init = _no_cuda


def set_device(device) -> None:
    idx = _index(device)
    if idx >= 0:  # what PyTorch's CPU build raises
        raise AttributeError("module 'torch._C' has no attribute '_cuda_setDevice'")


def _index(dev) -> int:
    if dev is None:
        return -1
    if isinstance(dev, int):
        return dev
    d = dev if isinstance(dev, _dev) else _dev(dev)
    return -1 if d.index is None else d.index


class device:
    """``with torch.cuda.device(i):`` -- entering it with a real index raises, as in PyTorch."""

    def __init__(self, device):
        self.idx = _index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx != -1:
            raise RuntimeError("PyTorch was compiled without CUDA support")

    def __exit__(self, *exc) -> bool:
        return False


globals().update(CUDA_TYPES)  # torch.cuda.FloatTensor, ...: not constructible here
