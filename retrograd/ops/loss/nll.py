"""nll_loss and cross_entropy (``torch.nn.functional``). Part of ``loss``.

nll_loss is one node, ``NllLossBackward0`` (1-D and 2-D input) or ``NllLoss2DBackward0`` (4-D
input; 3-D and more than 4-D inputs are viewed as (N, C, 1, -1), as PyTorch does). Its gradient
is linear in the incoming gradient and does not depend on the input (a constant scattered at the
target classes), so double backward is that same map; under create_graph the gradient is
PyTorch's kernel as a node, NllLossBackwardBackward0 over (grad, input), connected to the input
with a zero derivative as torch's. cross_entropy is log_softmax (the stable log-sum-exp of
``activation_softmax``) followed by nll_loss, which is the chain PyTorch records; probability
targets and label smoothing are built from the ops PyTorch's C++ code uses.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ..elementwise import arithmetic as P
from ..elementwise import compare as P_compare
from ..elementwise import unary_core as P_unary_core
from .._registry import export
from .._util import Tensor, needs_grad1, u64, wrap
from ...autograd._record import record1, record2
from .. import numpy_ns
from ..activation.softmax import LogSoftmaxBackward0, _log_softmax_np, log_softmax
from ..._dispatch import active_modes
from ..._quiet import quiet_op
from ...autograd._record import RESULT
from ..elementwise.unary import _quiet, dtype_name, not_implemented_for
from ..indexing.masked import masked_fill
from .regression import (MEAN, NONE, SUM, add_scalar, check_tensor, div_scalar, mul_scalar, raw,
                   reduction_enum, resolve)
from ..reduction.basic import sum as _sum
from ..shape.basic import contiguous, view


def _targets(t: np.ndarray, ignore_index: int):
    valid = t != ignore_index
    return valid, (t if valid.all() else np.where(valid, t, 0))


def _target_weights(t, w, ignore_index, dtype):
    """w[t] (1 without weights) for each target, 0 where it is ignore_index."""
    valid, ts = _targets(t, ignore_index)
    if w is None:
        return valid, ts, valid.astype(dtype)
    return valid, ts, np.where(valid, w[ts], 0).astype(dtype)


def _pick(x: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """x at the class ts along the class dim (dim 1, or 0 for a 1-D x)."""
    if x.ndim == 1:
        return x[ts]
    if x.ndim == 2:
        return x[np.arange(x.shape[0]), ts]
    return np.take_along_axis(x, ts[:, None], 1)[:, 0]


def _place(shape, dtype, ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` at the class ts along the class dim."""
    out = np.zeros(shape, dtype)
    if len(shape) == 1:
        out[ts] = values
    elif len(shape) == 2:
        out[np.arange(shape[0]), ts] = values
    else:
        np.put_along_axis(out, ts[:, None], values[:, None], 1)
    return out


def _plain(shape, dtype, t: np.ndarray, w, ignore_index: int) -> bool:
    """The common case with a shortcut: a 2-D float32/float64 input, no class weights, no
    ignored target, fewer rows than the float's exact integers (the total weight is the row
    count, exactly)."""
    return (w is None and len(shape) == 2 and 0 < shape[0] < 2 ** 24 and
            dtype in (np.float32, np.float64) and
            (ignore_index < 0 <= np.minimum.reduce(t, None) or not (t == ignore_index).any()))


def nll_np(x: np.ndarray, t: np.ndarray, w, red: int, ignore_index: int):
    """(output, total_weight) of nll_loss on arrays: x (N, C, ...) or (C,), t (N, ...) or ()
    (or (1,) for a 1-D x)."""
    if x.ndim == 1:
        t = t.reshape(())
    if red != NONE and _plain(x.shape, x.dtype, t, w, ignore_index):
        # every target counts once with weight 1: the same sums without the weight arrays
        with _quiet():
            s = np.negative(x[np.arange(x.shape[0]), t]).sum()
            total = np.asarray(x.shape[0], x.dtype)
            return np.asarray(s / total if red == MEAN else s, x.dtype), total
    valid, ts, wt = _target_weights(t, w, ignore_index, x.dtype)
    with _quiet():
        losses = np.where(valid, -_pick(x, ts) * wt, 0).astype(x.dtype, copy=False)
        if red == NONE:
            return losses, np.zeros((), x.dtype)
        total = np.asarray(wt.sum(), x.dtype)
        s = losses.sum()
        return np.asarray(s / total if red == MEAN else s, x.dtype), total


