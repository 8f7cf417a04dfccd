"""Margin and embedding losses (``torch.nn.functional``): multi_margin_loss and
multilabel_margin_loss (one node each, as in PyTorch), and the ones PyTorch composes from other
ops: margin_ranking, hinge_embedding, cosine_embedding, multilabel_soft_margin, triplet_margin
(with pairwise_distance, whose norm is PyTorch's ``NormBackward1``),
triplet_margin_with_distance. Part of ``loss``."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ..elementwise import arithmetic as P
from ..elementwise import compare as P_compare
from ..elementwise import unary_core as P_unary_core
from .._registry import export
from .._util import Tensor, wrap
from ...autograd._record import record1
from ..activation.functions import logsigmoid
from ..elementwise.unary import _quiet, dtype_name, not_implemented_for
from ..nn.distance import pairwise_distance
from .regression import (MEAN, NONE, add_scalar, raw, reduce_np, reduce_tensor, reduction_enum,
                   resolve, sub_scalar)
from ..reduction.basic import mean as _mean, sum as _sum


def _scalar(x: Tensor, v) -> Tensor:
    """A Python number as the 0-d tensor PyTorch's C++ code makes of it (``1 - cos``)."""
    return wrap(np.asarray(v, x._data.dtype))


# -- multi_margin_loss --------------------------------------------------------------------------
class MultiMarginLossBackward0(Node):
    """l_n = sum_{i != y} w[y] max(0, margin - x[y] + x[i])^p / C: d/dx[i] = w[y] p z^(p-1) / C
    where z = margin - x[y] + x[i] > 0 (i != y), and d/dx[y] = -(the sum of those)."""
    __slots__ = ("margin", "p", "reduction", "n")
    saved_names = ("self", "target", "weight")
    saved_attrs = {"margin": "margin", "p": "p", "reduction": "reduction"}

    def _coef(self, ns, x, target, weight):
        x2 = x if len(x.shape) == 2 else ns.reshape(x, (1, -1))
        t = raw(target).reshape(-1, 1).astype(np.int64)
        c = x2.shape[1]
        onehot = np.arange(c) == t
        xy = ns.gather(x2, 1, t if not isinstance(x2, Tensor) else wrap(t))
        z = xy * -1 + x2 + self.margin
        active = ns.const(((raw(z) > 0) & ~onehot).astype(raw(x).dtype))
        gi = active if self.p == 1 else z * active * 2
        scale = 1.0 / c
        if weight is not None:
            scale = ns.const((raw(weight)[t] / c).astype(raw(x).dtype))
        return gi * scale, ns.const(onehot.astype(raw(x).dtype))

    def backward(self, ns, grad, x, target, weight):
        gi, onehot = self._coef(ns, x, target, weight)
        if self.reduction == MEAN:
            grad = grad / self.n
        elif self.reduction == NONE:
            grad = ns.reshape(grad, (-1, 1))
        g = gi * grad
        out = g - onehot * ns.sum_dims(g, (1,), True)
        return (ns.reshape(out, tuple(x.shape)),)

    def jvp(self, ns, tangents, x, target, weight):
        gi, onehot = self._coef(ns, x, target, weight)
        tx = tangents[0].reshape(gi.shape)
        per = np.sum(gi * tx, 1) - np.sum(gi, 1) * np.sum(onehot * tx, 1)
        return reduce_np(per.reshape(np.shape(target)).astype(x.dtype),
                         self.reduction)


@export(torch=False, functional=True)
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    red = reduction_enum(resolve(size_average, reduce, reduction))
    if p != 1 and p != 2:
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.dim() != 1:
        raise ValueError("weight must be one-dimensional")
    x, t = input._data, target._data
    nd = x.ndim
    c = 1 if nd == 0 else x.shape[-1]
    if not ((nd in (1, 2) and c != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x.shape)}")
    n = 1 if nd <= 1 else x.shape[0]
    if t.ndim > 1 or t.size != n:
        raise RuntimeError("multi_margin_loss: target tensor should be 1-D with size equal to the "
                           f"number of input samples (batch size). Expected target size [{n}], "
                           f"but got {list(t.shape)}. Input has shape {list(x.shape)}.")
    if weight is not None and weight._data.size != c:
        raise RuntimeError(f"inconsistent weight size, expected {c} but got "
                           f"{list(weight._data.shape)}")
    if x.dtype.kind != "f":
        raise not_implemented_for("multi_margin_loss_cpu_kernel", x.dtype)
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {dtype_name(t.dtype)}")
    ti = t.reshape(-1)
    if ((ti < 0) | (ti >= c)).any():
        raise RuntimeError("target out of range")
    x2 = x.reshape(n, c)
    with _quiet():
        z = np.maximum(margin - np.take_along_axis(x2, ti[:, None], 1) + x2, 0)
        z[np.arange(n), ti] = 0
        z = z if p == 1 else z * z
        if weight is not None:
            z = z * weight._data[ti][:, None]
        per = (np.sum(z, 1) / c).astype(x.dtype)
    out = reduce_np(per.reshape(t.shape), red)   # ('none': the target's shape, as PyTorch)
    return record1(MultiMarginLossBackward0, input, out, (input, target, weight), margin=margin,
                   p=p, reduction=red, n=n)


