"""Forward-mode AD: dual tensors, ``make_dual`` / ``unpack_dual`` inside a ``dual_level``.

A dual tensor is an ordinary Tensor with a *tangent* remembered for it in the current level. Every
op called on a dual tensor computes its result as usual and, next to it, the tangent of the
result: the Jacobian-vector product ``J t`` of that op along the tangents of its dual inputs.

Where the JVP rules come from
-----------------------------
There is no per-op JVP formula. Each op already has a backward (``vjp``) formula that is itself
differentiable (double backward, tested for every op-table row), and the JVP of a map is obtained
from its VJP by linear transposition: for ``y = f(x)``, ``g(v) = J^T v`` is linear in ``v``, so

    J t = d/dv <g(v), t>

which is one ``create_graph`` backward (``g``) and one more backward (``d/dv``). This is done *op
by op*, on a re-run of the op on stand-ins of its inputs (fresh leaves, or proxies connected to
the inputs' graphs afterwards; see ``_StandIns``), so it is local: it works when no primal
requires grad, inside ``no_grad`` (forward AD ignores grad mode, as in PyTorch), it never makes a
result require grad that PyTorch's would not, and a chain of n ops costs O(n). Tangents require
grad exactly when PyTorch's do (grad mode on, and a primal, a tangent or another input requiring
grad), and are then differentiable with respect to all of them (reverse-over-forward works).
An op that draws random numbers replays the same draws in its re-run.

Special cases follow PyTorch's semantics: an op returning one of its inputs keeps that input's
tangent; a view of a dual tensor gets, as tangent, the same view of its tangent (so in-place
changes of either are seen by both; a view taken before its base got a tangent reads it when
first asked); an in-place op updates the tangent of the tensor it writes,
in place (a view written into gets a tangent that is a view of its base's tangent).

How ops are reached
-------------------
While a level is open, a dispatch mode (``retrograd._dispatch``) sees every call of a public op
entry point (``Tensor`` methods and operators, the functions of ``retrograd``,
``retrograd.linalg``, ``special``, ``fft``, ``nn.functional``): the entry points are wrappers
made once at import, so a reference bound at any time (``from retrograd import exp``) computes
tangents. The ops of a differentiable backward pass (``create_graph=True``) go through the same
dispatch, so a gradient computed from dual tensors inside a level has a tangent
(forward-over-reverse: Hessian-vector products, ``gradgradcheck(check_fwd_over_rev=True)``).

Not supported (a known difference from PyTorch, not a silent approximation of it):

* nested levels (PyTorch refuses them too, with the same error);
* an in-place write into a view whose base's tangent has another dtype or memory layout than the
  base (NotImplementedError);
* the ``out=`` argument of ops;
* a warning raised by an op on dual inputs points at this module's wrapper, not at the caller's
  line (it is raised once, as in PyTorch).
"""
from __future__ import annotations

import contextvars
import operator
import warnings
import weakref
from typing import Any, NamedTuple

import numpy as np

from .. import _dispatch as _dsp
from .._grad_mode import _DecoratorContextManager
from . import _jvp_rules
from ._record import OPS, edge, make_node, needs_grad1, wrap_view
from ._record import edge as _edge
from .node import Node
from .. import _grad_mode
from .._tensor import Tensor
from .node import _sequence
from .node import SavedOutput
from .node import AccumulateGrad
from .._creation import default_generator
from .._mt19937 import MT19937
from .node import _PackedSaved
from .node import _output_tensor

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]


class _Level:
    """The open dual level of a thread / task (forward AD's state lives in a ContextVar, so
    threads use it independently)."""

    __slots__ = ("index", "table", "by_data")

    def __init__(self, index: int):
        self.index = index
        self.table = _Table()    # id(tensor) -> (weakref(tensor), tangent), for the open level
        self.by_data = _Table()  # id(array) -> (weakref(array), tangent): op outputs with a
        #                          grad_fn, whose node may save the output (SavedOutput holds the
        #                          array)


class _Ref(weakref.ref):
    """A weak reference that knows its key in a ``_Table``."""
    __slots__ = ("key",)


