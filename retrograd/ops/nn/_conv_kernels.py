"""NumPy kernels of the convolutions: im2col as a strided view of the (padded) input, copied
once into the matrix the GEMM reads, and one GEMM per group over the whole batch; col2im as a
scatter through strided views of an output buffer, looping only over the kernel offsets.
``conv_backward`` computes both gradients of a convolution, sharing the gradient's copy.

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


def _pitched(full: tuple, size: int, pad: int, kernel: int, dilation: int) -> tuple:
    """``full`` (the padded spatial size) with the last dim's row pitch cut from W + 2p to
    W + p where a row's right padding can be the next row's left padding: the windows of the
    valid outputs reach p past a row's end, into those zeros, and the ow = W + 2p - d*(k-1)
    outputs still fit in a row when p <= d*(k-1) (the CNN's 3x3 / padding 1: 15 instead of 16,
    6% fewer GEMM columns)."""
    if full[-1] == size + 2 * pad and pad <= dilation * (kernel - 1):
        return full[:-1] + (size + pad,)
    return full


def _row_cols(x, kernel, stride, padding, dilation, out, full):
    """im2col in the virtual-row layout: (N, C, *K, *out[:-1], Wp) as a read-only view over a
    padded copy of x of spatial size ``full`` (its last dim possibly ``_pitched``)."""
    buf, view = _slabs(x.shape[:2], full, dilation[-1] * (kernel[-1] - 1), x.dtype)
    view[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in
                                            zip(x.shape[2:], padding))] = x
    return _row_windows(buf, full, kernel, out, stride, dilation)


# -- the GEMM layout ------------------------------------------------------------------------
# The operands are channels-first matrices, (g, rows, N*Lv) with Lv the (virtual) spatial
# positions of one example: one GEMM per group over the whole batch (per-example GEMMs lose to
# it where an example has few positions: the weights are re-packed each call, and the weight
# gradient's per-example products must be summed). Their rows are padded (``_ld``): a row
# pitch that is a multiple of 4 KiB (32 x 14 x 16 floats: the CNN's conv2) maps every row to the
# same cache sets, and OpenBLAS then ran the GEMMs up to ~2x slower.
def _ld(n: int, itemsize: int) -> int:
    """A row pitch of at least ``n`` elements that is not a multiple of 2 KiB."""
    ld = n + 64 // itemsize
    while (ld * itemsize) % 2048 == 0:
        ld += 64 // itemsize
    return ld


def _matrix(lead: tuple, n: int, dtype, zero: bool = False) -> np.ndarray:
    """An uninitialised (or zeroed) (*lead, n) array whose rows have a padded pitch."""
    dt = np.dtype(dtype)
    buf = (np.zeros if zero else np.empty)(lead + (_ld(n, dt.itemsize),), dt)
    return buf[..., :n]


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a (g, m, k) @ b (g, k, n) into a result with padded rows (BLAS writes it directly)."""
    out = _matrix((b.shape[0], a.shape[1]), b.shape[2], np.result_type(a.dtype, b.dtype))
    if a.shape[0] == 1:
        np.matmul(a[0], b[0], out=out[0])
    else:
        np.matmul(a, b, out=out)
    return out


def _rows_ok(full_last: int, out, kernel, stride_last: int) -> bool:
    """Whether a convolution with ``out`` windows (a transposed one with ``out`` input
    positions) over a padded last dim of ``full_last`` uses the virtual-row layout."""
    return bool(math.prod(out) and math.prod(kernel)) and \
        _use_rows(full_last, out[-1], len(out), stride_last)


def _batch_last(n: int) -> tuple:
    """The axis order (C, *K, N, *L) of an (N, C, *K, *L) window view with n spatial dims."""
    return (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))


