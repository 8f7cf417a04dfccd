"""Batching rules for ``vmap``: ``BatchedTensor`` and the rules that run an op once on a batch.

How a batched call works
------------------------
While ``vmap`` runs ``func`` batched, each mapped input is a ``BatchedTensor``: a ``Tensor``
subclass that *is* the per-example value as far as ``func`` can tell (``shape``, ``dim()``,
``dtype``, ``isinstance(x, Tensor)``), and holds the whole batch as an ordinary physical
Tensor ``_p`` whose leading dims are the batch dims of the vmap levels it is batched over
(``_lv``, sorted, outermost level first; nested vmaps add inner levels behind). An op on a
BatchedTensor runs its *rule*: the op applied once to the physical tensors, with dims shifted
past the batch dims, broadcasting aligned, 1-D matmul operands promoted, ... The physical ops are
ordinary retrograd ops, so the autograd graph of a batched call is an ordinary graph over the
physical tensors (``grad`` of a ``vmap`` works, and ``grad`` *inside* ``vmap`` differentiates
the physical graph, see ``level_input`` and ``autograd_grad``).

Correct by construction
-----------------------
A rule exists only for the ops listed in ``_build_rules``, each written for that op's semantics.
Everything else fails *before doing anything*: every attribute of ``Tensor`` that has no rule
(``_data``, ``grad_fn``, ``item``, ``__bool__``, in-place methods, ...) raises ``NoRule`` on a
BatchedTensor. A BatchedTensor exposes only per-example metadata (shape, dtype, ...); its values
live in ``_p``, which no op knows about, so an op without a rule cannot compute anything from
them: it raises. While a batched call runs, a dispatch mode (``retrograd._dispatch``) sees
every call of a public op entry point (``torch.X``, ``Tensor.X``, ``torch.nn.functional.X``,
``torch.linalg.X``, ``torch.special.X``, ``torch.fft.X``, the ``*_like`` factories): an op with a
rule reaches it, and one without raises ``NoRule`` as soon as it sees a BatchedTensor among its
arguments. Any exception inside a rule is turned into
``NoRule`` as well (the rule's error message would speak of physical shapes), and ``NoRule``
derives from ``BaseException``, so that ``except Exception`` in the user's function cannot
swallow it. The one way user code can observe the batched attempt is an ``except TypeError``
(or similar) around a call of a *plain* tensor's method with a BatchedTensor argument.

``vmap`` catches ``NoRule`` (and any other exception of the batched attempt) and runs ``func``
once per example instead (see ``_vmap.py``). Consequences of this choice, documented there:
the random generator is restored before the per-example run (no draw is made twice), warnings
of the abandoned attempt are dropped, and the batched attempt never writes into a tensor (there
are no in-place rules, and an in-place op touching a BatchedTensor raises before writing). Python
side effects of ``func`` that happen before the first op without a rule do run twice.

Not batched (they take the per-example path): ops without a rule, in-place ops, ``.item()``,
data-dependent control flow, ``backward()``/``autograd.grad`` on batched outputs or inputs, custom
``autograd.Function``, forward-mode AD (a dual level open during the call), hooks.
"""
from __future__ import annotations

import contextvars
import functools
import inspect
import itertools
import string
import types

import numpy as np

from .. import _dispatch
from .._size import Size
from .._tensor import Tensor
from ..ops._util import wrap_dim
from ..ops.linalg import matmul as linalg
from ..ops.elementwise import arithmetic as pointwise
from ..ops.reduction import basic as reduction
from ..ops.shape import basic as shape
from ..ops.shape import copy as shape_copy
from ..ops.shape import views as shape_views
from ..autograd import grad as _grad

__all__ = ["NoRule", "BatchedTensor", "active", "is_batched"]


class NoRule(BaseException):
    """Raised when a batched call meets something it cannot batch; vmap then runs per example.
    A BaseException so that ``except Exception`` in user code does not catch it."""


# ------------------------------------------------------------------------------- levels

# levels of the vmap calls running batched now in this thread / task, outermost first
_active = contextvars.ContextVar("retrograd_vmap_levels", default=())
_sizes: dict = {}           # level -> batch size (levels are unique across threads)
_counter = itertools.count(1)

# counters of vmap's paths; "rule_bugs": a rule raised where the per-example run succeeded
STATS = {"batched": 0, "fallback": 0, "last_reason": None, "rule_bugs": []}
ENABLED = True              # False: vmap always runs per example (benchmarks, tests)


def active() -> tuple:
    """The active batch levels (empty outside a batched vmap call)."""
    return _active.get()


def is_batched(x) -> bool:
    return type(x) is BatchedTensor


def push_level(size: int) -> int:
    _ensure_ready()
    level = next(_counter)
    levels = _active.get()
    if not levels:
        _install()
    _active.set(levels + (level,))
    _sizes[level] = size
    return level


def pop_level(level: int) -> None:
    levels = tuple(lv for lv in _active.get() if lv != level)
    _active.set(levels)
    _sizes.pop(level, None)
    if not levels:
        _uninstall()


def _fwd_level_open() -> bool:
    return _dispatch.forward_hooks() is not None


def forward_ad_open() -> bool:
    return _fwd_level_open()


# ------------------------------------------------------------------------------- BatchedTensor


def _raise_no_rule(name):
    def get(self, *a):
        raise NoRule(f"Tensor.{name}")
    return property(get, get, get)


class BatchedTensor(Tensor):
    """A per-example view of a batch: ``_p`` the physical tensor, ``_lv`` its batch levels."""

    __slots__ = ("_p", "_lv")

    # -- metadata: the logical (per-example) values ---------------------------------------------
    @property
    def shape(self):
        return Size(self._p._data.shape[len(self._lv):])

    def size(self, dim=None):
        s = self.shape
        if dim is None:
            return s
        return s[wrap_dim(dim, len(s))]

    def dim(self):
        return self._p._data.ndim - len(self._lv)

    ndimension = dim

    @property
    def ndim(self):
        return self._p._data.ndim - len(self._lv)

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))

    nelement = numel

    @property
    def dtype(self):
        return self._p.dtype

    @property
    def device(self):
        return self._p.device

    @property
    def is_cuda(self):
        return False

    @property
    def layout(self):
        return self._p.layout

    def element_size(self):
        return self._p.element_size()

    def is_floating_point(self):
        return self._p.is_floating_point()

    def is_complex(self):
        return self._p.is_complex()

    @property
    def requires_grad(self):
        return self._p._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        raise NoRule("requires_grad setter")

    @property
    def is_leaf(self):
        return self._p.grad_fn is None

    def detach(self):
        return _bt(self._p.detach(), self._lv)

    def __len__(self):
        if self.dim() == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        if self.dim() == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(_call(_OPS["unbind"], (self, 0), {}))

    __hash__ = Tensor.__hash__

    def __repr__(self, *, tensor_contents=None):
        depth = len(_active.get())
        text = repr(self._p)
        for i, _ in enumerate(self._lv):
            lvl = max(depth - len(self._lv) + 1 + i, 1)
            body = "\n".join("    " + line for line in text.split("\n"))
            text = f"BatchedTensor(lvl={lvl}, bdim=0, value=\n{body}\n)"
        return text

    __str__ = __repr__

    # reflected operators: the subclass's reflected method runs first (Python's rule), so a
    # plain tensor on the left still reaches the rule
    def __rmatmul__(self, other):
        return _call(_OPS["matmul"], (other, self), {})

    def __radd__(self, other):
        return _call(_OPS["add"], (other, self), {})

    def __rmul__(self, other):
        return _call(_OPS["mul"], (other, self), {})


