"""max, min, argmax, argmin, amax, amin, aminmax (and the named tuples torch.return_types.max,
...)."""
from __future__ import annotations

import operator
import numpy as np

from ...autograd.node import Node, SavedOutput
from .._registry import REDUCTION, export
from .._util import Tensor, make_node, needs_grad1, u64, wrap, wrap_dim
from ...autograd._record import RESULT, record1
from ..elementwise.compare import maximum
from ..elementwise.compare import minimum
from ..indexing.scatter import _grid
from ..._size import int_arg_error
from .._argparse import invalid_args
from .basic import (NO_DIM, _all_dims, _check_nonempty, _dim_attr, _pt_dims, _quiet, _reduced_dims,
                    _unsqueeze_reduced, reduced_jvp)


# -- named tuples ----------------------------------------------------------------------------
class _ReturnTypes(tuple):
    """torch.return_types.max and friends: a named tuple of tensors."""

    __slots__ = ()
    _name = "max"
    _fields = ("values", "indices")

    def __new__(cls, *items):
        if len(items) == 1:  # torch.return_types.max((values, indices))
            items = tuple(items[0])
        return tuple.__new__(cls, items)

    n_fields = property(lambda self: len(self._fields))
    n_sequence_fields = n_fields

    def __repr__(self) -> str:
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"torch.return_types.{self._name}(\n{body})"

    __str__ = __repr__

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _return_type(name: str, fields=("values", "indices")) -> type:
    attrs = {"__slots__": (), "_name": name, "_fields": fields, "__qualname__": name}
    for i, f in enumerate(fields):
        attrs[f] = property(operator.itemgetter(i))
    return type(name, (_ReturnTypes,), attrs)


return_max = _return_type("max")


return_min = _return_type("min")


return_aminmax = _return_type("aminmax", ("min", "max"))


# -- max / min -------------------------------------------------------------------------------
def _evenly_distribute(ns, grad, x, result):
    """The gradient of a whole-tensor max/min/median: split evenly among the elements equal to
    the result (among the NaNs when the result is NaN), PyTorch's evenly_distribute_backward."""
    mask = (x == result) | ((x != x) & (result != result))
    return ns.where(mask, grad / ns.count(mask), 0.0)


class _MaxMinAllBackward(Node):
    """Whole-tensor max/min: the gradient is split evenly among tied elements (PyTorch)."""
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        return (_evenly_distribute(ns, grad, x, result),)

    def jvp(self, ns, tangents, x, result):
        """JVP: the mean of t over the elements equal to the result (PyTorch's
        evenly_read_jvp: NaN when the result is NaN, unlike the backward)."""
        mask = x == result
        with _quiet():
            return ns.sum_dims(ns.where(mask, tangents[0], 0.0), tuple(range(len(x.shape))),
                               False) / ns.count(mask)


class MaxBackward1(_MaxMinAllBackward):
    """d max(x)/dx: 1/k at each of the k maximal elements (the NaNs, if any), else 0."""
    __slots__ = ()


class MinBackward1(_MaxMinAllBackward):
    """d min(x)/dx: 1/k at each of the k minimal elements (the NaNs, if any), else 0."""
    __slots__ = ()


class _MaxMinDimBackward(Node):
    """max/min along a dim: all of the gradient to the selected index."""
    __slots__ = ("dim", "keepdim", "idx", "shape", "arg_dim")  # idx: the indices, kept dims
    saved_names = ("indices",)
    saved_attrs = {"dim": _dim_attr, "keepdim": "keepdim", "self_sym_sizes": "shape"}

    def _mask(self) -> np.ndarray:
        """True at the selected index of each slice (x's shape)."""
        shape = self.shape
        if not shape:
            return np.ones((), bool)
        ax = self.dim
        return np.arange(shape[ax]).reshape([-1 if i == ax else 1 for i in range(len(shape))]) \
            == self.idx

    def backward(self, ns, grad, indices):
        if not self.keepdim and self.shape:
            grad = ns.unsqueeze_dims(grad, (self.dim,))
        if ns.INPLACE and self.shape:
            # scatter into zeros as PyTorch does, not a select over every element
            out = np.zeros(self.shape, grad.dtype)
            out[_grid(self.idx, self.dim)] = grad
            return (out,)
        if not ns.INPLACE and self.shape:   # PyTorch's zeros.scatter_(dim, indices, grad)
            zeros = ns.zeros(self.shape, grad._data.dtype)   # (the Tensor path: grad's array)
            return (ns.scatter(zeros, self.dim, ns.const(self.idx), grad),)
        return (ns.where(ns.const(self._mask()), grad, 0.0),)

    def jvp(self, ns, tangents, indices):
        """JVP: t at the selected index of each slice."""
        t = tangents[0]
        if not self.shape:
            return t
        return ns.sum_dims(ns.where(self._mask(), t, 0.0), (self.dim,), self.keepdim)


