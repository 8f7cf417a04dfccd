"""Batching rules of nn ops: one_hot, pad, convolution / unfold / fold (the vmap dims folded
into the op's own batch dim), pooling and resampling, softmax."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._batched_tensor import NoRule, _bind, _bt, _first_name, _only_input_batched, _sig
from ._rules_reduction import _dimshift, _last_dims


def _one_hot_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    if ba.arguments.get("num_classes", -1) < 0:
        raise NoRule("one_hot with inferred num_classes")
    return _last_dims(0)(op, args, kwargs)


def _pad_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    pad = ba.arguments["pad"]
    if ba.arguments.get("mode", "constant") != "constant" or len(pad) // 2 > x.dim():
        raise NoRule("pad form")
    ba.arguments[first] = x._p
    return _bt(op(*ba.args, **ba.kwargs), x._lv)


def _batch_into_n(core):
    """Ops that take a batch dim of their own (convolution, unfold, fold): the vmap batch dims
    of the input are folded into it, and unfolded from the result. ``core(ba)``: the number of
    trailing dims of one example (C, *spatial), or None when the rule does not apply."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        n = core(ba)
        if n is None:
            raise NoRule("unbatched form")
        p = x._p
        lead = tuple(p.shape[:p.dim() - n])
        ba.arguments[first] = p.reshape((-1,) + tuple(p.shape[p.dim() - n:]))
        out = op(*ba.args, **ba.kwargs)
        return _bt(out.reshape(lead + tuple(out.shape[1:])), x._lv)
    return rule


def _spatial_rule(nd):
    """Pooling and resampling over the last ``nd`` dims (None: all but the first two) of
    (N, C, *spatial) or (C, *spatial): the vmap dims (and N) are folded into one batch dim, and
    every result (values, indices) unfolded; windows never cross the batch."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        k = x.dim() - 2 if nd is None else nd
        if k < 1 or x.dim() not in ((k + 2,) if nd is None else (k + 1, k + 2)):
            raise NoRule("rank")
        p = x._p
        lead = tuple(p.shape[:p.dim() - k - 1])
        ba.arguments[first] = p.reshape((-1,) + tuple(p.shape[p.dim() - k - 1:]))
        out = op(*ba.args, **ba.kwargs)
        if isinstance(out, tuple):
            return tuple(_bt(o.reshape(lead + tuple(o.shape[1:])), x._lv) for o in out)
        return _bt(out.reshape(lead + tuple(out.shape[1:])), x._lv)
    return rule


def _conv_core(ba):
    w = ba.arguments["weight"]
    return None if not isinstance(w, Tensor) or w.dim() < 3 else w.dim() - 1


def _softmax_like(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    if "dim" not in ba.arguments or not isinstance(ba.arguments["dim"], (int, np.integer)):
        raise NoRule("implicit softmax dim")
    return _dimshift("dim")(op, args, kwargs)
