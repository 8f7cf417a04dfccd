"""Activation functions (``torch.nn.functional.X``, and ``torch.X`` where PyTorch has it):
relu, relu6, hardtanh, leaky_relu, elu/selu/celu, hardsigmoid, hardswish and the
``inplace=True`` forms. The smooth ones (gelu, silu, mish, softplus, logsigmoid, softsign,
tanhshrink) are in ``smooth.py`` and importable from here too; softmax, log_softmax, softmin,
logsumexp and glu are in ``softmax.py``, hardshrink, softshrink, threshold, prelu and rrelu in
``piecewise.py``.

Every forward is numerically stable where PyTorch's is, and every formula is written with ``ns``
so double backward works.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from ..elementwise import unary_core as P_unary_core
from .._registry import POINTWISE, export
from .._util import Tensor
from ...autograd._record import RESULT, record1
from ..elementwise.unary import _quiet
from ..inplace import apply_inplace
from ._common import _floating, _maybe_inplace, _opmath, _tensor  # noqa: F401 (piecewise, softmax)
# the smooth activations: their own module, importable from here as before
from .smooth import gelu, logsigmoid, mish, silu, softplus, softsign, tanhshrink  # noqa: F401

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# -- relu (the lead's op, with F.relu's inplace argument) ---------------------------------------
@export(torch=False, functional="relu", vmap=POINTWISE)
def _functional_relu(input, inplace=False):
    return apply_inplace(input, P_unary_core.relu) if inplace else P_unary_core.relu(input)


@export(torch="relu_", functional="relu_")
def _relu_inplace(input):
    return apply_inplace(input, P_unary_core.relu)


# torch.nn.functional.sigmoid / tanh and torch.special.expit are the lead's pointwise ops
export(torch=False, functional="sigmoid", special="expit")(P_unary_core.sigmoid)
export(torch=False, functional="tanh")(P_unary_core.tanh)


# -- hardtanh, relu6 ----------------------------------------------------------------------------
class HardtanhBackward0(Node):
    """d hardtanh(x)/dx = 1 for min_val < x < max_val, else 0."""
    jvp = ELEMENTWISE
    __slots__ = ("min_val", "max_val")
    saved_names = ("self",)
    saved_attrs = {"min_val": "min_val", "max_val": "max_val"}

    def backward(self, ns, grad, x):
        # zero where x <= min_val or x >= max_val: a NaN passes the gradient, as in PyTorch
        return (ns.masked_backward("HardtanhBackwardBackward0", grad, x,
                                   ns.logical_not((x <= self.min_val) | (x >= self.max_val)),
                                   min_val=self.min_val, max_val=self.max_val),)


def _hardtanh(input, min_val=-1.0, max_val=1.0):
    x = _tensor(input, "hardtanh")
    if x.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if x.dtype.kind == "u" and (min_val < 0 or max_val < 0):
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    lo, hi = (x.dtype.type(min_val), x.dtype.type(max_val)) if x.dtype.kind == "f" else \
        (min_val, max_val)
    # np.maximum/np.minimum give their second operand on a tie: hardtanh(-0) = -0 (PyTorch)
    out = np.minimum(hi, np.maximum(lo, x)).astype(x.dtype, copy=False)
    return record1(HardtanhBackward0, input, out, input, min_val=min_val, max_val=max_val)


@export(torch=False, functional=True, vmap=POINTWISE)
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


@export(torch=False, functional="hardtanh_")
def hardtanh_(input, min_val=-1, max_val=1):
    return hardtanh(input, min_val, max_val, inplace=True)


@export(torch=False, functional=True, vmap=POINTWISE)
def relu6(input, inplace=False):
    return _maybe_inplace(_hardtanh, input, inplace, 0, 6)


# -- leaky_relu ---------------------------------------------------------------------------------
_NEG_SLOPE_INPLACE = (
    "In-place leakyReLu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, please "
    "call out-of-place version instead. File an issue at https://github.com/pytorch/pytorch if you "
    "do require supporting in-place leakRelu backward calculation with negative slope")


class LeakyReluBackward0(Node):
    """d leaky_relu(x)/dx = 1 for x > 0, negative_slope otherwise."""
    jvp = ELEMENTWISE
    __slots__ = ("negative_slope",)
    saved_names = ("self",)
    saved_attrs = {"negative_slope": "negative_slope"}

    def backward(self, ns, grad, x):
        return (ns.masked_backward("LeakyReluBackwardBackward0", grad, x, x > 0,
                                   self.negative_slope, negative_slope=self.negative_slope),)


class LeakyReluBackward1(LeakyReluBackward0):
    """In-place leaky_relu: the same derivative, read off the sign of the saved result."""
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if self.negative_slope < 0:
            raise RuntimeError(_NEG_SLOPE_INPLACE)
        return (ns.masked_backward("LeakyReluBackwardBackward0", grad, result, result > 0,
                                   self.negative_slope, negative_slope=self.negative_slope),)


def _leaky(input, negative_slope=0.01, cls=LeakyReluBackward0):
    x = _floating(input, "leaky_relu_cpu", "leaky_relu")
    out = np.where(x > 0, x, x * x.dtype.type(negative_slope))
    return record1(cls, input, out, input if cls is LeakyReluBackward0 else RESULT,
                   negative_slope=negative_slope)


def _leaky_inplace_op(input, negative_slope):
    return _leaky(input, negative_slope, LeakyReluBackward1)


def _check_number(value, fn: str, name: str) -> None:
    """PyTorch's parser check of a Scalar argument these functionals pass on positionally."""
    if not isinstance(value, (int, float, complex, np.number, np.bool_, Tensor)):
        raise TypeError(f"{fn}(): argument '{name}' (position 2) must be Number, not "
                        f"{type(value).__name__}")


