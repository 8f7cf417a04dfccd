"""Reductions: sum, mean, max/min (whole tensor and along a dim), and the engine's sum_to_size."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node, SavedOutput
from ._util import Tensor, make_node, needs_grad1, wrap, wrap_dims, wrap_dim


def _reduced_dims(input: Tensor, dim) -> tuple | None:
    """None for "all dims"; else the normalised tuple (an empty list/tuple also means all)."""
    if dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return None
    dims = wrap_dims(dim, input._data.ndim)
    return () if input._data.ndim == 0 else dims  # dim 0 of a 0-d tensor reduces nothing


def _restore_dims(ns, grad, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if dims is not None and not keepdim and len(shape) > 0:
        grad = ns.unsqueeze_dims(grad, dims)
    return ns.expand(grad, shape)


class SumBackward0(Node):
    """d sum(x)/dx = 1 everywhere: the gradient broadcast back to x's shape."""
    __slots__ = ("shape",)

    def backward(self, ns, grad):
        return (ns.expand(grad, self.shape),)


class SumBackward1(Node):
    """d sum(x, dim)/dx = 1: the gradient unsqueezed at dim and broadcast back."""
    __slots__ = ("shape", "dims", "keepdim")

    def backward(self, ns, grad):
        return (_restore_dims(ns, grad, self.shape, self.dims, self.keepdim),)


def _sum_dtype(x: np.ndarray, dtype):
    if dtype is not None:
        return dtype.np
    return np.int64 if x.dtype.kind in "iub" else None


def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001
    x = input._data
    dims = _reduced_dims(input, dim)
    out = x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype))
    if dim is None:
        if not needs_grad1(input):
            return wrap(out)
        node = make_node(SumBackward0, (input,), np.asarray(out))
        node.shape = x.shape
        return wrap(out, node)
    if not needs_grad1(input):
        return wrap(out)
    node = make_node(SumBackward1, (input,), np.asarray(out))
    node.shape, node.dims, node.keepdim = x.shape, dims, keepdim
    return wrap(out, node)


def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of broadcasting)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    x = input._data
    if x.shape == shape:
        return input
    lead = x.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and x.shape[i + lead] != 1)
    out = sum(input, dims, keepdim=True) if dims else input
    return out.reshape(shape) if lead else out


class MeanBackward0(Node):
    """d mean(x)/dx = 1/n."""
    __slots__ = ("shape", "n")

    def backward(self, ns, grad):
        return (ns.expand(grad / self.n, self.shape),)


class MeanBackward1(Node):
    """d mean(x, dim)/dx = 1/n over the reduced dims."""
    __slots__ = ("shape", "dims", "keepdim", "n")

    def backward(self, ns, grad):
        return (_restore_dims(ns, grad / self.n, self.shape, self.dims, self.keepdim),)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.np)
    if x.dtype.kind != "f":
        name = {"i": "Long", "b": "Bool", "u": "Byte"}.get(x.dtype.kind, str(x.dtype))
        if x.dtype == np.int32:
            name = "Int"
        raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {name}")
    dims = _reduced_dims(input, dim)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = x.mean(axis=dims, keepdims=keepdim) if x.size else \
            np.full(np.sum(x, axis=dims, keepdims=keepdim).shape, np.nan, dtype=x.dtype)
    if not needs_grad1(input):
        return wrap(out)
    n = x.size if dims is None else int(np.prod([x.shape[d] for d in dims]))
    if dim is None:
        node = make_node(MeanBackward0, (input,), np.asarray(out))
        node.shape, node.n = x.shape, n
        return wrap(out, node)
    node = make_node(MeanBackward1, (input,), np.asarray(out))
    node.shape, node.dims, node.keepdim, node.n = x.shape, dims, keepdim, n
    return wrap(out, node)


# -- max / min ------------------------------------------------------------------------------------
class _ReturnTypes(tuple):
    """torch.return_types.max and friends: a (values, indices) named tuple."""

    __slots__ = ()
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:
        return (f"torch.return_types.{self._name}(\nvalues={self[0]!r},\n"
                f"indices={self[1]!r})")


class return_max(_ReturnTypes):
    __slots__ = ()
    _name = "max"


