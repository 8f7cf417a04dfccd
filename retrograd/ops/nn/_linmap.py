"""Linear maps with a known adjoint, as differentiable ops: what the backward formulas of the
pooling and resampling ops are made of.

A pooling or resampling op is linear in its input once its indices (argmax positions) or its
weights (interpolation taps, window sizes) are fixed, so its backward is the adjoint map and the
backward of that backward is the map itself again. ``ns.linear_map(x, fn, adjoint, name,
adjoint_name)`` applies ``fn`` (NumPy in, NumPy out); on the create_graph path it records a node
called ``name`` whose backward is ``ns.linear_map(grad, adjoint, fn, adjoint_name, name)``, so
any order of derivative works. The helpers below are the NumPy kernels the ops share.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.node import Node
from ...autograd._record import record1, record2


class _LinearMap(Node):
    """y = A x for a fixed linear map A (``fn``): dy/dx^T grad = A^T grad (``adjoint``)."""
    __slots__ = ("fn", "adjoint", "label", "adjoint_label")

    def name(self) -> str:
        return self.label

    def backward(self, ns, grad):
        return (ns.linear_map(grad, self.adjoint, self.fn, self.adjoint_label, self.label),)

    def jvp(self, ns, tangents):
        return self.fn(tangents[0])


def linear_map(x, fn, adjoint, name: str, adjoint_name: str):
    """``fn(x)`` as a differentiable op recorded as the node ``name`` (see the module doc)."""
    out = fn(x._data)
    return record1(_LinearMap, x, out, fn=fn, adjoint=adjoint, label=name,
                   adjoint_label=adjoint_name)


# -- PyTorch's backward kernels of these ops, as nodes (create_graph) ----------------------------
class _LinearKernel(Node):
    """PyTorch's backward kernel of a linear op that reads only the gradient
    (``upsample_bilinear2d_backward(grad, output_size, input_size, ...)``) as the node it
    records: over (grad,), the map ``fn`` with adjoint ``adjoint``. Subclasses carry PyTorch's
    names and ``_saved_*`` values: ``copied`` names the first-order node's ``_saved_*`` values
    this node shows too (``attrs_of`` computes them). Its own gradient (in grad) is the adjoint
    map; recorded under create_graph as PyTorch's ops where a subclass gives them
    (``adjoint_op``), else as one node named ``adjoint_label``."""
    __slots__ = ("fn", "adjoint", "adjoint_label", "attrs")
    copied: tuple = ()
    adjoint_op = None   # method (grad Tensor, *saved) -> PyTorch's ops for the adjoint

    @classmethod
    def attrs_of(cls, grad, src) -> dict:
        """The values of this node's ``_saved_*`` attributes (see ``copied``)."""
        return {k: getattr(src, "_saved_" + k) for k in cls.copied}

    def _adjoint_of(self, ns, grad, saved):
        if ns.INPLACE or self.adjoint_op is None:
            return ns.linear_map(grad, self.adjoint, self.fn, self.adjoint_label,
                                 type(self).__name__)
        return self.adjoint_op(grad, *saved)

    def backward(self, ns, grad, *saved):
        return (self._adjoint_of(ns, grad, saved),)

    def jvp(self, ns, tangents, *saved):
        return self.fn(tangents[0])


class _KernelBackward(_LinearKernel):
    """A backward kernel that takes the op's input too (``max_pool2d_with_indices_backward(grad,
    self, ...)``, ``avg_pool2d_backward``, ``reflection_pad2d_backward``, ...): the node is over
    (grad, self), linear in grad and of zero derivative in self, which it is connected to all
    the same (derivatives.yaml: ``self: zeros_like(self)``), so a second ``autograd.grad`` in
    the input gives zeros where a gradient without a graph would raise."""
    __slots__ = ("self_meta",)

    def backward(self, ns, grad, *saved):
        shape, dtype = self.self_meta
        return (self._adjoint_of(ns, grad, saved) if self.needs(0) else None,
                ns.zeros(shape, dtype) if self.needs(1) else None)

    def jvp(self, ns, tangents, *saved):
        t = tangents[0]
        return np.zeros(self._shape, self._dtype) if t is None else self.fn(t)


def attr_reader(*names) -> dict:
    """``saved_attrs`` of a ``_LinearKernel`` subclass: each name read from ``node.attrs``."""
    return {n: (lambda node, n=n: node.attrs[n]) for n in names}