def _bt(phys: Tensor, levels: tuple):
    if not levels:
        return phys
    b = object.__new__(BatchedTensor)
    b._p = phys
    b._lv = levels
    return b


def _wrap_out(out, levels):
    """Every physical Tensor in an op's result made a BatchedTensor at ``levels``."""
    if isinstance(out, Tensor):
        return _bt(out, levels)
    if isinstance(out, tuple):
        items = [_wrap_out(o, levels) for o in out]
        if hasattr(out, "_fields"):
            return type(out)(*items)
        return type(out)(items) if type(out) is not tuple else tuple(items)
    if isinstance(out, list):
        return [_wrap_out(o, levels) for o in out]
    return out


# ------------------------------------------------------------------------------- alignment


def _lv(x) -> tuple:
    return x._lv if type(x) is BatchedTensor else ()


def _union(items) -> tuple:
    s = set()
    for x in items:
        if type(x) is BatchedTensor:
            s.update(x._lv)
    return tuple(sorted(s))


def _level_sizes(items, levels) -> dict:
    sizes = {}
    for x in items:
        if type(x) is BatchedTensor:
            for i, l in enumerate(x._lv):
                sizes[l] = x._p._data.shape[i]
    for l in levels:
        if l not in sizes:
            sizes[l] = _sizes[l]
    return sizes


def _bcast(x, levels: tuple, rank: int, sizes=None):
    """Physical operand for a broadcasting op: a BatchedTensor gets a dim per level of
    ``levels`` (size 1 where it is not batched) and its logical dims padded to ``rank``; a plain
    tensor stays as it is (it broadcasts from the right)."""
    if type(x) is not BatchedTensor:
        return x
    p = x._p
    lv = x._lv
    shp = p._data.shape
    nd = len(shp) - len(lv)
    if lv == levels and nd == rank:
        return p
    new = []
    j = 0
    for l in levels:
        if j < len(lv) and lv[j] == l:
            new.append(shp[j])
            j += 1
        else:
            new.append(1)
    if j != len(lv):
        raise NoRule("levels")
    new.extend([1] * (rank - nd))
    new.extend(shp[len(lv):])
    return _S.reshape(p, tuple(new))


def _full(x, levels: tuple, sizes: dict):
    """Physical tensor of ``x`` with every level of ``levels`` as a full-size leading dim
    (expanded, a view, where ``x`` is not batched)."""
    if type(x) is BatchedTensor:
        if x._lv == levels:
            return x._p
        nd = x.dim()
        p = _bcast(x, levels, nd)
    else:
        nd = x._data.ndim
        p = _S.reshape(x, (1,) * len(levels) + tuple(x._data.shape))
    target = tuple(sizes[l] for l in levels) + tuple(p._data.shape[len(levels):])
    if tuple(p._data.shape) == target:
        return p
    return _S.expand(p, target)


# ------------------------------------------------------------------------------- dispatch

_RULES: dict = {}
_OPS: dict = {}             # name -> op function used by rules and BatchedTensor methods
_SIGS: dict = {}
_ready = False
_S = _P = _L = _R = None    # op modules, bound in _ensure_ready

_LIKE = _dispatch._LIKE       # the *_like factories (public entry points too)


def _call(op, args, kwargs):
    """Run ``op``'s batching rule (at least one argument is a BatchedTensor)."""
    if _fwd_level_open():
        raise NoRule("forward AD level open")
    rule = _RULES.get(op)
    if rule is None:
        raise NoRule(getattr(op, "__name__", repr(op)))
    try:
        return rule(op, args, kwargs)
    except NoRule:
        raise
    except Exception as e:  # the per-example run gives the error with logical shapes
        err = NoRule(f"{getattr(op, '__name__', op)}: {type(e).__name__}: {e}")
        err.rule_error = f"{getattr(op, '__name__', op)}: {type(e).__name__}: {e}"
        raise err from e


def call(op, *args, **kwargs):
    """``op(*args, **kwargs)``, through its rule when an argument is batched."""
    if _has_batched(args, kwargs):
        return _call(op, args, kwargs)
    return op(*args, **kwargs)


def _has_batched(args, kwargs) -> bool:
    for a in args:
        t = type(a)
        if t is BatchedTensor:
            return True
        if t is tuple or t is list:
            for b in a:
                if type(b) is BatchedTensor:
                    return True
    if kwargs:
        for a in kwargs.values():
            t = type(a)
            if t is BatchedTensor:
                return True
            if t is tuple or t is list:
                for b in a:
                    if type(b) is BatchedTensor:
                        return True
    return False


class Final(Exception):
    """An error of the batched attempt that PyTorch's vmap raises too and that a per-example
    run would not: vmap raises it as it is (no fallback)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


class _VmapMode(_dispatch.Mode):
    """The dispatch mode of a batched call: an op call with a BatchedTensor argument runs the
    op's rule (or raises ``NoRule``)."""

    def handle(self, op, info, args, kwargs):
        if _has_batched(args, kwargs):
            if args and isinstance(args[0], Tensor) and info.name != "__setitem__" \
                    and info.writes(args, kwargs):
                _unbatched_write(info.name, args, kwargs)
            return _call(op, args, kwargs)
        return _dispatch.PASS