@export(torch=False, functional=True, vmap=POINTWISE)
def leaky_relu(input, negative_slope=0.01, inplace=False):
    _check_number(negative_slope, "leaky_relu_" if inplace else "leaky_relu", "negative_slope")
    if inplace:
        return apply_inplace(input, _leaky_inplace_op, negative_slope)
    return _leaky(input, negative_slope)


@export(torch=False, functional="leaky_relu_")
def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


# -- elu, selu, celu ----------------------------------------------------------------------------
_NEG_ALPHA_INPLACE = (
    "In-place elu backward calculation is triggered with a negative slope which is not "
    "supported. This is caused by calling in-place forward function with a negative slope, please "
    "call out-of-place version instead.")


class _EluBase(Node):
    """elu(x) = scale x for x > 0, scale alpha (exp(input_scale x) - 1) otherwise."""
    __slots__ = ("alpha", "scale", "input_scale")

    def backward(self, ns, grad, x):
        a, s, i = self.alpha, self.scale, self.input_scale
        if not ns.INPLACE:   # create_graph: PyTorch's elu_backward kernel (EluBackwardBackward0)
            return (ns.elu_backward(grad, a, s, i, False, x),)
        with _quiet():   # exp overflows on the x > 0 side, which where() discards
            return (ns.where(x <= 0, grad * (i * a * s) * ns.exp(x * i), grad * s),)


class _EluResultBase(_EluBase):
    """From the result y: d/dx = input_scale (y + alpha scale) for x <= 0, else scale."""
    __slots__ = ()

    def backward(self, ns, grad, result):
        a, s, i = self.alpha, self.scale, self.input_scale
        if a < 0:
            raise RuntimeError(_NEG_ALPHA_INPLACE)
        if not ns.INPLACE:   # create_graph: PyTorch's elu_backward kernel (EluBackwardBackward0)
            return (ns.elu_backward(grad, a, s, i, True, result),)
        return (ns.where(result <= 0, grad * i * (result + a * s), grad * s),)


class EluBackward0(_EluBase):
    """d elu(x)/dx = scale for x > 0, input_scale scale alpha exp(input_scale x) otherwise."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)
    saved_attrs = {"alpha": "alpha", "scale": "scale", "input_scale": "input_scale"}


class EluBackward1(_EluResultBase):
    """In-place elu/selu: d/dx = scale for y > 0, input_scale (y + alpha scale) otherwise."""
    __slots__ = ()
    saved_names = ("result",)
    saved_attrs = {"alpha": "alpha", "scale": "scale", "input_scale": "input_scale"}


class CeluBackward0(_EluBase):
    """d celu(x)/dx = 1 for x > 0, exp(x / alpha) otherwise."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)
    saved_attrs = {"alpha": "alpha"}


class CeluBackward1(_EluResultBase):
    """In-place celu: d/dx = 1 for y > 0, y / alpha + 1 otherwise."""
    __slots__ = ()
    saved_names = ("result",)
    saved_attrs = {"alpha": "alpha"}


