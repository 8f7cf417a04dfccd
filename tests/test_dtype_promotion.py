"""Type promotion, measured against torch 2.13: every binary op family x every pair of
retrograd's dtypes x operand kinds (tensor-tensor, tensor-0-d, 0-d-tensor, tensor-Python
scalar, scalar-tensor), the unary elementwise ops and the reductions over every dtype: the
result dtype (and value), or the error (type and message), must be PyTorch's.

retrograd has no bfloat16 and no complex dtypes, so the matrix is bool, uint8, int8, int16,
int32, int64, float16, float32, float64; a complex Python scalar operand raises a TypeError
(PyTorch would make a complex tensor) -- ``test_complex_scalars_are_refused`` pins that.

Each test runs a whole family and collects the mismatches, so one failure lists them all.
``cases()`` yields every combination (``python tests/test_dtype_promotion.py`` counts them).
"""
from __future__ import annotations

import operator
import warnings

import numpy as np
import pytest
import torch

import retrograd

DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64")
SCALARS = (True, 2, 2.5)


def _tensor(T, dtype: str, kind: str):
    """A small operand: 't' a 1-D tensor (shape (2,)), '0' a 0-d tensor, 'm' a 2x2 matrix."""
    dt = getattr(T, dtype)
    if kind == "t":
        return T.tensor([True, True] if dtype == "bool" else [1, 2], dtype=dt)
    if kind == "m":
        return T.tensor([[True, False], [True, True]] if dtype == "bool" else [[1, 2], [3, 1]],
                        dtype=dt)
    return T.tensor(True if dtype == "bool" else 3, dtype=dt)


def _outcome(T, fn, operands):
    args = [_tensor(T, *o) if isinstance(o, tuple) else o for o in operands]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = fn(T, *args)
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return ("error", type(e).__name__, str(e))
    if isinstance(r, tuple):   # max(dim), ...: the values and the indices
        return tuple(_value(x) for x in r)
    return _value(r)


def _value(r):
    if not hasattr(r, "dtype"):
        return ("value", type(r).__name__, r)
    return ("tensor", str(r.dtype), np.asarray(r.numpy()).astype(np.float64))


def _same(a, b) -> bool:
    if isinstance(a, tuple) and a and isinstance(a[0], tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(_same, a, b))
    if a[0] != b[0] or a[1] != b[1]:
        return False
    if a[0] == "tensor":
        x, y = a[2], b[2]
        return x.shape == y.shape and (x.tobytes() == y.tobytes() or   # (the common case, fast)
                                       np.allclose(x, y, rtol=2e-3, atol=0, equal_nan=True))
    return a[2] == b[2] if a[0] == "error" else True


def _show(o) -> str:
    if isinstance(o, tuple) and o and isinstance(o[0], tuple):
        return "(" + ", ".join(map(_show, o)) + ")"
    if o[0] == "tensor":
        return f"{o[1].replace('torch.', '')} {o[2].tolist()}"
    return f"{o[1]}: {o[2]}"


def compare(cases) -> tuple[int, list[str]]:
    """(number of combinations, one line per combination that differs from torch)."""
    total, bad = 0, []
    for label, fn, operands in cases:
        total += 1
        ours, ref = _outcome(retrograd, fn, operands), _outcome(torch, fn, operands)
        if not _same(ours, ref):
            bad.append(f"{label}: torch {_show(ref)} | ours {_show(ours)}")
    return total, bad


def _check(cases):
    total, bad = compare(cases)
    assert not bad, f"{len(bad)} of {total} combinations differ from torch:\n" + "\n".join(bad)


def _describe(o) -> str:
    return ("0-d " + o[0]) if isinstance(o, tuple) and o[1] == "0" else \
        o[0] if isinstance(o, tuple) else repr(o)