def _unbatched_write(op_name: str, args, kwargs) -> None:
    """An in-place op writing a batched value into an unbatched tensor: PyTorch's vmap refuses
    (the result would need the batch dims the tensor does not have)."""
    self = args[0]
    others = [a for a in list(args[1:]) + list(kwargs.values()) if isinstance(a, Tensor)]
    levels = _union(others)
    sizes = _level_sizes(others, levels)
    try:
        logical = np.broadcast_shapes(tuple(self.shape), *[tuple(a.shape) for a in others])
    except ValueError:   # not an elementwise op (index_add_ and the like): self's shape
        logical = tuple(self.shape)
    name = _WRITE_NAME.get(op_name, op_name)
    if name in _OUTPUT_SHAPE_ERROR:
        shape = [sizes[l] for l in levels] + list(logical)
        raise Final(RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                 f"broadcast shape {shape}"))
    if name in _ARITHMETIC:
        raise Final(RuntimeError(
            "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
            "Tensor `other` in extra_args that has more elements than `self`. This happened due "
            "to `other` being vmapped over but `self` not being vmapped over in a vmap. Please "
            "try to use out-of-place operators instead of inplace arithmetic. If said operator "
            "is being called inside the PyTorch framework, please file a bug report instead."))
    act = _active.get()
    level = act.index(levels[-1]) + 1 if levels and levels[-1] in act else 1
    raise Final(RuntimeError(
        f"vmap: aten::{name}(self, *extra_args) is not possible because there exists a Tensor "
        "`other` in extra_args that has more elements than `self`. This happened due to `other` "
        f"being vmapped over but `self` not being vmapped over at level {level}. Please try to "
        f"use out-of-place operators instead of aten::{name}. If said operator is being called "
        "inside the PyTorch framework, please file a bug report instead."))


# How PyTorch's vmap words the refusal of an in-place write of a batched value into an unbatched
# tensor: it depends on the op's batching rule (three families, found by trying each op).
_WRITE_NAME = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_",
               "__itruediv__": "div_"}
_OUTPUT_SHAPE_ERROR = frozenset(("add_", "atan2_", "index_add_"))
_ARITHMETIC = frozenset(("sub_", "mul_", "div_", "copy_", "masked_fill_"))


_MODE = _VmapMode()


def entry(func):
    """``func`` as a batched call must call it: an internal op function (``retrograd.ops...``,
    not a public entry point) is replaced by its dispatching wrapper."""
    if _dispatch._is_op(func):
        return _dispatch.public(func)
    return func


def _install() -> None:
    """Start seeing op calls (while a batched call runs). Every public op entry point
    (``torch.X``, ``Tensor.X``, ``torch.nn.functional.X``, ...) is a dispatching wrapper
    (``retrograd._dispatch``): an op without a rule raises ``NoRule`` as soon as it sees a
    BatchedTensor among its arguments."""
    _dispatch.push_mode(_MODE)


def _uninstall() -> None:
    _dispatch.pop_mode(_MODE)


def _sig(op):
    s = _SIGS.get(op)
    if s is None:
        s = _SIGS[op] = inspect.signature(op)
    return s


def _bind(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    ba.apply_defaults()
    return ba


def _first_name(op) -> str:
    return next(iter(_sig(op).parameters))


def _only_input_batched(ba, first: str):
    """The bound input: must be a BatchedTensor, and no other argument may be batched."""
    x = ba.arguments[first]
    if type(x) is not BatchedTensor:
        raise NoRule("input not batched")
    for k, v in ba.arguments.items():
        if k != first and (type(v) is BatchedTensor or (
                isinstance(v, (list, tuple)) and any(type(b) is BatchedTensor for b in v))):
            raise NoRule("batched non-input argument")
    return x


def _wrap_dim(d, nd):
    if isinstance(d, Tensor):
        raise NoRule("tensor dim")
    return wrap_dim(d, nd)


# ------------------------------------------------------------------------------- rule kinds


def _pointwise(op, args, kwargs, inplace_pos=None, no_promotion=()):
    """Elementwise ops with broadcasting over all their tensor arguments (``no_promotion``:
    ids of tensor arguments that take no part in type promotion, e.g. where's condition)."""
    if "out" in kwargs or kwargs.get("inplace"):
        raise NoRule("out/inplace")
    if inplace_pos is not None and len(args) > inplace_pos and \
            isinstance(args[inplace_pos], (bool, int)) and args[inplace_pos]:
        raise NoRule("inplace")
    tensors = []
    for a in args:
        if isinstance(a, Tensor):
            tensors.append(a)
        elif isinstance(a, (list, tuple)) and any(isinstance(b, Tensor) for b in a):
            raise NoRule("tensors in a list")
    for a in kwargs.values():
        if isinstance(a, Tensor):
            tensors.append(a)
        elif isinstance(a, (list, tuple)) and any(isinstance(b, Tensor) for b in a):
            raise NoRule("tensors in a list")
    levels = _union(tensors)
    rank = max(t.dim() for t in tensors)
    # PyTorch's type promotion ranks 0-d tensors below dimensioned ones; a batched 0-d operand
    # is dimensioned physically, so mixed dtypes there would promote differently
    promoted = [t for t in tensors if id(t) not in no_promotion]
    if len(promoted) > 1:
        dt = promoted[0].dtype
        if any(t.dtype != dt for t in promoted) and any(
                type(t) is BatchedTensor and t.dim() == 0 for t in promoted):
            raise NoRule("0-d batched operand with mixed dtypes")
    new_args = tuple(_bcast(a, levels, rank) if isinstance(a, Tensor) else a for a in args)
    new_kwargs = {k: (_bcast(v, levels, rank) if isinstance(v, Tensor) else v)
                  for k, v in kwargs.items()}
    return _wrap_out(op(*new_args, **new_kwargs), levels)


def _meta_unary(op, args, kwargs):
    """Ops of one tensor whose other tensor arguments only give a dtype (to, type_as)."""
    x = args[0]
    if type(x) is not BatchedTensor:
        raise NoRule("input not batched")
    return _wrap_out(op(x._p, *args[1:], **kwargs), x._lv)


def _passthrough(op, args, kwargs):
    """Ops that only read a tensor's metadata (numel, is_tensor, ...): run as they are."""
    return op(*args, **kwargs)


def _like(op, args, kwargs):
    """zeros_like & co.: the same tensor for every example, made from the logical shape."""
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    if ba.arguments.get("requires_grad"):
        raise NoRule("requires_grad leaf")
    dt = x._p._data.dtype
    ba.arguments[first] = Tensor._make(np.broadcast_to(np.zeros((), dt), tuple(x.shape)))
    return op(*ba.args, **ba.kwargs)


def _shift(v, nd: int, k: int):
    if isinstance(v, (tuple, list)):
        return type(v)(_wrap_dim(d, nd) + k for d in v)
    return _wrap_dim(v, nd) + k


def _dimshift(*params, delta: int = 0):
    """Ops of one batched tensor with dim arguments ``params``: the dims are wrapped with the
    logical rank (+ ``delta`` for ops that add a dim) and moved past the batch dims."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        if ba.arguments.get("out") is not None:
            raise NoRule("out")
        nd = x.dim() + delta
        k = len(x._lv)
        for p in params:
            if p not in ba.arguments:
                continue
            v = ba.arguments[p]
            if v is None or isinstance(v, bool) or \
                    not isinstance(v, (int, np.integer, tuple, list)):
                raise NoRule(f"dim argument {p}={v!r}")
            ba.arguments[p] = _shift(v, nd, k)
        ba.arguments[first] = x._p
        return _wrap_out(op(*ba.args, **ba.kwargs), x._lv)
    return rule


_FULL_VALUES = ("max", "min", "median", "nanmedian")


from ..ops.reduction.basic import NO_DIM as _NO_DIM  # noqa: E402 - sum/mean's "dim not given"


def _reduction(dim_name="dim", keep_name="keepdim", check=None):
    """Reductions: ``dim`` None (or empty) reduces all logical dims, which is done by reducing
    the flattened logical dims; otherwise the dims are shifted past the batch dims."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        if op.__name__ in ("max", "min") and isinstance(ba.arguments.get(dim_name), Tensor):
            return _pointwise(op, args, kwargs)   # max(input, other): elementwise
        x = _only_input_batched(ba, first)
        if ba.arguments.get("out") is not None:
            raise NoRule("out")
        if check is not None:
            check(ba)
        nd = x.dim()
        k = len(x._lv)
        p = x._p
        dim = ba.arguments.get(dim_name, None)
        keep = ba.arguments.get(keep_name, False) if keep_name else False
        if dim is None or dim is _NO_DIM or (isinstance(dim, (tuple, list)) and len(dim) == 0):
            if keep:
                raise NoRule("keepdim over all dims")
            shp = p._data.shape
            n = int(np.prod(shp[k:], dtype=np.int64))
            ba.arguments[first] = _S.reshape(p, tuple(shp[:k]) + (n,))
            ba.arguments[dim_name] = -1
            out = op(*ba.args, **ba.kwargs)
            if op.__name__ in _FULL_VALUES and isinstance(out, tuple):
                out = out[0]
            return _wrap_out(out, x._lv)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer, tuple, list)):
            raise NoRule("dim")
        if nd == 0:   # a 0-d input reduced over its dim 0 (or -1): reduce a unit dim instead
            _shift(dim, 0, 0)  # validates
            ba.arguments[first] = _S.unsqueeze(p, -1)
            ba.arguments[dim_name] = type(dim)([-1]) if isinstance(dim, (tuple, list)) else -1
            if keep_name:
                ba.arguments[keep_name] = False
        else:
            ba.arguments[first] = p
            ba.arguments[dim_name] = _shift(dim, nd, k)
        return _wrap_out(op(*ba.args, **ba.kwargs), x._lv)
    return rule


