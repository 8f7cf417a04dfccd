"""The fresh leaves of a transform call (its level inputs, the ``v`` of a double vjp): which
call owns them, and which calls have returned (their leaves are *dead*; see ``_Own``)."""
from __future__ import annotations

import weakref


class _Own(set):
    """The ids of one transform call's fresh leaves (its level inputs, the ``v`` of a double
    vjp). ``active`` while the call runs; afterwards its leaves are *dead*: a graph that still
    reaches them (kept because it also reaches an enclosing level) does not make an enclosing
    level's result differentiable by reaching them (torch's levels never see an inner level's
    inputs)."""

    def __init__(self):
        super().__init__()
        self.active = True

    def __hash__(self):
        return id(self)


_FRESH: dict = {}   # id(leaf) -> (weakref to the leaf, the _Own of its call)


def _own_leaf(own: set, leaf) -> None:
    """Record ``leaf`` as a fresh leaf of the call owning ``own``."""
    key = id(leaf)
    own.add(key)
    if not isinstance(own, _Own):
        return

    def forget(ref, key=key):
        entry = _FRESH.get(key)
        if entry is not None and entry[0] is ref:
            del _FRESH[key]
    _FRESH[key] = (weakref.ref(leaf, forget), own)


def _ignored(own: set) -> set:
    """Leaves a result of the call owning ``own`` may reach without staying differentiable:
    its own fresh leaves and those of calls that have returned."""
    # (a copy: a leaf collected meanwhile removes its entry from _FRESH)
    dead = {k for k, (r, o) in _FRESH.copy().items() if not o.active and r() is not None}
    return own | dead if dead else own


class _Call:
    """Marks a transform call's level inputs dead when the call returns."""

    def __init__(self, own: _Own):
        self.own = own

    def __enter__(self):
        return self.own

    def __exit__(self, *exc):
        self.own.active = False
