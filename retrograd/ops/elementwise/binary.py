"""Elementwise ops of two or three operands: atan2, hypot, xlogy (and torch.special's xlog1py,
entr), fmod, copysign, lerp, addcmul, addcdiv, float_power, logaddexp(2), fmax/fmin. Part of
``elementwise``."""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype as D
from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import Tensor, binary_arrays, float_array
from .unary import _check_tensor, _quiet, not_implemented_for
from .arithmetic import pow as _pow
from ..shape.basic import to_dtype as _to_dtype
from .._util import broadcast_error
from ...autograd._record import RESULT, record1, record2
from ..inplace import apply_inplace

_SCALARS = (int, float, bool)


def _check_other(other, fn: str, name: str = "other") -> None:
    if not isinstance(other, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")


def _no_int(kernel: str, *arrays) -> None:
    for a in arrays:
        dt = np.asarray(a).dtype
        if dt.kind in "iub":
            raise not_implemented_for(kernel, dt)


def _invalid_combination(fn: str, got: tuple, signatures: tuple) -> TypeError:
    names = ", ".join(type(a).__name__ if not isinstance(a, Tensor) else "Tensor" for a in got)
    lines = "".join(f" * ({s})\n" for s in signatures)
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({names}), but "
                     f"expected one of:\n{lines}")


# -- atan2, hypot -------------------------------------------------------------------------------
class Atan2Backward0(Node):
    """d atan2(x, y)/dx = y / (x^2 + y^2), d/dy = -x / (x^2 + y^2); 0 at (0, 0) (PyTorch)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch's atan2_backward: the reciprocal masked_fill'ed at (0, 0)
            denom = x * x + y * y
            recip = ns.masked_fill(ns.reciprocal(denom), denom == 0, 0)
            return (grad * y * recip if self.needs(0) else None,
                    grad * -x * recip if self.needs(1) else None)
        with _quiet():
            denom = x * x + y * y
            recip = ns.where(denom == 0, 0.0, 1 / denom)   # (0, 0): zero gradients, as PyTorch
            return (grad * y * recip if self.needs(0) else None,
                    grad * -x * recip if self.needs(1) else None)


@export(torch=("atan2", "arctan2"), method=("atan2", "arctan2"),
        inplace=("atan2_", "arctan2_"), vmap=POINTWISE)
def atan2(input, other):
    _check_tensor(input, "atan2")
    _check_other(other, "atan2")
    x, y = binary_arrays(input, other, floating=True)
    with _quiet():
        out = np.arctan2(x, y)
    return record2(Atan2Backward0, input, other, out, (other, input))


class HypotBackward0(Node):
    """d sqrt(x^2 + y^2)/dx = x / result, d/dy = y / result."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self", "result")

    def backward(self, ns, grad, y, x, result):
        with _quiet():
            return (grad * x / result if self.needs(0) else None,
                    grad * y / result if self.needs(1) else None)


@export(method=True, inplace=True, vmap=POINTWISE)
def hypot(input, other):
    _check_tensor(input, "hypot")
    _check_other(other, "hypot")
    x, y = binary_arrays(input, other)
    _no_int("hypot_cpu", x)
    with _quiet():   # hypot(max, max) = inf
        out = np.hypot(x, y)
    return record2(HypotBackward0, input, other, out, lambda n: (other if n.needs(1) else None,
                   input if n.needs(0) else None, RESULT))


# -- xlogy, xlog1py, entr -----------------------------------------------------------------------
def _xlog(log, x, y):
    """x * log(y) with 0 where x == 0 (unless y is NaN), as PyTorch's xlogy / xlog1py."""
    with _quiet():
        out = np.where((x == 0) & ~np.isnan(y), 0, x * log(y))
    return np.asarray(out, dtype=np.result_type(x, y))


