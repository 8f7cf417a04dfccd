"""zero_, fill_ and copy_: the in-place writes of a value or a whole tensor, with their nodes
(ZeroBackward0, FillBackward2/3, CopyBackwards); built on ``inplace.py``'s checks and version
bookkeeping. Moved from ``inplace.py``."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from ._registry import export
from ._util import Tensor, needs_grad
from ..autograd._record import record, record1, record2
from .inplace import (_check_partial_overlap, _write, bump_version, check_fits, check_inplace,
                      finish_inplace)


class ZeroBackward0(Node):
    """zero_ forgets the old values: their gradient is zero."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad),)


@export(torch=False, method='zero_')
def zero_(t: Tensor) -> Tensor:
    check_inplace(t)
    out = np.zeros(t._data.shape, t._data.dtype)
    if needs_grad(t):
        return finish_inplace(t, record1(ZeroBackward0, t, out), overlap_ok=True)
    _write(t, out, overlap_ok=True)
    bump_version(t)
    return t


class FillBackward2(Node):
    """fill_ with a number: the old values get a zero gradient."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad),)


class FillBackward3(Node):
    """fill_ with a 0-d tensor: zero for the old values, the summed gradient for the value."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad) if self.needs(0) else None,
                grad.sum() if self.needs(1) else None)


_C_TYPE = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int",
           "int64": "int64_t", "float32": "float"}


def _check_fill_value(value, dtype: np.dtype) -> None:
    """PyTorch refuses a fill value that overflows the tensor's dtype."""
    name = _C_TYPE.get(dtype.name)
    if name is None or isinstance(value, bool):
        return
    if dtype.kind == "f":
        bad = bool(np.isfinite(value)) and abs(float(value)) > float(np.finfo(dtype).max)
    elif isinstance(value, float) and not np.isfinite(value):
        bad = True
    else:
        info = np.iinfo(dtype)
        lo = info.min if dtype.kind == "i" else -int(info.max)
        bad = value < lo or value > info.max
    if bad:
        raise RuntimeError(f"value cannot be converted to type {name} without overflow")


@export(torch=False, method='fill_')
def fill_(t: Tensor, value) -> Tensor:
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        cls, inputs, v = FillBackward3, (t, value), value._data
    elif isinstance(value, (bool, int, float, np.number, np.bool_)):
        _check_fill_value(value, t._data.dtype)
        with np.errstate(over="ignore", invalid="ignore"):  # uint8 fill_(-1) wraps, like torch
            v = np.asarray(value).astype(t._data.dtype)
        cls, inputs = FillBackward2, (t,)
    else:
        got = type(value).__name__
        raise TypeError(
            f"fill_() received an invalid combination of arguments - got ({got}), but expected "
            f"one of:\n * (Tensor value)\n      didn't match because some of the arguments have "
            f"invalid types: (!{got}!)\n * (Number value)\n      didn't match because some of "
            f"the arguments have invalid types: (!{got}!)\n")
    check_inplace(t, *inputs[1:])
    out = np.full(t._data.shape, v, dtype=t._data.dtype)
    scalar = cls is FillBackward2  # a number may fill an expanded tensor, a tensor may not
    if needs_grad(*inputs) and t._data.dtype.kind == "f":
        return finish_inplace(t, record(cls, inputs, out), overlap_ok=scalar)
    _write(t, out, check_dtype=False, overlap_ok=scalar)
    bump_version(t)
    return t


class CopyBackwards(Node):
    """copy_: the old values get a zero gradient, the source the gradient (summed back to its
    shape and cast to its dtype by the engine)."""
    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::CopyBackwards"

    def backward(self, ns, grad):
        return (ns.zeros_like(grad) if self.needs(0) else None,
                grad if self.needs(1) else None)


@export(torch=False, method='copy_')
def copy_(t: Tensor, src, non_blocking: bool = False) -> Tensor:
    if not isinstance(src, Tensor):
        if not isinstance(src, (bool, int, float, np.number, np.bool_)) or \
                isinstance(src, np.ndarray):
            raise TypeError("copy_(): argument 'other' (position 1) must be Tensor, not "
                            f"{_type_name(src)}")
        src = Tensor._make(np.asarray(src))
    check_inplace(t, src)
    _check_partial_overlap(t, (src,))
    x, s = t._data, src._data
    check_fits(x.shape, s.shape)
    if needs_grad(t, src) and x.dtype.kind == "f":
        out = np.array(np.broadcast_to(s, x.shape), dtype=x.dtype)
        return finish_inplace(t, record2(CopyBackwards, t, src, out))
    _write(t, s, check_dtype=False)
    bump_version(t)
    return t


def _type_name(obj) -> str:
    tp = type(obj)
    return tp.__name__ if tp.__module__ == "builtins" else f"{tp.__module__}.{tp.__name__}"
