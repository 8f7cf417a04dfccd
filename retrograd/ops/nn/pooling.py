"""Max and average pooling (1-D and 2-D) and power-average pooling (max unpooling: pooling_unpool.py).

The 2-D ops are PyTorch's own nodes (``MaxPool2DWithIndicesBackward0``, ``AvgPool2DBackward0``); the 1-D ones are, as in PyTorch, the 2-D op between an
``unsqueeze(-2)`` and a ``squeeze(-2)``; ``lp_pool`` is PyTorch's composite of pow, avg_pool,
sign, relu and abs. Windows are read as strided views of the (padded) input, one view per
kernel offset: a running max (with its offset) or a running sum over those kH*kW views, no loop
over batch, channels or pixels. The backward of max pooling scatters the gradient to the saved flat indices (one bincount), that of
average pooling adds the divided gradient back window offset by window offset (a loop over the
kernel's offsets only). Both are linear maps whose adjoint is the forward again; under
create_graph they record PyTorch's backward-kernel nodes over (grad, self)
(``MaxPool2DWithIndicesBackwardBackward0``, ``AvgPool2DBackwardBackward0``: ``ns.backward_kernel``,
see ``_linmap.py``), so every order of derivative works with PyTorch's graph.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, wrap
from ...autograd._record import record1
from ..indexing.scatter import gather
from ..shape.basic import reshape, squeeze, unsqueeze
from ._linmap import _KernelBackward, array, attr_reader, gather_flat, scatter_flat
from ... import _dtype as D
from ..._size import format_shape


_fmt = format_shape  # the one shape formatter, in _size.py


def _tdiv(a: int, b: int) -> int:
    """C++ integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _ints(v, op: str, what: str, allow_empty: bool = False) -> tuple:
    """kernel_size/stride/padding/dilation as a tuple of one or two ints, PyTorch's errors."""
    t = (v,) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) in (1, 2) or (allow_empty and len(t) == 0):
        return tuple(int(i) for i in t)
    if what == "stride":
        raise RuntimeError(f"{op}: stride must either be omitted, a single int, or a tuple of two "
                           "ints")
    if what == "dilation":
        raise RuntimeError(f"{op}: dilation must be either a single int, or a tuple of two ints")
    raise RuntimeError(f"{op}: {what} must either be a single int, or a tuple of two ints")


def _pair(t: tuple) -> tuple:
    return (t[0], t[0]) if len(t) == 1 else t


def _out_size(size: int, k: int, pad: int, s: int, d: int, ceil: bool) -> int:
    """PyTorch's pooling_output_shape: the last window must start inside the input or the left
    padding when ceil_mode rounds up."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if pad < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {pad}")
    if pad > _tdiv((k - 1) * d + 1, 2):
        raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pad}"
                           f", kernel_size={k} and dilation={d}")
    num = size + 2 * pad - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= size + pad:
        out -= 1
    return out


def _shape_check(x_shape, k, s, p, d, out_hw) -> None:
    """PyTorch's pool2d_shape_check."""
    if k[0] <= 0 or k[1] <= 0:
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}")
    if s[0] <= 0 or s[1] <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if d[0] <= 0 or d[1] <= 0:
        raise RuntimeError("dilation should be greater than zero, but got dilationH: "
                           f"{d[0]} dilationW: {d[1]}")
    n = len(x_shape)
    ok = (n == 3 and all(x_shape)) or (n == 4 and all(x_shape[1:]))
    if not ok:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size "
                           f"for input, but got:{_fmt(x_shape)}")
    if k[1] // 2 < p[1] or k[0] // 2 < p[0]:
        raise RuntimeError("pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    if out_hw[0] < 1 or out_hw[1] < 1:
        c, h, w = x_shape[-3:]
        raise RuntimeError(f"Given input size: ({c}x{h}x{w}). Calculated output size: "
                           f"({c}x{out_hw[0]}x{out_hw[1]}). Output size is too small")


def _geometry(x_shape, kernel_size, stride, padding, dilation, ceil_mode, op: str, max_: bool):
    k = _pair(_ints(kernel_size, op, "kernel_size"))
    st = _ints(stride if stride is not None else (), op, "stride", allow_empty=True)
    s = _pair(st) if st else k
    p = _pair(_ints(padding, op, "padding"))
    d = _pair(_ints(dilation, op, "dilation")) if max_ else (1, 1)
    if max_ and len(x_shape) not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    if not max_ and len(x_shape) < 3:
        n = len(x_shape)
        lo, hi = (-n, n - 1) if n else (-1, 0)
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                         "got -3)")
    h, w = x_shape[-2:]
    out_hw = (_out_size(h, k[0], p[0], s[0], d[0], ceil_mode),
              _out_size(w, k[1], p[1], s[1], d[1], ceil_mode))
    _shape_check(x_shape, k, s, p, d, out_hw)
    return k, st, s, p, d, out_hw


