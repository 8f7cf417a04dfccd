"""Dispatch: how a *mode* (forward-mode AD, vmap's batched run, allow_mutation_on_saved_tensors)
sees every op call.

Every public entry point of an op -- ``torch.X``, ``Tensor.X`` and Tensor's operators,
``torch.linalg.X``, ``torch.special.X``, ``torch.fft.X``, ``torch.nn.functional.X``, the
``*_like`` factories -- is a thin wrapper around the op's implementation, made when the op is
declared: ``@export`` (``ops/_registry.py``) returns the wrapper, so the op's own module binds
its name to it, and the other entry points (``Tensor``'s operators, the formula namespace
``ops.tensor_ns``) wrap theirs with ``public`` where they are defined. Nothing is generated with
``exec`` and no module is rewritten after import.

While no mode is active the wrapper reads one ContextVar and calls the implementation. While
modes are active, each one (innermost first) may handle the call (``Mode.handle`` returns its
result) or let it through (returns ``PASS``); the implementation runs when all let it through.
The active modes live in a ContextVar, so each thread (and asyncio task) has its own: a dual
level or a vmap in one thread is not seen by another.

Because the wrappers *are* the public objects, a reference taken at any time
(``from retrograd import sin``, ``vmap(torch.dot)``) reaches the modes, and an op built from
other ops (a composite) calls them through their wrappers, so that a mode can see the parts
(forward AD gives every intermediate result a tangent, which a differentiable backward through
the composite's nodes needs). The formula namespace used by ``create_graph=True``
(``ops.tensor_ns``) is wrapped too, so that a mode sees the ops of a differentiable backward pass
(forward-over-reverse).

Cost: one extra Python call per op and one ContextVar read.
"""
from __future__ import annotations

import contextvars
import functools
import types

from ._size import int_arg_error  # noqa: F401 - (defined there: layer 0, used by _size)

__all__ = ["Mode", "PASS", "OpInfo", "push_mode", "pop_mode", "active_modes", "unwrap",
           "public", "forward_hooks", "set_forward_hooks", "POINTWISE", "REDUCTION",
           "reduction", "dims"]

PASS = object()           # what Mode.handle returns to let a call through
# the active modes of this thread / task, outermost first
_modes = contextvars.ContextVar("retrograd_dispatch_modes", default=())
active_modes = _modes.get
# Set by forward AD while a dual level is open in this thread / task: (tangent_of,
# restore_tangent). tangent_of(Tensor) -> its tangent or None; restore_tangent(t) gives an op's
# saved output, rebuilt for a differentiable backward, the tangent of that output.
_forward = contextvars.ContextVar("retrograd_forward_hooks", default=None)
forward_hooks = _forward.get


def set_forward_hooks(hooks) -> None:
    _forward.set(hooks)


# -- how an op batches under vmap, declared with the op (``@export(vmap=...)``) ----------------
# The rules these name are in func/_rules_*.py (a higher layer); here they are only data.
POINTWISE = "pointwise"         # elementwise with broadcasting (also dtype casts, clone)


def reduction(dim: str = "dim", keepdim: str | None = "keepdim") -> tuple:
    """Reduces over the dims given in parameter ``dim`` (all when None), keeping them when
    ``keepdim`` (None: the op has no such parameter)."""
    return ("reduction", dim, keepdim)


REDUCTION = reduction()


def dims(*params: str, delta: int = 0) -> tuple:
    """Works along the dims named by ``params`` (shifted past the batch dims); ``delta``: the
    result has that many more dims than the input (unsqueeze, diag_embed)."""
    return ("dims", params, delta)


# anything else is a string naming a rule written for that op family in func/_rules_*.py
# ("matmul", "cat", "getitem", "softmax", ...)


