"""Factories: tensor(), zeros/ones/full/empty/arange/linspace/eye, *_like, from_numpy. The random
factories and the Generator live in ``_random`` (PyTorch's CPU stream) and are re-exported here."""
from __future__ import annotations

import math
import warnings

import numpy as np

from . import _dtype as D
from ._device import check as _check_device
from ._dispatch import public
from ._tensor import Tensor
from ._quiet import quiet
from ._factory import (_FACTORY_OPTIONS, _dtype_or, _finish, _make,  # noqa: F401 - also for others
                       _shape, invalid_combination)


def _alloc(make, shape: tuple, np_dtype, *args) -> np.ndarray:
    """``make(shape, *args, np_dtype)`` (np.zeros/ones/empty/full) with PyTorch's errors for a
    size whose byte count overflows int64 and for memory the allocator cannot give."""
    nbytes = math.prod(shape) * np.dtype(np_dtype).itemsize
    if nbytes > 2 ** 63 - 1:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")
    try:
        return make(shape, *args, np_dtype)
    except MemoryError:
        raise RuntimeError(
            "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate "
            f"memory: you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate "
            "memory)") from None


def _check_args(fname: str, dtype, requires_grad):
    """The factory's ``dtype`` as a retrograd dtype (Python's float/int/bool name one as in
    PyTorch) and a bool ``requires_grad``, else PyTorch's TypeError."""
    if not isinstance(requires_grad, bool):
        raise TypeError(f"{fname}(): argument 'requires_grad' must be bool, not "
                        f"{type(requires_grad).__name__}")
    return D.as_dtype(dtype, fname)


def _infer_dtype(arr: np.ndarray, from_numpy: bool) -> np.dtype:
    k = arr.dtype.kind
    if from_numpy and arr.dtype in D._NP_TO_DTYPE:
        return arr.dtype
    if k == "f":
        return np.dtype(np.float32)
    if k in "iu":
        return np.dtype(np.int64)
    if k == "b":
        return np.dtype(np.bool_)
    raise TypeError(f"Could not infer dtype of {type(arr.flat[0]).__name__ if arr.size else 'object'}")


def _from_data(data, dtype):
    if isinstance(data, Tensor):
        arr = data._data
        return arr.astype(dtype.np) if dtype is not None else arr.copy()
    is_np = isinstance(data, (np.ndarray, np.generic))
    if isinstance(data, (list, tuple)):
        data = _unwrap_tensors(data)
    try:
        arr = np.array(data)
    except (ValueError, OverflowError):
        if not is_np:
            _check_python_data(data)
        raise ValueError(_ragged_message(data)) from None
    if not is_np and arr.dtype.kind in "OUS":  # only then can the data hold a str or None
        _check_python_data(data)
    if arr.dtype == object and not is_np and any(type(v) is float for v in _leaves(data)):
        arr = np.array(data, dtype=np.float64)  # floats make it a float tensor, big ints too
    if arr.dtype == object or (not is_np and arr.dtype == np.uint64):
        if isinstance(data, (list, tuple)) and _ragged_message(data) != _NOT_RAGGED:
            raise ValueError(_ragged_message(data))
        if not is_np and _has_big_int(data):
            raise ValueError("Overflow when unpacking long long")
        raise ValueError(_ragged_message(data)) if isinstance(data, (list, tuple)) else \
            RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if dtype is not None:
        if not is_np and dtype.category == D._INT:
            _check_int_range(arr, dtype)
            return arr.astype(dtype.np)
        with quiet():  # beyond float32/float16's range: inf, as PyTorch
            return arr.astype(dtype.np)
    if arr.size == 0 and not is_np and arr.dtype.kind == "f":
        return arr.astype(np.float32)
    return arr.astype(_infer_dtype(arr, is_np), copy=False)


def _check_python_data(data) -> None:
    """PyTorch's errors for Python data it cannot store: a str (a sequence whose first element
    gives the shape, so ``['a']`` has "too many dimensions"), None or another object."""
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    first = data
    while isinstance(first, (list, tuple)) and len(first):
        first = first[0]
        if isinstance(first, str):
            raise ValueError("too many dimensions 'str'")
    for d in _leaves(data):
        if isinstance(d, str):
            raise TypeError("new(): invalid data type 'str'")
        if not isinstance(d, (bool, int, float, complex, np.generic, np.ndarray, Tensor)):
            raise RuntimeError(f"Could not infer dtype of {type(d).__name__}")


def _leaves(data):
    stack = [data]
    while stack:
        d = stack.pop()
        if isinstance(d, (list, tuple)):
            stack.extend(d)
        else:
            yield d


def _has_big_int(data) -> bool:
    return any(isinstance(d, int) and not -2 ** 63 <= d < 2 ** 63 for d in _leaves(data))


