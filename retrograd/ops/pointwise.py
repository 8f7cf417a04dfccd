"""Elementwise ops: forward over NumPy, the backward formula right under it.

Formulas are written against ``ns`` (NumPy arrays normally, retrograd Tensors when
``create_graph=True``) using operators and ``ns.*`` functions only, so they stay differentiable.
Formulas ignore broadcasting: the engine sums each gradient down to its input's shape.
"""
from __future__ import annotations

import operator as _operator

import numpy as np

from .. import _dtype as D
from .. import _grad_mode
from ..autograd.node import Node, SavedOutput
from ..autograd.node import ELEMENTWISE
from ._registry import POINTWISE, export
from ._util import (Tensor, binary_arrays, float_array, make_node, needs_grad, needs_grad1,
                    quiet, quiet_op, wrap, _SCALARS)



_quiet = quiet   # IEEE results without NumPy's warnings (x/0 = inf, log(0) = -inf, like PyTorch)



# ---------------------------------------------------------------------------------------------
class AddBackward0(Node):
    """d(x + alpha*y)/dx = 1, d/dy = alpha."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}         # the Python number given

    def backward(self, ns, grad):
        a = self.alpha
        return grad, (grad if a == 1 else grad * a) if self.needs(1) else None


@export(torch='add', method='add', inplace='add_', vmap=POINTWISE)
def add(input, other, *, alpha=1):
    x, y = binary_arrays(input, other)
    if alpha is True or alpha is False:
        if np.result_type(x, y).kind != "b":
            raise RuntimeError("Boolean alpha only supported for Boolean results.")
    elif alpha != 1 and np.result_type(x, y).kind == "b":
        alpha = bool(alpha)      # alpha is cast to the result dtype (PyTorch: 2 acts as True)
    if alpha == 1:
        out = quiet_op(_operator.add, x, y)
    else:
        with _quiet():
            out = x + y * alpha
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(AddBackward0, (input, other), out)
    node.alpha = alpha
    return wrap(out, node)


class SubBackward0(Node):
    """d(x - alpha*y)/dx = 1, d/dy = -alpha."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}

    def backward(self, ns, grad):
        return grad, (-grad if self.alpha == 1 else grad * -self.alpha) if self.needs(1) else None


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
        out = quiet_op(_operator.sub, x, y)
    else:
        with _quiet():
            out = x - y * alpha
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(SubBackward0, (input, other), out)
    node.alpha = alpha
    return wrap(out, node)


