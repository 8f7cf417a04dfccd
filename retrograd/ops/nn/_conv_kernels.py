"""NumPy kernels of the convolutions: im2col as a strided view of the (padded) input and one
batched GEMM per call, groups folded into the GEMM's batch dim; col2im as a scatter through
strided views of an output buffer, looping only over the kernel offsets.

Shapes: ``x`` (N, C, *S), weight (O, C/g, *K) for a convolution, (C, O/g, *K) for a transposed
one. ``stride``, ``padding``, ``dilation`` are tuples of one int per spatial dim. No checks
here: the callers validate (ops/nn/conv.py)."""
from __future__ import annotations

import itertools
import math

import numpy as np

_as_strided = np.lib.stride_tricks.as_strided
_f32 = np.dtype(np.float32)


def compute_dtype(dt: np.dtype) -> np.dtype:
    """float16 is accumulated in float32 (as PyTorch's CPU kernels do), the rest as it is."""
    return _f32 if dt == np.float16 else dt


def pad_spatial(x: np.ndarray, padding) -> np.ndarray:
    """``x`` with ``padding`` zeros on both sides of each spatial dim (x itself when none)."""
    if not any(padding):
        return x
    n = len(padding)
    out = np.zeros(x.shape[:2] + tuple(s + 2 * p for s, p in zip(x.shape[2:], padding)), x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in
                                           zip(x.shape[2:], padding))] = x
    assert out.ndim == n + 2
    return out


def out_sizes(sizes, kernel, stride, padding, dilation) -> tuple:
    return tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                 for s, k, st, p, d in zip(sizes, kernel, stride, padding, dilation))


def windows(xp: np.ndarray, kernel, out, stride, dilation) -> np.ndarray:
    """The read-only view (N, C, *K, *out) of the sliding windows of ``xp`` (already padded)."""
    st = xp.strides
    n = len(kernel)
    strides = st[:2] + tuple(st[2 + i] * dilation[i] for i in range(n)) + \
        tuple(st[2 + i] * stride[i] for i in range(n))
    return _as_strided(xp, xp.shape[:2] + tuple(kernel) + tuple(out), strides, writeable=False)


def im2col(x: np.ndarray, kernel, stride, padding, dilation, out=None) -> np.ndarray:
    """(N, C, *K, *out) windows of ``x`` (a view; padded first when ``padding``)."""
    if out is None:
        out = out_sizes(x.shape[2:], kernel, stride, padding, dilation)
    return windows(pad_spatial(x, padding), kernel, out, stride, dilation)


def col2im(cols: np.ndarray, size, stride, padding, dilation) -> np.ndarray:
    """The adjoint of ``im2col``: cols (N, C, *K, *L) summed into (N, C, *size), each kernel
    offset added through one strided view of the padded buffer."""
    n = len(size)
    kernel = cols.shape[2:2 + n]
    blocks = cols.shape[2 + n:]
    full = tuple(max(s + 2 * p, (b - 1) * st + d * (k - 1) + 1) if b else s + 2 * p
                 for s, p, b, st, d, k in zip(size, padding, blocks, stride, dilation, kernel))
    out = np.zeros(cols.shape[:2] + full, cols.dtype)
    if all(blocks) and cols.size:
        lead = (slice(None), slice(None))
        for k in itertools.product(*(range(kk) for kk in kernel)):
            region = tuple(slice(k[i] * dilation[i], k[i] * dilation[i] + (blocks[i] - 1) *
                                 stride[i] + 1, stride[i]) for i in range(n))
            out[lead + region] += cols[lead + k]
    crop = tuple(slice(p, p + s) for s, p in zip(size, padding))
    res = out[(slice(None), slice(None)) + crop]
    return res if res.flags.c_contiguous else np.ascontiguousarray(res)


# -- the "virtual row" layout ---------------------------------------------------------------
# A convolution with stride 1 along the last dim computes each output row at every position of
# a padded input row (width Wp), not only the ow valid ones: a window offset then reads (or, in
# col2im, writes) one contiguous run of rows x Wp elements, so the im2col copy and the col2im
# adds run over long contiguous inner loops instead of rows of ow elements. The Wp - ow extra
# columns per row are garbage (dropped) in a convolution, zeros in col2im. Each (n, c) slab gets
# a tail of d * (k - 1) elements so that the last row's windows stay inside their own slab.
def _use_rows(full_last: int, out_last: int, n: int, stride_last: int) -> bool:
    return n >= 2 and stride_last == 1 and 0 < out_last < 64 and 2 * (full_last - out_last) \
        <= out_last