class _Table(dict):
    """id(obj) -> (weakref(obj), value); an entry goes when its object does. One callback per
    table (not a closure per entry: that was a cycle, and a function object, per op)."""

    __slots__ = ("forget",)

    def __init__(self):
        super().__init__()
        get = self.get

        def forget(ref, table=self):
            entry = get(ref.key)
            if entry is not None and entry[0] is ref:
                del table[ref.key]

        self.forget = forget


_level = contextvars.ContextVar("retrograd_dual_level", default=None)
_EMPTY: dict = {}


def _current_level() -> int:
    lv = _level.get()
    return -1 if lv is None else lv.index


def _table() -> dict:
    lv = _level.get()
    return _EMPTY if lv is None else lv.table


def _by_data() -> dict:
    lv = _level.get()
    return _EMPTY if lv is None else lv.by_data


_suspended = contextvars.ContextVar("retrograd_fwd_suspended", default=False)
_suspended_get = _suspended.get
_inference_get = _grad_mode._inference.get
_is_grad_enabled = _grad_mode.is_grad_enabled


class UnpackedDualTensor(NamedTuple):
    r"""Namedtuple returned by :func:`unpack_dual` containing the primal and tangent components of
    the dual tensor."""

    primal: Any
    tangent: Any


# ------------------------------------------------------------------------------- levels


def enter_dual_level():
    """Enter a new forward grad level (only one may be open at a time, as in PyTorch; per
    thread)."""
    if _current_level() >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _level.set(_Level(0))
    _install()
    return 0


def exit_dual_level(*, level=None):
    """Exit the forward grad level: every tangent of the level is deleted."""
    current = _current_level()
    if level is None:
        level = current
    if level != current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _uninstall()
    _level.set(None)


class dual_level(_DecoratorContextManager):
    """Context manager: all forward AD computation happens inside a ``dual_level``."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        exit_dual_level()


# ------------------------------------------------------------------------------- dual tensors


def make_dual(tensor, tangent, *, level=None):
    """A new tensor aliasing ``tensor`` (a view of it) whose tangent is ``tangent``."""
    if level is None:
        level = _current_level()
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if level != _current_level():
        raise RuntimeError("Invalid level given to _make_dual")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual(): expected Tensors")
    if tensor._data.shape != tangent._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(tensor._data.shape)} while the "
            f"given forward gradient is of size {list(tangent._data.shape)}.")
    if _get(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    with _suspend():
        dual = tensor.view(tensor._data.shape)
    if _grad_mode.is_inference_mode_enabled():
        return dual  # inference mode computes no forward gradients
    _set(dual, _same_layout(tangent, tensor))
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor: the primal is a view of ``tensor`` without
    tangent; the tangent is the tensor's tangent as it is (None if it has none)."""
    if level is None:
        level = _current_level()
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    tangent = _get(tensor)
    if level != _current_level():
        if tangent is not None:
            raise RuntimeError("Invalid level given to _fw_primal")
        tangent = None
    return UnpackedDualTensor(_primal_view(tensor), tangent)


class Identity(Node):
    """The node of ``unpack_dual(x).primal`` (PyTorch's ``torch::autograd::Identity``): the
    gradient passes through unchanged."""

    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::Identity"

    def backward(self, ns, grad):
        return (grad,)


def _primal_view(tensor):
    """A view of ``tensor`` without tangent, whose grad_fn (when it needs one) is Identity."""
    data = tensor._data.view()
    if needs_grad1(tensor):
        return wrap_view(data, make_node(Identity, (tensor,), data), tensor)
    return wrap_view(data, None, tensor)


def _lookup(table: dict, obj):
    """The value kept for ``obj`` in a table keyed by id, or None (an entry whose object died
    and whose id was reused does not count)."""
    entry = table.get(id(obj))
    if entry is not None and entry[0]() is obj:
        return entry[1]
    return None


def _keep(table: dict, obj, value) -> None:
    """Keep ``value`` for ``obj`` (by id, weakly: the entry goes when ``obj`` does)."""
    ref = _Ref(obj, table.forget)
    ref.key = key = id(obj)
    table[key] = (ref, value)


