"""gather, scatter, scatter_add and scatter_reduce: reading and writing along one dim at the
positions an index tensor gives (``out[i][index[i][j]] = src[i][j]`` for dim=1).

The NumPy helpers (``np_gather``, ``np_scatter``, ...) do the forward and serve as the NumPy
formula namespace's ``gather``/``scatter``/...; the Tensor namespace uses the ops themselves.
"""
from __future__ import annotations

import numpy as np

from ... import _warn
from ...autograd.node import Node, SavedOutput
from ...autograd.node import ELEMENTWISE, LINEAR
from .._registry import export
from .._util import Tensor, make_node, needs_grad, u64, wrap, wrap_dim
from ...autograd._record import not_implemented, record1, record2
from ... import _dtype as D
from ..._size import format_shape

_NAMES = D.SCALAR_NAMES  # the one table, in _dtype.py


def scalar_name(a: np.ndarray) -> str:
    """PyTorch's ScalarType name of an array's dtype (Float, Long, ...)."""
    return _NAMES[a.dtype.name]


fmt = format_shape  # the one shape formatter, in _size.py


# -- NumPy kernels (also the NumPy formula namespace) --------------------------------------------
_AXES: dict = {}   # (index shape, dim) -> the aranges of the other dims (read-only, reused)


def _axes(shape: tuple, dim: int) -> tuple:
    """For each dim of ``shape`` but ``dim``, ``arange(shape[d])`` shaped to broadcast along it
    (None at ``dim``): built once per (shape, dim), ~1 us a call saved on the small-op path."""
    key = (shape, dim)
    axes = _AXES.get(key)
    if axes is None:
        n = len(shape)
        out = []
        for d in range(n):
            if d == dim:
                out.append(None)
            else:
                s = [1] * n
                s[d] = shape[d]
                a = np.arange(shape[d]).reshape(s)
                a.flags.writeable = False
                out.append(a)
        if len(_AXES) >= 256:
            _AXES.clear()
        axes = _AXES[key] = tuple(out)
    return axes


def _grid(index: np.ndarray, dim: int) -> tuple:
    """The full index tuple that addresses ``a[i0, .., index[i], .., in]`` for every position of
    ``index`` (``index`` sits at ``dim``, the other dims count through index's own shape)."""
    axes = _axes(index.shape, dim)
    return axes[:dim] + (index,) + axes[dim + 1:]