def _norm_check(ba):
    p = ba.arguments.get("p", ba.arguments.get("ord"))
    if isinstance(p, str) and p != "fro":
        raise NoRule("norm type")
    if p == "fro":
        dim = ba.arguments.get("dim")
        if dim is not None and not (isinstance(dim, int) or len(dim) in (1, 2)):
            raise NoRule("fro dims")


def _last_dims(min_nd: int):
    """Ops acting on the last ``min_nd`` dims only (tril, triu, one_hot...): run on the
    physical tensor as they are."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        if x.dim() < min_nd:
            raise NoRule("rank")
        ba.arguments[first] = x._p
        return _wrap_out(op(*ba.args, **ba.kwargs), x._lv)
    return rule


# -- shape ----------------------------------------------------------------------------------


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, Size)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, Tensor) or not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise NoRule("shape")
    return tuple(int(s) for s in shape)


def _reshape_rule(op, args, kwargs):
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("reshape")
    x = args[0]
    shape = _shape_arg(args[1:])
    k = len(x._lv)
    return _bt(op(x._p, tuple(x._p._data.shape[:k]) + shape), x._lv)


def _as_rule(view: bool):
    """view_as / reshape_as: to the other tensor's logical shape."""
    def rule(op, args, kwargs):
        if kwargs or type(args[0]) is not BatchedTensor or len(args) != 2:
            raise NoRule("view_as")
        x, other = args
        k = len(x._lv)
        fn = _S.view if view else _S.reshape
        return _bt(fn(x._p, tuple(x._p._data.shape[:k]) + tuple(other.shape)), x._lv)
    return rule


def _flatten_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    k = len(x._lv)
    p = x._p
    nd = x.dim()
    if nd == 0:
        return _bt(_S.reshape(p, tuple(p._data.shape[:k]) + (1,)), x._lv)
    s = _wrap_dim(ba.arguments["start_dim"], nd)
    e = _wrap_dim(ba.arguments["end_dim"], nd)
    return _bt(op(p, s + k, e + k), x._lv)


def _expand_rule(op, args, kwargs):
    """expand(*sizes) / broadcast_to(size): new leading logical dims go behind the batch dims."""
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("expand")
    x = args[0]
    sizes = _shape_arg(args[1:])
    return _bt(_expand_to(x, sizes), x._lv)


def _expand_to(x, sizes):
    k = len(x._lv)
    if len(sizes) < x.dim():
        raise NoRule("expand rank")
    p = _bcast(x, x._lv, len(sizes))
    return _S.expand(p, tuple(p._data.shape[:k]) + tuple(sizes))


def _expand_as_rule(op, args, kwargs):
    if kwargs or len(args) != 2:
        raise NoRule("expand_as")
    x, other = args
    if type(x) is not BatchedTensor:
        raise NoRule("expand_as of a plain tensor")
    return _bt(_expand_to(x, tuple(other.shape)), x._lv)


def _repeat_rule(op, args, kwargs):
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("repeat")
    x = args[0]
    sizes = _shape_arg(args[1:])
    if op.__name__ == "tile":
        sizes = (1,) * (x.dim() - len(sizes)) + sizes
    if len(sizes) < x.dim():
        raise NoRule("repeat rank")
    k = len(x._lv)
    p = _bcast(x, x._lv, len(sizes))
    return _bt(_RPT(p, *((1,) * k + sizes)), x._lv)


def _permute_rule(op, args, kwargs):
    if kwargs or type(args[0]) is not BatchedTensor:
        raise NoRule("permute")
    x = args[0]
    dims = args[1:]
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    nd = x.dim()
    if len(dims) != nd:
        raise NoRule("permute rank")
    k = len(x._lv)
    return _bt(op(x._p, *(tuple(range(k)) + tuple(_wrap_dim(d, nd) + k for d in dims))), x._lv)


