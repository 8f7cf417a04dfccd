"""Dispatch: how a *mode* (forward-mode AD, vmap's batched run, allow_mutation_on_saved_tensors)
sees every op call.

Every public entry point of an op -- ``torch.X``, ``Tensor.X`` and Tensor's operators,
``torch.linalg.X``, ``torch.special.X``, ``torch.fft.X``, ``torch.nn.functional.X``, the
``*_like`` factories -- is a thin wrapper around the op's implementation, made once, when
``retrograd`` is imported (``install``). While no mode is active the wrapper tests one list and
calls the implementation. While modes are active, each one (innermost first) may handle the call
(``Mode.handle`` returns its result) or let it through (returns ``PASS``); the implementation
runs when all let it through.

Because the wrappers *are* the public objects (``retrograd.sin is Tensor.sin``'s function
wrapper, nothing is swapped when a mode starts), a reference taken at any time
(``from retrograd import sin``, ``vmap(torch.dot)``) reaches the modes. This replaces the
temporary patching of the namespaces that forward AD and vmap did before.

The implementations in ``retrograd.ops`` call each other directly (not through wrappers): a mode
sees the op the user called, once, not the ops it is built from. The formula namespace used by
``create_graph=True`` (``ops.tensor_ns``) is wrapped too, so that a mode sees the ops of a
differentiable backward pass (forward-over-reverse).

Cost: one extra Python call per op (the wrapper has the op's own positional signature where it is
simple, ``*args, **kwargs`` otherwise); about 1-3% of the per-op time of
``benchmarks/bench_chain.py``.
"""
from __future__ import annotations

import functools
import inspect
import sys
import types

__all__ = ["Mode", "PASS", "OpInfo", "push_mode", "pop_mode", "unwrap", "install", "public"]

PASS = object()           # what Mode.handle returns to let a call through
_modes: list = []         # the active modes, outermost first
tangent_of = None         # set by forward AD while a level is open: Tensor -> tangent or None
restore_tangent = None    # set by forward AD while a level is open: gives an op's saved output,
#                           rebuilt for a differentiable backward, the tangent of that output


class OpInfo:
    """What a mode may need to know about an op beyond the function: its public name, whether
    it writes its first argument (``Tensor.add_``, ``__iadd__``, ``__setitem__``), and where its
    ``inplace=`` flag is (``F.relu(x, inplace=True)``), if it has one."""

    __slots__ = ("name", "inplace", "flag")

    def __init__(self, name: str, inplace: bool, flag):
        self.name = name
        self.inplace = inplace
        self.flag = flag

    def writes(self, args, kwargs) -> bool:
        """Whether this call writes into its first argument."""
        if self.inplace:
            return True
        flag = self.flag
        if flag is None:
            return False
        if kwargs.get("inplace"):
            return True
        return 0 <= flag < len(args) and args[flag] is True


class Mode:
    """Base class of the modes. ``handle(op, info, args, kwargs)`` returns the call's result, or
    ``PASS`` to let the next mode (then the op itself) have it."""

    def handle(self, op, info: OpInfo, args, kwargs):  # pragma: no cover - overridden
        return PASS


def push_mode(mode: Mode) -> None:
    _modes.append(mode)


def pop_mode(mode: Mode) -> None:
    for i in range(len(_modes) - 1, -1, -1):
        if _modes[i] is mode:
            del _modes[i]
            return


def _run(op, info, args, kwargs):
    for i in range(len(_modes) - 1, -1, -1):
        r = _modes[i].handle(op, info, args, kwargs)
        if r is not PASS:
            return r
    return op(*args, **kwargs)


# ------------------------------------------------------------------------------- wrappers

_WRAPPERS: dict = {}      # implementation -> its public wrapper (aliases share one)
_INPLACE_DUNDERS = frozenset((
    "__iadd__", "__isub__", "__imul__", "__imatmul__", "__itruediv__", "__ifloordiv__",
    "__imod__", "__ipow__", "__ilshift__", "__irshift__", "__iand__", "__ixor__", "__ior__",
    "__setitem__"))
_OP_MODULES = ("retrograd.ops", "retrograd._tensor_methods", "retrograd._functions")
_NAMESPACES = ("retrograd", "retrograd.linalg", "retrograd.special", "retrograd.fft",
               "retrograd.nn.functional", "retrograd.ops.tensor_ns")