# ------------------------------------------------------------------ binary ops: functions
BINARY = {
    "add": lambda T, a, b: T.add(a, b),
    "add_alpha": lambda T, a, b: T.add(a, b, alpha=2),
    "sub": lambda T, a, b: T.sub(a, b),
    "mul": lambda T, a, b: T.mul(a, b),
    "div": lambda T, a, b: T.div(a, b),
    "div_trunc": lambda T, a, b: T.div(a, b, rounding_mode="trunc"),
    "div_floor": lambda T, a, b: T.div(a, b, rounding_mode="floor"),
    "true_divide": lambda T, a, b: T.true_divide(a, b),
    "floor_divide": lambda T, a, b: T.floor_divide(a, b),
    "remainder": lambda T, a, b: T.remainder(a, b),
    "fmod": lambda T, a, b: T.fmod(a, b),
    "pow": lambda T, a, b: T.pow(a, b),
    "float_power": lambda T, a, b: T.float_power(a, b),
    "atan2": lambda T, a, b: T.atan2(a, b),
    "maximum": lambda T, a, b: T.maximum(a, b),
    "minimum": lambda T, a, b: T.minimum(a, b),
    "fmax": lambda T, a, b: T.fmax(a, b),
    "fmin": lambda T, a, b: T.fmin(a, b),
    "eq": lambda T, a, b: T.eq(a, b),
    "ne": lambda T, a, b: T.ne(a, b),
    "lt": lambda T, a, b: T.lt(a, b),
    "le": lambda T, a, b: T.le(a, b),
    "gt": lambda T, a, b: T.gt(a, b),
    "ge": lambda T, a, b: T.ge(a, b),
    "logical_and": lambda T, a, b: T.logical_and(a, b),
    "logical_or": lambda T, a, b: T.logical_or(a, b),
    "logical_xor": lambda T, a, b: T.logical_xor(a, b),
    "bitwise_and": lambda T, a, b: T.bitwise_and(a, b),
    "bitwise_or": lambda T, a, b: T.bitwise_or(a, b),
    "bitwise_xor": lambda T, a, b: T.bitwise_xor(a, b),
    "bitwise_left_shift": lambda T, a, b: T.bitwise_left_shift(a, b),
    "bitwise_right_shift": lambda T, a, b: T.bitwise_right_shift(a, b),
    "hypot": lambda T, a, b: T.hypot(a, b),
    "copysign": lambda T, a, b: T.copysign(a, b),
    "nextafter": lambda T, a, b: T.nextafter(a, b),
    "xlogy": lambda T, a, b: T.xlogy(a, b),
    "heaviside": lambda T, a, b: T.heaviside(a, b),
    "logaddexp": lambda T, a, b: T.logaddexp(a, b),
    "logaddexp2": lambda T, a, b: T.logaddexp2(a, b),
    "lerp": lambda T, a, b: T.lerp(a, b, 0.5),
    "lerp_tensor_weight": lambda T, a, b: T.lerp(a, a, b),
    "where_cond_a_b": lambda T, a, b: T.where(T.tensor([True, False]), a, b),
    "clamp_min": lambda T, a, b: T.clamp_min(a, b),
    "clamp_max": lambda T, a, b: T.clamp_max(a, b),
    "clamp_tensors": lambda T, a, b: T.clamp(a, b, b),
    "clamp_tensor_min": lambda T, a, b: T.clamp(a, min=b),
    "addcmul": lambda T, a, b: T.addcmul(a, a, b),
    "addcmul_value": lambda T, a, b: T.addcmul(a, b, b, value=2.5),
    "addcdiv": lambda T, a, b: T.addcdiv(a, a, b),
    "isclose": lambda T, a, b: T.isclose(a, b),
}
# ops that accept a Python number as their first argument in torch (the others raise there:
# those errors are compared too, through the same table)
OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "&": operator.and_,
    "|": operator.or_, "^": operator.xor, "<<": operator.lshift, ">>": operator.rshift,
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


def _pairs():
    for a in DTYPES:
        for b in DTYPES:
            yield (a, "t"), (b, "t")
            yield (a, "t"), (b, "0")
            yield (a, "0"), (b, "t")
    for a in DTYPES:
        for s in SCALARS:
            yield (a, "t"), s
            yield s, (a, "t")
            yield (a, "0"), s


def binary_cases(table):
    for name, f in table.items():
        for x, y in _pairs():
            if not isinstance(x, tuple) and table is BINARY and name not in _SCALAR_FIRST:
                continue  # torch.atan2(2, t) is an argument error, not a promotion question
            if name.startswith(("lerp", "clamp_tensor")) and not isinstance(y, tuple):
                continue  # (idem: these take tensors only)
            yield f"{name}({_describe(x)}, {_describe(y)})", f, (x, y)


