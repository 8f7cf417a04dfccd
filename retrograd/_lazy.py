"""Attributes of a package that load on first use (PEP 562), so that ``import retrograd`` stays
fast: subsystems a script may never touch (``nn``, ``optim``, ``utils.data``, the serialization
machinery) are imported the first time they are looked up, as ``retrograd.nn``, ``import
retrograd.nn``, ``from retrograd import nn`` or ``from retrograd.utils.data import DataLoader``.

A package lists them in one module-level dict literal, ``_LAZY``: the attribute's name -> the
module to import, relative to the package (``"nn"``), or ``"module:attribute"`` for a name the
module defines (``"serialization:save"``). ``tests/test_layering.py`` reads these tables as
imports inside functions (each needs its ``LAZY`` entry there, with the reason), and
``tests/test_import_lazy.py`` checks that every entry resolves and stays unloaded until used.

Op families that add Tensor methods load on first use too (``retrograd.ops.METHOD_FAMILIES``):
Tensor holds a ``MethodStub`` for each of their methods, which imports the family when first
looked up and puts the real method in its place. ``nn.functional``'s names load per op family the same way
(``retrograd/ops/functional_families.py``), and so do the layers of ``nn`` (``nn.modules._LAZY``)
and the optimizers (``optim._LAZY``).
"""
from __future__ import annotations

import importlib


def attach(package: str, table: dict, namespace: dict, more=None):
    """``(__getattr__, __dir__)`` for the package ``package`` whose globals are ``namespace``:
    a name of ``table`` is imported when first looked up, then kept in the package's globals
    (later lookups are plain attribute reads); ``dir()`` lists the names not loaded yet too.
    ``more``, if given, is called with any other name (and with None by ``dir()``): it loads
    what it must and returns a dict of further names (the ``torch.*`` ops of families not
    loaded yet)."""
    def __getattr__(name: str):
        try:
            target = table[name]
        except KeyError:
            extra = more(name) if more is not None and not name.startswith("__") and \
                not _is_submodule(package, name) else {}
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
        return sorted(set(namespace) | set(table) | set(more(None) if more is not None else ()))

    return __getattr__, __dir__


def _is_submodule(package: str, name: str) -> bool:
    """Whether ``package.name`` is a module (``from retrograd import _typeinfo`` asks the package
    first: no op family needs to load for it)."""
    import importlib.util
    return importlib.util.find_spec(f"{package}.{name}") is not None


class MethodStub:
    """A class attribute standing for a method whose op family loads on first use: the first
    lookup (``t.sort``, ``Tensor.sort``, ``getattr``, ``hasattr``) imports the family (its ops
    register), calls ``install(names)``, which replaces the family's stubs in the class by the
    real methods, and returns the real method, bound as a method would be. Later lookups find
    the real method itself; ``dir()`` lists the name all along."""
    __slots__ = ("name", "module", "names", "install")

    def __init__(self, name: str, module: str, names: tuple, install):
        self.name, self.module, self.names, self.install = name, module, names, install

    def __get__(self, obj, cls=None):
        importlib.import_module(self.module)
        self.install(self.names)
        for klass in (cls if cls is not None else type(obj)).__mro__:
            if self.name in klass.__dict__:
                real = klass.__dict__[self.name]
                break
        if isinstance(real, MethodStub):   # pragma: no cover - the install table is checked
            raise AttributeError(self.name)
        return real.__get__(obj, cls)


def method_stubs(cls, package: str, families: dict, install) -> None:
    """Give ``cls`` a ``MethodStub`` for each method of each op family of ``families`` (the
    family's module, relative to ``package`` -> its method names, space-separated) that ``cls``
    does not have yet."""
    for module, names in families.items():
        names = tuple(names.split())
        for name in names:
            if name not in cls.__dict__:
                setattr(cls, name, MethodStub(name, f"{package}.{module}", names, install))


def resolve(cls) -> None:
    """Replace every ``MethodStub`` of ``cls`` by its method (their families load): for code
    that reads the class's ``__dict__`` (vmap's BatchedTensor)."""
    for name, value in list(vars(cls).items()):
        if isinstance(value, MethodStub):
            getattr(cls, name)