def _padded(x: np.ndarray, k, s, p, d, out_hw, fill) -> np.ndarray:
    """x padded with ``fill``: left by the padding, right as far as the last window reaches."""
    h, w = x.shape[-2:]
    need = [(o - 1) * ss + dd * (kk - 1) + 1 for o, ss, dd, kk in zip(out_hw, s, d, k)]
    right = [max(0, n - size - pp) for n, size, pp in zip(need, (h, w), p)]
    if not (p[0] or p[1] or right[0] or right[1]):
        return x
    xp = np.full(x.shape[:-2] + (h + p[0] + right[0], w + p[1] + right[1]), fill, x.dtype)
    xp[..., p[0]:p[0] + h, p[1]:p[1] + w] = x
    return xp


def _offsets(xp: np.ndarray, k, s, d, out_hw):
    """For each kernel offset (i, j), row-major: the strided view of the elements that offset
    reads in every window, shaped (..., oH, oW). The pooling loops run over these kH*kW views
    (whole-array operations), never over windows, batch or channels."""
    eh, ew = (out_hw[0] - 1) * s[0] + 1, (out_hw[1] - 1) * s[1] + 1
    for i in range(k[0]):
        for j in range(k[1]):
            yield xp[..., i * d[0]:i * d[0] + eh:s[0], j * d[1]:j * d[1] + ew:s[1]]


# -- max pooling ------------------------------------------------------------------------------
def _max_pool_2x2(x: np.ndarray, out_hw):
    """2x2 windows at stride 2 without padding (the common case) in pairwise steps: (values,
    flat indices), or None when a window holds a NaN (the general kernel then keeps PyTorch's
    last NaN). Ties keep the first element, as PyTorch does."""
    oh, ow = out_hw
    w = x.shape[-1]
    v00, v01 = x[..., 0:2 * oh:2, 0:2 * ow:2], x[..., 0:2 * oh:2, 1:2 * ow:2]
    v10, v11 = x[..., 1:2 * oh:2, 0:2 * ow:2], x[..., 1:2 * oh:2, 1:2 * ow:2]
    top, bottom = np.maximum(v00, v01), np.maximum(v10, v11)
    best = np.maximum(top, bottom)
    if x.dtype.kind == "f" and np.isnan(best).any():
        return None
    right_top, right_bottom = v01 > v00, v11 > v10
    low = bottom > top
    # the column within the window: the bottom pair's where the bottom row won, else the top's
    right = right_top ^ (low & (right_top ^ right_bottom))
    idx = np.multiply(low, w, dtype=np.int64)
    idx += right
    idx += (np.arange(oh, dtype=np.int64) * (2 * w))[:, None] + np.arange(0, 2 * ow, 2)
    return best, idx


