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