_MAX_SIGS = (("()", "(Tensor other)", "(int dim, bool keepdim = False)"),
             ("(Tensor input, *, Tensor out = None)",
              "(Tensor input, Tensor other, *, Tensor out = None)",
              "(Tensor input, int dim, bool keepdim = False, *, tuple of Tensors out = None)"))
# op: (method overloads, function overloads, the overloads PyTorch explains for a method, and for
# a function); their message when the dim is the only argument given and not an int
_DIM_ONLY_OVERLOADS = {
    "max": _MAX_SIGS + ((0, 1), ()),
    "min": _MAX_SIGS + ((0, 1), ()),
    "squeeze": (("()", "(int dim)", "(tuple of ints dim)"),
                ("(Tensor input)", "(Tensor input, int dim)", "(Tensor input, tuple of ints dim)"),
                (0, 1, 2), (1, 2)),
}


def _overloads_error(name: str, param: str, t: str, keyword: bool, method: bool) -> TypeError:
    """PyTorch's "invalid combination of arguments" for ``x.max(1.0)``, ``torch.squeeze(x,
    dim='a')``: the overloads, and why the ones it explains did not match."""
    msigs, fsigs, mexplain, fexplain = _DIM_ONLY_OVERLOADS[name]
    given = f"{param}={t}" if keyword else t
    got = (f"{given}, " if keyword else given) if method else f"Tensor, {given}"
    lines = [f"{name}() received an invalid combination of arguments - got ({got}), but expected "
             "one of:"]
    for k, sig in enumerate(msigs if method else fsigs):
        lines.append(f" * {sig}")
        if k not in (mexplain if method else fexplain):
            continue
        if keyword and f" {param}" not in sig:
            lines.append(f"      didn't match because some of the keywords were incorrect: {param}")
        else:
            mark = (f"(!{given}!, )" if keyword else f"(!{given}!)") if method else \
                f"(Tensor, !{given}!)"
            lines.append(f"      didn't match because some of the arguments have invalid types: "
                         f"{mark}")
    return TypeError("\n".join(lines) + "\n")


def _named(e: TypeError, name: str, op, args, kwargs, method: bool = False) -> TypeError:
    """``e`` naming op ``name`` and the parameter holding the value, as PyTorch does; positions
    count the arguments the user wrote: ``x.cumsum('a')`` (a Tensor method, ``method``) says
    position 1, ``torch.cumsum(x, 'a')`` position 2."""
    import inspect
    value = e._rg_int_arg
    expected = getattr(e, "_rg_expected", "int")
    try:
        bound = inspect.signature(getattr(op, "_rg_args_of", op)).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):
        return e
    params = list(bound)
    for param, v in bound.items():
        if v is not value:
            continue
        t = type(v).__name__
        pos = "" if param in kwargs else f" (position {params.index(param) + (not method)})"
        if hasattr(e, "_rg_unpack"):  # an element of a dim list (ops/_util.wrap_dims)
            i, t = e._rg_unpack
            if not i:  # the first: which of PyTorch's overloads it fits decides the message
                return e
            return TypeError(f"{name}(): argument '{param}' failed to unpack the object at "
                             f'pos {i + 1} with error "type must be tuple of ints,but got {t}"')
        if name in _DIM_ONLY_OVERLOADS and args and len(args) + len(kwargs) == 2 and \
                not isinstance(v, (list, tuple)):
            return _overloads_error(name, param, t, param in kwargs, method)
        if name in ("sum", "mean") and expected == "int":
            got = f"{param}={t}" if param in kwargs else t
            if method:
                return TypeError(
                    f"{name}() received an invalid combination of arguments - got ("
                    f"{got + ', ' if param in kwargs else got}), but expected one of:\n * (*, "
                    "torch.dtype dtype = None)\n * (tuple of ints dim, bool keepdim = False, *, "
                    "torch.dtype dtype = None)\n")
            out = ", Tensor out = None" if name == "mean" else ""
            return TypeError(
                f"{name}() received an invalid combination of arguments - got (Tensor, {got}), "
                f"but expected one of:\n * (Tensor input, *, torch.dtype dtype = None{out})\n"
                " * (Tensor input, tuple of ints dim, bool keepdim = False, *, torch.dtype dtype "
                "= None, Tensor out = None)\n")
        if name == "nansum" and expected == "int":
            return TypeError(f"{name}(): argument '{param}'{pos} must be tuple of ints, not {t}")
        return int_arg_error(v, f"{name}(): argument '{param}'{pos} must be {expected}, not {t}",
                             expected)
    return e


