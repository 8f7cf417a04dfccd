"""Forward AD by the ops' own forward-mode rules (``Node.jvp``), the fast path.

An op called on dual tensors runs once, on *stand-ins* of its dual inputs: leaves that share the
inputs' data and require grad, so that the op records its node with the values its formulas
read. When that run recorded exactly one node, for the op's floating-point results that require
grad (none a view; results that do not, like lstsq's singular values, get no tangent), and the
node's class declares a JVP rule, the rule gives the results' tangents:

- ``ELEMENTWISE``: the backward formula applied to each input's tangent (a diagonal Jacobian is
  its own transpose), summed and broadcast to the result's shape;
- ``LINEAR``: the op itself applied to the tangents (zeros for tensor inputs without one);
- a method ``jvp(self, ns, tangents, *saved)``: the op's forward formula, on NumPy arrays (a
  tuple of one tangent per output for a node with several outputs).

The result handed to the caller is the stand-in run's value without its graph: what the op
returns when no input requires grad, which is when this path is taken (``applies``). Anything
else (composites that record several nodes, views, ELEMENTWISE or LINEAR nodes with several
results, tangents that must carry a graph) is left to the double-VJP path of ``forward_ad``
(``FALLBACK`` counts who).
"""
from __future__ import annotations

import numpy as np

from .. import _grad_mode
from .._tensor import Tensor
from . import node as _node
from ._record import OPS
from .node import ELEMENTWISE, LINEAR

NOT_APPLICABLE = object()   # what ``run`` returns when the op must take the fallback
FALLBACK: dict = {}         # op name -> calls that took the double-VJP path (tests read it)
FALLBACK_INPLACE: dict = {} # the same for in-place calls (all of them, for now)


def _numpy_ns():
    return OPS.numpy_ns   # handed over by the ops layer (autograd._record.provide)


def _flat(out) -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat(o))
        return res
    return []


def _replace(out, old, new):
    """``out`` (a result structure) with the tensor ``old`` replaced by ``new``."""
    if out is old:
        return new
    if isinstance(out, tuple):
        items = [_replace(o, old, new) for o in out]
        return type(out)(*items) if hasattr(out, "_fields") else type(out)(items)
    if isinstance(out, list):
        return [_replace(o, old, new) for o in out]
    return out


def _substitute(obj, mapping: dict):
    if isinstance(obj, Tensor):
        return mapping.get(id(obj), obj)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_substitute(a, mapping) for a in obj)
    if isinstance(obj, list):
        return [_substitute(a, mapping) for a in obj]
    if isinstance(obj, dict):
        return {k: _substitute(v, mapping) for k, v in obj.items()}
    return obj


def _float_args(obj, found: list, depth: int = 0) -> None:
    if isinstance(obj, Tensor):
        if obj._data.dtype.kind == "f":
            found.append(obj)
    elif depth < 2 and isinstance(obj, (list, tuple)):
        for a in obj:
            _float_args(a, found, depth + 1)