def backward_kernel(cls, grad, x, fn, adjoint, adjoint_name: str, src=None, save=None):
    """``fn(grad)`` recorded as the node ``cls``: a ``_KernelBackward`` over (grad, x), or with
    ``x`` None a ``_LinearKernel`` over grad alone; what a first-order node ``src`` returns under
    create_graph. ``save``: the tensors PyTorch's node saves (the indices of max pooling)."""
    out = fn(grad._data)
    if x is None:
        return record1(cls, grad, out, save, fn=fn, adjoint=adjoint, adjoint_label=adjoint_name,
                       attrs=cls.attrs_of(grad, src))
    xd = x._data
    return record2(cls, grad, x, out, save, fn=fn, adjoint=adjoint, adjoint_label=adjoint_name,
                   attrs=cls.attrs_of(grad, src), self_meta=(xd.shape, xd.dtype))


def array(t) -> np.ndarray:
    """The array of a saved non-differentiable tensor (indices), on either formula path."""
    return t if isinstance(t, np.ndarray) else t._data


# -- gathers and scatters by flat indices into the last two dims (torch's pooling indices) -------
def gather_flat(x: np.ndarray, idx: np.ndarray, nd: int) -> np.ndarray:
    """``out[..., o] = x[..., idx[..., o]]`` with the last ``nd`` dims of x and of idx flattened."""
    lead = x.shape[:x.ndim - nd]
    xf = x.reshape(lead + (math.prod(x.shape[x.ndim - nd:]),))   # (no -1: lead may hold a 0)
    i = idx.reshape(lead + (math.prod(idx.shape[idx.ndim - nd:]),))
    return np.take_along_axis(xf, i, axis=-1).reshape(idx.shape)


def scatter_flat(g: np.ndarray, idx: np.ndarray, spatial: tuple,
                 unique: bool = False) -> np.ndarray:
    """The adjoint of ``gather_flat``: zeros of the input's shape plus ``g`` added at ``idx``
    (one bincount over every plane at once; repeated indices add up). ``unique``: the caller
    knows no index repeats within a plane, so one scattering assignment does it."""
    nd = len(spatial)
    lead = g.shape[:g.ndim - nd]
    size = math.prod(spatial)
    planes = math.prod(lead)
    if planes * size == 0 or g.size == 0:
        return np.zeros(lead + tuple(spatial), dtype=g.dtype)
    base = (np.arange(planes, dtype=np.int64) * size).reshape(lead + (1,) * nd)
    flat = (idx + base).ravel()
    if unique:
        out = np.zeros(planes * size, g.dtype)
        out[flat] = g.ravel()
        return out.reshape(lead + tuple(spatial))
    out = np.bincount(flat, weights=g.ravel(), minlength=planes * size)
    return out.astype(g.dtype, copy=False).reshape(lead + tuple(spatial))


# -- linear maps along one axis: y[..., o, ...] = sum_t w_t[o] * x[..., i_t[o], ...] -------------
def taps_apply(x: np.ndarray, axis: int, taps) -> np.ndarray:
    """Gathers along ``axis`` weighted by the taps ``[(index, weight or None), ...]``, summed in
    the taps' order (PyTorch's order of the interpolation terms)."""
    out = None
    shape = [1] * x.ndim
    shape[axis] = -1
    for idx, w in taps:
        term = np.take(x, idx, axis=axis)
        if w is not None:
            term = term * w.reshape(shape)
        out = term if out is None else out + term
    return out


def taps_matrix(taps, n_in: int, dtype) -> np.ndarray:
    """The dense (n_out, n_in) matrix of the taps (for the adjoint, a GEMM along the axis)."""
    n_out = len(taps[0][0])
    m = np.zeros((n_out, n_in), dtype=np.float64)
    rows = np.arange(n_out)
    for idx, w in taps:
        np.add.at(m, (rows, idx), 1.0 if w is None else w.astype(np.float64))
    return m.astype(dtype)


def matrix_apply(x: np.ndarray, axis: int, m: np.ndarray) -> np.ndarray:
    """``y = M x`` along ``axis`` (one matmul)."""
    xm = np.moveaxis(x, axis, -1)
    return np.moveaxis(np.matmul(xm, m.T), -1, axis)
