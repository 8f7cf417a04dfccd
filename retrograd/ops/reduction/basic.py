"""Reductions: sum, mean, prod, nansum/nanmean, all/any, count_nonzero, and the engine's
sum_to_size; the helpers of the reduction family.

max/min, amax/amin, aminmax, argmax/argmin live in ``minmax.py``, statistics (var, std) in
``stats.py``, scans (cumsum, cumprod, cummax, logcumsumexp) in ``cumulative.py``.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from ...autograd.node import Node
from ...autograd.node import LINEAR
from .._registry import REDUCTION, export, reduction
from .._util import Tensor, needs_grad1, quiet, u64, wrap, wrap_dims, wrap_dim
from ...autograd._record import RESULT, record1
from ..elementwise.arithmetic import div
from ..elementwise.compare import maximum
from ..elementwise.compare import minimum
from ... import _dtype as D


_quiet = quiet   # IEEE results without NumPy's warnings (x/0 = inf, log(0) = -inf, like PyTorch)


class _NoDim:
    """The default of sum's and mean's ``dim``: PyTorch records ``sum(x)`` as SumBackward0 but
    ``sum(x, None)`` as SumBackward1 with ``_saved_dim`` None, so "not given" and None differ."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "None"


NO_DIM = _NoDim()


def _reduced_dims(input: Tensor, dim) -> tuple | None:
    """None for "all dims"; else the normalised tuple (an empty list/tuple also means all)."""
    if dim is None or dim is NO_DIM or (isinstance(dim, (list, tuple)) and len(dim) == 0):
        return None
    dims = wrap_dims(dim, input._data.ndim)
    return () if input._data.ndim == 0 else dims  # dim 0 of a 0-d tensor reduces nothing


def _all_dims(ndim: int, dims) -> tuple:
    """The reduced dims as a tuple (``None`` meaning every dim)."""
    return tuple(range(ndim)) if dims is None else dims


def _numel(shape, dims) -> int:
    if dims is None:
        return math.prod(shape)
    return math.prod([shape[d] for d in dims])


def _unsqueeze_reduced(ns, t, ndim, dims, keepdim):
    """A reduced result (or its gradient) with the reduced dims put back as size 1."""
    if keepdim or ndim == 0:
        return t
    dims = _all_dims(ndim, dims)
    return ns.unsqueeze_dims(t, dims) if dims else t


def reduced_jvp(ns, jac, t, dims, keepdim):
    """The JVP of a reduction whose every result element reads only its own slice of x:
    sum over the slice of d result/dx * t. ``jac``: the backward formula at a gradient of ones
    (that row of the Jacobian, laid out like x); ``dims`` None: every dim."""
    return ns.sum_dims(jac * t, _all_dims(len(jac.shape), dims), keepdim)


def _restore_dims(ns, grad, shape, dims, keepdim):
    """Broadcast a reduced gradient back to the input's shape."""
    if dims is not None and not keepdim and len(shape) > 0:
        grad = ns.unsqueeze_dims(grad, dims)
    return ns.expand(grad, shape)


def _dtype_name(np_dtype) -> str:
    return D.SCALAR_NAMES[np.dtype(np_dtype).name]


# -- saved values as PyTorch's nodes expose them (grad_fn._saved_dim, ...) ---------------------
def _pt_dims(dim):
    """An ``int[1]?`` dim argument as PyTorch saves it: None, or a tuple (an int gives (d,))."""
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        return tuple(u64(d) for d in dim)
    return (u64(dim),)


def _dim_attr(node):
    """``_saved_dim`` of a node whose dim argument is an int (max, prod, cumsum, sort...)."""
    return u64(node.arg_dim)


def _dims_attr(node):
    """``_saved_dim`` of a node whose dim argument is ``int[1]?`` (sum, mean, var...)."""
    return _pt_dims(node.arg_dim)


def _numel_of_shape(node) -> int:
    """PyTorch's ``self_sym_numel``: the input's number of elements."""
    return math.prod(node.shape)


def _check_nonempty(name: str, x: np.ndarray, dims, *, kind=IndexError) -> None:
    """torch's error for reducing an empty dim with an op that has no identity (max, amax...)."""
    if x.size:
        return
    if dims is None:
        dims = tuple(range(x.ndim))
    for d in dims:
        if x.shape[d] == 0:
            raise kind(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# -- sum / mean ------------------------------------------------------------------------------
class SumBackward0(Node):
    """d sum(x)/dx = 1 everywhere: the gradient broadcast back to x's shape."""
    jvp = LINEAR
    __slots__ = ("shape",)
    saved_attrs = {"self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        return (ns.expand(grad, self.shape),)


class SumBackward1(Node):
    """d sum(x, dim)/dx = 1: the gradient unsqueezed at dim and broadcast back."""
    jvp = LINEAR
    __slots__ = ("shape", "dims", "keepdim", "arg_dim")
    saved_attrs = {"dim": _dims_attr, "keepdim": "keepdim", "self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        return (_restore_dims(ns, grad, self.shape, self.dims, self.keepdim),)


def _sum_dtype(x: np.ndarray, dtype):
    if dtype is not None:
        return dtype.np
    return np.int64 if x.dtype.kind in "iub" else None


@export(torch='sum', method='sum', vmap=REDUCTION)
def sum(input, dim=NO_DIM, keepdim=False, *, dtype=None):  # noqa: A001
    if not isinstance(keepdim, bool):
        raise TypeError(f"sum(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")
    x = input._data
    dims = _reduced_dims(input, dim)
    if x.dtype.kind == "f":  # inf - inf is NaN without a warning, as in PyTorch
        with _quiet():
            out = x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype))
    else:
        out = x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype))
    if dim is NO_DIM:
        return record1(SumBackward0, input, out, shape=x.shape)
    return record1(SumBackward1, input, out, shape=x.shape, dims=dims, keepdim=keepdim, arg_dim=dim)


