"""Provenance: which line of the user's code (and which Module) created each backward node.

Off by default. ``set_provenance(True)`` turns it on at once (and, used as a ``with`` block,
restores the previous setting at the end); ``provenance()`` is the ``with`` form that turns it
on; ``is_provenance_enabled()`` reads the switch. The switch is global (not per thread), like
anomaly mode. While it is off, node creation pays nothing more than before: ``Node.__init__``
reads one module flag, the same one anomaly mode uses.

While it is on, each new node records the first Python frame outside the retrograd package
(file, line, function, the code of that line; found by walking ``sys._getframe`` links, without
``inspect``), and the Module call that was running (``Module.__call__`` keeps the current module
scope in a ContextVar while provenance is on). ``get_provenance(grad_fn)`` returns that record
(a ``Provenance``) or None. Then:

- errors raised in backward (an in-place change of a saved tensor, backward through a freed
  graph, NaN found by anomaly mode, or any other RuntimeError a node raises) end with a line
  that names where the failing node was created;
- ``why_no_grad`` names the source line where the path breaks;
- ``retrograd.viz.to_dot/make_dot/graph_text`` show the line (``show_source=True``), group the
  nodes into one cluster per Module, and ``saved_memory`` sums bytes per Module.
"""
from __future__ import annotations

import contextvars
import linecache
import os
import sys

from . import node as _node

__all__ = ["set_provenance", "provenance", "is_provenance_enabled", "get_provenance",
           "Provenance"]

_PACKAGE_DIR = _node._PACKAGE_DIR
_MARK = "\nProvenance: "

# The Module call running now (innermost), as a _Scope chain; set by Module.__call__ only
# while provenance is on.
_module_scope: contextvars.ContextVar = contextvars.ContextVar("retrograd_module_scope",
                                                                default=None)


class _Scope:
    """One Module call: the module, its qualified name in the call path ("" for the outermost
    module, "0", "1.fc", ... as ``named_modules`` names them), and the enclosing call."""

    __slots__ = ("module", "name", "parent")

    def __init__(self, module, name: str, parent):
        self.module = module
        self.name = name
        self.parent = parent


def _child_name(parent, module) -> str:
    """``module``'s name under ``parent`` (direct child first, then any descendant)."""
    for k, m in parent._modules.items():
        if m is module:
            return k
    for k, m in parent.named_modules():
        if m is module and k:
            return k
    return "<" + type(module).__name__ + ">"


def module_call(module, call, args, kwargs):
    """Run ``call(*args, **kwargs)`` (the module's call) inside the module's scope."""
    parent = _module_scope.get()
    if parent is None:
        name = ""
    else:
        local = _child_name(parent.module, module)
        name = local if not parent.name else parent.name + "." + local
    token = _module_scope.set(_Scope(module, name, parent))
    try:
        return call(*args, **kwargs)
    finally:
        _module_scope.reset(token)


class Provenance:
    """Where a node was created: ``filename``, ``lineno``, ``function``, ``code`` (the line's
    text, stripped), and the Module calls around it (``modules``: (qualified name, module)
    pairs, outermost first; empty when no Module ran)."""

    __slots__ = ("filename", "lineno", "function", "code", "_scope")

    def __init__(self, filename: str, lineno: int, function: str, code: str, scope):
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.code = code
        self._scope = scope

    @property
    def modules(self) -> list:
        out = []
        s = self._scope
        while s is not None:
            out.append((s.name, s.module))
            s = s.parent
        return out[::-1]

    @property
    def module(self):
        """The innermost Module whose call created the node (None: none)."""
        return None if self._scope is None else self._scope.module

    @property
    def module_name(self):
        """Its qualified name in the call path ("" for the outermost module; None: none)."""
        return None if self._scope is None else self._scope.name

    def module_labels(self, names=None) -> list:
        """``"0 (Linear)"`` for each Module call around the node, outermost first (the outermost
        module by its class alone). ``names``: {id(module): qualified name} to use instead of
        the call path's (``module_names(model)``)."""
        out = []
        for q, m in self.modules:
            if names is not None:
                q = names.get(id(m), q)
            cls = type(m).__name__
            out.append(f"{q} ({cls})" if q else cls)
        return out

    def where(self) -> str:
        """``file.py:12 in f``: the short form used in pictures."""
        return f"{os.path.basename(self.filename)}:{self.lineno} in {self.function}"

    def __str__(self) -> str:
        s = f'File "{self.filename}", line {self.lineno}, in {self.function}'
        if self.code:
            s += ": " + self.code
        if self._scope is not None:
            m = self._scope
            label = type(m.module).__name__
            s += f" [module {m.name} ({label})]" if m.name else f" [module {label}]"
        return s

    def __repr__(self) -> str:
        return f"<Provenance {self.where()}>"


def _record(node) -> None:
    """Called by ``Node.__init__`` while provenance is on."""
    if type(node) is _node.AccumulateGrad:
        return                       # a leaf's sink: created wherever the leaf is first used
    f = sys._getframe(1)
    prefix = _PACKAGE_DIR
    while f is not None and f.f_code.co_filename.startswith(prefix):
        f = f.f_back
    if f is None:
        return
    code = f.f_code
    filename, lineno = code.co_filename, f.f_lineno
    text = linecache.getline(filename, lineno).strip()
    node._extra().provenance = Provenance(filename, lineno, code.co_name, text,
                                          _module_scope.get())


def module_names(model) -> dict:
    """{id(module): qualified name} for a Module and its submodules (None: {})."""
    if model is None or not hasattr(model, "named_modules"):
        return None
    return {id(m): q for q, m in model.named_modules()}


def get_provenance(node):
    """The ``Provenance`` recorded for a node (a ``grad_fn``), or None (provenance was off
    when it was created, or it is an ``AccumulateGrad``)."""
    x = getattr(node, "_x", None)
    return None if x is None else getattr(x, "provenance", None)


def describe(node) -> str:
    """`` <Name> was created at File ..., line N, in f: code``, or "" without provenance."""
    p = get_provenance(node)
    if p is None:
        return ""
    return f"{node.name()} was created at {p}"


def add_to_error(exc: BaseException, node) -> None:
    """Append the failing node's source line to a RuntimeError raised in backward (once)."""
    if not isinstance(exc, RuntimeError) or len(exc.args) != 1 or \
            not isinstance(exc.args[0], str) or _MARK in exc.args[0]:
        return
    d = describe(node)
    if d:
        exc.args = (exc.args[0] + _MARK + d,)


def is_provenance_enabled() -> bool:
    """Whether new nodes record their source line and Module."""
    return _node._provenance_enabled


def _set(mode: bool) -> None:
    _node._provenance_enabled = bool(mode)
    _node._stamp_nodes = _node._anomaly_enabled or _node._provenance_enabled


class set_provenance:
    """Turn provenance on or off at once; as a ``with`` block, the previous setting comes back
    at its end (like ``set_grad_enabled``)."""

    def __init__(self, mode: bool) -> None:
        self.prev = is_provenance_enabled()
        _set(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *args) -> None:
        _set(self.prev)


class provenance:
    """``with provenance():`` records the source line and Module of every node created inside
    the block (``provenance(False)`` turns it off inside the block)."""

    def __init__(self, enabled: bool = True) -> None:
        self.mode = bool(enabled)
        self.prev = None

    def __enter__(self) -> None:
        self.prev = is_provenance_enabled()
        _set(self.mode)

    def __exit__(self, *args) -> None:
        _set(self.prev)
