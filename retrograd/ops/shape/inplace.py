"""In-place view ops: ``Tensor.transpose_`` (``swapaxes_``, ``swapdims_``), ``Tensor.t_``,
``Tensor.squeeze_`` and ``Tensor.unsqueeze_``.

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
from ..._size import is_int
from .._argparse import invalid_args, seq_element_error
from .._registry import export
from .._util import edge, make_node, u64, u64s, wrap_dim, wrap_dims
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


class SqueezeBackward3(Node):
    """squeeze_(): the gradient reshaped back to the input's shape."""
    jvp = LINEAR
    __slots__ = ("shape",)
    saved_attrs = {"self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        return (ns.reshape(grad, self.shape),)


class SqueezeBackward4(SqueezeBackward3):
    """squeeze_(dim): ``dim`` as given."""
    __slots__ = ("dim",)
    saved_attrs = {"dim": lambda n: u64(n.dim), "self_sym_sizes": "shape"}


class SqueezeBackward5(SqueezeBackward3):
    """squeeze_(dims): ``dim`` is the tuple as given."""
    __slots__ = ("dim",)
    saved_attrs = {"dim": lambda n: u64s(n.dim), "self_sym_sizes": "shape"}


_NOT_GIVEN = object()
_SQUEEZE_SIGS = ("()", "(int dim)", "(tuple of ints dim)")


@export(torch=False, method="squeeze_")
def squeeze_(input, dim=_NOT_GIVEN, *more):
    """Drop size-1 dims of ``input`` itself (all, ``dim``, or each of the dims ``dim``; several
    ints are one list, as PyTorch's parser reads them)."""
    x = input._data
    if more:
        dim = (dim,) + more
    if dim is _NOT_GIVEN:
        return _swap_in_place(input, x.reshape(tuple(s for s in x.shape if s != 1)),
                              SqueezeBackward3, shape=x.shape)
    if is_int(dim):
        d = wrap_dim(dim, x.ndim)
        out = np.squeeze(x, axis=d) if x.ndim and x.shape[d] == 1 else x.view()
        return _swap_in_place(input, out, SqueezeBackward4, shape=x.shape, dim=int(dim))
    if not isinstance(dim, (list, tuple)) or (dim and not is_int(dim[0])):
        raise invalid_args(_SQUEEZE_SIGS, _SQUEEZE_SIGS)
    bad = next((i for i, d in enumerate(dim) if not is_int(d)), None)
    if bad is not None:
        raise seq_element_error("dim", dim, bad)
    dims = tuple(d for d in wrap_dims(dim, x.ndim) if x.ndim and x.shape[d] == 1)
    out = np.squeeze(x, axis=dims) if dims else x.view()
    return _swap_in_place(input, out, SqueezeBackward5, shape=x.shape,
                          dim=tuple(int(d) for d in dim))


class UnsqueezeBackward1(Node):
    """unsqueeze_(dim): the gradient with that dim dropped again (``dim``: as given)."""
    jvp = LINEAR
    __slots__ = ("shape", "dim")
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's grad.squeeze(dim) (SqueezeBackward1)
            return (ns.squeeze_dim(grad, self.dim % len(grad.shape)),)
        return (ns.reshape(grad, self.shape),)


@export(torch=False, method="unsqueeze_")
def unsqueeze_(input, dim):
    """Insert a size-1 dim at ``dim`` into ``input`` itself."""
    x = input._data
    d = wrap_dim(dim, x.ndim + 1)
    return _swap_in_place(input, np.expand_dims(x, d), UnsqueezeBackward1, shape=x.shape,
                          dim=int(dim))
