"""Elementwise ops without a derivative: heaviside, the predicates (isinf, isfinite, isposinf,
isneginf, signbit), logical_and/or/xor and the bitwise shifts; and nextafter, whose derivative
is PyTorch's convention (1 for x, 0 for y). Part of ``elementwise``."""
from __future__ import annotations

import numpy as np

from ...autograd.node import ELEMENTWISE, Node
from .._registry import POINTWISE, export
from .._util import Tensor, binary_arrays, needs_grad, quiet, wrap
from .unary import _check_tensor, not_implemented_for
from .binary import _check_other
from .._util import broadcast_error
from ...autograd._record import not_implemented
from ...autograd._record import record2


# -- heaviside (no derivative) ------------------------------------------------------------------
@export(method=True, inplace=True, vmap=POINTWISE)
def heaviside(input, values):
    """0 for x < 0, ``values`` at x == 0, 1 for x > 0 (NaN counts as not positive).

    No derivative: like PyTorch, a ``NotImplemented`` node that raises at backward is recorded."""
    _check_tensor(input, "heaviside")
    _check_other(values, "heaviside", "values")
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    try:
        out = np.where(x == 0, v, x > 0).astype(x.dtype)
    except ValueError:
        raise broadcast_error(x.shape, v.shape) from None
    if needs_grad(input, values):
        return wrap(out, not_implemented("heaviside", (input, values), out))
    return wrap(out)


# -- predicates and logic (no gradient) ---------------------------------------------------------
@export(method=True, vmap=POINTWISE)
def isinf(input):
    _check_tensor(input, "isinf")
    return wrap(np.isinf(input._data))


@export(method=True, vmap=POINTWISE)
def isfinite(input):
    _check_tensor(input, "isfinite")
    return wrap(np.isfinite(input._data))


@export(method=True, vmap=POINTWISE)
def isposinf(input):
    _check_tensor(input, "isposinf")
    x = input._data
    return wrap(np.isposinf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool))


@export(method=True, vmap=POINTWISE)
def isneginf(input):
    _check_tensor(input, "isneginf")
    x = input._data
    return wrap(np.isneginf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool))


@export(method=True, vmap=POINTWISE)
def signbit(input):
    _check_tensor(input, "signbit")
    x = input._data
    return wrap(np.signbit(x) if x.dtype.kind != "b" else np.zeros(x.shape, bool))


def _logical(fn, name):
    def op(input, other):
        _check_tensor(input, name)
        _check_other(other, name)
        x, y = input._data, other._data
        try:
            return wrap(fn(x, y))
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None
    op.__name__ = name
    return op


logical_and = export(method=True, inplace=True,
                     vmap=POINTWISE)(_logical(np.logical_and, "logical_and"))
logical_or = export(method=True, inplace=True,
                    vmap=POINTWISE)(_logical(np.logical_or, "logical_or"))
logical_xor = export(method=True, inplace=True,
                     vmap=POINTWISE)(_logical(np.logical_xor, "logical_xor"))


def _shift(left: bool):
    name = "bitwise_left_shift" if left else "bitwise_right_shift"
    kernel = "lshift_cpu" if left else "rshift_cpu"

    def op(input, other):
        if not isinstance(input, Tensor) and not isinstance(other, Tensor):
            raise TypeError(f"{name}() received an invalid combination of arguments")
        x, s = binary_arrays(input, other)
        dt = np.result_type(x, s)
        if dt.kind in "fb":
            raise not_implemented_for(kernel, dt)
        x, s = np.asarray(x, dt), np.asarray(s, dt)
        bits = dt.itemsize * 8
        ok = (s >= 0) & (s < bits)   # PyTorch: an out-of-range shift empties (or sign-fills) x
        s_ok = np.where(ok, s, 0)
        if left:
            out = np.where(ok, np.left_shift(x, s_ok), 0)
        else:
            out = np.where(ok, np.right_shift(x, s_ok), np.where(x < 0, -1, 0))
        return wrap(np.asarray(out, dtype=dt))
    op.__name__ = name
    return op


bitwise_left_shift = export(method=True, inplace=True, vmap=POINTWISE)(_shift(True))
bitwise_right_shift = export(method=True, inplace=True, vmap=POINTWISE)(_shift(False))


# -- nextafter ----------------------------------------------------------------------------------
class NextafterBackward0(Node):
    """nextafter(x, y) is x moved by one ulp towards y (y itself when x == y): PyTorch's
    derivative is 1 for x where x != y, 0 elsewhere and for y (both inputs saved, as PyTorch
    does)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        return (ns.where(x == y, 0.0, grad) if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)


@export(method=True, inplace=True, vmap=POINTWISE)
def nextafter(input, other):
    _check_tensor(input, "nextafter")
    _check_other(other, "nextafter")
    x, y = binary_arrays(input, other)
    if x.dtype.kind != "f":
        raise not_implemented_for("nextafter_cpu", x.dtype)
    with quiet():    # nextafter(max, inf) = inf
        out = np.nextafter(x, y)
    return record2(NextafterBackward0, input, other, out, (other, input))
