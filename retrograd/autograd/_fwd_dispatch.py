"""Forward AD's dispatch mode: what an op call with a dual argument does while a level is open.

In order of cost:

1. *a plan* (``_jvp_rules``): the op has run on dual tensors of this kind before and its rule
   needs only its arguments and result: it runs as without grad, then the rule gives the tangent;
2. *a rule* (``Node.jvp``: ELEMENTWISE, LINEAR or a formula): the op runs once on stand-ins of its
   dual inputs, recording its node, whose rule gives the tangents (a plan is learned then);
3. *a view* of the one dual input: the same view of its tangent;
4. *the double VJP* of a re-run (``_double_vjp``): ops without a rule, tangents that must carry a
   graph (grad mode on and something requires grad), and every in-place op, which updates the
   tangent of the tensor it writes in place (a view written into gets a tangent that is a view of
   its base's tangent).

An op returning one of its inputs keeps that input's tangent. An op that draws random numbers
replays the same draws in a re-run.
"""
from __future__ import annotations

import operator
import warnings

import numpy as np

from .. import _dispatch as _dsp
from .._creation import default_generator
from .._mt19937 import MT19937
from .._tensor import Tensor
from . import _jvp_rules
from ._double_vjp import _inplace_tangent, _node_mark, _tangents_by_rerun
from ._dual import (_EMPTY, _any_requires_grad, _find_duals, _get, _inference_get,
                    _is_grad_enabled, _level, _remember_output, _set, _strided_like, _suspend,
                    _suspended, _suspended_get)
from ._jvp_rules import _flat, _substitute
from ._record import OPS, edge
from .node import _sequence

_plan_key = _jvp_rules.plan_key
_plans_get = _jvp_rules._PLANS.get
_apply_plan = _jvp_rules.apply_plan
_plan_tangent = _jvp_rules.plan_tangent
_SCALARS = _jvp_rules._SCALARS
_UNARY_INPUT = _jvp_rules.UNARY_INPUT
_UNARY_RESULT = _jvp_rules.UNARY_RESULT
_make = Tensor._make
_ndarray = np.ndarray


class _ForwardMode(_dsp.Mode):
    """The dispatch mode of an open level: an op call with a dual argument computes the tangents
    of its results (``_dispatch``), or updates the tangent it writes (``_dispatch_inplace``)."""

    def handle(self, op, info, args, kwargs):
        lv = _level.get()
        if lv is None or not lv.refs or _suspended_get() or info.composite:
            return _dsp.PASS   # (a composite's parts get their tangents, each by its rule)
        if not kwargs and not info.inplace and (info.flag is None or not info.writes(args, kwargs)):
            if len(args) == 1 and isinstance(args[0], Tensor):
                # the hottest path: one Tensor argument (a unary op)
                a = args[0]
                fw = a._fw
                if fw is not None and fw[0] is lv:
                    t = fw[1]
                    if type(t) is _ndarray:   # (a plan's tangent is kept as a bare array)
                        rg = a._requires_grad
                    else:
                        rg = a._requires_grad or t._requires_grad
                        t = t._data
                    if _inference_get():
                        return _dsp.PASS
                    if not (rg and _is_grad_enabled()):
                        d = a._data
                        plan = _plans_get((op, True, d.dtype, d.shape))
                        if plan is not None:
                            if plan.reads is not None:
                                return _by_plan1(op, a, t, plan, info.name, lv)
                            return _by_plan(op, args, {id(a): t}, plan, info.name, lv)
                    return _dispatch(op, args, kwargs, _find_duals(args, kwargs), info.name)
                x = a._x
                if x is None or x.base is None:
                    return _dsp.PASS      # neither dual nor a view (of a dual)
            # the hot path: positional Tensors and scalars; one scan finds the tangents' arrays
            # and whether anything requires grad, a second the key of the op's plan (_jvp_rules)
            tans = None
            rg = False
            for a in args:
                if isinstance(a, Tensor):
                    fw = a._fw
                    if fw is not None and fw[0] is lv:
                        t = fw[1]
                        if type(t) is not _ndarray:   # (a plan's tangent is a bare array)
                            if t._requires_grad:
                                rg = True
                            t = t._data
                    else:
                        x = a._x
                        t = None if x is None or x.base is None else _get(a)
                        if t is None:
                            if a._requires_grad:
                                rg = True
                            continue
                        if t._requires_grad:
                            rg = True
                        t = t._data
                    if tans is None:
                        tans = {}
                    tans[id(a)] = t
                    if a._requires_grad:
                        rg = True
                elif type(a) not in _SCALARS:
                    break
            else:
                if tans is None or _inference_get():
                    return _dsp.PASS
                if not (rg and _is_grad_enabled()):
                    if len(args) == 1:      # (then the one argument is the dual tensor)
                        d = args[0]._data
                        key = (op, True, d.dtype, d.shape)
                    else:
                        key = [op]
                        for a in args:
                            if isinstance(a, Tensor):
                                d = a._data
                                key += (id(a) in tans, d.dtype, d.shape)
                            else:
                                key += (type(a), a)
                        key = tuple(key)
                    plan = _plans_get(key)
                    if plan is not None:
                        return _by_plan(op, args, tans, plan, info.name, lv)
                return _dispatch(op, args, kwargs, _find_duals(args, kwargs), info.name)
        duals = _find_duals(args, kwargs)
        if not duals or _inference_get():
            return _dsp.PASS
        if info.writes(args, kwargs):
            return _dispatch_inplace(op, args, kwargs, duals, info.name)
        return _dispatch(op, args, kwargs, duals, info.name)


