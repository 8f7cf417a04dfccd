"""Scans along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp."""
from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ...autograd.node import Node
from ...autograd.node import LINEAR
from .._registry import dims, export
from .._util import needs_grad1, wrap, wrap_dim
from ...autograd._record import RESULT, record1
from .basic import _dim_attr, _dtype_name, _quiet
from .minmax import _return_type
from ..shape.join import cat as _cat

return_cummax = _return_type("cummax")
return_cummin = _return_type("cummin")


def _rev_cumsum(ns, t, dim):
    return ns.flip(ns.cumsum(ns.flip(t, (dim,)), dim), (dim,))


_NO_DIM = object()


def _scan_input(input, dim, dtype, int_to_long: bool, name: str = "cumsum"):
    if dim is _NO_DIM:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    x = input._data
    if dtype is not None:
        x = x.astype(dtype.np)
    elif int_to_long and x.dtype.kind in "iub":
        x = x.astype(np.int64)
    return x, wrap_dim(dim, x.ndim)


# -- cumsum ----------------------------------------------------------------------------------
class CumsumBackward0(Node):
    """d cumsum(x)_j/dx_i = 1 for i <= j: the gradient's reversed cumulative sum."""
    jvp = LINEAR
    __slots__ = ("dim", "arg_dim")
    saved_attrs = {"dim": _dim_attr}

    def backward(self, ns, grad):
        if len(grad.shape) == 0:
            return (grad,)
        return (_rev_cumsum(ns, grad, self.dim),)


@export(method=True, inplace=True, vmap=dims('dim'))
def cumsum(input, dim=_NO_DIM, *, dtype=None):
    x, d = _scan_input(input, dim, dtype, True)
    with _quiet():
        if not x.ndim:
            out = x.copy()
        elif x.dtype.kind == "f" and x.dtype.itemsize < 8:
            # PyTorch accumulates float32/float16 scans in double (1e5 x 0.1 ends at 10000.0)
            out = np.cumsum(x, axis=d, dtype=np.float64).astype(x.dtype)
        else:
            out = np.cumsum(x, axis=d, dtype=x.dtype)  # NumPy would widen cumsum(dtype=int16)
    return record1(CumsumBackward0, input, out, dim=d, arg_dim=dim)


# -- cumprod ---------------------------------------------------------------------------------
def _cumprod_grad_with_zeros(ns, grad, x, result, d):
    """O(n): before the first zero of a slice the usual formula; at the first zero the
    product of the others; after it 0 (PyTorch's first-order cumprod_backward)."""
    is_zero = x == 0
    cz = ns.cumsum(is_zero, d)
    before = cz == 0
    first = is_zero & (cz == 1)
    with _quiet():
        a = ns.where(before, _rev_cumsum(ns, result * grad, d) / ns.where(before, x, 1.0), 0.0)
    b = ns.where(cz >= 1, grad * ns.cumprod(ns.where(first, 1.0, x), d), 0.0)
    return a + ns.where(first, ns.sum_dims(b, (d,), True), 0.0)


def _cumprod_grad_graph(grad, x, d):
    """The Tensor path (create_graph) with a zero in x: PyTorch's O(n^2) cumprod_backward
    under grad mode, op for op, so the graph is its graph: for each k the product of the
    others, omitted_k (prod of x[:k] (ProdBackward1) times cumprod of x[k+1:] (CumprodBackward0),
    joined by cat), and grad_x[k] = sum(grad[k:] * omitted_k) copied into a select of a zero
    tensor (a chain of CopySlices)."""
    n = x.shape[d]
    ones_size = list(x.shape)
    ones_size[d] = 1
    ones = wrap(np.ones(1, grad._data.dtype)).expand(ones_size)
    out = wrap(np.zeros(x.shape, grad._data.dtype))
    for k in range(n):   # narrow, not x[...]: PyTorch's slice records SliceBackward0 even
        if k == 0:         # for the whole dim (grad.slice(dim, 0)), where x[0:] is an alias
            omitted = _cat([ones, x.narrow(d, 1, n - 1).cumprod(d)], d)
        else:
            until_k = x.narrow(d, 0, k).prod(d, True)
            if k == n - 1:
                omitted = until_k
            else:
                from_k1 = x.narrow(d, k + 1, n - k - 1).cumprod(d)
                omitted = _cat([until_k, until_k.expand_as(from_k1) * from_k1], d)
        out.select(d, k).copy_((grad.narrow(d, k, n - k) * omitted).sum(d))
    return out


