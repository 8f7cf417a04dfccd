"""View ops beyond shape.py: unflatten, split/chunk/tensor_split (and h/v/dsplit), narrow,
movedim, diagonal, broadcast_tensors/broadcast_shapes, atleast_Nd and meshgrid.

Every result here shares storage (and the version counter) with its input, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ... import _warn
from ..._size import Size, int_arg_error, is_int
from ...autograd.node import Node
from .._argparse import invalid_args, seq_element_error
from .._registry import dims, export
from .._util import (Tensor, broadcast_error, make_node, needs_grad1, u64, wrap_dim,
                    wrap_view)
from ...autograd._record import record_view
from .basic import _fmt, expand, permute, reshape, unsqueeze, view
from ..indexing.scatter import scalar_name
from ..._tensor_str import format_tensor
from ..indexing.getitem import slice_view
from ..indexing.getitem import getitem


def _int(v) -> int:
    return int(v.item()) if isinstance(v, Tensor) else int(v)


# -- unflatten ------------------------------------------------------------------------------------
@export(method=True, vmap=dims('dim'))
def unflatten(input, dim, sizes):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    sizes = tuple(int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    n = x.shape[d] if x.ndim else 1
    known = [s for s in sizes if s != -1]
    prod = int(np.prod(known, dtype=np.int64)) if known else 1
    infer = sizes.count(-1)
    if infer > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    if (infer and (prod == 0 or n % prod)) or (not infer and prod != n):
        raise RuntimeError(f"unflatten: Provided sizes {_fmt(sizes)} don't multiply up to the size "
                           f"of dim {d} ({n}) in the input tensor")
    return view(input, x.shape[:d] + sizes + x.shape[d + 1:])


# -- split / chunk --------------------------------------------------------------------------------
class _PieceShapes(Size):
    """The shapes of a multi-output node's outputs (the first one as the tuple's value). The
    engine checks an incoming gradient's shape against ``node._shape``: for split pieces of
    unequal sizes, any of the pieces' shapes is a right one."""

    def __new__(cls, shapes):
        self = super().__new__(cls, shapes[0])
        self.shapes = frozenset(tuple(s) for s in shapes)
        self.pieces = tuple(Size(s) for s in shapes)   # by output number (broadcast gradients)
        return self

    def __eq__(self, other):
        return tuple(other) in self.shapes

    def __ne__(self, other):
        return tuple(other) not in self.shapes

    __hash__ = tuple.__hash__


class SplitBackward0(Node):
    """split: the pieces' gradients concatenated back along dim (zeros for pieces without one).
    ``dim``: as given (concatenating at it undoes the split, negative or not); ``sizes``: the
    split_size (an int) or split_sizes (a list) as given."""
    __slots__ = ("dim", "sizes", "num_outputs", "piece_shapes")
    saved_attrs = {"dim": lambda n: u64(n.dim), "self_sym_sizes": Node.input_shape,
                   "split_size": "sizes"}

    def apply(self, ns, grads, as_tensors):
        filled = [g if g is not None else ns.zeros(s, self._dtype)
                  for g, s in zip(grads, self.piece_shapes)]
        return (ns.cat(filled, self.dim),)


class SplitWithSizesBackward0(SplitBackward0):
    __slots__ = ()
    saved_attrs = {"dim": lambda n: u64(n.dim), "self_sym_sizes": Node.input_shape,
                   "split_sizes": lambda n: tuple(n.sizes)}


def _split_pieces(input, cls, d: int, sizes, dim, saved_sizes) -> tuple:
    x = input._data
    pieces, start = [], 0
    pre = (slice(None),) * d
    for n in sizes:
        pieces.append(x[pre + (slice(start, start + n),)])
        start += n
    if not needs_grad1(input) or not pieces:
        return tuple(wrap_view(p, None, input) for p in pieces)
    node = make_node(cls, (input,), pieces[0])
    node.dim, node.sizes, node.num_outputs = int(dim), saved_sizes, len(pieces)
    node.piece_shapes = [p.shape for p in pieces]
    if len({p.shape for p in pieces}) > 1:  # the engine checks gradients against node._shape
        node._shape = _PieceShapes([p.shape for p in pieces])
    outs = []
    for i, p in enumerate(pieces):
        t = wrap_view(p, node, input)
        t._x.out_nr = i
        outs.append(t)
    return tuple(outs)


@export(vmap=dims('dim'))
def split(tensor, split_size_or_sections, dim=0):
    if isinstance(split_size_or_sections, (int, np.integer)) and \
            not isinstance(split_size_or_sections, bool):
        return _split_int(tensor, int(split_size_or_sections), dim)
    return split_with_sizes(tensor, split_size_or_sections, dim)


@export(torch=False, method="split", vmap=dims('dim'))
def _split_method(self, split_size, dim=0):
    """Tensor.split(split_size, dim): an int or a list of sizes."""
    return split(self, split_size, dim)


