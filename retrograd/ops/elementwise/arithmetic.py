"""Elementwise ops: forward over NumPy, the backward formula right under it.

Formulas are written against ``ns`` (NumPy arrays normally, retrograd Tensors when
``create_graph=True``) using operators and ``ns.*`` functions only, so they stay differentiable.
Formulas ignore broadcasting: the engine sums each gradient down to its input's shape.
"""
from __future__ import annotations

import operator as _operator

import numpy as np

from ... import _dtype as D
from ... import _grad_mode
from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import Tensor, binary_arrays, float_array, needs_grad, quiet, quiet_op, wrap, _SCALARS
from .._util import not_implemented_for
from ...autograd._record import CROSS, RESULT, record1, record2
from .._util import to_tensor
from .._util import broadcast_error
from ...autograd._record import not_implemented
from .unary_core import _quiet
from ..._quiet import quiet_fallback as _quiet_fallback, quiet_run as _quiet_run


# ---------------------------------------------------------------------------------------------
class AddBackward0(Node):
    """d(x + alpha*y)/dx = 1, d/dy = alpha."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}         # the Python number given

    def backward(self, ns, grad):
        a = self.alpha               # (needs(1) inlined: the hottest formula)
        return grad, (grad if a == 1 else grad * a if ns.INPLACE else ns.mul_scalar(grad, a)) \
            if self.next_functions[1][0] is not None else None   # (PyTorch: grad * alpha, a Scalar)


def _with_alpha(res: Tensor, alpha) -> Tensor:
    """``res`` with ``alpha`` set on its new node (cheaper than record2's ``**attrs`` on the
    hottest ops: no keyword dict per call)."""
    node = res._grad_fn
    if node is not None:
        node.alpha = alpha
    return res


@export(torch='add', method='add', inplace='add_', vmap=POINTWISE)
def add(input, other, *, alpha=1):
    if type(other) is Tensor and type(input) is Tensor and \
            (x := input._data).dtype is (y := other._data).dtype and x.shape == y.shape:
        pass                     # binary_arrays' first case inlined
    else:
        x, y = binary_arrays(input, other)
    if alpha is True or alpha is False:
        if np.result_type(x, y).kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif alpha != 1 and np.result_type(x, y).kind == "b":
        alpha = bool(alpha)      # alpha is cast to the result dtype (PyTorch: 2 acts as True)
    if alpha == 1:
        try:   # quiet_op inlined (see _quiet.py)
            out = _quiet_run(_operator.add, x, y)
        except RuntimeError as exc:
            out = _quiet_fallback(exc, _operator.add, x, y)
    else:
        with _quiet():
            out = x + y * alpha
    res = record2(AddBackward0, input, other, out)
    node = res._grad_fn          # _with_alpha inlined
    if node is not None:
        node.alpha = alpha
    return res


class SubBackward0(Node):
    """d(x - alpha*y)/dx = 1, d/dy = -alpha."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}

    def backward(self, ns, grad):
        return grad, (-grad if self.alpha == 1 else _neg_alpha(ns, grad, self.alpha)) \
            if self.needs(1) else None


def _neg_alpha(ns, grad, alpha):
    """-grad * alpha (alpha != 1): PyTorch's maybe_multiply(-grad, alpha), a mul.Scalar."""
    return grad * -alpha if ns.INPLACE else ns.mul_scalar(-grad, alpha)


def _is_bool(v) -> bool:
    return type(v) is bool or (isinstance(v, Tensor) and v._data.dtype.kind == "b")


def _sub_check(input, other) -> None:
    """PyTorch's sub_check: no subtraction with a bool operand (a Python bool included)."""
    a, b = _is_bool(input), _is_bool(other)
    if a and b:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if a or b:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


@export(torch=('sub', 'subtract'), method=('sub', 'subtract'), inplace='sub_', vmap=POINTWISE)
def sub(input, other, *, alpha=1):
    _sub_check(input, other)
    x, y = binary_arrays(input, other)
    if alpha == 1:
        try:   # quiet_op inlined (see _quiet.py)
            out = _quiet_run(_operator.sub, x, y)
        except RuntimeError as exc:
            out = _quiet_fallback(exc, _operator.sub, x, y)
    else:
        with _quiet():
            out = x - y * alpha
    return _with_alpha(record2(SubBackward0, input, other, out), alpha)


