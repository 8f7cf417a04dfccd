"""Values and gradients at the edges of ops' domains, compared with torch 2.13 (found by the
reliability scan: NaN swallowed or its gradient zeroed, 0/0 in a formula, float32 scans).

Comparisons: NaNs and infinities in the same places, zeros with the same sign, finite values to
a few ulps (log1p and friends come from different libms).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

NAN, INF = float("nan"), float("inf")

CASES = [
    ("xlogy", lambda T, x, y: T.xlogy(x, y), [[0.0, 0.0, 0.0, 0.0, 1.0, NAN], [0.0, 2.0, -1.0, NAN, 0.0, 1.0]]),
    ("xlog1py", lambda T, x, y: T.special.xlog1py(x, y), [[0.0, 0.0, 0.0, 1.0], [-1.0, 2.0, -2.0, -1.0]]),
    ("xlogy_scalar0", lambda T, x: T.xlogy(x, 0.0), [[0.0, 1.0]]),
    ("xlogy_scalar_neg", lambda T, x: T.xlogy(x, -1.0), [[0.0, 1.0]]),
    ("xlogy_scalar3", lambda T, x: T.xlogy(x, 3.0), [[0.0, 1.0]]),
    ("maximum_nan", lambda T, x, y: T.maximum(x, y), [[NAN, 1.0, 2.0], [1.0, NAN, 2.0]]),
    ("minimum_nan", lambda T, x, y: T.minimum(x, y), [[NAN, 1.0, 2.0], [1.0, NAN, 2.0]]),
    ("atan2_origin", lambda T, x, y: T.atan2(x, y), [[0.0, 0.0, 1.0], [0.0, -0.0, 0.0]]),
    ("relu_nan", lambda T, x: T.relu(x), [[NAN, 0.0, -1.0, 2.0]]),
    ("relu6_nan", lambda T, x: T.nn.functional.relu6(x), [[NAN, 6.0, 0.0]]),
    ("hardtanh_nan", lambda T, x: T.nn.functional.hardtanh(x), [[NAN, 1.0, -1.0, 0.5]]),
    ("hardshrink_nan", lambda T, x: T.nn.functional.hardshrink(x), [[NAN, 0.5, -0.5, 1.0]]),
    ("softshrink_nan", lambda T, x: T.nn.functional.softshrink(x), [[NAN, 0.5, -0.5, 1.0, -0.2]]),
    ("threshold_nan", lambda T, x: T.nn.functional.threshold(x, 0.5, -3.0), [[NAN, 0.5, 1.0]]),
    ("leaky_relu_nan", lambda T, x: T.nn.functional.leaky_relu(x), [[NAN, 0.0]]),
    ("div_tiny", lambda T, x, y: x / y, [[1.0], [1e-160]]),
]


def _run(T, fn, values, dtype):
    xs = [T.tensor(v, dtype=dtype(T), requires_grad=True) for v in values]
    y = fn(T, *xs)
    y.sum().backward()
    return ([y.detach().numpy()] + [x.grad.numpy() for x in xs])


@pytest.mark.parametrize("dtype", [lambda T: T.float64, lambda T: T.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("name,fn,values", CASES, ids=[c[0] for c in CASES])
def test_edge_values_and_gradients_like_torch(name, fn, values, dtype):
    ours = _run(retrograd, fn, values, dtype)
    ref = _run(torch, fn, values, dtype)
    for a, b in zip(ours, ref):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b))
        np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))
        np.testing.assert_array_equal(np.signbit(a[a == 0]), np.signbit(b[b == 0]))
        np.testing.assert_allclose(a, b, rtol=4 * np.finfo(a.dtype).eps, atol=0)


def test_float32_cumsum_accumulates_in_double():
    x = np.full(100_000, 0.1, np.float32)
    assert retrograd.tensor(x).cumsum(0)[-1].item() == torch.tensor(x).cumsum(0)[-1].item()
    y = np.array([1e8, 1.0, -1e8], np.float32)
    np.testing.assert_array_equal(retrograd.tensor(y).cumsum(0).numpy(),
                                  torch.tensor(y).cumsum(0).numpy())


def _near_poles_and_ones() -> np.ndarray:
    ks = np.arange(0, 26, dtype=np.float64)
    ds = np.array([0.3, 0.1, 1e-2, 1e-3, 1e-6, 1e-9, 1e-12, 1e-15])
    xs = np.concatenate([(-ks[:, None] + ds).ravel(), (-ks[:, None] - ds).ravel(),
                         1 + ds, 1 - ds, 2 + ds, 2 - ds])
    return xs[(xs != 0) & ~((xs < 0) & (xs == np.floor(xs)))]   # (-17 - 1e-15 is -17)


def test_lgamma_near_its_poles_and_zeros_1_2_to_a_few_ulps():
    # PyTorch's libm lgamma is accurate to ~1e-16 relative there; retrograd's was off by up to
    # 3e-3 next to the poles (sin(pi x) at a rounded multiple of pi) and 1e-4 next to 1
    xs = _near_poles_and_ones()
    ours = retrograd.lgamma(retrograd.tensor(xs)).numpy()
    ref = torch.lgamma(torch.tensor(xs)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=2e-15, atol=0)


def test_lgamma_over_its_range_like_torch():
    rng = np.random.default_rng(12)
    xs = np.concatenate([rng.uniform(-40, 40, 2000), rng.uniform(-5, 5, 2000),
                         10.0 ** rng.uniform(-300, 300, 200), [1e-300, 5e-324, 1e17, 1e300]])
    ours = retrograd.lgamma(retrograd.tensor(xs)).numpy()
    ref = torch.lgamma(torch.tensor(xs)).numpy()
    # (next to lgamma's zeros on the negative axis, -2.457..., -2.747..., the result is the
    # difference of two O(1) terms: relative accuracy there is ~1e-14 at 1e-3 from the zero)
    far = np.abs(ref) > 0.1
    np.testing.assert_allclose(ours[far], ref[far], rtol=4e-15, atol=0)
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-15 * np.abs(ref).max())


def test_digamma_near_its_poles_is_accurate():
    # lgamma's gradient. PyTorch's digamma reflects with tan(pi * frac(x)), which loses
    # accuracy next to the poles (5% at -15 + 2e-15); retrograd uses x - round(x): compared
    # with the reflection formula evaluated in float64 at the exact distance d to the pole,
    # psi(-k + d) = psi(1 + k - d) - pi / tan(pi d), where it is well conditioned
    ks = np.arange(1, 20, dtype=np.float64)
    for d in (1e-3, 1e-9, 2e-15):
        xs = -ks + d
        dist = xs + ks                      # exact
        ours = retrograd.digamma(retrograd.tensor(xs)).numpy()
        pos = torch.digamma(torch.tensor(1 - xs)).numpy()   # 1 - x >= 2: accurate in torch
        expected = pos - np.pi / np.tan(np.pi * dist)
        np.testing.assert_allclose(ours, expected, rtol=1e-13, atol=0)