class MaxBackward0(_MaxMinDimBackward):
    """d max(x, dim)/dx: 1 at the reported (first maximal) index of each slice, else 0."""
    __slots__ = ()


class MinBackward0(_MaxMinDimBackward):
    """d min(x, dim)/dx: 1 at the reported (first minimal) index of each slice, else 0."""
    __slots__ = ()


class _KeepdimUnset(int):
    """max/min's ``keepdim`` not given: False (also to vmap's rules), but given without a dim it
    fits none of PyTorch's overloads."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "False"


KEEPDIM_UNSET = _KeepdimUnset(0)
_MAX_OPTIONS = ("()", "(Tensor other)", "(int dim, bool keepdim = False)")
_MAX_FUNCTION_OPTIONS = (
    "(Tensor input, *, Tensor out = None)", "(Tensor input, Tensor other, *, Tensor out = None)",
    "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)")


def _maxmin(input, dim, keepdim, is_max: bool, other=None):
    if other is not None or isinstance(dim, Tensor):
        return (maximum if is_max else minimum)(input, other if other is not None else dim)
    x = input._data
    name = "max" if is_max else "min"
    if dim is None:   # given explicitly: no overload takes None (the public wrapper words it)
        raise int_arg_error(None, f"{name}(): argument 'dim' must be int, not NoneType")
    if dim is NO_DIM:
        if keepdim is not KEEPDIM_UNSET:   # keepdim without dim fits no overload
            raise invalid_args(_MAX_OPTIONS, _MAX_FUNCTION_OPTIONS)
        dim = None
    if keepdim is KEEPDIM_UNSET:
        keepdim = False
    if dim is None:
        if x.size == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel()"
                               " == 0. Specify the reduction dim with the 'dim' argument.")
        out = x.max() if is_max else x.min()
        return record1(MaxBackward1 if is_max else MinBackward1, input, out, (input, RESULT))
    d = wrap_dim(dim, x.ndim)
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    xd = x if x.ndim else x.reshape(1)
    ax = d if x.ndim else 0
    # (the methods: np.argmax's Python wrapper cost more than the work on small inputs)
    idx = xd.argmax(axis=ax, keepdims=True) if is_max else xd.argmin(axis=ax, keepdims=True)
    vals = xd[_grid(idx, ax)]       # the selected values (index grids cached per shape)
    if not keepdim or x.ndim == 0:
        vals = vals.reshape(xd.shape[:ax] + xd.shape[ax + 1:]) if x.ndim else vals.reshape(())
        idx_out = idx.reshape(vals.shape)
    else:
        idx_out = idx
    indices = wrap(idx_out.astype(np.int64))
    values = record1(MaxBackward0 if is_max else MinBackward0, input, vals, indices, dim=d,
                     keepdim=keepdim, arg_dim=dim, idx=idx if x.ndim else idx.reshape(()),
                     shape=x.shape)
    return (return_max if is_max else return_min)(values, indices)


@export(torch='max', method='max', vmap=REDUCTION)
def max(input, dim=NO_DIM, keepdim=KEEPDIM_UNSET):  # noqa: A001
    return _maxmin(input, dim, keepdim, True)


@export(torch='min', method='min', vmap=REDUCTION)
def min(input, dim=NO_DIM, keepdim=KEEPDIM_UNSET):  # noqa: A001
    return _maxmin(input, dim, keepdim, False)


@export(torch='argmax', method='argmax', vmap=REDUCTION)
def argmax(input, dim=None, keepdim=False):
    return _argmaxmin(input, dim, keepdim, np.argmax, "argmax")


@export(torch='argmin', method='argmin', vmap=REDUCTION)
def argmin(input, dim=None, keepdim=False):
    return _argmaxmin(input, dim, keepdim, np.argmin, "argmin")


def _argmaxmin(input, dim, keepdim, fn, name):
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError(f"{name}(): does not support bool input")
    if dim is None:
        if x.size == 0:
            raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0.")
        out = np.asarray(fn(x), dtype=np.int64)
        return wrap(out.reshape((1,) * x.ndim) if keepdim else out)
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return wrap(np.zeros((), np.int64))
    if x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")
    return wrap(fn(x, axis=d, keepdims=keepdim).astype(np.int64))


# -- amax / amin / aminmax -------------------------------------------------------------------
def _scale_grad_by_count(ns, grad, x, result, dims, keepdim):
    """amax/amin: the gradient shared evenly among the elements equal to the result
    (PyTorch's scale_grad_by_count; NaN results give NaN gradients, as there)."""
    ndim = len(x.shape)
    g = _unsqueeze_reduced(ns, grad, ndim, dims, keepdim)
    r = _unsqueeze_reduced(ns, result, ndim, dims, keepdim)
    mask = r == x
    with _quiet():
        return (g / ns.sum_dims(mask, dims, True)) * mask


class AmaxBackward0(Node):
    """d amax(x)/dx: the gradient split evenly among the maximal elements of each slice."""
    __slots__ = ("dims", "keepdim", "arg_dim")
    saved_names = ("self", "result")
    saved_attrs = {"dim": lambda node: _pt_dims(node.arg_dim) or (), "keepdim": "keepdim"}

    def backward(self, ns, grad, x, result):
        return (_scale_grad_by_count(ns, grad, x, result, self.dims, self.keepdim),)

    def jvp(self, ns, tangents, x, result):
        """JVP: the mean of t over the elements equal to the result in each slice."""
        (jac,) = self.backward(ns, np.ones_like(result), x, result)
        return reduced_jvp(ns, jac, tangents[0], self.dims, self.keepdim)


class AminBackward0(AmaxBackward0):
    """d amin(x)/dx: the gradient split evenly among the minimal elements of each slice."""
    __slots__ = ()


def _amaxmin(input, dim, keepdim, is_max: bool):
    x = input._data
    name = "amax" if is_max else "amin"
    dims = _reduced_dims(input, dim)
    if x.ndim == 0:
        dims = None
    if dims is None and x.size == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           "== 0. Specify the reduction dim with the 'dim' argument.")
    _check_nonempty(name, x, dims)
    out = np.asarray((np.max if is_max else np.min)(x, axis=dims, keepdims=keepdim))
    return record1(AmaxBackward0 if is_max else AminBackward0, input, out, (input, RESULT),
                   dims=_all_dims(x.ndim, dims), keepdim=keepdim, arg_dim=dim)


