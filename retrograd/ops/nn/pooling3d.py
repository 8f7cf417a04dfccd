"""3-D max and average pooling (PyTorch's ``MaxPool3DWithIndicesBackward0`` and
``AvgPool3DBackward0``) and ``lp_pool3d`` (PyTorch's composite through avg_pool3d).

The kernels are written for any number of spatial dims (here three): the (padded) input is read
as one strided view per kernel offset, shaped like the output, so the only loop runs over the
kT*kH*kW offsets, never over batch, channels or voxels. Max pooling keeps a running maximum
and the first offset holding it (the last NaN of a window, as PyTorch); its backward scatters to
the saved flat indices (one bincount). Average pooling sums the views and divides; its backward
adds the divided gradient back offset by offset. Both backwards are linear maps whose adjoint is
the forward; under create_graph they record PyTorch's backward-kernel nodes
(``MaxPool3DWithIndicesBackwardBackward0``, ``AvgPool3DBackwardBackward0``; ``_linmap.py``).
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import wrap
from ...autograd._record import record1
from ._linmap import _KernelBackward, array, attr_reader, gather_flat, scatter_flat
from .pooling import (AvgPool2DBackwardBackward0, _AvgPoolBackward, _fmt, _out_size,
                      max_pool_double_backward)

__all__ = ["max_pool3d", "max_pool3d_with_indices", "avg_pool3d", "lp_pool3d"]


def _three(v, msg: str, allow_empty: bool = False) -> tuple:
    t = (v,) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) not in (1, 3) and not (allow_empty and not t):
        raise RuntimeError(msg)
    t = tuple(int(i) for i in t)
    return t * 3 if len(t) == 1 else t


def _shape_check3(x_shape, k, s, d, p, out, fn: str, check_input_size: bool) -> None:
    """PyTorch's pool3d_shape_check."""
    if min(k) <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kT: {k[0]} kH: "
                           f"{k[1]} kW: {k[2]}")
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dT: {s[0]} dH: {s[1]} "
                           f"dW: {s[2]}")
    if min(d) <= 0:
        raise RuntimeError(f"dilation should be greater than zero, but got dilationT: {d[0]} "
                           f"dilationH: {d[1]} dilationW: {d[2]}")
    n = len(x_shape)
    if n not in (4, 5):
        raise RuntimeError(f"{fn}: Expected 4D or 5D tensor for input, but got: {_fmt(x_shape)}")
    for i in range(n):
        if n == 5 and i == 0:
            continue
        if x_shape[i] <= 0:
            raise RuntimeError(f"{fn}: Expected input's non-batch dimensions to have positive "
                               f"length, but input has a shape of {_fmt(x_shape)} and non-batch "
                               f"dimension {x_shape[i]} has length zero!")
    it, ih, iw = x_shape[-3:]
    if check_input_size and not (it >= k[0] and ih >= k[1] and iw >= k[2]):
        raise RuntimeError(f"input image (T: {it} H: {ih} W: {iw}) smaller than kernel size "
                           f"(kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    if not (k[0] // 2 >= p[0] and k[2] // 2 >= p[2] and k[1] // 2 >= p[1]):
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"kT: {k[0]} kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} "
                           f"padH: {p[1]}")
    if min(out) < 1:
        c = x_shape[-4]
        raise RuntimeError(f"Given input size: ({c}x{it}x{ih}x{iw}). Calculated output size: "
                           f"({c}x{out[0]}x{out[1]}x{out[2]}). Output size is too small")


# -- kernels for any number of spatial dims -----------------------------------------------------
def _padded(x: np.ndarray, k, s, p, d, out, fill) -> np.ndarray:
    """x padded with ``fill``: before by the padding, after as far as the last window reaches."""
    nd = len(k)
    sp = x.shape[-nd:]
    need = [(o - 1) * ss + dd * (kk - 1) + 1 for o, ss, dd, kk in zip(out, s, d, k)]
    after = [max(0, n - size - pp) for n, size, pp in zip(need, sp, p)]
    if not any(p) and not any(after):
        return x
    xp = np.full(x.shape[:-nd] + tuple(n + pp + a for n, pp, a in zip(sp, p, after)), fill,
                 x.dtype)
    xp[(Ellipsis,) + tuple(slice(pp, pp + n) for pp, n in zip(p, sp))] = x
    return xp


def _offset_slices(k, s, d, out):
    """For each kernel offset (row-major): the slices reading that offset in every window."""
    for offs in np.ndindex(*k):
        yield (Ellipsis,) + tuple(slice(o * dd, o * dd + (n - 1) * ss + 1, ss)
                                  for o, dd, n, ss in zip(offs, d, out, s))


