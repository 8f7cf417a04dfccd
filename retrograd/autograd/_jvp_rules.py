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
from .node import ELEMENTWISE, LINEAR, Node, SavedOutput

_make = Tensor._make
_seq = _node._sequence

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


class _Mark(Node):
    """Stands for the i-th dual input in a rule's run: the stand-in of that input is a tensor
    whose grad_fn is the mark (no leaf, so no AccumulateGrad to make), and an edge of the op's
    node to the mark says which tangent goes with that input. Never run."""

    __slots__ = ()

    def backward(self, ns, grad):  # pragma: no cover - the rule's run is never differentiated
        return (grad,)


_MARKS: list = []


def _marks(n: int) -> list:
    while len(_MARKS) < n:
        _MARKS.append(_Mark((), (), None))
    return _MARKS


def _standin(a, mapping):
    if isinstance(a, Tensor):
        return mapping.get(id(a), a)
    if isinstance(a, (tuple, list, dict)):
        return _substitute(a, mapping)
    return a


def run(op, args, kwargs, duals, set_tangent, key=None):
    """The op's result with tangents from its rule (given to ``set_tangent(result, tangent)``),
    or NOT_APPLICABLE (nothing observable has happened then but draws from the random generator,
    which the caller restores, and the op's warnings, which its next run repeats)."""
    mapping = {}
    by_mark = {}
    marks = _marks(len(duals))
    i = 0
    for k, (d, tangent) in duals.items():
        m = marks[i]
        i += 1
        mapping[k] = _make(d._data, m, True, d._vc)
        by_mark[m] = tangent
    prev = _grad_mode.is_grad_enabled()
    _grad_mode._set_grad_enabled(True)
    try:
        mark = next(_seq)
        res = op(*[_standin(a, mapping) for a in args],
                 **{k: _standin(v, mapping) for k, v in kwargs.items()})
        after = next(_seq)
    finally:
        _grad_mode._set_grad_enabled(prev)
    if type(res) is Tensor:
        fn = res._grad_fn
        if fn is None or res._data.dtype.kind != "f" or not res._requires_grad:
            return NOT_APPLICABLE
        outs = (res,)
    else:
        # (floating results that do not require grad have no tangent: lstsq's singular values)
        outs = [o for o in _flat(res) if o._data.dtype.kind == "f" and o._requires_grad]
        if not outs:
            return NOT_APPLICABLE
        fn = outs[0].grad_fn
        if fn is None:
            return NOT_APPLICABLE
    if after != mark + 2 or fn._seq != mark + 1:
        return NOT_APPLICABLE      # no node, or several: an op built from others
    rule = type(fn).jvp
    if rule is None:
        return NOT_APPLICABLE
    for o in outs:
        x = o._x
        if x is not None and (x.base is not None or o.grad_fn is not fn):
            return NOT_APPLICABLE  # a view: the view path of forward_ad gives its tangent
        if x is None and o._grad_fn is not fn:
            return NOT_APPLICABLE
    tans = [None if nxt is None else by_mark.get(nxt) for nxt, _ in fn.next_functions]
    if len(outs) == 1 and fn.num_outputs == 1:
        data = outs[0]._data
        if rule is ELEMENTWISE:
            tangent = _elementwise(fn, tans, data)
        elif rule is LINEAR:
            tangent = _linear(fn, op, args, kwargs, duals, data)
        else:
            tangent = _formula(fn, tans)
        tangents = (tangent,)
    elif rule is LINEAR or rule is ELEMENTWISE:
        return NOT_APPLICABLE
    else:   # one node, several results: the rule gives one tangent per output (out_nr)
        per_nr = _formula(fn, tans)
        tangents = [per_nr[0 if o._x is None else o._x.out_nr] for o in outs]
    for tangent in tangents:
        if tangent is None:
            return NOT_APPLICABLE
    inputs = [t._data for t in tans if t is not None]
    if type(res) is Tensor:
        data = res._data
        result = _make(data)
        set_tangent(result, _make(_fit(tangents[0], data, inputs)))
        if key is not None and rule is not LINEAR:
            _learn(key, fn, res, args, kwargs, mapping)
        return result
    for o, tangent in zip(outs, tangents):
        result = _make(o._data)
        set_tangent(result, _make(_fit(tangent, o._data, inputs)))
        res = _replace(res, o, result)
    return res


# -- plans: the rule without the run on stand-ins ------------------------------------------------
#
# A run on stand-ins records the op's node only so that the rule can read what the node saved.
# When that is nothing but the op's own tensor arguments and its result, and the node keeps no
# state of its own (no slots), the next call with the same kind of arguments (the key: which
# are dual, the dtypes and shapes of the tensors, the values of the others) needs no recording:
# the op runs as it does without grad, and the rule gets the arguments and the result directly.

