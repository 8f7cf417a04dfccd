"""binary_cross_entropy, binary_cross_entropy_with_logits, soft_margin_loss, poisson_nll_loss
and gaussian_nll_loss (``torch.nn.functional``). Part of ``loss``."""
from __future__ import annotations

import math

import numpy as np

from ..._grad_mode import no_grad
from ...autograd.node import Node
from ..elementwise import arithmetic as P
from ..elementwise import compare as P_compare
from ..elementwise import unary_core as P_unary_core
from .._registry import export
from .._util import needs_grad, wrap
from ..elementwise.unary import _quiet, dtype_name, not_implemented_for
from .regression import (MEAN, NONE, add_scalar, jvp_pointwise, mul_scalar, reduce_np,
                         reduce_tensor, reduction_enum, resolve)
from ..indexing.masked import masked_fill
from ..reduction.basic import mean as _mean, sum as _sum
from ..shape.basic import clone
from ..shape.views import broadcast_shapes
from ... import _dtype as D
from .._util import check_broadcast
from ...autograd._record import record, record1, record2
from .. import numpy_ns

_EPS = 1e-12


def _softplus(z: np.ndarray) -> np.ndarray:
    """log(1 + exp(z)) without overflow (ten times faster than np.logaddexp(0, z))."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def _scaled(node, grad):
    return grad / node.numel if node.reduction == MEAN else grad


# -- binary_cross_entropy -----------------------------------------------------------------------
class BinaryCrossEntropyBackward0(Node):
    """bce = -w (t log x + (1 - t) log(1 - x)), each log clamped at -100:
    d/dx = w (x - t) / max(x (1 - x), 1e-12), d/dt = w (log(1 - x) - log x)."""
    __slots__ = ("reduction", "numel")
    saved_names = ("self", "target", "weight")
    saved_attrs = {"reduction": "reduction"}

    def _grads(self, ns, x, t, w, want_x, want_t):
        dx = dt = None
        if want_x:
            den = x * (1 - x)
            dx = (x - t) / ns.where(den > _EPS, den, _EPS)
            if w is not None:
                dx = dx * w
        if want_t:
            dt = ns.log(1 - x) - ns.log(x)
            if w is not None:
                dt = dt * w
        return dx, dt

    def backward(self, ns, grad, x, t, w):
        if not ns.INPLACE:   # PyTorch's: a kernel for x, a composite for t
            return (ns.bce_backward(self, grad, x, t, w) if self.needs(0) else None,
                    _mean_div(self, ns, _weighted(-ns.logit(x) * grad, w))
                    if self.needs(1) else None)
        grad = _scaled(self, grad)
        dx, dt = self._grads(ns, x, t, w, self.needs(0), self.needs(1))
        return (None if dx is None else grad * dx, None if dt is None else grad * dt)

    def jvp(self, ns, tangents, x, t, w):
        return jvp_pointwise(self.reduction, tangents, self._grads(
            ns, x, t, w, tangents[0] is not None, tangents[1] is not None), x)

    def kernel_value(self, grad, x, t, w):
        """The gradient for x on arrays (ns.bce_backward's value)."""
        return _bce_value(self, grad, x, t, w)


def _weighted(v, w):
    return v if w is None else v * w


def _mean_div(node, ns, v):
    """v / numel for 'mean' (PyTorch's div_ by a number: DivBackward1)."""
    return ns.div_scalar(v, node.numel) if node.reduction == MEAN else v


class BinaryCrossEntropyBackwardBackward0(Node):
    """binary_cross_entropy_backward(g, x, t, w) = g' w (x - t) / max(x (1 - x), 1e-12) as an
    op (g' = g, over the element count for 'mean'), with PyTorch's double-backward formulas:
    d/dg: (x - t) / ((x + eps)(1 - x + eps)) w; d/dx: g (x^2 - 2 x t + t) / ((x + eps)^2
    (1 - x + eps)^2) w; d/dt: g / ((x - 1) x) w."""
    __slots__ = ("first",)     # the loss's node: reduction, numel
    saved_names = ("grad_output", "self", "target", "weight")
    saved_attrs = {"reduction": lambda n: n.first.reduction}

    def backward(self, ns, grad, g, x, t, w):
        first = self.first
        one = ns.const(np.ones((), _dtype_of(x)))
        gg = gx = gt = None
        if self.needs(0):
            gg = (x - t) / (ns.add_scalar(x, _EPS) * ns.add_scalar(one - x, _EPS))
            gg = _mean_div(first, ns, _weighted(gg * grad, w))
            if first.reduction != NONE and tuple(g.shape) != tuple(x.shape):
                gg = ns.sum_all(gg)
        if self.needs(1):
            num = x * x - ns.mul_scalar(x, 2) * t + t
            den = ns.add_scalar(x, _EPS) ** 2 * ns.add_scalar(one - x, _EPS) ** 2
            q = num / den
            if ns.INPLACE:
                q = q * (grad * g)
            else:   # PyTorch's gI *= grad * grad_output: in place, so it saves a clone of gI
                q = q.mul_(grad * g)
            gx = _mean_div(first, ns, _weighted(q, w))
        if self.needs(2):
            gt = _mean_div(first, ns, _weighted((grad * g) / ((x - one) * x), w))
        return gg, gx, gt

    def jvp(self, ns, tangents, g, x, t, w):
        """JVP: f(tg, x, t) + g' w (tx d2f/dx2 + tt d2f/dxdt)."""
        tg, tx, tt = tangents
        first = self.first
        out = None
        if tg is not None:
            out = _bce_value(first, tg, x, t, w)
        g = _scaled(first, g)
        g = g if w is None else g * w
        if tx is not None:
            d = g * (x * x - 2 * x * t + t) / ((x + _EPS) ** 2 * (1 - x + _EPS) ** 2) * tx
            out = d if out is None else out + d
        if tt is not None:
            d = g / ((x - 1) * x) * tt
            out = d if out is None else out + d
        return out


def _dtype_of(x):
    return x._data.dtype if hasattr(x, "_data") else x.dtype


def _bce_value(first, grad, x, t, w):
    """d bce/dx times grad on arrays: the loss node's NumPy formula."""
    return _scaled(first, grad) * first._grads(numpy_ns, x, t, w, True, False)[0]


def bce_backward(first, grad, x, t, w):
    """binary_cross_entropy_backward(grad, x, t, w) recorded as one
    BinaryCrossEntropyBackwardBackward0 node over (grad, x, t) (tensor_ns.bce_backward, the
    public entry point, calls it)."""
    out = _bce_value(first, grad._data, x._data, t._data, None if w is None else w._data)
    return record(BinaryCrossEntropyBackwardBackward0, (grad, x, t), out, (grad, x, t, w),
                  first=first)


@export(torch=False, functional=True)
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    red = reduction_enum(resolve(size_average, reduce, reduction))
    if target.size() != input.size():
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         "size.")
    if weight is not None:
        weight = weight.expand(*_broadcast_shape(target, weight))
    x, t = input._data, target._data
    for other in (t, None if weight is None else weight._data):
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(f"Found dtype {dtype_name(other.dtype)} but expected "
                               f"{dtype_name(x.dtype)}")
    if x.dtype.kind != "f":
        raise not_implemented_for("binary_cross_entropy", x.dtype)
    # the CPU kernel checks each element, input first (NaN is outside [0, 1])
    if not ((x >= 0) & (x <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    if not ((t >= 0) & (t <= 1)).all():
        raise RuntimeError("all elements of target should be between 0 and 1")
    if weight is not None and weight.requires_grad and needs_grad(input, target):
        raise RuntimeError("The function 'binary_cross_entropy' is not differentiable with "
                           "respect to argument 'weight'. This input cannot have requires_grad "
                           "True.")
    with _quiet():
        loss = (t - 1) * np.maximum(np.log1p(-x), -100) - t * np.maximum(np.log(x), -100)
        if weight is not None:
            loss = loss * weight._data
    out = reduce_np(np.asarray(loss, x.dtype), red)
    return record2(BinaryCrossEntropyBackward0, input, target, out, (input, target, weight),
                   reduction=red, numel=x.size)


def _broadcast_shape(target, weight):
    return tuple(broadcast_shapes(target.size(), weight.size()))


# -- binary_cross_entropy_with_logits -----------------------------------------------------------
class BinaryCrossEntropyWithLogitsBackward0(Node):
    """l = w ((1 - t) x - (1 + (p - 1) t) log sigmoid(x)) with pos_weight p (1 without):
    d/dx = w ((p t + 1 - t) sigmoid(x) - p t), d/dt = w (log sigmoid(-x) - p log sigmoid(x))."""
    __slots__ = ("reduction", "numel")
    saved_names = ("pos_weight", "self", "target", "weight")
    saved_attrs = {"reduction": "reduction"}

    def _grads(self, ns, pw, x, t, w, want_x, want_t):
        dx = dt = None
        if want_x:
            if pw is None:
                dx = ns.sigmoid(x) - t
            else:
                pt = pw * t
                dx = (pt + 1 - t) * ns.sigmoid(x) - pt
            if w is not None:
                dx = dx * w
        if want_t:
            if pw is None:
                dt = -x
            else:
                dt = -ns.softplus(x) + ns.softplus(-x) * pw
            if w is not None:
                dt = dt * w
        return dx, dt

    def backward(self, ns, grad, pw, x, t, w):
        if not ns.INPLACE:   # PyTorch's composites: times grad last, then / numel
            gx = gt = None
            if self.needs(0):
                if pw is None:
                    gx = ns.sigmoid(x) - t
                else:
                    p = pw * t
                    gx = (ns.add_scalar(p, 1) - t) * ns.sigmoid(x) - p
                gx = _mean_div(self, ns, _weighted(gx, w) * grad)
            if self.needs(1):
                gt = -x if pw is None else ns.log_sigmoid(-x) - ns.log_sigmoid(x) * pw
                gt = _mean_div(self, ns, _weighted(gt, w) * grad)
            return gx, gt
        grad = _scaled(self, grad)
        dx, dt = self._grads(ns, pw, x, t, w, self.needs(0), self.needs(1))
        return (None if dx is None else grad * dx, None if dt is None else grad * dt)

    def jvp(self, ns, tangents, pw, x, t, w):
        return jvp_pointwise(self.reduction, tangents, self._grads(
            ns, pw, x, t, w, tangents[0] is not None, tangents[1] is not None), x)


@export(torch=False, functional=True)
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    red = reduction_enum(resolve(size_average, reduce, reduction))
    if target.size() != input.size():
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    return bce_with_logits_reduced(input, target, weight, pos_weight, red)


def bce_with_logits_reduced(input, target, weight, pos_weight, red: int):
    """torch.binary_cross_entropy_with_logits: the loss with an integer reduction."""
    x, t = input._data, target._data
    if x.dtype.kind != "f":
        raise not_implemented_for("log_sigmoid_cpu", x.dtype)
    # PyTorch computes (1 - target).mul_(input): the result has the target's dtype
    if t.dtype.kind == "b":
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if t.dtype.kind != "f":
        raise RuntimeError(f"result type {dtype_name(D.result_type(input, target).np)} can't be "
                           f"cast to the desired output type {dtype_name(t.dtype)}")
    for name, other in (("weight", weight), ("pos_weight", pos_weight)):
        if other is not None and other.requires_grad and needs_grad(input, target):
            raise RuntimeError("The function 'binary_cross_entropy_with_logits' is not "
                               f"differentiable with respect to argument '{name}'. This input "
                               "cannot have requires_grad True.")
    with _quiet():
        log_sig = -_softplus(-x)
        if pos_weight is not None:
            pw = pos_weight._data
            if pw.shape != t.shape:
                check_broadcast(pw, t)
            log_sig = log_sig * ((pw - 1) * t + 1)
        loss = (1 - t) * x - log_sig
        if weight is not None:
            loss = loss * weight._data
    loss = np.asarray(loss, t.dtype)
    out = reduce_np(loss, red)
    return record2(BinaryCrossEntropyWithLogitsBackward0, input, target, out,
                   (pos_weight, input, target, weight), reduction=red, numel=loss.size)


# -- soft_margin_loss ---------------------------------------------------------------------------
class SoftMarginLossBackward0(Node):
    """log(1 + exp(-t x)): d/dx = -t sigmoid(-t x)."""
    __slots__ = ("reduction", "numel")
    saved_names = ("self", "target")
    saved_attrs = {"reduction": "reduction"}

    def backward(self, ns, grad, x, t):
        if not ns.INPLACE:   # PyTorch's kernel, recorded: SoftMarginLossBackwardBackward0
            return (ns.soft_margin_backward(self, grad, x, t),)
        return (_scaled(self, grad) * (-t * ns.sigmoid(-t * x)),)

    def jvp(self, ns, tangents, x, t):
        return jvp_pointwise(self.reduction, tangents[:1], (-t * ns.sigmoid(-t * x),), x)

    def kernel_value(self, grad, x, t):
        """The gradient for x on arrays (ns.soft_margin_backward's value)."""
        return _soft_margin_value(self, grad, x, t)


class SoftMarginLossBackwardBackward0(Node):
    """soft_margin_loss_backward(g, x, t) = -g' t sigmoid(-t x) as an op (g' = g, over the
    element count for 'mean'), with PyTorch's double-backward formulas: d/dg: the same kernel
    (for a reduced loss: sum(kernel(1, x, t) u)); d/dx: u g t^2 e / (e + 1)^2 with
    e = exp(-t x) (t is not differentiable)."""
    __slots__ = ("first",)     # the loss's node: reduction, numel
    saved_names = ("grad_output", "self", "target")
    saved_attrs = {"reduction": lambda n: n.first.reduction}

    def backward(self, ns, grad, g, x, t):
        first = self.first
        gg = gx = None
        if self.needs(0):
            if first.reduction == NONE:
                gg = ns.soft_margin_backward(first, grad, x, t)
            else:
                gg = ns.sum_all(ns.soft_margin_backward(first, ns.ones_like(g), x, t) * grad)
        if self.needs(1):
            nt = -t
            num = (grad * g) * (t * t) * ns.exp(x * nt)
            gx = _mean_div(first, ns, num / (ns.add_scalar(ns.exp(x * nt), 1) *
                                             ns.add_scalar(ns.exp(x * nt), 1)))
        return gg, gx

    def jvp(self, ns, tangents, g, x, t):
        """JVP: f(tg, x) + g' t^2 e / (1 + e)^2 tx, e = exp(-t x)."""
        tg, tx = tangents
        first = self.first
        out = None if tg is None else _soft_margin_value(first, tg, x, t)
        if tx is not None:
            e = np.exp(-t * x)
            d = _scaled(first, g) * t * t * e / ((1 + e) * (1 + e)) * tx
            out = d if out is None else out + d
        return out


def _soft_margin_value(first, grad, x, t):
    """-grad' t sigmoid(-t x) on arrays: the loss node's NumPy formula."""
    return first.backward(numpy_ns, grad, x, t)[0]


def soft_margin_backward(first, grad, x, t):
    """soft_margin_loss_backward(grad, x, t) recorded as one SoftMarginLossBackwardBackward0
    node over (grad, x) (tensor_ns.soft_margin_backward, the public entry point, calls it)."""
    out = _soft_margin_value(first, grad._data, x._data, t._data)
    return record2(SoftMarginLossBackwardBackward0, grad, x, np.asarray(out, x._data.dtype),
                   (grad, x, t), first=first)


@export(torch=False, functional=True)
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    red = reduction_enum(resolve(size_average, reduce, reduction))
    x, t = input._data, target._data
    # (PyTorch's order: -input into a tensor like the input, then mul_(target), then exp_)
    if x.dtype.kind == "b":
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If "
                           "you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")
    if x.shape != t.shape:
        check_broadcast(x, t)
        shape = np.broadcast_shapes(x.shape, t.shape)
        if shape != x.shape:
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                               f"shape {list(shape)}")
    if x.dtype.kind != "f":
        raise RuntimeError("result type Float can't be cast to the desired output type "
                           f"{dtype_name(x.dtype)}")
    with _quiet():
        loss = np.asarray(_softplus(-t * x), x.dtype)
    out = reduce_np(loss, red)
    return record1(SoftMarginLossBackward0, input, out, (input, target), reduction=red,
                   numel=loss.size)


