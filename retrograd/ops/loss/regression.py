"""Loss functions of ``torch.nn.functional``: the regression losses (mse, l1, huber, smooth_l1,
kl_div) and what every loss shares (reductions, the legacy ``size_average``/``reduce`` arguments,
the scalar-operand nodes PyTorch's C++ losses record). nll_loss and cross_entropy are in
``nll.py``, the binary and probabilistic losses in ``bce.py``, the margin and embedding losses
in ``margin.py``, ctc_loss in ``ctc.py``, the ``torch.X`` forms in ``torch_forms.py``.

A loss that PyTorch computes with one kernel is one node here (``MseLossBackward0``), with the
elementwise derivatives written once (``_grads``) and used by both the backward (times the
incoming gradient, divided by the element count for 'mean') and the forward-mode rule (times the
tangents, then reduced); under create_graph its gradient is the kernel PyTorch records,
``MseLossBackwardBackward0`` over (grad, input, target). A loss that PyTorch builds from other
ops (l1_loss, kl_div) is built from the same ops here, so that the same chain of nodes appears.
"""
from __future__ import annotations

import numpy as np

from ... import _warn
from ..._dispatch import POINTWISE, public
from ...autograd.node import ELEMENTWISE, Node
from ..elementwise import arithmetic as P
from ..elementwise import unary_core as P_unary_core
from .._registry import export
from .._util import Tensor, binary_arrays
from ...autograd._record import record, record2
from ..elementwise.unary import _quiet, dtype_name, not_implemented_for
from ..elementwise.binary import xlogy
from ..reduction.basic import mean as _mean, sum as _sum
from ..shape.views import broadcast_tensors
from .. import numpy_ns

NONE, MEAN, SUM = 0, 1, 2
_ENUM = {"none": NONE, "mean": MEAN, "sum": SUM}


# -- reductions ---------------------------------------------------------------------------------
def reduction_enum(reduction) -> int:
    """PyTorch's ``_Reduction.get_enum``: 'none' 0, 'mean' 1, 'sum' 2."""
    if reduction == "elementwise_mean":
        _warn.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                   "instead.")
        return MEAN
    e = _ENUM.get(reduction) if isinstance(reduction, str) else None
    if e is None:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return e


def legacy_reduction(size_average, reduce) -> str:
    """PyTorch's ``_Reduction.legacy_get_string``, with its deprecation warning."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    _warn.warn("size_average and reduce args will be deprecated, please use "
               f"reduction='{ret}' instead.")
    return ret


def resolve(size_average, reduce, reduction):
    """The reduction string, the legacy arguments taking precedence (with the warning)."""
    if size_average is not None or reduce is not None:
        return legacy_reduction(size_average, reduce)
    return reduction


def reduce_np(a: np.ndarray, red: int) -> np.ndarray:
    """A loss array reduced ('mean' of no element is nan, like PyTorch)."""
    if red == NONE:
        return a
    with _quiet():
        s = np.sum(a)
        return np.asarray(s / a.size if red == MEAN else s, dtype=a.dtype)


def reduce_tensor(loss: Tensor, red: int) -> Tensor:
    """PyTorch's ``apply_loss_reduction``: MeanBackward0 / SumBackward0 on top of the loss."""
    return _mean(loss) if red == MEAN else _sum(loss) if red == SUM else loss


def size_warning(input, target) -> None:
    """The warning F.mse_loss / l1_loss / huber_loss / smooth_l1_loss give for different sizes."""
    ts, xs = _size(target), _size(input)
    if ts != xs:
        _warn.warn(f"Using a target size ({ts}) that is different to the input size ({xs}). "
                   "This will likely lead to incorrect results due to broadcasting. Please "
                   "ensure they have the same size.")


def _size(t):
    if not isinstance(t, Tensor):
        raise AttributeError(f"'{type(t).__name__}' object has no attribute 'size'")
    return t.size()


