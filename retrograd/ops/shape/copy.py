"""Rearranging copies: roll, fliplr/flipud, rot90, repeat/tile, repeat_interleave, tril/triu,
diag/diag_embed/trace, outer, block_diag, cartesian_prod and combinations.
"""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ...autograd.node import Node
from ...autograd.node import LINEAR
from .._argparse import seq_element_error
from .._registry import dims, export
from .._util import Tensor, u64, u64s, wrap, wrap_dim
from ...autograd._record import record, record1
from .basic import _fmt, clone, expand, flatten, flip, reshape, unsqueeze
from .join import stack
from .views import DiagonalBackward0, _TakesDiagonal, np_diagonal
from ..indexing.select import index_select
from ..indexing.scatter import scalar_name
from ..elementwise.arithmetic import mul
from ..indexing.masked import masked_select
from .views import meshgrid
from ..._size import int_arg_error, is_int


def _dims_tuple(dims) -> tuple:
    if dims is None:
        return ()
    return (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)


# -- roll -----------------------------------------------------------------------------------------
def np_roll(x, shifts, dims):
    x = np.asarray(x)
    if not dims:
        return np.roll(x.reshape(-1), shifts[0]).reshape(x.shape)
    return np.roll(x, shifts, dims)


class RollBackward0(Node):
    """Rolling back by the opposite shifts (``shifts``, ``dims``: as given)."""
    jvp = LINEAR
    __slots__ = ("shifts", "dims")
    saved_attrs = {"shifts": lambda n: u64s(n.shifts), "dims": lambda n: u64s(n.dims)}

    def backward(self, ns, grad):
        return (ns.roll(grad, tuple(-s for s in self.shifts), self.dims),)


@export(method=True, vmap=dims('dims'))
def roll(input, shifts, dims=None):
    for v in (shifts, dims):   # PyTorch's parser: int[1] arguments ("tuple of ints")
        if v is not None and not is_int(v) and not (
                isinstance(v, (list, tuple)) and all(is_int(e) for e in v)):
            if isinstance(v, (list, tuple)):   # PyTorch names the element that is not an int
                name = "shifts" if v is shifts else "dims"
                raise seq_element_error(name, v, next(i for i, d in enumerate(v) if not is_int(d)))
            raise int_arg_error(v, "expected ints", "tuple of ints")
    x = input._data
    shifts = _dims_tuple(shifts)
    dims = _dims_tuple(dims)
    if not shifts:
        raise RuntimeError("`shifts` required")
    if not (not dims and len(shifts) == 1) and len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    raw = tuple(int(d) for d in dims)
    dims = tuple(wrap_dim(d, x.ndim) for d in dims)
    shifts = tuple(int(s) for s in shifts)
    out = np_roll(x, shifts, dims)
    return record1(RollBackward0, input, out, shifts=shifts, dims=raw)


# -- fliplr / flipud / rot90 ----------------------------------------------------------------------
@export(method=True)
def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@export(method=True)
def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


def np_rot90(x, k, dims):
    return np.ascontiguousarray(np.rot90(np.asarray(x), k, dims))


class Rot90Backward0(Node):
    """Rotating back: rot90 by -k in the same plane (``k``, ``dims``: as given)."""
    jvp = LINEAR
    __slots__ = ("k", "dims")
    saved_attrs = {"k": lambda n: u64(n.k), "dims": lambda n: u64s(n.dims)}

    def backward(self, ns, grad):
        return (ns.rot90(grad, -self.k, self.dims),)


@export(method=True)
def rot90(input, k=1, dims=(0, 1)):
    x = input._data
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == x.ndim:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and "
                           f"dim1 = {dims[1]}")
    d = (wrap_dim(dims[0], x.ndim), wrap_dim(dims[1], x.ndim))
    out = np_rot90(x, k, d)
    return record1(Rot90Backward0, input, out, k=int(k), dims=tuple(int(v) for v in dims))


# -- repeat / tile --------------------------------------------------------------------------------
class RepeatBackward0(Node):
    """repeat: each input element appears in every tile; its gradient is the sum over the tiles
    (the gradient is laid out as (tiles..., input shape) and the engine sums the tiles)."""
    jvp = LINEAR
    __slots__ = ("repeats", "padded")
    saved_attrs = {"repeats": "repeats", "self_sym_sizes": Node.input_shape}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's repeat_backward (SumBackward1, ViewBackward0)
            return (self._graph(ns, grad),)
        k = len(self.repeats)
        inter = []
        for r, s in zip(self.repeats, self.padded):
            inter += [r, s]
        perm = tuple(range(0, 2 * k, 2)) + tuple(range(1, 2 * k, 2))
        return (ns.permute(ns.reshape(grad, tuple(inter)), perm),)

    def _graph(self, ns, grad):
        """PyTorch's repeat_backward: the leading new dims summed one by one, then one reshape
        to (repeat, size) pairs (for repeats other than 1) and one sum over the repeats."""
        shape = self.input_shape(0)
        lead = len(self.repeats) - len(shape)
        for _ in range(lead):
            grad = ns.sum_dims(grad, (0,), False)
        size, dims = [], []
        for r, s in zip(self.repeats[lead:], shape):
            if r != 1:
                size.append(r)
                dims.append(len(size) - 1)
            size.append(s)
        if dims:
            grad = ns.sum_dims(ns.reshape(grad, tuple(size)), tuple(dims), False)
        return grad