def _get(t):
    """The tangent of ``t`` in the open level, or None. A view without a tangent of its own
    whose base has one gets (and keeps) the same view of the base's tangent, as in PyTorch: a
    view taken before an in-place op gave its base a tangent sees that tangent."""
    tangent = _lookup(_table(), t)
    if tangent is None and t._x is not None and t._x.base is not None:
        return _view_of_base_tangent(t, t._x.base)
    return tangent


def _own(t):
    """The tangent stored for ``t`` itself (none read through its base: a saved value that is a
    view of a tensor written in place since has its own tangent, not the base's current one)."""
    return _lookup(_table(), t)


def _view_of_base_tangent(view, base):
    base_t = _lookup(_table(), base)
    if base_t is None or base_t._requires_grad or view._data.dtype != base._data.dtype:
        return None     # (a tangent that carries a graph, or a view as another dtype: none)
    try:
        tangent = _strided_like(view, base, base_t)
    except NotImplementedError:   # a base tangent of another layout: no view of it
        return None
    _set(view, tangent)
    return tangent


def _set(t, tangent) -> None:
    lv = _level.get()
    table = _EMPTY if lv is None else lv.table
    ref = _Ref(t, table.forget)
    ref.key = key = id(t)
    table[key] = (ref, tangent)


def _same_layout(tangent, primal):
    """PyTorch stores the tangent as it is when it has the primal's memory layout, else a copy
    laid out like the primal."""
    a, p = tangent._data, primal._data
    if a.ndim == 0 or _elem_strides(a) == _elem_strides(p):
        return tangent
    if tangent.requires_grad:
        with _suspend():
            return tangent.clone()
    out = np.empty_like(p, dtype=a.dtype)
    out[...] = a
    return Tensor._make(out)


def _elem_strides(a) -> tuple:
    return tuple(s // a.itemsize for s, n in zip(a.strides, a.shape) if n != 1)


# ------------------------------------------------------------------------------- dispatch


class _ForwardMode(_dsp.Mode):
    """The dispatch mode of an open level: an op call with a dual argument computes the tangents
    of its results (``_dispatch``), or updates the tangent it writes (``_dispatch_inplace``)."""

    def handle(self, op, info, args, kwargs):
        lv = _level.get()
        if lv is None or not lv.table or _suspended_get() or info.composite:
            return _dsp.PASS   # (a composite's parts get their tangents, each by its rule)
        if not kwargs and not info.inplace and (info.flag is None or not info.writes(args, kwargs)):
            # the hot path: positional Tensors and scalars, one scan finds the duals, whether
            # anything requires grad, and the key of the op's plan (see _jvp_rules)
            duals = {}
            key = [op]
            rg = False
            table = lv.table
            for a in args:
                if isinstance(a, Tensor):
                    e = table.get(id(a))
                    if e is not None and e[0]() is a:
                        t = e[1]
                    else:
                        x = a._x
                        t = None if x is None or x.base is None else _get(a)
                    d = a._data
                    if t is None:
                        key += (False, d.dtype, d.shape)
                    else:
                        duals[id(a)] = (a, t)
                        key += (True, d.dtype, d.shape)
                        if t._requires_grad:
                            rg = True
                    if a._requires_grad:
                        rg = True
                elif type(a) in _SCALARS:
                    key += (type(a), a)
                else:
                    break
            else:
                if not duals or _inference_get():
                    return _dsp.PASS
                if not (rg and _is_grad_enabled()):
                    plan = _plans_get(tuple(key))
                    if plan is not None:
                        return _by_plan(op, args, duals, plan, info.name)
                return _dispatch(op, args, kwargs, duals, info.name)
        duals = _find_duals(args, kwargs)
        if not duals or _inference_get():
            return _dsp.PASS
        if info.writes(args, kwargs):
            return _dispatch_inplace(op, args, kwargs, duals, info.name)
        return _dispatch(op, args, kwargs, duals, info.name)


def _by_plan(op, args, duals, plan, name):
    """The op as without grad, then its rule by the plan (no stand-ins, no node)."""
    token = _suspended.set(True)
    try:
        rng0 = default_generator._rng
        before = _rng_state(rng0)
        mark = next(_sequence)
        out = op(*args)
        if _apply_plan(plan, out, args, _EMPTY, duals, _set):
            return out
        return _finish(op, args, _EMPTY, duals, name, out, True, _Rng(rng0, before), mark)
    finally:
        _suspended.reset(token)


_MODE = _ForwardMode()


def _install() -> None:
    _dsp.push_mode(_MODE)
    _dsp.set_forward_hooks((_get, _restore_saved_output))


def _uninstall() -> None:
    _dsp.pop_mode(_MODE)
    _dsp.set_forward_hooks(None)


class _suspend:
    """No tangents are computed inside (a custom Function's forward)."""

    def __enter__(self):
        self.token = _suspended.set(True)

    def __exit__(self, *exc):
        _suspended.reset(self.token)


def _custom_function_jvp(ctx, result, tangents) -> None:
    """Give a custom Function's outputs the tangents its ``jvp(ctx, *tangents)`` returns
    (``ctx.saved_tensors`` is what ``save_for_forward`` saved, while it runs)."""
    outs = result if isinstance(result, tuple) else (result,)
    ctx._in_jvp = True
    try:
        with _suspend():
            jvps = ctx.apply_jvp(*tangents)
    finally:
        ctx._in_jvp = False
    if not isinstance(jvps, tuple):
        jvps = (jvps,)
    if len(jvps) != len(outs):
        raise RuntimeError(f"Function's jvp returned an invalid number of forward gradients "
                           f"(expected {len(outs)} but got {len(jvps)})")
    non_diff = {id(t) for t in (ctx.non_differentiable or ())}
    for o, t in zip(outs, jvps):
        if not isinstance(o, Tensor) or t is None or id(o) in non_diff or o._data.dtype.kind != "f":
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor or None as the jvp's result, got "
                            f"{type(t).__name__}")
        if t._data.shape != o._data.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(o._data.shape)} "
                f"while the given forward gradient is of size {list(t._data.shape)}.")
        if _get(o) is not t:
            _set(o, t)
            if o.grad_fn is not None:
                _remember_output(o, t)