def _squeeze_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    k = len(x._lv)
    dim = ba.arguments.get("dim")
    if dim is None:
        dims = tuple(i + k for i, s in enumerate(x.shape) if s == 1)
    else:
        dims = _shift(dim, x.dim(), k)
        if isinstance(dims, list):
            dims = tuple(dims)
    return _bt(op(x._p, dims), x._lv)


def _t_rule(op, args, kwargs):
    x = args[0]
    if kwargs or len(args) != 1 or type(x) is not BatchedTensor:
        raise NoRule("t")
    nd = x.dim()
    if nd > 2:
        raise NoRule("t of more than 2 dims")
    if nd < 2:
        return _bt(_S.view(x._p, tuple(x._p._data.shape)), x._lv)
    k = len(x._lv)
    return _bt(_S.transpose(x._p, k, k + 1), x._lv)


def _T_rule(op, args, kwargs):
    x = args[0]
    if x.dim() != 2:
        raise NoRule("T of a tensor that is not 2-D")
    k = len(x._lv)
    return _bt(_S.transpose(x._p, k, k + 1), x._lv)


def _mT_rule(op, args, kwargs):
    x = args[0]
    if x.dim() < 2:
        raise NoRule("mT of less than 2 dims")
    return _bt(_S.transpose(x._p, -2, -1), x._lv)


def _cat_rule(stack: bool):
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        tensors = ba.arguments["tensors"]
        dim = ba.arguments.get("dim", 0)
        if not isinstance(tensors, (list, tuple)) or not tensors:
            raise NoRule("tensors")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise NoRule("not a tensor")
        nd = tensors[0].dim()
        if any(t.dim() != nd for t in tensors):
            raise NoRule("ranks differ")
        if not stack and (nd == 0 or any(tuple(t.shape) == (0,) for t in tensors)):
            raise NoRule("legacy empty cat")
        levels = _union(tensors)
        sizes = _level_sizes(tensors, levels)
        phys = [_full(t, levels, sizes) for t in tensors]
        d = _wrap_dim(dim, nd + 1 if stack else nd) + len(levels)
        return _bt(op(phys, d), levels)
    return rule


# -- linear algebra ---------------------------------------------------------------------------


def _matmul_core(a, b):
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        raise NoRule("matmul operands")
    na, nb = a.dim(), b.dim()
    if na == 0 or nb == 0 or a.dtype != b.dtype:
        raise NoRule("matmul operands")
    levels = _union((a, b))
    ea, eb = na == 1, nb == 1
    la, lb = (2 if ea else na), (2 if eb else nb)
    rank = max(la, lb)

    def phys(x, vec, front):
        # a vector becomes a row (left operand) or a column (right operand); batched operands
        # get their logical batch dims padded to the common rank
        if type(x) is BatchedTensor:
            p = _bcast(x, levels, rank - 1 if vec else rank)
            return _S.unsqueeze(p, -2 if front else -1) if vec else p
        if vec:
            return _S.unsqueeze(x, 0 if front else -1)
        return x

    out = _L.matmul(phys(a, ea, True), phys(b, eb, False))
    if ea and eb:
        out = _S.squeeze(_S.squeeze(out, -1), -1)
    elif ea:
        out = _S.squeeze(out, -2)
    elif eb:
        out = _S.squeeze(out, -1)
    return _bt(out, levels)


def _matmul_rule(ranks=None):
    def rule(op, args, kwargs):
        ba = _sig(op).bind(*args, **kwargs)
        a, b = list(ba.arguments.values())[:2]
        if len(ba.arguments) != 2:
            raise NoRule("extra arguments")
        if ranks is not None and (not isinstance(a, Tensor) or not isinstance(b, Tensor)
                                  or (a.dim(), b.dim()) != ranks):
            raise NoRule("ranks")
        return _matmul_core(a, b)
    return rule


def _outer_rule(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    a, b = list(ba.arguments.values())[:2]
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or a.dim() != 1 or b.dim() != 1:
        raise NoRule("outer operands")
    if a.dtype != b.dtype:
        raise NoRule("outer dtypes")
    return _pointwise(_P.mul, (_call_unsq(a, -1), _call_unsq(b, 0)), {})


def _call_unsq(x, d):
    if type(x) is BatchedTensor:
        return _call(_S.unsqueeze, (x, d), {})
    return _S.unsqueeze(x, d)


def _einsum_rule(op, args, kwargs):
    if kwargs or not args or not isinstance(args[0], str):
        raise NoRule("einsum form")
    eq = args[0].replace(" ", "")
    ops = args[1:]
    if len(ops) == 1 and isinstance(ops[0], (list, tuple)):
        ops = tuple(ops[0])
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs = eq
        letters = [c for c in lhs if c.isalpha()]
        rhs = ("..." if "..." in lhs else "") + "".join(
            sorted(c for c in set(letters) if letters.count(c) == 1))
    terms = lhs.split(",")
    if len(terms) != len(ops) or not all(isinstance(o, Tensor) for o in ops):
        raise NoRule("einsum operands")
    levels = _union(ops)
    free = [c for c in string.ascii_letters if c not in eq]
    if len(free) < len(levels):
        raise NoRule("einsum letters")
    letter = dict(zip(levels, free))
    new_terms, phys = [], []
    for term, o in zip(terms, ops):
        if type(o) is BatchedTensor:
            new_terms.append("".join(letter[l] for l in o._lv) + term)
            phys.append(o._p)
        else:
            new_terms.append(term)
            phys.append(o)
    new_eq = ",".join(new_terms) + "->" + "".join(letter[l] for l in levels) + rhs
    return _bt(op(new_eq, *phys), levels)


# -- indexing ---------------------------------------------------------------------------------


def _getitem_rule(op, args, kwargs):
    x, key = args
    if kwargs or not isinstance(x, Tensor):
        raise NoRule("getitem")
    kt = key if isinstance(key, tuple) else (key,)
    adv, has_int, has_none, batched_idx = [], False, False, False
    for i, k in enumerate(kt):
        if type(k) is BatchedTensor:
            adv.append(i)
            batched_idx = True
        elif isinstance(k, Tensor):
            if k.dim() == 0 and k._data.dtype.kind in "iu":
                has_int = True
            else:
                adv.append(i)
        elif isinstance(k, (list, np.ndarray)):
            adv.append(i)
        elif isinstance(k, bool):
            raise NoRule("bool index")
        elif isinstance(k, (int, np.integer)):
            has_int = True
        elif isinstance(k, slice):
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, (int, np.integer)):
                    raise NoRule("slice bound")
        elif k is None:
            has_none = True
        elif k is Ellipsis:
            pass
        else:
            raise NoRule("index type")
    if not adv:
        if type(x) is not BatchedTensor:
            raise NoRule("plain input")
        k = len(x._lv)
        return _bt(op(x._p, (slice(None),) * k + kt), x._lv)
    if has_int or has_none or adv != list(range(adv[0], adv[0] + len(adv))):
        raise NoRule("advanced index form")
    if not batched_idx:
        if type(x) is not BatchedTensor:
            raise NoRule("plain input")
        k = len(x._lv)
        return _bt(op(x._p, (slice(None),) * k + kt), x._lv)
    if adv[0] != 0:
        raise NoRule("batched index not leading")
    idx = [kt[i] for i in adv]
    for t in idx:
        dt = t.dtype if isinstance(t, Tensor) else np.asarray(t).dtype
        kind = dt.np.kind if hasattr(dt, "np") else dt.kind
        if kind not in "iu":
            raise NoRule("batched index dtype")
    levels = _union([x] + idx)
    sizes = _level_sizes([x] + idx, levels)
    rank = max(t.dim() if isinstance(t, Tensor) else np.asarray(t).ndim for t in idx)
    xp = _full(x, levels, sizes)
    n = len(levels)
    aranges = []
    for j, l in enumerate(levels):
        shape = [1] * n + [1] * rank
        shape[j] = sizes[l]
        aranges.append(Tensor._make(np.arange(sizes[l], dtype=np.int64).reshape(shape)))
    pidx = [_bcast(t, levels, rank) if type(t) is BatchedTensor else t for t in idx]
    rest = kt[len(adv):]
    return _bt(op(xp, tuple(aranges) + tuple(pidx) + tuple(rest)), levels)