class RsubBackward1(Node):
    """rsub(x, c, alpha) = c - alpha*x: d/dx = -alpha."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}

    def backward(self, ns, grad):
        return (-grad if self.alpha == 1 else grad * -self.alpha,)


class RsubBackward0(Node):
    """rsub(x, y, alpha) = y - alpha*x for tensors: d/dx = -alpha, d/dy = 1."""
    jvp = ELEMENTWISE
    __slots__ = ("alpha",)
    saved_attrs = {"alpha": "alpha"}

    def backward(self, ns, grad):
        return ((-grad if self.alpha == 1 else grad * -self.alpha) if self.needs(0) else None,
                grad if self.needs(1) else None)


@export(torch='rsub', method='rsub', vmap=POINTWISE)
def rsub(input, other, *, alpha=1):
    if isinstance(other, Tensor):
        # sub's checks and values, recorded as PyTorch does: one RsubBackward0 (and no
        # SubBackward0 made and dropped, which would hide the node's rule from forward AD)
        with _grad_mode.no_grad():
            out = sub(other, input, alpha=alpha)
        if needs_grad(input, other) and out._data.dtype.kind in "fc":
            node = make_node(RsubBackward0, (input, other), out._data)
            node.alpha = alpha
            out = wrap(out._data, node)
        return out
    _sub_check(other, input)
    x, y = binary_arrays(input, other)
    with _quiet():
        out = y - x * alpha if alpha != 1 else y - x
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(RsubBackward1, (input,), out)
    node.alpha = alpha
    return wrap(out, node)


class MulBackward0(Node):
    """d(x*y)/dx = y, d(x*y)/dy = x. (Saved in PyTorch's order, other first: saved-tensor hooks
    see the same sequence of packs.)"""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        return (grad * y if self.needs(0) else None,
                grad * x if self.needs(1) else None)


@export(torch=('mul', 'multiply'), method=('mul', 'multiply'), inplace='mul_', vmap=POINTWISE)
def mul(input, other):
    x, y = binary_arrays(input, other)
    out = quiet_op(_operator.mul, x, y)
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(MulBackward0, (input, other), out)
    node.save(other if node.needs(0) else None, input if node.needs(1) else None)
    return wrap(out, node)


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
        if out._data.dtype.kind == "f" and needs_grad(input, other):
            node = make_node(DivBackward2, (input, other), out._data)
            node.rounding_mode = rounding_mode
            node.save(other, input if node.needs(1) else None)
            out._grad_fn = node
            out._requires_grad = True
        return out
    x, y = binary_arrays(input, other, floating=True)
    with _quiet():
        out = x / y
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(DivBackward0, (input, other), out)
    node.save(other, input if node.needs(1) else None)
    return wrap(out, node)


def _no_bool_kernel(x, y, kernel: str) -> None:
    """The integer kernels of PyTorch's division family have no bool version."""
    if np.result_type(x, y).kind == "b":
        from .elementwise import not_implemented_for   # (elementwise imports this module)
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
        from ..autograd.node import not_implemented
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
    return _unary_saving_result(ReciprocalBackward0, input, out)


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
        if not needs_grad(input, exponent):
            return wrap(out)
        node = make_node(PowBackward1, (input, exponent), out)
        res = wrap(out, node)
        node.save(exponent, input, SavedOutput(res))
        return res
    if not isinstance(exponent, _SCALARS):
        raise TypeError(f"pow(): exponent must be a Tensor or a number, not {type(exponent).__name__}")
    x, p = binary_arrays(input, exponent)
    if x.dtype.kind == "b" and type(p) is bool:   # PyTorch: x ** 1 is a copy, x ** 0 ones
        return wrap(x.copy() if p else np.ones_like(x))
    if x.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    with _quiet():   # PyTorch's special exponents: x*x, and rsqrt for -0.5 (-inf at -0)
        out = x * x if p == 2 else 1 / np.sqrt(x) if p == -0.5 else np.power(x, p)
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(PowBackward0, (input,), out)
    node.exponent = exponent
    node.save(input)
    return wrap(out, node)


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
    if not needs_grad1(exponent):
        return wrap(out)
    node = make_node(PowBackward2, (exponent,), out)
    node.base = base
    res = wrap(out, node)
    node.save(exponent, SavedOutput(res))
    return res


def rpow(input, other):
    return _rpow(other, input)


# -- unary --------------------------------------------------------------------------------------
def _unary(cls, input, out, save_input=True):
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(cls, (input,), out)
    if save_input:
        node.save(input)
    return wrap(out, node)


def _unary_saving_result(cls, input, out):
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(cls, (input,), out)
    res = wrap(out, node)
    node.save(SavedOutput(res))
    return res


class NegBackward0(Node):
    """d(-x)/dx = -1."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (-grad,)


@export(torch=('neg', 'negative'), method=('neg', 'negative'), inplace='neg_', vmap=POINTWISE)
def neg(input):
    if input._data.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return _unary(NegBackward0, input, -input._data, save_input=False)


class AbsBackward0(Node):
    """d|x|/dx = sign(x), 0 at x = 0 as in PyTorch."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if ns.INPLACE and x.dtype.kind == "f":
            s = _sign_array(x)
            s *= grad
            return (s,)
        return (grad * ns.sign(x),)


@export(torch=('abs', 'absolute'), method=('abs', 'absolute'), inplace='abs_', vmap=POINTWISE)
def abs(input):  # noqa: A001
    if input._data.dtype.kind == "b":
        from .elementwise import not_implemented_for   # (elementwise imports this module)
        raise not_implemented_for("abs_cpu", np.bool_)
    return _unary(AbsBackward0, input, np.abs(input._data))


class ExpBackward0(Node):
    """d(e^x)/dx = e^x (the saved result)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        return (grad * result,)


@export(torch='exp', method='exp', inplace='exp_', vmap=POINTWISE)
def exp(input):
    with _quiet():
        return _unary_saving_result(ExpBackward0, input, np.exp(float_array(input)))


class LogBackward0(Node):
    """d(log x)/dx = 1/x."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        return (grad / x,)


@export(torch='log', method='log', inplace='log_', vmap=POINTWISE)
def log(input):
    with _quiet():
        return _unary(LogBackward0, input, np.log(float_array(input)))


class SqrtBackward0(Node):
    """d(sqrt x)/dx = 1/(2 sqrt x) (inf at 0, as in PyTorch)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        return (grad / (2 * result),)


@export(torch='sqrt', method='sqrt', inplace='sqrt_', vmap=POINTWISE)
def sqrt(input):
    with _quiet():
        return _unary_saving_result(SqrtBackward0, input, np.sqrt(float_array(input)))


class SinBackward0(Node):
    """d(sin x)/dx = cos x."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        return (grad * ns.cos(x),)


