"""Index ops along one dim (index_select, index_add, index_copy, index_fill), flat-index ops
(take, put), take_along_dim and index_put.

The NumPy helpers (``np_index_select``, ...) do the forward and serve as the NumPy formula
namespace's functions of the same names.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE, LINEAR
from ..._size import format_shape, int_arg_error, is_int
from .._registry import dims, export
from .._util import Tensor, needs_grad, u64, wrap, wrap_dim
from .getitem import SelectBackward0 as _GetitemSelectBackward0
from .scatter import fmt, scalar_name, wrapped_dim
from .scatter import gather
from .._util import broadcast_error
from ...autograd._record import record1, record2, record_view
from ..shape.basic import broadcast_to
from ..shape.basic import view
from .setitem import index_put_impl


def _pre(dim: int) -> tuple:
    return (slice(None),) * dim


# -- NumPy kernels (also the NumPy formula namespace) --------------------------------------------
def np_index_select(x, dim, index):
    x, index = np.asarray(x), np.asarray(index).reshape(-1)
    if x.ndim == 0:
        return x.reshape(1)[index].reshape(())
    return np.take(x, index, axis=dim)


def _src_view(x: np.ndarray, src: np.ndarray) -> tuple:
    """x and src as arrays of equal rank (0-d ones as 1-d)."""
    x1 = x.reshape(1) if x.ndim == 0 else x
    s1 = src.reshape(-1) if src.ndim == 0 else src
    return x1, s1


def np_index_add(x, dim, index, src, alpha=1):
    x, src, index = np.asarray(x), np.asarray(src), np.asarray(index).reshape(-1)
    x1, s1 = _src_view(x, src)
    out = x1.copy()
    if alpha != 1:
        s1 = s1 * alpha
    np.add.at(out, _pre(dim) + (index,), s1.astype(out.dtype, copy=False))
    return out.reshape(x.shape)


def np_index_copy(x, dim, index, src):
    x, src, index = np.asarray(x), np.asarray(src), np.asarray(index).reshape(-1)
    x1, s1 = _src_view(x, src)
    out = x1.copy()
    out[_pre(dim) + (index,)] = s1
    return out.reshape(x.shape)


def np_index_fill(x, dim, index, value):
    x, index = np.asarray(x), np.asarray(index).reshape(-1)
    out = (x.reshape(1) if x.ndim == 0 else x).copy()
    out[_pre(dim) + (index,)] = value
    return out.reshape(x.shape)


def np_take(x, index):
    x, index = np.asarray(x), np.asarray(index)
    return x.reshape(-1)[index]


def np_put(x, index, src, accumulate=False):
    x = np.asarray(x)
    out = x.copy()
    flat = out.reshape(-1)
    index, src = np.asarray(index).reshape(-1), np.asarray(src).reshape(-1)
    if accumulate:
        np.add.at(flat, index, src.astype(x.dtype, copy=False))
    else:
        flat[index] = src
    return out


# -- index_select ---------------------------------------------------------------------------------
def _vector_index(index, name: str) -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    return index._data


class IndexSelectBackward0(Node):
    """d index_select(x, dim, index)/dx: the gradient index_add-ed into zeros of x's shape.
    ``dim``: as given."""
    jvp = LINEAR
    __slots__ = ("dim", "shape")
    saved_names = ("index",)
    saved_attrs = {"dim": lambda n: u64(n.dim), "self_sym_sizes": "shape"}

    def backward(self, ns, grad, index):
        return (ns.index_add(ns.zeros(self.shape, self._dtype), wrapped_dim(self.dim, self.shape),
                             index, grad),)


@export(method=True, vmap='index_select')
def index_select(input, dim, index):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _vector_index(index, "index_select")
    if idx.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
    if x.ndim == 0 and idx.size != 1:
        raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{idx.size} value(s)")
    size = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        raise IndexError("index out of range in self")
    out = np_index_select(x, d, idx)
    return record1(IndexSelectBackward0, input, out, index, dim=int(dim), shape=x.shape)


# -- index_add / index_copy -----------------------------------------------------------------------
def _slice_shape_check(x: np.ndarray, src: np.ndarray, d: int) -> bool:
    if x.ndim != src.ndim:
        return False
    return all(x.shape[k] == src.shape[k] for k in range(x.ndim) if k != d)


class IndexAddBackward0(Node):
    """index_add(x, dim, index, src, alpha): x's gradient passes through; src's is
    alpha * grad.index_select(dim, index) in source's shape (index and source are saved only
    for it, as in PyTorch). ``dim``: as given; source has x's number of dims."""
    jvp = LINEAR
    __slots__ = ("dim", "alpha")
    saved_names = ("index", "source")
    saved_attrs = {"dim": lambda n: u64(n.dim), "alpha": "alpha",
                   "source_dim": lambda n: len(n._shape)}

    def backward(self, ns, grad, index=None, source=None):
        gs = None
        if self.needs(1):
            gs = ns.reshape(ns.index_select(grad, wrapped_dim(self.dim, self._shape), index),
                            source.shape)
            if self.alpha != 1:
                gs = gs * self.alpha
        return (grad if self.needs(0) else None, gs)


