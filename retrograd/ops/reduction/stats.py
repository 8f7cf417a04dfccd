"""Statistical reductions: var, std, var_mean, std_mean.

(torch.norm / Tensor.norm are registered by the linalg family, in ``linalg_norm.py``, next to
torch.linalg.vector_norm and matrix_norm which they dispatch to; tests/op_db_reduction.py and
tests/test_reduction_values.py test them.)"""
from __future__ import annotations

import math

import numpy as np

from ... import _warn
from ...autograd.node import Node, SavedOutput
from .._registry import REDUCTION, export
from .._util import make_node, needs_grad1, wrap
from ...autograd._record import RESULT, record1
from .basic import (NO_DIM, _all_dims, _dims_attr, _numel, _quiet, _reduced_dims,
                        _restore_dims, _unsqueeze_reduced, reduced_jvp)


# -- var / std -------------------------------------------------------------------------------
def _var_backward(ns, grad, x, node):
    """d var(x)/dx = 2 (x - mean) / (N - correction), PyTorch's var_backward: over the whole
    tensor NaN/inf when the degrees of freedom are <= 0; along dims 2 / (N - correction) as
    it is (inf at 0, negative below), N counted as PyTorch does (1 for an empty dim list)."""
    if not ns.INPLACE:
        return _var_backward_graph(ns, grad, x, node)
    dims, correction = node.dims, node.correction
    with _quiet():
        if node.full:
            n = _numel(x.shape, None)
            every = tuple(range(len(x.shape)))
            m = ns.sum_dims(x, every, False) / n if n else ns.sum_dims(x, every, False)
            dof = n - correction
            if dof <= 0:
                return grad * ns.where(x == m, math.nan, math.inf)
            return (2.0 / dof) * grad * (x - m)
        g = _unsqueeze_reduced(ns, grad, len(x.shape), dims, node.keepdim)
        dof = node.rnumel - correction
        scale = 2.0 / dof if dof != 0 else math.inf
        n = _numel(x.shape, dims)
        return scale * g * (x - ns.sum_dims(x, dims, True) / n)


def _dims_given(dim) -> bool:
    """Whether the call named dims (an empty list reduces everything, and PyTorch's backward
    then unsqueezes nothing: the reduced gradient broadcasts)."""
    return dim is not None and not (isinstance(dim, (list, tuple)) and len(dim) == 0)


def _var_backward_graph(ns, grad, x, node):
    """var_backward under create_graph, built from the ops PyTorch's C++ formula calls, so the
    graph holds its nodes: ``(2 / dof) * grad`` (MulBackward1), ``x - x.mean()`` (MeanBackward0
    over everything, MeanBackward1 over dims, keepdim), the gradient unsqueezed only for an
    input of more than one dim and a non-empty dim list (else the reduced gradient broadcasts)."""
    correction = node.correction
    with _quiet():
        if node.full:
            m = ns.mean_dims(x, None, False)
            dof = _numel(x.shape, None) - correction
            if dof <= 0:
                return grad * ns.where(x == m, math.nan, math.inf)
            return ns.mul_scalar(grad, 2.0 / dof) * (x - m)
        if not node.keepdim and len(x.shape) > 1 and _dims_given(node.arg_dim):
            grad = ns.unsqueeze_dims(grad, node.dims)
        dof = node.rnumel - correction
        scale = 2.0 / dof if dof != 0 else math.inf
        return ns.mul_scalar(grad, scale) * (x - ns.mean_dims(x, node.dims, True))


def _std_to_var_grad(ns, grad, std):
    """d std = d var / (2 std), with 0 where std == 0 (PyTorch's std_backward: under
    create_graph ``(grad / (std * 2)).masked_fill_(std == 0, 0)``, its nodes)."""
    with _quiet():
        if not ns.INPLACE:
            return ns.masked_fill(grad / ns.mul_scalar(std, 2), std == 0, 0.0)
        return ns.where(std == 0, 0.0, grad / (std * 2))


class _VarStdNode(Node):
    """What var/std and their _mean forms share: the reduced dims and the correction.
    ``arg_dim`` and ``arg_correction`` are the dim and correction as PyTorch's node saves them
    (``_saved_dim``, ``_saved_correction``: None when the call gave neither a dim, an
    ``unbiased`` flag nor a correction)."""
    __slots__ = ("dims", "correction", "keepdim", "full", "rnumel", "arg_dim", "arg_correction")
    saved_attrs = {"correction": "arg_correction", "dim": _dims_attr, "keepdim": "keepdim"}

    def reduced(self, ns, jac, t):
        """sum over the reduced dims of jac * t (the JVP of a reduction: see reduced_jvp)."""
        if self.full:
            return reduced_jvp(ns, jac, t, None, False)
        return reduced_jvp(ns, jac, t, self.dims, self.keepdim)

    def var_jvp(self, ns, t, x):
        """JVP of var: sum(2 (x - mean(x)) / (N - correction) t) over the reduced dims."""
        ones = np.ones(self._shape, x.dtype)    # (var's result: the first output's shape)
        with _quiet():   # (inf or NaN where the degrees of freedom are <= 0)
            return self.reduced(ns, _var_backward(ns, ones, x, self), t)


