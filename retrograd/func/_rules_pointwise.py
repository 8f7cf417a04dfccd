"""Batching rules of elementwise ops (broadcasting over every tensor argument), of ops that only
read a tensor's metadata or dtype, and of the ``*_like`` factories."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._batched_tensor import (BatchedTensor, NoRule, _bcast, _bind, _first_name,
                              _only_input_batched, _union, _wrap_out)


# ------------------------------------------------------------------------------- rule kinds


def _pointwise(op, args, kwargs, inplace_pos=None, no_promotion=()):
    """Elementwise ops with broadcasting over all their tensor arguments (``no_promotion``:
    ids of tensor arguments that take no part in type promotion, e.g. where's condition)."""
    if "out" in kwargs or kwargs.get("inplace"):
        raise NoRule("out/inplace")
    if inplace_pos is not None and len(args) > inplace_pos and \
            isinstance(args[inplace_pos], (bool, int)) and args[inplace_pos]:
        raise NoRule("inplace")
    tensors = []
    for a in args:
        if isinstance(a, Tensor):
            tensors.append(a)
        elif isinstance(a, (list, tuple)) and any(isinstance(b, Tensor) for b in a):
            raise NoRule("tensors in a list")
    for a in kwargs.values():
        if isinstance(a, Tensor):
            tensors.append(a)
        elif isinstance(a, (list, tuple)) and any(isinstance(b, Tensor) for b in a):
            raise NoRule("tensors in a list")
    levels = _union(tensors)
    rank = max(t.dim() for t in tensors)
    # PyTorch's type promotion ranks 0-d tensors below dimensioned ones; a batched 0-d operand
    # is dimensioned physically, so mixed dtypes there would promote differently
    promoted = [t for t in tensors if id(t) not in no_promotion]
    if len(promoted) > 1:
        dt = promoted[0].dtype
        if any(t.dtype != dt for t in promoted) and any(
                type(t) is BatchedTensor and t.dim() == 0 for t in promoted):
            raise NoRule("0-d batched operand with mixed dtypes")
    new_args = tuple(_bcast(a, levels, rank) if isinstance(a, Tensor) else a for a in args)
    new_kwargs = {k: (_bcast(v, levels, rank) if isinstance(v, Tensor) else v)
                  for k, v in kwargs.items()}
    return _wrap_out(op(*new_args, **new_kwargs), levels)


def _meta_unary(op, args, kwargs):
    """Ops of one tensor whose other tensor arguments only give a dtype (to, type_as)."""
    x = args[0]
    if type(x) is not BatchedTensor:
        raise NoRule("input not batched")
    return _wrap_out(op(x._p, *args[1:], **kwargs), x._lv)


def _passthrough(op, args, kwargs):
    """Ops that only read a tensor's metadata (numel, is_tensor, ...): run as they are."""
    return op(*args, **kwargs)


def _like(op, args, kwargs):
    """zeros_like & co.: the same tensor for every example, made from the logical shape."""
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    if ba.arguments.get("requires_grad"):
        raise NoRule("requires_grad leaf")
    dt = x._p._data.dtype
    ba.arguments[first] = Tensor._make(np.broadcast_to(np.zeros((), dt), tuple(x.shape)))
    return op(*ba.args, **ba.kwargs)