class NllLossBackward0(Node):
    """nll = -w[t] x[t] per target (0 where t is ignore_index), reduced; 'mean' divides by the
    total weight of the targets. d/dx: -w[t] (over the total weight for 'mean') at the target
    class, 0 elsewhere, times the incoming gradient: independent of x, so its own derivative
    is the same map."""
    __slots__ = ("reduction", "ignore_index", "plain")   # plain: True when the forward saw
    saved_names = ("self", "target", "weight", "total_weight")   # _plain's case (else None)
    saved_attrs = {"reduction": "reduction", "ignore_index": lambda n: u64(n.ignore_index)}

    def backward(self, ns, grad, x, target, weight, total_weight):
        if not ns.INPLACE:   # PyTorch's kernel, recorded: a node over (grad, x)
            return (ns.nll_loss_backward(self, grad, x, target, weight, total_weight),)
        if self.plain and ns.INPLACE and self.reduction != NONE:
            # every target counts once with weight 1: -(grad / total) (-grad for 'sum') at the
            # targets, PyTorch's nll_loss_backward formula, without a product over the zeros
            v = quiet_op(np.divide, grad, total_weight) if self.reduction == MEAN else grad
            coef = np.zeros(x.shape, x.dtype)
            coef[_rows(x.shape[0]), target] = -v
            return (coef,)
        shape = tuple(x.shape)
        t, w, total = raw(target), raw(weight), raw(total_weight)
        if len(shape) == 1 and t.ndim == 1:   # PyTorch's forward takes it, its backward not
            raise RuntimeError(f"size mismatch (got input: {list(shape)}, target: "
                               f"{list(t.shape)})")
        dtype = raw(x).dtype
        if _plain(shape, dtype, t, w, self.ignore_index):
            with _quiet():   # -w[t] (over the total weight for 'mean'), w = 1 everywhere
                one = np.ones((), dtype)
                v = -(one / raw(total)) if self.reduction == MEAN else -one
            coef = np.zeros(shape, dtype)
            coef[np.arange(shape[0]), t] = v
            if self.reduction == NONE:
                grad = ns.unsqueeze_dims(grad, (1,))
            return (grad * ns.const(coef),)
        valid, ts, wt = _target_weights(t, w, self.ignore_index, dtype)
        if self.reduction == MEAN:
            with _quiet():
                wt = np.where(valid, wt / total, 0).astype(dtype, copy=False)
        coef = _place(shape, dtype, ts, -wt)
        if self.reduction == NONE and len(shape) > 1:
            grad = ns.unsqueeze_dims(grad, (1,))
        return (grad * ns.const(coef),)

    def kernel_value(self, grad, x, target, weight, total_weight):
        """The gradient on arrays: this node's NumPy formula (ns.nll_loss_backward's value)."""
        return self.backward(numpy_ns, grad, x, target, weight, total_weight)[0]

    def jvp(self, ns, tangents, x, target, weight, total_weight):
        red = self.reduction
        out = nll_np(tangents[0], target, weight, SUM if red == MEAN else red,
                     self.ignore_index)[0]
        if red == MEAN:
            with _quiet():
                out = out / total_weight
        return out


class NllLoss2DBackward0(NllLossBackward0):
    """nll_loss of a 4-D input (N, C, H, W) with targets (N, H, W): as NllLossBackward0."""
    __slots__ = ()


# -- nll_loss_backward as an op (create_graph) ----------------------------------------------------
# PyTorch computes nll_loss's gradient with the kernel ``nll_loss_backward(grad_output, self,
# target, weight, reduction, ignore_index, total_weight)``: under create_graph the first-order
# gradient is its result, a node over (grad_output, self). It is linear in grad_output and does
# not depend on self, but is connected to it: a second autograd.grad with respect to the input
# gives zeros, where a gradient without a graph would raise.
class NllLossBackwardBackward0(Node):
    """f(g, x) = g times -w[t] (over the total weight for 'mean') at the target classes:
    df/dg^T u = nll_loss(u, t, w, reduction, ignore_index); df/dx = 0."""
    __slots__ = ("reduction", "ignore_index", "total_weight")   # total_weight: for the JVP
    saved_names = ("target", "weight")
    saved_attrs = {"reduction": "reduction", "ignore_index": lambda n: u64(n.ignore_index)}
    _forward = NllLossBackward0

    def backward(self, ns, grad, target, weight):
        gx = None
        if self.needs(0):
            if ns.INPLACE:
                gx = nll_np(grad, raw(target).astype(np.int64), raw(weight), self.reduction,
                            self.ignore_index)[0]
            else:   # (grad has the shape of the 1-D, 2-D or 4-D input: the same node again)
                gx = nll_loss(grad, target, weight, ignore_index=self.ignore_index,
                              reduction=_REDUCTIONS[self.reduction])
        return gx, (ns.zeros_like(grad) if self.needs(1) else None)

    def jvp(self, ns, tangents, target, weight):
        """JVP: the same map applied to the tangent of grad_output (x's derivative is 0)."""
        tg = tangents[0]
        if tg is None:
            return None
        total, shape, dtype = self.total_weight
        first = self._forward.__new__(self._forward)
        first.reduction, first.ignore_index, first.plain = self.reduction, self.ignore_index, None
        return first.backward(ns, tg, np.empty(shape, dtype), target, weight, total)[0]