@export(method=True, inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _vector_index(index, "index_add")
    if idx.ndim > 1:
        raise IndexError("index_add_(): Index is supposed to be a vector")
    if idx.dtype != np.int64 and idx.dtype != np.int32:
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{scalar_name(idx)}")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_add(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
    s = source._data
    if x.dtype != s.dtype:
        raise RuntimeError(f"index_add_(): self ({scalar_name(x)}) and source ({scalar_name(s)}) "
                           "must have the same scalar type")
    ssize = s.shape[d] if s.ndim else 1
    if idx.size != ssize:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim): ({ssize}), for dim: {d}")
    if not _slice_shape_check(x, s, d):
        raise RuntimeError("source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {fmt(x.shape)} source.shape = "
                           f"{fmt(s.shape)}")
    size = x.shape[d] if x.ndim else 1
    _dim_bounds(idx, size, d, RuntimeError)
    out = np_index_add(x, d, idx, s, alpha)
    # (nothing saved unless source wants a gradient: a second backward is allowed, as in PyTorch)
    return record2(IndexAddBackward0, input, source, out,
                   lambda n: (index, source) if n.needs(1) else None, dim=int(dim), alpha=alpha)


def _dim_bounds(idx: np.ndarray, size: int, d: int, exc, prefix: str = "") -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].reshape(-1)[0]
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")


class IndexCopyBackward0(Node):
    """index_copy(x, dim, index, src): x's gradient is zero in the copied slices; src's is
    grad.index_select(dim, index) in source's shape (source is saved only for it). ``dim``: as
    given."""
    jvp = LINEAR
    __slots__ = ("dim", "source_dim")
    saved_names = ("index", "source")
    saved_attrs = {"dim": lambda n: u64(n.dim), "source_dim": "source_dim"}

    def backward(self, ns, grad, index, source):
        d = wrapped_dim(self.dim, self._shape)
        return (ns.index_fill(grad, d, index, 0) if self.needs(0) else None,
                ns.reshape(ns.index_select(grad, d, index), source.shape)
                if self.needs(1) else None)


@export(method=True, inplace=True)
def index_copy(input, dim, index, source):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _vector_index(index, "index_copy")
    if idx.dtype != np.int64:
        raise RuntimeError(f"index_copy_(): Expected a long tensor for index, but got "
                           f"{scalar_name(idx)}")
    if idx.ndim > 1:
        raise IndexError("index_copy_(): Index should have dimension 1 or 0 (got "
                         f"{idx.ndim})")
    if not isinstance(source, Tensor):
        raise TypeError(f"index_copy(): argument 'source' (position 3) must be Tensor, not "
                        f"{type(source).__name__}")
    s = source._data
    if x.dtype != s.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, but "
                           f"got (self) {scalar_name(x)} and (source) {scalar_name(s)}")
    if x.ndim != s.ndim and x.ndim and s.ndim:
        raise IndexError("index_copy_(): When source and destination are not scalars, their "
                         f"dimensionality must match. Source dimensionality ({s.ndim}), "
                         f"destination dimensionality ({x.ndim})")
    x1, s1 = _src_view(x, s)
    if any(x1.shape[k] != s1.shape[k] for k in range(x1.ndim) if k != d):
        ds = " ".join(str(n) for k, n in enumerate(x1.shape) if k != d)
        ss = " ".join(str(n) for k, n in enumerate(s1.shape) if k != d)
        raise RuntimeError("index_copy_(): Source/destination tensor must have same slice shapes. "
                           f"Destination slice shape: {ds} at dimension {d} and source slice shape: "
                           f"{ss} at dimension 0.")
    if idx.size != s1.shape[d]:
        raise IndexError(f"index_copy_(): Number of indices ({idx.size}) should be equal to "
                         f"source.size(dim) ({s1.shape[d]})")
    _dim_bounds(idx, x1.shape[d], d, IndexError, "index_copy_(): ")
    out = np_index_copy(x, d, idx, s)
    return record2(IndexCopyBackward0, input, source, out,
                   lambda n: (index, source if n.needs(1) else None), dim=int(dim),
                   source_dim=s.ndim)