def int_split_sizes(x: np.ndarray, split_size: int, dim) -> tuple:
    """(wrapped dim, piece sizes) of split(x, split_size, dim), with PyTorch's checks."""
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.ndim)
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={split_size}")
    n = x.shape[d]
    if split_size == 0 and n != 0:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension "
                           f"size of {n}")
    num = max((n + split_size - 1) // split_size, 1) if split_size else 1
    return d, [split_size] * (num - 1) + [split_size - (split_size * num - n)]


def checked_split_sizes(x: np.ndarray, split_sizes, dim) -> tuple:
    """(wrapped dim, sizes) of split_with_sizes(x, split_sizes, dim), with PyTorch's checks."""
    if x.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    d = wrap_dim(dim, x.ndim)
    sizes = [int(s) for s in split_sizes]
    for s in sizes:
        if s < 0:
            raise RuntimeError("split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={_fmt(sizes)}")
    if sum(sizes) != x.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {x.shape[d]} "
                           f"(input tensor's size at dimension {d}), but got "
                           f"split_sizes={_fmt(sizes)}")
    return d, sizes


def chunk_size(x: np.ndarray, chunks, dim) -> int:
    """The piece size of chunk(x, chunks, dim) (0 for an empty dim), with PyTorch's checks."""
    if x.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = x.shape[wrap_dim(dim, x.ndim)]
    return (n + chunks - 1) // chunks


def _split_int(input, split_size: int, dim) -> tuple:
    d, sizes = int_split_sizes(input._data, split_size, dim)
    return _split_pieces(input, SplitBackward0, d, sizes, dim, split_size)


@export(method=True)
def split_with_sizes(input, split_sizes, dim=0):
    if not isinstance(split_sizes, (tuple, list)):
        raise TypeError(f"split_with_sizes(): argument 'split_sizes' (position 2) must be tuple of "
                        f"ints, not {type(split_sizes).__name__}")
    d, sizes = checked_split_sizes(input._data, split_sizes, dim)
    return _split_pieces(input, SplitWithSizesBackward0, d, sizes, dim, sizes)


@export(method=True, vmap=dims('dim'))
def chunk(input, chunks, dim=0):
    if not is_int(chunks):
        raise int_arg_error(chunks, f"chunks must be an int, not {type(chunks).__name__}")
    size = chunk_size(input._data, chunks, dim)
    if size == 0:   # an empty dim: `chunks` empty pieces
        return split_with_sizes(input, [0] * chunks, dim)
    return _split_int(input, size, dim)


# -- narrow / tensor_split ------------------------------------------------------------------------
def _slice(input, dim: int, start: int, stop: int):
    """aten::slice (one SliceBackward0, saving ``dim``, ``start``, ``stop`` as given)."""
    return slice_view(input, dim, start, stop)


_NARROW_SIGS = ("(int dim, Tensor start, int length)", "(int dim, int start, int length)")


@export(method=True, vmap=dims('dim'))
def narrow(input, dim, start, length):
    if not (is_int(dim) and is_int(length) and (is_int(start) or isinstance(start, Tensor))):
        raise invalid_args(_NARROW_SIGS, tuple(f"(Tensor input, {s[1:]}" for s in _NARROW_SIGS))
    if isinstance(start, Tensor) and (start._data.ndim or start._data.dtype.kind not in "iu"):
        raise RuntimeError("start must be an 0-dim integral Tensor.")
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    start = _int(start)
    if start < -n or start > n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _slice(input, int(dim), start, start + length)


@export(method=True)
def tensor_split(input, indices_or_sections, dim=0):
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        a = ios._data
        if a.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of "
                               f"long, but got {scalar_name(a)}")
        if a.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor with "
                               f"{a.ndim} dims")
        ios = int(a) if a.ndim == 0 else [int(v) for v in a]
    if isinstance(ios, (int, np.integer)):
        sections = int(ios)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        small, extra = divmod(n, sections)
        bounds, start = [], 0
        for i in range(sections):
            stop = start + small + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    else:
        # the cuts as given: a slice clamps them (negative ones count from the end), as PyTorch's
        cuts = [int(v) for v in ios]
        bounds, start = [], 0
        for c in cuts:
            bounds.append((start, c))
            start = c
        bounds.append((start, n))
    return tuple(_slice(input, d, a, b) for a, b in bounds)


def _split_nd(input, ios, name: str, need: int, dim: int):
    x = input._data
    if x.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but "
                           f"got a tensor with {x.ndim} dimensions!")
    if isinstance(ios, (int, np.integer)):
        if ios != 0 and x.shape[dim] % ios:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                               f"of the dimension {x.shape[dim]} is not divisible by the split_size "
                               f"{ios}!")
    return tensor_split(input, ios, dim)


