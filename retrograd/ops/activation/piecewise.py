"""Piecewise activations: hardshrink, softshrink, threshold, prelu and rrelu; and the backward ops
of the piecewise-linear activations (relu, threshold, leaky_relu, hardtanh, hardshrink,
softshrink) that a differentiable backward records."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import Tensor, quiet, wrap
from ...autograd._record import RESULT, record1, record2
from .functions import _floating, _tensor
from ..elementwise.unary import not_implemented_for
from ..inplace import apply_inplace
from ..shape.basic import view
from ..._random import _rng
from ..._random_dists import uniform_double
from ... import _dtype as D
from .. import numpy_ns


# -- hardshrink, softshrink, threshold ----------------------------------------------------------
class HardshrinkBackward0(Node):
    """d hardshrink(x)/dx = 0 for -lambd <= x <= lambd, else 1."""
    jvp = ELEMENTWISE
    __slots__ = ("lambd",)
    saved_names = ("self",)
    saved_attrs = {"lambd": "lambd"}
    _double = "HardshrinkBackwardBackward0"   # its backward's node (create_graph)

    def backward(self, ns, grad, x):
        l = self.lambd   # noqa: E741
        # zero for -lambd <= x <= lambd: a NaN passes the gradient, as in PyTorch
        keep = ns.logical_not((x >= -l) & (x <= l))
        return (ns.masked_backward(self._double, grad, x, keep, lambd=l),)


@export(method=True, functional=True, vmap=POINTWISE)
def hardshrink(input, lambd=0.5):
    x = _floating(input, "hardshrink_cpu", "hardshrink")
    out = np.where((x >= -lambd) & (x <= lambd), x.dtype.type(0), x)
    return record1(HardshrinkBackward0, input, out, input, lambd=lambd)


class SoftshrinkBackward0(HardshrinkBackward0):
    """d softshrink(x)/dx = 0 for -lambd <= x <= lambd, else 1."""
    jvp = ELEMENTWISE
    __slots__ = ()
    _double = "SoftshrinkBackwardBackward0"


_FMAX = {"float32": "3.40282e+38", "float64": "1.79769e+308", "float16": "65504"}


@export(torch=False, functional=True, vmap=POINTWISE)
def softshrink(input, lambd=0.5):
    x = _floating(input, "softshrink_check", "softshrink")
    if not lambd >= 0:
        raise RuntimeError(f"lambda must be in range [0, {_FMAX[x.dtype.name]}] for input dtype "
                           f"{_TITLE[x.dtype.name]}, but found {lambd:g}")
    t = x.dtype.type(lambd)
    # x -+ lambd outside [-lambd, lambd], x * 0 inside (-0 for negative x, NaN stays NaN)
    with quiet():   # (inf * 0 is NaN where it is thrown away)
        out = np.where(x > t, x - t, np.where(x < -t, x + t, x * 0))
    return record1(SoftshrinkBackward0, input, out, input, lambd=lambd)


_TITLE = D.SCALAR_NAMES  # the one table, in _dtype.py


class ThresholdBackward0(Node):
    """d threshold(x)/dx = 1 for x > threshold, else 0."""
    jvp = ELEMENTWISE
    __slots__ = ("threshold",)
    saved_names = ("self",)
    saved_attrs = {"threshold": "threshold"}

    def backward(self, ns, grad, x):
        keep = ns.logical_not(x <= self.threshold)   # a NaN passes the gradient (PyTorch)
        return (ns.masked_backward("ThresholdBackwardBackward0", grad, x, keep,
                                   threshold=self.threshold),)


class ThresholdBackward1(ThresholdBackward0):
    """In-place threshold: the same derivative (PyTorch saves the input before the write)."""
    __slots__ = ()


def _threshold(input, threshold, value, cls=ThresholdBackward0):
    x = _tensor(input, "threshold")
    if x.dtype.kind == "b":
        raise not_implemented_for("threshold_cpu", x.dtype)
    out = np.where(x <= threshold, value, x).astype(x.dtype, copy=False)   # NaN stays NaN
    return record1(cls, input, out, input, threshold=threshold)


def _threshold_inplace_op(input, threshold, value):
    return _threshold(input, threshold, value, ThresholdBackward1)


@export(functional=True, vmap=POINTWISE)
def threshold(input, threshold, value, inplace=False):
    if inplace:
        return apply_inplace(input, _threshold_inplace_op, threshold, value)
    return _threshold(input, threshold, value)


@export(torch="threshold_", functional="threshold_")
def threshold_(input, threshold, value):
    return apply_inplace(input, _threshold_inplace_op, threshold, value)


# -- prelu --------------------------------------------------------------------------------------
class PreluKernelBackward0(Node):
    """prelu(x, w) = x for x > 0, w x otherwise: d/dx = 1 or w, d/dw = 0 or x."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "weight")

    def backward(self, ns, grad, x, w):
        if not ns.INPLACE:   # create_graph: PyTorch's kernel (PreluKernelBackwardBackward0)
            gx, gw = ns.prelu_kernel_backward(grad, x, w)
            return (gx if self.needs(0) else None, gw if self.needs(1) else None)
        pos = x > 0
        return (ns.where(pos, grad, w * grad) if self.needs(0) else None,
                ns.where(pos, 0.0, x * grad) if self.needs(1) else None)


