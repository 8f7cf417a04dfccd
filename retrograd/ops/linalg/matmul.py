"""matmul and its PyTorch special cases (dot, mv, mm, bmm-like broadcasting).

Without a gradient matmul is one np.matmul; with one it records what PyTorch's _matmul_impl
records (dot, mv, mm, unsqueeze-mm-squeeze_, folded mm/mv, expand-reshape-bmm-_unsafe_view), so
the graph and the saved tensors are PyTorch's."""
from __future__ import annotations

import numpy as np

from ... import _warn
from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, needs_grad, quiet, quiet_op, u64, wrap
from ..._dtype import from_numpy_dtype
from .._util import broadcast_error
from ..elementwise.arithmetic import mul
from ..reduction.basic import sum as rsum
from ..._tensor import Tensor as _T
from ..reduction import basic as reduction
from .._util import check_broadcast
from ... import _dtype as D
from ..shape import basic as S
from ..shape import basic as shape
from ..shape.basic import UnsafeViewBackward0 as _ShapeUnsafeView
from ..._size import format_shape

_TYPE = D.CPP_NAMES  # the one table, in _dtype.py
# the most rows for which a product is faster through a column-ordered result (by_columns)
_ROWS_BY_COLUMNS = {np.dtype(np.float32): 160, np.dtype(np.float64): 32}