_LIKE = ("zeros_like", "ones_like", "empty_like", "full_like", "rand_like", "randn_like",
         "randint_like")


def unwrap(fn):
    """The implementation behind a public wrapper (``fn`` itself if it is not one)."""
    return getattr(fn, "_rg_op", fn)


def is_inplace_name(name: str) -> bool:
    return name in _INPLACE_DUNDERS or (name.endswith("_") and not name.startswith("_"))


def _flag_position(op):
    code = getattr(op, "__code__", None)
    if code is None or "inplace" not in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]:
        return None
    i = code.co_varnames.index("inplace")
    return i if i < code.co_argcount else -1


def _simple_params(op):
    """The parameter names when ``op`` takes only positional-or-keyword parameters without
    defaults (``mul(input, other)``), else None."""
    code = getattr(op, "__code__", None)
    if code is None or code.co_kwonlyargcount or code.co_flags & (inspect.CO_VARARGS |
                                                                 inspect.CO_VARKEYWORDS):
        return None
    if op.__defaults__ or op.__kwdefaults__:
        return None
    names = code.co_varnames[:code.co_argcount]
    if any(n.startswith("_") or not n.isidentifier() for n in names):
        return None
    return names


def public(op, name: str | None = None):
    """The public wrapper of ``op`` (made once per implementation)."""
    op = unwrap(op)
    w = _WRAPPERS.get(op)
    if w is not None:
        return w
    name = name or op.__name__
    info = OpInfo(name, is_inplace_name(name) or is_inplace_name(op.__name__), _flag_position(op))
    modes = _modes
    params = _simple_params(op)
    if params is not None:
        plist = ", ".join(params)
        tup = f"({plist},)" if len(params) == 1 else f"({plist})"
        src = (f"def _w({plist}):\n"
               f"    if modes:\n"
               f"        return run(op, info, {tup}, {{}})\n"
               f"    return op({plist})\n")
        env = {"modes": modes, "run": _run, "op": op, "info": info}
        # generated from the op's own parameter names; attributed to this file, so that
        # tracebacks and anomaly mode treat the wrapper as retrograd's own frame
        exec(compile(src, __file__, "exec"), env)  # noqa: S102
        w = env["_w"]
    else:
        def w(*args, **kwargs):
            if modes:
                return _run(op, info, args, kwargs)
            return op(*args, **kwargs)
    functools.update_wrapper(w, op)
    w._rg_op = op
    w._rg_info = info
    _WRAPPERS[op] = w
    return w


_HELPER_MODULES = ("retrograd.ops._util", "retrograd.ops._registry")


def _is_op(fn) -> bool:
    """A function of the op modules (not one of their helpers, such as ``_util.wrap``)."""
    if not isinstance(fn, types.FunctionType) or hasattr(fn, "_rg_op"):
        return False
    mod = getattr(fn, "__module__", None) or ""
    return mod.startswith(_OP_MODULES) and mod not in _HELPER_MODULES


_installed = False


def install() -> None:
    """Make every public op entry point its wrapper (called once, at the end of importing
    retrograd; idempotent)."""
    global _installed
    if _installed:
        return
    from . import _creation
    from ._tensor import Tensor
    likes = {getattr(_creation, n) for n in _LIKE}
    for name, val in list(vars(Tensor).items()):
        if isinstance(val, property) and _is_op(val.fget):
            setattr(Tensor, name, property(public(val.fget, name), val.fset, val.fdel,
                                           val.__doc__))
        elif _is_op(val):
            setattr(Tensor, name, public(val, name))
    for modname in _NAMESPACES:
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        d = vars(mod)
        for name, val in list(d.items()):
            if name.startswith("__"):
                continue
            if _is_op(val) or (isinstance(val, types.FunctionType) and val in likes):
                d[name] = public(val, name)
    # Inside the op modules, names bound to a public op's implementation are bound to its
    # wrapper too: an op built from other ops (a composite) calls them through dispatch, so that
    # a mode can see the parts (forward AD gives every intermediate result a tangent, which a
    # differentiable backward through the composite's nodes needs).
    for modname, mod in list(sys.modules.items()):
        if mod is None or not modname.startswith(_OP_MODULES):
            continue
        d = vars(mod)
        for name, val in list(d.items()):
            if isinstance(val, types.FunctionType):
                w = _WRAPPERS.get(val)
                if w is not None:
                    d[name] = w
    _installed = True