def _arity(name: str, op, args, kwargs, method: bool) -> TypeError | None:
    """PyTorch's parser error for arguments that do not fit op's signature (None if they fit:
    the TypeError came from inside the op): ``x.transpose(0)`` misses "dim1", ``x.zero_(1)``
    passes an argument to a method that takes none."""
    import inspect
    try:
        sig = inspect.signature(getattr(op, "_rg_args_of", op))
        sig.bind(*args, **kwargs)
        return None
    except TypeError:
        pass
    except ValueError:  # no signature to read
        return None
    params = list(sig.parameters.values())
    if method and len(params) == 1 and args:
        return TypeError(f"TensorBase.{name}() takes no keyword arguments" if kwargs else
                         f"TensorBase.{name}() takes no arguments ({len(args) - 1} given)")
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    missing = [p.name for p in params[len(args):]
               if p.kind in positional and p.default is p.empty and p.name not in kwargs]
    if not missing:
        return None
    n = len(missing)  # PyTorch's own plural: "1 required positional arguments", "2 ... argument"
    return TypeError(f"{name}() missing {n} required positional argument{'s' if n == 1 else ''}: "
                     + ", ".join(f'"{m}"' for m in missing))


class OpInfo:
    """What a mode may need to know about an op beyond the function: its public name, whether
    it writes its first argument (``Tensor.add_``, ``__iadd__``, ``__setitem__``), where its
    ``inplace=`` flag is (``F.relu(x, inplace=True)``), if it has one, and how it batches under
    vmap (None: it has no batching rule, vmap runs it per example)."""

    __slots__ = ("name", "inplace", "flag", "vmap", "composite")

    def __init__(self, name: str, inplace: bool, flag, vmap=None, composite=False):
        self.name = name
        self.inplace = inplace
        self.flag = flag
        self.vmap = vmap
        # built only from calls of other public ops: a mode may let it run and see its parts
        # (forward AD gives them tangents, vmap batches them)
        self.composite = composite

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
    _modes.set(_modes.get() + (mode,))


def pop_mode(mode: Mode) -> None:
    modes = _modes.get()
    for i in range(len(modes) - 1, -1, -1):
        if modes[i] is mode:
            _modes.set(modes[:i] + modes[i + 1:])
            return


def _run(op, info, args, kwargs, modes):
    if len(modes) == 1:   # (the common case: one mode, e.g. a dual level)
        r = modes[0].handle(op, info, args, kwargs)
        return op(*args, **kwargs) if r is PASS else r
    for i in range(len(modes) - 1, -1, -1):
        r = modes[i].handle(op, info, args, kwargs)
        if r is not PASS:
            return r
    return op(*args, **kwargs)


# ------------------------------------------------------------------------------- wrappers

_WRAPPERS: dict = {}      # implementation -> its public wrapper (aliases share one)
_INPLACE_DUNDERS = frozenset((
    "__iadd__", "__isub__", "__imul__", "__imatmul__", "__itruediv__", "__ifloordiv__",
    "__imod__", "__ipow__", "__ilshift__", "__irshift__", "__iand__", "__ixor__", "__ior__",
    "__setitem__"))
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