def _cumprod_grad_quadratic(ns, grad, x, d):
    """grad_x[k] = sum_{j >= k} grad[j] prod_{i <= j, i != k} x[i], built as an n x n matrix:
    a polynomial in x, so its own derivative is exact (PyTorch's double-backward path)."""
    n = x.shape[d]
    eye = np.eye(n, dtype=bool)
    upper = np.triu(np.ones((n, n), dtype=bool))  # [k, j]: j >= k
    xt = ns.unsqueeze_dims(ns.transpose(x, d, -1), (-2,))
    gt = ns.unsqueeze_dims(ns.transpose(grad, d, -1), (-2,))
    prods = ns.cumprod(ns.where(ns.const(eye), 1.0, xt), -1)
    res = ns.sum_dims(ns.where(ns.const(upper), prods, 0.0) * gt, (-1,), False)
    return ns.transpose(res, d, -1)


class CumprodBackward0(Node):
    """d cumprod(x)_j/dx_k = prod_{i <= j, i != k} x_i for k <= j; without zeros that is
    result_j / x_k, so the gradient is reversed_cumsum(grad * result) / x."""
    __slots__ = ("dim", "arg_dim")
    saved_names = ("self", "result")
    saved_attrs = {"dim": _dim_attr}

    def backward(self, ns, grad, x, result):
        shape = x.shape
        d = self.dim
        if len(shape) == 0 or int(np.prod(shape)) <= 1 or shape[d] == 1:
            return (grad,)
        has_zero = bool(ns.count(x == 0))
        if not has_zero:
            with _quiet():
                return (_rev_cumsum(ns, result * grad, d) / x,)
        if not _grad_mode.is_grad_enabled():
            return (_cumprod_grad_with_zeros(ns, grad, x, result, d),)
        if not ns.INPLACE:
            return (_cumprod_grad_graph(grad, x, d),)
        return (_cumprod_grad_quadratic(ns, grad, x, d),)

    def jvp(self, ns, tangents, x, result):
        """JVP: sum_{k <= j} t_k prod_{i <= j, i != k} x_i, which is result * cumsum(t / x)
        before a slice's first zero, t at the first zero times the cumulative product of the
        others from it until the second zero, and 0 after that."""
        t, d = tangents[0], self.dim
        if len(x.shape) == 0 or x.shape[d] <= 1:
            return t
        is_zero = x == 0
        if not ns.count(is_zero):
            return result * ns.cumsum(t / x, d)
        cz = ns.cumsum(is_zero, d)
        before = cz == 0
        first = is_zero & (cz == 1)
        with _quiet():
            a = ns.where(before, result * ns.cumsum(ns.where(before, t / ns.where(before, x, 1.0),
                                                             0.0), d), 0.0)
        t0 = ns.sum_dims(ns.where(first, t, 0.0), (d,), True)
        return a + ns.where(cz == 1, t0 * ns.cumprod(ns.where(first, 1.0, x), d), 0.0)


@export(method=True, inplace=True, vmap=dims('dim'))
def cumprod(input, dim=_NO_DIM, *, dtype=None):
    x, d = _scan_input(input, dim, dtype, True, "cumprod")
    with _quiet():
        out = np.cumprod(x, axis=d) if x.ndim else x.copy()
    return record1(CumprodBackward0, input, out, (input, RESULT), dim=d, arg_dim=dim)


# -- cummax / cummin -------------------------------------------------------------------------
def _scatter_index(shape, dim, idx):
    """The advanced index that puts ``idx`` (positions along ``dim``) in place: broadcast
    aranges for the other dims."""
    nd = len(shape)
    return tuple(idx if i == dim else
                 np.arange(idx.shape[i]).reshape([-1 if j == i else 1 for j in range(nd)])
                 for i in range(nd))


class _ScatterBackward(Node):
    """The gradient of each output element goes to the input element it was taken from."""
    __slots__ = ("shape", "index", "dim", "keepdim", "arg_dim")
    saved_names = ("indices",)
    # PyTorch's saved values of the selecting ops (sort, topk, kthvalue, median, mode)
    saved_attrs = {"dim": _dim_attr, "keepdim": "keepdim", "self_sym_sizes": "shape"}

    def backward(self, ns, grad, indices):
        if len(self.shape) == 0:
            return (grad,)
        if not self.keepdim:
            grad = ns.unsqueeze_dims(grad, (self.dim,))
        return (ns.index_acc(self.shape, self.index, grad),)

    def jvp(self, ns, tangents, *saved):
        """JVP: t at the positions the values were taken from (take_along_dim(t, indices))."""
        t = tangents[0]
        if len(self.shape) == 0:
            return t
        t = t[self.index]
        return t if self.keepdim else ns.squeeze_dim(t, self.dim)


