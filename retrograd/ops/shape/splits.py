"""Splitting into views: split (int or sizes), split_with_sizes, chunk, narrow, tensor_split and
h/v/dsplit; each piece shares storage with the input, as in PyTorch. Moved from ``views.py``."""
from __future__ import annotations

import numpy as np

from ..._size import Size, int_arg_error, is_int
from ...autograd.node import Node
from .._argparse import invalid_args
from .._registry import dims, export
from .._util import Tensor, make_node, needs_grad1, u64, wrap, wrap_dim, wrap_view
from .basic import _fmt
from ..indexing.scatter import scalar_name
from ..indexing.getitem import slice_view


def _int(v) -> int:
    return int(v.item()) if isinstance(v, Tensor) else int(v)


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


def _split_pieces(input, cls, d: int, sizes, dim, saved_sizes, view: bool = True) -> tuple:
    """The pieces of ``input`` along ``d`` (``sizes`` each), one ``cls`` node with an output per
    piece. ``view=False`` (unsafe_split): the pieces share the input's memory but are not
    tracked as its views (no shared version counter), as PyTorch's unsafe_split."""
    x = input._data
    pieces, start = [], 0
    pre = (slice(None),) * d
    for n in sizes:
        pieces.append(x[pre + (slice(start, start + n),)])
        start += n
    if not needs_grad1(input) or not pieces:
        return tuple(wrap_view(p, None, input) if view else wrap(p) for p in pieces)
    node = make_node(cls, (input,), pieces[0])
    node.dim, node.sizes, node.num_outputs = int(dim), saved_sizes, len(pieces)
    node.piece_shapes = [p.shape for p in pieces]
    if len({p.shape for p in pieces}) > 1:  # the engine checks gradients against node._shape
        node._shape = _PieceShapes([p.shape for p in pieces])
    outs = []
    for i, p in enumerate(pieces):
        if view:
            t = wrap_view(p, node, input)
            t._x.out_nr = i
        else:
            t = wrap(p, node)
            if i:
                t._extra().out_nr = i
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


__all__ = ["split", "split_with_sizes", "chunk", "narrow", "tensor_split", "hsplit", "vsplit",
           "dsplit"]