class VarBackward0(_VarStdNode):
    """d var(x)/dx = 2 (x - mean(x)) / (N - correction)."""
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        return (_var_backward(ns, grad, x, self),)

    def jvp(self, ns, tangents, x):
        """JVP: sum(2 (x - mean(x)) t) / (N - correction) over the reduced dims."""
        return self.var_jvp(ns, tangents[0], x)


class StdBackward0(_VarStdNode):
    """d std(x)/dx = (x - mean(x)) / ((N - correction) std(x)); 0 where std is 0."""
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        gv = _std_to_var_grad(ns, grad, result)
        return (_var_backward(ns, gv, x, self),)

    def jvp(self, ns, tangents, x, result):
        """JVP: var's JVP / (2 std), 0 where std is 0."""
        return _std_to_var_grad(ns, self.var_jvp(ns, tangents[0], x), result)


def _mean_grad(ns, grad, shape, dims, keepdim, given=None):
    n = _numel(shape, dims)
    if not ns.INPLACE:  # PyTorch's mean_backward: sum_backward, then / n (DivBackward1)
        if dims is not None and not keepdim and shape and _dims_given(given):
            grad = ns.unsqueeze_dims(grad, dims)
        with _quiet():
            return ns.div_scalar(ns.expand(grad, shape), n)
    with _quiet():
        return _restore_dims(ns, grad / n if n else grad, shape, dims, keepdim)


class VarMeanBackward0(_VarStdNode):
    """var_mean: var's gradient 2 (x - mean)/(N - correction) plus mean's 1/N."""
    __slots__ = ()
    saved_names = ("self",)
    num_outputs = 2

    def apply(self, ns, grads, as_tensors):
        (x,) = self.unpack(as_tensors)
        return (_var_mean_grad(self, ns, grads[0], grads[1], x),)

    def jvp(self, ns, tangents, x):
        """JVP: (var's JVP, mean of t over the reduced dims)."""
        t = tangents[0]
        return self.var_jvp(ns, t, x), _mean_jvp(self, ns, t)


class StdMeanBackward0(_VarStdNode):
    """std_mean: std's gradient (x - mean)/((N - correction) std) plus mean's 1/N."""
    __slots__ = ()
    saved_names = ("self", "result0")
    num_outputs = 2

    def apply(self, ns, grads, as_tensors):
        x, std = self.unpack(as_tensors)
        gv = None if grads[0] is None else _std_to_var_grad(ns, grads[0], std)
        return (_var_mean_grad(self, ns, gv, grads[1], x),)

    def jvp(self, ns, tangents, x, std):
        """JVP: (var's JVP / (2 std), 0 where std is 0; mean of t over the reduced dims)."""
        t = tangents[0]
        return _std_to_var_grad(ns, self.var_jvp(ns, t, x), std), _mean_jvp(self, ns, t)


def _mean_jvp(node, ns, t):
    """mean(t) over the reduced dims (a NaN where they hold no element, as mean gives)."""
    dims = None if node.full else node.dims
    with _quiet():
        return ns.sum_dims(t, _all_dims(len(t.shape), dims), node.keepdim and not node.full) / \
            _numel(t.shape, dims)


def _var_mean_grad(node, ns, g_var, g_mean, x):
    out = None
    if g_var is not None:
        out = _var_backward(ns, g_var, x, node)
    if g_mean is not None:
        gm = _mean_grad(ns, g_mean, x.shape, None if node.full else node.dims, node.keepdim,
                        node.arg_dim)
        out = gm if out is None else out + gm
    return out