def _max_pool_kernel(x: np.ndarray, k, s, p, d, out_hw):
    """(values, flat indices into the input's H*W), both (..., oH, oW): a running maximum over
    the kernel offsets, then the first offset equal to it (PyTorch keeps the first maximum, or
    the last NaN)."""
    if k == (2, 2) and s == (2, 2) and p == (0, 0) and d == (1, 1):
        res = _max_pool_2x2(x, out_hw)
        if res is not None:
            return res
    h, w = x.shape[-2:]
    floating = x.dtype.kind == "f"
    if floating:
        fill = -np.inf
    elif x.dtype == np.bool_:
        fill = False
    else:
        fill = np.iinfo(x.dtype).min
    views = list(_offsets(_padded(x, k, s, p, d, out_hw, fill), k, s, d, out_hw))
    best = views[0].copy()
    for view in views[1:]:
        np.maximum(best, view, out=best)   # NaN propagates, as in PyTorch
    # the first offset holding the maximum: the largest (K - offset) among the equal ones
    n_k = len(views)
    ct = np.int16 if n_k < 32767 else np.int32
    code = np.zeros(best.shape, ct)
    for n, view in enumerate(views):
        np.maximum(code, np.multiply(view == best, ct(n_k - n), dtype=ct), out=code)
    if floating:
        nan = np.isnan(best)
        if nan.any():   # PyTorch keeps the last NaN of a window
            last = np.zeros(best.shape, np.int32)
            for n, view in enumerate(views):
                np.maximum(last, np.multiply(np.isnan(view), n, dtype=np.int32), out=last)
            code = np.where(nan, n_k - last, code)
    # flat index = the window's top-left position + the offset's displacement, looked up by code
    # (code c means offset n_k - c; c = 0 never remains)
    shift = np.array([0] + [i * d[0] * w + j * d[1] for i in range(k[0]) for j in range(k[1])]
                     [::-1], np.int64)
    if not (p[0] or p[1]):          # every window lies inside the input: no index is negative
        idx = shift.take(code)
        idx += (np.arange(out_hw[0], dtype=np.int64) * (s[0] * w))[:, None]
        idx += np.arange(out_hw[1], dtype=np.int64) * s[1]
        return best, idx
    kidx = n_k - code.astype(np.int32)
    kh, kw = np.divmod(kidx, k[1])
    rows = np.arange(out_hw[0])[:, None] * s[0] - p[0] + kh * d[0]
    cols = np.arange(out_hw[1]) * s[1] - p[1] + kw * d[1]
    # a window whose valid elements are all -inf: PyTorch reports its first valid position
    rows = np.where(rows < 0, rows % d[0], rows)
    cols = np.where(cols < 0, cols % d[1], cols)
    return best, (rows * w + cols).astype(np.int64)


def max_pool_double_backward(grad, indices, nd: int):
    """PyTorch's max_pool_double_backward, the gradient of max_unpool and of max pooling's
    backward kernel in its gradient: ``grad`` read at the flat ``indices`` of each plane of the
    last ``nd`` dims, recorded as PyTorch records it (view, gather, view)."""
    if not isinstance(indices, Tensor):
        indices = wrap(indices)
    shape = tuple(indices.shape)
    if not indices._data.size:
        return wrap(np.zeros(shape, grad._data.dtype))
    flat = shape[:len(shape) - nd] + (-1,)
    return reshape(gather(reshape(grad, flat), -1, reshape(indices, flat)), shape)


class MaxPool2DWithIndicesBackwardBackward0(_KernelBackward):
    """max_pool2d_with_indices_backward(grad, self, ..., indices): grad scattered to the saved
    indices, over (grad, self) (see ``_KernelBackward``)."""
    __slots__ = ()
    saved_names = ("indices",)

    def adjoint_op(self, grad, indices):
        return max_pool_double_backward(grad, indices, 2)