@export(method=True, functional=True)
def prelu(input, weight):
    x = _tensor(input, "prelu")
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not "
                        f"{type(weight).__name__}")
    w = weight._data
    if w.size != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        channels = x.shape[1] if x.ndim >= 2 else 1
        if channels != w.size:
            raise RuntimeError("Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {w.size} and channel size = {channels}.")
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.ndim}")
    if x.dtype.kind != "f":
        raise not_implemented_for("prelu_cpu", x.dtype)
    if w.ndim != x.ndim:   # PyTorch views the weight as [1, C, 1, ...] (or as the 0-d input)
        shape = [1] * x.ndim
        if x.ndim >= 2:
            shape[1] = w.size
        weight = view(weight, tuple(shape))
        w = weight._data
    out = np.where(x > 0, x, w * x)
    out = np.asarray(out, dtype=np.result_type(x, w))
    return record2(PreluKernelBackward0, input, weight, out, (input, weight))


# -- rrelu --------------------------------------------------------------------------------------
class RreluWithNoiseBackward0(Node):
    """rrelu: training, d/dx = the sampled slope (1 for x > 0); evaluation, leaky_relu's
    derivative with slope (lower + upper) / 2. ``noise`` is saved before ``self``, as in
    PyTorch; in evaluation it is not read (PyTorch's is uninitialised memory, ours zeros)."""
    jvp = ELEMENTWISE
    __slots__ = ("lower", "upper", "training")
    saved_names = ("noise", "self")
    saved_attrs = {"lower": "lower", "upper": "upper", "training": "training"}

    def backward(self, ns, grad, noise, x):
        if not ns.INPLACE:   # create_graph: PyTorch's kernel (RreluWithNoiseBackwardBackward0)
            return (ns.rrelu_with_noise_backward(grad, x, noise, self.lower, self.upper,
                                                 self.training),)
        if self.training and self.upper - self.lower > 1e-6:
            return (grad * noise,)
        return (ns.where(x > 0, grad, grad * ((self.lower + self.upper) / 2)),)


class RreluWithNoiseBackward1(RreluWithNoiseBackward0):
    """In-place rrelu: the same derivative, read off the saved result."""
    __slots__ = ()
    saved_names = ("noise", "result")