class return_min(_ReturnTypes):
    __slots__ = ()
    _name = "min"


class _MaxMinAllBackward(Node):
    """Whole-tensor max/min: the gradient is split evenly among tied elements (PyTorch)."""
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        mask = x == result
        return (ns.where(mask, grad / ns.count(mask), 0.0),)


class MaxBackward1(_MaxMinAllBackward):
    __slots__ = ()


class MinBackward1(_MaxMinAllBackward):
    __slots__ = ()


class _MaxMinDimBackward(Node):
    """max/min along a dim: all of the gradient to the selected index."""
    __slots__ = ("dim", "keepdim", "mask")
    saved_names = ("indices",)

    def backward(self, ns, grad, indices):
        if not self.keepdim and self.mask.ndim > 0:
            grad = ns.unsqueeze_dims(grad, (self.dim,))
        return (ns.where(ns.const(self.mask), grad, 0.0),)


class MaxBackward0(_MaxMinDimBackward):
    __slots__ = ()


class MinBackward0(_MaxMinDimBackward):
    __slots__ = ()


def _maxmin(input, dim, keepdim, is_max: bool, other=None):
    if other is not None or isinstance(dim, Tensor):
        from .pointwise import maximum, minimum
        return (maximum if is_max else minimum)(input, other if other is not None else dim)
    x = input._data
    name = "max" if is_max else "min"
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel()"
                               " == 0. Specify the reduction dim with the 'dim' argument.")
        out = x.max() if is_max else x.min()
        if np.isnan(x).any() if x.dtype.kind == "f" else False:
            out = x.dtype.type(np.nan)
        if not needs_grad1(input):
            return wrap(out)
        node = make_node(MaxBackward1 if is_max else MinBackward1, (input,), np.asarray(out))
        res = wrap(out, node)
        node.save(input, SavedOutput(res))
        return res
    d = wrap_dim(dim, x.ndim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    xd = x if x.ndim else x.reshape(1)
    ax = d if x.ndim else 0
    idx = np.argmax(xd, axis=ax, keepdims=True) if is_max else np.argmin(xd, axis=ax, keepdims=True)
    vals = np.take_along_axis(xd, idx, axis=ax)
    if not keepdim or x.ndim == 0:
        vals = vals.reshape(np.delete(np.array(xd.shape), ax)) if x.ndim else vals.reshape(())
        idx_out = idx.reshape(vals.shape)
    else:
        idx_out = idx
    indices = wrap(idx_out.astype(np.int64))
    if not needs_grad1(input):
        values = wrap(vals)
    else:
        node = make_node(MaxBackward0 if is_max else MinBackward0, (input,), vals)
        node.dim, node.keepdim = d, keepdim
        node.mask = (np.arange(xd.shape[ax]).reshape(
            [-1 if i == ax else 1 for i in range(xd.ndim)]) == idx).reshape(x.shape)
        node.save(indices)
        values = wrap(vals, node)
    return (return_max if is_max else return_min)(values, indices)


def max(input, dim=None, keepdim=False):  # noqa: A001
    return _maxmin(input, dim, keepdim, True)


def min(input, dim=None, keepdim=False):  # noqa: A001
    return _maxmin(input, dim, keepdim, False)


def argmax(input, dim=None, keepdim=False):
    x = input._data
    if dim is None:
        return wrap(np.asarray(np.argmax(x), dtype=np.int64))
    return wrap(np.argmax(x, axis=wrap_dim(dim, x.ndim), keepdims=keepdim).astype(np.int64))


def argmin(input, dim=None, keepdim=False):
    x = input._data
    if dim is None:
        return wrap(np.asarray(np.argmin(x), dtype=np.int64))
    return wrap(np.argmin(x, axis=wrap_dim(dim, x.ndim), keepdims=keepdim).astype(np.int64))


def all(input, dim=None, keepdim=False):  # noqa: A001
    dims = _reduced_dims(input, dim)
    return wrap(np.all(input._data, axis=dims, keepdims=keepdim))


def any(input, dim=None, keepdim=False):  # noqa: A001
    dims = _reduced_dims(input, dim)
    return wrap(np.any(input._data, axis=dims, keepdims=keepdim))