_REDUCTIONS = {NONE: "none", MEAN: "mean", SUM: "sum"}


class NllLoss2DBackwardBackward0(NllLossBackwardBackward0):
    """nll_loss2d_backward: as NllLossBackwardBackward0 (df/dg^T u = nll_loss2d(u, ...))."""
    __slots__ = ()
    _forward = NllLoss2DBackward0


def nll_loss_backward(node, grad, x, target, weight, total_weight):
    """``node``'s (a NllLossBackward0's) NumPy formula on (grad, x), recorded as
    NllLoss(2D)BackwardBackward0 over them (tensor_ns.nll_loss_backward, the public entry
    point, calls it)."""
    t, w, total = raw(target), raw(weight), raw(total_weight)
    xa = x._data
    out = node.kernel_value(grad._data, xa, t, w, total)
    cls = NllLoss2DBackwardBackward0 if type(node) is NllLoss2DBackward0 \
        else NllLossBackwardBackward0
    return record2(cls, grad, x, out, (target, weight), reduction=node.reduction,
                   ignore_index=node.ignore_index, total_weight=(total, xa.shape, xa.dtype))


def _check_target_bounds(t, ignore_index, n_classes):
    if not t.size or (np.minimum.reduce(t, None) >= 0 and np.maximum.reduce(t, None) < n_classes):
        return   # (the ufuncs' reductions: t.min()/t.max() add NumPy's Python wrappers)
    bad = (t != ignore_index) & ((t < 0) | (t >= n_classes))
    if bad.any():
        raise IndexError(f"Target {int(t[bad].flat[0])} is out of bounds.")


def _nll_node(cls, input, target, weight, red, ignore_index):
    x, t = input._data, target._data
    if x.dtype.kind != "f":
        kernel = "nll_loss2d_forward_out_frame" if cls is NllLoss2DBackward0 \
            else "nll_loss_out_frame"
        raise not_implemented_for(kernel, x.dtype)
    w = None
    if weight is not None:
        w = weight._data
        if w.dtype != x.dtype:
            raise RuntimeError(f"expected scalar type {dtype_name(x.dtype)} but found "
                               f"{dtype_name(w.dtype)}")
        if weight.requires_grad and needs_grad1(input):
            raise RuntimeError("The function 'nll_loss_forward' is not differentiable with "
                               "respect to argument 'weight'. This input cannot have "
                               "requires_grad True.")
    t = t.astype(np.int64)
    _check_target_bounds(t, ignore_index, x.shape[0 if x.ndim == 1 else 1])
    out, total = nll_np(x, t, w, red, ignore_index)
    return record1(cls, input, out, lambda n: (input, target, weight, wrap(total)), reduction=red,
                   ignore_index=int(ignore_index), plain=None)


def _check_target_dtype(t: np.ndarray) -> None:
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{dtype_name(t.dtype)}")


def _nll(input, target, weight, red, ignore_index):
    """nll_loss of a 1-D or 2-D input (PyTorch's nll_loss_forward checks)."""
    x, t = input._data, target._data
    if t.ndim > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    _check_target_dtype(t)
    if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
        raise ValueError("For 1D input, 1D target must have size 1, but got target size: "
                         f"{t.shape[0]}")
    if x.ndim == 2 and x.shape[0] != t.shape[0]:
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)}, target: "
                           f"{list(t.shape)})")
    n = x.shape[-1]
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != n):
        raise RuntimeError(f"weight tensor should be defined either for all {n} classes or no "
                           f"classes but got weight tensor of shape: {list(weight._data.shape)}")
    return _nll_node(NllLossBackward0, input, target, weight, red, ignore_index)