@export(torch='sin', method='sin', inplace='sin_', vmap=POINTWISE)
def sin(input):
    with _quiet():   # sin(inf) = nan
        out = np.sin(float_array(input))
    return _unary(SinBackward0, input, out)


class CosBackward0(Node):
    """d(cos x)/dx = -sin x."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        return (grad * -ns.sin(x),)


@export(torch='cos', method='cos', inplace='cos_', vmap=POINTWISE)
def cos(input):
    with _quiet():
        out = np.cos(float_array(input))
    return _unary(CosBackward0, input, out)


class TanhBackward0(Node):
    """d(tanh x)/dx = 1 - tanh(x)^2 (from the saved result)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        return (grad * (1 - result * result),)


@export(torch='tanh', method='tanh', inplace='tanh_', vmap=POINTWISE)
def tanh(input):
    return _unary_saving_result(TanhBackward0, input, np.tanh(float_array(input)))


class SigmoidBackward0(Node):
    """d(sigmoid x)/dx = s (1 - s) with s the saved result."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if ns.INPLACE:              # NumPy: one temporary
            out = np.subtract(1, result)
            out *= result
            out *= grad
            return (out,)
        return (grad * (result * (1 - result)),)


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) as PyTorch's CPU kernel computes it (so values below about -88 in
    # float32 give 0 as there, not a subnormal), in place: four passes, no temporaries and no
    # data-dependent select. exp(-x) overflowing to inf is the intended path (no warning).
    # float16 is computed in float32 and rounded once, like PyTorch.
    if x.dtype == np.float16:
        return _sigmoid_array(x.astype(np.float32)).astype(np.float16)
    e = np.negative(x, out=np.empty(x.shape, x.dtype))
    with np.errstate(over="ignore"):
        np.exp(e, out=e)
    e += 1
    np.reciprocal(e, out=e)
    return e


@export(torch='sigmoid', method='sigmoid', inplace='sigmoid_', vmap=POINTWISE)
def sigmoid(input):
    return _unary_saving_result(SigmoidBackward0, input, _sigmoid_array(float_array(input)))


class ReluBackward0(Node):
    """d relu(x)/dx = 0 where the result is <= 0, else 1 (PyTorch's threshold_backward: at NaN
    the gradient passes)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        keep = ns.logical_not(result <= 0)
        return (ns.masked_backward("ThresholdBackwardBackward0", grad, result, keep, threshold=0),)


@export(torch='relu', method='relu', inplace='relu_', vmap=POINTWISE)
def relu(input):
    x = input._data
    if x.dtype.kind == "b":
        raise RuntimeError("Boolean inputs not supported for relu")
    # np.maximum gives its second operand on a tie: relu(-0) = -0, as PyTorch
    return _unary_saving_result(ReluBackward0, input, np.maximum(0, x))


class SignBackward0(Node):
    """d sign(x)/dx = 0 almost everywhere."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad),)


def _sign_array(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "b":
        return x.copy()
    s = np.sign(x)
    if x.dtype.kind == "f":
        s = np.where(np.isnan(s), 0, s).astype(x.dtype, copy=False)  # PyTorch: sign(nan) = 0
    return s


@export(torch='sign', method='sign', inplace='sign_', vmap=POINTWISE)
def sign(input):
    return _unary(SignBackward0, input, _sign_array(input._data), save_input=False)


# -- clamp, maximum/minimum, where ------------------------------------------------------------
class ClampBackward1(Node):
    """d clamp(x, lo, hi)/dx = 1 where lo <= x <= hi (the boundary passes: subgradient 1)."""
    jvp = ELEMENTWISE
    __slots__ = ("min", "max")
    saved_names = ("self",)
    saved_attrs = {"min": "min", "max": "max"}

    def backward(self, ns, grad, x):
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            mask = (x >= lo) & (x <= hi)
        elif lo is not None:
            mask = x >= lo
        else:
            mask = x <= hi
        return (ns.where(mask, grad, 0.0),)


class ClampBackward0(Node):
    """clamp with tensor bounds: grad to x where lo <= x <= hi, to the bound it was clamped to."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("max", "min", "self")

    def backward(self, ns, grad, hi, lo, x):
        gx = glo = ghi = None
        in_lo = (x >= lo) if lo is not None else None
        in_hi = (x <= hi) if hi is not None else None
        if self.needs(0):
            m = in_lo & in_hi if (in_lo is not None and in_hi is not None) else (
                in_lo if in_lo is not None else in_hi)
            gx = ns.where(m, grad, 0.0)
        if lo is not None and self.needs(1):
            glo = ns.where(x < lo, grad, 0.0)
        if hi is not None and self.needs(2):
            ghi = ns.where(x > hi, grad, 0.0)
        return gx, glo, ghi


