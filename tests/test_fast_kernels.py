"""Fast NumPy forms of hot kernels give PyTorch's bits on the sizes where they run (the op
tables use small tensors, below these paths' thresholds)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rg


def _special(n, dtype, seed=0):
    a = np.random.default_rng(seed).standard_normal(n).astype(dtype)
    a[::17] = np.nan
    a[1::19] = -0.0
    a[2::23] = np.inf
    a[3::29] = -np.inf
    a[4::31] = 0.0
    return a


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("n", [2048, 65536 + 5, 200_003])
def test_relu_large_like_torch(n, dtype):
    a = _special(n, dtype)
    r = rg.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    ro, to = rg.relu(r), torch.relu(t)
    np.testing.assert_array_equal(ro.detach().numpy().view(np.uint8), to.detach().numpy().view(np.uint8))
    g = _special(n, dtype, seed=1)
    ro.backward(rg.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_array_equal(r.grad.numpy().view(np.uint8), t.grad.numpy().view(np.uint8))


def test_relu_noncontiguous_and_shaped():
    a = _special(4 * 3000, "float32").reshape(4, 3000)
    r, t = rg.tensor(a)[:, ::2], torch.tensor(a)[:, ::2]
    np.testing.assert_array_equal(rg.relu(r).numpy().view(np.uint8), torch.relu(t).numpy().view(np.uint8))
    b = _special(32 * 16 * 28 * 28, "float32").reshape(32, 16, 28, 28)
    out = rg.nn.functional.relu(rg.tensor(b))
    assert out.shape == (32, 16, 28, 28) and out.is_contiguous()
    np.testing.assert_array_equal(out.numpy().view(np.uint8),
                                  torch.relu(torch.tensor(b)).numpy().view(np.uint8))


@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_relu_half_keeps_negative_zero_like_torch(shape):
    a = np.full(shape, -0.0, np.float16)
    if a.ndim:
        a.reshape(-1)[0] = np.nan
        a.reshape(-1)[-1] = -2.0
    r, t = rg.relu(rg.tensor(a)).numpy(), torch.relu(torch.tensor(a)).numpy()
    np.testing.assert_array_equal(r.reshape(-1).view(np.uint8), t.reshape(-1).view(np.uint8))