def check_tensor(x, fn: str, arg: str, pos: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


def raw(v):
    """The array of a saved value that takes no part in differentiation (class indices,
    class weights, masks): a Tensor on the create_graph path, an array otherwise."""
    return v._data if isinstance(v, Tensor) else v


def broadcast_pair(input, target):
    """``torch.broadcast_tensors(input, target)`` (ExpandBackward0 only where a shape grows)."""
    if input._data.shape == target._data.shape:
        return input, target
    return broadcast_tensors(input, target)


# -- x * c, x / c, x + c, x - c with a Python number (PyTorch's Scalar overloads) ----------------
class MulBackward1(Node):
    """x * c for a number c (PyTorch's mul.Scalar, called by its C++ losses): d/dx = c."""
    jvp = ELEMENTWISE
    __slots__ = ("other",)
    saved_attrs = {"other": "other"}

    def backward(self, ns, grad):
        if ns.INPLACE:
            return (grad * self.other,)
        return (ns.mul_scalar(grad, self.other),)   # PyTorch's grad * other: mul.Scalar again


class DivBackward1(Node):
    """x / c for a number c: d/dx = 1 / c."""
    jvp = ELEMENTWISE
    __slots__ = ("other",)
    saved_attrs = {"other": "other"}

    def backward(self, ns, grad):
        if ns.INPLACE:
            return (grad / self.other,)
        return (ns.div_scalar(grad, self.other),)   # PyTorch's grad / other: div.Scalar again


class AddBackward1(Node):
    """x + c for a number c: d/dx = 1."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


class SubBackward1(Node):
    """x - c for a number c: d/dx = 1."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


def _scalar_op(cls, name, fn):
    """The op ``fn(x, c)`` for a tensor x and a Python number c, recording ``cls`` (not
    registered under a torch name: PyTorch's Python API reaches these nodes only through its
    C++ composites)."""
    def op(input, other):
        x = input._data
        with _quiet():
            out = np.asarray(fn(x, other), dtype=x.dtype) if x.dtype.kind == "f" else \
                np.asarray(fn(x, other))
        if cls.__slots__:
            return record(cls, (input,), out, other=other)
        return record(cls, (input,), out)
    op.__name__ = op.__qualname__ = name
    return public(op, name, vmap=POINTWISE)


mul_scalar = _scalar_op(MulBackward1, "mul_scalar", lambda x, c: x * c)
div_scalar = _scalar_op(DivBackward1, "div_scalar", lambda x, c: x / c)
add_scalar = _scalar_op(AddBackward1, "add_scalar", lambda x, c: x + c)
sub_scalar = _scalar_op(SubBackward1, "sub_scalar", lambda x, c: x - c)


# -- one node per pointwise loss ----------------------------------------------------------------
class _PointwiseLoss(Node):
    """A loss ``reduce(f(x, t))`` of one kernel: ``_grads`` gives df/dx and df/dt elementwise
    (None where not asked); backward multiplies them by the (scaled) incoming gradient, the
    forward-mode rule by the tangents, then reduces."""
    __slots__ = ("reduction", "numel")
    saved_names = ("self", "target")
    saved_attrs = {"reduction": "reduction"}

    def _grads(self, ns, x, t, want_x, want_t):  # pragma: no cover - overridden
        raise NotImplementedError

    def kernel_value(self, grad, a, b):
        """The gradient for the first input at (a, b) on arrays (ns.loss_backward's value)."""
        return _kernel_value(self, grad, a, b)

    def backward(self, ns, grad, x, t):
        if not ns.INPLACE:   # PyTorch's kernels, recorded: <Loss>BackwardBackward0 (target: with
            return (ns.loss_backward(self, grad, x, t) if self.needs(0) else None,   # x, t swapped)
                    ns.loss_backward(self, grad, t, x) if self.needs(1) else None)
        if self.reduction == MEAN:
            grad = grad / self.numel
        dx, dt = self._grads(ns, x, t, self.needs(0), self.needs(1))
        return (None if dx is None else grad * dx, None if dt is None else grad * dt)

    def jvp(self, ns, tangents, x, t):
        return jvp_pointwise(self.reduction, tangents, self._grads(
            ns, x, t, tangents[0] is not None, tangents[1] is not None), x)


def jvp_pointwise(red: int, tangents, grads, x) -> np.ndarray:
    """The tangent of ``reduce(f(inputs))`` from the elementwise derivatives of f: the sum of
    derivative times tangent over the inputs that have one, reduced."""
    out = None
    for tan, d in zip(tangents, grads):
        if tan is not None:
            out = d * tan if out is None else out + d * tan
    out = np.broadcast_to(out, np.shape(x))
    return np.array(out) if red == NONE else reduce_np(out, red)


def _pointwise_loss(cls, input, target, red, value, kernel, keep_input_dtype=False, **consts):
    """Forward of a ``_PointwiseLoss``: ``value(x, t)`` elementwise, reduced. The result has
    the promoted dtype, or the input's (``keep_input_dtype``: huber_loss writes into a tensor
    like its input)."""
    x, t = binary_arrays(input, target)
    x, t = np.asarray(x), np.asarray(t)
    dtype = x.dtype
    if keep_input_dtype and input._data.dtype != x.dtype:
        if input._data.dtype.kind != "f" and x.dtype.kind == "f":
            raise RuntimeError(f"result type {dtype_name(x.dtype)} can't be cast to the desired "
                               f"output type {dtype_name(input._data.dtype)}")
        dtype = input._data.dtype
    if x.dtype.kind != "f":
        raise not_implemented_for(kernel, x.dtype)
    with _quiet():
        out = reduce_np(np.asarray(value(x, t), dtype=dtype), red)
    return record2(cls, input, target, out, (input, target), reduction=red, numel=x.size, **consts)


# -- the backward kernels of the pointwise losses, as ops (create_graph) --------------------------
# PyTorch computes the gradient of mse/huber/smooth_l1 with a kernel ``<loss>_backward(grad,
# self, target, reduction, ...)`` (and the target's with self and target swapped), itself an op:
# under create_graph the first-order gradient is its result, one node over (grad_output, self,
# target). f(g, a, b) = g' df/da(a, b) with g' = g (over the element count for 'mean').
class _LossBackwardKernel(Node):
    """df/dg^T u = <loss>_backward(u, a, b) ('none'), else sum(<loss>_backward(u, a, b))
    (huber: sum(<loss>_backward(1, a, b) u));
    df/da^T u = u g' d2f/da2 (a, b); df/db = -df/da (the losses depend on a - b)."""
    __slots__ = ("first",)     # the loss's node: reduction, numel, _grads, _second, constants
    saved_names = ("grad_output", "self", "target")
    _ones = False

    def backward(self, ns, grad, g, a, b):
        first = self.first
        gg = None
        if self.needs(0):
            if first.reduction == NONE or tuple(g.shape) == tuple(a.shape):   # elementwise
                gg = ns.loss_backward(first, grad, a, b)
            elif self._ones:   # (huber's formula; mse's and smooth_l1's broadcast grad instead)
                gg = ns.sum_all(ns.loss_backward(first, ns.ones_like(g), a, b) * grad)
            else:
                gg = ns.sum_all(ns.loss_backward(first, grad, a, b))
        ga = gb = None
        if self.needs(1) or self.needs(2):
            d2 = first._second(ns, grad * g, a, b)
            if first.reduction == MEAN:
                d2 = ns.div_scalar(d2, first.numel)
            ga = d2 if self.needs(1) else None
            gb = -d2 if self.needs(2) else None
        return gg, ga, gb

    def jvp(self, ns, tangents, g, a, b):
        """JVP: f(tg, a, b) + g' d2f/da2 (ta - tb)."""
        tg, ta, tb = tangents
        first = self.first
        out = None
        if tg is not None:
            out = _kernel_value(first, tg, a, b)
        dt = ta if tb is None else (-tb if ta is None else ta - tb)
        if dt is not None:
            t = first._second(ns, dt * g, a, b)
            if first.reduction == MEAN:
                t = t / first.numel
            out = t if out is None else out + t
        return out


def _kernel_value(first, grad, a, b):
    """f(grad, a, b) on arrays: the loss's NumPy formula for the gradient of its first input."""
    if first.reduction == MEAN:
        grad = grad / first.numel
    return grad * first._grads(numpy_ns, a, b, True, False)[0]


def _first_attr(v):
    return lambda n: v(n.first) if callable(v) else getattr(n.first, v)


class MseLossBackwardBackward0(_LossBackwardKernel):
    """mse_loss_backward(grad, self, target, reduction) as an op."""
    __slots__ = ()
    saved_attrs = {"reduction": _first_attr("reduction")}


class HuberLossBackwardBackward0(_LossBackwardKernel):
    """huber_loss_backward(grad, self, target, reduction, delta) as an op."""
    __slots__ = ()
    saved_attrs = {"delta": _first_attr("delta"), "reduction": _first_attr("reduction")}
    _ones = True


class SmoothL1LossBackwardBackward0(_LossBackwardKernel):
    """smooth_l1_loss_backward(grad, self, target, reduction, beta) as an op."""
    __slots__ = ()
    saved_attrs = {"beta": _first_attr("beta"), "reduction": _first_attr("reduction")}


def loss_backward(first, grad, a, b):
    """``first``'s (a pointwise loss node's) gradient for its first input at (a, b), recorded
    as its <Loss>BackwardBackward0 node over (grad, a, b) (tensor_ns.loss_backward, the public
    entry point, calls it)."""
    out = _kernel_value(first, grad._data, a._data, b._data)
    return record(first._kernel, (grad, a, b), out, (grad, a, b), first=first)


class MseLossBackward0(_PointwiseLoss):
    """mse = reduce((x - t)^2): df/dx = 2 (x - t) = -df/dt."""
    __slots__ = ()
    _kernel = MseLossBackwardBackward0

    def _grads(self, ns, x, t, want_x, want_t):
        d = (x - t) * 2
        return (d if want_x else None, -d if want_t else None)

    def _second(self, ns, u, x, t):
        """u d2f/dx2 = 2 u (PyTorch's mse_loss_double_backward: 2 * grad, mul.Scalar)."""
        return ns.mul_scalar(u, 2)


@export(torch=False, functional=True)
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    size_warning(input, target)
    reduction = resolve(size_average, reduce, reduction)
    input, target = broadcast_pair(input, target)
    if weight is not None:
        return _weighted(P.pow(P.sub(input, target), 2), input, weight, reduction, True)
    return _pointwise_loss(MseLossBackward0, input, target, reduction_enum(reduction),
                           lambda x, t: (x - t) ** 2, "mse_cpu")


def _weighted(loss, input, weight, reduction, by_weight_sum):
    """F.mse_loss / l1_loss / huber_loss with ``weight``: the loss times weight, reduced as
    PyTorch's Python code does ('mean' divides by the weights' sum for mse and l1)."""
    if weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    loss = P.mul(loss, weight)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return _sum(loss)
    if reduction == "mean":
        return P.div(_sum(loss), _sum(weight)) if by_weight_sum else _mean(loss)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                     "'sum'.")


