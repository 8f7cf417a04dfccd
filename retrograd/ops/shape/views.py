"""View ops beyond basic.py: unflatten, movedim, diagonal, broadcast_tensors/broadcast_shapes,
atleast_Nd and meshgrid (split, chunk, tensor_split, narrow: splits.py).

Every result here shares storage (and the version counter) with its input, as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ... import _warn
from ..._size import Size, int_arg_error, is_int
from ...autograd.node import LINEAR, Node
from .._argparse import invalid_args, seq_element_error
from .._registry import dims, export
from .._util import Tensor, broadcast_error, u64, wrap_dim
from ...autograd._record import record1, record_view
from ..._dispatch import public
from .basic import _fmt, expand, permute, reshape, unsqueeze, view
from ..._tensor_str import format_tensor
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
        if not ns.INPLACE:   # create_graph: PyTorch's diagonal_backward kernel, one node
            return (ns.diagonal_backward(grad, self.shape, self.offset, self.dim1, self.dim2),)
        n = len(self.shape)
        idx, perm = diagonal_index(self.shape, self.offset, self.dim1 % n, self.dim2 % n)
        return (ns.index_acc(self.shape, idx, ns.permute(grad, perm)),)


class _TakesDiagonal(Node):
    """A linear op that places its input on a diagonal (``offset``, ``dim1``, ``dim2``: as
    given) of zeros: its backward takes that diagonal of the gradient (diag_embed,
    diagonal_backward)."""
    jvp = LINEAR
    __slots__ = ("offset", "dim1", "dim2")
    saved_attrs = {"offset": lambda n: u64(n.offset), "dim1": lambda n: u64(n.dim1),
                   "dim2": lambda n: u64(n.dim2)}

    def backward(self, ns, grad):
        return (ns.diagonal(grad, self.offset, self.dim1, self.dim2),)


class DiagonalBackwardBackward0(_TakesDiagonal):
    """diagonal's backward as an op (at::diagonal_backward, what create_graph records): the
    gradient placed on that diagonal of zeros."""
    __slots__ = ()


def np_diagonal_backward(grad, shape, offset, dim1, dim2):
    """Zeros of ``shape`` with ``grad`` on the diagonal (offset, dim1, dim2)."""
    grad = np.asarray(grad)
    n = len(shape)
    out = np.zeros(shape, grad.dtype)
    np_diagonal(out, offset, dim1 % n, dim2 % n)[...] = grad
    return out


def _diagonal_backward(grad, shape, offset, dim1, dim2):
    out = np_diagonal_backward(grad._data, tuple(shape), offset, dim1, dim2)
    return record1(DiagonalBackwardBackward0, grad, out, offset=offset, dim1=dim1, dim2=dim2)


diagonal_backward = public(_diagonal_backward, "diagonal_backward")


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


__all__ = ["unflatten", "movedim", "diagonal", "broadcast_shapes", "broadcast_tensors",
           "atleast_1d", "atleast_2d", "atleast_3d", "meshgrid"]
