"""Attributes of a package that load on first use (PEP 562), so that ``import retrograd`` stays
fast: subsystems a script may never touch (``nn``, ``optim``, ``utils.data``, the serialization
machinery) are imported the first time they are looked up, as ``retrograd.nn``, ``import
retrograd.nn``, ``from retrograd import nn`` or ``from retrograd.utils.data import DataLoader``.

A package lists them in one module-level dict literal, ``_LAZY``: the attribute's name -> the
module to import, relative to the package (``"nn"``), or ``"module:attribute"`` for a name the
module defines (``"serialization:save"``). ``tests/test_layering.py`` reads these tables as
imports inside functions (each needs its ``LAZY`` entry there, with the reason), and
``tests/test_import_lazy.py`` checks that every entry resolves and stays unloaded until used.
"""
from __future__ import annotations

import importlib


def attach(package: str, table: dict, namespace: dict, more=None):
    """``(__getattr__, __dir__)`` for the package ``package`` whose globals are ``namespace``:
    a name of ``table`` is imported when first looked up, then kept in the package's globals
    (later lookups are plain attribute reads); ``dir()`` lists the names not loaded yet too.
    ``more``, if given, is called for any other name (and by ``dir()``): it loads what it must
    and returns a dict of further names (the ``torch.*`` ops of families not loaded yet)."""
    def __getattr__(name: str):
        try:
            target = table[name]
        except KeyError:
            extra = more() if more is not None and not name.startswith("__") else {}
            if name in extra:
                namespace[name] = extra[name]
                return extra[name]
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        module, _, attr = target.partition(":")
        value = importlib.import_module("." + module, package)
        if attr:
            value = getattr(value, attr)
        namespace[name] = value
        return value

    def __dir__():
        return sorted(set(namespace) | set(table) | set(more() if more is not None else ()))

    return __getattr__, __dir__