def _gather_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, dim, index = ba.arguments["input"], ba.arguments["dim"], ba.arguments["index"]
    if ba.arguments.get("sparse_grad"):
        raise NoRule("sparse_grad")
    if not (isinstance(x, Tensor) and isinstance(index, Tensor)) or x.dim() != index.dim():
        raise NoRule("gather operands")
    nd = x.dim()
    if nd == 0:
        raise NoRule("0-d gather")
    levels = _union((x, index))
    sizes = _level_sizes((x, index), levels)
    d = _wrap_dim(dim, nd) + len(levels)
    return _bt(op(_full(x, levels, sizes), d, _full(index, levels, sizes)), levels)


def _take_along_dim_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, index, dim = ba.arguments["input"], ba.arguments["indices"], ba.arguments["dim"]
    if dim is None or not (isinstance(x, Tensor) and isinstance(index, Tensor)):
        raise NoRule("take_along_dim form")
    nd = x.dim()
    if nd == 0 or index.dim() != nd:
        raise NoRule("take_along_dim ranks")
    levels = _union((x, index))
    sizes = _level_sizes((x, index), levels)
    d = _wrap_dim(dim, nd) + len(levels)
    return _bt(op(_full(x, levels, sizes), _full(index, levels, sizes), d), levels)


def _index_select_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, dim, index = ba.arguments["input"], ba.arguments["dim"], ba.arguments["index"]
    if type(index) is not BatchedTensor:
        return _dimshift("dim")(op, args, kwargs)
    # a batched index: x moved so that dim leads, indexed (the getitem rule), moved back
    if index.dim() != 1 or not isinstance(x, Tensor) or x.dim() == 0:
        raise NoRule("index_select index")
    d = _wrap_dim(dim, x.dim())
    y = call(_MOVEDIM, x, d, 0)
    return call(_MOVEDIM, _call(_GETITEM, (y, index), {}), 0, d)


def _masked_fill_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, mask, value = ba.arguments["input"], ba.arguments["mask"], ba.arguments["value"]
    if type(value) is BatchedTensor or not isinstance(x, Tensor) or not isinstance(mask, Tensor):
        raise NoRule("masked_fill operands")
    if mask.dim() > x.dim():
        raise NoRule("mask rank")
    levels = _union((x, mask))
    sizes = _level_sizes((x, mask), levels)
    return _bt(op(_full(x, levels, sizes), _bcast(mask, levels, x.dim()), value), levels)