_OUT = "result"
UNARY_NOTHING, UNARY_INPUT, UNARY_RESULT = 0, 1, 2
_PLANS: dict = {}            # key -> _Plan
_MAX_PLANS = 4096
_STATELESS: dict = {}        # node class -> whether its instances carry no state of their own


class _Plan:
    """``node``: a node of the op's class with the learned edges, shape and dtype (the key fixes
    them), saving nothing: the rule reads only its class, edges, shape and dtype. ``tan_pos``:
    for each edge, the argument (index or keyword) whose tangent goes with it; ``saved``: for
    each saved entry, the argument, ``_OUT`` or None."""
    __slots__ = ("node", "rule", "tan_pos", "saved", "unary", "random", "reads", "backward",
                 "dtype", "shape")

    def __init__(self, node, rule, tan_pos, saved):
        self.node, self.rule, self.tan_pos, self.saved = node, rule, tan_pos, saved
        # whether the op may draw random numbers (until the run that taught it shows it did not:
        # forward AD's dispatch then needs no snapshot of the generator's state around it)
        self.random = True
        # one edge, to the first argument; nothing saved, or one of it and the result
        self.unary = rule is ELEMENTWISE and tan_pos == (0,) and \
            (saved is None or (len(saved) == 1 and saved[0] in (0, _OUT)))
        # for a unary plan, what its formula reads besides the tangent (UNARY_NOTHING,
        # UNARY_INPUT: the first argument, UNARY_RESULT); None for the others
        self.reads = None if not self.unary else UNARY_NOTHING if saved is None else \
            UNARY_RESULT if saved[0] is _OUT else UNARY_INPUT
        self.backward = node.backward
        self.dtype = node._dtype
        self.shape = node._shape


def _stateless(cls) -> bool:
    r = _STATELESS.get(cls)
    if r is None:
        r = True
        for c in cls.__mro__:
            if c is Node:
                break
            if c.__dict__.get("__slots__", None) != ():
                r = False
        _STATELESS[cls] = r
    return r


_SCALARS = (int, float, bool, str, type(None))


def plan_key(op, args, kwargs, duals):
    """What decides the op's node and what it saves: the op, which arguments are dual, the
    dtype and shape of the tensors, the values of the others (None: not planned, e.g. a
    list)."""
    k = [op]
    for a in args:
        if not _key_part(k, a, duals):
            return None
    if kwargs:
        for name, a in kwargs.items():
            k.append(name)
            if not _key_part(k, a, duals):
                return None
    return tuple(k)


def _key_part(k: list, a, duals) -> bool:
    """Add argument ``a``'s part of a plan key to ``k``; False for an argument no plan covers."""
    if isinstance(a, Tensor):
        d = a._data
        k += (id(a) in duals, d.dtype, d.shape)
    elif type(a) in _SCALARS:
        k += (type(a), a)
    else:
        return False
    return True


def plan_for(key):
    return _PLANS.get(key)


def _learn(key, fn, res, args, kwargs, mapping) -> None:
    """Keep a plan for ``key`` if the node ``fn`` saved only arguments and its result."""
    cls = type(fn)
    if fn._x is not None or fn.num_outputs != 1 or not _stateless(cls):
        return
    saved = fn._saved
    if saved is not None and type(saved) is not tuple:
        return
    pos = {}
    n = 0
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            pos[id(mapping.get(id(a), a))] = i
            n += 1
    for name, a in kwargs.items():
        if isinstance(a, Tensor):
            pos[id(mapping.get(id(a), a))] = name
            n += 1
    if len(pos) != n:
        return     # one tensor given twice (x / x): which argument a saved entry is is unknown
    spec = []
    for e in saved or ():
        if e is None:
            spec.append(None)
        elif isinstance(e, Tensor) and id(e) in pos:
            spec.append(pos[id(e)])
        elif type(e) is SavedOutput and e.data is res._data:
            spec.append(_OUT)
        else:
            return
    marks = {id(s._grad_fn): p for p_id, p in pos.items()
             for s in mapping.values() if id(s) == p_id}
    tan_pos = []
    for nxt, nr in fn.next_functions:
        if nxt is None:
            tan_pos.append(None)
        elif nr == 0 and id(nxt) in marks:
            tan_pos.append(marks[id(nxt)])
        else:
            return
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[key] = _Plan(cls(fn.next_functions, fn._shape, fn._dtype), cls.jvp, tuple(tan_pos),
                        tuple(spec) if saved is not None else None)


