"""Batching rules of indexing: ``x[key]``, gather, take_along_dim, index_select, masked_fill,
where."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..ops.shape.views import movedim as _MOVEDIM
from ._batched_tensor import (BatchedTensor, NoRule, _bcast, _bind, _bt, _call, _full,
                              _level_sizes, _sig, _union, _wrap_dim, call)
from ._rules_pointwise import _pointwise
from ._rules_reduction import _dimshift

_GETITEM = None   # Tensor.__getitem__ (its dispatching wrapper), bound by _rule_table._build_rules


# -- indexing ---------------------------------------------------------------------------------


def _getitem_rule(op, args, kwargs):
    x, key = args
    if kwargs or not isinstance(x, Tensor):
        raise NoRule("getitem")
    kt = key if isinstance(key, tuple) else (key,)
    adv, has_int, has_none, batched_idx = [], False, False, False
    for i, k in enumerate(kt):
        if type(k) is BatchedTensor:
            adv.append(i)
            batched_idx = True
        elif isinstance(k, Tensor):
            if k.dim() == 0 and k._data.dtype.kind in "iu":
                has_int = True
            else:
                adv.append(i)
        elif isinstance(k, (list, np.ndarray)):
            adv.append(i)
        elif isinstance(k, bool):
            raise NoRule("bool index")
        elif isinstance(k, (int, np.integer)):
            has_int = True
        elif isinstance(k, slice):
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, (int, np.integer)):
                    raise NoRule("slice bound")
        elif k is None:
            has_none = True
        elif k is Ellipsis:
            pass
        else:
            raise NoRule("index type")
    if not adv:
        if type(x) is not BatchedTensor:
            raise NoRule("plain input")
        k = len(x._lv)
        return _bt(op(x._p, (slice(None),) * k + kt), x._lv)
    if has_int or has_none or adv != list(range(adv[0], adv[0] + len(adv))):
        raise NoRule("advanced index form")
    if not batched_idx:
        if type(x) is not BatchedTensor:
            raise NoRule("plain input")
        k = len(x._lv)
        return _bt(op(x._p, (slice(None),) * k + kt), x._lv)
    if adv[0] != 0:
        raise NoRule("batched index not leading")
    idx = [kt[i] for i in adv]
    for t in idx:
        dt = t.dtype if isinstance(t, Tensor) else np.asarray(t).dtype
        kind = dt.np.kind if hasattr(dt, "np") else dt.kind
        if kind not in "iu":
            raise NoRule("batched index dtype")
    levels = _union([x] + idx)
    sizes = _level_sizes([x] + idx, levels)
    rank = max(t.dim() if isinstance(t, Tensor) else np.asarray(t).ndim for t in idx)
    xp = _full(x, levels, sizes)
    n = len(levels)
    aranges = []
    for j, l in enumerate(levels):
        shape = [1] * n + [1] * rank
        shape[j] = sizes[l]
        aranges.append(Tensor._make(np.arange(sizes[l], dtype=np.int64).reshape(shape)))
    pidx = [_bcast(t, levels, rank) if type(t) is BatchedTensor else t for t in idx]
    rest = kt[len(adv):]
    return _bt(op(xp, tuple(aranges) + tuple(pidx) + tuple(rest)), levels)


def _gather_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, dim, index = ba.arguments["input"], ba.arguments["dim"], ba.arguments["index"]
    if ba.arguments.get("sparse_grad"):
        raise NoRule("sparse_grad")
    if not (isinstance(x, Tensor) and isinstance(index, Tensor)) or x.dim() != index.dim():
        raise NoRule("gather operands")
    nd = x.dim()
    if nd == 0:
        raise NoRule("0-d gather")
    levels = _union((x, index))
    sizes = _level_sizes((x, index), levels)
    d = _wrap_dim(dim, nd) + len(levels)
    return _bt(op(_full(x, levels, sizes), d, _full(index, levels, sizes)), levels)


def _take_along_dim_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, index, dim = ba.arguments["input"], ba.arguments["indices"], ba.arguments["dim"]
    if dim is None or not (isinstance(x, Tensor) and isinstance(index, Tensor)):
        raise NoRule("take_along_dim form")
    nd = x.dim()
    if nd == 0 or index.dim() != nd:
        raise NoRule("take_along_dim ranks")
    levels = _union((x, index))
    sizes = _level_sizes((x, index), levels)
    d = _wrap_dim(dim, nd) + len(levels)
    return _bt(op(_full(x, levels, sizes), _full(index, levels, sizes), d), levels)


def _index_select_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, dim, index = ba.arguments["input"], ba.arguments["dim"], ba.arguments["index"]
    if type(index) is not BatchedTensor:
        return _dimshift("dim")(op, args, kwargs)
    # a batched index: x moved so that dim leads, indexed (the getitem rule), moved back
    if index.dim() != 1 or not isinstance(x, Tensor) or x.dim() == 0:
        raise NoRule("index_select index")
    d = _wrap_dim(dim, x.dim())
    y = call(_MOVEDIM, x, d, 0)
    return call(_MOVEDIM, _call(_GETITEM, (y, index), {}), 0, d)


def _masked_fill_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, mask, value = ba.arguments["input"], ba.arguments["mask"], ba.arguments["value"]
    if type(value) is BatchedTensor or not isinstance(x, Tensor) or not isinstance(mask, Tensor):
        raise NoRule("masked_fill operands")
    if mask.dim() > x.dim():
        raise NoRule("mask rank")
    levels = _union((x, mask))
    sizes = _level_sizes((x, mask), levels)
    return _bt(op(_full(x, levels, sizes), _bcast(mask, levels, x.dim()), value), levels)


def _where_rule(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    vals = list(ba.arguments.values())
    if len(vals) < 3 or (vals[1] is None and vals[2] is None):
        raise NoRule("where(condition)")
    return _pointwise(op, args, kwargs, no_promotion=(id(vals[0]),))


def _tensor_where_rule(op, args, kwargs):
    """Tensor.where(self, condition, y)."""
    ba = _sig(op).bind(*args, **kwargs)
    vals = list(ba.arguments.values())
    return _pointwise(op, args, kwargs, no_promotion=(id(vals[1]),) if len(vals) > 1 else ())