def _elu(input, alpha, scale, input_scale, cls, name="elu", grad_input_scale=None):
    x0 = _floating(input, "elu_cpu", name)
    x = _opmath(x0)
    t = x.dtype.type
    with _quiet():
        out = np.where(x <= 0, np.expm1(x * t(input_scale)) * t(alpha * scale), x * t(scale))
    out = out.astype(x0.dtype, copy=False)
    return record1(cls, input, out, input if cls in (EluBackward0, CeluBackward0) else RESULT,
                   alpha=alpha, scale=scale,
                   input_scale=input_scale if grad_input_scale is None else grad_input_scale)


def _elu_op(input, alpha=1.0):
    return _elu(input, alpha, 1, 1, EluBackward0)


def _elu_inplace_op(input, alpha=1.0):
    return _elu(input, alpha, 1, 1, EluBackward1)


@export(torch=False, functional=True, vmap=POINTWISE)
def elu(input, alpha=1.0, inplace=False):
    _check_number(alpha, "elu_" if inplace else "elu", "alpha")
    return _maybe_inplace(_elu_inplace_op if inplace else _elu_op, input, inplace, alpha)


@export(torch=False, functional="elu_")
def elu_(input, alpha=1):   # torch._C._nn.elu_: Scalar alpha=1 (an int, as _saved_alpha shows)
    return elu(input, alpha, inplace=True)


def _selu_op(input):
    return _elu(input, SELU_ALPHA, SELU_SCALE, 1, EluBackward0, "selu")


def _selu_inplace_op(input):
    return _elu(input, SELU_ALPHA, SELU_SCALE, 1, EluBackward1, "selu")


@export(functional=True, vmap=POINTWISE)
def selu(input, inplace=False):
    return _maybe_inplace(_selu_inplace_op if inplace else _selu_op, input, inplace)


@export(torch="selu_", functional="selu_")
def selu_(input):
    return selu(input, inplace=True)


def _celu_op(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    # the gradient's input_scale is PyTorch's 1.0 / alpha.toFloat() (alpha rounded to float32
    # first, as derivatives.yaml writes it; the forward divides by alpha itself)
    return _elu(input, alpha, 1, 1.0 / alpha, CeluBackward1 if inplace else CeluBackward0,
                "celu", 1.0 / float(np.float32(alpha)))


def _celu_inplace_op(input, alpha=1.0):
    return _celu_op(input, alpha, True)


@export(functional=True, vmap=POINTWISE)
def celu(input, alpha=1.0, inplace=False):
    if inplace:
        return apply_inplace(input, _celu_inplace_op, alpha)
    return _celu_op(input, alpha)


@export(torch="celu_", functional="celu_")
def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


# -- hardsigmoid, hardswish ---------------------------------------------------------------------
class HardsigmoidBackward0(Node):
    """d relu6(x + 3)/6 /dx = 1/6 for -3 < x < 3, else 0."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        # (under create_graph PyTorch's kernel has no derivative: a NotImplemented node)
        return (ns.hardsigmoid_backward(grad, x),)


def _hardsigmoid(input):
    x = _floating(input, "hardsigmoid_cpu", "hardsigmoid")
    out = np.minimum(np.maximum(x + 3, 0), 6) / x.dtype.type(6)
    return record1(HardsigmoidBackward0, input, out.astype(x.dtype, copy=False), input)


@export(torch=False, functional=True, vmap=POINTWISE)
def hardsigmoid(input, inplace=False):
    return _maybe_inplace(_hardsigmoid, input, inplace)


class HardswishBackward0(Node):
    """d x relu6(x + 3)/6 /dx = 0 for x <= -3, x/3 + 1/2 for -3 < x < 3, 1 for x >= 3."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # create_graph: PyTorch's kernel (HardswishBackwardBackward0)
            return (ns.hardswish_backward(grad, x),)
        return (ns.where(x <= -3, 0.0, ns.where(x < 3, grad * (x / 3 + 0.5), grad)),)


def _hardswish(input):
    x = _floating(input, "hardswish_cpu", "hardswish")
    with _quiet():
        out = x * np.minimum(np.maximum(x + 3, 0), 6) / x.dtype.type(6)
    return record1(HardswishBackward0, input, out.astype(x.dtype, copy=False), input)


@export(torch=False, functional=True, vmap=POINTWISE)
def hardswish(input, inplace=False):
    return _maybe_inplace(_hardswish, input, inplace)
