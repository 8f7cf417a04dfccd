"""Adaptive average and max pooling (1-D and 2-D): output cell i pools the input range
[floor(i*in/out), ceil((i+1)*in/out)) along each dim, as PyTorch does.

Both reduce one dim at a time (W, then H). Windows of equal length are gathered together, so
the only loop is over the (one or two, rarely three) distinct window lengths: when the sizes
divide there is one length and one gather. Max pooling keeps, per row of the H step, the column
the W step found, so the reported index is the first maximum in row-major order, PyTorch's.
The backward of the average is the adjoint (a 0/1 matrix per dim, two GEMMs), that of the max
a scatter to the saved indices; under create_graph both record PyTorch's backward-kernel nodes
(``AdaptiveAvgPool2DBackwardBackward0``, ...; ``_linmap.py``), so double backward works.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import wrap
from ...autograd._record import record1
from ..reduction.basic import mean
from ..shape.basic import squeeze, unsqueeze
from ._linmap import _KernelBackward, array, attr_reader, gather_flat, matrix_apply, scatter_flat
from .pooling import _fmt, _max_pool_kernel, max_pool_double_backward


def _bounds(n_in: int, n_out: int):
    i = np.arange(n_out, dtype=np.int64)
    return (i * n_in) // n_out, ((i + 1) * n_in + n_out - 1) // n_out


def _segments(x: np.ndarray, axis: int, n_out: int, reduce):
    """``reduce(windows, axis + 1)`` of every adaptive window along ``axis``, one gather per
    distinct window length. ``reduce`` returns one array or a tuple of arrays."""
    start, end = _bounds(x.shape[axis], n_out)
    length = end - start
    results = None
    for size in np.unique(length):
        outs = np.nonzero(length == size)[0]
        idx = start[outs][:, None] + np.arange(size)
        r = reduce(np.take(x, idx, axis=axis), axis + 1, start[outs])
        r = r if isinstance(r, tuple) else (r,)
        if results is None:
            results = []
            for a in r:
                shape = list(a.shape)
                shape[axis] = n_out
                results.append(np.empty(shape, a.dtype))
        key = (slice(None),) * axis + (outs,)
        for res, a in zip(results, r):
            res[key] = a
    return results


def _window_matrix(n_in: int, n_out: int, dtype) -> np.ndarray:
    """(n_out, n_in) 0/1 matrix: 1 where the input position is in the output's window."""
    start, end = _bounds(n_in, n_out)
    i = np.arange(n_in)
    return ((i >= start[:, None]) & (i < end[:, None])).astype(dtype)


def _lengths(n_in: int, n_out: int) -> np.ndarray:
    start, end = _bounds(n_in, n_out)
    return end - start


# -- average ----------------------------------------------------------------------------------
def _avg_forward(x: np.ndarray, out_hw) -> np.ndarray:
    def add(w, ax, _):
        return w.sum(axis=ax)
    h, w = x.shape[-2:]
    if h % out_hw[0] == 0 and w % out_hw[1] == 0:   # equal windows: reshaped sums
        kh, kw = h // out_hw[0], w // out_hw[1]
        s = x.reshape(x.shape[:-1] + (out_hw[1], kw)).sum(axis=-1)        # (..., H, oW)
        s = s.reshape(x.shape[:-2] + (out_hw[0], kh, out_hw[1])).sum(axis=-2)
        return s / x.dtype.type(kh * kw)
    s = _segments(x, x.ndim - 1, out_hw[1], add)[0]
    s = _segments(s, x.ndim - 2, out_hw[0], add)[0]
    div = _lengths(h, out_hw[0])[:, None] * _lengths(w, out_hw[1])[None, :]
    return s / div.astype(x.dtype)


def _avg_adjoint(g: np.ndarray, in_hw) -> np.ndarray:
    out_hw = g.shape[-2:]
    if in_hw[0] % out_hw[0] == 0 and in_hw[1] % out_hw[1] == 0:   # equal windows: a broadcast
        kh, kw = in_hw[0] // out_hw[0], in_hw[1] // out_hw[1]
        gd = g / g.dtype.type(kh * kw)
        big = np.broadcast_to(gd[..., :, None, :, None],
                              g.shape[:-2] + (out_hw[0], kh, out_hw[1], kw))
        return big.reshape(g.shape[:-2] + tuple(in_hw))
    div = _lengths(in_hw[0], out_hw[0])[:, None] * _lengths(in_hw[1], out_hw[1])[None, :]
    gd = g / div.astype(g.dtype)
    r = matrix_apply(gd, g.ndim - 2, _window_matrix(in_hw[0], out_hw[0], g.dtype).T)
    return matrix_apply(r, g.ndim - 1, _window_matrix(in_hw[1], out_hw[1], g.dtype).T)


