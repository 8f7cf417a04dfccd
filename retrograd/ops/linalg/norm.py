"""Norms and distances: linalg.vector_norm, linalg.matrix_norm, linalg.norm, torch.norm /
Tensor.norm, torch.cdist. Matrix norms are PyTorch's composites (vector_norm, svdvals, amax,
amin, sum), so they record PyTorch's graphs."""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype as D
from ..._grad_mode import is_grad_enabled
from ...autograd.node import Node
from .._argparse import check_int_list, invalid_args
from .._registry import export
from .._util import u64, wrap_dim
from ..._size import is_int
from ._common import tname
from ._common import check_floating
from .decompositions import svdvals
from ..reduction.minmax import amax
from ..reduction.minmax import amin
from ..reduction.basic import sum as rsum
from .._util import broadcast_error
from ...autograd._record import RESULT, record1, record2
from ..shape.basic import permute
from ..shape.basic import to_dtype
from ..shape.basic import unsqueeze
from ..shape.basic import contiguous
from ..shape.basic import expand
from ..shape.basic import reshape
from ..shape.basic import view


def _fmt_ord(v) -> str:
    """A Scalar as PyTorch prints it in messages (2, -1, 0.5, inf)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


# ------------------------------------------------------------------ vector_norm
class LinalgVectorNormBackward0(Node):
    """d||x||_p: p=0: none; p=1: sign(x) g; p=2: x g / ||x||; p=±inf: sign(x) g shared among the
    extremal |x|; otherwise sign(x) |x|^(p-1) g / ||x||^(p-1) (0 where ||x|| = 0, and where
    x = 0 for p < 1). ``dims``: the reduced dims, wrapped; ``dim``: as given (PyTorch's saved
    value, None for all)."""
    __slots__ = ("ord", "dims", "keepdim", "dim")
    saved_names = ("self", "result")
    saved_attrs = {"ord": "ord", "keepdim": "keepdim",
                   "dim": lambda n: None if n.dim is None else tuple(u64(d) for d in n.dim)}

    def backward(self, ns, grad, x, norm):
        """PyTorch's norm_backward, term for term (so a differentiable backward has its NaNs
        where the norm or an element is 0)."""
        p, dims = self.ord, self.dims
        if not ns.INPLACE:
            return (_norm_backward_graph(ns, grad, x, norm, p, self.dim, dims, self.keepdim),)
        if not self.keepdim and dims:
            grad = ns.unsqueeze_dims(grad, dims)
            norm = ns.unsqueeze_dims(norm, dims)
        if p == 0:  # PyTorch returns no gradient at all (the input's .grad stays None)
            return (None,)
        if p == 1:
            return (ns.sign(x) * grad,)
        with np.errstate(divide="ignore", invalid="ignore"):
            if math.isinf(p):
                mask = ns.abs(x) == norm
                count = ns.sum_dims(mask, dims, True)
                return (ns.sign(x) * ((grad / count) * mask),)
            if p == 2:
                return (grad * ns.where(norm == 0, 0.0, x / norm),)
            a = ns.abs(x)
            if p < 1:
                scaled = ns.sign(x) * ns.where(x == 0, 0.0, a ** (p - 1))
                return (scaled * grad * norm ** (1 - p),)
            scaled = ns.sign(x) * a ** (p - 1) if p < 2 else x * a ** (p - 2)
            return (scaled * ns.where(norm == 0, 0.0, grad / norm ** (p - 1)),)

    def jvp(self, ns, tangents, x, norm):
        """JVP: sum over the reduced dims of d||x||/dx * t (the backward's formula at a gradient
        of ones); 0 for p = 0."""
        if self.ord == 0:
            return ns.zeros_like(norm)
        (jac,) = self.backward(ns, np.ones_like(norm), x, norm)
        return ns.sum_dims(jac * tangents[0], self.dims, self.keepdim)


def _norm_backward_graph(ns, grad, x, norm, p, dim, dims, keepdim):
    """norm_backward under create_graph, built from the ops PyTorch's C++ formula calls, so the
    graph holds its nodes: ``x.sgn()`` (SgnBackward0), ``(x / norm).masked_fill_(norm == 0, 0)``
    (MaskedFillBackward0), and an unsqueeze only where dims were given (a full reduction
    broadcasts). The NumPy path is the formula above."""
    if not keepdim and x.ndim != 0 and dim:
        grad = ns.unsqueeze_dims(grad, dims)
        norm = ns.unsqueeze_dims(norm, dims)
    if p == 0:
        return None
    if p == 1:
        return ns.sgn(x) * grad
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 2:
            return grad * ns.masked_fill(x / norm, norm == 0, 0.0)
        if math.isinf(p):
            a = ns.abs(x)
            mask = (a == norm) | (a != a)   # a NaN counts as an extremum
            return ns.sgn(x) * ((grad / ns.sum_dims(mask, dims, True)) * mask)
        if p < 1:
            scaled = ns.sgn(x) * ns.masked_fill(ns.abs(x).pow_(p - 1), x == 0, 0.0)
            return scaled * grad * norm ** (1 - p)
        # (PyTorch's self.abs().pow_(...): an in-place pow, which saves a clone of its input)
        scaled = ns.sgn(x) * ns.abs(x).pow_(p - 1) if p < 2 else x * ns.abs(x).pow_(p - 2)
        return scaled * ns.masked_fill(grad / norm ** (p - 1), norm == 0, 0.0)


def _np_vector_norm(x: np.ndarray, p, axes, keepdim: bool) -> np.ndarray:
    work = x.astype(np.float32) if x.dtype == np.float16 else x
    with np.errstate(all="ignore"):
        a = np.abs(work)
        if p == 2:
            r = np.sqrt(np.sum(a * a, axis=axes, keepdims=keepdim))
        elif p == 1:
            r = np.sum(a, axis=axes, keepdims=keepdim)
        elif p == 0:
            r = np.sum(a != 0, axis=axes, keepdims=keepdim).astype(work.dtype)
        elif p == math.inf:
            r = np.max(a, axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            r = np.min(a, axis=axes, keepdims=keepdim)
        else:
            r = np.sum(a ** work.dtype.type(p), axis=axes, keepdims=keepdim) ** \
                work.dtype.type(1.0 / p)
    return np.asarray(r, dtype=x.dtype)


def _norm_dims(x: np.ndarray, dim) -> tuple:
    if dim is None:
        return tuple(range(x.ndim))
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    dims = tuple(wrap_dim(d, x.ndim) for d in dim)
    for d in dims:
        if dims.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return dims if dims else tuple(range(x.ndim))


@export(torch=False, linalg=True, vmap='norm')
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None, out=None):
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    check_int_list("dim", dim, "linalg_vector_norm")
    a = x._data
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {tname(a)}")
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError("linalg.vector_norm: dtype should be floating point or complex, "
                               f"but got {dtype._legacy[:-6]}")
        if D.promote_types(x.dtype, dtype) != dtype:
            raise RuntimeError(f"linalg.vector_norm: the dtype of the input ({tname(a)}) should "
                               f"be convertible without narrowing to the specified dtype "
                               f"({dtype._legacy[:-6]})")
        a = a.astype(dtype.np)
    dims = _norm_dims(a, dim) if a.ndim else ()
    if (ord < 0 or math.isinf(ord)) and a.size == 0:
        given = () if dim is None else (dim,) if isinstance(dim, (int, np.integer)) else dim
        if not given:
            raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt_ord(ord)} norm on "
                               "an empty tensor because the operation does not have an identity")
        for d, w in zip(given, dims):
            if a.shape[w] == 0:
                raise RuntimeError(f"linalg.vector_norm cannot compute the {_fmt_ord(ord)} norm "
                                   f"on the dimension {d}because this dimension is empty and the "
                                   "operation does not have an identity")
    out = _np_vector_norm(a, ord, dims if a.ndim else None, keepdim)
    return record1(LinalgVectorNormBackward0, x, out, (x, RESULT), ord=ord, dims=dims,
                   keepdim=keepdim, dim=(dim,) if isinstance(dim, (int, np.integer)) else dim)


# ------------------------------------------------------------------ matrix_norm
def _matrix_dims(a: np.ndarray, dim) -> tuple:
    dim = tuple(dim) if isinstance(dim, (list, tuple)) else (dim,)
    if len(dim) != 2:
        raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                           + " ".join(str(d) for d in dim))
    d0, d1 = wrap_dim(dim[0], a.ndim), wrap_dim(dim[1], a.ndim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    return d0, d1


def _backshift(d0: int, d1: int, ndim: int) -> list:
    return [d for d in range(ndim) if d not in (d0, d1)] + [d0, d1]


_MATRIX_NORM_SIGS = tuple(
    f"(Tensor input, {o}, tuple of ints dim = {{-2,-1}}, bool keepdim = False, *, "
    "torch.dtype dtype = None, Tensor out = None)" for o in ("Number ord", 'str ord = "fro"'))


@export(torch=False, linalg=True)
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, out=None):
    if not isinstance(dim, (list, tuple)) and dim is not None and not is_int(dim):
        raise invalid_args(_MATRIX_NORM_SIGS, _MATRIX_NORM_SIGS, "linalg_matrix_norm")
    a = A._data
    if isinstance(ord, str) and ord not in ("fro", "nuc"):  # checked first, as in PyTorch
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if a.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    d0, d1 = _matrix_dims(a, dim)
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    elif ord not in (1, -1, 2, -2, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {_fmt_ord(ord)} not supported.")
    spectral = ord in ("nuc", 2, -2)
    check_floating(a, "linalg.matrix_norm", low=spectral)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if spectral:
        perm = _backshift(d0, d1, a.ndim)
        src = A if dtype is None else to_dtype(A, dtype)
        sv = svdvals(permute(src, perm))
        if ord == "nuc":
            res = rsum(sv, -1, keepdim)
        else:
            res = (amax if ord > 0 else amin)(sv, -1, keepdim)
        if keepdim:
            res = permute(unsqueeze(res, -1), list(np.argsort(perm)))
        return res
    if math.isinf(ord):
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    v = vector_norm(A, 1., (d0,), keepdim, dtype=dtype)
    return (amax if ord > 0 else amin)(v, d1, keepdim)


# ------------------------------------------------------------------ linalg.norm, torch.norm
@export(torch=False, linalg=True)
def norm(A, ord=None, dim=None, keepdim=False, *, out=None, dtype=None):
    a = A._data
    if isinstance(dim, (int, np.integer)):
        dim = (dim,)
    if dim is not None:
        if len(dim) not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got [{', '.join(str(d) for d in dim)}]")
    elif ord is not None and a.ndim not in (1, 2):
        raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {a.ndim}D.")
    if isinstance(ord, str):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dim) == 2) or (dim is None and a.ndim == 2)):
        return matrix_norm(A, ord, dim if dim is not None else (0, 1), keepdim, dtype=dtype)
    return vector_norm(A, 2. if ord is None else ord, dim, keepdim, dtype=dtype)


@export(torch="norm", method="norm", vmap='norm')
def torch_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm (torch/functional.py): 'fro' over at most two dims is the vector 2-norm."""
    _dim = [dim] if isinstance(dim, (int, np.integer)) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, (int, np.integer)) or len(dim) <= 2):
            return vector_norm(input, 2, _dim, keepdim, dtype=dtype)
        if _dim is None:
            _dim = list(range(input.ndim))
        return matrix_norm(input, p, _dim, keepdim, dtype=dtype)
    return vector_norm(input, 2.0 if p is None else p, _dim, keepdim, dtype=dtype)