def max_pool_nd(x: np.ndarray, k, s, p, d, out):
    """(values, flat indices into the input's spatial dims), both (..., *out)."""
    nd = len(k)
    sp = x.shape[-nd:]
    floating = x.dtype.kind == "f"
    fill = -np.inf if floating else (False if x.dtype == np.bool_ else np.iinfo(x.dtype).min)
    xp = _padded(x, k, s, p, d, out, fill)
    views = [xp[sl] for sl in _offset_slices(k, s, d, out)]
    best = views[0].copy()
    for view in views[1:]:
        np.maximum(best, view, out=best)   # NaN propagates, as in PyTorch
    n_k = len(views)   # the first offset holding the maximum: the largest (K - offset) equal
    code = np.zeros(best.shape, np.int32)
    for n, view in enumerate(views):
        np.maximum(code, np.multiply(view == best, n_k - n, dtype=np.int32), out=code)
    kidx = n_k - code
    if floating:
        nan = np.isnan(best)
        if nan.any():   # PyTorch keeps the last NaN of a window
            last = np.zeros(best.shape, np.int32)
            for n, view in enumerate(views):
                np.maximum(last, np.multiply(np.isnan(view), n, dtype=np.int32), out=last)
            kidx = np.where(nan, last, kidx)
    flat = np.zeros(best.shape, np.int64)
    for axis, kc in enumerate(np.unravel_index(kidx, k)):
        shape = [1] * nd
        shape[axis] = -1
        pos = np.arange(out[axis]).reshape(shape) * s[axis] - p[axis] + kc * d[axis]
        # a window whose valid elements are all -inf: PyTorch reports its first valid position
        pos = np.where(pos < 0, pos % d[axis], pos)
        flat = flat * sp[axis] + pos
    return best, flat


def _divisor(size: int, k: int, s: int, p: int, n_out: int, include_pad: bool) -> np.ndarray:
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def avg_divisor_nd(sp, k, s, p, out, include_pad, divisor_override, dtype) -> np.ndarray:
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    div = np.ones((1,) * len(k), np.int64)
    for axis in range(len(k)):
        shape = [1] * len(k)
        shape[axis] = -1
        div = div * _divisor(sp[axis], k[axis], s[axis], p[axis], out[axis],
                             include_pad).reshape(shape)
    return div.astype(dtype)


def avg_pool_nd(x: np.ndarray, k, s, p, out, div) -> np.ndarray:
    """Window sums (one add per kernel offset) over the divisors."""
    ones = (1,) * len(k)
    acc = x.dtype if x.dtype.kind == "f" else np.int64
    xp = _padded(x, k, s, p, ones, out, 0)
    res = None
    for sl in _offset_slices(k, s, ones, out):
        if res is None:
            res = xp[sl].astype(acc, copy=True)
        else:
            res += xp[sl]
    if x.dtype.kind == "f":
        res /= div
        return res
    q = np.abs(res) // div   # integer inputs: C++ division, truncated toward zero
    return np.where(res < 0, -q, q).astype(x.dtype)


def avg_adjoint_nd(g: np.ndarray, sp, k, s, p, out, div) -> np.ndarray:
    """The gradient of each output spread evenly (1/divisor) over its window."""
    nd = len(k)
    gd = g / div
    size = [max(n + 2 * pp, (o - 1) * ss + kk) for n, pp, o, ss, kk in zip(sp, p, out, s, k)]
    res = np.zeros(g.shape[:-nd] + tuple(size), dtype=g.dtype)
    for sl in _offset_slices(k, s, (1,) * nd, out):
        res[sl] += gd
    return res[(Ellipsis,) + tuple(slice(pp, pp + n) for pp, n in zip(p, sp))]


# -- max_pool3d ---------------------------------------------------------------------------------
class MaxPool3DWithIndicesBackwardBackward0(_KernelBackward):
    """max_pool3d_with_indices_backward(grad, self, ..., indices): grad scattered to the saved
    indices, over (grad, self) (see ``_KernelBackward``)."""
    __slots__ = ()
    saved_names = ("indices",)

    def adjoint_op(self, grad, indices):
        return max_pool_double_backward(grad, indices, 3)


