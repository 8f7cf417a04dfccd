"""``at::norm`` with and without dims (NormBackward1 / NormBackward0, the nodes PyTorch's C++
layers record: pairwise_distance, norm_except_dim), ``torch.norm_except_dim`` and
``torch._weight_norm`` (WeightNormInterfaceBackward0 when PyTorch uses its fused kernel)."""
from __future__ import annotations

import numpy as np

from ..._dispatch import public
from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, u64, wrap, wrap_dim
from ...autograd._record import RESULT, record1, record2
from ..linalg.norm import LinalgVectorNormBackward0, _np_vector_norm
from ..elementwise.arithmetic import mul, div
from ..shape.basic import transpose


class NormBackward0(LinalgVectorNormBackward0):
    """d||x||_p over all elements (the formula of linalg.vector_norm)."""
    __slots__ = ()
    saved_names = ("self", "result")
    saved_attrs = {"p": "ord"}


class NormBackward1(LinalgVectorNormBackward0):
    """d||x||_p over ``dim`` (the formula of linalg.vector_norm)."""
    __slots__ = ()
    saved_names = ("self", "result")
    saved_attrs = {"p": "ord", "keepdim": "keepdim",
                   "dim": lambda n: tuple(u64(d) for d in n.dim)}


def _norm_impl(input, p=2, dim=None, keepdim=False):
    """``at::norm(input, p[, dim, keepdim])`` (not torch.norm, which goes to linalg)."""
    a = input._data
    if dim is None:
        dims, node_cls = tuple(range(a.ndim)), NormBackward0
    else:
        dim = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        dims, node_cls = tuple(wrap_dim(d, a.ndim) for d in dim), NormBackward1
    out = _np_vector_norm(a, p, dims if a.ndim else None, keepdim and dim is not None)
    return record1(node_cls, input, out, (input, RESULT), ord=p, dims=dims,
                   keepdim=bool(keepdim and dim is not None), dim=dim)


# a public entry point (forward AD and vmap see it) under no torch name: PyTorch has no Python
# function for at::norm with these nodes
_norm = public(_norm_impl, "_norm")


@export(torch=True, composite=True)
def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dim but ``dim`` (shape: 1 except at ``dim``); ``dim``
    = -1: over everything. PyTorch's composition, so the graph is its graph."""
    if dim == -1:
        return _norm(v, pow)
    if dim == 0:
        size = (v.shape[0],) + (1,) * (v.ndim - 1)
        return _norm(v.contiguous().view(v.shape[0], -1), pow, 1).view(size)
    if dim == v.ndim - 1:
        size = (1,) * (v.ndim - 1) + (v.shape[-1],)
        return _norm(v.contiguous().view(-1, v.shape[-1]), pow, 0).view(size)
    return transpose(norm_except_dim(transpose(v, 0, dim), pow, 0), 0, dim)


class WeightNormInterfaceBackward0(Node):
    """w = v g / n, n = ||v|| over all dims but ``dim`` (saved as ``result1``): dw/dg =
    sum(grad v) / n (reduced to g's shape), dw/dv = g/n (grad - v sum(grad v) / n^2).

    As in PyTorch, a differentiable backward treats the saved norms as constants (PyTorch's
    ``_weight_norm_differentiable_backward`` reads ``result1``, whose gradient its node drops), so
    second derivatives are PyTorch's, which are not the exact ones: PyTorch's own gradgradcheck
    of ``_weight_norm`` fails (tests/test_nn_utils.py shows both)."""
    __slots__ = ("dim", "dims")
    saved_names = ("g", "v", "result1")   # PyTorch's order of saving
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, g, v, norm):
        gv = ns.sum_dims(grad * v, self.dims, True)
        grad_g = gv / norm if self.needs(1) else None
        grad_v = (g / norm) * (grad - v * (gv / (norm * norm))) if self.needs(0) else None
        return grad_v, grad_g

    def jvp(self, ns, tangents, g, v, norm):
        """dw = (dv g + v dg) / n - v g dn / n^2, dn = sum(v dv) / n."""
        tv, tg = tangents
        out = 0.0
        if tv is not None:
            dn = ns.sum_dims(v * tv, self.dims, True) / norm
            out = out + (tv * g) / norm - v * g * dn / (norm * norm)
        if tg is not None:
            out = out + v * tg / norm
        return out


@export(torch=True)
def _weight_norm(v, g, dim=0):
    """``v * (g / norm_except_dim(v, 2, dim))``; PyTorch computes it with its fused kernel (one
    node, WeightNormInterfaceBackward0) when ``dim`` is 0 or the last dim, and as that
    composition otherwise."""
    if not isinstance(v, Tensor) or not isinstance(g, Tensor):
        bad, name, pos = (v, "v", 1) if not isinstance(v, Tensor) else (g, "g", 2)
        raise TypeError(f"_weight_norm(): argument '{name}' (position {pos}) must be Tensor, "
                        f"not {type(bad).__name__}")
    if v._data.dtype != np.float16 and g._data.dtype != np.float16 and dim in (0, v.ndim - 1):
        if v.dtype != g.dtype:
            raise RuntimeError(f"expected scalar type {v.dtype._legacy[:-6]} but found "
                               f"{g.dtype._legacy[:-6]}")
        a, b = v._data, g._data
        dims = tuple(d for d in range(a.ndim) if d != dim)
        norms = _np_vector_norm(a, 2, dims, True)
        out = a * (b / norms)
        return record2(WeightNormInterfaceBackward0, v, g, out, lambda n: (g, v, wrap(norms)),
                       dim=dim, dims=dims)
    return mul(v, div(g, norm_except_dim(v, 2, dim)))
