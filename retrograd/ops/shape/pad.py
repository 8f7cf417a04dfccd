"""torch.nn.functional.pad: constant (any number of dims, negative pads crop), reflect and
replicate (the last 1, 2 or 3 dims, as index gathers) and circular (PyTorch's own sequence of
slice copies, so the graph is its chain of CopySlices).
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ...autograd.node import LINEAR
from .._registry import export
from .._util import u64s, wrap
from ...autograd._record import record1
from .basic import _fmt
from ..indexing.setitem import setitem
from ..indexing.getitem import np_index_acc, slice_view
from ..nn._linmap import _KernelBackward, attr_reader

_MODES = ("constant", "reflect", "replicate", "circular")


def _pairs(pad) -> list:
    """[(left, right)] per padded dim, last dim first (PyTorch's order)."""
    return [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]


# -- constant -------------------------------------------------------------------------------------
def _regions(shape, pad):
    """Slices of the input and of the output that hold the same elements."""
    n = len(shape)
    src, dst = [slice(None)] * n, [slice(None)] * n
    out_shape = list(shape)
    for i, (lo, hi) in enumerate(_pairs(pad)):
        d = n - 1 - i
        size = shape[d]
        out_shape[d] = size + lo + hi
        src[d] = slice(max(-lo, 0), size - max(-hi, 0))
        dst[d] = slice(max(lo, 0), max(lo, 0) + max(size - max(-lo, 0) - max(-hi, 0), 0))
    return tuple(src), tuple(dst), tuple(out_shape)


class ConstantPadNdBackward0(Node):
    """Padding adds constants and cropping drops elements: the gradient of the kept elements
    goes back to their places, zeros for the cropped ones."""
    __slots__ = ("shape", "pad")
    saved_attrs = {"pad": lambda n: u64s(n.pad)}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's grad.constant_pad_nd(-pad), one node
            return (pad(grad, [-p for p in self.pad]),)
        src, dst, _ = _regions(self.shape, self.pad)
        return (ns.index_acc(self.shape, src, grad[dst]),)

    def jvp(self, ns, tangents, *saved):
        """JVP: t padded with zeros (not with the padding value: the op is affine) and cropped
        as x is."""
        src, dst, out_shape = _regions(self.shape, self.pad)
        t = tangents[0]
        out = ns.zeros(out_shape, t.dtype)
        out[dst] = t[src]
        return out


def _constant_pad(input, pad, value):
    x = input._data
    n = x.ndim
    if len(pad) % 2:
        raise RuntimeError(f"Length of pad must be even but instead it equals {len(pad)}")
    for i, (lo, hi) in enumerate(_pairs(pad)):
        size = x.shape[n - 1 - i]
        if size - max(-lo, 0) - max(-hi, 0) < 0:
            raise RuntimeError("narrow(): length must be non-negative.")
    src, dst, out_shape = _regions(x.shape, pad)
    if value is None:
        value = 0
    out = np.full(out_shape, value, dtype=x.dtype) if x.dtype != np.bool_ else \
        np.full(out_shape, bool(value))
    out[dst] = x[src]
    return record1(ConstantPadNdBackward0, input, out, shape=x.shape, pad=tuple(pad))


# -- reflect / replicate --------------------------------------------------------------------------
# reflection_pad{1,2,3}d_backward(grad, self, padding) and replication_pad..._backward: the
# nodes PyTorch records for the gradient under create_graph (see ``_KernelBackward``); their own
# gradient in grad is the padding again (ReflectionPad2DBackward0, ...)
class _PadKernelBackward(_KernelBackward):
    __slots__ = ()
    copied = ("padding",)
    saved_attrs = attr_reader("padding")
    mode = ""

    @classmethod
    def attrs_of(cls, grad, src) -> dict:
        return {"padding": src._saved_padding, "pad": list(src.padding)}

    def adjoint_op(self, grad, *saved):
        return pad(grad, self.attrs["pad"], self.mode)


class ReflectionPad1DBackwardBackward0(_PadKernelBackward):
    __slots__ = ()
    mode = "reflect"


class ReflectionPad2DBackwardBackward0(_PadKernelBackward):
    __slots__ = ()
    mode = "reflect"


class ReflectionPad3DBackwardBackward0(_PadKernelBackward):
    __slots__ = ()
    mode = "reflect"


class ReplicationPad1DBackwardBackward0(_PadKernelBackward):
    __slots__ = ()
    mode = "replicate"


class ReplicationPad2DBackwardBackward0(_PadKernelBackward):
    __slots__ = ()
    mode = "replicate"


class ReplicationPad3DBackwardBackward0(_PadKernelBackward):
    __slots__ = ()
    mode = "replicate"


class _PadGatherBackward(Node):
    """out = x[index] (reflected or clamped positions): each input element gets the sum of the
    gradient at every output position that copies it."""
    __slots__ = ("shape", "index", "padding")
    saved_names = ("self",)
    saved_attrs = {"padding": lambda n: u64s(n.padding)}
    _double = None              # the node of PyTorch's backward kernel (create_graph)

    def backward(self, ns, grad, x):
        if ns.INPLACE:
            return (ns.index_acc(self.shape, self.index, grad),)
        shape, index = self.shape, self.index
        return (ns.backward_kernel(self._double, grad, x, lambda g: np_index_acc(shape, index, g),
                                   lambda g: g[index], type(self).__name__, self),)


class ReflectionPad1DBackward0(_PadGatherBackward):
    jvp = LINEAR
    __slots__ = ()
    _double = ReflectionPad1DBackwardBackward0


class ReflectionPad2DBackward0(_PadGatherBackward):
    jvp = LINEAR
    __slots__ = ()
    _double = ReflectionPad2DBackwardBackward0


class ReflectionPad3DBackward0(_PadGatherBackward):
    jvp = LINEAR
    __slots__ = ()
    _double = ReflectionPad3DBackwardBackward0


class ReplicationPad1DBackward0(_PadGatherBackward):
    jvp = LINEAR
    __slots__ = ()
    _double = ReplicationPad1DBackwardBackward0


class ReplicationPad2DBackward0(_PadGatherBackward):
    jvp = LINEAR
    __slots__ = ()
    _double = ReplicationPad2DBackwardBackward0


class ReplicationPad3DBackward0(_PadGatherBackward):
    jvp = LINEAR
    __slots__ = ()
    _double = ReplicationPad3DBackwardBackward0


_GATHER = {("reflect", 1): ReflectionPad1DBackward0, ("reflect", 2): ReflectionPad2DBackward0,
           ("reflect", 3): ReflectionPad3DBackward0, ("replicate", 1): ReplicationPad1DBackward0,
           ("replicate", 2): ReplicationPad2DBackward0,
           ("replicate", 3): ReplicationPad3DBackward0}


def _positions(size: int, lo: int, hi: int, mode: str) -> np.ndarray:
    i = np.arange(-lo, size + hi)
    if mode == "replicate":
        return np.clip(i, 0, size - 1)
    i = np.abs(i)
    return np.where(i >= size, 2 * (size - 1) - i, i)


def _gather_pad(input, pad, mode: str, k: int):
    x = input._data
    n = x.ndim
    nonbatch = x.shape if n == k + 1 else x.shape[1:]
    if any(s == 0 for s in nonbatch):
        raise RuntimeError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch "
                           "size and other non-zero dimensions for input, but got: "
                           f"{_fmt(x.shape)}")
    pairs = _pairs(pad)
    if mode == "reflect":
        for i, (lo, hi) in enumerate(pairs):
            d = n - 1 - i
            if not (lo < x.shape[d] and hi < x.shape[d]):
                raise RuntimeError(f"Argument #{2 * k + 2}: Padding size should be less than the "
                                   "corresponding input dimension, but got: padding "
                                   f"({lo}, {hi}) at dimension {d} of input {_fmt(x.shape)}")
    out_shape = list(x.shape)
    for i, (lo, hi) in enumerate(pairs):
        out_shape[n - 1 - i] = x.shape[n - 1 - i] + lo + hi
    if k == 1 and out_shape[-1] < 1:
        raise RuntimeError(f"input (W: {x.shape[-1]}) is too small. Calculated output W: "
                           f"{out_shape[-1]}")
    for s in out_shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{_fmt(out_shape)}")
    if x.dtype == np.bool_:
        kernel = ("reflection" if mode == "reflect" else "replication") + f"_pad{k}d"
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')
    axes = []
    for i in range(k - 1, -1, -1):         # padded dims in order, first to last
        lo, hi = pairs[i]
        axes.append(_positions(x.shape[n - 1 - i], lo, hi, mode))
    index = (Ellipsis,) + tuple(np.ix_(*axes))
    out = x[index]
    return record1(_GATHER[(mode, k)], input, out, input, shape=x.shape, index=index,
                   padding=tuple(pad))