def _remember_output(o, tangent) -> None:
    """An op output that its node may save (``SavedOutput`` keeps the array, not the Tensor):
    remember its tangent by array, for the tensor rebuilt from it in a differentiable backward."""
    _remember_array(o._data, tangent)


def _by_data_get(a):
    return _lookup(_by_data(), a)


def _remember_array(a, tangent) -> None:
    try:
        _keep(_by_data(), a, tangent)
    except TypeError:  # pragma: no cover - an array type without weak references
        pass


def _restore_saved_output(t) -> None:
    """``t`` is an op's saved output rebuilt as a Tensor: give it the output's tangent."""
    tangent = _lookup(_by_data(), t._data)
    if tangent is not None and _own(t) is None:
        _set(t, tangent)


def _tensor_args(args, kwargs):
    """The Tensors among an op's arguments, also inside lists and tuples (two levels: cat's
    list, einsum's operands)."""
    for a in args:
        yield from _visit_tensors(a, 0)
    for a in kwargs.values():
        yield from _visit_tensors(a, 0)


def _visit_tensors(a, depth):
    """(A module-level function, not a closure: a recursive closure is a reference cycle, one
    more for the garbage collector on every op.)"""
    if isinstance(a, Tensor):
        yield a
    elif depth < 2 and isinstance(a, (list, tuple)):
        for b in a:
            yield from _visit_tensors(b, depth + 1)


def _find_duals(args, kwargs) -> dict:
    """{id: (tensor, tangent)} of the dual tensors among the arguments (Tensors, also inside
    lists and tuples, two levels deep: cat's list, einsum's operands)."""
    found: dict = {}
    for a in args:
        if isinstance(a, Tensor):
            t = _get(a)
            if t is not None:
                found[id(a)] = (a, t)
        elif isinstance(a, (list, tuple)):
            _find_nested(a, found, 1)
    if kwargs:
        for a in kwargs.values():
            if isinstance(a, Tensor):
                t = _get(a)
                if t is not None:
                    found[id(a)] = (a, t)
            elif isinstance(a, (list, tuple)):
                _find_nested(a, found, 1)
    return found