def _sizes(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


@export(torch=False, method=True, vmap='repeat')
def repeat(input, *sizes):
    x = input._data
    reps = _sizes(sizes)
    if len(reps) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    padded = (1,) * (len(reps) - x.ndim) + x.shape
    target = tuple(r * s for r, s in zip(reps, padded))
    for t in target:
        if t < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {t}: "
                               f"{_fmt(target)}")
    out = np.tile(x, reps) if reps else x.copy()
    return record1(RepeatBackward0, input, out, repeats=reps, padded=padded)


@export(method=True, vmap='repeat')
def tile(input, dims):
    reps = _sizes((dims,))
    n = input._data.ndim
    if len(reps) < n:
        reps = (1,) * (n - len(reps)) + reps
    return repeat(input, reps)


# -- repeat_interleave ----------------------------------------------------------------------------
def _repeats_index(r: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(r.size, dtype=np.int64), r)


@export(method=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats): the indices
        r = input._data
        if r.ndim != 1:
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return wrap(_repeats_index(r))
    x = input._data
    if isinstance(repeats, Tensor):
        r = repeats._data
        if r.dtype.kind not in "iu":
            raise NotImplementedError(f'"repeat_interleave_cpu" not implemented for '
                                      f"'{scalar_name(r)}'")
        t = input
        d = dim
        if d is None:
            t, d = flatten(input), 0
        d = wrap_dim(d, t._data.ndim)
        n = t._data.shape[d] if t._data.ndim else 1
        if r.ndim == 0 or (r.ndim == 1 and r.size == 1):
            r = np.broadcast_to(r.reshape(1), (n,))
        elif r.ndim == 1:
            if r.size != n:
                raise RuntimeError(f"repeats must have the same size as input along dim, but got "
                                   f"repeats.size(0) = {r.size} and input.size({d}) = {n}")
        else:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if r.size and r.min() < 0:
            raise RuntimeError("repeats can not be negative")
        return index_select(t, d, wrap(_repeats_index(r)))
    repeats = int(repeats)
    if dim is not None:
        d = wrap_dim(dim, x.ndim)
        t = input
    else:
        wrap_dim(0, x.ndim)
        t, d = flatten(input), 0
    if repeats < 0:
        raise RuntimeError("Repeats must be non-negative")
    t = unsqueeze(t, d + 1)
    shape = list(t._data.shape)
    shape[d + 1] = repeats
    return flatten(clone(expand(t, tuple(shape))), d, d + 1)


# -- tril / triu ----------------------------------------------------------------------------------
def np_tril(x, k=0):
    return np.tril(np.asarray(x), k)


def np_triu(x, k=0):
    return np.triu(np.asarray(x), k)


class TrilBackward0(Node):
    """tril keeps the lower triangle: so does its gradient."""
    jvp = LINEAR
    __slots__ = ("diagonal",)
    saved_attrs = {"diagonal": lambda n: u64(n.diagonal)}

    def backward(self, ns, grad):
        return (ns.tril(grad, self.diagonal),)


class TriuBackward0(Node):
    """triu keeps the upper triangle: so does its gradient."""
    jvp = LINEAR
    __slots__ = ("diagonal",)
    saved_attrs = {"diagonal": lambda n: u64(n.diagonal)}

    def backward(self, ns, grad):
        return (ns.triu(grad, self.diagonal),)


def _trilu(input, diagonal, name, fn, cls):
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
    if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
        raise int_arg_error(diagonal, "diagonal must be an int")
    out = fn(x, int(diagonal))
    return record1(cls, input, out, diagonal=int(diagonal))


@export(method=True, inplace=True, vmap='last_two_dims')
def tril(input, diagonal=0):
    return _trilu(input, diagonal, "tril", np_tril, TrilBackward0)


@export(method=True, inplace=True, vmap='last_two_dims')
def triu(input, diagonal=0):
    return _trilu(input, diagonal, "triu", np_triu, TriuBackward0)


# -- diag_embed / diag / trace --------------------------------------------------------------------
class DiagEmbedBackward0(_TakesDiagonal):
    """d diag_embed(x)/dx: the gradient's diagonal."""
    __slots__ = ()