# -- index_fill -----------------------------------------------------------------------------------
class IndexFillBackward0(Node):
    """index_fill(x, dim, index, value): x's gradient is zero in the filled slices (``dim``: as
    given)."""
    jvp = ELEMENTWISE
    __slots__ = ("dim",)
    saved_names = ("index",)
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, index):
        return (ns.index_fill(grad, wrapped_dim(self.dim, self._shape), index, 0),)


class IndexFillBackward1(Node):
    """index_fill with a 0-d tensor value: x's gradient is zero in the filled slices; the value's
    is the sum of the gradient over those slices (each slice once)."""
    jvp = LINEAR
    __slots__ = ("dim", "unique")
    saved_names = ("index",)
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad, index):
        d = wrapped_dim(self.dim, self._shape)
        gx = ns.index_fill(grad, d, index, 0) if self.needs(0) else None
        gv = ns.index_select(grad, d, ns.const(self.unique)) if self.needs(1) else None
        return gx, gv


@export(method=True, inplace=True)
def index_fill(input, dim, index, value):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    idx = _vector_index(index, "index_fill")
    if idx.dtype != np.int64:
        raise IndexError("index_fill_(): Expected dtype int64 for index.")
    if idx.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        v = value._data.item()
    else:
        v = value
    size = x.shape[d] if x.ndim else 1
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx[(idx < -size) | (idx >= size)].reshape(-1)[0]
        raise IndexError(f"index {bad} is out of bounds for dimension {d} with size {size}")
    wrapped = np.where(idx < 0, idx + size, idx)
    out = np_index_fill(x, d, wrapped, v)
    if isinstance(value, Tensor):
        if not needs_grad(input, value):   # (the unique indices are for backward only)
            return wrap(out)
        return record2(IndexFillBackward1, input, value, out, index, dim=int(dim),
                       unique=np.unique(wrapped.reshape(-1)))
    return record1(IndexFillBackward0, input, out, index, dim=int(dim))


# -- take / put -----------------------------------------------------------------------------------
def _flat_bounds(idx: np.ndarray, n: int) -> np.ndarray:
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)].reshape(-1)[0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return np.where(idx < 0, idx + n, idx) if idx.size and idx.min() < 0 else idx


class TakeBackward0(Node):
    """d take(x, index)/dx: the gradient put (accumulating repeats) into zeros of x's shape."""
    jvp = LINEAR
    __slots__ = ()
    saved_names = ("index", "self")

    def backward(self, ns, grad, index, x):
        return (ns.put(ns.zeros_like(x), index, grad, True),)


@export(method=True)
def take(input, index):
    x = input._data
    idx = _vector_index(index, "take")
    if idx.dtype != np.int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got {scalar_name(idx)}")
    flat = _flat_bounds(idx, x.size)
    out = np_take(x, flat)
    return record1(TakeBackward0, input, out, (index, input))


class PutBackward0(Node):
    """put(x, index, src, accumulate): x's gradient passes through (accumulate) or is zero at
    index; src's is grad.take(index) in src's shape."""
    jvp = LINEAR
    __slots__ = ("accumulate",)
    saved_names = ("index", "source")
    saved_attrs = {"accumulate": "accumulate"}

    def backward(self, ns, grad, index, source):
        gx = gs = None
        if self.needs(0):
            gx = grad if self.accumulate else ns.put(grad, index, ns.zeros_like(source), False)
        if self.needs(1):
            gs = ns.reshape(ns.take(grad, index), source.shape)
        return gx, gs


@export(method=True, inplace=True)
def put(input, index, source, accumulate=False):
    x = input._data
    idx = _vector_index(index, "put")
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {scalar_name(idx)}")
    if not isinstance(source, Tensor):
        raise TypeError(f"put(): argument 'source' (position 2) must be Tensor, not "
                        f"{type(source).__name__}")
    s = source._data
    if x.dtype != s.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got "
                           f"self.dtype = {scalar_name(x)} and source.dtype = {scalar_name(s)}")
    if s.size != idx.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of "
                         f"elements, but got source.numel() = {s.size}, index.numel() = "
                         f"{idx.size}")
    flat = _flat_bounds(idx, x.size)
    out = np_put(x, flat, s, accumulate)
    return record2(PutBackward0, input, source, out, (index, source), accumulate=bool(accumulate))