def _nll2d(input, target, weight, red, ignore_index):
    x, t = input._data, target._data
    if t.ndim != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {t.ndim}")
    _check_target_dtype(t)
    if weight is not None and weight._data.size != x.shape[1]:
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    if (x.shape[0], x.shape[2], x.shape[3]) != t.shape:
        raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: "
                           f"{list(t.shape)}")
    return _nll_node(NllLoss2DBackward0, input, target, weight, red, ignore_index)


def nll_loss_nd(input, target, weight, red: int, ignore_index: int, fn: str = "nll_loss_nd"):
    """PyTorch's nll_loss_nd: 1-D/2-D inputs to nll_loss, 4-D to nll_loss2d, others viewed as
    (N, C, 1, -1) with targets (N, 1, -1)."""
    check_tensor(input, fn, "input" if fn == "cross_entropy_loss" else "self", 1)
    check_tensor(target, fn, "target", 2)
    if weight is not None:
        check_tensor(weight, fn, "weight", 3)
    x, t = input._data, target._data
    if x.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {x.ndim})")
    if x.ndim != 1 and x.shape[0] != (t.shape[0] if t.ndim else 0):
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size "
                         f"({t.shape[0] if t.ndim else 0}).")
    if x.ndim <= 2:
        return _nll(input, target, weight, red, ignore_index)
    if x.ndim == 4:
        return _nll2d(input, target, weight, red, ignore_index)
    n, c = x.shape[:2]
    if t.shape[1:] != x.shape[2:]:
        raise RuntimeError(f"Expected target size {[n, *x.shape[2:]]}, got {list(t.shape)}")
    if not x.flags.c_contiguous:   # PyTorch: input.contiguous().view(n, c, 1, -1)
        input = contiguous(input)
    if not t.flags.c_contiguous:
        target = wrap(np.ascontiguousarray(t))
    out = _nll2d(view(input, n, c, 1, -1), view(target, n, 1, -1), weight, red, ignore_index)
    if red == NONE:
        out = view(out, n, *x.shape[2:])
    return out


@export(torch=False, functional=True)
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    reduction = resolve(size_average, reduce, reduction)
    return nll_loss_nd(input, target, weight, reduction_enum(reduction), ignore_index)


