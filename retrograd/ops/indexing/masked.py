"""Mask ops (masked_fill, masked_select, masked_scatter) and F.one_hot.

The NumPy helpers (``np_masked_fill``, ...) do the forward and serve as the NumPy formula
namespace's functions of the same names.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE, LINEAR
from .._registry import export
from .._util import Tensor, broadcast_error, wrap
from ...autograd._record import record1, record2
from ..linalg.matmul import _TYPE
from .scatter import scalar_name
from ..inplace import apply_inplace
from ..._size import format_shape


def _bshape(x, mask) -> tuple:
    try:
        return np.broadcast_shapes(np.shape(x), np.shape(mask))
    except ValueError:
        raise broadcast_error(np.shape(mask), np.shape(x)) from None


# -- NumPy kernels (also the NumPy formula namespace) --------------------------------------------
def np_masked_fill(x, mask, value):
    x, mask = np.asarray(x), np.asarray(mask)
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.array(np.broadcast_to(x, shape))
    out[np.broadcast_to(mask, shape)] = value
    return out


def np_masked_select(x, mask):
    x, mask = np.asarray(x), np.asarray(mask)
    shape = np.broadcast_shapes(x.shape, mask.shape)
    return np.broadcast_to(x, shape)[np.broadcast_to(mask, shape)]


def np_masked_scatter(x, mask, src):
    x, mask, src = np.asarray(x), np.asarray(mask), np.asarray(src)
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.array(np.broadcast_to(x, shape))
    m = np.broadcast_to(mask, shape)
    out[m] = src.reshape(-1)[:int(np.count_nonzero(m))]
    return out


# -- masked_fill ----------------------------------------------------------------------------------
class MaskedFillBackward0(Node):
    """masked_fill(x, mask, value): x's gradient is zero where the mask is set."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("mask",)

    def backward(self, ns, grad, mask):
        return (ns.masked_fill(grad, mask, 0),)


class MaskedFillBackward1(Node):
    """masked_fill with a 0-d tensor value: x's gradient is zero where the mask is set; the
    value's is the sum of the gradient there."""
    jvp = LINEAR
    __slots__ = ()
    saved_names = ("mask",)

    def backward(self, ns, grad, mask):
        return (ns.masked_fill(grad, mask, 0) if self.needs(0) else None,
                ns.where(mask, grad, 0.0) if self.needs(1) else None)


def _bool_mask(mask, what: str) -> np.ndarray:
    if not isinstance(mask, Tensor):
        raise TypeError(f"{what}(): argument 'mask' (position 1) must be Tensor, not "
                        f"{type(mask).__name__}")
    return mask._data


@export(method=True, inplace=True, vmap='masked_fill')
def masked_fill(input, mask, value):
    x = input._data
    m = _bool_mask(mask, "masked_fill")
    if m.dtype != np.bool_:
        raise RuntimeError("masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_TYPE[m.dtype.name]}")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value._data.ndim} dimension(s).")
        v = value._data.item()
    elif isinstance(value, (int, float, bool, np.generic)):
        v = value.item() if isinstance(value, np.generic) else value
    else:
        raise TypeError(f"masked_fill(): argument 'value' must be Number, not "
                        f"{type(value).__name__}")
    _bshape(x, m)
    out = np_masked_fill(x, m, v)
    if isinstance(value, Tensor):
        return record2(MaskedFillBackward1, input, value, out, mask)
    return record1(MaskedFillBackward0, input, out, mask)


# -- masked_select --------------------------------------------------------------------------------
class MaskedSelectBackward0(Node):
    """d masked_select(x, mask)/dx: the gradient scattered back where the mask is set (in the
    broadcast shape; the engine sums it down to x's)."""
    jvp = LINEAR
    __slots__ = ("shape",)
    saved_names = ("mask", "self")

    def backward(self, ns, grad, mask, x):
        return (ns.masked_scatter(ns.zeros(self.shape, self._dtype), mask, grad),)


