"""F.unfold (im2col) and F.fold (col2im), PyTorch's ``Im2ColBackward0`` / ``Col2ImBackward0``.

Each is the other's adjoint, so each one's backward is the other op (through ``ns.im2col`` /
``ns.col2im``, differentiable under create_graph). Both are linear: their forward-mode rule is
the op itself. Only 2-d images, batched (N, C, H, W) or not (C, H, W), as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import LINEAR, Node
from .._registry import export
from .._util import u64s
from . import _conv_kernels as K
from ..._dtype import from_numpy_dtype
from .._util import wrap_dim
from ...autograd._record import record1
from ..._size import format_shape


def _pair_arg(v, name: str, pos: int, fn: str) -> tuple:
    """torch.nn.modules.utils._pair, then the parser's tuple-of-ints check."""
    t = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    for i, e in enumerate(t):
        if not isinstance(e, (int, np.integer)) or isinstance(e, bool):
            raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be tuple of ints, "
                            f"but found element of type {type(e).__name__} at pos {i}")
    if len(t) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(t)}")
    return tuple(int(e) for e in t)


def _check_params(kernel, dilation, padding, stride, col2im: bool) -> None:
    checks = [
        (kernel, lambda v: v > 0, "kernel size should be greater than zero, but got "
         "kernel_height: {} kernel_width: {}"),
        (dilation, lambda v: v > 0, "dilation should be greater than zero, but got "
         "dilation_height: {} dilation_width: {}"),
        (padding, lambda v: v >= 0, "padding should be non-negative, but got pad_height: {} "
         "pad_width: {}"),
        (stride, lambda v: v > 0, "stride should be greater than zero, but got stride_height: "
         "{} stride_width: {}"),
    ]
    if col2im:   # col2im checks stride before dilation and padding
        checks = [checks[0], checks[3], checks[1], checks[2]]
    for values, ok, msg in checks:
        if not all(ok(v) for v in values):
            raise RuntimeError(msg.format(*values))


def _check_dtype(x: np.ndarray, name: str) -> None:
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{name}_out_cpu" not implemented for '
                                  f"'{from_numpy_dtype(x.dtype)._legacy[:-6]}'")


_fmt = format_shape  # the one shape formatter, in _size.py


def np_im2col(x: np.ndarray, kernel, dilation, padding, stride) -> np.ndarray:
    """(N, C, H, W) or (C, H, W) -> (N, C*kh*kw, L) or (C*kh*kw, L)."""
    batched = x.ndim == 4
    xb = x if batched else x[None]
    win = K.im2col(xb, kernel, stride, padding, dilation)      # (N, C, kh, kw, oh, ow)
    n, c = xb.shape[:2]
    out = win.reshape(n, c * kernel[0] * kernel[1], win.shape[4] * win.shape[5])
    return out if batched else out[0]


def np_col2im(cols: np.ndarray, size, kernel, dilation, padding, stride) -> np.ndarray:
    """(N, C*kh*kw, L) or (C*kh*kw, L) -> (N, C, *size) or (C, *size), overlaps summed."""
    batched = cols.ndim == 3
    cb = cols if batched else cols[None]
    blocks = K.out_sizes(size, kernel, stride, padding, dilation)
    n = cb.shape[0]
    c = cb.shape[1] // (kernel[0] * kernel[1])
    out = K.col2im(cb.reshape((n, c) + tuple(kernel) + blocks), size, stride, padding, dilation)
    return out if batched else out[0]


class Im2ColBackward0(Node):
    """unfold is a gather of windows: its adjoint sums each column back into place (fold)."""
    __slots__ = ("kernel_size", "dilation", "padding", "stride", "size")
    saved_attrs = {"kernel_size": lambda n: u64s(n.kernel_size),
                   "dilation": lambda n: u64s(n.dilation), "padding": lambda n: u64s(n.padding),
                   "stride": lambda n: u64s(n.stride),
                   "self_sym_argsize_minus_1": lambda n: n.size[1],
                   "self_sym_argsize_minus_2": lambda n: n.size[0]}
    jvp = LINEAR

    def backward(self, ns, grad):
        return (ns.col2im(grad, self.size, self.kernel_size, self.dilation, self.padding,
                          self.stride),)


