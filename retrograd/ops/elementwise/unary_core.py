"""The common unary ops: neg, abs, exp, log, sqrt, sin, cos, tanh, sigmoid, relu, sign (each
recorded by ``record1``, saving its input or its ``RESULT``)."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import float_array, quiet, quiet_op
from .._util import not_implemented_for
from ...autograd._record import RESULT, record1

_quiet = quiet   # IEEE results without NumPy's warnings (x/0 = inf, log(0) = -inf, like PyTorch)

# dtype -> a read-only 0-d array 1 of that dtype, for formulas on NumPy arrays: a Python number
# operand costs a ufunc call on a small array ~0.5 us more (NumPy's weak-scalar promotion), and
# gives the same values (1 is exact in every dtype).
_ONES: dict = {}


def _one(dtype) -> np.ndarray:
    one = np.ones((), dtype)
    one.flags.writeable = False
    _ONES[dtype] = one
    return one


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
    return record1(NegBackward0, input, -input._data)


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
        return (grad * ns.sgn(x),)   # PyTorch's grad * self.sgn()


@export(torch=('abs', 'absolute'), method=('abs', 'absolute'), inplace='abs_', vmap=POINTWISE)
def abs(input):  # noqa: A001
    if input._data.dtype.kind == "b":
        raise not_implemented_for("abs_cpu", np.bool_)
    return record1(AbsBackward0, input, np.abs(input._data), input)


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
        return record1(ExpBackward0, input, np.exp(float_array(input)), RESULT)


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
        return record1(LogBackward0, input, np.log(float_array(input)), input)


class SqrtBackward0(Node):
    """d(sqrt x)/dx = 1/(2 sqrt x) (inf at 0, as in PyTorch)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if not ns.INPLACE:   # PyTorch's grad / (2 * result), 2 * result a mul.Scalar
            return (grad / ns.mul_scalar(result, 2),)
        return (grad / (2 * result),)


@export(torch='sqrt', method='sqrt', inplace='sqrt_', vmap=POINTWISE)
def sqrt(input):
    with _quiet():
        return record1(SqrtBackward0, input, np.sqrt(float_array(input)), RESULT)


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
    return record1(SinBackward0, input, out, input)


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
    return record1(CosBackward0, input, out, input)


class TanhBackward0(Node):
    """d(tanh x)/dx = 1 - tanh(x)^2 (from the saved result)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if ns.INPLACE:   # NumPy: 1 as an array of result's dtype (a Python number costs ~0.5 us)
            one = _ONES.get(result.dtype)
            if one is None:
                one = _one(result.dtype)
            return (grad * (one - result * result),)
        return (ns.tanh_backward(grad, result),)   # TanhBackwardBackward0, as PyTorch


@export(torch='tanh', method='tanh', inplace='tanh_', vmap=POINTWISE)
def tanh(input):
    x = input._data              # float_array inlined
    return record1(TanhBackward0, input, np.tanh(x if x.dtype.kind == "f" else float_array(input)),
                   RESULT)


class SigmoidBackward0(Node):
    """d(sigmoid x)/dx = s (1 - s) with s the saved result."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if ns.INPLACE:              # NumPy: one temporary
            out = np.subtract(_ONE.get(result.dtype, 1), result)
            out *= result
            out *= grad
            return (out,)
        return (ns.sigmoid_backward(grad, result),)   # SigmoidBackwardBackward0, as PyTorch


def _sigmoid_array(x: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(-x)) as PyTorch's CPU kernel computes it (so values below about -88 in
    # float32 give 0 as there, not a subnormal), in place: four passes, no temporaries and no
    # data-dependent select. exp(-x) overflowing to inf is the intended path (no warning).
    # float16 is computed in float32 and rounded once, like PyTorch.
    if x.dtype is _F16:
        return _sigmoid_array(x.astype(np.float32)).astype(np.float16)
    e = np.negative(x, out=np.empty(x.shape, x.dtype))
    quiet_op(np.exp, e, e)      # (into e: out given positionally)
    e += _ONE.get(x.dtype, 1)   # (a 1 of x's dtype: no Python scalar to convert per call)
    np.reciprocal(e, out=e)
    return e


_F16 = np.dtype(np.float16)
_ONE = {np.dtype(t): np.ones((), t) for t in (np.float32, np.float64)}


@export(torch='sigmoid', method='sigmoid', inplace='sigmoid_', vmap=POINTWISE)
def sigmoid(input):
    return record1(SigmoidBackward0, input, _sigmoid_array(float_array(input)), RESULT)


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
    return record1(ReluBackward0, input, _max0(x), RESULT)


try:
    from numpy._core.umath import clip as _clip_ufunc   # np.clip without its Python wrapper
except ImportError:  # pragma: no cover - another NumPy layout
    _clip_ufunc = None


def _max0(x: np.ndarray) -> np.ndarray:
    """relu's values: ``max(0, x)`` keeping -0 and NaN (with its sign), as PyTorch. For floats
    the clip ufunc: the same bits as ``np.maximum(0, x)``, whose loop with a scalar operand is
    not vectorised (128x512 float32: 33 -> 12 us), and right for half, where NumPy's
    ``maximum(0, -0.)`` gives +0."""
    if x.dtype.kind == "f" and _clip_ufunc is not None:
        return _clip_ufunc(x, 0, np.inf)
    if x.dtype == np.float16:   # (no clip ufunc) NumPy's half maximum(0, -0.) gives +0
        out = x.copy()
        out[x < 0] = 0
        return out
    return np.maximum(0, x)


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
    return record1(SignBackward0, input, _sign_array(input._data))