@export(method=True)
def masked_select(input, mask):
    x = input._data
    m = _bool_mask(mask, "masked_select")
    if m.dtype != np.bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    shape = _bshape(x, m)
    out = np_masked_select(x, m)
    return record1(MaskedSelectBackward0, input, out, (mask, input), shape=shape)


# -- masked_scatter -------------------------------------------------------------------------------
class MaskedScatterBackward0(Node):
    """masked_scatter(x, mask, src): x's gradient is zero where the mask is set; src's first
    mask.sum() elements get the gradient there (in order), the rest zero."""
    jvp = LINEAR
    __slots__ = ("src_shape", "pad")
    saved_names = ("mask",)
    saved_attrs = {"source_sym_sizes": "src_shape"}

    def backward(self, ns, grad, mask):
        gx = gs = None
        if self.needs(0):
            gx = ns.masked_fill(grad, mask, 0)
        if self.needs(1):
            gs = ns.masked_select(grad, mask)
            if self.pad:
                gs = ns.cat([gs, ns.zeros((self.pad,), self._dtype)], 0)
            gs = ns.reshape(gs, self.src_shape)
        return gx, gs


@export(method=True)
def masked_scatter(input, mask, source):
    x = input._data
    m = _bool_mask(mask, "masked_scatter")
    if not isinstance(source, Tensor):
        raise TypeError(f"masked_scatter(): argument 'source' (position 2) must be Tensor, not "
                        f"{type(source).__name__}")
    s = source._data
    if m.dtype != np.bool_:
        raise RuntimeError("masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{scalar_name(m)}")
    if x.dtype != s.dtype:
        raise RuntimeError("masked_scatter: expected self and source to have same dtypes but got"
                           f"{scalar_name(x)} and {scalar_name(s)}")
    shape = _bshape(x, m)
    ones = int(np.count_nonzero(np.broadcast_to(m, shape)))
    if s.size < ones:
        raise RuntimeError("Number of elements of source < number of ones in mask")
    out = np_masked_scatter(x, m, s)
    return record2(MaskedScatterBackward0, input, source, out, mask, src_shape=s.shape,
                   pad=s.size - ones)


@export(torch=False, method="masked_scatter_")
def masked_scatter_(input, mask, source):
    """In place: the mask must expand to self's shape (PyTorch expands it first)."""
    m = _bool_mask(mask, "masked_scatter_")
    x = input._data
    if m.shape != x.shape:
        name = "CPUBoolType" if m.dtype == np.bool_ else f"torch.{mask.dtype._legacy}"
        if m.ndim > x.ndim:
            raise RuntimeError(f"expand({name}{{{_fmt(m.shape)}}}, size={_fmt(x.shape)}): the number "
                               f"of sizes provided ({x.ndim}) must be greater or equal to the number "
                               f"of dimensions in the tensor ({m.ndim})")
        lead = x.ndim - m.ndim
        for i in range(lead, x.ndim):
            have = m.shape[i - lead]
            if have != 1 and have != x.shape[i]:
                raise RuntimeError(f"The expanded size of the tensor ({x.shape[i]}) must match the "
                                   f"existing size ({have}) at non-singleton dimension {i}.  Target "
                                   f"sizes: {_fmt(x.shape)}.  Tensor sizes: {_fmt(m.shape)}")
    return apply_inplace(input, masked_scatter, mask, source)


_fmt = format_shape  # the one shape formatter, in _size.py


# -- one_hot --------------------------------------------------------------------------------------
@export(torch=False, functional=True, vmap='one_hot')
def one_hot(tensor, num_classes=-1):
    """F.one_hot: an int64 tensor with a trailing dim of num_classes (not differentiable)."""
    a = tensor._data
    if a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size == 0:
        if num_classes <= 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if num_classes == -1:
            num_classes = int(a.max()) + 1
        if a.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if a.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == np.arange(num_classes)).astype(np.int64)
    return wrap(out)


__all__ = ["masked_fill", "masked_select", "masked_scatter", "one_hot"]
