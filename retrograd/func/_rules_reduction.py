"""Batching rules of ops with dim arguments (shifted past the batch dims), of reductions and
norms, and of ops acting on the last dims only."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..ops.shape import basic as _S
from ._batched_tensor import NoRule, _bind, _first_name, _only_input_batched, _wrap_dim, _wrap_out
from ._rules_pointwise import _pointwise


def _shift(v, nd: int, k: int):
    if isinstance(v, (tuple, list)):
        return type(v)(_wrap_dim(d, nd) + k for d in v)
    return _wrap_dim(v, nd) + k


def _dimshift(*params, delta: int = 0):
    """Ops of one batched tensor with dim arguments ``params``: the dims are wrapped with the
    logical rank (+ ``delta`` for ops that add a dim) and moved past the batch dims."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        if ba.arguments.get("out") is not None:
            raise NoRule("out")
        nd = x.dim() + delta
        k = len(x._lv)
        for p in params:
            if p not in ba.arguments:
                continue
            v = ba.arguments[p]
            if v is None or isinstance(v, bool) or \
                    not isinstance(v, (int, np.integer, tuple, list)):
                raise NoRule(f"dim argument {p}={v!r}")
            ba.arguments[p] = _shift(v, nd, k)
        ba.arguments[first] = x._p
        return _wrap_out(op(*ba.args, **ba.kwargs), x._lv)
    return rule


_FULL_VALUES = ("max", "min", "median", "nanmedian")


from ..ops.reduction.basic import NO_DIM as _NO_DIM  # noqa: E402 - sum/mean's "dim not given"


def _reduction(dim_name="dim", keep_name="keepdim", check=None):
    """Reductions: ``dim`` None (or empty) reduces all logical dims, which is done by reducing
    the flattened logical dims; otherwise the dims are shifted past the batch dims."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        if op.__name__ in ("max", "min") and isinstance(ba.arguments.get(dim_name), Tensor):
            return _pointwise(op, args, kwargs)   # max(input, other): elementwise
        x = _only_input_batched(ba, first)
        if ba.arguments.get("out") is not None:
            raise NoRule("out")
        if check is not None:
            check(ba)
        nd = x.dim()
        k = len(x._lv)
        p = x._p
        dim = ba.arguments.get(dim_name, None)
        keep = ba.arguments.get(keep_name, False) if keep_name else False
        if dim is None or dim is _NO_DIM or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            if keep:
                raise NoRule("keepdim over all dims")
            shp = p._data.shape
            n = int(np.prod(shp[k:], dtype=np.int64))
            ba.arguments[first] = _S.reshape(p, tuple(shp[:k]) + (n,))
            ba.arguments[dim_name] = -1
            out = op(*ba.args, **ba.kwargs)
            if op.__name__ in _FULL_VALUES and isinstance(out, tuple):
                out = out[0]
            return _wrap_out(out, x._lv)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer, tuple, list)):
            raise NoRule("dim")
        if nd == 0:   # a 0-d input reduced over its dim 0 (or -1): reduce a unit dim instead
            _shift(dim, 0, 0)  # validates
            ba.arguments[first] = _S.unsqueeze(p, -1)
            ba.arguments[dim_name] = type(dim)([-1]) if isinstance(dim, (tuple, list)) else -1
            if keep_name:
                ba.arguments[keep_name] = False
        else:
            ba.arguments[first] = p
            ba.arguments[dim_name] = _shift(dim, nd, k)
        return _wrap_out(op(*ba.args, **ba.kwargs), x._lv)
    return rule


def _norm_check(ba):
    p = ba.arguments.get("p", ba.arguments.get("ord"))
    if isinstance(p, str) and p != "fro":
        raise NoRule("norm type")
    if p == "fro":
        dim = ba.arguments.get("dim")
        if dim is not None and not (isinstance(dim, int) or len(dim) in (1, 2)):
            raise NoRule("fro dims")


def _last_dims(min_nd: int):
    """Ops acting on the last ``min_nd`` dims only (tril, triu, one_hot...): run on the
    physical tensor as they are."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        if x.dim() < min_nd:
            raise NoRule("rank")
        ba.arguments[first] = x._p
        return _wrap_out(op(*ba.args, **ba.kwargs), x._lv)
    return rule