def _find_nested(seq, found: dict, depth: int) -> None:
    for a in seq:
        if isinstance(a, Tensor):
            t = _get(a)
            if t is not None:
                found[id(a)] = (a, t)
        elif depth < 2 and isinstance(a, (list, tuple)):
            _find_nested(a, found, depth + 1)


def _substitute(obj, mapping: dict):
    """``obj`` (arguments) with the tensors of ``mapping`` (by id) replaced."""
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(_substitute(a, mapping) for a in obj)
    if isinstance(obj, list):
        return [_substitute(a, mapping) for a in obj]
    if isinstance(obj, dict):
        return {k: _substitute(v, mapping) for k, v in obj.items()}
    return mapping.get(id(obj), obj)


def _flat_outputs(out) -> list:
    """The Tensors of an op's result, in order (tuples, named tuples and lists)."""
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        res = []
        for o in out:
            res.extend(_flat_outputs(o))
        return res
    return []


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


_NONE = object()
_plan_key = _jvp_rules.plan_key
_SCALARS = _jvp_rules._SCALARS
_plans_get = _jvp_rules._PLANS.get
_apply_plan = _jvp_rules.apply_plan


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
                if _apply_plan(plan, out, args, kwargs, duals, _set):
                    return out
                return _finish(op, args, kwargs, duals, name, out, tried, _Rng(rng0, before),
                               mark)
            out = _jvp_rules.run(op, args, kwargs, duals, _set, key)
            if out is not _jvp_rules.NOT_APPLICABLE:
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


def _finish(op, args, kwargs, duals, name, out, tried, rng, mark):
    """The tangents of ``out``, the op's result (run once, from the generator state ``rng``
    keeps): an input returned keeps its own, a view of the one dual input gets the same view of
    its tangent, the others come from the double VJP of a re-run."""
    outs = [o for o in _flat_outputs(out) if o._data.dtype.kind == "f"]
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
    touts = [o for o in _flat_outputs(res)]
    touts = [t for t in touts if t._data.dtype.kind == "f"]
    if len(touts) != len(outs) or any(t._data.shape != o._data.shape for t, o in zip(touts, outs)):
        return None
    return touts


def _tangents_by_rerun(op, args, kwargs, duals, outs, mark):
    """J t of ``op`` at the dual inputs along their tangents, by double backward of a re-run on
    stand-ins of the inputs (see the module docstring and ``_StandIns``). The values the op's
    nodes saved (intermediate results of an op built from others) get their tangents too
    (``_Intermediates``)."""
    grad_on = _grad_mode.is_grad_enabled()
    with _enable_grad():
        ins = _StandIns(grad_on, args, kwargs, duals)
        rmark = _node_mark()
        res = op(*_substitute(args, ins.mapping), **_substitute(kwargs, ins.mapping))
        routs = [o for o in _flat_outputs(res) if o._data.dtype.kind == "f"]
        if len(routs) != len(outs):
            raise RuntimeError("forward AD: the op's re-run returned a different number of "
                               "outputs")
        mids = _Intermediates(outs, mark, routs, rmark, args, kwargs)
        jts = jvp_by_double_vjp(routs + mids.targets, ins.leaves, ins.tangents,
                                create_graph=ins.track, own=ins.own)
    jts = ins.finish(jts)
    mids.store(jts[len(routs):])
    return jts[:len(routs)]


def _node_mark() -> int:
    """A sequence number below that of every node created from now on."""
    return next(_sequence)