def _by_plan(op, args, tans, plan, name, lv):
    """The op as without grad, then its rule by the plan (no stand-ins, no node). The result
    keeps its tangent as the rule's bare array (a Tensor is made of it when asked for)."""
    token = _suspended.set(True)
    try:
        if plan.random:   # (an op that drew numbers when its plan was learned: a re-run replays)
            rng = _Rng()
        mark = next(_sequence)
        out = op(*args)
        tangent = _plan_tangent(plan, out, args, _EMPTY, tans)
        if tangent is not None:
            out._fw = (lv, tangent)     # (a fresh result: no tangent of its own yet)
            lv.register(out)
            return out
        if not plan.random:
            rng = _Rng()
        return _finish(op, args, _EMPTY, _find_duals(args, _EMPTY), name, out, True, rng, mark)
    finally:
        _suspended.reset(token)


def _by_plan1(op, a, t0, plan, name, lv):
    """``_by_plan`` of a unary plan (an elementwise op of its one argument ``a``, whose tangent
    is ``t0``), with ``plan_tangent``'s unary branch inlined: the hottest path of forward AD."""
    token = _suspended.set(True)
    try:
        if plan.random:
            rng = _Rng()
        mark = next(_sequence)
        out = op(a)
        if type(out) is Tensor and out._grad_fn is None and out._x is None:
            data = out._data
            if data.dtype is plan.dtype and data.shape == plan.shape and out is not a:
                reads = plan.reads
                if reads is _UNARY_INPUT:
                    tangent = plan.backward(OPS.numpy_ns, t0, a._data)[0]
                elif reads is _UNARY_RESULT:
                    tangent = plan.backward(OPS.numpy_ns, t0, data)[0]
                else:
                    tangent = plan.backward(OPS.numpy_ns, t0)[0]
                # kept as it is if a fresh array laid out like the result (what _fit keeps)
                if type(tangent) is _ndarray and tangent.base is None and tangent is not t0 and \
                        tangent.dtype is data.dtype and tangent.strides == data.strides and \
                        tangent.shape == data.shape:
                    out._fw = (lv, tangent)
                    lv.register(out)
                    return out
        args = (a,)
        tangent = _plan_tangent(plan, out, args, _EMPTY, {id(a): t0})
        if tangent is not None:
            _set(out, tangent)
            return out
        if not plan.random:
            rng = _Rng()
        return _finish(op, args, _EMPTY, _find_duals(args, _EMPTY), name, out, True, rng, mark)
    finally:
        _suspended.reset(token)