@export(torch=('clamp', 'clip'), method=('clamp', 'clip'), inplace=('clamp_', 'clip_'),
        vmap=POINTWISE)
def clamp(input, min=None, max=None):  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    _check_clamp_args(min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensor(input, min, max)
    x = input._data
    if x.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = x.astype(np.float32)
    out = x
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    if out is x:
        out = x.copy()
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(ClampBackward1, (input,), out)
    node.min, node.max = min, max
    node.save(input)
    return wrap(out, node)


def _check_clamp_args(lo, hi) -> None:
    """clamp's two overloads (Tensor bounds or Number bounds), as PyTorch's parser checks them;
    the public wrapper words the error for the way clamp was called (``_clamp_error``)."""
    ok = (Tensor, type(None), int, float, bool, np.number)
    if isinstance(lo, ok) and isinstance(hi, ok):
        return
    got = ", ".join(f"{n}={type(v).__name__}" for n, v in (("min", lo), ("max", hi))
                    if v is not None) + ", "
    e = TypeError(f"clamp() received an invalid combination of arguments - got ({got}), but "
                  "expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min "
                  "= None, Number max = None)\n")
    e._rg_format = _clamp_error
    raise e


def _clamp_error(name: str, args, kwargs, method: bool) -> TypeError:
    """PyTorch's message: the types as given (positional, then keywords, the last given first),
    and for a method given two bounds, why neither overload matched."""
    pos = [type(a).__name__ for a in (args[1:] if method else args)]
    kws = list(reversed(kwargs))
    given = ", ".join(pos + [f"{k}={type(kwargs[k]).__name__}" for k in kws])
    if kws and not pos:
        given += ", "
    why = ""
    if method and len(args) - 1 + len(kwargs) == 2:
        why = ("      didn't match because some of the keywords were incorrect: " + ", ".join(kws)
               if kws else "      didn't match because some of the arguments have invalid types: ("
               + ", ".join(f"!{t}!" for t in pos) + ")") + "\n"
    sigs = ("(Tensor min = None, Tensor max = None)", "(Number min = None, Number max = None)")
    if not method:
        sigs = tuple(f"(Tensor input, {s[1:-1]}, *, Tensor out = None)" for s in sigs)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({given}), "
                     f"but expected one of:\n * {sigs[0]}\n{why} * {sigs[1]}\n{why}")


def _clamp_tensor(input, lo, hi):
    from ._util import broadcast_error, to_tensor
    lo = None if lo is None else to_tensor(lo, input)
    hi = None if hi is None else to_tensor(hi, input)
    for b in (lo, hi):
        if b is not None:
            try:
                np.broadcast_shapes(input._data.shape, b._data.shape)
            except ValueError:
                raise broadcast_error(input._data.shape, b._data.shape) from None
    # PyTorch's dtype for the three (a 0-d bound does not widen the input's kind)
    rt = D.result_type(*[t for t in (input, lo, hi) if t is not None]).np
    if rt.kind == "b" and lo is not None and hi is not None:   # (one bound: clamp_min/max)
        from .elementwise import not_implemented_for   # (elementwise imports this module)
        raise not_implemented_for("clamp_cpu", rt)
    out = input._data.astype(rt, copy=False)
    if lo is not None:
        out = np.maximum(out, lo._data.astype(rt, copy=False))
    if hi is not None:
        out = np.minimum(out, hi._data.astype(rt, copy=False))
    if not needs_grad(input, lo, hi):
        return wrap(np.array(out))
    node = make_node(ClampBackward0, (input, lo, hi), out)
    node.save(hi, lo, input)
    return wrap(np.array(out), node)


class ClampMinBackward0(Node):
    """d max(x, lo)/dx = 1 where x >= lo (the boundary passes)."""
    jvp = ELEMENTWISE
    __slots__ = ("min",)
    saved_names = ("self",)
    saved_attrs = {"min": "min"}

    def backward(self, ns, grad, x):
        return (ns.where(x >= self.min, grad, 0.0),)


