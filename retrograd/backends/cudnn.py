"""torch.backends.cudnn: not available (a CPU build); its flags are stored and checked."""
from __future__ import annotations

import sys
import types
from contextlib import contextmanager

__all__ = ["is_available", "version", "flags", "set_flags"]

_state = {"enabled": True, "benchmark": False, "deterministic": False, "allow_tf32": True,
          "depthwise_kernel": "auto"}
_SETTER = {"enabled": "set_enabled_cudnn", "benchmark": "set_benchmark_cudnn",
           "deterministic": "set_deterministic_cudnn", "allow_tf32": "set_allow_tf32_cublas"}
_KERNELS = ("auto", "cudnn", "native")


def is_available() -> bool:
    return False


def version():
    """The cuDNN version: None, there is none."""
    return None


def _set(name: str, value) -> None:
    if name == "depthwise_kernel":
        if not isinstance(value, str):
            raise RuntimeError(f"set_cudnn_depthwise_kernel expects a string, but got "
                               f"{type(value).__name__}")
        if value not in _KERNELS:
            raise RuntimeError(f"Unknown cuDNN depthwise kernel mode: {value}. Expected one of: "
                               f"{', '.join(_KERNELS)}")
    elif not isinstance(value, bool):
        raise RuntimeError(f"{_SETTER[name]} expects a bool, but got {type(value).__name__}")
    _state[name] = value


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None,
              _allow_tf32=None, _fp32_precision="none", _depthwise_kernel=None):
    orig = (_state["enabled"], _state["benchmark"], None, _state["deterministic"],
            _state["allow_tf32"], "none", _state["depthwise_kernel"])
    for name, v in (("enabled", _enabled), ("benchmark", _benchmark),
                    ("deterministic", _deterministic), ("allow_tf32", _allow_tf32),
                    ("depthwise_kernel", _depthwise_kernel)):
        if v is not None:
            _set(name, v)
    return orig


@contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True, fp32_precision="none", depthwise_kernel="auto"):
    """Set the flags for the block, restore them after."""
    orig = set_flags(enabled, benchmark, benchmark_limit, deterministic, allow_tf32,
                     fp32_precision, depthwise_kernel)
    try:
        yield
    finally:
        set_flags(*orig)


def _prop(name: str) -> property:
    return property(lambda self: _state[name], lambda self, v: _set(name, v))


class CudnnModule(types.ModuleType):
    """The module itself, so that ``cudnn.deterministic = True`` goes through the check."""
    enabled = _prop("enabled")
    benchmark = _prop("benchmark")
    deterministic = _prop("deterministic")
    allow_tf32 = _prop("allow_tf32")
    depthwise_kernel = _prop("depthwise_kernel")


benchmark_limit = None  # only with cuDNN
sys.modules[__name__].__class__ = CudnnModule