_MODE = _ForwardMode()

_rng_state = operator.attrgetter(*MT19937.__slots__)


def _put_state(rng, state) -> None:
    for name, value in zip(MT19937.__slots__, state):
        setattr(rng, name, value)


class _Rng:
    """The default generator's state around an op, so that its re-run draws the same numbers.
    (The engine's state array is only ever replaced, never written in place, so its attributes
    are a snapshot: no copy of the 624 words per op.)"""

    __slots__ = ("gen", "rng", "before", "after")

    def __init__(self, rng=None, before=None):
        self.gen = default_generator
        self.rng = rng = default_generator._rng if rng is None else rng
        self.before = _rng_state(rng) if before is None else before

    def replay(self):
        rng = self.gen._rng
        self.after = (rng, _rng_state(rng))
        self.gen._rng = self.rng
        _put_state(self.rng, self.before)

    def done(self):
        self.gen._rng = rng = self.after[0]
        _put_state(rng, self.after[1])

    def restore(self):
        """Back to the state before the op (its draws are undone)."""
        self.gen._rng = self.rng
        _put_state(self.rng, self.before)


def _dispatch(op, args, kwargs, duals, name: str):
    """Run ``op`` and give its floating outputs their tangents: by the op's forward-mode rule
    (``_jvp_rules``) where it has one and the tangents need no graph, else by double VJP."""
    token = _suspended.set(True)
    try:
        rng0 = default_generator._rng
        before = _rng_state(rng0)
        tried = not (_is_grad_enabled() and _any_requires_grad(args, kwargs, duals))
        if tried:
            key = _plan_key(op, args, kwargs, duals)
            plan = None if key is None else _plans_get(key)
            if plan is not None:   # the op as without grad, then its rule (no stand-ins)
                mark = next(_sequence)
                out = op(*args, **kwargs)
                if _apply_plan(plan, out, args, kwargs, {k: t._data for k, (_, t) in duals.items()},
                               _set):
                    return out
                return _finish(op, args, kwargs, duals, name, out, tried, _Rng(rng0, before),
                               mark)
            out = _jvp_rules.run(op, args, kwargs, duals, _set, key)
            if out is not _jvp_rules.NOT_APPLICABLE:
                if key is not None:
                    _note_draws(key, rng0, before)
                return out
            rng = _Rng(rng0, before)
            rng.restore()
            mark = _node_mark()
            with warnings.catch_warnings():   # the op warned already, in the run on stand-ins
                warnings.simplefilter("ignore")
                out = op(*args, **kwargs)
        else:
            rng = _Rng(rng0, before)
            mark = _node_mark()
            out = op(*args, **kwargs)
        return _finish(op, args, kwargs, duals, name, out, tried, rng, mark)
    finally:
        _suspended.reset(token)


def _note_draws(key, rng0, before) -> None:
    """A plan just learned for ``key`` replays the generator's state only if its op drew
    numbers in the run that taught it (the default generator's state changed)."""
    plan = _plans_get(key)
    if plan is not None and default_generator._rng is rng0 and \
            all(a is b for a, b in zip(_rng_state(rng0), before)):
        plan.random = False


def _finish(op, args, kwargs, duals, name, out, tried, rng, mark):
    """The tangents of ``out``, the op's result (run once, from the generator state ``rng``
    keeps): an input returned keeps its own, a view of the one dual input gets the same view of
    its tangent, the others come from the double VJP of a re-run."""
    outs = [o for o in _flat(out) if o._data.dtype.kind == "f"]
    inputs = {id(d) for d, _ in duals.values()}
    if all(id(o) in inputs for o in outs):
        return out
    with warnings.catch_warnings():   # the op warned once already, in its real run
        warnings.simplefilter("ignore")
        tangents = _view_tangents(op, args, kwargs, duals, outs)
        if tangents is None:
            if tried:   # (tangents that carry a graph always take this path)
                _jvp_rules.FALLBACK[name] = _jvp_rules.FALLBACK.get(name, 0) + 1
            rng.replay()
            try:
                tangents = _tangents_by_rerun(op, args, kwargs, duals, outs, mark)
            finally:
                rng.done()
    for o, t in zip(outs, tangents):
        if t is not None and id(o) not in inputs:  # an input returned keeps its tangent
            _set(o, t)
            if o.grad_fn is not None:
                _remember_output(o, t)
    return out