@export(torch=False, functional=True, vmap="unfold")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding (kh, kw) blocks of a (N, C, H, W) image as columns: (N, C*kh*kw, L)."""
    kernel = _pair_arg(kernel_size, "kernel_size", 2, "im2col")
    dilation = _pair_arg(dilation, "dilation", 3, "im2col")
    padding = _pair_arg(padding, "padding", 4, "im2col")
    stride = _pair_arg(stride, "stride", 5, "im2col")
    _check_params(kernel, dilation, padding, stride, False)
    x = input._data
    nd = x.ndim
    shape = x.shape
    wrap_dim(2, nd) if nd < 3 else None      # PyTorch reads size(2): IndexError below 3-D
    valid = shape[1] != 0 and shape[2] != 0 and (shape[0] != 0 if nd == 3 else
                                                  nd > 3 and shape[3] != 0)
    if nd not in (3, 4) or not valid:
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and "
                           f"other non-zero dimensions for input, but got: {_fmt(shape)}")
    size = shape[-2:]
    blocks = tuple((s + 2 * p - (d * (k - 1) + 1)) // st + 1
                   for s, p, d, k, st in zip(size, padding, dilation, kernel, stride))
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(
            f"Given input with spatial size ({size[0]}, {size[1]}), kernel_size=({kernel[0]}, "
            f"{kernel[1]}), dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, "
            f"{padding[1]}), calculated shape of the array of sliding blocks as ({blocks[0]}, "
            f"{blocks[1]}), but its components must be at least one.")
    _check_dtype(x, "im2col")
    out = np_im2col(x, kernel, dilation, padding, stride)
    return record1(Im2ColBackward0, input, out, kernel_size=kernel, dilation=dilation,
                   padding=padding, stride=stride, size=tuple(size))


class Col2ImBackward0(Node):
    """fold sums columns into an image: its adjoint reads the windows back out (unfold)."""
    __slots__ = ("kernel_size", "dilation", "padding", "stride")
    saved_attrs = {"kernel_size": lambda n: u64s(n.kernel_size),
                   "dilation": lambda n: u64s(n.dilation), "padding": lambda n: u64s(n.padding),
                   "stride": lambda n: u64s(n.stride)}
    jvp = LINEAR

    def backward(self, ns, grad):
        return (ns.im2col(grad, self.kernel_size, self.dilation, self.padding, self.stride),)


@export(torch=False, functional=True, vmap="fold")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Columns (N, C*kh*kw, L) summed into an image (N, C, *output_size): unfold's adjoint."""
    size = _pair_arg(output_size, "output_size", 2, "col2im")
    kernel = _pair_arg(kernel_size, "kernel_size", 3, "col2im")
    dilation = _pair_arg(dilation, "dilation", 4, "col2im")
    padding = _pair_arg(padding, "padding", 5, "col2im")
    stride = _pair_arg(stride, "stride", 6, "col2im")
    _check_params(kernel, dilation, padding, stride, True)
    x = input._data
    nd, shape = x.ndim, x.shape
    if not ((nd == 2 and shape[0] != 0 and shape[1] != 0) or
            (nd == 3 and shape[1] != 0 and shape[2] != 0)):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: {_fmt(shape)}")
    planes = shape[-2]
    if planes % (kernel[0] * kernel[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={planes} and kernel_size=("
                           f"{kernel[0]}, {kernel[1]}).")
    blocks = tuple((s + 2 * p - d * (k - 1) - 1) // st + 1
                   for s, p, d, k, st in zip(size, padding, dilation, kernel, stride))
    head = (f"Given output_size=({size[0]}, {size[1]}), kernel_size=({kernel[0]}, {kernel[1]}), "
            f"dilation=({dilation[0]}, {dilation[1]}), padding=({padding[0]}, {padding[1]}), ")
    if shape[-1] != blocks[0] * blocks[1]:
        raise RuntimeError(
            head + f"stride=({stride[0]}, {stride[1]}), expected size of input's dimension 2 to "
            f"match the calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, but got input.size(2)={shape[-1]}.")
    if blocks[0] < 1 or blocks[1] < 1:
        raise RuntimeError(head + f"calculated shape of the array of sliding blocks as "
                           f"({blocks[0]}, {blocks[1]}), which is invalid.")
    _check_dtype(x, "col2im")
    out = np_col2im(x, size, kernel, dilation, padding, stride)
    return record1(Col2ImBackward0, input, out, kernel_size=kernel, dilation=dilation,
                   padding=padding, stride=stride)