# -- multilabel_margin_loss ---------------------------------------------------------------------
class MultilabelMarginLossBackward0(Node):
    """l_n = sum over the listed targets j and the non-targets i of max(0, 1 - x[j] + x[i]) / C:
    each active pair adds 1/C to d/dx[i] and -1/C to d/dx[j]; piecewise linear, so a constant
    map of the incoming gradient."""
    __slots__ = ("reduction", "n")
    saved_names = ("self", "target", "is_target")
    saved_attrs = {"reduction": "reduction"}

    def _coef(self, x, target, is_target):
        x = raw(x)
        x2, tg, h = _multilabel_pairs(x, raw(target), raw(is_target))
        active = (h > 0) / x2.shape[1]                    # [n, listed target k, class i]
        g = np.sum(active, 1)
        rows = np.broadcast_to(np.arange(x2.shape[0])[:, None], tg.shape)
        np.add.at(g, (rows, tg), -np.sum(active, 2))
        return g.astype(x.dtype).reshape(x.shape)

    def backward(self, ns, grad, x, target, is_target):
        if self.reduction == MEAN:
            grad = grad / self.n
        elif self.reduction == NONE and len(x.shape) == 2:
            grad = ns.reshape(grad, (-1, 1))
        return (grad * ns.const(self._coef(x, target, is_target)),)

    def jvp(self, ns, tangents, x, target, is_target):
        per = np.sum((self._coef(x, target, is_target) * tangents[0]).reshape(self.n, -1), 1)
        return reduce_np(per.reshape(() if x.ndim < 2 else (-1,)).astype(x.dtype),
                         self.reduction)


def _multilabel_pairs(x, t, is_target):
    """x as (N, C); the listed targets (up to the first -1) as (N, K), K the most listed; and
    the hinge 1 - x[target k] + x[class i] as (N, K, C), -1 where k is not listed or i is a
    target (so that those pairs are never active). O(N K C), as PyTorch's loop."""
    x2 = x.reshape(-1, x.shape[-1] if x.ndim else 1)
    t2 = t.reshape(x2.shape).astype(np.int64)
    listed = np.cumprod(t2 >= 0, 1).astype(bool)
    k = int(listed.sum(1).max()) if listed.size else 0
    valid = listed[:, :k]
    tg = np.where(valid, t2[:, :k], 0)
    with _quiet():
        h = 1 - np.take_along_axis(x2, tg, 1)[:, :, None] + x2[:, None, :]
    keep = valid[:, :, None] & (is_target.reshape(x2.shape) == 0)[:, None, :]
    return x2, tg, np.where(keep, h, -1)