class _Intermediates:
    """The values saved by the nodes an op created that have no tangent: intermediate results
    of an op built from other ops (``kron``: views, then mul; ``outer``: reshape, then mul), or
    an in-place op's copy of the value it overwrote. A differentiable backward through those
    nodes (forward-over-reverse) needs their tangents.

    The op's nodes (created after ``mark``) and those of its re-run on stand-ins (after
    ``rmark``) are walked in the same order; when the two graphs have the same shape, each saved
    value of the real graph corresponds to one of the re-run graph, whose tangent is one more
    output of the double-vjp. When they differ (an op whose graph depends on something the
    re-run does not reproduce), nothing is added."""

    def __init__(self, outs, mark, routs, rmark, args, kwargs):
        self.targets: list = []
        self.keys: list = []
        real = _new_nodes(outs, mark)
        given = {id(a) for a in _tensor_args(args, kwargs)}
        if not real or (len(real) == 1 and not _saves_intermediates(real[0], outs, given)):
            return
        rerun = _new_nodes(routs, rmark)
        if len(real) != len(rerun) or any(type(a) is not type(b) for a, b in zip(real, rerun)):
            # an in-place write into a view is recorded in the real graph as CopySlices around
            # the op's node (and view nodes after it), in the re-run (into a plain tensor) as the
            # op's node: compare the nodes that saved something
            real, rerun = _saving(real), _saving(rerun)
            if len(real) != len(rerun) or any(type(a) is not type(b)
                                              for a, b in zip(real, rerun)):
                return
        self._pair(real, rerun, given)

    def _pair(self, real, rerun, given: set):
        """Collect the saved values of ``real`` without tangents (``given``: ids of the op's
        arguments, whose tangents are known) and their counterparts in ``rerun``."""
        for a, b in zip(real, rerun):
            sa, sb = a._saved, b._saved
            if not isinstance(sa, tuple) or not isinstance(sb, tuple) or len(sa) != len(sb) \
                    or type(sa) is _PackedSaved or type(sb) is _PackedSaved:
                continue
            for i, (ea, eb) in enumerate(zip(sa, sb)):
                if type(ea) is Tensor and type(eb) is Tensor:
                    if id(ea) in given or _own(ea) is not None or ea._data.dtype.kind != "f":
                        continue
                    if not eb._requires_grad:
                        continue
                    self.targets.append(eb)
                    self.keys.append(ea)
                elif type(ea) is SavedOutput and type(eb) is SavedOutput:
                    if ea.data.dtype.kind != "f" or _by_data_get(ea.data) is not None:
                        continue
                    t = _output_tensor(eb, b)
                    nr = _output_nr_of_saved(b, i)
                    if nr:
                        t._extra().out_nr = nr
                    self.targets.append(t)
                    self.keys.append(ea)

    def store(self, jts) -> None:
        for key, jt in zip(self.keys, jts):
            if jt is None:
                continue
            if type(key) is SavedOutput:
                _remember_array(key.data, jt)
            else:
                _set(key, jt)


def _output_nr_of_saved(node, i) -> int:
    """Which output of ``node`` its saved entry ``i`` is (multi-output decompositions save
    several of their outputs); 0 otherwise."""
    for pos, k in getattr(node, "out_pos", None) or ():
        if pos == i:
            return k
    return 0


def _saves_intermediates(node, outs, given: set) -> bool:
    """Whether the one node an op created saved something other than the op's arguments
    (``given``: their ids) and its own outputs (an in-place op's copy of the overwritten value
    does)."""
    saved = node._saved
    if not isinstance(saved, tuple):
        return False
    for e in saved:
        if isinstance(e, Tensor) and id(e) not in given:
            return True
        if type(e) is SavedOutput and not any(e.data is o._data for o in outs):
            return True
    return False


def _new_nodes(tensors, mark) -> list:
    """The nodes created after ``mark`` that ``tensors`` reach, in a fixed depth-first order
    (leaves' accumulators and stand-in proxies are boundaries, not part of the op)."""
    order, seen = [], set()
    stack = [t.grad_fn for t in reversed(tensors) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen or node._seq <= mark or type(node) in (AccumulateGrad, _Proxy):
            continue
        seen.add(node)
        order.append(node)
        inner = getattr(node, "fn", None)   # CopySlices: the node of the op written into a view
        if isinstance(inner, Node):
            stack.append(inner)
        for nxt, _ in reversed(node.next_functions):
            if nxt is not None:
                stack.append(nxt)
    return order


def _saving(nodes) -> list:
    """The nodes of ops that saved values (not CopySlices, which wraps one)."""
    return [n for n in nodes if isinstance(n._saved, tuple) and len(n._saved) > 0
            and not isinstance(getattr(n, "fn", None), Node)]


class _Proxy(Node):
    """Stands for a tensor that requires grad while a tangent is computed. It has no edges during
    the computation, so the backward passes of the double-vjp stay local (they do not walk the
    tensor's whole history, which made a chain of n ops cost n^2), and it is connected to the
    tensor's node afterwards, so the tangent is differentiable with respect to the tensor."""

    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,) if self.next_functions else ()


