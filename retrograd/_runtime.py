"""Process-wide settings PyTorch scripts make: thread counts and deterministic algorithms.

``set_num_threads(n)`` records ``n`` (``get_num_threads`` returns it) and, when the optional
``threadpoolctl`` package is installed, limits NumPy's BLAS/OpenMP pools to ``n`` threads: that
is where retrograd's parallel work happens (matmul, linear algebra). Without threadpoolctl the
number is only recorded. ``set_num_interop_threads`` is recorded (retrograd runs no inter-op
pool) and, as in PyTorch, may be called once. retrograd's results do not depend on the
deterministic-algorithms flag or the float32 matmul precision: they are stored and reported
(NumPy's float32 matmul is always full precision, PyTorch's 'highest').
"""
from __future__ import annotations

import os
from . import _warn

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "set_float32_matmul_precision",
           "get_float32_matmul_precision"]


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_threads = {"intra": None, "interop": None, "interop_set": False}
_deterministic = {"on": False, "warn_only": False}


def _check_count(name: str, n) -> None:
    if not isinstance(n, int) or isinstance(n, bool):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


def set_num_threads(int) -> None:  # noqa: A002 - PyTorch's parameter name
    """The number of threads for intra-op parallelism (NumPy's BLAS pool, via threadpoolctl)."""
    _check_count("set_num_threads", int)
    _threads["intra"] = int
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(limits=int)


def get_num_threads() -> int:
    n = _threads["intra"]
    return _cores() if n is None else n


def set_num_interop_threads(int) -> None:  # noqa: A002
    _check_count("set_num_interop_threads", int)
    if _threads["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has "
                           "started or set_num_interop_threads called")
    _threads["interop"], _threads["interop_set"] = int, True


def get_num_interop_threads() -> int:
    n = _threads["interop"]
    return _cores() if n is None else n


def use_deterministic_algorithms(mode, *, warn_only=False) -> None:
    if not isinstance(mode, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be "
                        f"bool, not {type(mode).__name__}")
    if not isinstance(warn_only, bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _deterministic["on"], _deterministic["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["on"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


_matmul_precision = {"value": "highest"}


def set_float32_matmul_precision(precision) -> None:
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in ("highest", "high", "medium"):
        _warn.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                   "setFloat32MatmulPrecision call has no effect.", UserWarning)
        return
    _matmul_precision["value"] = precision


def get_float32_matmul_precision() -> str:
    return _matmul_precision["value"]