@export(torch=False, functional=True)
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    red = reduction_enum(resolve(size_average, reduce, reduction))
    x, t = input._data, target._data
    nd = x.ndim
    c = 1 if nd == 0 else x.shape[-1]
    if not ((nd in (1, 2) and c != 0) or nd == 0):
        raise RuntimeError("Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(x.shape)}")
    ok = (t.ndim <= 1 and t.size == c) if nd <= 1 else (t.shape == x.shape)
    if not ok:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: "
                           f"{list(x.shape)}")
    if x.dtype.kind != "f":
        raise not_implemented_for("multilabel_margin_loss_forward_out_frame", x.dtype)
    if t.dtype != np.int64:
        raise RuntimeError(f"expected scalar type Long but found {dtype_name(t.dtype)}")
    t2 = t.reshape(-1, c)
    if ((t2 < -1) | (t2 >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    listed = np.cumprod(t2 >= 0, 1).astype(bool)
    is_target = np.zeros((t2.shape[0], c), x.dtype)
    rows = np.nonzero(listed)
    is_target[rows[0], t2[rows]] = 1
    is_target = is_target.reshape(x.shape)
    x2, _, h = _multilabel_pairs(x, t, is_target)
    per = (np.sum(np.maximum(h, 0), (1, 2)) / c).astype(x.dtype)
    out = reduce_np(per.reshape(() if nd < 2 else (-1,)), red)
    return record1(MultilabelMarginLossBackward0, input, out,
                   lambda n: (input, target, wrap(is_target)), reduction=red, n=x2.shape[0])


# -- composites ---------------------------------------------------------------------------------
@export(torch=False, functional=True)
def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -t (x1 - x2) + margin)."""
    red = reduction_enum(resolve(size_average, reduce, reduction))
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError("margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return margin_ranking_reduced(input1, input2, target, margin, red)


def margin_ranking_reduced(input1, input2, target, margin, red: int):
    out = add_scalar(P.mul(P_unary_core.neg(target), P.sub(input1, input2)), margin)
    return reduce_tensor(P_compare.clamp_min(out, 0), red)


@export(torch=False, functional=True)
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where t = 1, max(0, margin - x) where t = -1."""
    red = reduction_enum(resolve(size_average, reduce, reduction))
    zeros = wrap(np.zeros_like(input._data))
    margin_clamp = P_compare.clamp_min(P.sub(_scalar(input, margin), input), 0)
    output_margin = P_compare.where(P_compare.ne(target, 1), margin_clamp, zeros)
    output_self = P_compare.where(P_compare.ne(target, -1), input, zeros)
    return reduce_tensor(P.add(output_margin, output_self), red)


_EPSILON = 1e-12


@export(torch=False, functional=True)
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where t = 1, max(0, cos(x1, x2) - margin) where t = -1."""
    red = reduction_enum(resolve(size_average, reduce, reduction))
    td = target.dim()
    if td not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    if td == 1 and (input1.dim() != 2 or input2.dim() != 2):
        raise RuntimeError("1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    if td == 0 and (input1.dim() != 1 or input2.dim() != 1):
        raise RuntimeError("0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.shape)} and {list(input2.shape)}.")
    prod_sum = _sum(P.mul(input1, input2), td)
    mag1 = add_scalar(_sum(P.mul(input1, input1), td), _EPSILON)
    mag2 = add_scalar(_sum(P.mul(input2, input2), td), _EPSILON)
    cos = P.div(prod_sum, P_unary_core.sqrt(P.mul(mag1, mag2)))
    zeros = wrap(np.zeros_like(cos._data))
    pos = P.sub(_scalar(cos, 1), cos)
    neg = P_compare.clamp_min(sub_scalar(cos, margin), 0)
    out = P.add(P_compare.where(P_compare.eq(target, 1), pos, zeros), P_compare.where(P_compare.eq(target, -1), neg, zeros))
    return reduce_tensor(out, red)


@export(torch=False, functional=True)
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-(t log sigmoid(x) + (1 - t) log sigmoid(-x)), averaged over the classes."""
    if size_average is not None or reduce is not None:
        reduction = resolve(size_average, reduce, reduction)
    loss = P_unary_core.neg(P.add(P.mul(target, logsigmoid(input)),
                       P.mul(P.rsub(target, 1), logsigmoid(P_unary_core.neg(input)))))
    if weight is not None:
        loss = P.mul(loss, weight)
    class_dim = input.dim() - 1
    if class_dim < 0:
        raise IndexError("Dimension specified as -1 but tensor has no dimensions")
    loss = P.div(_sum(loss, class_dim), input.size(class_dim))
    if reduction == "none":
        return loss
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    raise ValueError(reduction + " is not valid")


# -- distances: pairwise_distance and cosine_similarity live in ops/nn/distance.py ---------
@export(torch=False, functional=True)
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with the pairwise p-distance d (``swap``: d(a, n)
    replaced by min(d(a, n), d(p, n)))."""
    red = reduction_enum(resolve(size_average, reduce, reduction))
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    return triplet_reduced(anchor, positive, negative, margin, p, eps, swap, red)


def triplet_reduced(anchor, positive, negative, margin, p, eps, swap, red: int):
    """torch.triplet_margin_loss: the loss with an integer reduction."""
    a, pd, nd = anchor.dim(), positive.dim(), negative.dim()
    if not (a == pd == nd):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {pd}D, "
                           f"and negative {nd}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = P_compare.minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    out = P_compare.clamp_min(P.sub(add_scalar(dist_pos, margin), dist_neg), 0)
    return reduce_tensor(out, red)


@export(torch=False, functional=True)
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """triplet_margin_loss with any distance (pairwise_distance by default)."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not (a == pd == nd):
        raise RuntimeError("The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {pd}D, "
                           f"and negative {nd}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    dist_pos = dist(anchor, positive)
    dist_neg = dist(anchor, negative)
    if swap:
        dist_neg = P_compare.minimum(dist_neg, dist(positive, negative))
    loss = P_compare.clamp_min(P.sub(P.add(dist_pos, margin), dist_neg), 0)
    if reduction == "sum":
        return _sum(loss)
    if reduction == "mean":
        return _mean(loss)
    return loss