def _arg(args, kwargs, p):
    return kwargs[p] if type(p) is str else args[p]


def apply_plan(plan, out, args, kwargs, tans, set_tangent) -> bool:
    """Give ``out`` (the op's result, computed without grad) its tangent by the plan's rule;
    False (nothing done) when the result is not what the plan was made for. ``tans``: id(dual
    argument) -> its tangent's array."""
    tangent = plan_tangent(plan, out, args, kwargs, tans)
    if tangent is None:
        return False
    set_tangent(out, _make(tangent))
    return True


def plan_tangent(plan, out, args, kwargs, tans):
    """The tangent of ``out`` (the op's result, computed without grad) by the plan's rule, as a
    fresh array; None when the result is not what the plan was made for. ``tans``: id(dual
    argument) -> its tangent's array."""
    if type(out) is not Tensor or out._grad_fn is not None:
        return None
    x = out._x
    if x is not None and x.base is not None:
        return None
    data = out._data
    fn = plan.node
    if fn._dtype != data.dtype or fn._shape != data.shape:
        return None
    for a in args:
        if a is out:
            return None
    ns = OPS.numpy_ns
    saved = plan.saved
    if plan.unary:      # one input, the first argument, ELEMENTWISE: the common case
        a0 = args[0]
        t0 = tans[id(a0)]
        if saved is None:
            tangent = fn.backward(ns, t0)[0]
        else:
            p = saved[0]
            tangent = fn.backward(ns, t0, data if p is _OUT else a0._data)[0]
        if tangent is None:
            tangent = np.zeros_like(data)
        if (type(tangent) is np.ndarray and tangent.base is None and tangent is not t0 and
                tangent.dtype is data.dtype and tangent.shape == data.shape and
                tangent.strides == data.strides):
            return tangent   # a fresh array laid out like the result: what _fit would keep
        return _fit(tangent, data, (t0,))
    if saved is None:
        saved = ()
    else:
        saved = [None if p is None else data if p is _OUT else
                 (kwargs[p] if type(p) is str else args[p])._data for p in saved]
    edge_tans = [None if p is None else tans[id(kwargs[p] if type(p) is str else args[p])]
                 for p in plan.tan_pos]
    if plan.rule is ELEMENTWISE:
        if len(edge_tans) == 1 and edge_tans[0] is not None:
            tangent = fn.backward(ns, edge_tans[0], *saved)[0]
            if tangent is None:
                tangent = np.zeros_like(data)
        else:   # (edges are hidden in turn: on a node of its own, the plan's is shared)
            fn = type(fn)(fn.next_functions, fn._shape, fn._dtype)
            tangent = _elementwise_arrays(fn, edge_tans, data, saved)
    else:
        tangent = fn.jvp(ns, edge_tans, *saved)
    if tangent is None:
        return None
    return _fit(tangent, data, edge_tans)


def _formula(fn, tans):
    saved = fn.unpack(False) if fn._saved is not None else ()
    return fn.jvp(_numpy_ns(), [None if t is None else t._data for t in tans], *saved)


def _elementwise(fn, tans, data):
    """Sum over inputs of the backward formula at the input's tangent (only that input's
    gradient is asked for: the others' edges are hidden while it runs)."""
    return _elementwise_arrays(fn, [None if t is None else t._data for t in tans], data,
                               fn.unpack(False) if fn._saved is not None else ())


def _elementwise_arrays(fn, tans, data, saved):
    ns = OPS.numpy_ns
    edges = fn.next_functions
    total = None
    live = [i for i, t in enumerate(tans) if t is not None]
    for i in live:
        if len(live) > 1:
            fn.next_functions = tuple(e if j == i else (None, 0) for j, e in enumerate(edges))
        try:
            g = fn.backward(ns, tans[i], *saved)[i]
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
    if type(tangent) is not np.ndarray:
        tangent = np.asarray(tangent)
    if tangent.shape != data.shape or tangent.dtype != data.dtype or \
            tangent.strides != data.strides or _may_share(tangent, inputs):
        out = np.empty_like(data)
        out[...] = tangent
        return out
    return tangent


def _may_share(a, inputs) -> bool:
    """Whether ``a`` may share memory with one of ``inputs`` (None entries skipped; an array
    that owns its memory and is none of them cannot: they existed before it)."""
    if a.base is None:
        for b in inputs:
            if b is a:
                return True
        return False
    for b in inputs:
        if b is not None and np.may_share_memory(a, b):
            return True
    return False
