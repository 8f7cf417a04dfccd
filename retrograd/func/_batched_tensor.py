"""``BatchedTensor`` (a per-example view of a batch), the vmap levels it is batched over, the
alignment of batched operands (``_bcast``, ``_full``) and the call of an op's batching rule
(``_call``). How a batched call works: ``_batching.py``; the rules: ``_rules_*.py``; their table
and BatchedTensor's methods: ``_rule_table.py``; the dispatch mode: ``_vmap_mode.py``."""
from __future__ import annotations

import contextvars
import inspect
import itertools

import numpy as np

from .. import _dispatch
from .._size import Size
from .._tensor import Tensor
from ..ops._util import wrap_dim
from ..ops.shape import basic as _S   # the physical reshapes of the alignment


class NoRule(BaseException):
    """Raised when a batched call meets something it cannot batch; vmap then runs per example.
    A BaseException so that ``except Exception`` in user code does not catch it."""


# ------------------------------------------------------------------------------- levels

# levels of the vmap calls running batched now in this thread / task, outermost first
_active = contextvars.ContextVar("retrograd_vmap_levels", default=())
_sizes: dict = {}           # level -> batch size (levels are unique across threads)
_counter = itertools.count(1)


def active() -> tuple:
    """The active batch levels (empty outside a batched vmap call)."""
    return _active.get()


def is_batched(x) -> bool:
    return type(x) is BatchedTensor


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