class MaxPool2DWithIndicesBackward0(Node):
    """Each window's maximum passes its gradient to the element it came from (the saved index);
    double backward gathers the grad-grad by the same indices."""
    __slots__ = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")
    saved_names = ("self", "result1")
    saved_attrs = {"kernel_size": "kernel_size", "stride": "stride", "padding": "padding",
                   "dilation": "dilation", "ceil_mode": "ceil_mode"}

    def backward(self, ns, grad, x, indices):
        k, d = self.kernel_size, self.dilation
        s = self.stride or k
        # disjoint windows (stride >= dilated kernel): each input element is picked at most once
        disjoint = all(s[i] >= d[i] * (k[i] - 1) + 1 for i in range(2))
        return (_scatter_back(ns, grad, x, indices, x.shape[-2:],
                              MaxPool2DWithIndicesBackwardBackward0,
                              "MaxPool2DWithIndicesBackward0", disjoint),)

    def jvp(self, ns, tangents, x, indices):
        return gather_flat(tangents[0], indices, 2)


def _scatter_back(ns, grad, x, indices, spatial, cls, adjoint_name, unique=False):
    idx = array(indices)
    spatial = tuple(spatial)
    return ns.backward_kernel(cls, grad, x, lambda g: scatter_flat(g, idx, spatial, unique),
                              lambda g: gather_flat(g, idx, len(spatial)), adjoint_name, None,
                              indices)


@export(torch=False, functional=True, vmap="pool2d")
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False):
    """(values, indices) of 2-D max pooling (indices: flat positions in each input plane)."""
    x = input._data
    k, st, s, p, d, out_hw = _geometry(x.shape, kernel_size, stride, padding, dilation,
                                       ceil_mode, "max_pool2d", True)
    vals, idx = _max_pool_kernel(x, k, s, p, d, out_hw)
    indices = wrap(idx)
    return record1(MaxPool2DWithIndicesBackward0, input, vals, (input, indices), kernel_size=k,
                   stride=st and s, padding=p, dilation=d, ceil_mode=bool(ceil_mode)), indices


@export(torch=True, functional=True, composite=True)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = max_pool2d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


def _one(v, op: str, what: str, allow_empty: bool = False) -> tuple:
    t = (v,) if isinstance(v, (int, np.integer)) else tuple(v)
    if len(t) == 1 or (allow_empty and not t):
        return tuple(int(i) for i in t)
    if op == "max_pool1d":
        raise RuntimeError(f"max_pool1d() {what} must be an int, list of ints or tuple of ints of "
                           f"size 1 but got size {len(t)}")
    raise RuntimeError(f"{op}() argument '{what}' should contain one int (got {len(t)})")


def _check_1d(input, op: str) -> None:
    n = input.ndim
    if op == "max_pool1d":
        if n not in (2, 3) or (n == 3 and not all(input.shape[1:])) or \
                (n == 2 and not all(input.shape)):
            raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                               f"dim batch size for input, but got:{_fmt(input.shape)}")
    elif n not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {n}-dimensional tensor for "
                           f"argument #1 'self' (while checking arguments for {op})")


@export(torch=True, functional=True, composite=True)
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False):
    """PyTorch's: the 2-D op on ``input.unsqueeze(-2)``, both results squeezed back."""
    _check_1d(input, "max_pool1d")
    k = _one(kernel_size, "max_pool1d", "kernel_size")
    s = _one(stride if stride is not None else (), "max_pool1d", "stride", True) or k
    p = _one(padding, "max_pool1d", "padding")
    d = _one(dilation, "max_pool1d", "dilation")
    _check_max_pool1d(input.shape[-1], k[0], s[0], p[0], d[0], ceil_mode)
    out, idx = max_pool2d_with_indices(unsqueeze(input, -2), (1, k[0]), (1, s[0]), (0, p[0]),
                                       (1, d[0]), ceil_mode)
    return squeeze(out, -2), squeeze(idx, -2)


