"""Views and storage: ``as_strided`` (AsStridedBackward0), ``stride``/``storage_offset``/``data_ptr``,
the geometry that in-place ops on views use to route gradients (ops/inplace.py), and
``from_dlpack``.

PyTorch's *storage* is, here, the memory of the NumPy array at the end of a tensor's ``.base``
chain: a view's ``storage_offset`` and ``stride`` are its position and steps in that memory,
counted in elements. Every view of one root lies in the same memory, so a view's elements map to
positions of its root (``view_positions``); that map is what the gradient of an in-place change
through a view, and of ``as_strided``, needs.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, wrap, wrap_dim
from ...autograd._record import record_view
from ..._interop import from_dlpack as _from_dlpack


# -- storage geometry ---------------------------------------------------------------------------
def _ptr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _owner(a: np.ndarray) -> np.ndarray:
    """The NumPy array whose memory ``a`` lives in (the end of its ``.base`` chain; stride-trick
    arrays keep theirs one attribute further)."""
    top, b = a, a.base
    while b is not None:
        if isinstance(b, np.ndarray):
            top = b
        b = getattr(b, "base", None)
    return top


def _extent(a: np.ndarray) -> tuple:
    """(lowest, one past the highest) byte address of the elements of ``a``."""
    lo = hi = _ptr(a)
    if a.size == 0:
        return lo, hi
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


def storage(a: np.ndarray) -> tuple:
    """(owner array, start address, size in elements of ``a``'s itemsize) of ``a``'s storage."""
    top = _owner(a)
    lo, hi = _extent(top)
    return top, lo, (hi - lo) // a.itemsize


def geometry(a: np.ndarray, start: int) -> tuple:
    """(shape, strides, offset) of ``a`` in elements, relative to storage address ``start``."""
    isz = a.itemsize
    return a.shape, tuple(s // isz for s in a.strides), (_ptr(a) - start) // isz


def positions(shape, strides, offset) -> np.ndarray:
    """The storage position of every element of a (shape, strides, offset) geometry."""
    idx = np.asarray(offset, dtype=np.int64)
    for n, s in zip(shape, strides):
        idx = np.add.outer(idx, np.arange(n, dtype=np.int64) * s)
    return idx


def view_positions(root: np.ndarray, view: np.ndarray) -> np.ndarray:
    """For each element of ``view`` (an array sharing ``root``'s storage), the flat C-order index
    of the element of ``root`` it is."""
    if root.flags.c_contiguous:   # positions counted from root's first element: no storage walk
        isz = root.itemsize
        off = (_ptr(view) - _ptr(root)) // isz
        if view.ndim == 1 and view.strides[0]:   # (a row: x[i].mul_(2) in a loop)
            step = view.strides[0] // isz
            return np.arange(off, off + view.shape[0] * step, step, dtype=np.int64)
        return positions(view.shape, tuple(s // isz for s in view.strides), off)
    _, start, _ = storage(root)
    r_shape, r_strides, r_off = geometry(root, start)
    v_idx = positions(*geometry(view, start))
    if root.flags.c_contiguous:
        return v_idx - r_off
    r_idx = positions(r_shape, r_strides, r_off)
    inv = np.full(int(max(r_idx.max(initial=0), v_idx.max(initial=0))) + 1, -1, dtype=np.int64)
    inv[r_idx.ravel()] = np.arange(root.size, dtype=np.int64)
    return inv[v_idx]


def _storage_array(top: np.ndarray, start: int, size: int, dtype) -> np.ndarray:
    """A 1-D array over the whole storage (``size`` elements of ``dtype`` from ``start``)."""
    if (top.flags.c_contiguous or top.flags.f_contiguous) and _ptr(top) == start:
        return np.ndarray((size,), dtype=dtype, buffer=top)
    return np.asarray(_Memory(start, size, dtype, top))


def writable_alias(a: np.ndarray):
    """A writeable array over the same elements as ``a`` (read-only because NumPy marks expanded
    arrays so), or None when the memory itself is read-only."""
    top, start, size = storage(a)
    if not top.flags.writeable:
        return None
    off = geometry(a, start)[2]
    flat = _storage_array(top, start, size, a.dtype)
    return np.lib.stride_tricks.as_strided(flat[off:], a.shape, a.strides, writeable=True)


class _Memory:
    """Exposes raw storage to NumPy; ``base`` keeps the owner alive (and ``_owner`` walks it)."""

    __slots__ = ("__array_interface__", "base")

    def __init__(self, start, size, dtype, top):
        self.__array_interface__ = {"data": (start, not top.flags.writeable), "shape": (size,),
                                    "typestr": np.dtype(dtype).str, "version": 3}
        self.base = top


# -- stride(), storage_offset(), data_ptr() -----------------------------------------------------
def torch_strides(a: np.ndarray) -> tuple:
    """``a``'s strides in elements, as PyTorch reports them: NumPy gives size-1 dims made by
    indexing with None a zero stride and empty arrays zero strides; PyTorch gives a size-1 dim
    the extent of the dims after it, and an empty tensor contiguous strides."""
    shape = a.shape
    if a.size == 0:
        out, acc = [], 1
        for n in reversed(shape):
            out.append(acc)
            acc *= max(n, 1)
        return tuple(reversed(out))
    st = [s // a.itemsize for s in a.strides]
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] == 1 and st[d] == 0:
            st[d] = shape[d + 1] * st[d + 1] if d + 1 < len(shape) else 1
    return tuple(st)


def _dense(shape, strides) -> bool:
    """PyTorch's is_non_overlapping_and_dense: some order of the dims is row-major."""
    acc = 1
    for s, n in sorted((s, n) for n, s in zip(shape, strides) if n != 1):
        if s != acc:
            return False
        acc *= n
    return True


def partial_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """PyTorch's get_overlap_status(a, b) == PARTIAL: two dense arrays whose memory overlaps
    without being the very same elements in the same order."""
    if a.size == 0 or b.size == 0 or not np.may_share_memory(a, b):
        return False
    sa, sb = torch_strides(a), torch_strides(b)
    if not _dense(a.shape, sa) or not _dense(b.shape, sb):
        return False  # PyTorch: too hard to tell, allowed
    a0, b0 = _ptr(a), _ptr(b)
    a1, b1 = a0 + a.size * a.itemsize, b0 + b.size * b.itemsize
    if a0 == b0 and a1 == b1:
        return sa != sb
    return a0 < b1 and b0 < a1


@export(torch=False, method=True)
def stride(input, dim=None):
    """Steps between neighbouring elements of each dim, in elements (PyTorch's ``stride``)."""
    x = input._data
    st = torch_strides(x)
    if dim is None:
        return st
    return st[wrap_dim(dim, x.ndim)]


@export(torch=False, method=True)
def storage_offset(input) -> int:
    """Position of the first element in the storage, in elements."""
    x = input._data
    _, start, _ = storage(x)
    return (_ptr(x) - start) // x.itemsize


@export(torch=False, method=True)
def data_ptr(input) -> int:
    """Address of the first element (the NumPy array's data pointer)."""
    return _ptr(input._data)


# -- as_strided ---------------------------------------------------------------------------------
class AsStridedBackward0(Node):
    """as_strided reads storage positions: the gradient of an input element is the sum of the
    output gradients at its storage position, shared out evenly when several input elements
    sit at one position (an expanded input), as PyTorch's as_strided_backward does.

    Also the grad_fn a view gets when its storage was changed in place (ops/inplace.py)."""
    __slots__ = ("in_geom", "out_geom", "size", "stride", "storage_offset")

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's as_strided_backward, op for op
            return (_as_strided_backward_graph(grad, self.in_geom, self.out_geom),)
        in_shape, in_strides, in_off = self.in_geom
        out_idx = positions(*self.out_geom)
        n_in = int(np.prod(in_shape, dtype=np.int64))
        dense = _is_contiguous(in_shape, in_strides)
        if dense:
            span = max(in_off + n_in, int(out_idx.max(initial=-1)) + 1)
        else:
            in_idx = positions(*self.in_geom)
            span = int(max(in_idx.max(initial=-1), out_idx.max(initial=-1))) + 1
        buf = ns.index_acc((span,), (out_idx,), grad)
        if dense:
            return (ns.reshape(buf[in_off:in_off + n_in], in_shape),)
        g = buf[in_idx]
        counts = np.bincount(in_idx.ravel(), minlength=span)
        if counts.max(initial=0) > 1:  # input elements sharing a position share its gradient
            g = g / np.asarray(counts[in_idx], dtype=getattr(grad, "_data", grad).dtype)
        return (g,)

    @property
    def _saved_size(self):
        return self.size

    @property
    def _saved_stride(self):
        return self.stride

    @property
    def _saved_storage_offset(self):
        return self.storage_offset


def _maybe_overlapping(sizes, strides) -> bool:
    """PyTorch's _maybe_overlapping_memory: some element may be reached twice (dims taken by
    increasing stride, each stride must pass the span of the smaller ones)."""
    span = 0
    for i in sorted(range(len(sizes)), key=lambda i: strides[i]):
        if strides[i] <= span:
            return True
        span += strides[i] * (sizes[i] - 1)
    return False


def _min_storage(sizes, strides, offset) -> int:
    if 0 in sizes:
        return offset
    return offset + 1 + sum((n - 1) * s for n, s in zip(sizes, strides))


def _as_strided_backward_graph(grad, in_geom, out_geom):
    """The create_graph gradient of as_strided, recorded as PyTorch's as_strided_backward
    records it: the output's size-1 dims squeezed and stride-0 dims summed, the gradient written
    into a zero storage through an as_strided view of it (copy_: CopySlices; index_add_ where the
    output overlaps itself), divided by the number of input elements sharing a position (where
    the input overlaps), and read back through the input's geometry (AsStridedBackward0)."""
    in_shape, in_strides, in_off = in_geom
    size, stride, off = out_geom
    dtype = grad._data.dtype
    if 0 in size or 0 in in_shape:
        return wrap(np.zeros(in_shape, dtype))
    out_sizes, out_strides = [], []
    for i in range(len(size) - 1, -1, -1):
        if size[i] == 1:
            grad = grad.squeeze(i)
        elif stride[i] == 0:
            grad = grad.sum(i, False)
        else:
            out_sizes.insert(0, size[i])
            out_strides.insert(0, stride[i])
    inp = [(n, s) for n, s in zip(in_shape, in_strides) if n != 1]
    inp_sizes, inp_strides = [n for n, _ in inp], [s for _, s in inp]
    out_overlap = _maybe_overlapping(out_sizes, out_strides)
    inp_overlap = _maybe_overlapping(inp_sizes, inp_strides)
    shared = min(in_off, off)
    in_eff, out_eff = in_off - shared, off - shared
    base = max(_min_storage(inp_sizes, inp_strides, in_eff),
               _min_storage(out_sizes, out_strides, out_eff))
    buf = wrap(np.zeros(base, dtype))
    full = wrap(np.arange(base, dtype=np.int64)) if out_overlap or inp_overlap else None
    if out_overlap:
        idx = as_strided(full, out_sizes, out_strides, out_eff).reshape(-1)
        buf.index_add_(0, idx, grad.reshape(-1))
    else:
        as_strided(buf, out_sizes, out_strides, out_eff).copy_(grad)
    if inp_overlap:
        count = wrap(np.zeros(base, dtype))
        idx = as_strided(full, inp_sizes, inp_strides, in_eff).reshape(-1)
        count.index_add_(0, idx, wrap(np.ones(1, dtype)).expand_as(idx))
        buf.div_(count)
    return as_strided(buf, in_shape, in_strides, in_eff)


def _is_contiguous(shape, strides) -> bool:
    """Row-major and dense (size-1 dims may have any stride)."""
    acc = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1 and s != acc:
            return False
        acc *= n
    return True


def _ints(seq, what: str) -> tuple:
    if isinstance(seq, Tensor) or not isinstance(seq, (tuple, list)):
        seq = (seq,) if isinstance(seq, (int, np.integer)) else seq
    try:
        return tuple(int(v) for v in seq)
    except TypeError:
        raise TypeError(f"as_strided(): argument '{what}' must be tuple of ints, but found element "
                        f"of type {type(seq).__name__}") from None


@export(method=True)
def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given sizes, strides and offset (in elements)."""
    size, strides = _ints(size, "size"), _ints(stride, "stride")
    if len(size) != len(strides):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in strides):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(strides)}")
    if any(n < 0 for n in size):
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(strides)}")
    x = input._data
    top, start, n_storage = storage(x)
    isz = x.itemsize
    cur = (_ptr(x) - start) // isz
    off = cur if storage_offset is None else int(storage_offset)
    need = 0 if 0 in size else off + 1 + sum((n - 1) * s for n, s in zip(size, strides))
    if need > n_storage or off < 0:
        raise RuntimeError(
            f"setStorage: sizes {list(size)}, strides {list(strides)}, storage offset {off}, and "
            f"itemsize {isz} requiring a storage size of {need * isz} are out of bounds for "
            f"storage of size {n_storage * isz}")
    flat = _storage_array(top, start, n_storage, x.dtype)
    out = np.lib.stride_tricks.as_strided(flat[off:] if n_storage else flat, size,
                                          tuple(s * isz for s in strides),
                                          writeable=bool(x.flags.writeable))
    return record_view(AsStridedBackward0, input, out, in_geom=geometry(x, start),
                       out_geom=(size, strides, off), size=size, stride=strides,
                       storage_offset=storage_offset)


def regenerated_view_node(view: Tensor, root: Tensor, edge) -> AsStridedBackward0:
    """The grad_fn of ``view`` after its storage was changed in place: as_strided of the root
    (PyTorch regenerates it the same way)."""
    v, r = view._data, root._data
    _, start, _ = storage(r)
    node = AsStridedBackward0((edge,), v.shape, v.dtype)
    node.in_geom = geometry(r, start)
    node.out_geom = geometry(v, start)
    node.size, node.stride, node.storage_offset = v.shape, torch_strides(v), node.out_geom[2]
    return node


class _InvalidViewGradFn(Node):
    """The grad_fn of a view that may not see an in-place change of its storage (a view made in
    no_grad mode, or one of several views returned by one function). PyTorch raises as soon as
    such a view's grad_fn is read; here the error comes when a backward pass reaches it."""
    __slots__ = ("message", "orig")

    def apply(self, ns, grads, as_tensors):
        raise RuntimeError(self.message)


# -- DLPack -------------------------------------------------------------------------------------
@export()
def from_dlpack(ext_tensor, *, device=None, copy=None):
    """A tensor sharing memory with any object that has ``__dlpack__`` (a NumPy array, a torch
    tensor, a retrograd tensor), or with a DLPack capsule."""
    return _from_dlpack(ext_tensor, device=device, copy=copy)