def _slabs(lead: tuple, full: tuple, tail: int, dtype) -> tuple:
    """A zeroed (N, C, prod(full) + tail) buffer and its (N, C, *full) view."""
    p = math.prod(full)
    buf = np.zeros(lead + (p + tail,), dtype)
    return buf, buf[..., :p].reshape(lead + tuple(full))


def _row_windows(buf, full, kernel, out, stride, dilation, offset=None, writeable=False):
    """(N, C, *K, *out[:-1], Wp) windows over a slab buffer; with ``offset`` (one kernel
    position) the (N, C, *out[:-1], Wp) view of that position alone."""
    n = len(full)
    item = buf.itemsize
    pitch = [math.prod(full[i + 1:]) * item for i in range(n)]
    lead_strides = buf.strides[:2]
    out_strides = tuple(stride[i] * pitch[i] for i in range(n - 1)) + (item,)
    shape = tuple(out[:-1]) + (full[-1],)
    if offset is None:
        k_strides = tuple(dilation[i] * pitch[i] for i in range(n))
        return _as_strided(buf, buf.shape[:2] + tuple(kernel) + shape,
                           lead_strides + k_strides + out_strides, writeable=writeable)
    start = sum(offset[i] * dilation[i] * pitch[i] for i in range(n)) // item
    return _as_strided(buf[..., start:], buf.shape[:2] + shape, lead_strides + out_strides,
                       writeable=writeable)


def _row_cols(x, kernel, stride, padding, dilation, out):
    """im2col in the virtual-row layout: (N, C, *K, *out[:-1], Wp) as a read-only view."""
    full = tuple(s + 2 * p for s, p in zip(x.shape[2:], padding))
    buf, view = _slabs(x.shape[:2], full, dilation[-1] * (kernel[-1] - 1), x.dtype)
    view[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in
                                            zip(x.shape[2:], padding))] = x
    return _row_windows(buf, full, kernel, out, stride, dilation), full


def _channels_first(a, width=None):
    """(N, C, ...) -> a contiguous (C, N, ...) copy, its last dim zero-extended to ``width``
    when given (one pass, not a widening copy and then a transposing one)."""
    t = a.swapaxes(0, 1)
    if width is None:
        return np.ascontiguousarray(t)
    out = np.zeros(t.shape[:-1] + (width,), a.dtype)
    out[..., :a.shape[-1]] = t
    return out