@export(torch=False, functional=True)
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|x - t| reduced: PyTorch builds it from sub, abs and mean/sum."""
    size_warning(input, target)
    reduction = resolve(size_average, reduce, reduction)
    input, target = broadcast_pair(input, target)
    if weight is not None:
        return _weighted(P_unary_core.abs(P.sub(input, target)), input, weight, reduction, True)
    return _l1(input, target, reduction_enum(reduction))


def _l1(input, target, red):
    loss = P_unary_core.abs(P.sub(input, target))
    if red == MEAN and loss._data.dtype.kind != "f":
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           "floating point or complex dtype. Got: "
                           f"{dtype_name(loss._data.dtype)}")
    return reduce_tensor(loss, red)


class HuberLossBackward0(_PointwiseLoss):
    """huber = 0.5 d^2 for |d| < delta, delta (|d| - 0.5 delta) beyond (d = x - t):
    df/dx = d clipped to [-delta, delta] = -df/dt."""
    __slots__ = ("delta",)
    _kernel = HuberLossBackwardBackward0
    saved_attrs = {"reduction": "reduction", "delta": "delta"}

    def _grads(self, ns, x, t, want_x, want_t):
        if x.dtype != t.dtype:   # PyTorch's forward promotes, its backward kernel refuses
            raise RuntimeError(f"Found dtype {_name(t.dtype)} but expected {_name(x.dtype)}")
        d = x - t
        g = ns.where(ns.abs(d) < self.delta, d, ns.sign(d) * self.delta)
        return (g if want_x else None, -g if want_t else None)

    def _second(self, ns, u, x, t):
        """u d2f/dx2 = u where |x - t| < delta, 0 beyond."""
        return u * ns.const(np.abs(raw(x) - raw(t)) < self.delta)


def _name(dtype) -> str:
    return dtype_name(getattr(dtype, "np", dtype))


def _huber(x, t, delta):
    d = np.abs(x - t)
    return np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))


@export(torch=False, functional=True)
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    size_warning(input, target)
    input, target = broadcast_pair(input, target)
    # (checked in PyTorch's order: the reduction in Python, then delta and dtype in C++)
    if weight is None:
        red = reduction_enum(reduction)
    elif weight.size() != input.size():
        raise ValueError("Weights and input must have the same size.")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    loss = _pointwise_loss(HuberLossBackward0, input, target, red if weight is None else NONE,
                           lambda x, t: _huber(x, t, delta), "huber_cpu", True, delta=delta)
    return loss if weight is None else _weighted(loss, input, weight, reduction, False)


class SmoothL1LossBackward0(_PointwiseLoss):
    """smooth_l1 = 0.5 d^2 / beta for |d| < beta, |d| - 0.5 beta beyond (d = x - t):
    df/dx = d / beta inside, sign(d) beyond; df/dt = -df/dx."""
    __slots__ = ("beta",)
    _kernel = SmoothL1LossBackwardBackward0
    saved_attrs = {"reduction": "reduction", "beta": "beta"}

    def _grads(self, ns, x, t, want_x, want_t):
        d = x - t
        g = ns.where(ns.abs(d) < self.beta, d / self.beta, ns.sign(d))
        return (g if want_x else None, -g if want_t else None)

    def _second(self, ns, u, x, t):
        """u d2f/dx2 = u / beta where |x - t| < beta, 0 beyond."""
        inside = np.abs(raw(x) - raw(t)) < self.beta
        return ns.div_scalar(u * ns.const(inside), self.beta)


def _smooth_l1(x, t, beta):
    d = np.abs(x - t)
    return np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)


@export(torch=False, functional=True)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    size_warning(input, target)
    reduction = resolve(size_average, reduce, reduction)
    input, target = broadcast_pair(input, target)
    red = reduction_enum(reduction)
    if beta == 0.0:
        return _l1(input, target, red)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _pointwise_loss(SmoothL1LossBackward0, input, target, red,
                           lambda x, t: _smooth_l1(x, t, beta), "smooth_l1_cpu", beta=beta)


# -- kl_div -------------------------------------------------------------------------------------
@export(torch=False, functional=True)
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """t (log t - x), or exp(t) (t - x) with log_target: PyTorch builds it from xlogy, mul and
    sub (exp, sub and mul), then reduces; 'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        red = reduction_enum(legacy_reduction(size_average, reduce))
    else:
        if reduction == "mean":
            _warn.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                       "support size.'batchmean' divides only by the batch size, and aligns with "
                       "the KL div math definition.'mean' will be changed to behave the same as "
                       "'batchmean' in the next major release.")
        red = SUM if reduction == "batchmean" else reduction_enum(reduction)
    out = kl_div_reduced(input, target, red, log_target)
    if reduction == "batchmean" and input._data.ndim != 0:
        out = P.div(out, input._data.shape[0])
    return out


def kl_div_reduced(input, target, red: int, log_target: bool):
    """torch.kl_div: the pointwise loss with an integer reduction."""
    check_tensor(input, "kl_div", "self", 1)
    check_tensor(target, "kl_div", "target", 2)
    if input._data.dtype.kind in "iub" or target._data.dtype.kind in "iub":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        loss = P.mul(P_unary_core.exp(target), P.sub(target, input))
    else:
        prod = P.mul(target, input)   # (C++ evaluates the right operand first: hooks see it so)
        loss = P.sub(xlogy(target, target), prod)
    return reduce_tensor(loss, red)