# -- cross_entropy ------------------------------------------------------------------------------
@export(torch=False, functional=True)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim, then nll_loss (class indices) or -sum(t log p) (class
    probabilities, ``target`` of the input's shape); label smoothing mixes in the uniform
    distribution as PyTorch's cross_entropy_loss does."""
    if weight is None and size_average is None and reduce is None and \
            type(label_smoothing) is float and label_smoothing == 0.0 and \
            type(ignore_index) is int and isinstance(input, Tensor) and \
            isinstance(target, Tensor) and type(reduction) is str and \
            (reduction == "mean" or reduction == "sum") and \
            not active_modes():
        out = _fused(input, target, MEAN if reduction == "mean" else SUM, ignore_index)
        if out is not None:
            return out
    reduction = resolve(size_average, reduce, reduction)
    check_tensor(input, "cross_entropy_loss", "input", 1)
    if not isinstance(ignore_index, (int, np.integer)) or isinstance(ignore_index, bool):
        raise TypeError(f"cross_entropy_loss(): argument 'ignore_index' (position 5) must be int, "
                        f"not {type(ignore_index).__name__}")
    check_tensor(target, "cross_entropy_loss", "target", 2)
    red = reduction_enum(reduction)
    x, t = input._data, target._data
    cdim = 0 if x.ndim == 1 else 1
    if x.shape == t.shape:
        if t.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {dtype_name(t.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        if x.ndim == 0:
            raise IndexError("Dimension specified as 1 but tensor has no dimensions")
        return _prob_target(input, target, weight, red, label_smoothing, cdim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _smoothed(input, target, weight, red, ignore_index, label_smoothing, cdim)
    return nll_loss_nd(log_softmax(input, cdim),
                       target, weight, red, ignore_index, "cross_entropy_loss")


_I64 = np.dtype(np.int64)
_U64 = np.dtype(np.uint64)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_ROWS: dict = {}


def _rows(n: int) -> np.ndarray:
    """arange(n), made once per n (read-only): the row index of a class pick."""
    r = _ROWS.get(n)
    if r is None:
        if len(_ROWS) >= 64:
            _ROWS.clear()
        r = _ROWS[n] = np.arange(n)
        r.flags.writeable = False
    return r


def _ce_np(x: np.ndarray, t: np.ndarray) -> tuple:
    """log_softmax of x (N, C) along 1, and -sum of its values at the classes t (nll_np's
    plain case, the same arithmetic)."""
    logp = _log_softmax_np(x, 1)
    return logp, -_add_reduce(logp[_rows(x.shape[0]), t])


_add_reduce = np.add.reduce


def _fused(input, target, red: int, ignore_index: int):
    """cross_entropy of the common case, (N, C) float32/64 logits and N int64 class indices all
    in range, none of them ignore_index, no weights, 'mean' or 'sum': log_softmax and nll_loss
    computed in one pass and recorded as PyTorch records them (NllLossBackward0 after
    LogSoftmaxBackward0, with their saved values). None for any other case (the general path
    then checks and raises)."""
    x, t = input._data, target._data
    if x.ndim != 2 or t.ndim != 1 or t.dtype is not _I64 or x.dtype not in _FLOATS:
        return None
    n, c = x.shape
    if not 0 < n < 2 ** 24 or not c or t.shape[0] != n or 0 <= ignore_index < c or \
            np.maximum.reduce(t.view(_U64), None) >= c:   # (negative targets: huge unsigned)
        return None
    logp, s = quiet_op(_ce_np, x, t)
    total = np.asarray(n, x.dtype)
    out = np.asarray(quiet_op(np.divide, s, total) if red == MEAN else s, x.dtype)
    y = record1(LogSoftmaxBackward0, input, logp, RESULT)
    node = y._grad_fn
    if node is None:
        return wrap(out)
    node.dim = 1
    node.dims = (1,)
    res = record1(NllLossBackward0, y, out, (y, target, None, wrap(total)))
    node = res._grad_fn
    node.reduction = red
    node.ignore_index = ignore_index
    node.plain = True
    return res


def _check_smoothing(label_smoothing) -> None:
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")


def _class_view(weight, ndim: int, cdim: int):
    """The class weights viewed to broadcast along the class dim."""
    if ndim <= 1:
        return weight
    shape = [1] * ndim
    shape[cdim] = weight._data.shape[0]
    return view(weight, *shape)


def _prob_target(input, target, weight, red, label_smoothing, cdim):
    x = input._data
    n_classes = x.shape[cdim] if x.ndim else 1
    if weight is not None and (weight._data.ndim != 1 or weight._data.size != n_classes):
        raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                           f"{n_classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight._data.shape)}")
    logp = log_softmax(input, cdim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        target = add_scalar(mul_scalar(target, 1 - label_smoothing), label_smoothing / n_classes)
    prod = P.mul(logp, target)
    if weight is not None:
        prod = P.mul(prod, _class_view(weight, x.ndim, cdim))
    if red == NONE:
        return P_unary_core.neg(_sum(prod, cdim))
    if red == SUM:
        return P_unary_core.neg(_sum(prod))
    if not x.size:   # PyTorch: -(...).sum().fill_(nan)
        return P_unary_core.neg(_sum(prod).fill_(float("nan")))
    return div_scalar(P_unary_core.neg(_sum(prod)), x.size // n_classes)


def _smoothed(input, target, weight, red, ignore_index, label_smoothing, cdim):
    x = input._data
    n_classes = x.shape[cdim]
    logp = log_softmax(input, cdim)
    nll = nll_loss_nd(logp, target, weight, red, ignore_index, "cross_entropy_loss")
    ignore_mask = P_compare.eq(target, ignore_index)
    if weight is not None:
        smooth = P_unary_core.neg(_sum(P.mul(logp, _class_view(weight, x.ndim, cdim)), cdim))
    else:
        smooth = P_unary_core.neg(_sum(logp, cdim))
    smooth = masked_fill(smooth, ignore_mask, 0.0)
    if red == MEAN:
        keep = target._data[~ignore_mask._data]
        if weight is not None:
            denom = wrap(np.asarray(np.sum(weight._data[keep]), weight._data.dtype))
        else:
            denom = wrap(np.asarray(keep.size, np.int64))
        ret = P.div(_sum(smooth), denom)
    elif red == SUM:
        ret = _sum(smooth)
    else:
        ret = smooth
    return P.add(mul_scalar(nll, 1 - label_smoothing),
                 mul_scalar(ret, label_smoothing / n_classes))