def by_columns(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether the 2-D product ``x @ y`` is faster through a column-ordered result: ``y`` a
    transposed matrix (``W.T``, F.linear's layout) with k*n >= 32768, ``x`` 2-160 rows of
    float32 or 2-32 of float64. OpenBLAS then packs the few rows of ``x`` transposed instead of
    the whole of ``y``. Interleaved CPU-time p10 on this Zen 4 (its SkylakeX kernels), x @ W.T
    of float32 x 784x512: 2 rows ~0.23x the time, 16 rows ~0.55x, 64 ~0.85x, 128 ~0.93x
    (512x256: 0.86x), 256 rows ~1.05x; float64 4 rows ~0.3-0.8x, 16 ~0.7-0.9x, 128 ~1.1x.
    One row is a matrix-vector product (no gain)."""
    limit = _ROWS_BY_COLUMNS.get(x.dtype)
    return (limit is not None and 2 <= x.shape[0] <= limit and y.dtype == x.dtype and
            y.flags.f_contiguous and not y.flags.c_contiguous and x.shape[1] * y.shape[1] >= 32768)


def column_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x @ y`` computed into a column-ordered (F-contiguous) array (see ``by_columns``)."""
    return np.matmul(x, y, out=np.empty((y.shape[1], x.shape[0]), x.dtype).T)


def _mm_array(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x @ y`` of two matrices, row-ordered as PyTorch's result (see ``by_columns``)."""
    if by_columns(x, y):
        out = np.empty((x.shape[0], y.shape[1]), x.dtype)
        out[...] = column_product(x, y)
        return out
    return np.matmul(x, y)


class _MatmulBackward(Node):
    """d(x @ y)/dx = grad @ y^T, d(x @ y)/dy = x^T @ grad; 1-D operands are treated as a row
    (x) or a column (y) and squeezed back. Subclasses fix the saved order (PyTorch's)."""
    __slots__ = ("xdim", "ydim")

    def grads(self, ns, grad, x, y):
        xd, yd = self.xdim, self.ydim
        if xd == 1 and yd == 1:
            return (grad * y if self.needs(0) else None, grad * x if self.needs(1) else None)
        g = grad
        if xd == 1:
            g = ns.unsqueeze_dims(g, (g.ndim - 1,))
        if yd == 1:
            g = ns.unsqueeze_dims(g, (g.ndim,))
        gx = gy = None
        if self.needs(0):
            y2 = y if yd > 1 else ns.unsqueeze_dims(y, (0,))   # (1, k) -> as a (k, 1) transposed
            gx = ns.matmul(g, y2 if yd == 1 else ns.transpose(y2, -1, -2))
            if xd == 1:
                gx = ns.squeeze_dim(gx, gx.ndim - 2)
        if self.needs(1):
            x2 = x if xd > 1 else ns.unsqueeze_dims(x, (1,))   # (k, 1) = x^T for a row x
            gy = ns.matmul(x2 if xd == 1 else ns.transpose(x2, -1, -2), g)
            if yd == 1:
                gy = ns.squeeze_dim(gy, gy.ndim - 1)
        return gx, gy

    def tangent(self, ns, tangents, x, y):
        """JVP: tx @ y + x @ ty (the product rule; matmul treats 1-D operands as above)."""
        tx, ty = tangents
        out = None if tx is None else ns.matmul(tx, y)
        if ty is not None:
            t = ns.matmul(x, ty)
            out = t if out is None else out + t
        return out


class DotBackward0(_MatmulBackward):
    __slots__ = ()
    saved_names = ("self", "tensor")

    def backward(self, ns, grad, x, y):
        return self.grads(ns, grad, x, y)

    def jvp(self, ns, tangents, x, y):
        """JVP: tx . y + x . ty."""
        return self.tangent(ns, tangents, x, y)


class MvBackward0(_MatmulBackward):
    __slots__ = ()
    saved_names = ("self", "vec")

    def backward(self, ns, grad, x, y):
        if not ns.INPLACE:   # create_graph: PyTorch's formulas, grad.ger(vec) and self.t().mv(grad)
            return (ger(ns, grad, y) if self.needs(0) else None,
                    ns.matmul(ns.t(x), grad) if self.needs(1) else None)
        return self.grads(ns, grad, x, y)

    def jvp(self, ns, tangents, x, y):
        """JVP: tA @ v + A @ tv."""
        return self.tangent(ns, tangents, x, y)


def torch_strides(shape: tuple, strides: tuple, itemsize: int) -> tuple:
    """NumPy byte strides as PyTorch reports them, in elements (see views.torch_strides): a
    size-1 dim NumPy gives a zero stride has the extent of the dims after it; an empty array
    has contiguous strides."""
    if 0 in shape:
        out, acc = [], 1
        for n in reversed(shape):
            out.append(acc)
            acc *= max(n, 1)
        return tuple(reversed(out))
    st = [s // itemsize for s in strides]
    for d in range(len(shape) - 1, -1, -1):
        if shape[d] == 1 and st[d] == 0:
            st[d] = shape[d + 1] * st[d + 1] if d + 1 < len(shape) else 1
    return tuple(st)


def _mm_sizes(node) -> tuple:
    """((n, k), (k, p)) of a 2-D product from its output's shape and the edge of an operand
    that needs a gradient (one of them does)."""
    n, p = node._shape
    a = node.input_shape(0)
    k = a[1] if a is not None else node.input_shape(1)[0]
    return (n, k), (k, p)


def _mm_strides(node, i: int) -> tuple:
    """PyTorch saves an operand's strides when it needs a gradient, () otherwise."""
    if not node.needs(i):
        return ()
    return torch_strides(_mm_sizes(node)[i], node.strides[i], node._dtype.itemsize)


class MmBackward0(_MatmulBackward):
    """PyTorch saves mat2 before self (its formula for self mentions mat2 first); also both
    operands' sizes and, for those that need a gradient, their strides (``strides`` holds the
    NumPy byte strides, converted on access)."""
    __slots__ = ("strides",)
    saved_names = ("mat2", "self")
    saved_attrs = {
        "self_sym_sizes": lambda n: _mm_sizes(n)[0],
        "mat2_sym_sizes": lambda n: _mm_sizes(n)[1],
        "self_sym_strides": lambda n: _mm_strides(n, 0),
        "mat2_sym_strides": lambda n: _mm_strides(n, 1),
    }

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # create_graph: PyTorch's mm_mat1_backward / mm_mat2_backward
            (sx, sy), (tx, ty) = _mm_sizes(self), (_mm_strides(self, 0), _mm_strides(self, 1))
            return (mm_mat1_grad(ns, grad, y, col_major(sx, tx)) if self.needs(0) else None,
                    mm_mat2_grad(ns, grad, x, col_major(sy, ty)) if self.needs(1) else None)
        return self.grads(ns, grad, x, y)

    def jvp(self, ns, tangents, y, x):
        """JVP: tx @ y + x @ ty."""
        return self.tangent(ns, tangents, x, y)


class BmmBackward0(MmBackward0):
    __slots__ = ()
    saved_attrs = {}

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # create_graph: PyTorch's grad.bmm(mat2.transpose(1, 2)) and
            #                  self.transpose(1, 2).bmm(grad)
            return (ns.bmm(grad, ns.transpose(y, 1, 2)) if self.needs(0) else None,
                    ns.bmm(ns.transpose(x, 1, 2), grad) if self.needs(1) else None)
        return self.grads(ns, grad, x, y)


# -- the create_graph formulas of the products: PyTorch's, so that the same nodes are recorded
# (x.t() is TBackward0, x.transpose(1, 2) TransposeBackward0, ger a reshape times a vector) --
def col_major(sizes: tuple, strides: tuple) -> bool:
    """PyTorch's test for a column-major matrix operand (strides (1, rows)), whose gradient it
    computes transposed so that it comes out column-major too."""
    return len(strides) == 2 and strides[0] == 1 and strides[1] == sizes[0]


def mm_mat1_grad(ns, grad, mat2, col: bool):
    """d(mat1 @ mat2)/dmat1: grad @ mat2^T, or (mat2 @ grad^T)^T for a column-major mat1."""
    if col:
        return ns.t(ns.matmul(mat2, ns.t(grad)))
    return ns.matmul(grad, ns.t(mat2))


def mm_mat2_grad(ns, grad, mat1, col: bool):
    """d(mat1 @ mat2)/dmat2: mat1^T @ grad, or (grad^T @ mat1)^T for a column-major mat2."""
    if col:
        return ns.t(ns.matmul(ns.t(grad), mat1))
    return ns.matmul(ns.t(mat1), grad)


def ger(ns, u, v):
    """outer(u, v) as PyTorch computes it: u.reshape(n, 1) * v."""
    return ns.reshape(u, (u.shape[0], 1)) * v


class SqueezeBackward4(Node):
    """1-D @ 2-D: torch squeezes the (1, p) product in place (squeeze_(0)); the gradient gets
    the dim back."""
    __slots__ = ()
    saved_attrs = {"dim": lambda n: 0, "self_sym_sizes": Node.input_shape}

    def backward(self, ns, grad):
        return (ns.unsqueeze_dims(grad, (0,)),)


_fmt = format_shape  # the one shape formatter, in _size.py


def _dtype_error(x: np.ndarray, y: np.ndarray) -> None:
    """matmul's dtype errors, from the kernel each shape pair reaches in PyTorch: dot (1-D @
    1-D), addmv (@ 1-D), bmm (@ batched), addmm (the rest). Bool has none of them."""
    a, b = (from_numpy_dtype(d.dtype)._legacy[:-len("Tensor")] for d in (x, y))
    if y.ndim == 1:
        kernel = "dot" if x.ndim == 1 else "addmv_impl_cpu"
    else:
        kernel = "bmm" if y.ndim > 2 else "addmm_impl_cpu_"
    if x.dtype == y.dtype:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{a}\'')
    if kernel == "dot":
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {a} and "
                           f"{b}")
    if kernel == "addmv_impl_cpu":
        raise RuntimeError(f"addmv input tensors must have the same dtype, but got {b}, {a}, "
                           f"and {b}")
    if kernel == "bmm":
        raise RuntimeError(f"expected scalar type {a} but found {b}")
    ca, cb = (_TYPE[from_numpy_dtype(d.dtype).name] for d in (x, y))
    raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {ca} != {cb}")


def _check(x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{x.ndim}D and {y.ndim}D")
    if x.dtype != y.dtype or x.dtype.kind == "b":
        _dtype_error(x, y)
    k1 = x.shape[-1]
    k2 = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k1 == k2:
        return
    if x.ndim == 1 and y.ndim == 1:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src "
                           f"[{y.shape[0]}] to have the same number of elements, but got "
                           f"{x.shape[0]} and {y.shape[0]} elements respectively")
    if x.ndim <= 2 and y.ndim <= 2:
        if x.ndim == 2 and y.ndim == 1:
            raise RuntimeError(f"size mismatch, got input ({x.shape[0]}), mat ({x.shape[0]}x"
                               f"{x.shape[1]}), vec ({y.shape[0]})")
        a = x.reshape(1, -1) if x.ndim == 1 else x
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} "
                           f"and {y.shape[0]}x{y.shape[1]})")
    raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                       f"[{int(np.prod(x.shape[:-2])) if x.ndim > 2 else 1}, {k1}] but got: "
                       f"[{int(np.prod(y.shape[:-2])) if y.ndim > 2 else 1}, {k2}].")