def _check_int_range(arr: np.ndarray, dtype: D.dtype) -> None:
    """Python numbers stored into an integer dtype must fit (NaN and inf never do), as in
    PyTorch's checked scalar conversion."""
    if arr.dtype.kind in "iuf" and arr.size:
        lo, hi = _int_range(dtype, arr.dtype.kind != "f")
        with np.errstate(invalid="ignore"):
            bad = ~((arr >= lo) & (arr <= hi))
        if bad.any():
            raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _int_range(dtype: D.dtype, integral_value: bool) -> tuple:
    """The values c10's checked conversion lets into ``dtype``: an integer may wrap into an
    unsigned type from as far below zero as the type's maximum (-1 -> 255 for uint8)."""
    info = np.iinfo(dtype.np)
    if integral_value and info.min == 0:
        return -int(info.max), int(info.max)
    return int(info.min), int(info.max)


def _unwrap_tensors(data):
    out = []
    for d in data:
        if isinstance(d, Tensor):
            if d._data.size != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            out.append(d._data.item())
        elif isinstance(d, (list, tuple)):
            out.append(_unwrap_tensors(d))
        else:
            out.append(d)
    return out


def _ragged_message(data) -> str:
    return _ragged_walk(data, 1) or _NOT_RAGGED


_NOT_RAGGED = "could not convert data to a tensor"


def _ragged_walk(d, dim):
    """(Module-level, not a closure: a recursive closure is a reference cycle.)"""
    if not isinstance(d, (list, tuple)):
        return None
    lens = None
    for item in d:
        if isinstance(item, (list, tuple)):
            if lens is None:
                lens = len(item)
            elif len(item) != lens:
                return f"expected sequence of length {lens} at dim {dim} (got {len(item)})"
    for item in d:
        r = _ragged_walk(item, dim + 1)
        if r:
            return r
    return None


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """A new leaf tensor that copies ``data`` (floats -> float32, ints -> int64, NumPy keeps its
    dtype)."""
    _check_device(device, pin_memory)
    dtype = _check_args("tensor", dtype, requires_grad)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() "
            "or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "torch.tensor(sourceTensor).", UserWarning, stacklevel=2)
    arr = _from_data(data, dtype)
    if isinstance(data, np.ndarray) and arr is data:
        arr = arr.copy()
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or data.dtype is dtype):
        return data
    if isinstance(data, np.ndarray) and data.dtype in D._NP_TO_DTYPE and \
            (dtype is None or dtype.np == data.dtype):
        return _make(data)
    return _finish(_from_data(data, dtype), False)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``ndarray``."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError(
            "At least one stride in the given numpy array is negative, and tensors with negative "
            "strides are not currently supported. (You can probably work around this by making a "
            "copy of your array  with array.copy().) ")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")
    D.from_numpy_dtype(ndarray.dtype)
    if not ndarray.flags.writeable:
        global _warned_readonly
        if not _warned_readonly:
            _warned_readonly = True
            warnings.warn(
                "The given NumPy array is not writable, and PyTorch does not support non-writable "
                "tensors. This means writing to this tensor will result in undefined behavior. You "
                "may want to copy the array to protect its data or make it writable before "
                "converting it to a tensor. This type of warning will be suppressed for the rest "
                "of this program.", UserWarning, stacklevel=2)
    return _make(ndarray)