def _where_rule(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    vals = list(ba.arguments.values())
    if len(vals) < 3 or (vals[1] is None and vals[2] is None):
        raise NoRule("where(condition)")
    return _pointwise(op, args, kwargs, no_promotion=(id(vals[0]),))


def _tensor_where_rule(op, args, kwargs):
    """Tensor.where(self, condition, y)."""
    ba = _sig(op).bind(*args, **kwargs)
    vals = list(ba.arguments.values())
    return _pointwise(op, args, kwargs, no_promotion=(id(vals[1]),) if len(vals) > 1 else ())


def _one_hot_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    if ba.arguments.get("num_classes", -1) < 0:
        raise NoRule("one_hot with inferred num_classes")
    return _last_dims(0)(op, args, kwargs)


def _pad_rule(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    first = _first_name(op)
    x = _only_input_batched(ba, first)
    pad = ba.arguments["pad"]
    if ba.arguments.get("mode", "constant") != "constant" or len(pad) // 2 > x.dim():
        raise NoRule("pad form")
    ba.arguments[first] = x._p
    return _bt(op(*ba.args, **ba.kwargs), x._lv)


def _batch_into_n(core):
    """Ops that take a batch dim of their own (convolution, unfold, fold): the vmap batch dims
    of the input are folded into it, and unfolded from the result. ``core(ba)``: the number of
    trailing dims of one example (C, *spatial), or None when the rule does not apply."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        n = core(ba)
        if n is None:
            raise NoRule("unbatched form")
        p = x._p
        lead = tuple(p.shape[:p.dim() - n])
        ba.arguments[first] = p.reshape((-1,) + tuple(p.shape[p.dim() - n:]))
        out = op(*ba.args, **ba.kwargs)
        return _bt(out.reshape(lead + tuple(out.shape[1:])), x._lv)
    return rule


def _spatial_rule(nd):
    """Pooling and resampling over the last ``nd`` dims (None: all but the first two) of
    (N, C, *spatial) or (C, *spatial): the vmap dims (and N) are folded into one batch dim, and
    every result (values, indices) unfolded; windows never cross the batch."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        first = _first_name(op)
        x = _only_input_batched(ba, first)
        k = x.dim() - 2 if nd is None else nd
        if k < 1 or x.dim() not in ((k + 2,) if nd is None else (k + 1, k + 2)):
            raise NoRule("rank")
        p = x._p
        lead = tuple(p.shape[:p.dim() - k - 1])
        ba.arguments[first] = p.reshape((-1,) + tuple(p.shape[p.dim() - k - 1:]))
        out = op(*ba.args, **ba.kwargs)
        if isinstance(out, tuple):
            return tuple(_bt(o.reshape(lead + tuple(o.shape[1:])), x._lv) for o in out)
        return _bt(out.reshape(lead + tuple(out.shape[1:])), x._lv)
    return rule


def _conv_core(ba):
    w = ba.arguments["weight"]
    return None if not isinstance(w, Tensor) or w.dim() < 3 else w.dim() - 1


def _softmax_like(op, args, kwargs):
    ba = _sig(op).bind(*args, **kwargs)
    if "dim" not in ba.arguments or not isinstance(ba.arguments["dim"], (int, np.integer)):
        raise NoRule("implicit softmax dim")
    return _dimshift("dim")(op, args, kwargs)


# ------------------------------------------------------------------------------- building


def _inplace_pos(op):
    """The position of a positional ``inplace`` parameter (``F.relu(x, inplace)``), or None."""
    flag = _dispatch._flag_position(_dispatch.unwrap(op))
    return flag if flag is not None and flag >= 0 else None


def _decompose(op, args, kwargs):
    """A composite op (``@export(composite=True)``, F.linear) runs its own body: the ops it calls
    see the batched tensors."""
    return op(*args, **kwargs)


def _pointwise_pos(op, args, kwargs, pos):
    return _pointwise(op, args, kwargs, pos)


# The rules named by ``vmap=`` declarations (retrograd/_dispatch.py explains the vocabulary).
def _named_rules() -> dict:
    return {
        "where": _where_rule, "tensor_where": _tensor_where_rule, "meta": _meta_unary,
        "passthrough": _passthrough, "like": _like, "softmax": _softmax_like,
        "norm": _reduction(check=_norm_check), "squeeze": _squeeze_rule,
        "index_select": _index_select_rule, "reshape": _reshape_rule, "view_as": _as_rule(True),
        "reshape_as": _as_rule(False), "flatten": _flatten_rule, "expand": _expand_rule,
        "expand_as": _expand_as_rule, "repeat": _repeat_rule, "permute": _permute_rule,
        "t": _t_rule, "T": _T_rule, "mT": _mT_rule, "cat": _cat_rule(False),
        "stack": _cat_rule(True), "last_two_dims": _last_dims(2), "one_hot": _one_hot_rule,
        "pad": _pad_rule, "getitem": _getitem_rule, "gather": _gather_rule,
        "take_along_dim": _take_along_dim_rule, "masked_fill": _masked_fill_rule,
        "matmul": _matmul_rule(), "mm": _matmul_rule((2, 2)), "mv": _matmul_rule((2, 1)),
        "dot": _matmul_rule((1, 1)), "bmm": _matmul_rule((3, 3)), "outer": _outer_rule,
        "einsum": _einsum_rule, "decompose": _decompose,
        "convolution": _batch_into_n(_conv_core), "unfold": _batch_into_n(lambda ba: 3),
        "fold": _batch_into_n(lambda ba: 2),
        "pool2d": _spatial_rule(2), "pool3d": _spatial_rule(3), "resample": _spatial_rule(None),
    }


def _rule_for(decl, op, named: dict):
    if decl == _dispatch.POINTWISE:
        pos = _inplace_pos(op)
        return functools.partial(_pointwise_pos, pos=pos) if pos is not None else _pointwise
    if isinstance(decl, tuple) and decl[0] == "reduction":
        return _reduction(dim_name=decl[1], keep_name=decl[2])
    if isinstance(decl, tuple) and decl[0] == "dims":
        return _dimshift(*decl[1], delta=decl[2])
    rule = named.get(decl)
    if rule is None:
        raise RuntimeError(f"retrograd: {op.__name__} declares an unknown batching rule {decl!r}")
    return rule


def _build_rules():
    """The rules of every op that declares one (``@export(vmap=...)``, ``public(vmap=...)``),
    found from its public wrapper and from the implementation behind it."""
    global _S, _P, _L, _R, _RPT, _MOVEDIM
    _S, _P, _L, _R = shape, pointwise, linalg, reduction
    _RPT = shape_copy.repeat
    _MOVEDIM = shape_views.movedim
    _OPS.update(matmul=linalg.matmul, add=pointwise.add, mul=pointwise.mul, unbind=shape.unbind)
    global _GETITEM
    _GETITEM = vars(Tensor)["__getitem__"]
    named = _named_rules()
    for op, w in list(_dispatch._WRAPPERS.items()):
        decl = w._rg_info.vmap
        if decl is None and w._rg_info.composite:
            decl = "decompose"
        if decl is not None:
            _RULES[op] = _RULES[w] = _rule_for(decl, op, named)
            if hasattr(w, "_rg_method"):       # its Tensor-method twin (_dispatch.method_form)
                _RULES[w._rg_method] = _RULES[w]
    for w in _dispatch._OPERATORS:       # Tensor's binary operators
        if w._rg_info.vmap is not None:
            _RULES[w] = _rule_for(w._rg_info.vmap, w, named)


def _method(fn):
    def m(self, *args, **kwargs):
        return _call(fn, (self,) + args, kwargs)
    m.__name__ = getattr(fn, "__name__", "method")
    return m


_OWN = frozenset(("shape", "size", "dim", "ndimension", "ndim", "numel", "nelement", "dtype",
                  "device", "is_cuda", "layout", "element_size", "is_floating_point",
                  "is_complex", "requires_grad", "is_leaf", "detach", "__len__", "__iter__",
                  "__hash__", "__repr__", "__str__", "__rmatmul__", "__radd__", "__rmul__",
                  "_p", "_lv"))
_KEEP = frozenset(("__module__", "__slots__", "__doc__", "__weakref__", "__array_priority__",
                   "_make", "__new__", "__init__", "__class__", "__dict__", "__getattribute__",
                   "__setattr__", "__delattr__", "__init_subclass__", "__subclasshook__",
                   "__dir__", "__sizeof__", "__annotations__", "__qualname__"))


def _populate_class():
    """BatchedTensor's attributes: a rule-calling method for every Tensor method with a rule,
    ``NoRule`` for every other attribute of Tensor (the correct-by-construction part)."""
    names = set()
    for cls in Tensor.__mro__[:-1]:
        names.update(vars(cls))
    for name in sorted(names):
        if name in _OWN or name in _KEEP:
            continue
        val = None
        for cls in Tensor.__mro__[:-1]:
            if name in vars(cls):
                val = vars(cls)[name]
                break
        if isinstance(val, property) and val.fget in _RULES:
            fget = val.fget
            setattr(BatchedTensor, name, property(lambda self, f=fget: _call(f, (self,), {})))
        elif isinstance(val, types.FunctionType) and val in _RULES:
            setattr(BatchedTensor, name, _method(val))
        else:
            setattr(BatchedTensor, name, _raise_no_rule(name))
    for name in ("__format__", "__reduce_ex__", "__reduce__", "__deepcopy__", "__copy__",
                 "__getstate__", "__setstate__"):
        setattr(BatchedTensor, name, _raise_no_rule(name))


def _ensure_ready() -> None:
    global _ready
    if _ready:
        return
    _build_rules()
    _populate_class()
    _ready = True


# ------------------------------------------------------------------------------- vmap's needs


def add_level(x, in_dim: int, level: int):
    """``x`` mapped over its (logical) dim ``in_dim`` at the new innermost ``level``."""
    if type(x) is BatchedTensor:
        k = len(x._lv)
        p = x._p if in_dim == 0 else _MOVEDIM(x._p, k + in_dim, k)
        return _bt(p, x._lv + (level,))
    p = x if in_dim == 0 else _MOVEDIM(x, in_dim, 0)
    return _bt(p, (level,))


def remove_level(y, level: int, out_dim: int, size: int):
    """The output ``y`` of a batched call with ``level``'s batch dim made its dim ``out_dim``
    (expanded when ``y`` does not depend on the level)."""
    nd = y.dim()
    d = _wrap_dim(out_dim, nd + 1)
    if type(y) is BatchedTensor and level in y._lv:
        j = y._lv.index(level)
        rest = y._lv[:j] + y._lv[j + 1:]
        dest = len(rest) + d
        # (already in place: no op recorded, so the output keeps the op's grad_fn, as torch's)
        p = y._p if j == dest else _MOVEDIM(y._p, j, dest)
        return _bt(p, rest)
    shape = list(y.shape)
    shape.insert(d, size)
    u = call(_S.unsqueeze, y, d)
    return call(_S.expand, u, tuple(shape))


# ------------------------------------------------------------------------------- transforms


def level_input(x, own: set):
    """A level input of grad/vjp/jacrev inside a batched vmap: a batched leaf (or an alias of
    ``x`` when it requires grad) over every active level, so that the physical gradient of the
    per-example outputs is the per-example gradient (each example has its own slice)."""
    levels = _active.get()
    if type(x) is BatchedTensor and not set(x._lv) <= set(levels):
        raise NoRule("input batched at an inactive level")
    sizes = _level_sizes([x], levels)
    p = _full(x, levels, sizes)
    if p._requires_grad:
        leaf = _S.view(p, tuple(p._data.shape))
    else:
        # (an expanded input stays expanded: the leaf is only read, by the rules' ops)
        leaf = Tensor._make(p._data).requires_grad_()
        from ._transforms import _own_leaf
        _own_leaf(own, leaf)
    return _bt(leaf, levels)


def ones_leaf(o, own: set):
    """A leaf of ones shaped like the logical ``o``, batched over every active level."""
    dt = o._p._data.dtype if type(o) is BatchedTensor else o._data.dtype
    ones = Tensor._make(np.ones(tuple(o.shape), dt))
    return level_input(ones, own)


def zeros_like(t):
    if type(t) is BatchedTensor:
        return _bt(Tensor._make(np.zeros_like(t._p._data)), t._lv)
    return Tensor._make(np.zeros_like(t._data))


def phys(t):
    return t._p if type(t) is BatchedTensor else t


def rewrap(t, new_phys):
    return _bt(new_phys, t._lv) if type(t) is BatchedTensor else new_phys


def autograd_grad(outputs, inputs, grad_outputs, retain_graph=True):
    """``autograd.grad(outputs, inputs, grad_outputs, create_graph=True, allow_unused=True)``
    for per-example values: run on the physical graph. Every input must be a level input made
    by ``level_input`` (batched over the same levels), and every output and cotangent batched
    over a subset of those levels; otherwise the per-example path is taken (NoRule)."""
    levels = None
    for x in inputs:
        if type(x) is not BatchedTensor:
            raise NoRule("plain input of a batched gradient")
        if levels is None:
            levels = x._lv
        elif x._lv != levels:
            raise NoRule("inputs batched differently")
    lset = set(levels)
    sizes = _level_sizes(list(inputs), levels)
    pos, pgs = [], []
    for i, o in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if not set(_lv(o)) <= lset or (g is not None and not set(_lv(g)) <= lset):
            raise NoRule("output or cotangent batched at a level of no input")
        po = _full(o, levels, sizes)
        if g is None:
            if o.numel() != 1:
                raise NoRule("implicit gradient of a non-scalar")
            pg = Tensor._make(np.ones(po._data.shape, po._data.dtype))
        else:
            if tuple(g.shape) != tuple(o.shape):
                raise NoRule("cotangent shape")
            pg = _full(g, levels, sizes)
        pos.append(po)
        pgs.append(pg)
    res = _grad(pos, [x._p for x in inputs], pgs, retain_graph=retain_graph, create_graph=True,
                allow_unused=True)
    return tuple(None if r is None else _bt(r, levels) for r in res)


def grad_with_batched_cotangents(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                 allow_unused, materialize_grads):
    """``autograd.grad(outputs, inputs, v)`` inside a batched call where the outputs and inputs
    are plain tensors (a graph recorded outside vmap) and some cotangent ``v`` is batched
    (``vmap(lambda v: autograd.grad(y, x, v))(I)``, PyTorch's Jacobian recipe): the batch of
    VJPs, as ``autograd.grad(is_grads_batched=True)`` computes it, returned batched. None when
    no cotangent is batched (the ordinary path)."""
    if not _active.get() or not any(type(g) is BatchedTensor for g in grad_outputs):
        return None
    if any(type(t) is BatchedTensor for t in tuple(outputs) + tuple(inputs)):
        raise NoRule("autograd.grad of batched outputs or inputs")
    levels = _union(grad_outputs)
    sizes = _level_sizes(list(grad_outputs), levels)
    batch = tuple(sizes[l] for l in levels)
    n = int(np.prod(batch)) if batch else 1
    flat = []
    for o, g in zip(outputs, grad_outputs):
        if g is None:
            raise NoRule("implicit cotangent next to a batched one")
        if tuple(g.shape) != tuple(o.shape):
            raise NoRule("cotangent shape")
        p = _full(g, levels, sizes)
        flat.append(_S.reshape(p, (n,) + tuple(g.shape)))
    from ._vmap import grads_batched
    res = grads_batched(tuple(outputs), tuple(inputs), tuple(flat), retain_graph, create_graph,
                        allow_unused, materialize_grads)
    return tuple(None if r is None else _bt(_S.reshape(r, batch + tuple(r.shape[1:])), levels)
                 for r in res)