class RsubBackward1(Node):
    """rsub(x, c, alpha) = c - alpha*x: d/dx = -alpha."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}

    def backward(self, ns, grad):
        return (-grad if self.alpha == 1 else _neg_alpha(ns, grad, self.alpha),)


class RsubBackward0(Node):
    """rsub(x, y, alpha) = y - alpha*x for tensors: d/dx = -alpha, d/dy = 1."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}

    def backward(self, ns, grad):
        return ((-grad if self.alpha == 1 else _neg_alpha(ns, grad, self.alpha))
                if self.needs(0) else None,
                grad if self.needs(1) else None)


@export(torch='rsub', method='rsub', vmap=POINTWISE)
def rsub(input, other, *, alpha=1):
    if isinstance(other, Tensor):
        # sub's checks and values, recorded as PyTorch does: one RsubBackward0 (and no
        # SubBackward0 made and dropped, which would hide the node's rule from forward AD)
        with _grad_mode.no_grad():
            out = sub(other, input, alpha=alpha)
        if out._data.dtype.kind in "fc":
            out = record2(RsubBackward0, input, other, out._data, alpha=alpha)
        return out
    _sub_check(other, input)
    x, y = binary_arrays(input, other)
    with _quiet():
        out = y - x * alpha if alpha != 1 else y - x
    return record1(RsubBackward1, input, out, alpha=alpha)


class MulBackward0(Node):
    """d(x*y)/dx = y, d(x*y)/dy = x. (Saved in PyTorch's order, other first: saved-tensor hooks
    see the same sequence of packs.)"""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        a, b = self.next_functions    # (needs(0), needs(1) inlined: the hottest formula)
        return (grad * y if a[0] is not None else None,
                grad * x if b[0] is not None else None)


@export(torch=('mul', 'multiply'), method=('mul', 'multiply'), inplace='mul_', vmap=POINTWISE)
def mul(input, other):
    if type(other) is Tensor and type(input) is Tensor and \
            (x := input._data).dtype is (y := other._data).dtype and x.shape == y.shape:
        pass                     # binary_arrays' first case inlined
    else:
        x, y = binary_arrays(input, other)
    try:   # quiet_op inlined (see _quiet.py)
        out = _quiet_run(_operator.mul, x, y)
    except RuntimeError as exc:
        out = _quiet_fallback(exc, _operator.mul, x, y)
    return record2(MulBackward0, input, other, out, CROSS)


class DivBackward0(Node):
    """d(x/y)/dx = 1/y, d(x/y)/dy = -x/y^2, computed as PyTorch does, -(x/y)/y: y^2 would
    underflow to 0 (or overflow to inf) where the quotients do not."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        return (grad / y if self.needs(0) else None,
                -grad * ((x / y) / y) if self.needs(1) else None)


class DivBackward2(Node):
    """div with rounding_mode: piecewise constant, so the gradient is zero (PyTorch). The
    operands are saved as PyTorch saves them (``other``, then ``self`` when ``other`` wants a
    gradient), though the zero gradient reads neither."""
    jvp = ELEMENTWISE
    __slots__ = ("rounding_mode",)
    saved_names = ("other", "self")
    saved_attrs = {"rounding_mode": "rounding_mode"}

    def backward(self, ns, grad, y, x):
        return (ns.zeros_like(grad) if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)


@export(torch=('div', 'divide', 'true_divide'),
        method=('div', 'divide', 'true_divide'), inplace=('div_', 'divide_', 'true_divide_'),
        vmap=POINTWISE)
def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        out = _div_rounding(input, other, rounding_mode)
        if out._data.dtype.kind == "f":
            out = record2(DivBackward2, input, other, out._data,
                          lambda n: (other, input if n.needs(1) else None),
                          rounding_mode=rounding_mode)
        return out
    x, y = binary_arrays(input, other, floating=True)
    with _quiet():
        out = x / y
    return record2(DivBackward0, input, other, out,
                   lambda n: (other, input if n.needs(1) else None))


def _no_bool_kernel(x, y, kernel: str) -> None:
    """The integer kernels of PyTorch's division family have no bool version."""
    if np.result_type(x, y).kind == "b":
        raise not_implemented_for(kernel, np.bool_)


