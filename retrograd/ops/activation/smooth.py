"""The smooth activation functions (``torch.nn.functional.X``): gelu, silu, mish, softplus,
logsigmoid, softsign, tanhshrink. The piecewise ones (relu, hardtanh, leaky_relu, elu, ...) are in
``functions.py``, which re-exports these names.

Every forward is numerically stable where PyTorch's is (softplus turns linear above its
threshold, logsigmoid and silu never overflow), and every formula is written with ``ns`` so
double backward works.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from ..elementwise import arithmetic as P
from ..elementwise import unary_core as P_unary_core
from .._registry import POINTWISE, export
from .._util import wrap
from ...autograd._record import record1
from ..elementwise.unary import _quiet
from ..elementwise.special_np import erf
from ._common import _floating, _maybe_inplace, _opmath, _tensor


# -- gelu, silu, mish ---------------------------------------------------------------------------
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_KAPPA = 0.044715


class GeluBackward0(Node):
    """d gelu(x)/dx = Phi(x) + x phi(x); tanh form: the derivative of
    x/2 (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), written with s = sigmoid(2u)
    (1 + tanh u = 2 s, 1 - tanh^2 u = 4 s (1 - s)): s + 2 x s (1 - s) u', without the
    cancellation of 1 + tanh u for negative x."""
    jvp = ELEMENTWISE
    __slots__ = ("approximate",)
    saved_names = ("self",)
    saved_attrs = {"approximate": "approximate"}

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # create_graph: PyTorch's gelu_backward kernel (GeluBackwardBackward0)
            return (ns.gelu_backward(grad, x, self.approximate),)
        if self.approximate == "tanh":
            x2 = x * x
            s = ns.sigmoid(_SQRT_2_OVER_PI * 2 * (x + _KAPPA * x2 * x))
            dinner = _SQRT_2_OVER_PI * (1 + 3 * _KAPPA * x2)
            return (grad * (s + 2 * x * s * (1 - s) * dinner),)
        with _quiet():
            cdf = 0.5 * (1 + ns.erf(x * math.sqrt(0.5)))
            pdf = _INV_SQRT_2PI * ns.exp(x * x * -0.5)
            return (grad * (cdf + x * pdf),)


@export(torch=False, functional=True, vmap=POINTWISE)
def gelu(input, *, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x0 = _floating(input, "GeluKernelImpl", "gelu")
    x = _opmath(x0)
    with _quiet():
        if approximate == "tanh":
            # x/2 (1 + tanh u) = x sigmoid(2u): no cancellation of 1 + tanh u for x < 0
            inner = _SQRT_2_OVER_PI * (x + _KAPPA * x * x * x)
            out = x * P_unary_core._sigmoid_array(inner * 2)
        else:   # PyTorch's x/2 (1 + erf(x/sqrt 2)), in the input's dtype (exact zeros far left)
            t = x.dtype.type
            out = x * t(0.5) * (1 + erf(x * t(math.sqrt(0.5))).astype(x.dtype))
    out = np.asarray(out).astype(x0.dtype, copy=False)
    return record1(GeluBackward0, input, out, input, approximate=approximate)


class SiluBackward0(Node):
    """d x sigmoid(x)/dx = s (1 + x (1 - s)), s = sigmoid(x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        s = ns.sigmoid(x)
        if not ns.INPLACE:   # create_graph: PyTorch's infinitely_differentiable_silu_backward
            return (grad * s * ns.add_scalar(x * ns.scalar_sub(1.0, s), 1.0),)
        return (grad * s * (1 + x * (1 - s)),)


def _silu(input):
    x = _floating(input, "silu_cpu", "silu")
    y = _opmath(x)
    with _quiet():   # silu(-inf) = -inf * 0 = nan, as PyTorch
        out = (y * P_unary_core._sigmoid_array(y)).astype(x.dtype, copy=False)
    return record1(SiluBackward0, input, out, input)


@export(torch=False, functional=True, vmap=POINTWISE)
def silu(input, inplace=False):
    return _maybe_inplace(_silu, input, inplace)


class MishBackward0(Node):
    """d x tanh(softplus(x))/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # create_graph: PyTorch's infinitely_differentiable_mish_backward
            t = ns.tanh(ns.log1p(ns.exp(x)))
            return (grad * (t + x * ns.sigmoid(x) * ns.scalar_sub(1.0, t * t)),)
        t = ns.tanh(ns.softplus(x))
        return (grad * (t + x * ns.sigmoid(x) * (1 - t * t)),)


def _mish(input):
    x = _floating(input, "mish_cpu", "mish")
    y = _opmath(x)
    with _quiet():
        out = (y * np.tanh(np.logaddexp(0, y))).astype(x.dtype, copy=False)
    return record1(MishBackward0, input, out, input)


@export(torch=False, functional=True, vmap=POINTWISE)
def mish(input, inplace=False):
    return _maybe_inplace(_mish, input, inplace)


# -- softplus, logsigmoid, softsign, tanhshrink -------------------------------------------------
class SoftplusBackward0(Node):
    """d softplus(x)/dx = sigmoid(beta x), 1 where beta x > threshold (the linear branch)."""
    jvp = ELEMENTWISE
    __slots__ = ("beta", "threshold")
    saved_names = ("self",)
    saved_attrs = {"beta": "beta", "threshold": "threshold"}

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # create_graph: PyTorch's kernel (SoftplusBackwardBackward0)
            return (ns.softplus_backward(grad, x, self.beta, self.threshold),)
        z = x * self.beta
        return (ns.where(z > self.threshold, grad, grad * ns.sigmoid(z)),)


@export(torch=False, functional=True, vmap=POINTWISE)
def softplus(input, beta=1, threshold=20):   # PyTorch's Scalar defaults (ints)
    x0 = _floating(input, "softplus_cpu", "softplus")
    x = _opmath(x0)
    t = x.dtype.type
    with _quiet():   # PyTorch's log1p(exp(beta x)) / beta: linear above the threshold
        z = x * t(beta)
        out = np.where(z > threshold, x, np.log1p(np.exp(z)) / t(beta)).astype(x0.dtype, copy=False)
    return record1(SoftplusBackward0, input, out, input, beta=beta, threshold=threshold)


class LogSigmoidBackward0(Node):
    """d log(sigmoid(x))/dx = 1 - sigmoid(x) = sigmoid(-x).

    Saves ``self`` and ``buffer`` = exp(-|x|), as PyTorch's CPU kernel does. The formula reads
    ``x``: one written on ``buffer`` would have no second derivative (``buffer`` is a constant
    of the graph, while PyTorch's double backward differentiates through ``self`` only)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "buffer")

    def backward(self, ns, grad, x, buffer):
        if not ns.INPLACE:   # create_graph: PyTorch's kernel (LogSigmoidBackwardBackward0)
            return (ns.log_sigmoid_backward(grad, x, buffer),)
        return (grad * ns.sigmoid(-x),)


@export(torch=False, functional=True, vmap=POINTWISE)
def logsigmoid(input):
    x0 = _floating(input, "log_sigmoid_cpu", "logsigmoid")
    x = _opmath(x0)
    z = np.exp(-np.abs(x))                                  # never exp of a positive number
    out = (np.minimum(x, 0) - np.log1p(z)).astype(x0.dtype, copy=False)
    return record1(LogSigmoidBackward0, input, out,
                   lambda n: (input, wrap(z.astype(x0.dtype, copy=False))))


@export(torch=False, functional=True, vmap=POINTWISE, composite=True)
def softsign(input):
    """x / (1 + |x|), recorded as PyTorch composes it: DivBackward0 over AddBackward0 and
    AbsBackward0."""
    _tensor(input, "softsign")
    return P.div(input, P.add(P_unary_core.abs(input), 1))


@export(torch=False, functional=True, vmap=POINTWISE, composite=True)
def tanhshrink(input):
    """x - tanh(x), recorded as PyTorch composes it: SubBackward0 over TanhBackward0."""
    _tensor(input, "tanhshrink")
    return P.sub(input, P_unary_core.tanh(input))