@export(method=True)
def hsplit(input, indices_or_sections):
    return _split_nd(input, indices_or_sections, "hsplit", 1, 1 if input.ndim > 1 else 0)


@export(method=True)
def vsplit(input, indices_or_sections):
    return _split_nd(input, indices_or_sections, "vsplit", 2, 0)


@export(method=True)
def dsplit(input, indices_or_sections):
    return _split_nd(input, indices_or_sections, "dsplit", 3, 2)


# -- movedim --------------------------------------------------------------------------------------
_MOVEDIM_SIGS = ("(int source, int destination)",
                 "(tuple of ints source, tuple of ints destination)")


def _check_movedim_args(source, destination) -> None:
    """PyTorch's parser: two ints, or two int lists (whose first element decides the overload:
    a later non-int one fails to unpack)."""
    if is_int(source) and is_int(destination):
        return
    seqs = [v for v in (source, destination) if isinstance(v, (list, tuple))]
    if len(seqs) == 2 and all(not v or is_int(v[0]) for v in seqs):
        for name, v in (("source", source), ("destination", destination)):
            bad = next((i for i, e in enumerate(v) if not is_int(e)), None)
            if bad is not None:
                raise seq_element_error(name, v, bad)
        return
    raise invalid_args(_MOVEDIM_SIGS, tuple(f"(Tensor input, {s[1:]}" for s in _MOVEDIM_SIGS))


def moveaxis(input, source, destination):
    """torch.moveaxis: movedim under its own name (PyTorch's messages say moveaxis)."""
    _check_movedim_args(source, destination)
    return movedim(input, source, destination)


@export(method=True, torch=True, vmap=dims('source', 'destination'))
def movedim(input, source, destination):
    _check_movedim_args(source, destination)
    src = (source,) if is_int(source) else tuple(source)
    dst = (destination,) if is_int(destination) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) "
                           f"should contain the same number of dims as destination ({list(dst)} "
                           "dims)")
    n = input._data.ndim
    ss = tuple(wrap_dim(s, n) for s in src)
    ds = tuple(wrap_dim(s, n) for s in dst)
    if len(set(ss)) != len(ss):
        raise RuntimeError(f"movedim: repeated dim in `source` ({list(src)})")
    if len(set(ds)) != len(ds):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({list(dst)})")
    if n == 0:
        return getitem(input, ...)
    m = dict(zip(ds, ss))
    dims, si = [], 0
    for di in range(n):
        if di in m:
            dims.append(m[di])
        else:
            while si in ss:
                si += 1
            dims.append(si)
            si += 1
    return permute(input, tuple(dims))


moveaxis = export(method=True, torch=True, vmap=dims('source', 'destination'),
                  composite=True)(moveaxis)


# -- diagonal -------------------------------------------------------------------------------------
def np_diagonal(x, offset=0, dim1=0, dim2=1):
    """A writeable view of the diagonal (NumPy's np.diagonal is read-only)."""
    x = np.asarray(x)
    d1, d2 = dim1, dim2
    s1, s2 = x.shape[d1], x.shape[d2]
    n = max(min(s1 - max(-offset, 0), s2 - max(offset, 0)), 0)
    start = [0] * x.ndim
    if n:
        start[d2], start[d1] = max(offset, 0), max(-offset, 0)
    base = x[tuple(slice(s, None) for s in start)] if n else x
    keep = [k for k in range(x.ndim) if k not in (d1, d2)]
    shape = tuple(x.shape[k] for k in keep) + (n,)
    strides = tuple(x.strides[k] for k in keep) + (x.strides[d1] + x.strides[d2],)
    return np.lib.stride_tricks.as_strided(base, shape, strides,
                                           writeable=x.flags.writeable)


def diagonal_index(shape, offset: int, d1: int, d2: int):
    """(index, perm): ``x[index]`` picks the diagonal elements, in the layout that a diagonal
    gradient permuted by ``perm`` has (NumPy moves separated advanced indices to the front)."""
    n = max(min(shape[d1] - max(-offset, 0), shape[d2] - max(offset, 0)), 0)
    i = np.arange(n)
    idx = [slice(None)] * len(shape)
    idx[d1], idx[d2] = i + max(-offset, 0), i + max(offset, 0)
    k = len(shape) - 2                        # the diagonal is the gradient's last dim (k)
    lo = min(d1, d2)
    pos = lo if abs(d1 - d2) == 1 else 0      # where NumPy puts the indexed dim
    perm = list(range(k))
    perm.insert(pos, k)
    return tuple(idx), tuple(perm)