def _div_rounding(input, other, mode):
    x, y = binary_arrays(input, other)
    if mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{mode}'")
    _no_bool_kernel(x, y, f"div_{mode}_cpu")
    if np.asarray(x).dtype.kind in "iub" and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    with _quiet():
        if mode == "floor":
            out = np.floor_divide(x, y)
        elif np.asarray(x).dtype.kind == "f" or isinstance(y, float):
            out = np.trunc(np.true_divide(x, y))
        else:
            out = (np.trunc(np.true_divide(x, y))).astype(np.result_type(x, y))
    return wrap(out)  # rounded division has a zero gradient almost everywhere; torch: no grad


@export(torch='floor_divide', method='floor_divide', inplace='floor_divide_', vmap=POINTWISE)
def floor_divide(input, other):
    """PyTorch records floor_divide with a NotImplemented node (backward raises), unlike
    div(rounding_mode='floor'), whose gradient is zero."""
    out = _div_rounding(input, other, "floor")
    if out._data.dtype.kind == "f" and needs_grad(input, other):
        out = wrap(out._data, not_implemented("floor_divide", (input, other), out._data))
    return out


class ReciprocalBackward0(Node):
    """d(1/x)/dx = -1/x^2 = -result^2."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        return (-grad * (result * result),)


@export(torch='reciprocal', method='reciprocal', inplace='reciprocal_', vmap=POINTWISE)
def reciprocal(input):
    x = float_array(input)
    with _quiet():
        out = np.reciprocal(x)
    return record1(ReciprocalBackward0, input, out, RESULT)


def rtruediv(input, other):
    """``other / input`` for a Python number ``other``: PyTorch computes reciprocal * other."""
    return mul(reciprocal(input), other)


class PowBackward0(Node):
    """d(x^p)/dx = p * x^(p-1), zero when p == 0 (PyTorch's pow_backward)."""
    jvp = ELEMENTWISE
    __slots__ = ("exponent",)
    saved_names = ("self",)
    saved_attrs = {"exponent": "exponent"}   # the Python number given

    def backward(self, ns, grad, x):
        p = self.exponent
        if p == 0:
            return (ns.zeros_like(grad),)
        if not ns.INPLACE:   # PyTorch's grad * (p * x.pow(p - 1)), p a double (mul.Scalar)
            p = float(p)
            return (grad * ns.mul_scalar(x ** (p - 1), p),)
        if p == 0.5:   # PyTorch's x^-0.5 is rsqrt: -inf at -0 (pow(-0, -0.5) is +inf)
            return (grad * p / x ** 0.5,)
        return (grad * p * x ** (p - 1),)


class PowBackward1(Node):
    """d(x^y)/dx = y x^(y-1) (0 where y == 0); d(x^y)/dy = x^y log x (0 where x == 0, y >= 0)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("exponent", "self", "result")

    def backward(self, ns, grad, y, x, result):
        gx = gy = None
        if self.needs(0):
            if not ns.INPLACE:   # PyTorch's grad * (y * x.pow(y - 1)), y - 1 a sub.Scalar
                gx = ns.where(y == 0, 0.0, grad * (y * x ** ns.sub_scalar(y, 1)))
            else:
                gx = ns.where(y == 0, 0.0, grad * y * x ** (y - 1))
        if self.needs(1):
            gy = ns.where((x == 0) & (y >= 0), 0.0, grad * result * ns.log(x))
        return gx, gy


class PowBackward2(Node):
    """d(c^y)/dy = c^y log c (0 where c == 0 and y >= 0)."""
    jvp = ELEMENTWISE
    __slots__ = ("base",)
    saved_names = ("exponent", "result")
    saved_attrs = {"self": "base"}           # PyTorch's name for the Python number base

    def backward(self, ns, grad, y, result):
        c = self.base
        if not ns.INPLACE:   # PyTorch's grad * (result * log(c)) (mul.Scalar)
            gc = ns.mul_scalar(result, float(np.log(np.float64(c))))
            return (grad * (ns.where(y >= 0, 0.0, gc) if c == 0 else gc),)
        if c == 0:
            return (ns.where(y >= 0, 0.0, grad * result * float(np.log(np.float64(c)))),)
        return (grad * result * float(np.log(np.float64(c))),)


@export(torch='pow', method='pow', inplace='pow_', vmap=POINTWISE)
def pow(input, exponent):  # noqa: A001 - torch's name
    if not isinstance(input, Tensor):
        return _rpow(input, exponent)
    if isinstance(exponent, Tensor):
        x, y = binary_arrays(input, exponent)
        _no_bool_kernel(x, y, "pow")
        with _quiet():
            out = _int_power(x, y) if np.result_type(x, y).kind in "iu" else np.power(x, y)
        return record2(PowBackward1, input, exponent, out, (exponent, input, RESULT))
    if not isinstance(exponent, _SCALARS):
        raise TypeError(f"pow(): exponent must be a Tensor or a number, not {type(exponent).__name__}")
    x, p = binary_arrays(input, exponent)
    if x.dtype.kind == "b" and type(p) is bool:   # PyTorch: x ** 1 is a copy, x ** 0 ones
        return wrap(x.copy() if p else np.ones_like(x))
    if x.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with _quiet():   # PyTorch's special exponents: x*x, and rsqrt for -0.5 (-inf at -0)
        out = x * x if p == 2 else 1 / np.sqrt(x) if p == -0.5 else np.power(x, p)
    return record1(PowBackward0, input, out, input, exponent=exponent)


def _int_power(x, y):
    """Integer power with c10's rule for a negative exponent: 1 and -1 keep their magnitude,
    any other base gives 0 (NumPy refuses negative integer powers)."""
    dt = np.result_type(x, y)
    x, y = np.asarray(x, dt), np.asarray(y, dt)
    neg = y < 0
    if not neg.any():
        return np.power(x, y)
    out = np.power(x, np.where(neg, 0, y))
    inv = np.where(x == 1, 1, np.where(x == -1, np.where(y % 2 == 0, 1, -1), 0)).astype(dt)
    return np.where(neg, inv, out)


def _rpow(base, exponent: Tensor):
    x, y = binary_arrays(base, exponent)
    _no_bool_kernel(x, y, "pow")
    with _quiet():
        out = np.power(x, y)
    return record1(PowBackward2, exponent, out, (exponent, RESULT), base=base)


def rpow(input, other):
    return _rpow(other, input)


class RemainderBackward0(Node):
    """remainder(x, c) = x - c*floor(x/c): d/dx = 1 (almost everywhere)."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


class RemainderBackward1(Node):
    """remainder(x, y) = x - y*floor(x/y): d/dx = 1, d/dy = -(x // y) (floor division, as
    PyTorch: floor(x/y) would say 0 for 1 // -inf = -1). Saved other first, as PyTorch."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        return (grad if self.needs(0) else None,
                -grad * ns.floor_divide(x, y) if self.needs(1) else None)


@export(torch='remainder', method='remainder', inplace='remainder_', vmap=POINTWISE)
def remainder(input, other):
    x, y = binary_arrays(input, other)
    _no_bool_kernel(x, y, "remainder_cpu")
    if np.asarray(x).dtype.kind in "iub" and np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")
    with _quiet():
        if np.result_type(x, y).kind == "f":
            # PyTorch's kernel: fmod (exact), moved into the divisor's sign; a zero keeps the
            # dividend's sign (NumPy's mod gives it the divisor's)
            out = np.fmod(x, y)
            out = np.where((out != 0) & ((np.asarray(y) < 0) != (out < 0)), out + y, out)
        else:
            out = np.asarray(np.mod(x, y))
    if out.dtype.kind != "f" or not needs_grad(input, other):
        return wrap(out)
    if not isinstance(input, Tensor):     # scalar % tensor: PyTorch has no derivative
        return wrap(out, not_implemented("remainder", (other,), out))
    if not isinstance(other, Tensor):
        return record1(RemainderBackward0, input, out)
    return record2(RemainderBackward1, input, other, out,
                   lambda n: (other if n.needs(1) else None, input if n.needs(1) else None))
