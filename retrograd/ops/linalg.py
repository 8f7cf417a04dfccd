"""matmul and its PyTorch special cases (dot, mv, mm, bmm-like broadcasting)."""
from __future__ import annotations

import numpy as np

from ..autograd.node import Node
from ._util import Tensor, make_node, needs_grad, wrap

_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
         "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
         "bool": "bool"}


class _MatmulBackward(Node):
    """d(x @ y)/dx = grad @ y^T, d(x @ y)/dy = x^T @ grad; 1-D operands are treated as a row
    (x) or a column (y) and squeezed back; the engine sums broadcast batch dims."""
    __slots__ = ("xdim", "ydim")
    saved_names = ("self", "mat2")

    def backward(self, ns, grad, x, y):
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


class DotBackward0(_MatmulBackward):
    __slots__ = ()
    saved_names = ("self", "tensor")


class MvBackward0(_MatmulBackward):
    __slots__ = ()
    saved_names = ("self", "vec")


class MmBackward0(_MatmulBackward):
    __slots__ = ()


class SqueezeBackward4(_MatmulBackward):  # 1-D @ 2-D: torch unsqueezes, mm's, then squeezes
    __slots__ = ()


class BmmBackward0(_MatmulBackward):
    __slots__ = ()


class UnsafeViewBackward0(_MatmulBackward):
    __slots__ = ()


def _fmt(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check(x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{x.ndim}D and {y.ndim}D")
    if x.dtype != y.dtype:
        from .._dtype import from_numpy_dtype
        a, b = _TYPE[from_numpy_dtype(x.dtype).name], _TYPE[from_numpy_dtype(y.dtype).name]
        if x.ndim == 1 and y.ndim == 1:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                               f"{a.capitalize() if a != 'double' else 'Double'} and "
                               f"{b.capitalize() if b != 'double' else 'Double'}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a} != {b}")
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


def _node_class(xd: int, yd: int):
    """PyTorch's matmul dispatch decides the last recorded op, hence the node's name."""
    if xd <= 2 and yd <= 2:
        return {(1, 1): DotBackward0, (2, 1): MvBackward0, (2, 2): MmBackward0,
                (1, 2): SqueezeBackward4}[(xd, yd)]
    return UnsafeViewBackward0


def matmul(input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    x, y = input._data, other._data
    _check(x, y)
    out = np.matmul(x, y)
    if not needs_grad(input, other):
        return wrap(out)
    node = make_node(_node_class(x.ndim, y.ndim), (input, other), np.asarray(out))
    node.xdim, node.ydim = x.ndim, y.ndim
    node.save(input if node.needs(1) else None, other if node.needs(0) else None)
    return wrap(out, node)


def mm(input, mat2):
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def dot(input, other):
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and "
                           f"{other._data.ndim}D tensors")
    return matmul(input, other)


def mv(input, vec):
    return matmul(input, vec)