def np_diag_embed(x, offset=0, dim1=-2, dim2=-1):
    x = np.asarray(x)
    n = x.ndim + 1
    d1, d2 = dim1 % n, dim2 % n
    m = x.shape[-1] + abs(offset)
    shape = list(x.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, m)
    out = np.zeros(shape, x.dtype)
    np_diagonal(out, offset, d1, d2)[...] = x
    return out


@export(method=True, vmap=dims('dim1', 'dim2', delta=1))
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    x = input._data
    n = x.ndim + 1
    d1, d2 = wrap_dim(dim1, n), wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    out = np_diag_embed(x, offset, d1, d2)
    return record1(DiagEmbedBackward0, input, out, offset=int(offset), dim1=int(dim1),
                   dim2=int(dim2))


class DiagonalBackward0_copy(DiagonalBackward0):  # noqa: N801 - PyTorch's name
    """diag(2-D) is diagonal_copy: the gradient goes back onto the diagonal."""
    jvp = LINEAR
    __slots__ = ()


@export(method=True)
def diag(input, diagonal=0):
    x = input._data
    if x.ndim == 1:
        return diag_embed(input, diagonal, -2, -1)  # PyTorch's dims
    if x.ndim != 2:
        raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {x.ndim}D")
    out = np_diagonal(x, diagonal, 0, 1).copy()
    return record1(DiagonalBackward0_copy, input, out, shape=x.shape, offset=int(diagonal),
                   dim1=0, dim2=1)


class TraceBackward0(Node):
    """d trace(x)/dx: the gradient on the main diagonal, zeros elsewhere."""
    jvp = LINEAR
    __slots__ = ("shape",)
    saved_attrs = {"self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        n = min(self.shape)
        i = np.arange(n)
        return (ns.index_acc(self.shape, (i, i), ns.expand(grad, (n,))),)


@export(method=True)
def trace(input):
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
    out = np.asarray(np.trace(x, dtype=np.int64 if x.dtype.kind in "biu" else None))
    return record1(TraceBackward0, input, out, shape=x.shape)


# -- outer ----------------------------------------------------------------------------------------
@export(method=("outer", "ger"), torch=("outer", "ger"), vmap='outer', composite=True)
def outer(input, vec2):
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return mul(reshape(input, (input._data.shape[0], 1)), vec2)


# -- block_diag -----------------------------------------------------------------------------------
class BlockDiagBackward0(Node):
    """block_diag: each input gets its own block of the gradient, in its own shape."""
    jvp = LINEAR
    __slots__ = ("blocks",)

    def backward(self, ns, grad):
        out = []
        for i, (r, c, h, w, shape) in enumerate(self.blocks):
            out.append(ns.reshape(grad[r:r + h, c:c + w], shape) if self.needs(i) else None)
        return tuple(out)


@export()
def block_diag(*tensors):
    if not tensors:
        return wrap(np.zeros((1, 0), D.get_default_dtype().np))
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    blocks, r, c = [], 0, 0
    for i, t in enumerate(tensors):
        a = t._data
        if a.ndim > 2:
            raise RuntimeError("torch.block_diag: Input tensors must have 2 or fewer dimensions. "
                               f"Input {i} has {a.ndim} dimensions")
        h, w = a.shape if a.ndim == 2 else (1, a.shape[0] if a.ndim else 1)
        blocks.append((r, c, h, w, a.shape))
        r, c = r + h, c + w
    out = np.zeros((r, c), dt.np)
    for (r0, c0, h, w, _), t in zip(blocks, tensors):
        out[r0:r0 + h, c0:c0 + w] = t._data.reshape(h, w)
    return record(BlockDiagBackward0, tensors, out, blocks=blocks)


# -- cartesian_prod / combinations ----------------------------------------------------------------
def _check_1d(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {_fmt(t._data.shape)}")


@export()
def cartesian_prod(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        _check_1d(t)
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([flatten(g) for g in grids], 1)


@export()
def combinations(input, r=2, with_replacement=False):
    _check_1d(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return wrap(np.empty((0,), input._data.dtype))
    n = input._data.size
    idx = np.meshgrid(*([np.arange(n)] * r), indexing="ij")
    mask = np.ones((n,) * r, dtype=bool)
    for a, b in zip(idx, idx[1:]):
        mask &= (a <= b) if with_replacement else (a < b)
    m = wrap(mask)
    grids = meshgrid(*([input] * r), indexing="ij")
    return stack([masked_select(g, m) for g in grids], 1)


__all__ = ["roll", "fliplr", "flipud", "rot90", "repeat", "tile", "repeat_interleave", "tril",
           "triu", "diag_embed", "diag", "trace", "outer", "block_diag", "cartesian_prod",
           "combinations"]