# ------------------------------------------------------------------ cdist
class CdistBackward0(Node):
    """d_ij = ||x1_i - x2_j||_p, diff = x1_i - x2_j: g x1_i = sum_j g_ij dd_ij/ddiff,
    g x2_j = -sum_i g_ij dd_ij/ddiff, with dd/ddiff = sign(diff) |diff|^(p-1) / d^(p-1)
    (p=1: sign(diff), p=inf: sign(diff) where |diff| = d, p=0: 0), and 0 where d = 0."""
    __slots__ = ("p",)
    saved_names = ("x1", "x2", "result")
    saved_attrs = {"p": "p"}

    def backward(self, ns, grad, x1, x2, dist):
        term = self.term(ns, grad, x1, x2, dist)
        return (ns.sum_dims(term, (-2,), False) if self.needs(0) else None,
                -ns.sum_dims(term, (-3,), False) if self.needs(1) else None)

    def jvp(self, ns, tangents, x1, x2, dist):
        """JVP: sum_m dd_ij/ddiff_ijm (t1_im - t2_jm)."""
        t1, t2 = tangents
        if self.p == 0:
            return ns.zeros_like(dist)
        dt = 0.0
        if t1 is not None:
            dt = ns.unsqueeze_dims(t1, (-2,))
        if t2 is not None:
            dt = dt - ns.unsqueeze_dims(t2, (-3,))
        return ns.sum_dims(self.term(ns, np.ones_like(dist), x1, x2, dist) * dt, (-1,), False)

    def term(self, ns, grad, x1, x2, dist):
        """grad_ij dd_ij/ddiff_ijm, shaped (..., P, R, M)."""
        p = self.p
        diff = ns.unsqueeze_dims(x1, (-2,)) - ns.unsqueeze_dims(x2, (-3,))  # (..., P, R, M)
        g = ns.unsqueeze_dims(grad, (-1,))
        d = ns.unsqueeze_dims(dist, (-1,))
        if p == 0:
            term = ns.zeros_like(diff) * g
        elif p == 1:
            term = ns.sign(diff) * g
        elif math.isinf(p):
            term = ns.sign(diff) * (ns.abs(diff) == d) * g
        else:
            zero = d == 0
            safe = ns.where(zero, 1.0, d)
            if p == 2:
                term = diff * ns.where(zero, 0.0, g / safe)
            else:
                a = ns.abs(diff)
                if p < 1:
                    nz = diff != 0
                    scaled = ns.where(nz, ns.sign(diff) * ns.where(nz, a, 1.0) ** (p - 1), 0.0)
                elif p < 2:
                    scaled = ns.sign(diff) * a ** (p - 1)
                else:
                    scaled = diff * a ** (p - 2)
                term = scaled * ns.where(zero, 0.0, g / safe ** (p - 1))
        return term