def _gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(g, m, k) @ (g, k, n): one BLAS GEMM per group (a plain 2-d product when g == 1). One
    big product rather than one per example: OpenBLAS threads small products badly."""
    if a.shape[0] == 1:
        return np.matmul(a[0], b[0])[None]
    return np.matmul(a, b)


def _batch_last(n: int) -> tuple:
    """The axis order (C, *K, N, *L) of an (N, C, *K, *L) window view with n spatial dims."""
    return (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))


def conv(x: np.ndarray, w: np.ndarray, stride, padding, dilation, groups: int) -> np.ndarray:
    """y[n, o] = sum_{c, k} x_pad[n, c, l*stride + k*dilation] w[o, c, k], per group: the
    windows copied once into a (C/g*K, N*L) matrix per group, then one GEMM."""
    dt = x.dtype
    ct = compute_dtype(dt)
    if ct != dt:
        x, w = x.astype(ct), w.astype(ct)
    N, C = x.shape[:2]
    O = w.shape[0]
    kernel = w.shape[2:]
    n = len(kernel)
    out = out_sizes(x.shape[2:], kernel, stride, padding, dilation)
    g = groups
    ck = (C // g) * math.prod(kernel)
    rows = bool(math.prod(out)) and _use_rows(x.shape[-1] + 2 * padding[-1], out[-1], n,
                                              stride[-1])
    if rows:
        win, full = _row_cols(x, kernel, stride, padding, dilation, out)
        virtual = tuple(out[:-1]) + (full[-1],)
    else:
        win, virtual = im2col(x, kernel, stride, padding, dilation, out), out
    cols = np.ascontiguousarray(win.transpose(_batch_last(n))).reshape(
        g, ck, N * math.prod(virtual))                     # the im2col copy
    y = _gemm(w.reshape(g, O // g, ck), cols)              # (g, O/g, N*L)
    y = y.reshape((O, N) + virtual).swapaxes(0, 1)
    y = np.ascontiguousarray(y[..., :out[-1]] if rows else y)
    return y.astype(dt) if ct != dt else y


def conv_transpose(x: np.ndarray, w: np.ndarray, size, stride, padding, dilation,
                   groups: int) -> np.ndarray:
    """The adjoint of ``conv`` in its input: x (N, C_in, *L), w (C_in, O/g, *K) ->
    (N, O, *size): one GEMM to columns, then col2im."""
    dt = x.dtype
    ct = compute_dtype(dt)
    if ct != dt:
        x, w = x.astype(ct), w.astype(ct)
    N, C = x.shape[:2]
    g = groups
    og = w.shape[1]
    O = g * og
    kernel = tuple(w.shape[2:])
    blocks = tuple(x.shape[2:])
    kk = math.prod(kernel)
    wm = w.reshape(g, C // g, og * kk).swapaxes(1, 2)       # (g, O/g*K, C/g)
    full = tuple(max(s + 2 * p, (b - 1) * st + d * (k - 1) + 1)
                 for s, p, b, st, d, k in zip(size, padding, blocks, stride, dilation, kernel))
    rows = bool(x.size and wm.size) and _use_rows(full[-1], blocks[-1], len(blocks), stride[-1])
    # (with rows: zero columns up to the padded width, they scatter nothing)
    xt = _channels_first(x, full[-1] if rows else None)
    virtual = tuple(xt.shape[2:])
    xt = xt.reshape(g, C // g, N * math.prod(virtual))
    cols = _gemm(np.ascontiguousarray(wm), xt)              # (g, O/g*K, N*L)
    cols = cols.reshape((O,) + kernel + (N,) + virtual)      # (O, *K, N, *L)
    if not rows:
        order = (1 + len(kernel), 0) + tuple(range(1, 1 + len(kernel))) + \
            tuple(range(2 + len(kernel), cols.ndim))
        y = col2im(cols.transpose(order), size, stride, padding, dilation)
        return y.astype(dt) if ct != dt else y
    buf, view = _slabs((O, N), full, dilation[-1] * (kernel[-1] - 1), cols.dtype)
    for k in itertools.product(*(range(n) for n in kernel)):
        dest = _row_windows(buf, full, kernel, blocks, stride, dilation, k, True)
        dest += cols[(slice(None),) + k]                       # (O, N, *L)
    y = view[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in
                                                zip(size, padding))]
    y = np.ascontiguousarray(y.swapaxes(0, 1))
    return y.astype(dt) if ct != dt else y


def conv_weight(x: np.ndarray, grad: np.ndarray, kernel, stride, padding, dilation,
                groups: int) -> np.ndarray:
    """d<grad, conv(x, w)>/dw: gw[o, c, k] = sum_{n, l} grad[n, o, l] x_pad[n, c, l*s + k*d]
    (the number of windows is grad's spatial size), one GEMM per group."""
    dt = x.dtype
    ct = compute_dtype(dt)
    if ct != dt:
        x, grad = x.astype(ct), grad.astype(ct)
    N, C = x.shape[:2]
    O = grad.shape[1]
    out = grad.shape[2:]
    g = groups
    n = len(kernel)
    if math.prod(out) and _use_rows(x.shape[-1] + 2 * padding[-1], out[-1], n, stride[-1]):
        win, full = _row_cols(x, kernel, stride, padding, dilation, out)  # (N, C, *K, rows, Wp)
        width = full[-1]                               # zeros where the rows are garbage
        length = math.prod(out[:-1]) * full[-1]
    else:
        win = im2col(x, kernel, stride, padding, dilation, out)  # (N, C, *K, *L)
        length = math.prod(out)
        width = None
    # (C, *K, N, *L) contiguous: per group a (C/g*K, N*L) matrix
    cols = np.ascontiguousarray(win.transpose(_batch_last(n))).reshape(
        g, (C // g) * math.prod(kernel), N * length)
    gm = _channels_first(grad, width).reshape(g, O // g, N * length)
    # computed transposed, (C/g*K, O/g): OpenBLAS runs this shape faster (~1.3x here)
    gw = _gemm(cols, gm.swapaxes(1, 2)).swapaxes(1, 2)     # (g, O/g, C/g*K)
    gw = gw.reshape((O, C // g) + tuple(kernel))
    return gw.astype(dt) if ct != dt else gw