def public(op=None, name: str | None = None, *, vmap=None, composite: bool = False):
    """The public wrapper of ``op`` (made once per implementation; ``name`` is the public name
    modes see, the implementation's own by default; ``vmap`` how it batches). Without ``op``, a
    decorator: ``@public(vmap=POINTWISE)``."""
    if op is None:
        return lambda fn: public(fn, name, vmap=vmap, composite=composite)
    op = unwrap(op)
    w = _WRAPPERS.get(op)
    if w is not None:
        if vmap is not None:
            w._rg_info.vmap = vmap
        w._rg_info.composite |= composite
        return w
    name = name or op.__name__
    info = OpInfo(name, is_inplace_name(name) or is_inplace_name(op.__name__), _flag_position(op),
                  vmap, composite)
    w = _wrapper(op, info, False)
    _WRAPPERS[op] = w
    return w


def _wrapper(op, info: OpInfo, method: bool):
    get_modes = _modes.get

    def w(*args, **kwargs):
        modes = get_modes()
        try:
            if modes:
                return _run(op, info, args, kwargs, modes)
            return op(*args, **kwargs)
        except TypeError as e:
            if hasattr(e, "_rg_int_arg"):
                raise _named(e, info.name, op, args, kwargs, method) from None
            if hasattr(e, "_rg_format"):  # a message that depends on how the op was called
                raise e._rg_format(info.name, args, kwargs, method) from None
            arity = _arity(info.name, op, args, kwargs, method)
            if arity is None:
                raise
            raise arity from None

    functools.update_wrapper(w, op)
    w._rg_op = op
    w._rg_info = info
    return w


def method_form(w):
    """The Tensor-method twin of public wrapper ``w`` (``Tensor.cumsum`` of ``torch.cumsum``):
    the same op and info, but its argument errors count positions as for a method, where the
    Tensor is not an argument written in the parentheses (PyTorch: ``x.cumsum('a')`` says
    position 1, ``torch.cumsum(x, 'a')`` position 2). Made once; ``w._rg_method`` keeps it."""
    m = getattr(w, "_rg_method", None)
    if m is None:
        m = w._rg_method = _wrapper(w._rg_op, w._rg_info, True)
        m.__name__ = w.__name__
    return m


def operator(op, name: str, fast: frozenset, accepted: tuple, *, reflected: bool = False):
    """The wrapper of a binary operator (``Tensor.__add__``, ``__rsub__``): ``op(self, other)``
    (``op(other, self)`` when ``reflected``), or NotImplemented for an operand whose type is not
    ``accepted`` (``fast`` holds the common exact types, checked first), so that Python gives
    the other operand its turn, as PyTorch's operators do. Modes see ``op`` with the operands in
    call order, under the operator's name."""
    op = unwrap(op)
    info = OpInfo(name, is_inplace_name(name), None)
    get_modes = _modes.get
    if reflected:
        def w(self, other):
            if type(other) not in fast and not isinstance(other, accepted):
                return NotImplemented
            modes = get_modes()
            if modes:
                return _run(op, info, (other, self), {}, modes)
            return op(other, self)
    else:
        def w(self, other):
            if type(other) not in fast and not isinstance(other, accepted):
                return NotImplemented
            modes = get_modes()
            if modes:
                return _run(op, info, (self, other), {}, modes)
            return op(self, other)
    w.__name__ = w.__qualname__ = name
    w.__doc__ = op.__doc__
    w._rg_op = op
    w._rg_info = info
    _OPERATORS.append(w)
    return w


_OPERATORS: list = []     # the operator wrappers (their implementations have wrappers of their own)


def public_property(prop: property, name: str, *, vmap=None) -> property:
    """A property whose getter is an op (``Tensor.T``, ``Tensor.mT``), with its getter wrapped."""
    return property(public(prop.fget, name, vmap=vmap), prop.fset, prop.fdel, prop.__doc__)


def _is_op(fn) -> bool:
    """A function that is a public op entry point (has a wrapper)."""
    return isinstance(fn, types.FunctionType) and (hasattr(fn, "_rg_op") or fn in _WRAPPERS)