class EuclideanDistBackward0(Node):
    """d = sqrt(|x1|^2 - 2 x1 x2^T + |x2|^2): with r = g / d (0 where d = 0),
    g x1 = x1 rowsum(r) - r x2, g x2 = x2 colsum(r) - r^T x1."""
    __slots__ = ()
    saved_names = ("x1", "x2", "result")

    def backward(self, ns, grad, x1, x2, res):
        with np.errstate(divide="ignore", invalid="ignore"):
            if ns.INPLACE:
                ratio = ns.where(res == 0, 0.0, grad / res)
            else:  # PyTorch's (grad / res).masked_fill_(res == 0, 0): MaskedFillBackward0
                ratio = ns.masked_fill(grad / res, res == 0, 0.0)
        g1 = g2 = None
        if self.needs(0):
            g1 = x1 * ns.sum_dims(ratio, (-1,), True) - ns.matmul(ratio, x2)
        if self.needs(1):
            g2 = x2 * ns.unsqueeze_dims(ns.sum_dims(ratio, (-2,), False), (-1,)) - \
                ns.matmul(ns.transpose(ratio, -1, -2), x1)
        return g1, g2

    def jvp(self, ns, tangents, x1, x2, res):
        """JVP: (x1_i - x2_j) . (t1_i - t2_j) / d_ij, 0 where d = 0."""
        t1, t2 = tangents
        num = 0.0
        if t1 is not None:
            num = ns.sum_dims(x1 * t1, (-1,), True) - ns.matmul(t1, ns.transpose(x2, -1, -2))
        if t2 is not None:
            num = num + ns.unsqueeze_dims(ns.sum_dims(x2 * t2, (-1,), False), (-2,)) - \
                ns.matmul(x1, ns.transpose(t2, -1, -2))
        with np.errstate(divide="ignore", invalid="ignore"):
            return ns.where(res == 0, 0.0, num / res)


