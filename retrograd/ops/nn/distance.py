"""F.cosine_similarity, F.pairwise_distance and F.pdist. The first two are PyTorch 2.13's
compositions, so the graphs are its graphs (cosine: each input divided by its own norm, clamped
at ``eps`` outside autograd; pairwise: ``at::norm(x1 - x2 + eps, p, -1, keepdim)``)."""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype as D
from ..._dispatch import POINTWISE, public
from ..._grad_mode import no_grad
from ...autograd.node import ELEMENTWISE, Node
from .._registry import export
from .._util import Tensor, binary_arrays, broadcast_error
from ...autograd._record import RESULT, record1
from ..linalg.norm import _np_vector_norm, vector_norm
from .norms import _norm


class AddBackward1(Node):
    """d(x + c)/dx = 1 for a Python number c (``at::add(Tensor, Scalar)``, the node of
    PyTorch's C++ composites; Python's ``x + c`` records AddBackward0)."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


def _add_scalar_impl(input, other):
    x, y = binary_arrays(input, other)
    out = x + y
    return record1(AddBackward1, input, out)


# a public entry point (forward AD and vmap see it) under no torch name
_add_scalar = public(_add_scalar_impl, "_add_scalar", vmap=POINTWISE)


def _check_tensor(x, name: str, pos: int, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


@export(torch=True, functional=True, composite=True)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1/max(||x1||, eps) * x2/max(||x2||, eps)) along ``dim``; the clamps are not
    differentiated (PyTorch clamps a clone of each norm under no_grad)."""
    _check_tensor(x1, "x1", 1, "cosine_similarity")
    _check_tensor(x2, "x2", 2, "cosine_similarity")
    common = D.promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{common._legacy[:-6]}")
    try:
        size = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    except ValueError:
        raise broadcast_error(tuple(x1.shape), tuple(x2.shape)) from None
    x1 = x1.to(common)
    x2 = x2.to(common)
    if tuple(x1.shape) != tuple(x2.shape):   # PyTorch expands both, or neither
        x1 = x1.expand(size)
        x2 = x2.expand(size)
    x1_norm = vector_norm(x1, 2, dim, True).clone()
    x2_norm = vector_norm(x2, 2, dim, True).clone()
    with no_grad():
        x1_norm.clamp_min_(eps)
        x2_norm.clamp_min_(eps)
    # PyTorch's C++ evaluates the right factor first (the order its saved tensors are packed in)
    right = x2 / x2_norm
    left = x1 / x1_norm
    return (left * right).sum(dim)


@export(torch=True, functional=True, composite=True)
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    _check_tensor(x1, "x1", 1, "pairwise_distance")
    _check_tensor(x2, "x2", 2, "pairwise_distance")
    output_dim = max(x1.ndim, x2.ndim)
    innermost = output_dim - 1 if output_dim > 0 else None
    return _norm(_add_scalar(x1 - x2, eps), float(p), innermost, keepdim)  # p: a double


# ------------------------------------------------------------------------------------ pdist
class PdistBackward0(Node):
    """d/dx of the distances r_k = ||x_i - x_j||_p over the pairs i < j: each pair's gradient
    w.r.t. its difference d (PyTorch's _pdist_backward: p=1 sign(d) g; p<2 sign(d)|d|^(p-1)
    g / r^(p-1), 0 where r = 0 or (d = 0 and p < 1); p=2 d g / r; p=inf sign(d) g where
    |d| = r; otherwise d |d|^(p-2) g / r^(p-1)), added to row i and subtracted from row j.
    (PyTorch's backward of this backward is not implemented; retrograd's is differentiable.)"""
    __slots__ = ("p", "rows", "cols")
    saved_names = ("self", "result")
    saved_attrs = {"p": "p"}

    def backward(self, ns, grad, x, result):
        i, j = self.rows, self.cols
        if self.p == 0 or x.shape[0] < 2:
            return (ns.zeros_like(x),)
        gd = _dr_dd(ns, self.p, x[i] - x[j], ns.unsqueeze_dims(result, (1,))) * \
            ns.unsqueeze_dims(grad, (1,))
        return (ns.index_acc(x.shape, (i,), gd) - ns.index_acc(x.shape, (j,), gd),)

    def jvp(self, ns, tangents, x, result):
        """dr_k = sum_m dr_k/dd_km (t_i - t_j)_m."""
        i, j = self.rows, self.cols
        t = tangents[0]
        if self.p == 0 or x.shape[0] < 2:
            return ns.zeros_like(result)
        dr = _dr_dd(ns, self.p, x[i] - x[j], ns.unsqueeze_dims(result, (1,)))
        return ns.sum_dims(dr * (t[i] - t[j]), (1,), False)


def _dr_dd(ns, p, d, r):
    """d r / d d for r = ||d||_p along dim 1 (r given with that dim kept), with PyTorch's zeros."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 1:
            return ns.sign(d)
        if p == 2:
            return ns.where(r == 0, 0.0, d / r)
        if p == math.inf:
            return ns.sign(d) * (ns.abs(d) == r)
        a = ns.abs(d)
        if p < 2:
            zero = (r == 0) | (d == 0) if p < 1 else (r == 0)
            return ns.where(zero, 0.0, ns.sign(d) * a ** (p - 1) / r ** (p - 1))
        return ns.where(r == 0, 0.0, d * a ** (p - 2) / r ** (p - 1))


@export(torch=True, functional=True)
def pdist(input, p=2):
    """The p-norm distances between the rows of a 2-D input, for the pairs i < j in order."""
    _check_tensor(input, "input", 1, "pdist")
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    a = input._data
    if a.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    if a.dtype == np.float16:
        raise NotImplementedError("\"pdist\" not implemented for 'Half'")
    p = float(p)
    i, j = np.triu_indices(a.shape[0], 1)
    out = _np_vector_norm(a[i] - a[j], p, (1,), False)
    return record1(PdistBackward0, input, out, (input, RESULT), p=p, rows=i, cols=j)