class _StandIns:
    """The inputs of a re-run. A dual input becomes a tensor that requires grad (to differentiate
    with respect to it): a fresh leaf, or a proxy of it when it requires grad itself and tangents
    must carry graphs (``track``: grad mode on and some input or tangent requires grad). Other
    tensor inputs, and tangents, that require grad become proxies too. ``before`` gives the data
    (and edges) to use instead of the tensors' current ones (in-place ops: the values before the
    write)."""

    def __init__(self, grad_on: bool, args, kwargs, duals, before=None, edges=None):
        self.track = grad_on and _any_requires_grad(args, kwargs, duals)
        self.own: set = set()
        self.proxies: list = []
        self.mapping: dict = {}
        self.leaves, self.tangents = [], []
        before = before or {}
        edges = edges or {}
        for key, (d, t) in duals.items():
            data = before.get(key, d._data)
            if self.track and d._requires_grad:
                leaf = self._proxy(d, data, edges.get(key))
            else:
                leaf = Tensor._make(data, None, True)
                self.own.add(id(leaf))
            self.mapping[key] = leaf
            self.leaves.append(leaf)
            self.tangents.append(self._proxy(t, t._data) if self.track and t._requires_grad else t)
        if self.track:
            for a in _tensor_args(args, kwargs):
                if a._requires_grad and id(a) not in self.mapping:
                    self.mapping[id(a)] = self._proxy(a, a._data)

    def _proxy(self, src, data, edge=None):
        node = _Proxy((), data.shape, data.dtype)
        self.proxies.append((node, edge if edge is not None else _edge(src)))
        # the live data shares the version counter (a later in-place change of the tensor is
        # caught at backward through the tangent); a copy of an older value does not
        return Tensor._make(data, node, True, src._vc if data is src._data else None)

    def finish(self, jts):
        """The computed tangents: connected to the inputs' graphs through the proxies when they
        depend on them, else detached."""
        out = []
        connect = False
        for jt in jts:
            if jt is None:
                out.append(None)
            elif self.track and jt._requires_grad and _reaches_nodes(jt, {n for n, _ in self.proxies}):
                connect = True
                out.append(jt)
            else:
                out.append(jt.detach() if jt._requires_grad else jt)
        if connect:
            for node, next_edge in self.proxies:
                node.next_functions = (next_edge,)
        return out


def _reaches_nodes(t, nodes: set) -> bool:
    if t.grad_fn is None:
        return False
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node in nodes:
            return True
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def _any_requires_grad(args, kwargs, duals) -> bool:
    """Whether the tangents must be differentiable: a primal, a tangent or another tensor
    argument requires grad (PyTorch's tangent formulas are recorded like any op)."""
    for d, t in duals.values():
        if d._requires_grad or t._requires_grad:
            return True
    for a in args:
        if isinstance(a, Tensor):
            if a._requires_grad:
                return True
        elif isinstance(a, (list, tuple)):
            break
    else:
        if not kwargs:
            return False
    return any(a._requires_grad for a in _tensor_args(args, kwargs))


class _enable_grad:
    def __enter__(self):
        self.prev = _grad_mode.is_grad_enabled()
        _grad_mode._set_grad_enabled(True)

    def __exit__(self, *exc):
        _grad_mode._set_grad_enabled(self.prev)