class ClampMaxBackward0(Node):
    """d min(x, hi)/dx = 1 where x <= hi (the boundary passes)."""
    jvp = ELEMENTWISE
    __slots__ = ("max",)
    saved_names = ("self",)
    saved_attrs = {"max": "max"}

    def backward(self, ns, grad, x):
        return (ns.where(x <= self.max, grad, 0.0),)


class ClampMinBackward1(Node):
    """clamp_min with a tensor bound: grad to x where x >= lo, to lo where x < lo."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("min", "self")

    def backward(self, ns, grad, lo, x):
        return (ns.where(x >= lo, grad, 0.0) if self.needs(0) else None,
                ns.where(x < lo, grad, 0.0) if self.needs(1) else None)


class ClampMaxBackward1(Node):
    """clamp_max with a tensor bound: grad to x where x <= hi, to hi where x > hi."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("max", "self")

    def backward(self, ns, grad, hi, x):
        return (ns.where(x <= hi, grad, 0.0) if self.needs(0) else None,
                ns.where(x > hi, grad, 0.0) if self.needs(1) else None)


def _clamp_one(cls, input, bound, is_min: bool):
    if isinstance(bound, Tensor):
        x, b = binary_arrays(input, bound)
        out = np.maximum(x, b) if is_min else np.minimum(x, b)
        if not needs_grad(input, bound):
            return wrap(out)
        node = make_node(ClampMinBackward1 if is_min else ClampMaxBackward1, (input, bound), out)
        node.save(bound, input)
        return wrap(out, node)
    x = input._data
    if x.dtype.kind != "f" and isinstance(bound, float):
        x = x.astype(np.float32)
    elif x.dtype.kind == "b" and type(bound) is bool:
        from .elementwise import not_implemented_for   # (elementwise imports this module)
        raise not_implemented_for(f"clamp_{'min' if is_min else 'max'}_scalar_cpu", np.bool_)
    out = np.maximum(x, bound) if is_min else np.minimum(x, bound)
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(cls, (input,), out)
    if is_min:
        node.min = bound
    else:
        node.max = bound
    node.save(input)
    return wrap(out, node)


@export(torch='clamp_min', method='clamp_min', inplace='clamp_min_', vmap=POINTWISE)
def clamp_min(input, min):  # noqa: A002
    return _clamp_one(ClampMinBackward0, input, min, True)


@export(torch='clamp_max', method='clamp_max', inplace='clamp_max_', vmap=POINTWISE)
def clamp_max(input, max):  # noqa: A002
    return _clamp_one(ClampMaxBackward0, input, max, False)


class MaximumBackward0(Node):
    """d max(x, y): grad to the larger input, split in half on ties; where a NaN makes the
    comparison false, both inputs get it (PyTorch's where(x == y, grad / 2, grad) with the
    smaller input's entries zeroed)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        half = grad * 0.5
        gx = ns.where(x == y, half, ns.where(x < y, 0.0, grad)) if self.needs(0) else None
        gy = ns.where(x == y, half, ns.where(x > y, 0.0, grad)) if self.needs(1) else None
        return gx, gy


class MinimumBackward0(Node):
    """d min(x, y): grad to the smaller input, split in half on ties; both inputs get it where a
    NaN makes the comparison false (PyTorch)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        half = grad * 0.5
        gx = ns.where(x == y, half, ns.where(x > y, 0.0, grad)) if self.needs(0) else None
        gy = ns.where(x == y, half, ns.where(x < y, 0.0, grad)) if self.needs(1) else None
        return gx, gy


def _maxmin(cls, fn, input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{cls.__name__[:7].lower()}(): argument 'other' (position 2) must be "
                        f"Tensor, not {type(other).__name__}")
    x, y = binary_arrays(input, other)
    out = fn(x, y)
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(cls, (input, other), out)
    node.save(other, input)
    return wrap(out, node)


@export(torch='maximum', method='maximum', vmap=POINTWISE)
def maximum(input, other):
    return _maxmin(MaximumBackward0, np.maximum, input, other)


@export(torch='minimum', method='minimum', vmap=POINTWISE)
def minimum(input, other):
    return _maxmin(MinimumBackward0, np.minimum, input, other)