# -- circular -------------------------------------------------------------------------------------
def _circular_pad(input, pad):
    x = input._data
    n = x.ndim
    out_shape = list(x.shape)
    for i, (lo, hi) in enumerate(_pairs(pad)):
        d = n - 1 - i
        size = x.shape[d]
        out_shape[d] = size + lo + hi
        if not (lo <= size and hi <= size):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if out_shape[d] < 0:
            raise RuntimeError("Negative padding value is resulting in an empty dimension")
    out = wrap(np.zeros(out_shape, x.dtype))
    # PyTorch's sequence: the centre is a slice of the input per padded dim (last dim first, whole
    # dims included), then each border a slice of the result so far.
    dst, src = [slice(None)] * n, input
    for i, (lo, hi) in enumerate(_pairs(pad)):
        d = n - 1 - i
        dst[d] = slice(max(lo, 0), out_shape[d] - max(hi, 0))
        src = slice_view(src, d, max(-lo, 0), x.shape[d] - max(-hi, 0))
    setitem(out, tuple(dst), src)
    for i, (lo, hi) in enumerate(_pairs(pad)):
        d = n - 1 - i
        pre = (slice(None),) * d
        size = out_shape[d]
        if lo > 0:
            setitem(out, pre + (slice(0, lo),),
                    slice_view(out, d, size - lo - max(hi, 0), size - max(hi, 0)))
        if hi > 0:
            setitem(out, pre + (slice(size - hi, size),),
                    slice_view(out, d, max(lo, 0), max(lo, 0) + hi))
    return out


# -- F.pad ----------------------------------------------------------------------------------------
@export(torch=False, functional=True, vmap='pad')
def pad(input, pad, mode="constant", value=None):
    pad = list(pad)
    for i, p in enumerate(pad):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError("pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                            f"element of type {type(p).__name__} at pos {i}")
    pad = [int(p) for p in pad]
    x = input._data
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) > 2 * x.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{x.ndim}")
    if mode not in _MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if mode == "constant":
        return _constant_pad(input, pad, value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    k = len(pad) // 2
    if k not in (1, 2, 3) or x.ndim not in (k + 1, k + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\nSupported "
            "combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads "
            "last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - "
            "4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode == "circular":
        return _circular_pad(input, pad)
    return _gather_pad(input, pad, mode, k)


__all__ = ["pad"]