def _np_euclid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PyTorch's _euclidean_dist: one matmul of [-2 x1, |x1|^2, 1] and [x2, 1, |x2|^2]."""
    n1 = (a * a).sum(-1, keepdims=True)
    n2 = (b * b).sum(-1, keepdims=True)
    a_ = np.concatenate([-2 * a, n1, np.ones_like(n1)], -1)
    b_ = np.concatenate([b, np.ones_like(n2), n2], -1)
    return np.sqrt(np.maximum(np.matmul(a_, np.swapaxes(b_, -1, -2)), 0))


def _euclidean_dist(x1, x2):
    out = _np_euclid(x1._data, x2._data)
    return record2(EuclideanDistBackward0, x1, x2, out, (x1, x2, RESULT))


def _np_cdist(a: np.ndarray, b: np.ndarray, p) -> np.ndarray:
    diff = np.abs(a[..., :, None, :] - b[..., None, :, :])
    with np.errstate(all="ignore"):
        if p == 0:
            r = (diff != 0).sum(-1).astype(a.dtype)
        elif p == 1:
            r = diff.sum(-1)
        elif p == 2:
            r = np.sqrt((diff * diff).sum(-1))
        elif math.isinf(p):
            r = diff.max(-1, initial=0)
        else:
            r = (diff ** a.dtype.type(p)).sum(-1) ** a.dtype.type(1 / p)
    return np.asarray(r, a.dtype)


