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


RTOL = {"float32": 4 * 2.0 ** -23, "float64": 4 * 2.0 ** -52}
# special functions whose libm (or series) differs from torch's by more than a few ulps
LOOSE = {"digamma": 1e-12, "special.psi": 1e-12, "special.digamma": 1e-12, "lgamma": 1e-12,
         "special.gammaln": 1e-12, "polygamma_1": 1e-10, "polygamma_2": 1e-10,
         "mvlgamma_1": 1e-12, "multigammaln_2": 1e-12, "erfinv": 1e-12, "special.erfinv": 1e-12,
         "special.erfcx": 1e-12, "special.log_ndtr": 1e-12, "special.ndtri": 1e-12,
         "sinc": 1e-12, "special.sinc": 1e-12}


def same(a: np.ndarray, b: np.ndarray, rtol: float) -> np.ndarray:
    """Elementwise: NaN where torch has NaN, the same infinities, zeros of the same sign,
    finite values within rtol."""
    a, b = np.broadcast_arrays(a, b)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.abs(a - b) <= rtol * np.abs(b)
    return np.where(np.isnan(b), np.isnan(a),
                    np.where(b == 0, (a == 0) & (np.signbit(a) == np.signbit(b)),
                             np.where(np.isinf(b), a == b, close & np.isfinite(a))))


# Where retrograd keeps a different answer on purpose: (op, dtype or None, key, point) ->
# (retrograd's value, reason). ``point`` is the input (a tuple for binary ops).
DELIBERATE: dict = {}


def compare(name: str, arity: int, fn, dtype: str):
    """(points compared, list of (key, index, ours, torch) that differ)."""
    arrays = _inputs(dtype, arity)
    ours, ref = run(retrograd, fn, arrays, dtype), run(torch, fn, arrays, dtype)
    n = arrays[0].size
    rtol = max(RTOL[dtype], LOOSE.get(name, 0.0))
    total, bad = 0, []
    for key in ("error", "value", "grad_error", "grad0", "grad1"):
        if key not in ref and key not in ours:
            continue
        if key.endswith("error"):
            total += 1
            if ours.get(key) != ref.get(key):
                bad.append((key, None, ours.get(key), ref.get(key)))
            continue
        total += n
        if key not in ours or key not in ref:
            bad.append((key, None, ours.get(key, "missing"), ref.get(key, "missing")))
            continue
        ok = same(ours[key], ref[key], rtol).ravel()
        for i in np.flatnonzero(~ok):
            bad.append((key, int(i), ours[key].ravel()[i], ref[key].ravel()[i]))
    return total, bad


def _point(arity, dtype, i):
    e = edges(dtype)
    return float(e[i]) if arity == 1 else (float(e[i // e.size]), float(e[i % e.size]))


def sweep(names=None):
    """(total points, identical points, mismatch lines, deliberate entries seen)."""
    ops = registered_ops()
    total = identical = 0
    lines, seen = [], set()
    for name, (arity, fn) in ops.items():
        if names is not None and name not in names:
            continue
        for dtype in DTYPES:
            n, bad = compare(name, arity, fn, dtype)
            total += n
            identical += n - len(bad)
            for key, i, a, b in bad:
                p = None if i is None else _point(arity, dtype, i)
                entry = DELIBERATE.get((name, dtype, key, p)) or DELIBERATE.get((name, None, key, p))
                if entry is not None and (isinstance(a, float) and
                                          same(np.array(a), np.array(entry[0]), 0.0)):
                    seen.add((name, dtype if (name, dtype, key, p) in DELIBERATE else None, key, p))
                    continue
                lines.append(f"{name} {dtype} {key} at {p}: ours {a} | torch {b}")
    return total, identical, lines, seen


_OPS = None


def _ops():
    global _OPS
    if _OPS is None:
        _OPS = registered_ops()
    return _OPS


def _chunks(k: int):
    names = sorted(_ops())
    return [names[i::k] for i in range(k)]


@pytest.mark.parametrize("part", range(4))
def test_edge_values_and_gradients_like_torch(part):
    names = _chunks(4)[part]
    total, identical, lines, _ = sweep(set(names))
    assert not lines, f"{len(lines)} of {total} points differ from torch:\n" + "\n".join(lines)


def test_deliberate_differences_still_differ():
    """Each DELIBERATE entry: retrograd gives the stated value, torch something else."""
    for (name, dtype, key, point), (value, reason) in DELIBERATE.items():
        arity, fn = _ops()[name]
        for dt in ([dtype] if dtype else DTYPES):
            e = list(edges(dt))
            idx = [i for i, v in enumerate(e) if same(np.array(v), np.array(point), 0.0)] \
                if arity == 1 else None
            ours = run(retrograd, fn, _inputs(dt, arity), dt)[key].ravel()
            ref = run(torch, fn, _inputs(dt, arity), dt)[key].ravel()
            i = idx[0] if arity == 1 else None
            assert same(np.array(ours[i]), np.array(value), 0.0), (name, dt, key, point, reason)
            assert not same(np.array(ours[i]), np.array(ref[i]), RTOL[dt]), \
                f"{name} {dt} {key} at {point}: torch now agrees ({reason}); drop the entry"


def test_every_registered_pointwise_op_is_swept_or_skipped():
    from retrograd.ops._registry import FUNCTIONS, NAMESPACES
    swept = set(_ops())
    for prefix, table in (("", FUNCTIONS), ("nn.functional.", NAMESPACES["nn.functional"]),
                          ("special.", NAMESPACES["special"])):
        for name, fn in table.items():
            if getattr(getattr(fn, "_rg_info", None), "vmap", None) == "pointwise":
                path = prefix + name
                assert path in swept or path in SKIP or any(
                    _resolve(retrograd, s) is fn for s in swept if "_" not in s or "." in s
                    or s in FUNCTIONS), path
    assert math.isfinite(len(swept))


if __name__ == "__main__":  # pragma: no cover - the counts for the report
    total, identical, lines, _ = sweep()
    print("\n".join(lines))
    print(f"{identical} of {total} edge points identical to torch")