# functions whose first argument may be a Python number in torch
_SCALAR_FIRST = {"add", "sub", "mul", "div", "true_divide", "floor_divide", "pow", "float_power",
                 "remainder", "xlogy", "bitwise_and", "bitwise_or", "bitwise_xor",
                 "bitwise_left_shift", "bitwise_right_shift", "where_cond_a_b"}


def _op(sym):
    f = OPERATORS[sym]
    return lambda T, a, b: f(a, b)


def operator_cases():
    return binary_cases({s: _op(s) for s in OPERATORS})


def test_binary_functions():
    _check(binary_cases(BINARY))


def test_binary_operators():
    _check(operator_cases())


# ------------------------------------------------------------------ in-place: result fits self
INPLACE = ("add_", "sub_", "mul_", "div_", "true_divide_", "floor_divide_", "remainder_",
           "fmod_", "pow_", "float_power_", "atan2_", "bitwise_and_", "bitwise_or_",
           "bitwise_xor_", "bitwise_left_shift_", "bitwise_right_shift_", "logical_and_",
           "logical_or_", "logical_xor_", "eq_", "ne_", "lt_", "le_", "gt_", "ge_", "hypot_",
           "copysign_", "nextafter_", "xlogy_", "fmax_", "fmin_", "maximum_", "clamp_min_",
           "clamp_max_", "lerp_")
IOPS = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
        "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
        "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor, "<<=": operator.ilshift,
        ">>=": operator.irshift}


def _method(name):
    if name == "lerp_":
        return lambda T, a, b: a.lerp_(b, 0.5)
    return lambda T, a, b: getattr(a, name)(b)


def _iop(sym):
    f = IOPS[sym]
    return lambda T, a, b: f(a, b)


def inplace_cases():
    fns = {**{n: _method(n) for n in INPLACE}, **{s: _iop(s) for s in IOPS}}
    for name, f in fns.items():
        for a in DTYPES:
            for b in DTYPES:
                for kind in "t0":
                    y = (b, kind)
                    yield f"{name} self {a}, other {_describe(y)}", f, ((a, "t"), y)
            for s in SCALARS:
                if name != "lerp_":   # (lerp_ takes a tensor only: an argument error)
                    yield f"{name} self {a}, other {s!r}", f, ((a, "t"), s)


def test_inplace():
    _check(inplace_cases())


# ------------------------------------------------------------------ matmul family
MATMUL = {
    "matmul": (lambda T, a, b: T.matmul(a, b), "m", "m"),
    "matmul_mv": (lambda T, a, b: a @ b, "m", "t"),
    "mm": (lambda T, a, b: T.mm(a, b), "m", "m"),
    "mv": (lambda T, a, b: T.mv(a, b), "m", "t"),
    "dot": (lambda T, a, b: T.dot(a, b), "t", "t"),
    "outer": (lambda T, a, b: T.outer(a, b), "t", "t"),
}


def matmul_cases():
    for name, (f, ka, kb) in MATMUL.items():
        for a in DTYPES:
            for b in DTYPES:
                yield f"{name}({a}, {b})", f, ((a, ka), (b, kb))


def test_matmul_family():
    _check(matmul_cases())


# ------------------------------------------------------------------ unary elementwise ops
def _unary_names():
    """Every pointwise op retrograd registers that torch runs on one float32 tensor alone."""
    from retrograd.ops._registry import FUNCTIONS, NAMESPACES
    retrograd.ops.load_families()  # every op registered (some families load on first use)
    out = []
    for ns, table in (("", FUNCTIONS), ("nn.functional.", NAMESPACES["nn.functional"]),
                      ("special.", NAMESPACES["special"])):
        for name, fn in sorted(table.items()):
            if getattr(getattr(fn, "_rg_info", None), "vmap", None) != "pointwise":
                continue
            try:
                _resolve(torch, ns + name)(torch.ones(2))
            except Exception:  # noqa: BLE001 - needs more arguments: a binary op
                continue
            out.append(ns + name)
    return out


def _resolve(T, path):
    obj = T
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def unary_cases():
    for path in _unary_names():
        f = (lambda p: lambda T, a: _resolve(T, p)(a))(path)
        for a in DTYPES:
            for kind in "t0":
                yield f"{path}({_describe((a, kind))})", f, ((a, kind),)