class _AdaptiveAvgPoolBackwardBackward(_KernelBackward):
    """_adaptive_avg_pool{2,3}d_backward(grad, self): grad spread over the windows, over (grad,
    self) (see ``_KernelBackward``); PyTorch keeps the output's spatial sizes."""
    __slots__ = ()

    @classmethod
    def attrs_of(cls, grad, src) -> dict:
        shape = grad.shape
        return {f"grad_output_sym_argsize_minus_{i}": int(shape[-i]) for i in range(1, 4)}


class AdaptiveAvgPool2DBackwardBackward0(_AdaptiveAvgPoolBackwardBackward):
    __slots__ = ()
    saved_attrs = attr_reader("grad_output_sym_argsize_minus_1",
                              "grad_output_sym_argsize_minus_2")

    def adjoint_op(self, grad, *saved):
        a = self.attrs   # (PyTorch's _adaptive_avg_pool2d(grad, grad_output's spatial sizes))
        return _adaptive_avg_pool2d(grad, (a["grad_output_sym_argsize_minus_2"],
                                           a["grad_output_sym_argsize_minus_1"]))


class _AdaptiveAvgPoolBackward(Node):
    """Each output is its window's mean: the window's elements each get grad / window size.
    The 2-D and 3-D nodes differ in the number of spatial dims (``nd``), their kernels
    (``_fwd(x, out_sp)``, ``_adj(g, in_sp)``) and PyTorch's names."""
    __slots__ = ("in_sp",)
    saved_names = ("self",)
    nd = 2
    _fwd = staticmethod(_avg_forward)
    _adj = staticmethod(_avg_adjoint)

    _double = None              # the node of PyTorch's backward kernel (create_graph)

    def backward(self, ns, grad, x):
        in_sp, out_sp = self.in_sp, tuple(self._shape[-self.nd:])
        return (ns.backward_kernel(self._double, grad, x, lambda g: self._adj(g, in_sp),
                                   lambda g: self._fwd(g, out_sp), type(self).__name__),)

    def jvp(self, ns, tangents, x):
        return self._fwd(tangents[0], self._shape[-self.nd:])


class AdaptiveAvgPool2DBackward0(_AdaptiveAvgPoolBackward):
    __slots__ = ()
    _double = AdaptiveAvgPool2DBackwardBackward0


def _list_with_default(out_size, defaults):
    if isinstance(out_size, (int, np.integer)):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def _size2(output_size, op: str) -> tuple:
    t = (output_size,) * 2 if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(t) != 2:
        raise RuntimeError(op)
    return tuple(int(v) for v in t)


def _check_nonempty(shape, op: str, since: int) -> None:
    for i in range(since, len(shape)):
        if shape[i] <= 0:
            raise RuntimeError(f"{op}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {_fmt(shape)} with dimension "
                               f"{i} being empty")


@export(torch=False, vmap="pool2d")
def _adaptive_avg_pool2d(input, output_size):
    x = input._data
    out_hw = _size2(output_size, "adaptive_avg_pool2d: output_size must be 2")
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{_fmt(x.shape)}")
    _check_nonempty(x.shape, "adaptive_avg_pool2d", x.ndim - 2)
    if 0 in out_hw:
        out = np.zeros(x.shape[:-2] + out_hw, x.dtype)
    else:
        out = _avg_forward(x, out_hw)
    return record1(AdaptiveAvgPool2DBackward0, input, out, input, in_sp=x.shape[-2:])


@export(torch=False, functional=True, composite=True)
def adaptive_avg_pool2d(input, output_size):
    """PyTorch's: the mean over H and W when the output is 1x1, else the adaptive pooling op."""
    size = _list_with_default(output_size, input.shape)
    out_hw = _size2(size, "adaptive_avg_pool2d: output_size must be 2")
    if out_hw[0] < 0 or out_hw[1] < 0:
        raise RuntimeError("adaptive_avg_pool2d: elements of output_size must be greater than or "
                           f"equal to 0 but received {{{out_hw[0]}, {out_hw[1]}}}")
    if out_hw == (1, 1):
        return mean(input, (-1, -2), keepdim=True)
    return _adaptive_avg_pool2d(input, out_hw)


def _check_1d(input, op: str, nonempty: bool = False) -> None:
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.ndim}-dimensional tensor "
                           f"for argument #1 'self' (while checking arguments for {op})")
    if nonempty:
        _check_nonempty(input.shape, op, 1)


def _one(output_size, op: str) -> int:
    t = (output_size,) if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(t) != 1:
        raise RuntimeError(f"{op}() argument 'output_size' should contain one int (got {len(t)})")
    return int(t[0])


@export(torch=True, functional=True, composite=True)
def adaptive_avg_pool1d(input, output_size):
    """PyTorch's: adaptive_avg_pool2d on ``input.unsqueeze(-2)``, squeezed back."""
    _check_1d(input, "adaptive_avg_pool1d")
    o = _one(output_size, "adaptive_avg_pool1d")
    return squeeze(adaptive_avg_pool2d(unsqueeze(input, -2), (1, o)), -2)


