"""Batching rules of the shape ops: reshape, view_as, flatten, expand, repeat, permute, squeeze,
transposes, cat and stack."""
from __future__ import annotations

import numpy as np

from .._size import Size
from .._tensor import Tensor
from ..ops.shape import basic as _S
from ..ops.shape.copy import repeat as _RPT
from ._batched_tensor import (BatchedTensor, NoRule, _bcast, _bind, _bt, _first_name, _full,
                              _level_sizes, _only_input_batched, _union, _wrap_dim)
from ._rules_reduction import _shift


# -- shape ----------------------------------------------------------------------------------


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, Tensor) or not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise NoRule("shape")
    return tuple(int(s) for s in shape)


def _reshape_rule(op, args, kwargs):
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("reshape")
    x = args[0]
    shape = _shape_arg(args[1:])
    k = len(x._lv)
    return _bt(op(x._p, tuple(x._p._data.shape[:k]) + shape), x._lv)


def _as_rule(view: bool):
    """view_as / reshape_as: to the other tensor's logical shape."""
    def rule(op, args, kwargs):
        if kwargs or type(args[0]) is not BatchedTensor or len(args) != 2:
            raise NoRule("view_as")
        x, other = args
        k = len(x._lv)
        fn = _S.view if view else _S.reshape
        return _bt(fn(x._p, tuple(x._p._data.shape[:k]) + tuple(other.shape)), x._lv)
    return rule


def _flatten_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    k = len(x._lv)
    p = x._p
    nd = x.dim()
    if nd == 0:
        return _bt(_S.reshape(p, tuple(p._data.shape[:k]) + (1,)), x._lv)
    s = _wrap_dim(ba.arguments["start_dim"], nd)
    e = _wrap_dim(ba.arguments["end_dim"], nd)
    return _bt(op(p, s + k, e + k), x._lv)


def _expand_rule(op, args, kwargs):
    """expand(*sizes) / broadcast_to(size): new leading logical dims go behind the batch dims."""
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("expand")
    x = args[0]
    sizes = _shape_arg(args[1:])
    return _bt(_expand_to(x, sizes), x._lv)


def _expand_to(x, sizes):
    k = len(x._lv)
    if len(sizes) < x.dim():
        raise NoRule("expand rank")
    p = _bcast(x, x._lv, len(sizes))
    return _S.expand(p, tuple(p._data.shape[:k]) + tuple(sizes))


def _expand_as_rule(op, args, kwargs):
    if kwargs or len(args) != 2:
        raise NoRule("expand_as")
    x, other = args
    if type(x) is not BatchedTensor:
        raise NoRule("expand_as of a plain tensor")
    return _bt(_expand_to(x, tuple(other.shape)), x._lv)


def _repeat_rule(op, args, kwargs):
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("repeat")
    x = args[0]
    sizes = _shape_arg(args[1:])
    if op.__name__ == "tile":
        sizes = (1,) * (x.dim() - len(sizes)) + sizes
    if len(sizes) < x.dim():
        raise NoRule("repeat rank")
    k = len(x._lv)
    p = _bcast(x, x._lv, len(sizes))
    return _bt(_RPT(p, *((1,) * k + sizes)), x._lv)


def _permute_rule(op, args, kwargs):
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("permute")
    x = args[0]
    dims = args[1:]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    nd = x.dim()
    if len(dims) != nd:
        raise NoRule("permute rank")
    k = len(x._lv)
    return _bt(op(x._p, *(tuple(range(k)) + tuple(_wrap_dim(d, nd) + k for d in dims))), x._lv)


def _squeeze_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    k = len(x._lv)
    dim = ba.arguments.get("dim")
    if dim is None:
        dims = tuple(i + k for i, s in enumerate(x.shape) if s == 1)
    else:
        dims = _shift(dim, x.dim(), k)
        if isinstance(dims, list):
            dims = tuple(dims)
    return _bt(op(x._p, dims), x._lv)


def _t_rule(op, args, kwargs):
    x = args[0]
    if kwargs or len(args) != 1 or type(x) is not BatchedTensor:
        raise NoRule("t")
    nd = x.dim()
    if nd > 2:
        raise NoRule("t of more than 2 dims")
    if nd < 2:
        return _bt(_S.view(x._p, tuple(x._p._data.shape)), x._lv)
    k = len(x._lv)
    return _bt(_S.transpose(x._p, k, k + 1), x._lv)


def _T_rule(op, args, kwargs):
    x = args[0]
    if x.dim() != 2:
        raise NoRule("T of a tensor that is not 2-D")
    k = len(x._lv)
    return _bt(_S.transpose(x._p, k, k + 1), x._lv)


def _mT_rule(op, args, kwargs):
    x = args[0]
    if x.dim() < 2:
        raise NoRule("mT of less than 2 dims")
    return _bt(_S.transpose(x._p, -2, -1), x._lv)


def _cat_rule(stack: bool):
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        tensors = ba.arguments["tensors"]
        dim = ba.arguments.get("dim", 0)
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise NoRule("tensors")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise NoRule("not a tensor")
        nd = tensors[0].dim()
        if any(t.dim() != nd for t in tensors):
            raise NoRule("ranks differ")
        if not stack and (nd == 0 or any(tuple(t.shape) == (0,) for t in tensors)):
            raise NoRule("legacy empty cat")
        levels = _union(tensors)
        sizes = _level_sizes(tensors, levels)
        phys = [_full(t, levels, sizes) for t in tensors]
        d = _wrap_dim(dim, nd + 1 if stack else nd) + len(levels)
        return _bt(op(phys, d), levels)
    return rule