def _src_part(src: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The leading corner of ``src`` that has index's shape (src may be larger)."""
    if src.shape == index.shape:
        return src
    return src[tuple(slice(0, k) for k in index.shape)]


def _as1d(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a


def np_gather(x, dim, index):
    x, index = np.asarray(x), np.asarray(index)
    if index.ndim and x.ndim:
        return x[_grid(index, dim)]
    return np.asarray(_as1d(x)[_grid(_as1d(index), dim)]).reshape(index.shape)


def np_scatter(x, dim, index, src, reduce=None):
    """``x`` with ``src`` (an array or a scalar) written (or added/multiplied) at index."""
    x, index = np.asarray(x), np.asarray(index)
    out = _as1d(x).copy()
    i1 = _as1d(index)
    g = _grid(i1, dim)
    s = _src_part(_as1d(np.asarray(src)), i1) if isinstance(src, np.ndarray) else src
    if reduce is None:
        out[g] = s
    elif reduce == "add":
        np.add.at(out, g, s)
    else:
        np.multiply.at(out, g, s)
    return out.reshape(x.shape)


def np_scatter_add(x, dim, index, src):
    return np_scatter(x, dim, index, np.asarray(src), "add")


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1}


def np_scatter_reduce(x, dim, index, src, reduce, include_self=True):
    x, index, src = np.asarray(x), np.asarray(index), np.asarray(src)
    out = _as1d(x).copy()
    i1 = _as1d(index)
    g = _grid(i1, dim)
    s = _src_part(_as1d(src), i1)
    if not include_self:
        if reduce in _IDENTITY:
            out[g] = _IDENTITY[reduce]
        elif out.dtype.kind == "f":
            out[g] = -np.inf if reduce == "amax" else np.inf
        else:
            info = np.iinfo(out.dtype) if out.dtype.kind in "iu" else None
            out[g] = (info.min if reduce == "amax" else info.max) if info else \
                (reduce == "amin")
    if reduce in ("sum", "mean"):
        np.add.at(out, g, s)
    elif reduce == "prod":
        np.multiply.at(out, g, s)
    elif reduce == "amax":
        np.maximum.at(out, g, s)
    else:
        np.minimum.at(out, g, s)
    if reduce == "mean":
        n = np.full(out.shape, 1 if include_self else 0, dtype=np.int64)
        np.add.at(n, g, 1)
        n[n == 0] = 1
        if out.dtype.kind == "f":
            out = out / n.astype(out.dtype)
        else:
            out = np.floor_divide(out, n).astype(out.dtype)
    return out.reshape(x.shape)


def scatter_counts(shape, dim, index, include_self: bool) -> np.ndarray:
    """How many values scatter_reduce combined at each position (at least 1)."""
    n = np.full(shape, 1 if include_self else 0, dtype=np.int64)
    n1 = _as1d(n)
    np.add.at(n1, _grid(_as1d(index), dim), 1)
    n1[n1 == 0] = 1
    return n1.reshape(shape)


# -- checks ---------------------------------------------------------------------------------------
def _index_data(index, name: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    a = index._data
    if a.dtype != np.int64 and a.dtype != np.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    return a


_UNSIGNED = {8: np.uint64, 4: np.uint32}   # int64 / int32 index (_index_data) seen unsigned


def _bounds(index: np.ndarray, size: int, dim: int, prefix: str = "") -> None:
    # one reduction instead of min() and max(): seen as unsigned, a negative index is larger
    # than any size
    if index.size and np.maximum.reduce(index.view(_UNSIGNED[index.itemsize]), axis=None) >= size:
        bad = index[(index < 0) | (index >= size)].reshape(-1)[0]
        raise RuntimeError(f"{prefix}index {bad} is out of bounds for dimension {dim} with size "
                           f"{size}")


def _gather_checks(x: np.ndarray, dim: int, index: np.ndarray) -> None:
    if max(index.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    xs, ishape = _as1d(x).shape, _as1d(index).shape
    if index.size:
        for d in range(len(xs)):
            if d != dim and ishape[d] > xs[d]:
                raise RuntimeError(f"Size does not match at dimension {d} expected index "
                                   f"{fmt(index.shape)} to be no larger than self {fmt(x.shape)} "
                                   f"apart from dimension {dim}")
    _bounds(index, xs[dim], dim)


def _scatter_checks(x: np.ndarray, dim: int, index: np.ndarray, src) -> None:
    if max(index.ndim, 1) != max(x.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if src is not None and max(src.ndim, 1) != max(index.ndim, 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
    xs, ishape = _as1d(x).shape, _as1d(index).shape
    if index.size:
        bad = any(d != dim and ishape[d] > xs[d] for d in range(len(xs)))
        if src is not None:
            ss = _as1d(src).shape
            bad = bad or any(ishape[d] > ss[d] for d in range(len(xs)))
            if bad:
                raise RuntimeError(f"Expected index {fmt(index.shape)} to be no larger than self "
                                   f"{fmt(x.shape)} apart from dimension {dim} and to be no larger "
                                   f"size than src {fmt(src.shape)}")
        elif bad:
            raise RuntimeError(f"Expected index {fmt(index.shape)} to be no larger than self "
                               f"{fmt(x.shape)} apart from dimension {dim}")
    _bounds(index, xs[dim], dim)


def _same_dtype(x: np.ndarray, src: np.ndarray) -> None:
    if x.dtype != src.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")


def _index_long(index: np.ndarray) -> np.ndarray:
    return index if index.dtype == np.int64 else index.astype(np.int64)


def wrapped_dim(dim: int, shape) -> int:
    """A dim as given (what PyTorch's nodes save) wrapped for ``shape`` (0-d counts as 1-d)."""
    return dim % len(shape) if len(shape) else 0


# -- gather ---------------------------------------------------------------------------------------
class GatherBackward0(Node):
    """d gather(x, dim, index)/dx: the gradient scatter-added back at index (repeats add up).
    ``dim``: as given."""
    jvp = LINEAR
    __slots__ = ("dim", "sparse_grad")
    saved_names = ("index", "self")
    saved_attrs = {"dim": lambda n: u64(n.dim), "sparse_grad": "sparse_grad"}

    def backward(self, ns, grad, index, x):
        if ns.INPLACE and index.ndim and x.ndim:   # NumPy: added at index into fresh zeros
            out = np.zeros(x.shape, x.dtype)
            np.add.at(out, _grid(index, self.dim % x.ndim), grad)
            return (out,)
        return (ns.scatter_add(ns.zeros_like(x), wrapped_dim(self.dim, x.shape), index, grad),)


@export(method=True, vmap='gather')
def gather(input, dim, index, *, sparse_grad=False):
    x = input._data
    nd = x.ndim
    d = dim % nd if type(dim) is int and -nd <= dim < nd else wrap_dim(dim, nd)
    idx = _index_data(index, "gather")
    if idx.ndim == nd and nd == 2 and idx.size and \
            idx.shape[1 - d] <= x.shape[1 - d]:     # the common case's checks, inline
        _bounds(idx, x.shape[d], d)
        out = x[_grid(idx, d)]
    else:
        _gather_checks(x, d, idx)
        out = np_gather(x, d, idx)
    res = record1(GatherBackward0, input, out, (index, input))
    node = res._grad_fn
    if node is not None:            # (not record1's **attrs: no keyword dict per call)
        node.dim = int(dim)
        node.sparse_grad = bool(sparse_grad)
    return res


# -- scatter --------------------------------------------------------------------------------------
class ScatterBackward0(Node):
    """scatter(x, dim, index, src): x's gradient is zero where src was written; src's is the
    gradient gathered at index. ``dim``: as given."""
    jvp = LINEAR
    __slots__ = ("dim",)
    saved_names = ("index",)
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, index):
        d = wrapped_dim(self.dim, self._shape)
        return (ns.scatter(grad, d, index, 0) if self.needs(0) else None,
                ns.gather(grad, d, index) if self.needs(1) else None)


class ScatterBackward1(Node):
    """scatter(x, dim, index, value): x's gradient is zero where the value was written."""
    jvp = ELEMENTWISE
    __slots__ = ("dim",)
    saved_names = ("index",)
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, index):
        return (ns.scatter(grad, wrapped_dim(self.dim, self._shape), index, 0),)


_warned_reduce = False


def _scatter_impl(input, dim, index, src, value, reduce):
    global _warned_reduce
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_data(index, "scatter")
    if src is not None:
        if not isinstance(src, Tensor):
            raise TypeError(f"scatter(): argument 'src' (position 3) must be Tensor, not "
                            f"{type(src).__name__}")
        _same_dtype(x, src._data)
    _scatter_checks(x, d, idx, None if src is None else src._data)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        if src is not None and not _warned_reduce:
            _warned_reduce = True
            _warn.warn("The reduce argument of torch.scatter with Tensor src is deprecated and "
                       "will be removed in a future PyTorch release. Use torch.scatter_reduce "
                       "instead for more reduction options.", UserWarning)
    s = src._data if src is not None else _scalar(value)
    out = np_scatter(x, d, idx, s, reduce)
    if reduce is not None:
        # PyTorch has no derivative for scatter with reduce=: its node raises at backward.
        if needs_grad(input, src):
            return wrap(out, not_implemented("scatter", (input, index, src), out))
        return wrap(out)
    if src is not None:
        return record2(ScatterBackward0, input, src, out, index, dim=int(dim))
    return record1(ScatterBackward1, input, out, index, dim=int(dim))


def _scalar(value):
    if isinstance(value, Tensor):
        return value._data.reshape(()).item()
    if isinstance(value, np.generic):
        return value.item()
    if not isinstance(value, (int, float, bool)):
        raise TypeError(f"scatter(): argument 'value' must be Number, not {type(value).__name__}")
    return value


@export(method=True, inplace=True)
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    if src is None and value is None:
        raise TypeError("scatter() missing required argument 'src' or 'value'")
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    return _scatter_impl(input, dim, index, src, value, reduce)


class ScatterAddBackward0(Node):
    """scatter_add(x, dim, index, src): x's gradient passes through; src's is gathered at index."""
    jvp = LINEAR
    __slots__ = ("dim",)
    saved_names = ("index",)
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, index):
        return (grad if self.needs(0) else None,
                ns.gather(grad, wrapped_dim(self.dim, self._shape), index)
                if self.needs(1) else None)


@export(method=True, inplace=True)
def scatter_add(input, dim, index, src):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_data(index, "scatter_add")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    _same_dtype(x, src._data)
    _scatter_checks(x, d, idx, src._data)
    out = np_scatter_add(x, d, idx, src._data)
    return record2(ScatterAddBackward0, input, src, out, index, dim=int(dim))


# -- scatter_reduce -------------------------------------------------------------------------------
class ScatterReduceBackward0(Node):
    """scatter_reduce: sum passes the gradient through (src: gathered); mean divides it by the
    count at each position; prod multiplies by the product of the others (zeros handled
    exactly); amax/amin share it evenly among the values equal to the result."""
    __slots__ = ("dim", "reduce", "include_self", "count", "keep", "self_hit", "src_hit")
    saved_names = ("index", "self", "src", "result")
    saved_attrs = {"dim": lambda n: u64(n.dim), "reduce": "reduce", "include_self": "include_self"}

    def backward(self, ns, grad, index, x, src, result):
        dim, red = wrapped_dim(self.dim, self._shape), self.reduce
        gx = gs = None
        if red == "sum":
            gx = grad
            gs = ns.gather(grad, dim, index)
        elif red == "mean":
            n = ns.const(self.count)
            gx = grad / n
            gs = ns.gather(grad / n, dim, index)
        elif red in ("amax", "amin"):
            dist = grad / ns.const(self.count)
            gx = dist * ns.const(self.self_hit)
            gs = ns.gather(dist, dim, index) * ns.const(self.src_hit)
        else:  # prod
            if self.needs(0):
                mx = ns.masked_fill(x, x == 0, 1)
                gx = grad * ns.scatter_reduce(mx, dim, index, src, "prod", self.include_self) / mx
            if self.needs(1):
                single = ns.const(self.src_hit)   # src entries that are the only zero at their spot
                mres = ns.scatter_reduce(x, dim, index, ns.masked_fill(src, single, 1), "prod",
                                         self.include_self)
                gs = ns.where(single, ns.gather(grad * mres, dim, index),
                              ns.gather(grad * result, dim, index) / ns.masked_fill(src, src == 0, 1))
        if gx is not None and not self.include_self:
            if ns.INPLACE:
                gx = gx * ns.const(self.keep)
            else:  # PyTorch's grad_self.scatter(dim, index, 0): ScatterBackward1
                gx = ns.scatter(gx, dim, index, 0.0)
        return (gx if self.needs(0) else None, gs if self.needs(1) else None)

    def jvp(self, ns, tangents, index, x, src, result):
        """JVP: each element of self and of src reaches one element of the result, so the
        tangent is d result/d self * t_self plus d result/d src * t_src scattered-added to
        where src goes; the partials are the backward's at a gradient of ones (sum, mean:
        1 or 1/count; amax/amin: 1/count at the values equal to the result; prod: the product
        of the others). amax/amin without self: self's values equal to the result by chance
        do not count among the ties where src was scattered (the backward counts them, both
        as in PyTorch)."""
        tx, ts = tangents
        dim = wrapped_dim(self.dim, self._shape)
        if self.reduce in ("amax", "amin") and not self.include_self:
            hit = self.self_hit & self.keep
            with np.errstate(divide="ignore", invalid="ignore"):
                share = 1 / (self.count - (self.self_hit & ~self.keep))
            jx, js = share * hit, ns.gather(share, dim, index) * self.src_hit
        else:
            jx, js = self.backward(ns, np.ones_like(result), index, x, src, result)
        out = 0.0 if tx is None else jx * tx
        if ts is not None:
            part = ts[tuple(slice(0, n) for n in index.shape)] if ts.ndim else ts
            out = out + ns.scatter_add(ns.zeros_like(result), dim, index, js * part)
        return out


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@export(method=True, inplace=True)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _index_data(index, "scatter_reduce")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    if reduce not in _REDUCTIONS:
        raise RuntimeError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    s = src._data
    _same_dtype(x, s)
    _scatter_checks(x, d, idx, s)
    with np.errstate(invalid="ignore"):
        out = np_scatter_reduce(x, d, idx, s, reduce, include_self)
    if not needs_grad(input, src):
        return wrap(out)
    node = make_node(ScatterReduceBackward0, (input, src), out)
    node.dim, node.reduce, node.include_self = int(dim), reduce, bool(include_self)
    node.count = node.keep = node.self_hit = node.src_hit = None
    i1 = _index_long(idx)
    sc = _src_part(_as1d(s), _as1d(i1)).reshape(i1.shape)   # the part of src that is used
    if not include_self:
        node.keep = np_scatter(np.ones(x.shape, bool), d, i1, False)
    if reduce == "mean":
        node.count = scatter_counts(x.shape, d, i1, include_self).astype(x.dtype)
    elif reduce in ("amax", "amin"):
        self_hit, src_hit = x == out, sc == np_gather(out, d, i1)
        node.self_hit, node.src_hit = self_hit, src_hit
        node.count = np_scatter_add(self_hit.astype(x.dtype), d, i1, src_hit.astype(x.dtype))
    elif reduce == "prod":
        zero = sc == 0
        nz = np_gather(np_scatter_add(np.zeros(x.shape, np.int64), d, i1, zero.astype(np.int64)),
                       d, i1)
        node.src_hit = zero & (nz == 1)
    t = wrap(out, node)
    node.save(index, input, src, SavedOutput(t))
    return t


__all__ = ["gather", "scatter", "scatter_add", "scatter_reduce"]
