"""Every elementwise op at the edges of floating point, against torch 2.13: values and gradients
(backward with ones) at 0, -0.0, +-1, +-inf, NaN, the smallest subnormal, the smallest normal,
the largest finite value, +-1e30 and a few ordinary points, in float32 and float64.

- The unary and binary ops are enumerated from retrograd's registry (every op declared
  ``vmap=POINTWISE`` under ``torch.*``, ``torch.nn.functional.*`` and ``torch.special.*``), so a
  new op joins the sweep by being registered; ops that need more arguments are called through
  ``EXTRA``, and the few that are not swept say why in ``SKIP``.
- Binary ops run on the full grid (every edge value against every other one).
- Compared: NaN positions, infinities and their signs, the sign of zeros (np.signbit), finite
  values within a few ulps (``RTOL``; a looser bound only for the special functions listed in
  ``LOOSE``, whose libm differs); the same exception (type and message) where torch raises.
- retrograd runs with NumPy's RuntimeWarning turned into an error: none may leak.
- ``DELIBERATE`` lists where retrograd keeps a different, correct answer; each entry is checked
  both ways (retrograd gives the stated value, and torch still differs).

``python tests/test_edge_values.py`` prints the counts (points identical to torch).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import retrograd

NAN, INF = float("nan"), float("inf")
DTYPES = ("float32", "float64")


def edges(dtype: str) -> np.ndarray:
    f = np.finfo(dtype)
    return np.array([0.0, -0.0, 1.0, -1.0, INF, -INF, NAN, f.smallest_subnormal,
                     -f.smallest_subnormal, f.tiny, -f.tiny, f.max, -f.max, 1e30, -1e30, 0.5,
                     -0.5, 2.5, -3.75], dtype=dtype)


def _resolve(T, path: str):
    obj = T
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# ops that need more than the tensors, or a particular parameter worth sweeping
EXTRA = {
    "polygamma_1": (1, lambda T, x: T.polygamma(1, x)),
    "polygamma_2": (1, lambda T, x: T.special.polygamma(2, x)),
    "mvlgamma_1": (1, lambda T, x: T.mvlgamma(x, 1)),
    "multigammaln_2": (1, lambda T, x: T.special.multigammaln(x, 2)),
    "threshold": (1, lambda T, x: T.nn.functional.threshold(x, 0.5, -3.0)),
    "clamp_scalar": (1, lambda T, x: T.clamp(x, -1.0, 2.0)),
    "clamp_min_scalar": (1, lambda T, x: T.clamp_min(x, 0.5)),
    "pow_2": (1, lambda T, x: x ** 2), "pow_3": (1, lambda T, x: x ** 3),
    "pow_half": (1, lambda T, x: x ** 0.5), "pow_m1": (1, lambda T, x: x ** -1),
    "pow_mhalf": (1, lambda T, x: x ** -0.5), "pow_1_5": (1, lambda T, x: x ** 1.5),
    "pow_0": (1, lambda T, x: x ** 0), "pow_2_5": (1, lambda T, x: T.pow(x, 2.5)),
    "rpow_2": (1, lambda T, x: 2 ** x), "rpow_0": (1, lambda T, x: 0.0 ** x),
    "mul_scalar": (1, lambda T, x: x * 3.0), "div_scalar": (1, lambda T, x: x / 3.0),
    "rdiv_scalar": (1, lambda T, x: 3.0 / x), "add_scalar": (1, lambda T, x: x + 1.0),
    "rsub_scalar": (1, lambda T, x: 1.0 - x), "fmod_scalar": (1, lambda T, x: T.fmod(x, 1.5)),
    "remainder_scalar": (1, lambda T, x: x % 1.5),
    "xlogy_scalar": (1, lambda T, x: T.xlogy(x, 3.0)),
    "leaky_relu_0.2": (1, lambda T, x: T.nn.functional.leaky_relu(x, 0.2)),
    "elu_0.5": (1, lambda T, x: T.nn.functional.elu(x, 0.5)),
    "celu_2": (1, lambda T, x: T.nn.functional.celu(x, 2.0)),
    "softplus_beta": (1, lambda T, x: T.nn.functional.softplus(x, 2.0, 5.0)),
    "hardtanh_range": (1, lambda T, x: T.nn.functional.hardtanh(x, -2.0, 3.0)),
    "gelu_tanh": (1, lambda T, x: T.nn.functional.gelu(x, approximate="tanh")),
    "logit_eps": (1, lambda T, x: T.logit(x, 1e-6)),
    "round_decimals": (1, lambda T, x: T.round(x, decimals=2)),
    "nan_to_num_args": (1, lambda T, x: T.nan_to_num(x, 1.0, 2.0, -2.0)),
    "softshrink_1": (1, lambda T, x: T.nn.functional.softshrink(x, 1.0)),
    "lerp_scalar": (2, lambda T, x, y: T.lerp(x, y, 0.3)),
    "lerp_tensor": (2, lambda T, x, y: T.lerp(x, y, T.full_like(x, 0.75))),
    "addcmul": (2, lambda T, x, y: T.addcmul(x, x, y, value=0.5)),
    "addcdiv": (2, lambda T, x, y: T.addcdiv(x, x, y, value=0.5)),
    "where": (2, lambda T, x, y: T.where(x > y, x, y)),
    "add_alpha": (2, lambda T, x, y: T.add(x, y, alpha=2.0)),
    "div_trunc": (2, lambda T, x, y: T.div(x, y, rounding_mode="trunc")),
    "div_floor": (2, lambda T, x, y: T.div(x, y, rounding_mode="floor")),
}
# registered pointwise ops that are not swept here, and why
SKIP = {
    "bitwise_and": "integer-only", "bitwise_or": "integer-only", "bitwise_xor": "integer-only",
    "bitwise_not": "integer-only", "bitwise_left_shift": "integer-only",
    "bitwise_right_shift": "integer-only",
    # these need more arguments: swept through EXTRA
    "polygamma": "EXTRA", "special.polygamma": "EXTRA", "mvlgamma": "EXTRA",
    "special.multigammaln": "EXTRA", "threshold": "EXTRA", "nn.functional.threshold": "EXTRA",
    "lerp": "EXTRA", "addcmul": "EXTRA", "addcdiv": "EXTRA",
}


def registered_ops() -> dict:
    """{name: (arity, fn(T, *tensors))}: the registry's pointwise ops that torch runs on one or
    two float tensors (aliases of one implementation swept once), plus EXTRA."""
    from retrograd.ops._registry import FUNCTIONS, NAMESPACES
    retrograd.ops.load_families()  # every op registered (some families load on first use)
    ops, seen = {}, set()
    for prefix, table in (("", FUNCTIONS), ("nn.functional.", NAMESPACES["nn.functional"]),
                          ("special.", NAMESPACES["special"])):
        for name, fn in sorted(table.items()):
            path = prefix + name
            if getattr(getattr(fn, "_rg_info", None), "vmap", None) != "pointwise" or \
                    path in SKIP or id(fn) in seen:
                continue
            seen.add(id(fn))
            ref = _resolve(torch, path)
            for arity in (1, 2):
                try:
                    ref(*[torch.ones(2)] * arity)
                except Exception:  # noqa: BLE001 - not this arity
                    continue
                ops[path] = (arity, (lambda p: lambda T, *xs: _resolve(T, p)(*xs))(path))
                break
            else:
                raise AssertionError(f"{path}: neither unary nor binary; add it to EXTRA or SKIP")
    ops.update(EXTRA)
    return ops


def _inputs(dtype: str, arity: int):
    e = edges(dtype)
    if arity == 1:
        return [e]
    x, y = np.meshgrid(e, e, indexing="ij")
    return [x.copy(), y.copy()]


def run(T, fn, arrays, dtype: str) -> dict:
    """{'value': array, 'grad0': ..., 'grad1': ...} or {'error': ...} / {'grad_error': ...}."""
    xs = [T.tensor(a, dtype=getattr(T, dtype), requires_grad=True) for a in arrays]
    out = {}
    with warnings.catch_warnings():
        if T is retrograd:
            warnings.simplefilter("error", RuntimeWarning)   # NumPy's FP warnings must not leak
        else:
            warnings.simplefilter("ignore")
        try:
            y = fn(T, *xs)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            return {"error": f"{type(e).__name__}: {e}"}
        out["value"] = np.array(y.detach().numpy(), dtype=np.float64)
        if y.requires_grad:
            try:
                y.backward(T.ones_like(y))
            except Exception as e:  # noqa: BLE001
                out["grad_error"] = f"{type(e).__name__}: {e}"
                return out
            for i, x in enumerate(xs):
                if x.grad is not None:   # (torch's zero gradients may be a ZeroTensor)
                    g = x.grad.numpy(force=True) if T is torch else x.grad.numpy()
                    out[f"grad{i}"] = np.array(g, dtype=np.float64)
    return out


ULP = {"float32": 2.0 ** -23, "float64": 2.0 ** -52}
# special functions whose series differ from torch's by more than a few ulps (in ulps; the
# worst seen: lgamma 35 near its poles, polygamma 21)
LOOSE = {"lgamma": 64, "mvlgamma_1": 64, "multigammaln_2": 64, "polygamma_1": 32,
         "polygamma_2": 32}


# -- the differences kept, each checked both ways by test_deliberate_differences_still_differ --
# They were measured where torch's CPU kernels run their AVX512 code. On another CPU torch's
# vectorized loops differ elsewhere: there a difference is also accepted where retrograd agrees
# with torch's own scalar loop, and the tables are not required to be still needed.
MEASURED_ON = "AVX512"
_CAPABILITY = torch.backends.cpu.get_cpu_capability()
# torch's answer depends on where the element sits: its vectorized loop (the sweep's tensors)
# and its scalar loop (a one-element tensor) disagree. retrograd gives the scalar loop's answer
# at every position. {op: (keys, what torch's vectorized loop does)}
_NAN_GRAD = "at NaN its gradient mask is all-false (0 or NaN); the scalar loop lets the NaN through"
TORCH_SIMD = {
    "fmod": (("value",), "x - y*trunc(x/y): NaN where x/y overflows (fmod(1, 5e-324) is 0)"),
    "remainder": (("value",), "the same through fmod: NaN where x/y overflows"),
    "hardshrink": (("grad0",), "0 at NaN; the scalar loop 1"),
    "nn.functional.hardtanh": (("grad0",), "0 at NaN; the scalar loop 1"),
    "hardtanh_range": (("grad0",), "0 at NaN; the scalar loop 1"),
    "nn.functional.relu6": (("grad0",), "0 at NaN; the scalar loop 1"),
    "nn.functional.softshrink": (("value", "grad0"), "+0 for -0 and -tiny inside the band "
                                 "(the scalar loop x*0 = -0); 0 gradient at NaN"),
    "softshrink_1": (("value", "grad0"), "+0 for -0, -tiny and -lambd (scalar: -0); 0 at NaN"),
    "nn.functional.elu": (("grad0",), "float64: NaN gradient at NaN (float32 and scalar: 1)"),
    "elu_0.5": (("grad0",), "float64: NaN gradient at NaN (float32 and scalar: 1)"),
    "celu": (("grad0",), "float64: NaN gradient at NaN (float32 and scalar: 1)"),
    "celu_2": (("grad0",), "float64: NaN gradient at NaN (float32 and scalar: 1)"),
    "selu": (("grad0",), "float64: NaN gradient at NaN (float32 and scalar: scale)"),
    "nn.functional.hardswish": (("grad0",), "float64: NaN gradient at NaN (scalar: 1)"),
    "logit_eps": (("grad0",), "float64: 0 gradient at NaN (float32 and scalar: NaN)"),
    "nn.functional.gelu": (("value",), "float32: gelu(inf) = NaN and gelu(max) = inf (scalar: "
                           "inf and max, the right values)"),
}
# retrograd is right and torch is not: (op, dtype, key, repr(point)) -> (point, retrograd's
# value, reason)
DELIBERATE: dict = {}


def _put(table: dict, name: str, dtype: str, key: str, point, value: float, reason: str):
    table[(name, dtype, key, repr(point))] = (point, value, reason)   # (-0.0 is not 0.0)



for _dt, _t in (("float32", 1.401298464324817e-45), ("float64", 5e-324)):
    for _x in (_t, -_t):
        _put(DELIBERATE, "log1p", _dt, "value", _x, _x,
             "log1p(x) = x for a subnormal x; torch flushes it to 0")
    _put(DELIBERATE, "logaddexp2", _dt, "value", (-1.0, -1.0), 0.0,
         "log2(2^-1 + 2^-1) is exactly 0; torch's formula rounds to -1e-8 / -5e-17")
_put(DELIBERATE, "logit", "float32", "grad0", -0.0, -INF,
     "1/(x (1 - x)) at -0 is -inf (IEEE), as torch's float64 says; its float32 says +inf")
for _dt, _big, _v in (("float32", 1.0000000150474662e+30, -0.0), ("float64", 1e30,
                                                                 -5.641895835477563e-61)):
    _why = ("d erfcx/dx = 2x erfcx(x) - 2/sqrt(pi) -> -1/(sqrt(pi) x^2), a negative value "
            "going to -0; torch's formula cancels (0), overflows (inf at max) or gives NaN at inf")
    _put(DELIBERATE, "special.erfcx", _dt, "grad0", _big, _v, _why)
    _put(DELIBERATE, "special.erfcx", _dt, "grad0", INF, -0.0, _why)
    _put(DELIBERATE, "special.erfcx", _dt, "grad0", float(np.finfo(_dt).max), -0.0, _why)
# retrograd differs and is not right either (not fixed, reason given): same layout
_FMA = ("torch fuses the multiply-add (one rounding, no intermediate overflow); NumPy has no "
        "fused multiply-add, so retrograd rounds twice")
KNOWN: dict = {}
for _dt in DTYPES:
    _m = float(np.finfo(_dt).max)
    _t = float(np.finfo(_dt).smallest_subnormal)
    for (_x, _y), _v in ((((INF, -_m), NAN), ((-INF, _m), NAN), ((_m, -_m), -INF),
                          ((-_m, _m), INF))):
        _put(KNOWN, "add_alpha", _dt, "value", (_x, _y), _v, _FMA + " (x + 2y)")
    for _x, _v in ((_m, -INF), (-_m, INF)):
        _put(KNOWN, "addcmul", _dt, "value", (_x, -3.75), _v, _FMA + " (x + x*y/2)")
    for _p in ((0.0, -_t), (-_t, _t)):
        _put(KNOWN, "lerp_scalar", _dt, "value", _p, 0.0, _FMA + ": the sign of a zero result")
    for _p, _v in (((_t, -_t), -_t), ((-_t, 0.0), 0.0), ((-_t, _t), _t)):
        _put(KNOWN, "lerp_tensor", _dt, "value", _p, _v, _FMA + ": a tie rounded twice")


def same(a: np.ndarray, b: np.ndarray, dtype: str, ulps: float = 4) -> np.ndarray:
    """Elementwise agreement with torch's ``b``: NaN where torch has NaN, the same infinities,
    zeros of the same sign; finite values of the same sign within ``ulps`` relative, or
    ``ulps`` absolute (the rounding of O(1) terms that cancel, as in 1 - tanh(x)^2; a
    flushed or wrongly signed tiny value still fails: zeros and signs are compared exactly)."""
    a, b = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64))
    tol = ulps * ULP[dtype]
    with np.errstate(invalid="ignore", over="ignore"):
        d = np.abs(a - b)
        close = ((d <= tol * np.abs(b)) | (d <= tol)) & (np.sign(a) == np.sign(b))
    return np.where(np.isnan(b), np.isnan(a),
                    np.where(b == 0, (a == 0) & (np.signbit(a) == np.signbit(b)),
                             np.where(np.isinf(b), a == b, close & np.isfinite(a))))


def compare(name: str, arity: int, fn, dtype: str):
    """(points compared, points identical, [(key, flat index or None, ours, torch)] that
    differ). An exception or a missing result counts as every point of it differing."""
    arrays = _inputs(dtype, arity)
    ours, ref = run(retrograd, fn, arrays, dtype), run(torch, fn, arrays, dtype)
    n = arrays[0].size
    total, missed, bad = 0, 0, []
    for key in ("error", "value", "grad_error", "grad0", "grad1"):
        if key not in ref and key not in ours:
            continue
        if key.endswith("error"):
            total += 1
            if ours.get(key) != ref.get(key):
                missed += 1
                bad.append((key, None, ours.get(key), ref.get(key)))
            continue
        total += n
        if key not in ours or key not in ref:
            missed += n
            bad.append((key, None, "missing" if key not in ours else "present",
                        "missing" if key not in ref else "present"))
            continue
        ok = same(ours[key], ref[key], dtype, LOOSE.get(name, 4)).ravel()
        for i in np.flatnonzero(~ok):
            missed += 1
            bad.append((key, int(i), float(ours[key].ravel()[i]), float(ref[key].ravel()[i])))
    return total, total - missed, bad


def _point(arity, dtype, i):
    e = edges(dtype)
    return float(e[i]) if arity == 1 else (float(e[i // e.size]), float(e[i % e.size]))


def _scalar_torch(fn, arity, dtype, point, key):
    """torch on one-element tensors: its scalar (non-vectorized) loop."""
    pts = [np.array([point])] if arity == 1 else [np.array([point[0]]), np.array([point[1]])]
    return float(run(torch, fn, pts, dtype)[key].ravel()[0])


def classify(name, arity, fn, dtype, key, i, ours, ref):
    """Which table explains a difference, or None."""
    p = _point(arity, dtype, i)
    for table in (DELIBERATE, KNOWN):
        entry = table.get((name, dtype, key, repr(p)))
        if entry is not None and same(ours, entry[1], dtype, 2):
            return "deliberate" if table is DELIBERATE else "known"
    simd = TORCH_SIMD.get(name)
    if (simd is not None and key in simd[0]) or _CAPABILITY != MEASURED_ON:
        if same(ours, _scalar_torch(fn, arity, dtype, p, key), dtype, LOOSE.get(name, 4)):
            return "simd"
    return None


def sweep(names=None):
    """(total points, identical points, unexplained lines, {table: set of keys used})."""
    ops = _ops()
    total = identical = 0
    lines, used = [], {"deliberate": set(), "known": set(), "simd": set()}
    for name, (arity, fn) in ops.items():
        if names is not None and name not in names:
            continue
        for dtype in DTYPES:
            n, same_n, bad = compare(name, arity, fn, dtype)
            total += n
            identical += same_n
            for key, i, a, b in bad:
                why = None if i is None else classify(name, arity, fn, dtype, key, i, a, b)
                if why is None:
                    p = None if i is None else _point(arity, dtype, i)
                    lines.append(f"{name} {dtype} {key} at {p}: ours {a} | torch {b}")
                else:
                    used[why].add((name, key) if why == "simd" else
                                  (name, dtype, key, _point(arity, dtype, i)))
    return total, identical, lines, used


_OPS = None


def _ops():
    global _OPS
    if _OPS is None:
        _OPS = registered_ops()
    return _OPS


PARTS = 4


@pytest.mark.parametrize("part", range(PARTS))
def test_edge_values_and_gradients_like_torch(part):
    names = sorted(_ops())[part::PARTS]
    total, identical, lines, _ = sweep(set(names))
    assert not lines, f"{len(lines)} of {total} points differ from torch:\n" + "\n".join(lines)


def test_deliberate_differences_still_differ():
    """Each DELIBERATE/KNOWN entry: retrograd gives the stated value there and torch (on the
    sweep's tensors) still differs; each TORCH_SIMD entry still meets a point where torch's
    vectorized loop disagrees with its own scalar loop (and retrograd with the former)."""
    ops = _ops()
    for table in (DELIBERATE, KNOWN):
        for (name, dtype, key, _), (point, value, reason) in table.items():
            arity, fn = ops[name]
            e = list(map(float, edges(dtype)))
            pts = [_point(arity, dtype, k) for k in range(len(e) ** arity)]
            i = [repr(q) for q in pts].index(repr(point))
            arrays = _inputs(dtype, arity)
            ours = run(retrograd, fn, arrays, dtype)[key].ravel()[i]
            ref = run(torch, fn, arrays, dtype)[key].ravel()[i]
            assert same(ours, value, dtype, 2), (name, dtype, key, point, ours, value, reason)
            assert _CAPABILITY != MEASURED_ON or not same(ours, ref, dtype, LOOSE.get(name, 4)), \
                f"{name} {dtype} {key} at {point}: torch now agrees ({reason}); drop the entry"
    if _CAPABILITY != MEASURED_ON:
        return
    _, _, _, used = sweep(set(TORCH_SIMD))
    for name, (keys, reason) in TORCH_SIMD.items():
        for key in keys:
            assert (name, key) in used["simd"], f"{name} {key}: torch is consistent now; drop it"


def test_every_registered_pointwise_op_is_swept_or_skipped():
    """The sweep enumerates the registry; SKIP and the tables name only real ops."""
    ops = _ops()
    assert len([n for n in ops if n not in EXTRA]) > 100
    for name in list(SKIP) + list(TORCH_SIMD) + [k[0] for k in DELIBERATE] + \
            [k[0] for k in KNOWN]:
        assert name in ops or name in SKIP, name


if __name__ == "__main__":  # pragma: no cover - the counts for the report
    total, identical, lines, used = sweep()
    print({k: len(v) for k, v in used.items()})
    print("\n".join(lines))
    print(f"{identical} of {total} edge points identical to torch")