@export(torch=False, method='sum_to_size')
def sum_to_size(input, *size):
    """Sum ``input`` down to ``size`` (the reverse of broadcasting)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    x = input._data
    if not shape:   # at::sum_to: a plain sum() (SumBackward0), a 0-d input included
        return sum(input)
    if x.shape == shape:
        return input
    lead = x.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                      if s == 1 and x.shape[i + lead] != 1)
    out = sum(input, dims, keepdim=True) if dims else input
    return out.view(shape) if lead else out   # PyTorch's at::sum_to: a view (ViewBackward0)


class MeanBackward0(Node):
    """d mean(x)/dx = 1/n."""
    jvp = LINEAR
    __slots__ = ("shape", "n")
    saved_attrs = {"self_sym_numel": _numel_of_shape, "self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's grad.expand(sizes) / numel (DivBackward1)
            return (ns.div_scalar(ns.expand(grad, self.shape), self.n),)
        return (ns.expand(grad / self.n, self.shape),)


class MeanBackward1(Node):
    """d mean(x, dim)/dx = 1/n over the reduced dims."""
    jvp = LINEAR
    __slots__ = ("shape", "dims", "keepdim", "n", "arg_dim")
    saved_attrs = {"dim": _dims_attr, "keepdim": "keepdim", "self_sym_numel": _numel_of_shape,
                   "self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's mean_backward, expanded / numel (DivBackward1)
            return (ns.div_scalar(_restore_dims(ns, grad, self.shape, self.dims, self.keepdim),
                                  self.n),)
        return (_restore_dims(ns, grad / self.n, self.shape, self.dims, self.keepdim),)


@export(torch='mean', method='mean', vmap=REDUCTION)
def mean(input, dim=NO_DIM, keepdim=False, *, dtype=None):
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.np)
    if x.dtype.kind != "f":
        which = "Input" if dtype is None else "Optional"
        raise RuntimeError(f"mean(): could not infer output dtype. {which} dtype must be either "
                           f"a floating point or complex dtype. Got: {_dtype_name(x.dtype)}")
    dims = _reduced_dims(input, dim)
    with _quiet():
        out = x.mean(axis=dims, keepdims=keepdim) if x.size else \
            np.full(np.sum(x, axis=dims, keepdims=keepdim).shape, np.nan, dtype=x.dtype)
    n = _numel(x.shape, dims)
    if dim is NO_DIM:
        return record1(MeanBackward0, input, out, shape=x.shape, n=n)
    return record1(MeanBackward1, input, out, shape=x.shape, dims=dims, keepdim=keepdim, n=n,
                   arg_dim=dim)


# -- nansum / nanmean ------------------------------------------------------------------------
class NansumBackward0(Node):
    """d nansum(x)/dx = 1 where x is not NaN, 0 at the NaNs."""
    __slots__ = ("dims", "keepdim", "arg_dim")
    saved_names = ("self",)
    saved_attrs = {"dim": _dims_attr, "keepdim": "keepdim"}

    def backward(self, ns, grad, x):
        g = _restore_dims(ns, grad, x.shape, self.dims, self.keepdim)
        return (ns.where(x != x, 0.0, g),)

    def jvp(self, ns, tangents, x):
        """JVP: the sum of t over the reduced dims, without the NaNs' places (not nansum(t):
        the tangent at a NaN input need not be NaN)."""
        t = ns.where(x != x, 0.0, tangents[0])
        return ns.sum_dims(t, _all_dims(len(x.shape), self.dims), self.keepdim)


@export(method=True, vmap=REDUCTION)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    x = input._data
    dims = _reduced_dims(input, dim)
    with _quiet():
        out = np.nansum(x, axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype)) \
            if x.dtype.kind == "f" else \
            x.sum(axis=dims, keepdims=keepdim, dtype=_sum_dtype(x, dtype))
    out = np.asarray(out)
    if dtype is None and x.dtype.kind == "f":
        out = out.astype(x.dtype, copy=False)
    return record1(NansumBackward0, input, out, input, dims=dims, keepdim=keepdim, arg_dim=dim)


@export(method=True, vmap=REDUCTION, composite=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """torch's composite: nansum(x) / (number of non-NaN elements)."""
    if input._data.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_dtype_name(input._data.dtype)}")
    dims = _reduced_dims(input, dim)
    counts = np.sum(~np.isnan(input._data), axis=dims, keepdims=keepdim)
    with _quiet():
        return div(nansum(input, dim, keepdim, dtype=dtype), wrap(np.asarray(counts)))