# -- max --------------------------------------------------------------------------------------
def _argmax_reduce(w, ax, starts):
    """The first maximum of each window, or its last NaN (PyTorch's rule)."""
    k = np.argmax(w, axis=ax)
    if w.dtype.kind == "f":
        nan = np.isnan(w)
        if nan.any():
            size = w.shape[ax]
            last = size - 1 - np.argmax(np.flip(nan, axis=ax), axis=ax)
            k = np.where(nan.any(axis=ax), last, k)
    v = np.take_along_axis(w, np.expand_dims(k, ax), axis=ax).squeeze(ax)
    shape = [1] * k.ndim
    shape[ax - 1] = -1
    return v, k + starts.reshape(shape)


def _max_kernel(x: np.ndarray, out_hw):
    """(values, flat H*W indices) of adaptive max pooling over the last two dims."""
    h, w = x.shape[-2:]
    if h % out_hw[0] == 0 and w % out_hw[1] == 0:   # equal windows: max pooling with k = s
        k = (h // out_hw[0], w // out_hw[1])
        return _max_pool_kernel(x, k, k, (0, 0), (1, 1), out_hw)
    n = x.ndim
    v, col = _segments(x, n - 1, out_hw[1], _argmax_reduce)     # (..., H, oW)
    v, row = _segments(v, n - 2, out_hw[0], _argmax_reduce)     # (..., oH, oW)
    col = np.take_along_axis(col, row, axis=n - 2)
    return v, (row * x.shape[-1] + col).astype(np.int64)


class AdaptiveMaxPool2DBackwardBackward0(_KernelBackward):
    """adaptive_max_pool2d_backward(grad, self, indices): grad scattered to the saved indices,
    over (grad, self) (see ``_KernelBackward``)."""
    __slots__ = ()
    saved_names = ("indices",)

    def adjoint_op(self, grad, indices):
        return max_pool_double_backward(grad, indices, 2)


class _AdaptiveMaxPoolBackward(Node):
    """Each window's maximum passes its gradient to the element it came from (saved index);
    ``_dims`` spatial dims (the 2-D and 3-D nodes differ only in it and their names)."""
    __slots__ = ()
    saved_names = ("self", "result1")
    _dims = 0

    _double = None              # the node of PyTorch's backward kernel (create_graph)

    def backward(self, ns, grad, x, indices):
        idx, d = array(indices), self._dims
        spatial = tuple(x.shape[-d:])
        return (ns.backward_kernel(self._double, grad, x, lambda g: scatter_flat(g, idx, spatial),
                                   lambda g: gather_flat(g, idx, d), type(self).__name__, None,
                                   indices),)

    def jvp(self, ns, tangents, x, indices):
        return gather_flat(tangents[0], indices, self._dims)


class AdaptiveMaxPool2DBackward0(_AdaptiveMaxPoolBackward):
    __slots__ = ()
    _double = AdaptiveMaxPool2DBackwardBackward0
    _dims = 2


@export(torch=False, functional=True, vmap="pool2d")
def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    size = _list_with_default(output_size, input.shape)
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{_fmt(x.shape)}")
    _check_nonempty(x.shape, "adaptive_max_pool2d", 1)
    out_hw = _size2(size, "adaptive_max_pool2d(): internal error: output_size.size() must be 2")
    if out_hw[0] < 0 or out_hw[1] < 0:  # PyTorch meets it allocating the output
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{min(out_hw[0], 0) or out_hw[1]}: {list(x.shape[:-2] + out_hw)}")
    if 0 in out_hw:
        vals = np.zeros(x.shape[:-2] + out_hw, x.dtype)
        idx = np.zeros(vals.shape, np.int64)
    else:
        vals, idx = _max_kernel(x, out_hw)
    indices = wrap(idx)
    return record1(AdaptiveMaxPool2DBackward0, input, vals, (input, indices)), indices


@export(torch=False, functional=True, composite=True)
def adaptive_max_pool2d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


@export(torch="adaptive_max_pool1d", functional=True, composite=True)
def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """PyTorch's: adaptive_max_pool2d on ``input.unsqueeze(-2)``, both results squeezed back."""
    _check_1d(input, "adaptive_max_pool1d")
    o = _one(output_size, "adaptive_max_pool1d")
    _check_nonempty(input.shape, "adaptive_max_pool1d", 1)
    out, idx = adaptive_max_pool2d_with_indices(unsqueeze(input, -2), (1, o))
    return squeeze(out, -2), squeeze(idx, -2)


@export(torch=False, functional="adaptive_max_pool1d", composite=True)
def _adaptive_max_pool1d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out
