"""The table of batching rules (``_RULES``, built from every op's ``vmap=`` declaration on first
use) and BatchedTensor's methods made from it (``_ensure_ready``)."""
from __future__ import annotations

import functools
import types

from .. import _dispatch
from ..ops import load_families
from .._tensor import Tensor
from ..ops.elementwise import arithmetic as pointwise
from ..ops.linalg import matmul as linalg
from ..ops.shape import join as shape
from . import _rules_indexing
from ._batched_tensor import BatchedTensor, _OPS, _RULES, _call, _raise_no_rule
from ._rules_indexing import (_gather_rule, _getitem_rule, _index_select_rule, _masked_fill_rule,
                              _take_along_dim_rule, _tensor_where_rule, _where_rule)
from ._rules_linalg import _einsum_rule, _matmul_rule, _outer_rule
from ._rules_nn import (_batch_into_n, _conv_core, _one_hot_rule, _pad_rule, _softmax_like,
                        _spatial_rule)
from ._rules_pointwise import _like, _meta_unary, _passthrough, _pointwise
from ._rules_reduction import _dimshift, _last_dims, _norm_check, _reduction
from ._rules_shape import (_T_rule, _as_rule, _cat_rule, _expand_as_rule, _expand_rule,
                           _flatten_rule, _mT_rule, _permute_rule, _repeat_rule, _reshape_rule,
                           _squeeze_rule, _t_rule)

_ready = False


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
    _OPS.update(matmul=linalg.matmul, add=pointwise.add, mul=pointwise.mul, unbind=shape.unbind)
    _rules_indexing._GETITEM = vars(Tensor)["__getitem__"]
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
    load_families()   # every op registered (and Tensor's methods in place): each gets its rule
    _build_rules()
    _populate_class()
    _ready = True