class _XlogBackward(Node):
    """x log(y) (log1p(y) for xlog1py): d/dx = log(y), but 0 where x == 0 and y is outside
    log's domain (y <= 0; y <= -1 for log1p) as PyTorch; d/dy = x / y (x / (1 + y))."""
    __slots__ = ()
    saved_names = ("other", "self")
    log1p = False

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch's xlogy(grad, other) masked_fill'ed 0 where self == 0,
            # other <= 0 (<= -1 for xlog1py)
            gx = gy = None
            if self.needs(0):
                gx = ns.masked_fill((ns.xlog1py if self.log1p else ns.xlogy)(grad, y),
                                    (x == 0) & (y <= (-1.0 if self.log1p else 0.0)), 0)
            if self.needs(1):
                gy = grad * x / (ns.add_scalar(y, 1) if self.log1p else y)
            return gx, gy
        with _quiet():
            gx = gy = None
            if self.needs(0):
                log_y = ns.log1p(y) if self.log1p else ns.log(y)
                outside = (x == 0) & (y <= (-1.0 if self.log1p else 0.0))
                gx = grad * ns.where(outside, 0.0, log_y)
            if self.needs(1):
                gy = grad * x / (y + 1 if self.log1p else y)
            return gx, gy


class _XlogScalarSelfBackward(Node):
    """c log(y) for a number c: d/dy = c / y (c / (1 + y) for xlog1py)."""
    __slots__ = ("self_",)
    saved_names = ("other",)
    saved_attrs = {"self": "self_"}
    log1p = False

    def backward(self, ns, grad, y):
        if not ns.INPLACE:   # PyTorch's grad * self / other (other + 1): Scalar overloads
            return (ns.mul_scalar(grad, self.self_) / (ns.add_scalar(y, 1) if self.log1p else y),)
        with _quiet():
            return (grad * self.self_ / (y + 1 if self.log1p else y),)


class _XlogScalarOtherBackward(Node):
    """x log(c) for a number c: d/dx = log(c) (log1p(c) for xlog1py); 0 where x == 0 when c is
    outside log's domain (PyTorch)."""
    __slots__ = ("other",)
    saved_names = ("self",)
    saved_attrs = {"other": "other"}
    log1p = False

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's xlogy(grad, other), masked_fill'ed 0 where self == 0
            g = (ns.xlog1py if self.log1p else ns.xlogy)(grad, self.other)   # outside log's domain
            if self.other <= (-1.0 if self.log1p else 0.0):
                g = ns.masked_fill(g, x == 0, 0)
            return (g,)
        with _quiet():
            c = float((np.log1p if self.log1p else np.log)(np.float64(self.other)))
        if self.other <= (-1.0 if self.log1p else 0.0):
            # (PyTorch's xlogy(grad, other): 0 where grad is 0, though log(other) is NaN/-inf)
            return (ns.where((x != 0) & (grad != 0), grad * c, 0.0),)
        return (grad * c,)


class XlogyBackward0(_XlogBackward):
    """d x log(y)/dx = log(y) (0 where x == 0), d/dy = x / y."""
    jvp = ELEMENTWISE
    __slots__ = ()


class XlogyBackward1(_XlogScalarSelfBackward):
    """d c log(y)/dy = c / y."""
    jvp = ELEMENTWISE
    __slots__ = ()


class XlogyBackward2(_XlogScalarOtherBackward):
    """d x log(c)/dx = log(c) (0 where x == 0)."""
    jvp = ELEMENTWISE
    __slots__ = ()


class SpecialXlog1PyBackward0(_XlogBackward):
    """d x log1p(y)/dx = log1p(y) (0 where x == 0), d/dy = x / (1 + y)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    log1p = True


class SpecialXlog1PyBackward1(_XlogScalarSelfBackward):
    """d c log1p(y)/dy = c / (1 + y)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    log1p = True