def jvp_by_double_vjp(outs, leaves, tangents, *, create_graph: bool, own: set | None = None):
    """``J t`` for each of ``outs`` (Tensors), J the Jacobian with respect to ``leaves`` (Tensors
    that require grad), ``tangents`` one per leaf. An output that does not depend on the leaves
    gets None; one that does gets a Tensor (zeros where the JVP vanishes).

    ``g(v) = J^T v`` is linear in ``v``; ``J t = d/dv <g(v), t>``. Mathematically any ``v`` gives
    the same result; ``v`` is all ones, not zeros, because a backward formula may be written
    piecewise in ``grad`` (logcumsumexp takes the log of its positive and negative parts), and at
    ``grad = 0`` such a formula sits on its kink, where its derivative in ``grad`` is wrong. Their
    ids are added to ``own``.
    """
    from . import grad as _grad
    diff = [i for i, o in enumerate(outs) if o._requires_grad]
    result = [None] * len(outs)
    if not diff:
        return result
    vs = [Tensor._make(np.ones(outs[i]._data.shape, outs[i]._data.dtype), None, True) for i in diff]
    if own is not None:
        own.update(id(v) for v in vs)
    gs = _grad([outs[i] for i in diff], leaves, grad_outputs=vs, create_graph=True,
               allow_unused=True)
    terms = [(g * t).sum() for g, t in zip(gs, tangents) if g is not None and g._requires_grad]
    jts = [None] * len(vs)
    if terms:
        s = terms[0]
        for term in terms[1:]:
            s = s + term
        jts = _grad(s, vs, create_graph=create_graph, allow_unused=True)
    for i, v, jt in zip(diff, vs, jts):
        result[i] = jt if jt is not None else Tensor._make(np.zeros_like(v._data))
    return result


def reaches_outside(t, own: set) -> bool:
    """Whether ``t``'s graph reaches a tensor that requires grad other than those in ``own``
    (ids): i.e. whether ``t`` must stay differentiable for the caller."""
    if not t._requires_grad:
        return False
    if t.grad_fn is None:
        return id(t) not in own
    seen = set()
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None or nxt in seen:
                continue
            seen.add(nxt)
            var = getattr(nxt, "variable", None)
            if var is not None:
                if id(var) not in own:
                    return True
            else:
                stack.append(nxt)
    return False


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


def _inplace_tangent(op, args, kwargs, duals, before, edges, mark):
    self = args[0]
    grad_on = _grad_mode.is_grad_enabled()
    with _enable_grad():
        ins = _StandIns(grad_on, args, kwargs, duals, before, edges)
        start = ins.mapping.get(id(self))
        if start is None:
            start = Tensor._make(before[id(self)])
        target = start * 1          # a non-leaf that the op may write into
        mapping = dict(ins.mapping)
        mapping[id(self)] = target
        rmark = _node_mark()
        op(*_substitute(args, mapping), **_substitute(kwargs, mapping))
        mids = _Intermediates([self], mark, [target], rmark, args, kwargs)
        jts = jvp_by_double_vjp([target] + mids.targets, ins.leaves, ins.tangents,
                                create_graph=ins.track, own=ins.own)
    jts = ins.finish(jts)
    mids.store(jts[1:])
    return jts[0]


def _write_tangent(self, old, new) -> None:
    """Store the new tangent of ``self``: into its tangent's memory when it has one (views of it
    see the change), else as a view of its base's tangent when ``self`` is a view."""
    if old is not None:
        if old._data.shape != new._data.shape:   # an in-place view op (transpose_, t_): the
            _set(self, new)                       # tangent changes its shape the same way
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


def _copy_into(dst, src) -> None:
    if src._requires_grad:
        OPS.copy_(dst, src)
    else:
        np.copyto(dst._data, src._data, casting="unsafe")
        dst._vc[0] += 1


def _strided_like(view, base, base_t):
    """The part of ``base_t`` that ``view`` is of ``base`` (same byte offset and strides)."""
    b, bt, v = base._data, base_t._data, view._data
    if bt.dtype != b.dtype or bt.strides != b.strides or not bt.flags.c_contiguous:
        raise NotImplementedError("forward AD: an in-place write into a view whose base has a "
                                  "tangent of another dtype or memory layout is not supported")
    offset = v.__array_interface__["data"][0] - b.__array_interface__["data"][0]
    raw = bt.reshape(-1).view(np.uint8)[offset:].view(bt.dtype)
    return Tensor._make(np.lib.stride_tricks.as_strided(raw, shape=v.shape, strides=v.strides,
                                                        writeable=True))