_warned_readonly = False


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    dtype = _check_args("zeros", dtype, requires_grad)
    arr = _alloc(np.zeros, _shape(size, "zeros"), _dtype_or(dtype, D.float32))
    return _finish(arr, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
         pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    dtype = _check_args("ones", dtype, requires_grad)
    arr = _alloc(np.ones, _shape(size, "ones"), _dtype_or(dtype, D.float32))
    return _finish(arr, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, layout=None,
          memory_format=None, pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    dtype = _check_args("empty", dtype, requires_grad)
    arr = _alloc(np.empty, _shape(size, "empty"), _dtype_or(dtype, D.float32))
    return _finish(arr, requires_grad)


def _scalar_type(value) -> D.dtype:
    if isinstance(value, Tensor):
        return value.dtype
    return D._scalar_dtype(value)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    dtype = _check_args("full", dtype, requires_grad)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    dt = dtype if dtype is not None else _scalar_type(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    _check_fill(fill_value, dt)
    if isinstance(fill_value, int) and dt.category == D._INT:
        fill_value = np.array(fill_value).astype(dt.np)  # -1 wraps to 255 in uint8, as in torch
    return _finish(_alloc(np.full, _shape((size,), "full"), dt.np, fill_value), requires_grad)


# the C++ type names at::full's checked conversion prints
_C_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float32": "float", "float16": "c10::Half"}


def _check_fill(value, dt: D.dtype) -> None:
    if isinstance(value, bool) or dt is D.bool_ or not isinstance(value, (int, float)):
        return
    if dt is D.int64 and isinstance(value, int) and not -2 ** 63 <= value < 2 ** 63:
        raise OverflowError("int too big to convert")
    if dt.category == D._INT:
        lo, hi = _int_range(dt, isinstance(value, int))
        ok = lo <= value <= hi  # False for NaN
    else:
        ok = dt is not D.float32 or math.isnan(value) or math.isinf(value) or \
            abs(value) <= float(np.finfo(np.float32).max)
    if not ok:
        raise RuntimeError(f"value cannot be converted to type {_C_NAMES[dt.name]} without "
                           "overflow")


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False,
           out=None, layout=None, pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    for a, b in ((start, end), (end, start)):
        if isinstance(a, float) and not math.isfinite(a):
            raise RuntimeError(f"unsupported range: {_num(start)} -> {_num(end)}")
    if step == 0 or step != step:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0 and end != start:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        dtype = D.int64 if all(isinstance(v, int) for v in vals) else D.float32
    n = max(0, math.ceil((end - start) / step))
    arr = (start + np.arange(n, dtype=np.float64) * step) if dtype.is_floating_point else \
        np.arange(start, end, step, dtype=np.int64)
    return _finish(arr.astype(dtype.np), requires_grad)


def _num(v) -> str:
    """A number as c10 prints a Scalar (``nan``, ``inf``, ``0``, ``1.5``)."""
    return str(v) if isinstance(v, int) or math.isfinite(v) else str(v).lower()


_MISSING = object()


def linspace(start, end, steps=_MISSING, *, dtype=None, device=None, requires_grad=False, out=None,
             layout=None, pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    if steps is _MISSING:
        raise invalid_combination("linspace", (start, end), tuple(
            f"{a} start, {b} end, int steps, *, {_FACTORY_OPTIONS}"
            for a, b in (("Tensor", "Tensor"), ("Number", "Tensor"), ("Tensor", "Number"),
                         ("Number", "Number"))))
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = dtype or D.float32
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps == 1:
        arr = np.array([start], dtype=np.float64)
    else:
        # PyTorch's symmetric fill: the first half from start, the second half from end, with
        # the step rounded to the output's float type first.
        ft = dtype.np if dtype.is_floating_point else np.dtype(np.float64)
        s, e = ft.type(start), ft.type(end)
        step = np.float64(ft.type((e - s) / ft.type(steps - 1)))
        i = np.arange(steps, dtype=np.float64)
        half = steps // 2
        arr = np.where(i < half, np.float64(s) + step * i, np.float64(e) - step * (steps - 1 - i))
    if not dtype.is_floating_point:
        arr = np.trunc(arr)
    return _finish(arr.astype(dtype.np), requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False,
             out=None, layout=None, pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    dtype = dtype or D.float32
    lin = linspace(start, end, steps, dtype=D.float64)._data
    return _finish(np.power(base, lin).astype(dtype.np), requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, out=None,
        layout=None, pin_memory=False) -> Tensor:
    _check_device(device, pin_memory)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    return _finish(np.eye(n, n if m is None else m, dtype=_dtype_or(dtype, D.float32)),
                   requires_grad)


# -- *_like --------------------------------------------------------------------------------------
def _like(input, dtype):
    return input._data.shape, (dtype or input.dtype)


@public(vmap='like')  # a public op entry point: vmap sees it
def zeros_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    shape, dt = _like(input, dtype)
    return _finish(np.zeros(shape, dt.np), requires_grad)


@public(vmap='like')  # a public op entry point: vmap sees it
def ones_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
              layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    shape, dt = _like(input, dtype)
    return _finish(np.ones(shape, dt.np), requires_grad)


@public(vmap='like')  # a public op entry point: vmap sees it
def empty_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
               layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    shape, dt = _like(input, dtype)
    return _finish(np.empty(shape, dt.np), requires_grad)


@public(vmap='like')  # a public op entry point: vmap sees it
def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None, layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    shape, dt = _like(input, dtype)
    return _finish(np.full(shape, fill_value, dt.np), requires_grad)


@public(vmap='like')  # a public op entry point: vmap sees it
def rand_like(input, *, dtype=None, generator=None, device=None, requires_grad=False,
              memory_format=None, layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    shape, dt = _like(input, dtype)
    return rand(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


@public(vmap='like')  # a public op entry point: vmap sees it
def randn_like(input, *, dtype=None, generator=None, device=None, requires_grad=False,
               memory_format=None, layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    shape, dt = _like(input, dtype)
    return randn(shape, generator=generator, dtype=dt, requires_grad=requires_grad)


@public(vmap='like')  # a public op entry point: vmap sees it
def randint_like(input, low=0, high=None, *, dtype=None, generator=None, device=None,
                 requires_grad=False, memory_format=None, layout=None, pin_memory=False) -> Tensor:
    if device is not None or pin_memory:  # the input's device, not the default one
        _check_device(device, pin_memory)
    if high is None:
        low, high = 0, low
    shape, dt = _like(input, dtype)
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    return _finish(random_from_to(_rng(generator), shape, dt.np, low, high), requires_grad)


from ._random import (Generator, _float_dtype, _legacy_name, _rng,  # noqa: E402,F401
                      bernoulli, default_generator, fork_rng, get_rng_state, initial_seed,
                      manual_seed, normal, rand, randint, randn, randperm,
                      random_from_to, seed, set_rng_state)
from ._random_sampling import multinomial, poisson  # noqa: E402,F401
