"""Other products: vdot, linalg.vecdot, linalg.matmul, tensordot, kron, cross / linalg.cross."""
from __future__ import annotations

import numpy as np

from ... import _warn
from ...autograd.node import Node
from .._registry import export
from .._util import quiet, quiet_op, u64
from ..elementwise.arithmetic import mul
from ..reduction.basic import sum as rsum
from ..._tensor import Tensor as _T
from ..reduction import basic as reduction
from .._util import check_broadcast
from ..shape import basic as shape
from ..shape.basic import UnsafeViewBackward0 as _ShapeUnsafeView
from .._util import wrap_dim
from ...autograd._record import CROSS, record2
from .matmul import _unsafe_view, matmul, mm
from .addmm import _not_impl, _tname


class VdotBackward0(Node):
    """d(sum x*y): gx = g*y, gy = g*x (real tensors: no conjugation). PyTorch saves other
    before self."""
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        return (grad * y if self.needs(0) else None, grad * x if self.needs(1) else None)

    def jvp(self, ns, tangents, y, x):
        """JVP: sum(tx*y) + sum(x*ty)."""
        tx, ty = tangents
        out = None if tx is None else ns.matmul(tx, y)
        if ty is not None:
            t = ns.matmul(x, ty)
            out = t if out is None else out + t
        return out


@export(method=True, vmap='dot')
def vdot(input, other):
    x, y = input._data, other._data
    if x.ndim != 1 or y.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {x.ndim}D and {y.ndim}D tensors")
    if x.dtype != y.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{_tname(x)} and {_tname(y)}")
    if x.shape != y.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                           f"[{y.shape[0]}] to have the same number of elements, but got "
                           f"{x.shape[0]} and {y.shape[0]} elements respectively")
    _not_impl(x, "dot")
    out = np.asarray(quiet_op(np.dot, x, y))
    return record2(VdotBackward0, input, other, out, CROSS)


@export(torch=False, linalg="vecdot")
def vecdot(x, y, *, dim=-1, out=None):
    """PyTorch's composite: vdot for two vectors, else (x * y).sum(dim) (SumBackward1)."""
    a, b = x._data, y._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {_tname(a)} and y of type {_tname(b)} instead")
    if a.dtype.kind != "f":
        raise RuntimeError("linalg.vecdot: Expected a floating point or complex tensor as input. "
                           f"Got {_tname(a)}")
    if a.ndim == 1 and b.ndim == 1:
        return vdot(x, y)
    return rsum(mul(x, y), dim)


@export(torch=False, linalg="matmul", vmap='matmul')
def linalg_matmul(input, other, *, out=None):
    return matmul(input, other)


# ------------------------------------------------------------------ tensordot, kron (composite)
def _int_list(v, name: str, pos: int) -> list:
    if isinstance(v, _T):
        v = v._data.tolist()
    if isinstance(v, (int, np.integer)):
        raise TypeError(f"tensordot(): argument '{name}' (position {pos}) must be tuple of ints, "
                        f"not int")
    return [int(d) for d in v]