def _root(t):
    b = t._base
    return t if b is None else b


def _view_tangents(op, args, kwargs, duals, outs):
    """Outputs that are views of the one dual input: the same view of its tangent."""
    if len(duals) != 1:
        return None
    (d, tangent), = duals.values()
    root = _root(d)
    if not all(o._base is not None and o._base is root for o in outs):
        return None
    try:
        res = op(*_substitute(args, {id(d): tangent}), **_substitute(kwargs, {id(d): tangent}))
    except RuntimeError:
        return None  # e.g. a view the tangent's memory layout does not allow: computed instead
    touts = [o for o in _flat(res)]
    touts = [t for t in touts if t._data.dtype.kind == "f"]
    if len(touts) != len(outs) or any(t._data.shape != o._data.shape for t, o in zip(touts, outs)):
        return None
    return touts


def _dispatch_inplace(op, args, kwargs, duals, name: str):
    """An in-place op: run it, then update the tangent of the tensor it wrote (by double VJP,
    for every in-place op: no in-place op uses a forward-mode rule yet)."""
    if not args or not isinstance(args[0], Tensor) or args[0]._data.dtype.kind != "f":
        with _suspend():
            return op(*args, **kwargs)
    self = args[0]
    old = _get(self)
    # the values (and graph edges) of the inputs before the write
    before = {key: d._data.copy() for key, (d, _) in duals.items()}
    edges = {key: edge(d) for key, (d, _) in duals.items() if d._requires_grad}
    if id(self) not in before:
        before[id(self)] = self._data.copy()
    token = _suspended.set(True)
    try:
        _jvp_rules.FALLBACK_INPLACE[name] = _jvp_rules.FALLBACK_INPLACE.get(name, 0) + 1
        rng = _Rng()
        mark = _node_mark()
        result = op(*args, **kwargs)
        rng.replay()
        try:
            with warnings.catch_warnings():   # the op warned once already, in its real run
                warnings.simplefilter("ignore")
                new = _inplace_tangent(op, args, kwargs, duals, before, edges, mark)
        finally:
            rng.done()
        if new is None and old is None:
            return result
        if new is None:
            new = Tensor._make(np.zeros(self._data.shape, old._data.dtype))
        _write_tangent(self, old, new)
        return result
    finally:
        _suspended.reset(token)


def _write_tangent(self, old, new) -> None:
    """Store the new tangent of ``self``: into its tangent's memory when it has one (views of it
    see the change), else as a view of its base's tangent when ``self`` is a view."""
    if old is not None:
        if old._data.shape != new._data.shape:   # an in-place view op (transpose_, t_): the
            _set(self, new)                       # tangent changes its shape the same way
            return
        if self._base is None and _self_overlapping(old._data):
            # a broadcast tangent (an elementwise rule's expand of a smaller input's tangent)
            # cannot be written into; PyTorch's tangents are laid out as their primal is, so
            # the write lands in dense memory: here the new tangent replaces it
            _set(self, new)
            return
        _copy_into(old, new)
        return
    base = self._base
    if base is None:
        _set(self, new)
        return
    base_t = _get(base)
    if base_t is None:
        base_t = Tensor._make(np.zeros_like(base._data))
        _set(base, base_t)
    view = _strided_like(self, base, base_t)
    _copy_into(view, new)
    _set(self, view)


def _self_overlapping(a: np.ndarray) -> bool:
    """Some dim of size > 1 has stride 0 (an expanded array: elements share memory)."""
    return 0 in a.strides and any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides))


def _copy_into(dst, src) -> None:
    if src._requires_grad:
        OPS.copy_(dst, src)
    else:
        np.copyto(dst._data, src._data, casting="unsafe")
        dst._vc[0] += 1