class SpecialXlog1PyBackward2(_XlogScalarOtherBackward):
    """d x log1p(c)/dx = log1p(c) (0 where x == 0)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    log1p = True


def _xlog_op(fname, input, other, log_np, classes):
    ti, to = isinstance(input, Tensor), isinstance(other, Tensor)
    if not (ti or to) or (not ti and not isinstance(input, _SCALARS)) or \
            (not to and not isinstance(other, _SCALARS)):
        raise _invalid_combination(fname, (input, other), (
            "Tensor input, Tensor other, *, Tensor out = None",
            "Number self, Tensor other, *, Tensor out = None",
            "Tensor input, Number other, *, Tensor out = None"))
    x, y = binary_arrays(input, other, floating=True)
    rt = np.result_type(x, y)           # a Python number stays weak, as in PyTorch
    out = _xlog(log_np, np.asarray(x, rt), np.asarray(y, rt))
    both_tensors, scalar_self, scalar_other = classes
    if ti and to:
        return record2(both_tensors, input, other, out, (other, input))
    if to:
        return record1(scalar_self, other, out, other, self_=input)
    return record1(scalar_other, input, out, input, other=other)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def xlogy(input, other):
    return _xlog_op("xlogy", input, other, np.log,
                    (XlogyBackward0, XlogyBackward1, XlogyBackward2))


@export(torch=False, special=True, vmap=POINTWISE)
def xlog1py(input, other):
    return _xlog_op("xlog1py", input, other, np.log1p,
                    (SpecialXlog1PyBackward0, SpecialXlog1PyBackward1, SpecialXlog1PyBackward2))


class SpecialEntrBackward0(Node):
    """d(-x log x)/dx = -(1 + log x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * -(1 + self.log()) (add.Scalar)
            return (grad * -ns.add_scalar(ns.log(x), 1),)
        with _quiet():
            return (grad * -(1 + ns.log(x)),)


def _entr(x):
    with _quiet():
        out = np.where(x > 0, -x * np.log(x), np.where(x == 0, 0, -np.inf))
    return np.where(np.isnan(x), x, out).astype(x.dtype, copy=False)


@export(torch=False, special=True, vmap=POINTWISE)
def entr(input):
    _check_tensor(input, "entr")
    return record1(SpecialEntrBackward0, input, _entr(float_array(input)), input)


# -- fmod ---------------------------------------------------------------------------------------
class FmodBackward0(Node):
    """fmod(x, c) = x - c trunc(x / c): d/dx = 1."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


class FmodBackward1(Node):
    """fmod(x, y) = x - y trunc(x / y): d/dx = 1, d/dy = -trunc(x / y). The operands are saved
    only for ``other``'s gradient (PyTorch)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch's -grad * self.div(other, rounding_mode="trunc")
            return (grad if self.needs(0) else None,
                    -grad * ns.div_trunc(x, y) if self.needs(1) else None)
        with _quiet():
            return (grad if self.needs(0) else None,
                    -grad * ns.trunc(x / y) if self.needs(1) else None)


@export(method=True, inplace=True, vmap=POINTWISE)
def fmod(input, other):
    _check_tensor(input, "fmod")
    x, y = binary_arrays(input, other)
    if np.result_type(x, y).kind == "b":
        raise not_implemented_for("fmod_cpu", np.bool_)
    if np.asarray(x).dtype.kind in "iub" and np.asarray(y).dtype.kind in "iub" and \
            np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    with _quiet():
        out = np.asarray(np.fmod(x, y))
    if isinstance(other, Tensor):
        return record2(FmodBackward1, input, other, out, lambda n: (other if n.needs(1) else None,
                       input if n.needs(1) else None))
    return record1(FmodBackward0, input, out)


# -- copysign -----------------------------------------------------------------------------------
def _copysign_grad(ns, grad, x, result):
    if not ns.INPLACE:   # PyTorch: (result / self).masked_fill_(self == 0, 0) * grad
        return grad * ns.masked_fill(result / x, x == 0, 0)
    with _quiet():
        return grad * ns.where(x == 0, 0.0, result / x)


class CopysignBackward0(Node):
    """d copysign(x, y)/dx = result / x (0 at x = 0); y gets a zero gradient."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        return (_copysign_grad(ns, grad, x, result) if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)


class CopysignBackward1(Node):
    """d copysign(x, c)/dx = result / x (0 at x = 0)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        return (_copysign_grad(ns, grad, x, result),)


@export(method=True, inplace=True, vmap=POINTWISE)
def copysign(input, other):
    _check_tensor(input, "copysign")
    x, y = binary_arrays(input, other, floating=True)
    out = np.asarray(np.copysign(x, y))
    tensor_other = isinstance(other, Tensor)
    save = lambda n: (input if n.needs(0) else None, RESULT)  # noqa: E731 - result: always
    if tensor_other:
        return record2(CopysignBackward0, input, other, out, save)
    return record1(CopysignBackward1, input, out, save)


# -- logaddexp, fmax/fmin -----------------------------------------------------------------------
class LogaddexpBackward0(Node):
    """d log(e^x + e^y)/dx = sigmoid(x - y), d/dy = sigmoid(y - x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch's grad / (1 + exp(other - self)) (add.Scalar)
            return (grad / ns.add_scalar(ns.exp(y - x), 1) if self.needs(0) else None,
                    grad / ns.add_scalar(ns.exp(x - y), 1) if self.needs(1) else None)
        with _quiet():
            return (grad * ns.sigmoid(x - y) if self.needs(0) else None,
                    grad * ns.sigmoid(y - x) if self.needs(1) else None)


class Logaddexp2Backward0(Node):
    """d log2(2^x + 2^y)/dx = sigmoid((x - y) log 2), d/dy = sigmoid((y - x) log 2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch's grad / (1 + pow(2, other - self)) (PowBackward2)
            return (grad / ns.add_scalar(2 ** (y - x), 1) if self.needs(0) else None,
                    grad / ns.add_scalar(2 ** (x - y), 1) if self.needs(1) else None)
        with _quiet():
            return (grad * ns.sigmoid((x - y) * math.log(2.0)) if self.needs(0) else None,
                    grad * ns.sigmoid((y - x) * math.log(2.0)) if self.needs(1) else None)


def _logaddexp(cls, name, input, other, base2):
    _check_tensor(input, name)
    _check_other(other, name)
    x, y = binary_arrays(input, other)
    _no_int(f"{name}_cpu", x)
    with _quiet():
        m = np.maximum(x, y)
        d = -np.abs(x - y)
        tail = np.log1p(np.exp2(d)) / math.log(2.0) if base2 else np.log1p(np.exp(d))
        out = np.where(np.isinf(m) & (x == y), x, m + tail)
    out = np.asarray(out, dtype=np.result_type(x, y))
    return record2(cls, input, other, out, (other, input))


@export(method=True, vmap=POINTWISE)
def logaddexp(input, other):
    return _logaddexp(LogaddexpBackward0, "logaddexp", input, other, False)


@export(method=True, vmap=POINTWISE)
def logaddexp2(input, other):
    return _logaddexp(Logaddexp2Backward0, "logaddexp2", input, other, True)


class FmaxBackward0(Node):
    """fmax: the gradient goes to x where x >= y or y is NaN, to y elsewhere."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        to_x = (x >= y) | (y != y)
        if not ns.INPLACE:   # PyTorch: grad.masked_fill(the other operand's positions, 0)
            return (ns.masked_fill(grad, ns.logical_not(to_x), 0) if self.needs(0) else None,
                    ns.masked_fill(grad, to_x, 0) if self.needs(1) else None)
        return (ns.where(to_x, grad, 0.0) if self.needs(0) else None,
                ns.where(to_x, 0.0, grad) if self.needs(1) else None)


class FminBackward0(Node):
    """fmin: the gradient goes to x where x <= y or y is NaN, to y elsewhere."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        to_x = (x <= y) | (y != y)
        if not ns.INPLACE:   # PyTorch: grad.masked_fill(the other operand's positions, 0)
            return (ns.masked_fill(grad, ns.logical_not(to_x), 0) if self.needs(0) else None,
                    ns.masked_fill(grad, to_x, 0) if self.needs(1) else None)
        return (ns.where(to_x, grad, 0.0) if self.needs(0) else None,
                ns.where(to_x, 0.0, grad) if self.needs(1) else None)


def _fmaxmin(cls, fn, name, input, other):
    _check_tensor(input, name)
    _check_other(other, name)
    x, y = binary_arrays(input, other)
    # on a tie (0 and -0) PyTorch returns the first operand; NumPy's SIMD loops do not always
    out = np.where(x == y, x, fn(x, y))
    return record2(cls, input, other, out, (other, input))


@export(method=True, vmap=POINTWISE)
def fmax(input, other):
    return _fmaxmin(FmaxBackward0, np.fmax, "fmax", input, other)


@export(method=True, vmap=POINTWISE)
def fmin(input, other):
    return _fmaxmin(FminBackward0, np.fmin, "fmin", input, other)