def _check_max_pool1d(size: int, k: int, s: int, p: int, d: int, ceil: bool) -> None:
    """ATen's check_max_pool1d (its own messages, before the 2-D op's)."""
    for what, v, ok in (("kernel_size", k, k > 0), ("stride", s, s > 0)):
        if not ok:
            raise RuntimeError(f"max_pool1d() {what} must be greater than zero, but got {v}")
    if p < 0:
        raise RuntimeError(f"max_pool1d() padding must be non-negative, but got {p}")
    if p > k // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p} and kernel_size={k}")
    if d <= 0:
        raise RuntimeError(f"max_pool1d() dilation must be greater than zero, but got {d}")
    out = _out_size(size, k, p, s, d, ceil)
    if out <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {out}")


@export(torch=True, functional=True, composite=True)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation, ceil_mode)
    return (out, idx) if return_indices else out


# -- average pooling --------------------------------------------------------------------------
def _divisor(size: int, k: int, s: int, p: int, n_out: int, include_pad: bool) -> np.ndarray:
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, size + p)
    if include_pad:
        return end - start
    return np.minimum(end, size) - np.maximum(start, 0)


def _avg_divisor(shape, k, s, p, out_hw, include_pad, divisor_override, dtype):
    if divisor_override is not None:
        return np.asarray(divisor_override, dtype=dtype)
    dh = _divisor(shape[-2], k[0], s[0], p[0], out_hw[0], include_pad)
    dw = _divisor(shape[-1], k[1], s[1], p[1], out_hw[1], include_pad)
    return (dh[:, None] * dw[None, :]).astype(dtype)


def _avg_forward(x, k, s, p, out_hw, div):
    """Window sums (one add per kernel offset) over the divisors."""
    acc = x.dtype if x.dtype.kind == "f" else np.int64
    out = None
    for view in _offsets(_padded(x, k, s, p, (1, 1), out_hw, 0), k, s, (1, 1), out_hw):
        if out is None:
            out = view.astype(acc, copy=True)
        else:
            out += view
    if x.dtype.kind == "f":
        out /= div
        return out
    q = np.abs(out) // div   # integer inputs: C++ division, truncated toward zero
    return (np.where(out < 0, -q, q)).astype(x.dtype)


def _avg_adjoint(g, in_hw, k, s, p, out_hw, div):
    """The gradient of each output spread evenly (1/divisor) over its window."""
    gd = g / div
    h, w = in_hw
    hp = max(h + 2 * p[0], (out_hw[0] - 1) * s[0] + k[0])
    wp = max(w + 2 * p[1], (out_hw[1] - 1) * s[1] + k[1])
    out = np.zeros(g.shape[:-2] + (hp, wp), dtype=g.dtype)
    eh, ew = (out_hw[0] - 1) * s[0] + 1, (out_hw[1] - 1) * s[1] + 1
    for i in range(k[0]):
        for j in range(k[1]):
            out[..., i:i + eh:s[0], j:j + ew:s[1]] += gd
    return out[..., p[0]:p[0] + h, p[1]:p[1] + w]


class _AvgPoolBackward(Node):
    """Each output is a window's sum over a divisor: the window's elements each get the gradient
    over the divisor; double backward is average pooling of the grad-grad. The 2-D and 3-D nodes
    differ only in their kernels (``_pool`` / ``_adjoint``, same arguments) and names."""
    __slots__ = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                 "divisor_override", "geom")
    saved_names = ("self",)
    saved_attrs = {"kernel_size": "kernel_size", "stride": "stride", "padding": "padding",
                   "ceil_mode": "ceil_mode", "count_include_pad": "count_include_pad",
                   "divisor_override": lambda n: n.divisor_override}
    _pool = _adjoint = None     # staticmethods of the subclasses
    _double = None              # the node of PyTorch's backward kernel (create_graph)

    def backward(self, ns, grad, x):
        sp, k, s, p, out, div = self.geom
        pool, adjoint = self._pool, self._adjoint
        return (ns.backward_kernel(self._double, grad, x,
                                   lambda g: adjoint(g, sp, k, s, p, out, div),
                                   lambda g: pool(g, k, s, p, out, div), type(self).__name__,
                                   self),)

    def jvp(self, ns, tangents, x):  # linear in the input
        _, k, s, p, out, div = self.geom
        return self._pool(tangents[0], k, s, p, out, div)