class _NoCorrection:
    """The default of ``correction``: given as None, PyTorch saves None; not given, it saves
    what the overload implies (see ``_var_args``)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "None"


NO_CORRECTION = _NoCorrection()


def _var_args(name, input, dim, unbiased, correction):
    dim_given = dim is not NO_DIM
    if not dim_given:
        dim = None
    correction_given = correction is not NO_CORRECTION
    if not correction_given:
        correction = None
    if isinstance(dim, bool):  # std(input, unbiased)
        if unbiased is not None:
            raise TypeError(f"{name}() received an invalid combination of arguments")
        dim, unbiased, dim_given = None, dim, False
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}() received an invalid combination of arguments - got "
                        "(Tensor, correction=..., unbiased=...)")
    # what PyTorch's node saves as _saved_correction: the correction as given (None included),
    # else 1/0 from unbiased, else 1 with a dim argument (var.dim's unbiased=True), else None
    if correction_given:
        arg_correction = correction
    elif unbiased is not None:
        arg_correction = 1 if unbiased else 0
    else:
        arg_correction = 1 if dim_given else None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    x = input._data
    if x.dtype.kind != "f":
        what = name if name.endswith("_mean") else "std and var"
        raise RuntimeError(f"{what} only support floating point and complex dtypes")
    dims = _reduced_dims(input, dim)
    full = dim is None or x.ndim == 0
    return x, dims, correction, full, dim, arg_correction


def _var_forward(name, x, dims, correction, keepdim):
    kept = () if dims is None else tuple(s for i, s in enumerate(x.shape) if i not in dims)
    out_numel = int(np.prod(kept, dtype=np.int64))
    n = x.size // out_numel if out_numel else 0  # torch's "reduction factor"
    if n - correction <= 0:
        _warn.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less "
                   "than the reduction factor (input numel divided by output numel).",
                   UserWarning)
    acc = x.astype(np.float64) if x.dtype != np.float64 else x
    with _quiet():
        mean = acc.mean(axis=dims, keepdims=True) if x.size else \
            np.full(np.sum(acc, axis=dims, keepdims=True).shape, np.nan)
        dev = acc - mean
        var = np.sum(dev * dev, axis=dims, keepdims=keepdim) / float(max(0, n - correction))
    mean = mean if keepdim else (mean.reshape(var.shape))
    return np.asarray(var).astype(x.dtype), np.asarray(mean).astype(x.dtype)


def _var_attrs(input, dims, correction, keepdim, full, dim, arg_correction) -> dict:
    """The attributes of a var/std node."""
    dims = _all_dims(input._data.ndim, dims) if not full else None
    # PyTorch's backward counts N over the dims it was given: an explicit empty list gives 1
    empty = isinstance(dim, (list, tuple)) and len(dim) == 0
    return dict(arg_dim=dim, arg_correction=arg_correction, dims=dims, correction=correction,
                keepdim=keepdim, full=full,
                rnumel=1 if empty else _numel(input._data.shape, dims))


def _var_node(cls, input, out, *args):
    """The node of var_mean / std_mean (two outputs: not ``record``'s)."""
    node = make_node(cls, (input,), out)
    for k, v in _var_attrs(input, *args).items():
        setattr(node, k, v)
    return node


@export(method=True, vmap=REDUCTION)
def var(input, dim=NO_DIM, unbiased=None, keepdim=False, *, correction=NO_CORRECTION):
    x, dims, correction, full, dim, arg_c = _var_args("var", input, dim, unbiased,
                                                       correction)
    out, _ = _var_forward("var", x, dims, correction, keepdim)
    return record1(VarBackward0, input, out, input,
                   **_var_attrs(input, dims, correction, keepdim, full, dim, arg_c))


@export(method=True, vmap=REDUCTION)
def std(input, dim=NO_DIM, unbiased=None, keepdim=False, *, correction=NO_CORRECTION):
    x, dims, correction, full, dim, arg_c = _var_args("std", input, dim, unbiased,
                                                       correction)
    v, _ = _var_forward("std", x, dims, correction, keepdim)
    out = np.sqrt(v)
    return record1(StdBackward0, input, out, (input, RESULT),
                   **_var_attrs(input, dims, correction, keepdim, full, dim, arg_c))


def _two_outputs(node, a, b):
    ta, tb = wrap(a, node), wrap(b, node)
    tb._extra().out_nr = 1
    return ta, tb


@export(vmap=REDUCTION)
def var_mean(input, dim=NO_DIM, unbiased=None, keepdim=False, *, correction=NO_CORRECTION):
    x, dims, correction, full, dim, arg_c = _var_args("var_mean", input, dim, unbiased,
                                                       correction)
    v, m = _var_forward("var_mean", x, dims, correction, keepdim)
    if not needs_grad1(input):
        return wrap(v), wrap(m)
    node = _var_node(VarMeanBackward0, input, v, dims, correction, keepdim, full, dim, arg_c)
    node.save(input)
    return _two_outputs(node, v, m)


@export(vmap=REDUCTION)
def std_mean(input, dim=NO_DIM, unbiased=None, keepdim=False, *, correction=NO_CORRECTION):
    x, dims, correction, full, dim, arg_c = _var_args("std_mean", input, dim, unbiased,
                                                       correction)
    v, m = _var_forward("std_mean", x, dims, correction, keepdim)
    s = np.sqrt(v)
    if not needs_grad1(input):
        return wrap(s), wrap(m)
    node = _var_node(StdMeanBackward0, input, s, dims, correction, keepdim, full, dim, arg_c)
    ts, tm = _two_outputs(node, s, m)
    node.save(input, SavedOutput(ts))
    return ts, tm
