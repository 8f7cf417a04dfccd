"""Where each op says how PyTorch exposes it: ``torch.X``, ``Tensor.X``, ``Tensor.X_``,
``torch.linalg.X``, ``torch.special.X``, ``torch.nn.functional.X``.

The decorator is the registration; ``retrograd/__init__.py``, ``_tensor_methods.py`` and the
namespace modules read these tables after every op module is imported. No second list to edit.
It returns the op's public wrapper (``retrograd._dispatch.public``), which the tables hold and
the op's module binds its name to: every call of the op, from users or from other ops, is seen
by the active dispatch modes (forward AD, vmap).
"""
from __future__ import annotations

import types

from .._dispatch import POINTWISE, REDUCTION, dims, public, reduction  # noqa: F401 - vmap=

FUNCTIONS: dict = {}    # torch.X
METHODS: dict = {}      # Tensor.X
INPLACE: dict = {}      # Tensor.X_ -> the out-of-place op it writes back
NAMESPACES: dict = {"linalg": {}, "special": {}, "nn.functional": {}, "fft": {}}


def _add(table: dict, name: str, fn) -> None:
    old = table.get(name)
    if old is not None and old is not fn:
        raise RuntimeError(f"retrograd: '{name}' is registered twice ({old.__module__}."
                           f"{old.__qualname__} and {fn.__module__}.{fn.__qualname__})")
    table[name] = fn


def _names(value, default: str) -> tuple:
    if value is True:
        return (default,)
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def export(*, torch=True, method=False, inplace=False, linalg=False, special=False,
           functional=False, vmap=None, composite=False):
    """Register a function under PyTorch's names. ``True`` means "under the function's own name";
    a string or tuple gives the name(s). ``inplace=True`` adds ``Tensor.<name>_`` (and, with
    ``torch=True``, nothing else: PyTorch's ``torch.<name>_`` functions are rare). ``vmap``
    declares how the op batches under vmap (``POINTWISE``, ``REDUCTION``, ``dims(...)``, or a
    rule's name; see retrograd/_dispatch.py); None: vmap runs it per example. ``composite``: the
    op is built only from calls of other public ops (no node of its own), so forward AD and vmap
    handle its parts, each by its own rule."""
    def deco(fn):
        name = fn.__name__.rstrip("_") if fn.__name__.endswith("_") and \
            not fn.__name__.startswith("_") else fn.__name__
        first = (_names(torch, name) + _names(method, name) + _names(linalg, name) +
                 _names(special, name) + _names(functional, name) + (fn.__name__,))[0]
        if isinstance(fn, types.FunctionType):   # (a class, such as LinAlgError, stays itself)
            fn = public(fn, first, vmap=vmap, composite=composite)
        for n in _names(torch, name):
            _add(FUNCTIONS, n, fn)
        for n in _names(method, name):
            _add(METHODS, n, fn)
        for n in _names(inplace, name + "_"):
            _add(INPLACE, n, fn)
        for n in _names(linalg, name):
            _add(NAMESPACES["linalg"], n, fn)
        for n in _names(special, name):
            _add(NAMESPACES["special"], n, fn)
        for n in _names(functional, name):
            _add(NAMESPACES["nn.functional"], n, fn)
        return fn
    return deco


# retrograd.ops hands over its load_families() when it is imported (the op families that load on
# first use, ops/__init__.py); the functional namespace below calls it on a miss.
load_families = None
load_functional = None   # name -> whether it loaded the family of that nn.functional name


class _Namespace:
    """A registered namespace read by attribute at call time: a composite op calls
    ``functional.pad(...)`` (the very object ``torch.nn.functional.pad`` is) without importing
    ``nn.functional``, a layer above the ops."""
    __slots__ = ("_table",)

    def __init__(self, table: dict):
        self._table = table

    def __getattr__(self, name: str):
        try:
            return self._table[name]
        except KeyError:
            pass
        if load_functional is not None and load_functional(name):   # its family, first use
            return self._table[name]
        if load_families is not None:   # some op families load on first use
            load_families()
        try:
            return self._table[name]
        except KeyError:
            raise AttributeError(name) from None


functional = _Namespace(NAMESPACES["nn.functional"])
