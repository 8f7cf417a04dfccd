"""Adaptive 3-D pooling (``AdaptiveAvgPool3DBackward0``, ``AdaptiveMaxPool3DBackward0``) and
max unpooling in 1-D (PyTorch's composite through max_unpool2d) and 3-D
(``MaxUnpool3DBackward0``).

Adaptive pooling reduces one dim at a time (W, then H, then T) with the window gathers of
``pooling_adaptive._segments`` (one gather per distinct window length, no loop over voxels). Max
pooling carries the positions found by the earlier steps along, so the reported index is the
first maximum of the window in row-major order (or its last NaN), PyTorch's. The backward of the
average is the adjoint (one 0/1 window matrix per dim, applied by GEMMs), that of the max a
scatter to the saved indices; under create_graph both record PyTorch's backward-kernel nodes
(``AdaptiveAvgPool3DBackwardBackward0``, ...; ``_linmap.py``), so double backward works.
"""
from __future__ import annotations

import numpy as np

from .._registry import export
from .._util import wrap
from ...autograd._record import record1
from ..reduction.basic import mean
from ..shape.basic import squeeze, unsqueeze
from ._linmap import _KernelBackward, attr_reader, matrix_apply
from .pooling import _SCALAR_NAMES, _fmt, max_pool_double_backward
from .pooling_unpool import (_MaxUnpoolBackward, _check_unpool_shapes, _unpool_kernel,
                             _unpool_output_size, max_unpool2d)
from .pooling_adaptive import (_AdaptiveAvgPoolBackward, _AdaptiveAvgPoolBackwardBackward,
                               _AdaptiveMaxPoolBackward, _argmax_reduce,
                               _check_nonempty, _lengths, _list_with_default, _segments,
                               _window_matrix)

__all__ = ["adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices",
           "max_unpool3d", "max_unpool1d"]


def _size3(output_size, msg: str) -> tuple:
    t = (output_size,) * 3 if isinstance(output_size, (int, np.integer)) else tuple(output_size)
    if len(t) != 3:
        raise RuntimeError(msg)
    return tuple(int(v) for v in t)


def _check_float(x: np.ndarray, op: str) -> None:
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{op}" not implemented for '
                                  f"'{_SCALAR_NAMES.get(x.dtype.name, x.dtype.name)}'")


# -- average ----------------------------------------------------------------------------------
def _avg_forward3(x: np.ndarray, out) -> np.ndarray:
    def add(w, ax, _):
        return w.sum(axis=ax)
    n = x.ndim
    s = x
    for j in (2, 1, 0):
        s = _segments(s, n - 3 + j, out[j], add)[0]
    div = np.ones((1, 1, 1), np.int64)
    for j, (size, o) in enumerate(zip(x.shape[-3:], out)):
        shape = [1, 1, 1]
        shape[j] = -1
        div = div * _lengths(size, o).reshape(shape)
    return s / div.astype(x.dtype)


def _avg_adjoint3(g: np.ndarray, in_sp) -> np.ndarray:
    out = g.shape[-3:]
    div = np.ones((1, 1, 1), np.int64)
    for j, (size, o) in enumerate(zip(in_sp, out)):
        shape = [1, 1, 1]
        shape[j] = -1
        div = div * _lengths(size, o).reshape(shape)
    r = g / div.astype(g.dtype)
    for j in range(3):
        r = matrix_apply(r, g.ndim - 3 + j, _window_matrix(in_sp[j], out[j], g.dtype).T)
    return r


class AdaptiveAvgPool3DBackwardBackward0(_AdaptiveAvgPoolBackwardBackward):
    __slots__ = ()
    saved_attrs = attr_reader("grad_output_sym_argsize_minus_1",
                              "grad_output_sym_argsize_minus_2",
                              "grad_output_sym_argsize_minus_3")

    def adjoint_op(self, grad, *saved):
        a = self.attrs
        return _adaptive_avg_pool3d(grad, tuple(a[f"grad_output_sym_argsize_minus_{i}"]
                                                for i in (3, 2, 1)))


class AdaptiveAvgPool3DBackward0(_AdaptiveAvgPoolBackward):
    __slots__ = ()
    _double = AdaptiveAvgPool3DBackwardBackward0
    nd = 3
    _fwd = staticmethod(_avg_forward3)
    _adj = staticmethod(_avg_adjoint3)


@export(torch=False, vmap="pool3d")
def _adaptive_avg_pool3d(input, output_size):
    x = input._data
    out = _size3(output_size, "adaptive_avg_pool3d: output_size must be 3")
    if x.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got "
                           f"{_fmt(x.shape)}")
    _check_nonempty(x.shape, "adaptive_avg_pool3d", x.ndim - 3)
    _check_float(x, "adaptive_avg_pool3d_cpu")
    if 0 in out:
        res = np.zeros(x.shape[:-3] + out, x.dtype)
    else:
        res = _avg_forward3(x, out)
    return record1(AdaptiveAvgPool3DBackward0, input, res, input, in_sp=x.shape[-3:])