# -- prod ------------------------------------------------------------------------------------
def _prod_safe_zeros(ns, grad, inp, dim: int):
    """d prod/dx_i = prod of the other elements along ``dim``, without dividing by zero:
    exclusive cumulative products from the left and from the right (PyTorch's
    prod_safe_zeros_backward). ``grad`` has the reduced dim kept (size 1)."""
    n = inp.shape[dim]
    if n == 1:
        return grad
    pre = (slice(None),) * dim
    ones = ns.zeros_like(inp[pre + (slice(0, 1),)]) + 1
    left = ns.cumprod(ns.cat([ones, inp[pre + (slice(0, n - 1),)]], dim), dim)
    rev = ns.flip(inp[pre + (slice(1, n),)], (dim,))
    right = ns.flip(ns.cumprod(ns.cat([ones, rev], dim), dim), (dim,))
    return grad * (left * right)


class ProdBackward0(Node):
    """d prod(x)/dx_i = prod of the other elements (result / x_i when x has no zeros)."""
    __slots__ = ("shape", "has_zero")
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        if len(self.shape) == 0:
            return (grad,)
        if not self.has_zero:
            with _quiet():
                return (grad * (result / x),)
        flat = ns.reshape(x, (-1,))
        return (ns.reshape(_prod_safe_zeros(ns, ns.reshape(grad, (1,)), flat, 0), self.shape),)

    def jvp(self, ns, tangents, x, result):
        """JVP: sum_i (prod_{j != i} x_j) t_i."""
        (jac,) = self.backward(ns, np.ones_like(result), x, result)
        return reduced_jvp(ns, jac, tangents[0], None, False)


class ProdBackward1(Node):
    """d prod(x, dim)/dx_i = product of the other elements of x_i's slice."""
    __slots__ = ("shape", "dim", "keepdim", "has_zero", "arg_dim")
    saved_names = ("self", "result")
    saved_attrs = {"dim": _dim_attr, "keepdim": "keepdim"}

    def backward(self, ns, grad, x, result):
        if len(self.shape) == 0:
            return (grad,)
        if not self.keepdim:
            grad = ns.unsqueeze_dims(grad, (self.dim,))
            result = ns.unsqueeze_dims(result, (self.dim,))
        if not self.has_zero:
            with _quiet():
                return (grad * (result / x),)
        return (_prod_safe_zeros(ns, grad, x, self.dim),)

    def jvp(self, ns, tangents, x, result):
        """JVP: sum over dim of (prod of the slice's other elements) t."""
        if len(self.shape) == 0:
            return tangents[0]
        (jac,) = self.backward(ns, np.ones_like(result), x, result)
        return reduced_jvp(ns, jac, tangents[0], (self.dim,), self.keepdim)


@export(method=True, vmap=REDUCTION)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.np)
    odt = np.int64 if x.dtype.kind in "iub" else x.dtype
    if dim is None:
        d, keepdim = None, False
    else:
        d = wrap_dim(dim, x.ndim)
    with _quiet():
        out = np.asarray(np.prod(x, axis=() if x.ndim == 0 and d is not None else d,
                                 keepdims=keepdim, dtype=odt))
    if not needs_grad1(input):   # (has_zero below reads the whole input)
        return wrap(out)
    if d is None:
        return record1(ProdBackward0, input, out, (input, RESULT), shape=x.shape,
                       has_zero=bool((x == 0).any()))
    return record1(ProdBackward1, input, out, (input, RESULT), dim=d, keepdim=keepdim,
                   arg_dim=dim, shape=x.shape, has_zero=bool((x == 0).any()))


# -- all / any / count_nonzero ---------------------------------------------------------------
@export(torch='all', method='all', vmap=REDUCTION)
def all(input, dim=None, keepdim=False):  # noqa: A001
    dims = _reduced_dims(input, dim)
    return wrap(_logical(np.all, input._data, dims, keepdim))


@export(torch='any', method='any', vmap=REDUCTION)
def any(input, dim=None, keepdim=False):  # noqa: A001
    dims = _reduced_dims(input, dim)
    return wrap(_logical(np.any, input._data, dims, keepdim))


def _logical(fn, x, dims, keepdim):
    out = np.asarray(fn(x, axis=dims, keepdims=keepdim))
    return out.astype(np.uint8) if x.dtype == np.uint8 else out  # torch keeps uint8 here


@export(method=True, vmap=reduction(keepdim=None))
def count_nonzero(input, dim=None):
    x = input._data
    dims = None if dim is None else wrap_dims(dim, x.ndim)
    if x.ndim == 0 and dims is not None:
        dims = ()
    return wrap(np.asarray(np.count_nonzero(x, axis=dims), dtype=np.int64))
