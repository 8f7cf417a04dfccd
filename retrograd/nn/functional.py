"""retrograd.nn.functional: filled by ops registered with @export(functional=...).

The op families that register most of these names load on first use: ``F.relu`` imports its
family (``ops.functional_families.FUNCTIONAL_FAMILIES``) when first looked up, then is a plain
attribute. ``dir(F)`` lists every name; ``from retrograd.nn.functional import *`` loads them all.
"""
from __future__ import annotations

import importlib as _importlib

from ..ops._registry import NAMESPACES as _NAMESPACES
from ..ops.functional_families import FUNCTIONAL_FAMILIES as _FAMILIES

_TABLE = _NAMESPACES["nn.functional"]
globals().update(_TABLE)   # the names of the families loaded already (one_hot, ...)
_FAMILY_OF = {name: module for module, names in _FAMILIES.items() for name in names.split()}


def __getattr__(name: str):
    module = _FAMILY_OF.get(name)
    if module is None:
        if name == "__all__":   # from retrograd.nn.functional import *: every family, then
            for module in _FAMILIES:   # the globals
                _importlib.import_module("retrograd.ops." + module)
            globals().update(_TABLE)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _importlib.import_module("retrograd.ops." + module)
    value = globals()[name] = _TABLE[name]
    return value


def __dir__():
    return sorted(set(globals()) | set(_FAMILY_OF))