@export()
def tensordot(a, b, dims=2, out=None):
    """PyTorch's composite: sum broadcast dims, permute, reshape, mm, reshape (ViewBackward0)."""
    if isinstance(dims, _T):
        dims = dims._data.tolist()
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > a.ndim or dims > b.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        d1, d2 = list(range(-dims, 0)), list(range(dims))
    else:
        d1, d2 = _int_list(dims[0], "dims_self", 3), _int_list(dims[1], "dims_other", 4)
    if len(d1) != len(d2):
        raise RuntimeError("both dimension lists should have same length")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    w1 = [wrap_dim(d, a.ndim) for d in d1]
    w2 = [wrap_dim(d, b.ndim) for d in d2]
    for w in (w1, w2):
        for d in w:
            if w.count(d) > 1:
                raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    t1, t2 = a, b
    for i, (x, y) in enumerate(zip(w1, w2)):
        s1, s2 = t1._data.shape[x], t2._data.shape[y]
        if s2 == 1:   # the dims as given, as PyTorch passes them on (saved by the nodes)
            t1 = reduction.sum(t1, d1[i], keepdim=True)
        elif s1 == 1:
            t2 = reduction.sum(t2, d2[i], keepdim=True)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} in "
                               f"dim {d1[i]} and second has size {s2} in dim {d2[i]}")
    free1 = [d for d in range(a.ndim) if d not in w1]
    free2 = [d for d in range(b.ndim) if d not in w2]
    sh1, sh2 = t1._data.shape, t2._data.shape
    size = int(np.prod([sh1[d] for d in w1], dtype=np.int64))
    out_shape = [sh1[d] for d in free1] + [sh2[d] for d in free2]
    p1 = shape.permute(t1, free1 + d1)
    p2 = shape.permute(t2, d2 + free2)
    m1 = shape.reshape(p1, int(np.prod([sh1[d] for d in free1], dtype=np.int64)), size)
    m2 = shape.reshape(p2, size, int(np.prod([sh2[d] for d in free2], dtype=np.int64)))
    return shape.reshape(mm(m1, m2), out_shape)


@export(method=True)
def kron(input, other):
    """PyTorch's composite: interleave the dims of both, multiply, merge (UnsafeViewBackward0)."""
    n = max(input.ndim, other.ndim)
    sa = (1,) * (n - input.ndim) + tuple(input._data.shape)
    sb = (1,) * (n - other.ndim) + tuple(other._data.shape)
    ra = [v for s in sa for v in (s, 1)]
    rb = [v for s in sb for v in (1, s)]
    prod = mul(_unsafe_view(input, ra), _unsafe_view(other, rb))
    return _unsafe_view(prod, tuple(x * y for x, y in zip(sa, sb)))


# ------------------------------------------------------------------ cross
class LinalgCrossBackward0(Node):
    """d(x × y): gx = y × g, gy = g × x. PyTorch saves other before self. ``dim``: the dim
    as given (PyTorch's saved value); the formula counts it from the end."""
    __slots__ = ("dim",)
    saved_names = ("other", "self")
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, y, x):
        d = self.dim
        if d >= 0:
            d -= len(self._shape)
        return (ns.cross(y, grad, d) if self.needs(0) else None,
                ns.cross(grad, x, d) if self.needs(1) else None)

    def jvp(self, ns, tangents, y, x):
        """JVP: tx × y + x × ty."""
        d = self.dim
        if d >= 0:
            d -= len(self._shape)
        tx, ty = tangents
        out = None if tx is None else ns.cross(tx, y, d)
        if ty is not None:
            t = ns.cross(x, ty, d)
            out = t if out is None else out + t
        return out


def _cross(input, other, dim, name="linalg.cross"):
    x, y = input._data, other._data
    if x.ndim != y.ndim:
        raise RuntimeError(f"{name}: inputs must have the same number of dimensions.")
    d = wrap_dim(dim, x.ndim)
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise RuntimeError(f"{name}: inputs dimension {dim} must have length 3. Got "
                           f"{x.shape[d]} and {y.shape[d]}")
    check_broadcast(x, y)
    if x.dtype != y.dtype:
        raise RuntimeError(f"expected scalar type {_tname(x)} but found {_tname(y)}")
    _not_impl(x, "cross")
    out = np.cross(x, y, axis=d)
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)
    return record2(LinalgCrossBackward0, input, other, out, CROSS, dim=dim)


@export(torch=False, linalg="cross")
def linalg_cross(input, other, *, dim=-1):
    return _cross(input, other, dim)


_warned_cross = False


@export(method=True)
def cross(input, other, dim=None):
    global _warned_cross
    if dim is None:
        if not _warned_cross:
            _warned_cross = True
            _warn.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                       "Please either pass the dim explicitly or simply use "
                       "torch.linalg.cross.\nThe default value of dim will change to agree "
                       "with that of linalg.cross in a future release.", UserWarning)
        sizes = input._data.shape
        dim = next((i for i, s in enumerate(sizes) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    return _cross(input, other, dim)