class CummaxBackward0(_ScatterBackward):
    """d cummax(x)_j/dx_i = 1 for the i holding the running maximum (scatter-add)."""
    __slots__ = ()
    saved_names = ("self", "indices")
    saved_attrs = {"dim": _dim_attr}

    def backward(self, ns, grad, x, indices):
        return super().backward(ns, grad, indices)


class CumminBackward0(CummaxBackward0):
    """d cummin(x)_j/dx_i = 1 for the i holding the running minimum (scatter-add)."""
    __slots__ = ()


def _cumext(input, dim, is_max: bool):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        vals, idx = x.copy(), np.zeros((), np.int64)
    elif x.size == 0:
        vals, idx = x.copy(), np.zeros(x.shape, np.int64)
    else:
        ufunc = np.maximum if is_max else np.minimum
        vals = ufunc.accumulate(x, axis=d)
        hit = x == vals  # x is a new running extreme (ties: the later index, like PyTorch)
        if x.dtype.kind == "f":
            hit |= np.isnan(x)
        pos = np.arange(x.shape[d]).reshape([-1 if i == d else 1 for i in range(x.ndim)])
        idx = np.maximum.accumulate(np.where(hit, pos, -1), axis=d).astype(np.int64)
    indices = wrap(idx)
    rt = return_cummax if is_max else return_cummin
    if not needs_grad1(input):   # (the scatter index below is built for backward only)
        return rt(wrap(vals), indices)
    return rt(record1(CummaxBackward0 if is_max else CumminBackward0, input, vals, (input, indices),
                      shape=x.shape, dim=d, keepdim=True, arg_dim=dim,
                      index=_scatter_index(x.shape, d, idx) if x.ndim else ()), indices)


@export(method=True, vmap=dims('dim'))
def cummax(input, dim):
    return _cumext(input, dim, True)


@export(method=True, vmap=dims('dim'))
def cummin(input, dim):
    return _cumext(input, dim, False)


# -- logcumsumexp ----------------------------------------------------------------------------
class LogcumsumexpBackward0(Node):
    """d logcumsumexp(x)_j/dx_i = exp(x_i - result_j) for i <= j, summed in log space on the
    positive and negative parts of the gradient separately (PyTorch's stable formula)."""
    __slots__ = ("dim", "arg_dim")
    saved_names = ("self", "result")
    saved_attrs = {"dim": _dim_attr}

    def backward(self, ns, grad, x, result):
        if len(grad.shape) == 0 or int(np.prod(grad.shape)) == 0:
            return (grad,)
        d = self.dim
        lowest = float(np.finfo(self._dtype).min)

        def rev_lcse(t):
            return ns.flip(ns.logcumsumexp(ns.flip(t, (d,)), d), (d,))

        with _quiet():
            if ns.INPLACE:
                pos = ns.where(grad > 0, ns.log(ns.where(grad > 0, grad, 1.0)), lowest)
                neg = ns.where(grad < 0, ns.log(ns.where(grad < 0, -grad, 1.0)), lowest)
            else:   # create_graph: PyTorch's graph, log|grad| once (AbsBackward0, LogBackward0)
                log_abs = ns.log(ns.abs(grad))
                pos = ns.where(grad > 0, log_abs, lowest)
                neg = ns.where(grad < 0, log_abs, lowest)
            return (ns.exp(rev_lcse(pos - result) + x) - ns.exp(rev_lcse(neg - result) + x),)

    def jvp(self, ns, tangents, x, result):
        """JVP: sum_{i <= j} exp(x_i - result_j) t_i, summed in log space on the positive and
        negative parts of t separately (no overflow or underflow of exp(x))."""
        t = tangents[0]
        if len(t.shape) == 0 or int(np.prod(t.shape)) == 0:
            return t
        d = self.dim
        lowest = float(np.finfo(self._dtype).min)
        with _quiet():
            pos = ns.where(t > 0, ns.log(ns.where(t > 0, t, 1.0)), lowest)
            neg = ns.where(t < 0, ns.log(ns.where(t < 0, -t, 1.0)), lowest)
            return (ns.exp(ns.logcumsumexp(pos + x, d) - result)
                    - ns.exp(ns.logcumsumexp(neg + x, d) - result))


@export(method=True, vmap=dims('dim'))
def logcumsumexp(input, dim):
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(
            f"\"logcumsumexp_out_cpu\" not implemented for '{_dtype_name(x.dtype)}'")
    d = wrap_dim(dim, x.ndim)
    with _quiet():
        out = np.logaddexp.accumulate(x, axis=d) if x.ndim and x.size else x.copy()
    return record1(LogcumsumexpBackward0, input, out, (input, RESULT), dim=d, arg_dim=dim)
