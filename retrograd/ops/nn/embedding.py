"""Embedding lookups: torch.embedding (EmbeddingBackward0), torch.embedding_renorm_, and
F.embedding on top of them (padding_idx, max_norm renormalisation in place under no_grad,
scale_grad_by_freq), as PyTorch writes F.embedding.

sparse=True asks PyTorch for a sparse gradient (a torch.sparse tensor); retrograd has no sparse
tensors, so a call that would record such a gradient raises NotImplementedError.
"""
from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ...autograd.node import Node
from .._registry import export
from .._util import needs_grad1, u64, wrap
from ...autograd._record import record1
from ..inplace import bump_version
from ..._dtype import from_numpy_dtype

__all__ = ["embedding", "embedding_renorm_"]


def _index_data(ind):
    """The saved indices as an array (a Tensor on the differentiable path): constants, read
    for the padding mask and the frequencies only."""
    return getattr(ind, "_data", ind)


class EmbeddingBackward0(Node):
    """out = weight[indices]: weight's gradient is the output gradient's rows added at their
    indices (none for padding_idx; divided by each index's count with scale_grad_by_freq)."""
    __slots__ = ("num_weights", "padding_idx", "scale_grad_by_freq", "sparse")
    saved_names = ("indices",)
    saved_attrs = {"padding_idx": lambda n: u64(n.padding_idx),
                   "scale_grad_by_freq": "scale_grad_by_freq", "sparse": "sparse",
                   "weight_sym_argsize_0": "num_weights"}

    def backward(self, ns, grad, ind):
        d = grad.shape[-1]
        flat = ns.reshape(ind, (-1,))
        g = ns.reshape(grad, (-1, d))
        idx = _index_data(ind).reshape(-1)
        scale = None
        if self.scale_grad_by_freq:
            counts = np.bincount(idx, minlength=self.num_weights)
            scale = 1.0 / counts[idx]
        if self.padding_idx >= 0:
            keep = idx != self.padding_idx
            scale = keep.astype(np.float64) if scale is None else scale * keep
        if scale is not None:
            g = g * ns.const(scale.astype(_index_data(grad).dtype).reshape(-1, 1))
        return (ns.index_acc((self.num_weights, d), (flat,), g),)

    def jvp(self, ns, tangents, ind):
        return tangents[0][ind]


_INDEX_TYPES = ("int64", "int32")


def _check_indices(indices) -> None:
    dt = indices._data.dtype
    if dt.name not in _INDEX_TYPES:
        shown = "CPUBoolType" if dt == np.bool_ else f"torch.{from_numpy_dtype(dt)._legacy}"
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {shown} instead (while "
                           "checking arguments for embedding)")


@export(torch="embedding")
def _embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding(weight, indices, ...): the rows of ``weight`` at ``indices``."""
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    _check_indices(indices)
    idx = indices._data
    if idx.size and (idx.min() < 0 or idx.max() >= w.shape[0]):
        raise IndexError("index out of range in self")
    out = w[idx]
    if not needs_grad1(weight):
        return wrap(out)
    if sparse:
        raise NotImplementedError(
            "retrograd: embedding with sparse=True records a sparse gradient in PyTorch, and "
            "retrograd has no sparse tensors; use sparse=False (the same values, dense)")
    return record1(EmbeddingBackward0, weight, out, indices, num_weights=w.shape[0],
                   padding_idx=int(padding_idx), scale_grad_by_freq=bool(scale_grad_by_freq),
                   sparse=bool(sparse))


@export(torch="embedding_renorm_")
def embedding_renorm_(input, indices, max_norm, norm_type):
    """Rescale, in place, each row of ``input`` referenced by ``indices`` whose ``norm_type``
    norm exceeds ``max_norm`` to norm max_norm (scale max_norm / (norm + 1e-7), as PyTorch).
    No gradient is recorded."""
    _check_indices(indices)
    w = input._data
    rows = np.unique(indices._data)
    if rows.size and (rows[0] < 0 or rows[-1] >= w.shape[0]):
        bad = rows[-1] if rows[-1] >= w.shape[0] else rows[0]
        raise IndexError(f"select(): index {bad} out of range for tensor of size "
                         f"[{', '.join(str(s) for s in w.shape)}] at dimension 0")
    sel = w[rows].astype(np.float64)
    if norm_type == float("inf"):
        norms = np.abs(sel).max(axis=1) if sel.size else np.zeros(len(rows))
    elif norm_type == 0:
        norms = (sel != 0).sum(axis=1).astype(np.float64)
    else:
        norms = (np.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if over.any():
        scale = max_norm / (norms[over] + 1e-7)
        w[rows[over]] = (sel[over] * scale[:, None]).astype(w.dtype)
    bump_version(input)
    return input


@export(torch=False, functional=True, composite=True)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """F.embedding: the rows of ``weight`` at the indices ``input``."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    else:
        padding_idx = -1
    if max_norm is not None:
        input = input.contiguous()
        with _grad_mode.no_grad():
            embedding_renorm_(weight.detach(), input, max_norm, norm_type)
    return _embedding(weight, input, padding_idx, scale_grad_by_freq, sparse)
