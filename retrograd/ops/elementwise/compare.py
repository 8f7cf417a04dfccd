"""clamp (and clamp_min/clamp_max), maximum/minimum, where; the comparisons, logical and bitwise
ops and isnan (no gradient)."""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ... import _warn
from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import Tensor, binary_arrays, wrap
from .._util import not_implemented_for
from .._util import to_tensor
from .._util import broadcast_error
from ...autograd._record import record, record1, record2
from ..indexing.nonzero import nonzero


# -- clamp, maximum/minimum, where ------------------------------------------------------------
class ClampBackward1(Node):
    """d clamp(x, lo, hi)/dx = 1 where lo <= x <= hi (the boundary passes: subgradient 1)."""
    jvp = ELEMENTWISE
    __slots__ = ("min", "max")
    saved_names = ("self",)
    saved_attrs = {"min": "min", "max": "max"}

    def backward(self, ns, grad, x):
        lo, hi = self.min, self.max
        if lo is not None and hi is not None:
            mask = (x >= lo) & (x <= hi)
        elif lo is not None:
            mask = x >= lo
        else:
            mask = x <= hi
        return (ns.where(mask, grad, 0.0),)


class ClampBackward0(Node):
    """clamp with tensor bounds: grad to x where lo <= x <= hi, to the bound it was clamped to."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("max", "min", "self")

    def backward(self, ns, grad, hi, lo, x):
        gx = glo = ghi = None
        in_lo = (x >= lo) if lo is not None else None
        in_hi = (x <= hi) if hi is not None else None
        if self.needs(0):
            m = in_lo & in_hi if (in_lo is not None and in_hi is not None) else (
                in_lo if in_lo is not None else in_hi)
            gx = ns.where(m, grad, 0.0)
        if lo is not None and self.needs(1):
            glo = ns.where(x < lo, grad, 0.0)
        if hi is not None and self.needs(2):
            ghi = ns.where(x > hi, grad, 0.0)
        return gx, glo, ghi


@export(torch='clamp', method='clamp', inplace='clamp_',
        vmap=POINTWISE)
def clamp(input, min=None, max=None):  # noqa: A002
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    _check_clamp_args(min, max)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensor(input, min, max)
    x = input._data
    if x.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = x.astype(np.float32)
    out = x
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    if out is x:
        out = x.copy()
    return record1(ClampBackward1, input, out, input, min=min, max=max)


def _check_clamp_args(lo, hi) -> None:
    """clamp's two overloads (Tensor bounds or Number bounds), as PyTorch's parser checks them;
    the public wrapper words the error for the way clamp was called (``_clamp_error``)."""
    ok = (Tensor, type(None), int, float, bool, np.number)
    if isinstance(lo, ok) and isinstance(hi, ok):
        return
    got = ", ".join(f"{n}={type(v).__name__}" for n, v in (("min", lo), ("max", hi))
                    if v is not None) + ", "
    e = TypeError(f"clamp() received an invalid combination of arguments - got ({got}), but "
                  "expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min "
                  "= None, Number max = None)\n")
    e._rg_format = _clamp_error
    raise e


def _clamp_error(name: str, args, kwargs, method: bool) -> TypeError:
    """PyTorch's message: the types as given (positional, then keywords, the last given first),
    and for a method given two bounds, why neither overload matched."""
    pos = [type(a).__name__ for a in (args[1:] if method else args)]
    kws = list(reversed(kwargs))
    given = ", ".join(pos + [f"{k}={type(kwargs[k]).__name__}" for k in kws])
    if kws and not pos:
        given += ", "
    why = ""
    if method and len(args) - 1 + len(kwargs) == 2:
        why = ("      didn't match because some of the keywords were incorrect: " + ", ".join(kws)
               if kws else "      didn't match because some of the arguments have invalid types: ("
               + ", ".join(f"!{t}!" for t in pos) + ")") + "\n"
    sigs = ("(Tensor min = None, Tensor max = None)", "(Number min = None, Number max = None)")
    if not method:   # (torch.clamp_ has no out=)
        out = "" if name.endswith("_") else ", *, Tensor out = None"
        sigs = tuple(f"(Tensor input, {s[1:-1]}{out})" for s in sigs)
    return TypeError(f"{name}() received an invalid combination of arguments - got ({given}), "
                     f"but expected one of:\n * {sigs[0]}\n{why} * {sigs[1]}\n{why}")


@export(method=True, inplace=True, vmap=POINTWISE, composite=True)
def clip(input, min=None, max=None):  # noqa: A002
    """clamp under its alias's name (PyTorch's argument errors say clip)."""
    if min is not None or max is not None:
        _check_clamp_args(min, max)
    return clamp(input, min, max)


def _clamp_tensor(input, lo, hi):
    lo = None if lo is None else to_tensor(lo, input)
    hi = None if hi is None else to_tensor(hi, input)
    for b in (lo, hi):
        if b is not None:
            try:
                np.broadcast_shapes(input._data.shape, b._data.shape)
            except ValueError:
                raise broadcast_error(input._data.shape, b._data.shape) from None
    # PyTorch's dtype for the three (a 0-d bound does not widen the input's kind)
    rt = D.result_type(*[t for t in (input, lo, hi) if t is not None]).np
    if rt.kind == "b" and lo is not None and hi is not None:   # (one bound: clamp_min/max)
        raise not_implemented_for("clamp_cpu", rt)
    out = input._data.astype(rt, copy=False)
    if lo is not None:
        out = np.maximum(out, lo._data.astype(rt, copy=False))
    if hi is not None:
        out = np.minimum(out, hi._data.astype(rt, copy=False))
    return record(ClampBackward0, (input, lo, hi), np.array(out), (hi, lo, input))


class ClampMinBackward0(Node):
    """d max(x, lo)/dx = 1 where x >= lo (the boundary passes)."""
    jvp = ELEMENTWISE
    __slots__ = ("min",)
    saved_names = ("self",)
    saved_attrs = {"min": "min"}

    def backward(self, ns, grad, x):
        return (ns.where(x >= self.min, grad, 0.0),)


class ClampMaxBackward0(Node):
    """d min(x, hi)/dx = 1 where x <= hi (the boundary passes)."""
    jvp = ELEMENTWISE
    __slots__ = ("max",)
    saved_names = ("self",)
    saved_attrs = {"max": "max"}

    def backward(self, ns, grad, x):
        return (ns.where(x <= self.max, grad, 0.0),)


class ClampMinBackward1(Node):
    """clamp_min with a tensor bound: grad to x where x >= lo, to lo where x < lo."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("min", "self")

    def backward(self, ns, grad, lo, x):
        return (ns.where(x >= lo, grad, 0.0) if self.needs(0) else None,
                ns.where(x < lo, grad, 0.0) if self.needs(1) else None)