_MODES = {"use_mm_for_euclid_dist_if_necessary": 0, "use_mm_for_euclid_dist": 1,
          "donot_use_mm_for_euclid_dist": 2}


@export()
def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    if compute_mode not in _MODES:
        raise ValueError(f"{compute_mode} is not a valid value for compute_mode")
    a, b = x1._data, x2._data
    for name, t in (("X1", a), ("X2", b)):
        if t.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: {t.ndim}D")
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {a.shape[-1]} "
                           f"X2: {b.shape[-1]}")
    for name, t in (("X1", a), ("X2", b)):
        if t.dtype.kind != "f":
            raise RuntimeError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{tname(t)}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {tname(a)} but found {tname(b)}")
    if a.dtype == np.float16:
        raise NotImplementedError("\"cdist\" not implemented for 'Half'")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise broadcast_error(a.shape[:-2], b.shape[:-2]) from None
    r1, r2 = a.shape[-2], b.shape[-2]
    mode = _MODES[compute_mode]
    out_shape = batch + (r1, r2)
    if p == 2 and a.size and b.size and (mode == 1 or (mode == 0 and (r1 > 25 or r2 > 25))):
        if batch:
            e1 = view(contiguous(expand(x1, batch + a.shape[-2:])), (-1,) + a.shape[-2:])
            e2 = view(contiguous(expand(x2, batch + b.shape[-2:])), (-1,) + b.shape[-2:])
        else:
            e1, e2 = x1, x2
        return reshape(_euclidean_dist(e1, e2), out_shape)
    out = np.broadcast_to(_np_cdist(a, b, float(p)), out_shape)
    out = np.ascontiguousarray(out)
    return record2(CdistBackward0, x1, x2, out, (x1, x2, RESULT), p=float(p))


@export(torch=False, functional=True)
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(norm_p(input, dim), eps)``, built as PyTorch builds it (norm, clamp_min,
    expand_as, div), so its graph is PyTorch's."""
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    if out is None:
        return input / denom
    if is_grad_enabled() and (input.requires_grad or out.requires_grad):
        raise RuntimeError("div(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    result = input / denom
    if tuple(out.shape) == tuple(result.shape):
        out.copy_(result)
    else:   # PyTorch resizes ``out`` to the result's shape
        out._data = result._data.astype(out._data.dtype)
        out._vc[0] += 1
    return out
