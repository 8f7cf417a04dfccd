"""In-place view ops: ``Tensor.transpose_`` (``swapaxes_``, ``swapdims_``) and ``Tensor.t_``.

They change the tensor's own shape and strides, not its storage's values: the tensor keeps its
storage (and stays a view of its base, if it is one), its version is bumped as PyTorch does,
and when a graph is being recorded it gets a TransposeBackward1 / TBackward1 node whose
gradient is the incoming one transposed back. PyTorch's GRU and RNN on CPU end in one
(``output.transpose_(0, 1)`` for batch_first).
"""
from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ...autograd.node import LINEAR, Node
from .._registry import export
from .._util import edge, make_node, u64, wrap_dim
from ..inplace import _set_grad_fn, bump_version, check_inplace


class TransposeBackward1(Node):
    """transpose_: the gradient transposed back. ``dim0``/``dim1``: as given."""
    jvp = LINEAR
    __slots__ = ("dim0", "dim1")
    saved_attrs = {"dim0": lambda n: u64(n.dim0), "dim1": lambda n: u64(n.dim1)}

    def backward(self, ns, grad):
        if len(self._shape) < 2:
            return (grad,)
        return (ns.transpose(grad, self.dim0, self.dim1),)


class TBackward1(Node):
    """t_: the identity for 0-d/1-d tensors, the transpose of the gradient for 2-d ones."""
    jvp = LINEAR
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad if len(self._shape) < 2 else ns.transpose(grad, 0, 1),)


def _swap_in_place(t, out: np.ndarray, cls, **attrs):
    check_inplace(t)
    record = _grad_mode.is_grad_enabled() and t._requires_grad
    prev = edge(t) if record else None
    t._data = out
    bump_version(t)   # (views of the same storage regenerate their grad_fn, as in PyTorch)
    if record:
        node = cls((prev,), out.shape, out.dtype)
        for k, v in attrs.items():
            setattr(node, k, v)
        _set_grad_fn(t, node)
    return t


@export(torch=False, method=("transpose_", "swapaxes_", "swapdims_"))
def transpose_(input, dim0, dim1):
    """Swap dims ``dim0`` and ``dim1`` of ``input`` itself (its shape and strides)."""
    x = input._data
    n = x.ndim
    d0, d1 = wrap_dim(dim0, n), wrap_dim(dim1, n)
    out = np.swapaxes(x, d0, d1) if n else x.view()
    return _swap_in_place(input, out, TransposeBackward1, dim0=int(dim0), dim1=int(dim1))


@export(torch=False, method="t_")
def t_(input):
    x = input._data
    if x.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {x.ndim}D")
    return _swap_in_place(input, x.T if x.ndim == 2 else x.view(), TBackward1)