class MaxPool3DWithIndicesBackward0(Node):
    """Each window's maximum passes its gradient to the element it came from (the saved index);
    double backward gathers the grad-grad by the same indices."""
    __slots__ = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    saved_names = ("self", "result1")
    saved_attrs = {"kernel_size": "kernel_size", "stride": "stride", "padding": "padding",
                   "dilation": "dilation", "ceil_mode": "ceil_mode"}

    def backward(self, ns, grad, x, indices):
        idx = array(indices)
        spatial = tuple(x.shape[-3:])
        return (ns.backward_kernel(MaxPool3DWithIndicesBackwardBackward0, grad, x,
                                   lambda g: scatter_flat(g, idx, spatial),
                                   lambda g: gather_flat(g, idx, 3),
                                   "MaxPool3DWithIndicesBackward0", None, indices),)

    def jvp(self, ns, tangents, x, indices):
        return gather_flat(tangents[0], indices, 3)


@export(torch=False, functional=True, vmap="pool3d")
def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False):
    """(values, indices) of 3-D max pooling (indices: flat positions in each input volume)."""
    x = input._data
    k = _three(kernel_size, "max_pool3d: kernel_size must either be a single int, or a tuple of "
                            "three ints")
    st = _three(stride if stride is not None else (), "max_pool3d: stride must either be "
                "omitted, a single int, or a tuple of three ints", True)
    s = st or k
    p = _three(padding, "max_pool3d: padding must either be a single int, or a tuple of three "
                        "ints")
    d = _three(dilation, "max_pool3d: dilation must be either a single int, or a tuple of three "
                         "ints")
    if x.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = tuple(_out_size(n, kk, pp, ss, dd, ceil_mode)
                for n, kk, pp, ss, dd in zip(x.shape[-3:], k, p, s, d))
    _shape_check3(x.shape, k, s, d, p, out, "max_pool3d_with_indices_out_cpu_template()", False)
    vals, idx = max_pool_nd(x, k, s, p, d, out)
    indices = wrap(idx)
    return record1(MaxPool3DWithIndicesBackward0, input, vals, (input, indices), kernel_size=k,
                   stride=st, padding=p, dilation=d, ceil_mode=bool(ceil_mode)), indices


@export(torch=True, functional=True, composite=True)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = max_pool3d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


# -- avg_pool3d ---------------------------------------------------------------------------------
class AvgPool3DBackwardBackward0(_KernelBackward):
    """avg_pool3d_backward(grad, self, ...): grad spread over the windows, over (grad, self)
    (see ``_KernelBackward``)."""
    __slots__ = ()
    copied = AvgPool2DBackwardBackward0.copied
    saved_attrs = attr_reader(*copied)

    def adjoint_op(self, grad, *saved):
        a = self.attrs
        return avg_pool3d(grad, a["kernel_size"], a["stride"] or None, a["padding"],
                          a["ceil_mode"], a["count_include_pad"], a["divisor_override"])


class AvgPool3DBackward0(_AvgPoolBackward):
    __slots__ = ()
    _double = AvgPool3DBackwardBackward0
    _pool = staticmethod(avg_pool_nd)
    _adjoint = staticmethod(avg_adjoint_nd)


@export(torch=False, functional=True, vmap="pool3d")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling (window sums over the window size, or ``divisor_override``)."""
    x = input._data
    k = _three(kernel_size, "avg_pool3d: kernel_size must be a single int, or a tuple of three "
                            "ints")
    st = _three(stride if stride is not None else (), "avg_pool3d: stride must be omitted, a "
                "single int, or a tuple of three ints", True)
    s = st or k
    p = _three(padding, "avg_pool3d: padding must be a single int, or a tuple of three ints")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    if x.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    out = tuple(_out_size(n, kk, pp, ss, 1, ceil_mode)
                for n, kk, pp, ss in zip(x.shape[-3:], k, p, s))
    _shape_check3(x.shape, k, s, (1, 1, 1), p, out, "avg_pool3d()", True)
    if x.dtype == np.float16:
        raise NotImplementedError('"avg_pool3d_out_frame" not implemented for \'Half\'')
    sp = x.shape[-3:]
    div = avg_divisor_nd(sp, k, s, p, out, count_include_pad, divisor_override,
                         x.dtype if x.dtype.kind == "f" else np.int64)
    res = avg_pool_nd(x, k, s, p, out, div)
    return record1(AvgPool3DBackward0, input, res, input, kernel_size=k, stride=st, padding=p,
                   ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                   divisor_override=divisor_override, geom=(sp, k, s, p, out, div))


@export(torch=False, functional=True, composite=True)
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x^p)^(1/p), as PyTorch computes it (through avg_pool3d)."""
    kd, kw, kh = kernel_size if isinstance(kernel_size, (list, tuple)) else (kernel_size,) * 3
    if isinstance(norm_type, (int, float)):
        if norm_type == float("inf"):
            return max_pool3d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        if norm_type == -float("inf"):
            return -max_pool3d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool3d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool3d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kd * kw * kh).pow(1.0 / norm_type)