# -- poisson_nll_loss, gaussian_nll_loss (composites, as in PyTorch) ----------------------------
@export(torch=False, functional=True)
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(x) - t x (log_input) or x - t log(x + eps); ``full`` adds Stirling's term
    t log t - t + 0.5 log(2 pi t) where t > 1."""
    if size_average is not None or reduce is not None:
        reduction = resolve(size_average, reduce, reduction)
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_input:
        prod = P.mul(target, input)   # (C++ evaluates the right operand first: hooks see it so)
        loss = P.sub(P_unary_core.exp(input), prod)
    else:
        loss = P.sub(input, P.mul(target, P_unary_core.log(add_scalar(input, eps))))
    if full:
        half_log = mul_scalar(P_unary_core.log(mul_scalar(target, 2 * math.pi)), 0.5)   # (right first)
        stirling = P.add(P.sub(P.mul(target, P_unary_core.log(target)), target), half_log)
        loss = P.add(loss, masked_fill(stirling, P_compare.le(target, 1), 0))
    return reduce_tensor(loss, reduction_enum(reduction))


@export(torch=False, functional=True)
def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log(max(var, eps)) + (x - t)^2 / max(var, eps)) (+ 0.5 log(2 pi) with ``full``),
    with PyTorch's rules for a ``var`` of one dimension less or one mismatched dimension."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = wrap(np.full(input._data.shape, var, input._data.dtype))
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.size() != input.size():
        if input.size()[:-1] == var.size():
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and \
                sum(y for x, y in zip(input.size(), var.size()) if x != y) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction != "none" and reduction != "mean" and reduction != "sum":
        raise ValueError(reduction + " is not valid")
    var = clone(var)
    with no_grad():
        var.clamp_(min=eps)
    loss = P.mul(P.add(P_unary_core.log(var), P.div(P.pow(P.sub(input, target), 2), var)), 0.5)
    if full:
        loss = P.add(loss, 0.5 * math.log(2 * math.pi))
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss
