"""Bags of embeddings: torch.embedding_bag (EmbeddingBagBackward0) and F.embedding_bag as
PyTorch writes it: sums, means or maxima of the looked-up rows over bags given by ``offsets``
(or the rows of a 2-D input), with per-sample weights (sum mode), padding_idx (skipped) and
include_last_offset. Like PyTorch's CPU kernel, the last bag runs to the end of the input.

The node saves what PyTorch's saves: offset2bag (result1; empty in sum mode without padding),
bag_size (result2; zeros in sum mode) and max_indices (result3; bag_size unless mode is max).
"""
from __future__ import annotations

import numpy as np

from ... import _creation
from ..._dtype import from_numpy_dtype, int64
from ...autograd.node import Node
from .._registry import export
from .._util import needs_grad, u64, wrap
from ...autograd._record import record2
from .embedding import _check_indices, embedding_renorm_
from ... import _warn
from ... import _grad_mode

__all__ = ["embedding_bag"]

_SUM, _MEAN, _MAX = 0, 1, 2


def _arr(t):
    return getattr(t, "_data", t)


class EmbeddingBagBackward0(Node):
    """Each valid element e (index i_e in bag b_e) adds grad[b_e] * c_e to weight row i_e, with
    c_e = per_sample_weight_e (sum), 1 / bag_size (mean), divided by the index's count with
    scale_grad_by_freq; max mode sends grad[b, d] to row max_indices[b, d]. The per-sample
    weights get <grad[b_e], weight[i_e]>."""
    __slots__ = ("num_weights", "mode", "padding_idx", "scale_grad_by_freq", "sparse")
    saved_names = ("indices", "offsets", "per_sample_weights", "weight", "result1", "result2",
                   "result3")
    saved_attrs = {"mode": "mode", "padding_idx": lambda n: u64(n.padding_idx),
                   "scale_grad_by_freq": "scale_grad_by_freq", "sparse": "sparse",
                   "weight_sym_argsize_0": "num_weights"}

    def _layout(self, ind, offsets, bag_size):
        """(bag of each element, mask of the valid ones, per-element coefficient or None)."""
        idx = _arr(ind)
        starts = _arr(offsets)[:len(_arr(bag_size))]
        bag = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
        valid = idx != self.padding_idx if self.padding_idx >= 0 else np.ones(idx.size, bool)
        coef = None
        if self.mode == _MEAN:
            size = np.asarray(_arr(bag_size), np.float64)
            coef = 1.0 / np.maximum(size, 1)[bag]
        if self.scale_grad_by_freq:
            counts = np.bincount(idx, minlength=self.num_weights)
            coef = (1.0 if coef is None else coef) / counts[idx]
        return idx, bag, valid, coef

    def backward(self, ns, grad, ind, offsets, psw, w, r1, bag_size, max_idx):
        dt = _arr(grad).dtype
        d = grad.shape[-1]
        idx, bag, valid, coef = self._layout(ind, offsets, bag_size)
        gw = gp = None
        if self.needs(0):
            if self.mode == _MAX:
                mi = _arr(max_idx)
                filled = (_arr(bag_size) > 0)[:, None] & np.ones(mi.shape, bool)
                rows, cols = mi[filled], np.nonzero(filled)[1]
                gw = ns.index_acc((self.num_weights, d), (ns.const(rows), ns.const(cols)),
                                  grad[ns.const(filled)])
            else:
                sel = np.nonzero(valid)[0]
                g = ns.index_select(grad, 0, ns.const(bag[sel]))
                if psw is not None:
                    g = g * ns.reshape(ns.index_select(psw, 0, ns.const(sel)), (-1, 1))
                if coef is not None:
                    g = g * ns.const(coef[sel].astype(dt).reshape(-1, 1))
                gw = ns.index_acc((self.num_weights, d), (ns.const(idx[sel]),), g)
        if self.needs(1):
            rows = ns.index_select(w, 0, ns.const(idx))
            gb = ns.index_select(grad, 0, ns.const(bag))
            gp = ns.sum_dims(rows * gb, (1,), False) * ns.const(valid.astype(dt))
        return gw, gp

    def jvp(self, ns, tangents, ind, offsets, psw, w, r1, bag_size, max_idx):
        tw, tp = tangents
        idx, bag, valid, _ = self._layout(ind, offsets, bag_size)
        nb = len(_arr(bag_size))
        out = np.zeros((nb, w.shape[1] if w is not None else tw.shape[1]),
                       (tw if tw is not None else tp).dtype)
        if tw is not None:
            if self.mode == _MAX:
                if max_idx.size:
                    picked = np.take_along_axis(tw, max_idx.astype(np.intp), 0)
                    out = out + np.where((bag_size > 0)[:, None], picked, 0)
            else:
                vals = tw[idx] * (valid[:, None] if psw is None else (psw * valid)[:, None])
                np.add.at(out, bag, vals)
                if self.mode == _MEAN:
                    out = out / np.maximum(bag_size, 1)[:, None]
        if tp is not None:
            np.add.at(out, bag, w[idx] * (tp * valid)[:, None])
        return out


def _bags(w, idx, starts, n_bags, mode, psw, padding_idx, end):
    """The forward: (output, offset2bag, bag_size, max_indices) as PyTorch's CPU kernel. With
    include_last_offset, elements past the last offset (``end``) are in no bag's value, but
    offset2bag puts them in the last bag and bag_size counts them (so a mean divides by that
    count, and its backward reaches them), as PyTorch's kernel does."""
    n, dim = idx.size, w.shape[1]
    bag = np.searchsorted(starts, np.arange(n), side="right") - 1
    valid = idx != padding_idx if padding_idx >= 0 else np.ones(n, bool)
    counts = np.bincount(bag[valid], minlength=n_bags).astype(idx.dtype)
    if end < n:
        valid = valid & (np.arange(n) < end)
    bv, iv = bag[valid], idx[valid]
    out = np.zeros((n_bags, dim), w.dtype)
    if mode == _MAX:
        vals = w[iv]
        best = np.full((n_bags, dim), -np.inf, w.dtype)
        np.maximum.at(best, bv, vals)
        pos = np.where(vals == best[bv], np.arange(vals.shape[0])[:, None], n)
        first = np.full((n_bags, dim), n)
        np.minimum.at(first, bv, pos)
        filled = first < n
        max_idx = np.where(filled, iv[np.minimum(first, max(len(iv) - 1, 0))] if len(iv)
                           else 0, 0).astype(idx.dtype)
        out = np.where(filled, best, 0).astype(w.dtype)
    else:
        vals = w[iv] if psw is None else w[iv] * psw[valid][:, None]
        np.add.at(out, bv, vals)
        if mode == _MEAN:
            out = (out / np.maximum(counts, 1)[:, None]).astype(w.dtype)
        max_idx = None
    if mode == _SUM:
        counts = np.zeros(n_bags, idx.dtype)
    # PyTorch's fast sum path (float32 / float16 weights, no padding) leaves offset2bag empty
    fast = mode == _SUM and padding_idx < 0 and w.dtype in (np.float32, np.float16)
    offset2bag = np.zeros(0, idx.dtype) if fast else bag.astype(idx.dtype)
    return out, offset2bag, counts, counts if max_idx is None else max_idx


def _long_name(dt) -> str:
    return from_numpy_dtype(dt)._legacy


@export(torch="embedding_bag")
def _embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                   per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """torch.embedding_bag: (output, offset2bag, bag_size, max_indices)."""
    w = weight._data
    _check_indices(indices)
    idx = indices._data.reshape(-1)
    off = offsets._data.reshape(-1)
    num = w.shape[0]
    pad = -1 if padding_idx is None else int(padding_idx)
    if pad < -1 or pad >= num:
        if not -num <= pad < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, {-num} "
                               f"through {num - 1}, but got {pad}")
    if pad < -1:
        pad += num
    if off.size and off[0] != 0:
        raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {off[0]}\n"
                           f"[ torch.{_long_name(off.dtype)}{{}} ]")
    if off.size and off[-1] > idx.size:
        raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} but "
                           f"got offsets[-1] of {off[-1]}")
    if off.size > 1 and (np.diff(off) < 0).any():
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this "
                           "error message be improved?  If so, please report an enhancement "
                           "request to PyTorch.)")
    bad = np.nonzero((idx < 0) | (idx >= num))[0]
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in "
                           f"the valid range [0, {num})")
    n_bags = max(off.size - 1, 0) if include_last_offset else off.size
    psw = None if per_sample_weights is None else per_sample_weights._data.reshape(-1)
    end = int(off[n_bags]) if include_last_offset and n_bags < off.size else idx.size
    out, o2b, size, mx = _bags(w, idx, off[:n_bags], n_bags, mode, psw, pad, end)
    extras = (wrap(o2b), wrap(size), wrap(mx))
    if not needs_grad(weight, per_sample_weights):
        return (wrap(out),) + extras
    if sparse:
        raise NotImplementedError(
            "retrograd: embedding_bag with sparse=True records a sparse gradient in PyTorch, "
            "and retrograd has no sparse tensors; use sparse=False (the same values, dense)")
    psw_t = per_sample_weights
    return (record2(EmbeddingBagBackward0, weight, psw_t, out,
                    (indices, offsets, psw_t,
                     weight if psw_t is not None and psw_t.requires_grad else None, *extras),
                    num_weights=num, mode=int(mode), padding_idx=pad,
                    scale_grad_by_freq=bool(scale_grad_by_freq), sparse=bool(sparse)),) + extras


@export(torch=False, functional=True, composite=True)
def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """F.embedding_bag: sums, means or maxima of embedding rows over bags."""
    if weight.dtype == int64 and input.is_floating_point():
        _warn.warn("Argument order of nn.functional.embedding_bag was changed. Usage "
                   "`embedding_bag(weight, input, ...)` is deprecated, and should now be "
                   "`embedding_bag(input, weight, ...)`.", UserWarning)
        weight, input = input, weight
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({_size(per_sample_weights)}) is "
                         f"not None, then it must have the same shape as the input "
                         f"({_size(input)})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}".replace("retrograd._tensor.Tensor",
                                                                "torch.Tensor"))
        offsets = _creation.arange(0, input.numel(), input.size(1), dtype=input.dtype)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.dim()}")
    if mode == "sum":
        mode_enum = _SUM
    elif mode == "mean":
        mode_enum = _MEAN
    elif mode == "max":
        mode_enum = _MAX
        if scale_grad_by_freq:
            raise ValueError("max mode does not support scaling the gradient by the frequency")
        if sparse:
            raise ValueError("max mode does not support sparse weights")
    else:
        raise ValueError("mode has to be one of sum, mean or max")
    if max_norm is not None:
        with _grad_mode.no_grad():
            embedding_renorm_(weight.detach(), input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "embedding_bag: per_sample_weights was not None. per_sample_weights is only "
            f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
            "GitHub.")
    ret, _, _, _ = _embedding_bag(weight, input, offsets, scale_grad_by_freq, mode_enum, sparse,
                                  per_sample_weights, include_last_offset, padding_idx)
    return ret


def _size(t) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in t.shape) + "])"
