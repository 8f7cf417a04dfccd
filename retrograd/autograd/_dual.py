"""Forward AD's state: the open dual level of this thread (a ContextVar), the tangent of each
dual tensor in it (kept on the tensor, in its ``_fw`` slot, with the level: see ``_Level``), the
tangents of op outputs a node may save (by array: a differentiable backward rebuilds the tensor
from it), and finding the dual tensors among an op's arguments.

A view without a tangent of its own whose base has one gets the same view of the base's tangent
when first asked (``_get``), as in PyTorch."""
from __future__ import annotations

import contextvars
import weakref

import numpy as np

from .. import _grad_mode
from .._tensor import Tensor

_ndarray = np.ndarray
_make = Tensor._make


class _Level:
    """The open dual level of a thread / task (forward AD's state lives in a ContextVar, so
    threads use it independently).

    A dual tensor keeps its tangent itself, in its ``_fw`` slot, as ``(level, tangent)``: the
    tangent counts only while that level is the open one of the thread that reads it, and lives
    as long as the tensor (no table, no callback when the tensor goes). ``refs`` holds a weak
    reference (without callback) to each tensor given a tangent in the level: at exit the
    tangents of those still alive are dropped, as PyTorch frees them then. The tangent of an op
    output made by a plan is kept as its bare array until asked for (``_get``)."""

    __slots__ = ("index", "refs", "limit", "by_data")

    def __init__(self, index: int):
        self.index = index
        self.refs: list = []     # weakref(tensor) of each tensor given a tangent in this level
        self.limit = _REFS_MIN   # refs is swept of dead references when it grows past this
        self.by_data = _Table()  # id(array) -> (weakref(array), tangent): op outputs with a
        # node, whose node may save them (a differentiable backward rebuilds the tensor)

    def register(self, t) -> None:
        """Remember ``t`` (given a tangent in this level) for the exit."""
        refs = self.refs
        refs.append(_weakref(t))
        if len(refs) > self.limit:
            self.sweep()

    def sweep(self) -> None:
        """Drop the references of tensors that are gone (amortized: each sweep doubles the
        length the list may reach before the next)."""
        refs = self.refs
        refs[:] = [r for r in refs if r() is not None]
        self.limit = max(_REFS_MIN, 2 * len(refs))

    def close(self) -> None:
        """Drop the tangents of this level (its exit)."""
        for r in self.refs:
            t = r()
            if t is not None:
                fw = t._fw
                if fw is not None and fw[0] is self:
                    t._fw = None
        self.refs = []
        self.by_data.clear()


_weakref = weakref.ref
_REFS_MIN = 1024


class _Ref(weakref.ref):
    """A weak reference that knows its key in a ``_Table``."""
    __slots__ = ("key",)


class _Table(dict):
    """id(obj) -> (weakref(obj), value); an entry goes when its object does. One callback per
    table (not a closure per entry: that was a cycle, and a function object, per op); it holds
    the table weakly, so the table is no cycle either."""

    __slots__ = ("forget", "__weakref__")

    def __init__(self):
        super().__init__()
        table_ref = weakref.ref(self)

        def forget(ref):
            table = table_ref()
            if table is not None:
                entry = table.get(ref.key)
                if entry is not None and entry[0] is ref:
                    del table[ref.key]

        self.forget = forget


_level = contextvars.ContextVar("retrograd_dual_level", default=None)

_EMPTY: dict = {}


def _current_level() -> int:
    lv = _level.get()
    return -1 if lv is None else lv.index


def _by_data() -> dict:
    lv = _level.get()
    return _EMPTY if lv is None else lv.by_data


_suspended = contextvars.ContextVar("retrograd_fwd_suspended", default=False)

_suspended_get = _suspended.get

_inference_get = _grad_mode._inference.get

_is_grad_enabled = _grad_mode.is_grad_enabled


class _suspend:
    """No tangents are computed inside (a custom Function's forward)."""

    def __enter__(self):
        self.token = _suspended.set(True)

    def __exit__(self, *exc):
        _suspended.reset(self.token)


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


def _tangent_in(t, fw, lv):
    """The tangent that ``fw`` (``t``'s slot, of level ``lv``) holds, as a Tensor: a plan's bare
    array becomes one when first asked for (kept, so that it is the same Tensor each time)."""
    tangent = fw[1]
    if type(tangent) is _ndarray:
        tangent = _make(tangent)
        t._fw = (lv, tangent)
    return tangent


def _get(t):
    """The tangent of ``t`` in the open level, or None. A view without a tangent of its own
    whose base has one gets (and keeps) the same view of the base's tangent, as in PyTorch: a
    view taken before an in-place op gave its base a tangent sees that tangent."""
    lv = _level.get()
    if lv is None:
        return None
    fw = t._fw
    if fw is not None and fw[0] is lv:
        return _tangent_in(t, fw, lv)
    x = t._x
    if x is not None and x.base is not None:
        return _view_of_base_tangent(t, x.base, lv)
    return None


def _own(t):
    """The tangent stored for ``t`` itself (none read through its base: a saved value that is a
    view of a tensor written in place since has its own tangent, not the base's current one)."""
    lv = _level.get()
    fw = t._fw
    if fw is not None and lv is not None and fw[0] is lv:
        return _tangent_in(t, fw, lv)
    return None


def _view_of_base_tangent(view, base, lv):
    fw = base._fw
    if fw is None or fw[0] is not lv:
        return None
    base_t = _tangent_in(base, fw, lv)
    if base_t._requires_grad or view._data.dtype != base._data.dtype:
        return None     # (a tangent that carries a graph, or a view as another dtype: none)
    try:
        tangent = _strided_like(view, base, base_t)
    except NotImplementedError:   # a base tangent of another layout: no view of it
        return None
    _set(view, tangent)
    return tangent


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


def _set(t, tangent) -> None:
    """Give ``t`` its tangent (a Tensor, or a plan's fresh array) in the open level."""
    lv = _level.get()
    if lv is None:
        return
    old = t._fw
    t._fw = (lv, tangent)
    if old is None or old[0] is not lv:
        lv.register(t)


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
    for a in ((*args, *kwargs.values()) if kwargs else args):
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