@export(torch=False, functional=True, composite=True)
def adaptive_avg_pool3d(input, output_size):
    """PyTorch's: the mean over T, H and W when the output is 1x1x1, else the pooling op."""
    size = _list_with_default(output_size, input.shape)
    out = _size3(size, "adaptive_avg_pool3d: output_size must be 3")
    if out == (1, 1, 1) and input.ndim in (4, 5):
        return mean(input, (-1, -2, -3), keepdim=True)
    return _adaptive_avg_pool3d(input, out)


# -- max --------------------------------------------------------------------------------------
def _max_kernel3(x: np.ndarray, out):
    """(values, flat T*H*W indices) of adaptive max pooling over the last three dims."""
    n = x.ndim
    v, iw = _segments(x, n - 1, out[2], _argmax_reduce)      # (..., T, H, oW)
    v, ih = _segments(v, n - 2, out[1], _argmax_reduce)      # (..., T, oH, oW)
    iw = np.take_along_axis(iw, ih, axis=n - 2)
    v, it = _segments(v, n - 3, out[0], _argmax_reduce)      # (..., oT, oH, oW)
    ih = np.take_along_axis(ih, it, axis=n - 3)
    iw = np.take_along_axis(iw, it, axis=n - 3)
    _, h, w = x.shape[-3:]
    return v, ((it * h + ih) * w + iw).astype(np.int64)


class AdaptiveMaxPool3DBackwardBackward0(_KernelBackward):
    """adaptive_max_pool3d_backward(grad, self, indices): grad scattered to the saved indices,
    over (grad, self) (see ``_KernelBackward``)."""
    __slots__ = ()
    saved_names = ("indices",)

    def adjoint_op(self, grad, indices):
        return max_pool_double_backward(grad, indices, 3)


class AdaptiveMaxPool3DBackward0(_AdaptiveMaxPoolBackward):
    __slots__ = ()
    _double = AdaptiveMaxPool3DBackwardBackward0
    _dims = 3


@export(torch=False, functional=True, vmap="pool3d")
def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    size = _list_with_default(output_size, input.shape)
    x = input._data
    if x.ndim not in (4, 5):
        raise RuntimeError(f"adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: "
                           f"{_fmt(x.shape)}")
    _check_nonempty(x.shape, "adaptive_max_pool3d", 1)
    out = _size3(size, "adaptive_max_pool3d(): internal error: output_size.size() must be 3")
    _check_float(x, "adaptive_max_pool3d_cpu")
    if 0 in out:
        vals = np.zeros(x.shape[:-3] + out, x.dtype)
        idx = np.zeros(vals.shape, np.int64)
    else:
        vals, idx = _max_kernel3(x, out)
    indices = wrap(idx)
    return record1(AdaptiveMaxPool3DBackward0, input, vals, (input, indices)), indices


@export(torch=False, functional=True, composite=True)
def adaptive_max_pool3d(input, output_size, return_indices=False):
    out, idx = adaptive_max_pool3d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


# -- max unpooling ----------------------------------------------------------------------------
def _triple(v) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v, v)


def _single(v) -> tuple:
    return tuple(v) if isinstance(v, (list, tuple)) else (v,)


class MaxUnpool3DBackward0(_MaxUnpoolBackward):
    __slots__ = ()
    nd = 3


@export(torch=False, functional=True)
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The values of a 3-D max pooling put back at their indices, zeros elsewhere."""
    k = _triple(kernel_size)
    s = _triple(stride) if stride is not None else k
    p = _triple(padding)
    out = _unpool_output_size(input, k, s, p, output_size)
    x, idx = input._data, indices._data
    if idx.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64")
    if x.ndim not in (4, 5):
        raise RuntimeError("Input to max_unpooling3d should be a 4d or 5d Tensor, but got a tensor "
                           f"with {x.ndim} dimensions.")
    if len(out) != 3:
        raise RuntimeError("There should be exactly three elements (depth, height, width) in "
                           f"output_size, but got {len(out)} elements.")
    if len(s) != 3:
        raise RuntimeError("There should be exactly three elements (depth, height, width) in "
                           f"stride, but got: {len(s)} elements.")
    if len(p) != 3:
        raise RuntimeError("There should be exactly three elements (depth, height, width) in "
                           f"padding, but got: {len(p)} elements.")
    _check_unpool_shapes(x, idx, "max_unpooling3d_forward_out_cpu()")
    if min(s) <= 0:
        raise RuntimeError(f"strides should be greater than zero, but got stride: {_fmt(s)}")
    bad = (idx < 0) | (idx >= out[0] * out[1] * out[2])
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad].flat[-1]} (output volumes are "
                           f"of size {out[0]}x{out[1]}x{out[2]})")
    res = _unpool_kernel(x, idx, out)
    return record1(MaxUnpool3DBackward0, input, res, indices, out_sp=tuple(out))


@export(torch=False, functional=True, composite=True)
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """PyTorch's: max_unpool2d of the inputs unsqueezed at -1, squeezed back."""
    k = _single(kernel_size)
    s = _single(stride) if stride is not None else k
    p = _single(padding)
    out = _unpool_output_size(input, k, s, p, output_size)
    return squeeze(max_unpool2d(unsqueeze(input, -1), unsqueeze(indices, -1), (k[0], 1),
                                (s[0], 1), (p[0], 0), output_size=list(out) + [1]), -1)
