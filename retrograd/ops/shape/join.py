"""Joining and splitting along a dim: cat (concat, concatenate), stack and unbind (its pieces are
views), each with its node; moved out of ``basic.py`` as a family."""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ...autograd._record import record
from ...autograd.node import LINEAR, Node
from .._registry import dims, export
from .._util import Tensor, make_node, needs_grad1, u64, wrap_dim, wrap_view
from ..._size import format_shape as _fmt


class CatBackward0(Node):
    """cat: each input gets its slice of the gradient along dim (``dim``: as given)."""
    jvp = LINEAR
    __slots__ = ("dim", "sizes")
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad):
        pre = (slice(None),) * (self.dim % len(self._shape))
        out, start = [], 0
        for i, n in enumerate(self.sizes):
            out.append(grad[pre + (slice(start, start + n),)] if self.needs(i) else None)
            start += n
        return tuple(out)


def _tensor_list(tensors, name: str):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {tensors.index(t)} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


@export(torch=('cat', 'concat', 'concatenate'), method=False, vmap='cat')
def cat(tensors, dim=0):
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # Legacy rule: 1-D empty tensors are skipped.
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    ref = next((t for t in tensors if t._data.shape != (0,)), tensors[0])
    nd = ref._data.ndim
    d = wrap_dim(dim, nd)
    for i, t in enumerate(tensors):
        s = t._data.shape
        if s == (0,) and nd != 1:
            continue
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {len(s)}")
        for k in range(nd):
            if k != d and s[k] != ref._data.shape[k]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref._data.shape[k]} but got size {s[k]} for tensor number {i} in the list.")
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    used = [t for t in tensors if not (t._data.shape == (0,) and nd != 1)]
    out = np.concatenate([t._data for t in used], axis=d, dtype=dt.np)
    return record(CatBackward0, used, out, dim=int(dim),
                  sizes=[t._data.shape[d] for t in used])


concat = concatenate = cat


class UnbindBackward0(Node):
    """unbind: the gradients of the pieces stacked back (zeros for pieces that got none).
    ``dim``: as given (stacking at it undoes the unbind, negative or not)."""
    __slots__ = ("dim", "num_outputs")
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def apply(self, ns, grads, as_tensors):
        filled = [g if g is not None else ns.zeros(self._shape, self._dtype) for g in grads]
        return (ns.stack(filled, self.dim),)


@export(torch='unbind', method='unbind', vmap=dims('dim'))
def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as views; one node with several outputs."""
    x = input._data
    d = wrap_dim(dim, x.ndim)
    pieces = [x[(slice(None),) * d + (i,)] for i in range(x.shape[d])]
    if not needs_grad1(input) or not pieces:
        return tuple(wrap_view(p, None, input) for p in pieces)
    node = make_node(UnbindBackward0, (input,), pieces[0])
    node.dim, node.num_outputs = int(dim), len(pieces)
    outs = []
    for i, p in enumerate(pieces):
        t = wrap_view(p, node, input)
        t._x.out_nr = i
        outs.append(t)
    return tuple(outs)


class StackBackward0(Node):
    """stack: input i gets the gradient's slice i along the new dim (``dim``: as given)."""
    jvp = LINEAR
    __slots__ = ("dim",)
    saved_attrs = {"dim": lambda n: u64(n.dim)}

    def backward(self, ns, grad):
        pre = (slice(None),) * (self.dim % len(self._shape))
        return tuple(grad[pre + (i,)] if self.needs(i) else None
                     for i in range(len(self.next_functions)))


@export(torch='stack', method=False, vmap='stack')
def stack(tensors, dim=0):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {_fmt(s0)} at "
                               f"entry 0 and {_fmt(t._data.shape)} at entry {i}")
    d = wrap_dim(dim, len(s0) + 1)
    dt = tensors[0].dtype
    for t in tensors[1:]:
        dt = D.promote_types(dt, t.dtype)
    out = np.stack([t._data for t in tensors], axis=d, dtype=dt.np)
    return record(StackBackward0, tensors, out, dim=int(dim))