@export(method=True, vmap=REDUCTION)
def amax(input, dim=(), keepdim=False):
    return _amaxmin(input, dim, keepdim, True)


@export(method=True, vmap=REDUCTION)
def amin(input, dim=(), keepdim=False):
    return _amaxmin(input, dim, keepdim, False)


class AminmaxBackward0(Node):
    """aminmax: amin's gradient plus amax's gradient (each split evenly among ties)."""
    __slots__ = ("dims", "keepdim", "arg_dim")
    saved_names = ("self", "max", "min")
    saved_attrs = {"dim": lambda node: None if node.arg_dim is None else u64(node.arg_dim),
                   "keepdim": "keepdim"}
    num_outputs = 2

    def apply(self, ns, grads, as_tensors):
        x, mx, mn = self.unpack(as_tensors)
        g_min, g_max = grads
        out = None
        if g_min is not None:
            out = _scale_grad_by_count(ns, g_min, x, mn, self.dims, self.keepdim)
        if g_max is not None:
            gm = _scale_grad_by_count(ns, g_max, x, mx, self.dims, self.keepdim)
            out = gm if out is None else out + gm
        return (out,)

    def jvp(self, ns, tangents, x, mx, mn):
        """JVP: (min, max) each the mean of t over the elements equal to it in each slice."""
        t = tangents[0]
        return tuple(reduced_jvp(ns, _scale_grad_by_count(ns, np.ones_like(r), x, r, self.dims,
                                                          self.keepdim), t, self.dims,
                                 self.keepdim) for r in (mn, mx))


@export(method=True, vmap=REDUCTION)
def aminmax(input, *, dim=None, keepdim=False):
    x = input._data
    if dim is None:
        if x.size == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        dims = None
    else:
        d = wrap_dim(dim, x.ndim)
        dims = None if x.ndim == 0 else (d,)
        if x.ndim and x.shape[d] == 0:
            raise IndexError(f"aminmax: Expected reduction dim {d} to have non-zero size.")
    lo = np.asarray(np.min(x, axis=dims, keepdims=keepdim))
    hi = np.asarray(np.max(x, axis=dims, keepdims=keepdim))
    if not needs_grad1(input):
        return return_aminmax(wrap(lo), wrap(hi))
    node = make_node(AminmaxBackward0, (input,), lo)
    node.dims, node.keepdim, node.arg_dim = _all_dims(x.ndim, dims), keepdim, dim
    t_lo, t_hi = wrap(lo, node), wrap(hi, node)
    t_hi._extra().out_nr = 1
    node.save(input, SavedOutput(t_hi), SavedOutput(t_lo))
    return return_aminmax(t_lo, t_hi)
