"""max_unpool2d: the values of a max pooling written back at their flat indices, zeros elsewhere
(PyTorch's ``MaxUnpool2DBackward0``); its backward reads the gradient back at the indices,
under create_graph as PyTorch's max_pool_double_backward (view, gather, view), so double
backward works. The node's base
and the kernel serve max_unpool1d/3d too (pooling3d_adaptive.py)."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .._registry import export
from ...autograd._record import record1
from ._linmap import array, gather_flat, scatter_flat
from .pooling import _SCALAR_NAMES, _fmt, _ints, _pair, max_pool_double_backward


def _unpool_output_size(input, kernel_size, stride, padding, output_size) -> list:
    """PyTorch's F._unpool_output_size (the default size, or a checked ``output_size``)."""
    input_size = input.shape
    nd = len(kernel_size)
    default = [(input_size[-nd + d] - 1) * stride[d] + kernel_size[d] - 2 * padding[d]
               for d in range(nd)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} "
                             f"elements, but it has a length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = default[d] - stride[d], default[d] + stride[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between '
                                 f"{lo} and {hi})")
        ret = output_size
    for d in range(nd):
        if ret[d] < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial "
                             f"dimensions, but got output_size[{d}]={ret[d]}")
    return list(ret)


class _MaxUnpoolBackward(Node):
    """Unpooling writes each input element at its index: its gradient is read back there. The
    2-D and 3-D nodes differ only in the number of spatial dims (``nd``) and PyTorch's names."""
    __slots__ = ("out_sp",)
    saved_names = ("indices",)
    nd = 2

    def backward(self, ns, grad, indices):
        if not ns.INPLACE:      # create_graph: PyTorch's max_pool_double_backward (view, gather)
            return (max_pool_double_backward(grad, indices, self.nd),)
        idx = array(indices)
        name = type(self).__name__
        return (ns.linear_map(grad, lambda g: gather_flat(g, idx, self.nd),
                              lambda g: scatter_flat(g, idx, self.out_sp),
                              name.replace("Backward0", "BackwardBackward0"), name),)

    def jvp(self, ns, tangents, indices):
        return _unpool_kernel(tangents[0], array(indices), self.out_sp)


class MaxUnpool2DBackward0(_MaxUnpoolBackward):
    __slots__ = ()


def _unpool_kernel(x: np.ndarray, idx: np.ndarray, out_sp) -> np.ndarray:
    """Zeros of the output's spatial shape ``out_sp`` with each input element written at its
    flat index (per plane of the leading dims)."""
    nd = len(out_sp)
    lead = x.shape[:-nd]
    planes = int(np.prod(lead, dtype=np.int64))
    size_in = int(np.prod(x.shape[-nd:], dtype=np.int64))
    out = np.zeros((planes, int(np.prod(out_sp, dtype=np.int64))), dtype=x.dtype)
    out[np.arange(planes).reshape(-1, 1), idx.reshape(planes, size_in)] = \
        x.reshape(planes, size_in)
    return out.reshape(lead + tuple(out_sp))


def _check_unpool_shapes(x: np.ndarray, idx: np.ndarray, kernel: str) -> None:
    """PyTorch's checks of max_unpool2d/3d: indices shaped as the input, no empty non-batch
    dimension (``kernel`` names PyTorch's CPU kernel in the message)."""
    if x.shape != idx.shape:
        raise RuntimeError("Expected shape of indices to be same as that of the input tensor "
                           f"({_fmt(x.shape)}) but got indices tensor with shape: "
                           f"{_fmt(idx.shape)}")
    for i in range(1, x.ndim):
        if x.shape[i] <= 0:
            raise RuntimeError(f"{kernel}: Expected input to have non-zero size for non-batch "
                               f"dimensions, but got {_fmt(x.shape)} with dimension {i} being "
                               "empty.")

@export(torch=False, functional=True)
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The values of a max pooling put back at their indices, zeros elsewhere."""
    k = _pair(_ints(kernel_size, "max_unpool2d", "kernel_size"))
    s = _pair(_ints(stride, "max_unpool2d", "stride")) if stride is not None else k
    p = _pair(_ints(padding, "max_unpool2d", "padding"))
    out_hw = _unpool_output_size(input, k, s, p, output_size)
    x, idx = input._data, indices._data
    if idx.dtype != np.int64:
        raise RuntimeError("elements in indices should be type int64 but got: "
                           f"{_SCALAR_NAMES.get(idx.dtype.name, idx.dtype.name)}")
    if len(out_hw) != 2:
        raise RuntimeError("There should be exactly two elements (height, width) in output_size, "
                           f"but got {len(out_hw)} elements.")
    if x.ndim not in (3, 4):
        raise RuntimeError("Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor "
                           f"with {x.ndim} dimensions.")
    _check_unpool_shapes(x, idx, "max_unpooling2d_forward_out_cpu()")
    bad = (idx < 0) | (idx >= out_hw[0] * out_hw[1])
    if bad.any():
        raise RuntimeError(f"Found an invalid max index: {idx[bad].flat[-1]} (output volumes are "
                           f"of size {out_hw[0]}x{out_hw[1]})")
    out = _unpool_kernel(x, idx, out_hw)
    return record1(MaxUnpool2DBackward0, input, out, indices, out_sp=tuple(out_hw))