class AvgPool2DBackwardBackward0(_KernelBackward):
    """avg_pool2d_backward(grad, self, ...): grad spread over the windows, over (grad, self)
    (see ``_KernelBackward``)."""
    __slots__ = ()
    copied = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
              "divisor_override")
    saved_attrs = attr_reader(*copied)

    def adjoint_op(self, grad, *saved):
        a = self.attrs
        return avg_pool2d(grad, a["kernel_size"], a["stride"] or None, a["padding"],
                          a["ceil_mode"], a["count_include_pad"], a["divisor_override"])


class AvgPool2DBackward0(_AvgPoolBackward):
    __slots__ = ()
    _double = AvgPool2DBackwardBackward0
    _pool = staticmethod(_avg_forward)
    _adjoint = staticmethod(_avg_adjoint)


@export(torch=False, functional=True, vmap="pool2d")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling (window sums over the window size, or ``divisor_override``)."""
    op = "avg_pool2d"
    x = input._data
    _ints(kernel_size, op, "kernel_size")
    _ints(stride if stride is not None else (), op, "stride", allow_empty=True)
    _ints(padding, op, "padding")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, st, s, p, _, out_hw = _geometry(x.shape, kernel_size, stride, padding, 1, ceil_mode, op,
                                       False)
    div = _avg_divisor(x.shape, k, s, p, out_hw, count_include_pad, divisor_override,
                       x.dtype if x.dtype.kind == "f" else np.int64)
    out = _avg_forward(x, k, s, p, out_hw, div)
    return record1(AvgPool2DBackward0, input, out, input, kernel_size=k, stride=st and s, padding=p,
                   ceil_mode=bool(ceil_mode), count_include_pad=bool(count_include_pad),
                   divisor_override=divisor_override, geom=(x.shape[-2:], k, s, p, out_hw, div))


@export(torch=True, functional=True, composite=True)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """PyTorch's: ``avg_pool2d`` on ``input.unsqueeze(-2)``, squeezed back."""
    op = "avg_pool1d"
    _check_1d(input, op)
    k = _one(kernel_size, op, "kernel_size")
    s = _one(stride if stride is not None else (), op, "stride", True) or k
    p = _one(padding, op, "padding")
    out = avg_pool2d(unsqueeze(input, -2), (1, k[0]), (1, s[0]), (0, p[0]), ceil_mode,
                     count_include_pad)
    return squeeze(out, -2)


_SCALAR_NAMES = D.SCALAR_NAMES  # the one table, in _dtype.py


# -- power-average pooling (PyTorch's composite) ----------------------------------------------
@export(torch=False, functional=True, composite=True)
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x^p)^(1/p), as PyTorch computes it (through avg_pool2d)."""
    kw, kh = _pair(_ints(kernel_size, "avg_pool2d", "kernel_size"))
    if norm_type == float("inf"):
        return max_pool2d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool2d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool2d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool2d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kw * kh).pow(1.0 / norm_type)


@export(torch=False, functional=True, composite=True)
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over the window of x^p)^(1/p), as PyTorch computes it (through avg_pool1d)."""
    if norm_type == float("inf"):
        return max_pool1d(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if norm_type == -float("inf"):
        return -max_pool1d(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if stride is not None:
        out = avg_pool1d(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    else:
        out = avg_pool1d(input.pow(norm_type), kernel_size, padding=0, ceil_mode=ceil_mode)
    return (out.sign() * out.abs().relu()).mul(kernel_size).pow(1.0 / norm_type)