def _rrelu(input, lower, upper, training, generator, cls):
    x = _tensor(input, "rrelu")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if x.dtype.kind != "f":
        raise not_implemented_for("leaky_relu_cpu", x.dtype)
    t = x.dtype.type
    if training:
        # PyTorch's serial loop: one uniform double in [lower, upper) (bounds first rounded to
        # the op math type) for each element <= 0, in order; no FMA in that kernel.
        lo, hi = (float(t(lower)), float(t(upper))) if t != np.float16 else (lower, upper)
        flat = np.ascontiguousarray(x).ravel()
        neg = flat <= 0
        noise = np.ones_like(flat)
        noise[neg] = uniform_double(_rng(generator), int(neg.sum())) * (hi - lo) + lo
        noise = noise.reshape(x.shape)
        out = x * noise
    else:
        noise = None
        out = np.where(x > 0, x, x * t((lower + upper) / 2))
    return record1(cls, input, out,
                   lambda n: (wrap(np.zeros_like(x) if noise is None else noise),
                              input if cls is RreluWithNoiseBackward0 else RESULT),
                   lower=lower, upper=upper, training=bool(training))


def _rrelu_op(input, lower, upper, training, generator=None):
    return _rrelu(input, lower, upper, training, generator, RreluWithNoiseBackward0)


def _rrelu_inplace_op(input, lower, upper, training, generator=None):
    return _rrelu(input, lower, upper, training, generator, RreluWithNoiseBackward1)


@export(torch=False, functional="rrelu")
def _functional_rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if inplace:
        return apply_inplace(input, _rrelu_inplace_op, lower, upper, training)
    return _rrelu_op(input, lower, upper, training)


@export(torch=False, functional="rrelu_")
def _functional_rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return apply_inplace(input, _rrelu_inplace_op, lower, upper, training)


@export()
def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _rrelu_op(input, lower, upper, training, generator)


@export(torch="rrelu_")
def _rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return apply_inplace(input, _rrelu_inplace_op, lower, upper, training, generator)


# -- the backward ops of the piecewise-linear activations (create_graph) -------------------------
# ThresholdBackwardBackward0 (relu, threshold), LeakyReluBackwardBackward0,
# HardtanhBackwardBackward0 (hardtanh, relu6), HardshrinkBackwardBackward0,
# SoftshrinkBackwardBackward0. PyTorch computes these gradients with a dedicated kernel
# (``threshold_backward(grad, self, t)``) whose derivative with respect to ``self`` is zero but
# recorded: the first-order gradient of ``relu(x)`` taken with ``create_graph=True`` requires grad
# and is connected to ``x``, so a second ``autograd.grad`` with respect to ``x`` gives zeros
# instead of raising. Written with ``where``, the mask would cut that edge. The formula
# namespaces expose ``ns.masked_backward``: NumPy computes the values; the Tensor namespace
# records the node below.
def _attrs(*names):
    return {n: (lambda node, n=n: node.attrs[n]) for n in names}


class _MaskedBackward(Node):
    """grad where ``keep`` holds, grad * slope elsewhere: linear in grad, of zero derivative in
    the saved input (which it is connected to, and saves, as in PyTorch)."""
    __slots__ = ("keep", "slope", "attrs")
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        g = ns.masked_backward(type(self).__name__, grad, x, ns.const(self.keep), self.slope,
                               **self.attrs)
        return (g if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)


class ThresholdBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("threshold")


class LeakyReluBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("negative_slope")


class HardtanhBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("min_val", "max_val")


class HardshrinkBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("lambd")


class SoftshrinkBackwardBackward0(_MaskedBackward):
    __slots__ = ()
    saved_attrs = _attrs("lambd")


_CLASSES = {c.__name__: c for c in (ThresholdBackwardBackward0, LeakyReluBackwardBackward0,
                                    HardtanhBackwardBackward0, HardshrinkBackwardBackward0,
                                    SoftshrinkBackwardBackward0)}


def masked_backward(name: str, grad: Tensor, saved: Tensor, keep, slope: float = 0.0,
                    **attrs) -> Tensor:
    """``where(keep, grad, grad * slope)`` recorded as PyTorch's ``name`` node over
    (grad, saved); ``attrs`` are the op's parameters PyTorch's node keeps (``_saved_<name>``)."""
    k = keep._data if isinstance(keep, Tensor) else np.asarray(keep)
    g = grad._data
    out = np.asarray(numpy_ns.masked_backward(name, g, None, k, slope), dtype=g.dtype)
    return record2(_CLASSES[name], grad, saved, out, saved, keep=k, slope=slope, attrs=attrs)