# -- take_along_dim -------------------------------------------------------------------------------
@export(method=True, vmap='take_along_dim', composite=True)
def take_along_dim(input, indices, dim=None):
    idx = _vector_index(indices, "take_along_dim")
    if dim is None:
        return gather(view(input, -1), 0, view(indices, -1))
    x = input._data
    if x.ndim != idx.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same number "
                           f"of dimensions, but got {x.ndim} dimensions for input, and {idx.ndim} "
                           "dimensions for indices")
    if idx.dtype != np.int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{scalar_name(idx)}")
    d = wrap_dim(dim, x.ndim)
    sizes = list(x.shape)
    sizes[d] = idx.shape[d]
    ishape = _infer_size(sizes, idx.shape)
    isizes = list(idx.shape)
    isizes[d] = x.shape[d]
    xshape = _infer_size(isizes, x.shape)
    return gather(broadcast_to(input, xshape), d, broadcast_to(indices, ishape))


def _infer_size(a, b) -> tuple:
    try:
        return np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        raise broadcast_error(tuple(a), tuple(b)) from None


# -- select -------------------------------------------------------------------------------------
class SelectBackward0(_GetitemSelectBackward0):
    """select(dim, index): the gradient placed at ``index`` along ``dim`` in zeros of the
    input's shape. ``raw``: dim and index as given (PyTorch saves them unwrapped)."""
    jvp = LINEAR
    __slots__ = ("raw",)
    saved_attrs = {"dim": lambda n: u64(n.raw[0]), "index": lambda n: u64(n.raw[1]),
                   "self_sym_sizes": "shape"}


@export(method=True, vmap=dims('dim'))
def select(input, dim, index):
    """The view of ``input`` at ``index`` along ``dim`` (that dim removed)."""
    if isinstance(index, Tensor) and index._data.size == 1 and index._data.dtype.kind in "iu":
        index = int(index._data.reshape(()))   # (PyTorch's parser takes it through __index__)
    for name, v in (("dim", dim), ("index", index)):
        if not is_int(v):
            raise int_arg_error(v, f"select(): argument '{name}' must be int, not "
                                   f"{type(v).__name__}")
    x = input._data
    if x.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, x.ndim)
    n, i = x.shape[d], int(index)
    if i < -n or i >= n:
        raise IndexError(f"select(): index {i} out of range for tensor of size "
                         f"{format_shape(x.shape)} at dimension {d}")
    key = _pre(d) + (i, Ellipsis)
    out = x[key]
    return record_view(SelectBackward0, input, out, shape=x.shape, index=key, raw=(int(dim), i))


# -- index_put ------------------------------------------------------------------------------------
@export(method=True)
def index_put(input, indices, values, accumulate=False):
    return index_put_impl(input, indices, values, accumulate, inplace=False)


@export(torch="index_put_", method="index_put_")
def index_put_(input, indices, values, accumulate=False):
    return index_put_impl(input, indices, values, accumulate, inplace=True)


__all__ = ["select", "index_select", "index_add", "index_copy", "index_fill", "take", "put",
           "take_along_dim", "index_put", "index_put_"]