def test_unary():
    _check(unary_cases())


# ------------------------------------------------------------------ reductions
REDUCTIONS = {
    "sum": lambda T, a: T.sum(a), "sum_dim": lambda T, a: T.sum(a, 0),
    "sum_f64": lambda T, a: T.sum(a, dtype=T.float64),
    "sum_int32": lambda T, a: T.sum(a, 0, dtype=T.int32),
    "prod": lambda T, a: T.prod(a), "prod_dim": lambda T, a: T.prod(a, 0),
    "prod_f64": lambda T, a: T.prod(a, dtype=T.float64),
    "mean": lambda T, a: T.mean(a), "mean_dim": lambda T, a: T.mean(a, 0),
    "mean_f64": lambda T, a: T.mean(a, dtype=T.float64),
    "mean_int64": lambda T, a: T.mean(a, dtype=T.int64),
    "nansum": lambda T, a: T.nansum(a), "nanmean": lambda T, a: T.nanmean(a),
    "cumsum": lambda T, a: T.cumsum(a, 0),
    "cumsum_f64": lambda T, a: T.cumsum(a, 0, dtype=T.float64),
    "cumsum_int16": lambda T, a: T.cumsum(a, 0, dtype=T.int16),
    "cumprod": lambda T, a: T.cumprod(a, 0),
    "logcumsumexp": lambda T, a: T.logcumsumexp(a, 0),
    "cummax": lambda T, a: T.cummax(a, 0),
    "amax": lambda T, a: T.amax(a), "amin": lambda T, a: T.amin(a),
    "max": lambda T, a: T.max(a), "max_dim": lambda T, a: T.max(a, 0),
    "min_dim": lambda T, a: T.min(a, 0), "aminmax": lambda T, a: T.aminmax(a),
    "argmax": lambda T, a: T.argmax(a), "argmin": lambda T, a: T.argmin(a, 0),
    "all": lambda T, a: T.all(a), "any_dim": lambda T, a: T.any(a, 0),
    "count_nonzero": lambda T, a: T.count_nonzero(a),
    "std": lambda T, a: T.std(a), "var_dim": lambda T, a: T.var(a, 0),
    "std_mean": lambda T, a: T.std_mean(a), "logsumexp": lambda T, a: T.logsumexp(a, 0),
    "norm": lambda T, a: T.norm(a), "median": lambda T, a: T.median(a),
    "sum_method": lambda T, a: a.sum(), "mean_method": lambda T, a: a.mean(),
}


def reduction_cases():
    for name, f in REDUCTIONS.items():
        for a in DTYPES:
            yield f"{name}({a})", f, ((a, "t"),)


def test_reductions():
    _check(reduction_cases())


# ------------------------------------------------------------------ torch.result_type & co
def result_type_cases():
    for x, y in _pairs():
        yield (f"result_type({_describe(x)}, {_describe(y)})",
               lambda T, a, b: T.ones(1, dtype=T.result_type(a, b)), (x, y))
    for a in DTYPES:
        for b in DTYPES:
            yield (f"promote_types({a}, {b})", (lambda a, b: lambda T: T.ones(
                1, dtype=T.promote_types(getattr(T, a), getattr(T, b))))(a, b), ())
            yield (f"can_cast({a}, {b})", (lambda a, b: lambda T: T.tensor(
                T.can_cast(getattr(T, a), getattr(T, b))))(a, b), ())


def test_result_type_promote_types_can_cast():
    _check(result_type_cases())


def test_complex_scalars_are_refused():
    """No complex dtype in retrograd: a complex scalar operand is a TypeError, never a silent
    real result (torch makes a complex tensor)."""
    x = retrograd.tensor([1.0, 2.0])
    for f in (lambda: x + 1j, lambda: 1j * x, lambda: retrograd.add(x, 1j)):
        with pytest.raises(TypeError):
            f()


def cases():
    yield from binary_cases(BINARY)
    yield from operator_cases()
    yield from inplace_cases()
    yield from matmul_cases()
    yield from unary_cases()
    yield from reduction_cases()
    yield from result_type_cases()


if __name__ == "__main__":  # pragma: no cover - the counts for the report
    n, bad = compare(cases())
    print("\n".join(bad))
    print(f"{n - len(bad)} of {n} combinations identical to torch")