class ClampMaxBackward1(Node):
    """clamp_max with a tensor bound: grad to x where x <= hi, to hi where x > hi."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("max", "self")

    def backward(self, ns, grad, hi, x):
        return (ns.where(x <= hi, grad, 0.0) if self.needs(0) else None,
                ns.where(x > hi, grad, 0.0) if self.needs(1) else None)


def _clamp_one(cls, input, bound, is_min: bool):
    if isinstance(bound, Tensor):
        x, b = binary_arrays(input, bound)
        out = np.maximum(x, b) if is_min else np.minimum(x, b)
        return record2(ClampMinBackward1 if is_min else ClampMaxBackward1, input, bound, out,
                       (bound, input))
    x = input._data
    if x.dtype.kind != "f" and isinstance(bound, float):
        x = x.astype(np.float32)
    elif x.dtype.kind == "b" and type(bound) is bool:
        raise not_implemented_for(f"clamp_{'min' if is_min else 'max'}_scalar_cpu", np.bool_)
    out = np.maximum(x, bound) if is_min else np.minimum(x, bound)
    if is_min:
        return record1(cls, input, out, input, min=bound)
    return record1(cls, input, out, input, max=bound)


@export(torch='clamp_min', method='clamp_min', inplace='clamp_min_', vmap=POINTWISE)
def clamp_min(input, min):  # noqa: A002
    return _clamp_one(ClampMinBackward0, input, min, True)


@export(torch='clamp_max', method='clamp_max', inplace='clamp_max_', vmap=POINTWISE)
def clamp_max(input, max):  # noqa: A002
    return _clamp_one(ClampMaxBackward0, input, max, False)


class MaximumBackward0(Node):
    """d max(x, y): grad to the larger input, split in half on ties; where a NaN makes the
    comparison false, both inputs get it (PyTorch's where(x == y, grad / 2, grad) with the
    smaller input's entries zeroed)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch: where(self == other, grad / 2, grad).masked_fill_(...)
            shared = ns.where(x == y, ns.div_scalar(grad, 2), grad)
            return (ns.masked_fill(shared, x < y, 0) if self.needs(0) else None,
                    ns.masked_fill(shared, x > y, 0) if self.needs(1) else None)
        half = grad * 0.5
        gx = ns.where(x == y, half, ns.where(x < y, 0.0, grad)) if self.needs(0) else None
        gy = ns.where(x == y, half, ns.where(x > y, 0.0, grad)) if self.needs(1) else None
        return gx, gy


class MinimumBackward0(Node):
    """d min(x, y): grad to the smaller input, split in half on ties; both inputs get it where a
    NaN makes the comparison false (PyTorch)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("other", "self")

    def backward(self, ns, grad, y, x):
        if not ns.INPLACE:   # PyTorch: where(self == other, grad / 2, grad).masked_fill_(...)
            shared = ns.where(x == y, ns.div_scalar(grad, 2), grad)
            return (ns.masked_fill(shared, x > y, 0) if self.needs(0) else None,
                    ns.masked_fill(shared, x < y, 0) if self.needs(1) else None)
        half = grad * 0.5
        gx = ns.where(x == y, half, ns.where(x > y, 0.0, grad)) if self.needs(0) else None
        gy = ns.where(x == y, half, ns.where(x < y, 0.0, grad)) if self.needs(1) else None
        return gx, gy


def _maxmin(cls, fn, input, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{cls.__name__[:7].lower()}(): argument 'other' (position 2) must be "
                        f"Tensor, not {type(other).__name__}")
    x, y = binary_arrays(input, other)
    out = fn(x, y)
    return record2(cls, input, other, out, (other, input))


@export(torch='maximum', method='maximum', vmap=POINTWISE)
def maximum(input, other):
    return _maxmin(MaximumBackward0, np.maximum, input, other)


@export(torch='minimum', method='minimum', vmap=POINTWISE)
def minimum(input, other):
    return _maxmin(MinimumBackward0, np.minimum, input, other)


class WhereBackward0(Node):
    """where(c, x, y): grad to x where c, to y elsewhere; c gets none."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("condition",)

    def backward(self, ns, grad, cond):
        return (None,
                ns.where(cond, grad, 0.0) if self.needs(1) else None,
                ns.where(cond, 0.0, grad) if self.needs(2) else None)


def _where_shapes(*shapes) -> None:
    """PyTorch broadcasts condition, input and other in this order (its error names the first
    pair that clashes)."""
    shape = shapes[0]
    for s in shapes[1:]:
        try:
            shape = np.broadcast_shapes(shape, s)
        except ValueError:
            raise broadcast_error(shape, s) from None


@export(torch='where', method=False, vmap='where')
def where(condition, input=None, other=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor):
        raise TypeError("where(): argument 'condition' must be Tensor, not "
                        f"{type(condition).__name__}")
    if condition._data.dtype == np.uint8:  # PyTorch warns (once per process) and computes
        _warn.warn("where received a uint8 condition tensor. This behavior is deprecated and will "
                   "be removed in a future version of PyTorch. Use a boolean condition instead.")
    elif condition._data.dtype.kind != "b":
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype._legacy[:-6]}")
    _where_shapes(condition._data.shape, np.shape(input), np.shape(other))
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        dt = D.result_type(input, other)
        x, y = np.asarray(input, dtype=dt.np), np.asarray(other, dtype=dt.np)
    else:
        x, y = binary_arrays(input, other)
    c = condition._data
    out = np.where(c, x, y)
    return record(WhereBackward0, (condition, input, other), out, condition)