class DiagonalBackward0(Node):
    """d diagonal(x)/dx: the gradient placed on that diagonal of zeros of x's shape.
    ``offset``, ``dim1``, ``dim2``: as given."""
    __slots__ = ("shape", "offset", "dim1", "dim2")
    saved_attrs = {"self_sym_sizes": "shape", "offset": lambda n: u64(n.offset),
                   "dim1": lambda n: u64(n.dim1), "dim2": lambda n: u64(n.dim2)}

    def backward(self, ns, grad):
        n = len(self.shape)
        idx, perm = diagonal_index(self.shape, self.offset, self.dim1 % n, self.dim2 % n)
        return (ns.index_acc(self.shape, idx, ns.permute(grad, perm)),)


def _diag_dims(x: np.ndarray, dim1, dim2):
    d1, d2 = wrap_dim(dim1, x.ndim), wrap_dim(dim2, x.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@export(method=True, vmap=dims('dim1', 'dim2'))
def diagonal(input, offset=0, dim1=0, dim2=1):
    if not is_int(offset):
        raise int_arg_error(offset, f"offset must be an int, not {type(offset).__name__}")
    x = input._data
    d1, d2 = _diag_dims(x, dim1, dim2)
    out = np_diagonal(x, offset, d1, d2)
    return record_view(DiagonalBackward0, input, out, shape=x.shape, offset=int(offset),
                        dim1=int(dim1), dim2=int(dim2))


# -- broadcasting ---------------------------------------------------------------------------------
@export(method=False)
def broadcast_shapes(*shapes):
    norm = []
    for s in shapes:
        if s is None:
            continue
        if isinstance(s, (int, np.integer)):
            s = (int(s),)
        if not isinstance(s, (tuple, list)):
            raise RuntimeError("Input shapes should be of type ints, a tuple of ints, or a list of "
                               f"ints, got {s}")
        norm.append(s)
    if not norm:
        return Size(())
    common = [1] * max(len(s) for s in norm)
    for arg, s in enumerate(norm):
        for i in range(-1, -1 - len(s), -1):
            if s[i] == common[i]:
                continue
            if common[i] == 1:
                if s[i] < 0:
                    raise ValueError("Attempting to broadcast a dimension with negative length!")
                common[i] = s[i]
            if s[i] == 1:
                continue
            if common[i] != s[i]:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {s[i]} at {i}! "
                                   f"Mismatching argument at index {arg} had {s}; but expected "
                                   f"shape should be broadcastable to {common}")
    return Size(common)


@export()
def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = ()
    for t in tensors:
        try:
            shape = np.broadcast_shapes(shape, t._data.shape)
        except ValueError:
            raise broadcast_error(shape, t._data.shape) from None
    return tuple(t if t._data.shape == shape else expand(t, shape) for t in tensors)


# -- atleast_Nd -----------------------------------------------------------------------------------
def _atleast(tensors, fn):
    if len(tensors) == 1:
        tensors = tensors[0]
    if isinstance(tensors, Tensor):
        return fn(tensors)
    return tuple(fn(t) for t in tensors)


def _at1(t):
    return reshape(t, (1,)) if t._data.ndim == 0 else t


def _at2(t):
    n = t._data.ndim
    return reshape(t, (1, 1)) if n == 0 else unsqueeze(t, 0) if n == 1 else t


def _at3(t):
    n = t._data.ndim
    if n == 0:
        return reshape(t, (1, 1, 1))
    if n == 1:
        return unsqueeze(unsqueeze(t, 0), -1)
    return unsqueeze(t, -1) if n == 2 else t


@export()
def atleast_1d(*tensors):
    return _atleast(tensors, _at1)


@export()
def atleast_2d(*tensors):
    return _atleast(tensors, _at2)


@export()
def atleast_3d(*tensors):
    return _atleast(tensors, _at3)


# -- meshgrid -------------------------------------------------------------------------------------
_warned_meshgrid = False


@export()
def meshgrid(*tensors, indexing=None):
    global _warned_meshgrid
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        if not _warned_meshgrid:
            _warned_meshgrid = True
            _warn.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                       "indexing argument.", UserWarning)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for a, b in zip(tensors, tensors[1:]):
        if a._data.dtype != b._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    ts = list(tensors)
    swap = False
    if indexing == "xy":
        swap = len(ts) >= 2
        if swap:
            ts[0], ts[1] = ts[1], ts[0]
    elif indexing != "ij":
        raise RuntimeError('torch.meshgrid: indexing must be one of "xy" or "ij", but received: '
                           f"{indexing}")
    for t in ts:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {format_tensor(t._data, t.dtype.name)}")
    shape = tuple(t._data.size for t in ts)
    grids = []
    for i, t in enumerate(ts):
        vs = [1] * len(ts)
        vs[i] = -1
        grids.append(expand(view(t, tuple(vs)), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


__all__ = ["unflatten", "split", "split_with_sizes", "chunk", "narrow", "tensor_split", "hsplit",
           "vsplit", "dsplit", "movedim", "diagonal", "broadcast_shapes", "broadcast_tensors",
           "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"]