def _product(cls, a, b):
    """One recorded product of PyTorch's matmul (dot, mv, mm, bmm), with its saved operands in
    PyTorch's order."""
    x, y = a._data, b._data
    if cls is MmBackward0:
        out = quiet_op(_mm_array, x, y)
        return record2(cls, a, b, out, CROSS, xdim=x.ndim, ydim=y.ndim,
                       strides=(x.strides, y.strides))
    out = quiet_op(np.matmul, x, y)
    if cls is BmmBackward0:
        return record2(cls, a, b, out, CROSS, xdim=x.ndim, ydim=y.ndim)
    return record2(cls, a, b, out, lambda n: (a if n.needs(1) else None, b if n.needs(0) else None),
                   xdim=x.ndim, ydim=y.ndim)


def _should_fold(input, other) -> bool:
    """PyTorch's should_fold: a >= 3-D operand times a 1-D/2-D one becomes one mm/mv when the
    small operand requires grad or the big one folds into a matrix without a copy."""
    x, y = input._data, other._data
    larger = x.ndim >= y.ndim
    big = x if larger else np.swapaxes(y, -1, -2)
    if not (big.ndim >= 3 and (y.ndim if larger else x.ndim) <= 2):
        return False
    if needs_grad1(other if larger else input):
        return True
    if x.ndim == 2:
        return False
    if big.size == 0:
        return True
    st = [s // big.itemsize for s in big.strides]
    return all(st[i] == st[i + 1] * big.shape[i + 1] for i in range(big.ndim - 2))


def _matmul_graph(input, other):
    """PyTorch's _matmul_impl on tensors that need a gradient: the same recorded ops (dot, mv,
    unsqueeze-mm-squeeze_, mm, folded mm/mv, or expand-reshape-bmm), hence the same graph and
    the same saved tensors."""
    x, y = input._data, other._data
    xd, yd = x.ndim, y.ndim
    if xd == 2 and yd == 2:
        return _product(MmBackward0, input, other)
    if xd == 1 and yd == 1:
        return _product(DotBackward0, input, other)
    if xd == 2 and yd == 1:
        return _product(MvBackward0, input, other)
    if xd == 1 and yd == 2:
        prod = _product(MmBackward0, S.unsqueeze(input, 0), other)
        out = prod._data[0]
        return record1(SqueezeBackward4, prod, out)
    if _should_fold(input, other):
        transpose = yd > xd
        t1 = S.transpose(other, -2, -1) if transpose else input
        t2 = (S.t(input) if xd == 2 else input) if transpose else other
        sizes1 = t1._data.shape
        out_shape = sizes1[:-1]
        folded = int(np.prod(out_shape, dtype=np.int64))
        t1f = S.reshape(t1, (folded, sizes1[-1]))
        if t2._data.ndim == 2:
            out = _unsafe_view(_product(MmBackward0, t1f, t2), out_shape + (t2._data.shape[1],))
            return S.contiguous(S.transpose(out, -2, -1)) if transpose else out
        return _unsafe_view(_product(MvBackward0, t1f, t2), out_shape)
    bt1, bt2 = x.shape[:max(xd - 2, 0)], y.shape[:max(yd - 2, 0)]
    if xd == 3 and yd == 3 and bt1[0] != bt2[0]:
        if bt1[0] == 1 and needs_grad1(input):
            return _matmul_graph(S.squeeze(input, 0), other)
        if bt2[0] == 1 and needs_grad1(other):
            return _matmul_graph(input, S.squeeze(other, 0))
    n = x.shape[-2] if xd > 1 else 1
    m1 = x.shape[-1]
    m2 = y.shape[-2] if yd > 1 else y.shape[0]
    p = y.shape[-1] if yd > 1 else 1
    batch = _batch_shape(bt1, bt2)
    size = int(np.prod(batch, dtype=np.int64))
    t1 = S.reshape(S.expand(input, batch + (n, m1)), (size, n, m1))
    if yd == 1:
        t2 = S.unsqueeze(S.reshape(S.expand(other, batch + (m2,)), (size, m2)), 2)
    else:
        t2 = S.reshape(S.expand(other, batch + (m2, p)), (size, m2, p))
    out_shape = batch + ((n,) if xd > 1 else ()) + ((p,) if yd > 1 else ())
    prod = _product(BmmBackward0, t1, t2)
    if yd == 1:
        prod = S.squeeze(prod, -1)
    return _unsafe_view(prod, out_shape)


def _batch_shape(a: tuple, b: tuple) -> tuple:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise broadcast_error(a, b) from None


@export(torch='matmul', method='matmul', vmap='matmul')
def matmul(input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    x, y = input._data, other._data
    _check(x, y)
    if needs_grad(input, other):
        return _matmul_graph(input, other)
    try:
        return wrap(quiet_op(_mm_array if x.ndim == 2 == y.ndim else np.matmul, x, y))
    except ValueError:
        _batch_shape(x.shape[:-2], y.shape[:-2])
        raise


@export(torch='mm', method='mm', vmap='mm')
def mm(input, mat2):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


@export(torch='dot', method='dot', vmap='dot')
def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    return matmul(input, other)


@export(torch='mv', method='mv', vmap='mv')
def mv(input, vec):
    return matmul(input, vec)


# ---------------------------------------------------------------------------------------------
# The rest of the products family: bmm, vdot, add{mm,mv,r,bmm}, baddbmm, tensordot, kron, cross.
# ---------------------------------------------------------------------------------------------
from ... import _dtype as D  # noqa: E402
from .._util import needs_grad1, wrap_dim  # noqa: E402
from ...autograd._record import CROSS, record1, record2



def _unsafe_view(t, new_shape):
    """at::_unsafe_view: a reshape recorded as UnsafeViewBackward0 (no shared version counter)."""
    x = t._data
    out = x.reshape(new_shape)
    return record1(_ShapeUnsafeView, t, out, shape=x.shape)