# -- comparisons and logic (no gradient) ------------------------------------------------------
def _compare(fn):
    def op(input, other):
        x, y = binary_arrays(input, other)
        return wrap(fn(x, y))
    op.__name__ = fn.__name__
    return op


_CMP = dict(vmap=POINTWISE)


eq = export(torch='eq', method='eq', inplace='eq_', **_CMP)(_compare(np.equal))
ne = export(torch=('ne', 'not_equal'), method=('ne', 'not_equal'), inplace=('ne_', 'not_equal_'),
            **_CMP)(_compare(np.not_equal))
lt = export(torch=('lt', 'less'), method=('lt', 'less'), inplace=('lt_', 'less_'),
            **_CMP)(_compare(np.less))
le = export(torch=('le', 'less_equal'), method=('le', 'less_equal'), inplace=('le_', 'less_equal_'),
            **_CMP)(_compare(np.less_equal))
gt = export(torch=('gt', 'greater'), method=('gt', 'greater'), inplace=('gt_', 'greater_'),
            **_CMP)(_compare(np.greater))
ge = export(torch=('ge', 'greater_equal'), method=('ge', 'greater_equal'),
            inplace=('ge_', 'greater_equal_'), **_CMP)(_compare(np.greater_equal))


@export(torch='logical_not', method='logical_not', vmap=POINTWISE)
def logical_not(input):
    return wrap(np.logical_not(input._data))


@export(torch='bitwise_not', method='bitwise_not', vmap=POINTWISE)
def bitwise_not(input):
    x = input._data
    if x.dtype.kind == "f":
        raise not_implemented_for("bitwise_not_cpu", x.dtype)
    return wrap(np.invert(x))


def _bitwise(fn, name):
    def op(input, other):  # (named below: in-place forms read the name)
        x, y = binary_arrays(input, other)
        dt = np.result_type(x, y)
        if dt.kind == "f":
            raise not_implemented_for(f"{name}_cpu", dt)
        return wrap(fn(x, y))
    op.__name__ = name
    return op


bitwise_and = export(torch='bitwise_and', method='bitwise_and', inplace='bitwise_and_',
                     vmap=POINTWISE)(_bitwise(np.bitwise_and, "bitwise_and"))
bitwise_or = export(torch='bitwise_or', method='bitwise_or', inplace='bitwise_or_',
                    vmap=POINTWISE)(_bitwise(np.bitwise_or, "bitwise_or"))
bitwise_xor = export(torch='bitwise_xor', method='bitwise_xor', inplace='bitwise_xor_',
                     vmap=POINTWISE)(_bitwise(np.bitwise_xor, "bitwise_xor"))


@export(torch='isnan', method='isnan', vmap=POINTWISE)
def isnan(input):
    return wrap(np.isnan(input._data))