class WhereBackward0(Node):
    """where(c, x, y): grad to x where c, to y elsewhere; c gets none."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("condition",)

    def backward(self, ns, grad, cond):
        return (None,
                ns.where(cond, grad, 0.0) if self.needs(1) else None,
                ns.where(cond, 0.0, grad) if self.needs(2) else None)


def _where_shapes(*shapes) -> None:
    """PyTorch broadcasts condition, input and other in this order (its error names the first
    pair that clashes)."""
    from ._util import broadcast_error
    shape = shapes[0]
    for s in shapes[1:]:
        try:
            shape = np.broadcast_shapes(shape, s)
        except ValueError:
            raise broadcast_error(shape, s) from None


@export(torch='where', method=False, vmap='where')
def where(condition, input=None, other=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._data.dtype == np.uint8:  # PyTorch warns (once per process) and computes
        from .. import _warn
        _warn.warn("where received a uint8 condition tensor. This behavior is deprecated and will "
                   "be removed in a future version of PyTorch. Use a boolean condition instead.")
    elif condition._data.dtype.kind != "b":
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype._legacy[:-6]}")
    _where_shapes(condition._data.shape, np.shape(input), np.shape(other))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        dt = D.result_type(input, other)
        x, y = np.asarray(input, dtype=dt.np), np.asarray(other, dtype=dt.np)
    else:
        x, y = binary_arrays(input, other)
    c = condition._data
    out = np.where(c, x, y)
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(WhereBackward0, (condition, input, other), out)
    node.save(condition)
    return wrap(out, node)


# -- comparisons and logic (no gradient) ------------------------------------------------------
def _compare(fn):
    def op(input, other):
        x, y = binary_arrays(input, other)
        return wrap(fn(x, y))
    op.__name__ = fn.__name__
    return op


_CMP = dict(vmap=POINTWISE)
eq = export(torch='eq', method='eq', inplace='eq_', **_CMP)(_compare(np.equal))
ne = export(torch=('ne', 'not_equal'), method=('ne', 'not_equal'), inplace=('ne_', 'not_equal_'),
            **_CMP)(_compare(np.not_equal))
lt = export(torch=('lt', 'less'), method=('lt', 'less'), inplace=('lt_', 'less_'),
            **_CMP)(_compare(np.less))
le = export(torch=('le', 'less_equal'), method=('le', 'less_equal'), inplace=('le_', 'less_equal_'),
            **_CMP)(_compare(np.less_equal))
gt = export(torch=('gt', 'greater'), method=('gt', 'greater'), inplace=('gt_', 'greater_'),
            **_CMP)(_compare(np.greater))
ge = export(torch=('ge', 'greater_equal'), method=('ge', 'greater_equal'),
            inplace=('ge_', 'greater_equal_'), **_CMP)(_compare(np.greater_equal))


@export(torch='logical_not', method='logical_not', vmap=POINTWISE)
def logical_not(input):
    return wrap(np.logical_not(input._data))


@export(torch='bitwise_not', method='bitwise_not', vmap=POINTWISE)
def bitwise_not(input):
    x = input._data
    if x.dtype.kind == "f":
        from .elementwise import not_implemented_for   # (elementwise imports this module)
        raise not_implemented_for("bitwise_not_cpu", x.dtype)
    return wrap(np.invert(x))


def _bitwise(fn, name):
    def op(input, other):  # (named below: in-place forms read the name)
        x, y = binary_arrays(input, other)
        dt = np.result_type(x, y)
        if dt.kind == "f":
            from .elementwise import not_implemented_for   # (elementwise imports this module)
            raise not_implemented_for(f"{name}_cpu", dt)
        return wrap(fn(x, y))
    op.__name__ = name
    return op


bitwise_and = export(torch='bitwise_and', method='bitwise_and', inplace='bitwise_and_',
                     vmap=POINTWISE)(_bitwise(np.bitwise_and, "bitwise_and"))
bitwise_or = export(torch='bitwise_or', method='bitwise_or', inplace='bitwise_or_',
                    vmap=POINTWISE)(_bitwise(np.bitwise_or, "bitwise_or"))
bitwise_xor = export(torch='bitwise_xor', method='bitwise_xor', inplace='bitwise_xor_',
                     vmap=POINTWISE)(_bitwise(np.bitwise_xor, "bitwise_xor"))


@export(torch='isnan', method='isnan', vmap=POINTWISE)
def isnan(input):
    return wrap(np.isnan(input._data))


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
        from ..autograd.node import not_implemented
        return wrap(out, not_implemented("remainder", (other,), out))
    if not isinstance(other, Tensor):
        return wrap(out, make_node(RemainderBackward0, (input,), out))
    node = make_node(RemainderBackward1, (input, other), out)
    node.save(other if node.needs(1) else None, input if node.needs(1) else None)
    return wrap(out, node)