def run(op, args, kwargs, duals, set_tangent):
    """The op's result with tangents from its rule (given to ``set_tangent(result, tangent)``),
    or NOT_APPLICABLE (nothing observable has happened then but draws from the random generator,
    which the caller restores, and the op's warnings, which its next run repeats)."""
    mapping = {}
    by_acc = {}
    accs = []     # the stand-ins' AccumulateGrad nodes (a leaf holds its own weakly)
    for key, (d, tangent) in duals.items():
        leaf = Tensor._make(d._data, None, True, d._vc)
        mapping[key] = leaf
        acc = leaf._grad_accumulator()
        accs.append(acc)
        by_acc[id(acc)] = tangent
    seq = _node._sequence
    prev = _grad_mode.is_grad_enabled()
    _grad_mode._set_grad_enabled(True)
    try:
        mark = next(seq)
        res = op(*_substitute(args, mapping), **_substitute(kwargs, mapping))
        after = next(seq)
    finally:
        _grad_mode._set_grad_enabled(prev)
    # (floating results that do not require grad have no tangent: lstsq's singular values)
    outs = [o for o in _flat(res) if o._data.dtype.kind == "f" and o._requires_grad]
    if not outs:
        return NOT_APPLICABLE
    fn = outs[0].grad_fn
    if fn is None or after != mark + 2 or fn._seq != mark + 1:
        return NOT_APPLICABLE      # no node, or several: an op built from others
    rule = type(fn).jvp
    if rule is None:
        return NOT_APPLICABLE
    for o in outs:
        if o.grad_fn is not fn or (o._x is not None and o._x.base is not None):
            return NOT_APPLICABLE  # a view: the view path of forward_ad gives its tangent
    tans = [None if nxt is None else by_acc.get(id(nxt)) for nxt, _ in fn.next_functions]
    if len(outs) == 1 and fn.num_outputs == 1:
        data = outs[0]._data
        if rule is LINEAR:
            tangent = _linear(fn, op, args, kwargs, duals, data)
        elif rule is ELEMENTWISE:
            tangent = _elementwise(fn, tans, data)
        else:
            tangent = _formula(fn, tans)
        tangents = [tangent]
    elif rule is LINEAR or rule is ELEMENTWISE:
        return NOT_APPLICABLE
    else:   # one node, several results: the rule gives one tangent per output (out_nr)
        per_nr = _formula(fn, tans)
        tangents = [per_nr[0 if o._x is None else o._x.out_nr] for o in outs]
    inputs = [t._data for t in tans if t is not None]
    for o, tangent in zip(outs, tangents):
        if tangent is None:
            return NOT_APPLICABLE
    for o, tangent in zip(outs, tangents):
        result = Tensor._make(o._data)
        set_tangent(result, Tensor._make(_fit(tangent, o._data, inputs)))
        res = _replace(res, o, result)
    return res


def _formula(fn, tans):
    saved = fn.unpack(False) if fn._saved is not None else ()
    return fn.jvp(_numpy_ns(), [None if t is None else t._data for t in tans], *saved)


def _elementwise(fn, tans, data):
    """Sum over inputs of the backward formula at the input's tangent (only that input's
    gradient is asked for: the others' edges are hidden while it runs)."""
    ns = _numpy_ns()
    saved = fn.unpack(False) if fn._saved is not None else ()
    edges = fn.next_functions
    total = None
    live = [i for i, t in enumerate(tans) if t is not None]
    for i in live:
        if len(live) > 1:
            fn.next_functions = tuple(e if j == i else (None, 0) for j, e in enumerate(edges))
        try:
            g = fn.backward(ns, tans[i]._data, *saved)[i]
        finally:
            fn.next_functions = edges
        if g is None:
            continue
        total = g if total is None else total + g
    if total is None:
        return np.zeros_like(data)
    return total


def _linear(fn, op, args, kwargs, duals, data):
    """The op applied to the tangents (zeros for floating inputs without one)."""
    found: list = []
    for a in args:
        _float_args(a, found)
    for a in kwargs.values():
        _float_args(a, found)
    mapping = {}
    for a in found:
        d = duals.get(id(a))
        mapping[id(a)] = d[1] if d is not None else Tensor._make(np.zeros_like(a._data))
    res = op(*_substitute(args, mapping), **_substitute(kwargs, mapping))
    outs = [o for o in _flat(res) if o._data.dtype.kind == "f"]
    if len(outs) != 1:
        return None
    return outs[0]._data


def _fit(tangent, data, inputs) -> np.ndarray:
    """The tangent as a fresh array of the result's shape, dtype and memory layout (never one of
    the input tangents' arrays, which an in-place change of either would then share)."""
    tangent = np.asarray(tangent)
    if tangent.shape != data.shape or tangent.dtype != data.dtype or \
            tangent.strides != data.strides or any(np.may_share_memory(tangent, a)
                                                    for a in inputs):
        out = np.empty_like(data)
        out[...] = tangent
        return out
    return tangent