def columns(x, kernel, stride, padding, dilation, out, groups: int) -> tuple:
    """im2col copied into the layout the GEMMs read: ``(cols, virtual)``, cols a
    (g, C/g*K, N*Lv) matrix with padded rows, ``virtual`` the spatial shape of one example's Lv
    columns (``out``, the last dim widened to the padded width in the virtual-row layout)."""
    N, C = x.shape[:2]
    n = len(kernel)
    full = _pitched(tuple(s + 2 * p for s, p in zip(x.shape[2:], padding)), x.shape[-1],
                    padding[-1], kernel[-1], dilation[-1])
    if _rows_ok(full[-1], out, kernel, stride[-1]):
        win = _row_cols(x, kernel, stride, padding, dilation, out, full)
        virtual = tuple(out[:-1]) + (full[-1],)
    else:
        win, virtual = im2col(x, kernel, stride, padding, dilation, out), tuple(out)
    length = N * math.prod(virtual)
    cols = _matrix((groups, (C // groups) * math.prod(kernel)), length, x.dtype)
    np.copyto(cols.reshape((C,) + tuple(kernel) + (N,) + virtual),
              win.transpose(_batch_last(n)))                   # the im2col copy
    return cols, virtual


def channels_first(a: np.ndarray, virtual, groups: int) -> np.ndarray:
    """(N, C, *L) -> the (g, C/g, N*Lv) matrix with padded rows, the last spatial dim
    zero-extended to ``virtual[-1]`` (the virtual-row layout's garbage columns scatter or
    gather nothing); one copying pass."""
    N, C = a.shape[:2]
    widened = tuple(a.shape[2:]) != tuple(virtual)
    m = _matrix((groups, C // groups), N * math.prod(virtual), a.dtype, zero=widened)
    dest = m.reshape((C, N) + tuple(virtual))
    if widened:
        dest = dest[..., :a.shape[-1]]
    np.copyto(dest, a.swapaxes(0, 1))
    return m


def _fast_view(buf: np.ndarray, offset: int, shape, strides) -> np.ndarray:
    """A strided view of the contiguous ``buf`` from element ``offset`` (what as_strided does,
    without its ~10 us of Python)."""
    return np.ndarray(tuple(shape), buf.dtype, buf, offset * buf.itemsize, tuple(strides))


def _compute(dt, *arrays):
    ct = compute_dtype(dt)
    return ct, tuple(a.astype(ct) if a.dtype != ct else a for a in arrays)


def conv(x: np.ndarray, w: np.ndarray, stride, padding, dilation, groups: int,
         cols=None) -> np.ndarray:
    """y[n, o] = sum_{c, k} x_pad[n, c, l*stride + k*dilation] w[o, c, k], per group: the
    windows copied once into a (C/g*K, N*Lv) matrix per group (``cols``: ``columns``' result
    when already made), then one GEMM."""
    dt = x.dtype
    ct, (x, w) = _compute(dt, x, w)
    N, C = x.shape[:2]
    O = w.shape[0]
    kernel = tuple(w.shape[2:])
    out = out_sizes(x.shape[2:], kernel, stride, padding, dilation)
    g = groups
    if cols is None:
        cols = columns(x, kernel, stride, padding, dilation, out, g)
    cols, virtual = cols
    y = _matmul(w.reshape(g, O // g, (C // g) * math.prod(kernel)), cols)  # (g, O/g, N*Lv)
    y = y.reshape((O, N) + virtual)
    if virtual != out:
        y = y[..., :out[-1]]
    y = np.ascontiguousarray(y.swapaxes(0, 1))
    return y.astype(dt) if ct != dt else y


def _transpose_layout(x_shape, kernel, size, stride, padding, dilation) -> tuple:
    """(full, virtual) of conv_transpose: the padded output buffer's spatial size and the
    spatial shape of the GEMM's columns (the input's, widened in the virtual-row layout)."""
    blocks = tuple(x_shape[2:])
    full = tuple(max(s + 2 * p, (b - 1) * st + d * (k - 1) + 1)
                 for s, p, b, st, d, k in zip(size, padding, blocks, stride, dilation, kernel))
    full = _pitched(full, size[-1], padding[-1], kernel[-1], dilation[-1])
    rows = _rows_ok(full[-1], blocks, kernel, stride[-1])
    return full, (blocks[:-1] + (full[-1],) if rows else blocks)


def conv_transpose(x: np.ndarray, w: np.ndarray, size, stride, padding, dilation,
                   groups: int, xm=None) -> np.ndarray:
    """The adjoint of ``conv`` in its input: x (N, C_in, *L), w (C_in, O/g, *K) ->
    (N, O, *size): one GEMM per group to columns, then col2im (``xm``: x already made a
    ``channels_first`` matrix of the layout's virtual shape)."""
    dt = x.dtype
    ct, (x, w) = _compute(dt, x, w)
    N, C = x.shape[:2]
    g = groups
    og = w.shape[1]
    O = g * og
    kernel = tuple(w.shape[2:])
    blocks = tuple(x.shape[2:])
    kk = math.prod(kernel)
    full, virtual = _transpose_layout(x.shape, kernel, size, stride, padding, dilation)
    if xm is None:
        xm = channels_first(x, virtual, g)
    wm = np.ascontiguousarray(w.reshape(g, C // g, og * kk).swapaxes(1, 2))  # (g, O/g*K, C/g)
    cols = _matmul(wm, xm).reshape((O,) + kernel + (N,) + virtual)  # (O, *K, N, *Lv)
    if virtual == blocks:
        order = (1 + len(kernel), 0) + tuple(range(1, 1 + len(kernel))) + \
            tuple(range(2 + len(kernel), cols.ndim))
        y = col2im(cols.transpose(order), size, stride, padding, dilation)
        return y.astype(dt) if ct != dt else y
    buf, view = _slabs((O, N), full, dilation[-1] * (kernel[-1] - 1), cols.dtype)
    nd = len(full)
    pitch = [math.prod(full[i + 1:]) for i in range(nd)]
    shape = (O, N) + virtual
    strides = buf.strides[:2] + tuple(stride[i] * pitch[i] * buf.itemsize
                                      for i in range(nd - 1)) + (buf.itemsize,)
    if stride[-2] == 1:     # the last two dims are one contiguous run: one dim for NumPy's loop
        shape = shape[:-2] + (virtual[-2] * virtual[-1],)
        strides = strides[:-2] + (buf.itemsize,)
        cols = cols.reshape((O,) + kernel + shape[1:])
    for k in itertools.product(*(range(n) for n in kernel)) if buf.size else ():
        start = sum(k[i] * dilation[i] * pitch[i] for i in range(nd))
        dest = _fast_view(buf, start, shape, strides)
        dest += cols[(slice(None),) + k]                         # (O, N, *Lv)
    y = view[(slice(None), slice(None)) + tuple(slice(p, p + s) for s, p in
                                                zip(size, padding))]
    y = np.ascontiguousarray(y.swapaxes(0, 1))
    return y.astype(dt) if ct != dt else y


def conv_weight(x: np.ndarray, grad: np.ndarray, kernel, stride, padding, dilation,
                groups: int, cols=None, gm=None) -> np.ndarray:
    """d<grad, conv(x, w)>/dw: gw[o, c, k] = sum_{n, l} grad[n, o, l] x_pad[n, c, l*s + k*d]
    (the number of windows is grad's spatial size), one GEMM per group (``cols``: x's
    ``columns`` for grad's spatial size, ``gm``: grad as a ``channels_first`` matrix of their
    layout, when already made)."""
    dt = x.dtype
    ct, (x, grad) = _compute(dt, x, grad)
    N, C = x.shape[:2]
    O = grad.shape[1]
    g = groups
    kernel = tuple(kernel)
    if cols is None:
        cols = columns(x, kernel, stride, padding, dilation, tuple(grad.shape[2:]), g)
    cols, virtual = cols
    if gm is None or gm.shape[-1] != cols.shape[-1]:
        gm = channels_first(grad, virtual, g)
    ck = cols.shape[1]
    if N > 1 and ck * (O // g) <= 4096:
        # a small result over a long sum (the CNN's conv1: 9 x 16 over 32 x 840 columns):
        # OpenBLAS runs that ~2x slower than one product per example summed afterwards
        lv = math.prod(virtual)
        parts = np.matmul(cols.reshape(g, ck, N, lv).swapaxes(1, 2),
                          gm.reshape(g, O // g, N, lv).transpose(0, 2, 3, 1))  # (g, N, ck, O/g)
        gw = parts.sum(1).swapaxes(1, 2)
    else:
        # computed transposed, (C/g*K, O/g): OpenBLAS runs this shape faster (~1.3x here)
        gw = np.matmul(cols, gm.swapaxes(1, 2)).swapaxes(1, 2)  # (g, O/g, C/g*K)
    gw = gw.reshape((O, C // g) + kernel)
    return gw.astype(dt) if ct != dt else gw


def conv_backward(grad, x, w, stride, padding, dilation, transposed: bool, groups: int,
                  mask) -> tuple:
    """(dL/dx, dL/dw) of y = convolution(x, w) (``transposed``: of the transposed one) from
    dL/dy = ``grad``, each only where ``mask`` asks for it; the copy of ``grad`` both need (its
    columns, or its widened matrix) is made once."""
    dt = x.dtype
    ct, (grad, x, w) = _compute(dt, grad, x, w)
    kernel = tuple(w.shape[2:])
    size = tuple(x.shape[2:])
    gx = gw = None
    if transposed:
        # y = conv_transpose(x, w): dL/dx = conv(grad, w), dL/dw = conv_weight(grad, x)
        # (conv(grad, w) has one more position than x where output_padding reached past the
        # stride: then it is cut, and computes its own columns)
        same = out_sizes(grad.shape[2:], kernel, stride, padding, dilation) == size
        cols = columns(grad, kernel, stride, padding, dilation, size, groups) \
            if mask[1] or same else None
        if mask[0]:
            gx = conv(grad, w, stride, padding, dilation, groups, cols if same else None)
            if not same:
                gx = np.ascontiguousarray(gx[(slice(None), slice(None)) +
                                             tuple(slice(0, s) for s in size)])
        if mask[1]:
            gw = conv_weight(grad, x, kernel, stride, padding, dilation, groups, cols)
    else:
        # y = conv(x, w): dL/dx = conv_transpose(grad, w), dL/dw = conv_weight(x, grad)
        full, virtual = _transpose_layout(grad.shape, kernel, size, stride, padding, dilation)
        gm = channels_first(grad, virtual, groups)
        if mask[0]:
            gx = conv_transpose(grad, w, size, stride, padding, dilation, groups, gm)
        if mask[1]:
            gw = conv_weight(x, grad, kernel, stride, padding, dilation, groups, None, gm)
    if ct != dt:
        gx = gx.astype(dt) if gx is not None else None
        gw = gw.astype(dt) if gw is not None else None
    return gx, gw
