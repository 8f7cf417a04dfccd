"""Fast NumPy forms of hot kernels give PyTorch's bits on the sizes where they run (the op
tables use small tensors, below these paths' thresholds)."""
from __future__ import annotations

import warnings

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


# -- addmm with beta = alpha = 1 (F.linear's case): the product and the sum in one buffer -------
@pytest.mark.parametrize("cshape", [(5,), (1, 5), (3, 1), (), (3, 5), (1,)])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "float16"])
def test_addmm_plain_like_torch(cshape, dtype):
    rng = np.random.default_rng(1)
    a = (rng.integers(-4, 5, (3, 4))).astype(dtype)
    b = (rng.integers(-4, 5, (4, 5))).astype(dtype)
    c = (rng.integers(-4, 5, cshape)).astype(dtype)
    got = rg.addmm(rg.tensor(c), rg.tensor(a), rg.tensor(b))
    want = torch.addmm(torch.tensor(c), torch.tensor(a), torch.tensor(b))
    assert got.dtype == getattr(rg, dtype) and got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want.numpy())


def test_addmm_plain_ieee_without_warnings_and_fresh_result():
    a = np.array([[1e38, 1.0], [np.inf, 0.0]], np.float32)
    b = np.array([[1e38, 0.0], [1.0, 1.0]], np.float32)
    c = np.array([-np.inf, np.nan], np.float32)
    ct = rg.tensor(c)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = rg.addmm(ct, rg.tensor(a), rg.tensor(b))
    want = torch.addmm(torch.tensor(c), torch.tensor(a), torch.tensor(b))
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    got.add_(1)                                    # the result owns its buffer
    np.testing.assert_array_equal(ct.numpy(), c)


@pytest.mark.parametrize("beta,alpha", [(1, 1), (1.0, 1.0), (True, True), (2, 1), (1, 0.5), (0, 1)])
def test_addmm_coefficients_and_grads_like_torch(beta, alpha):
    rng = np.random.default_rng(2)   # small integers: exact sums, no rounding to hinge on
    a, b, c = (rng.integers(-4, 5, s).astype(np.float64) for s in ((3, 4), (4, 5), (5,)))
    ts = [torch.tensor(v, requires_grad=True) for v in (c, a, b)]
    rs = [rg.tensor(v, requires_grad=True) for v in (c, a, b)]
    want = torch.addmm(*ts, beta=beta, alpha=alpha)
    got = rg.addmm(*rs, beta=beta, alpha=alpha)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__ == "AddmmBackward0"
    assert got.grad_fn._saved_beta == want.grad_fn._saved_beta
    assert got.grad_fn._saved_alpha == want.grad_fn._saved_alpha
    g = rng.integers(-4, 5, (3, 5)).astype(np.float64)
    want.backward(torch.tensor(g))
    got.backward(rg.tensor(g))
    for r, t in zip(rs, ts):
        np.testing.assert_allclose(r.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_addmm_bad_bias_shape_like_torch():
    a, b = np.ones((3, 4), np.float32), np.ones((4, 5), np.float32)
    for cshape in [(4,), (2, 5), (3, 4)]:
        c = np.ones(cshape, np.float32)
        with pytest.raises(RuntimeError) as t_err:
            torch.addmm(torch.tensor(c), torch.tensor(a), torch.tensor(b))
        with pytest.raises(RuntimeError) as r_err:
            rg.addmm(rg.tensor(c), rg.tensor(a), rg.tensor(b))
        assert str(r_err.value) == str(t_err.value)


@pytest.mark.parametrize("m,k,n,dtype", [
    (2, 256, 128, "float32"), (16, 784, 512, "float32"), (160, 300, 400, "float32"),
    (161, 256, 128, "float32"), (1, 256, 128, "float32"), (16, 100, 100, "float32"),
    (4, 256, 128, "float64"), (32, 256, 128, "float64"), (33, 256, 128, "float64")])
@pytest.mark.parametrize("cshape", ["row", "full", "column", "scalar"])
def test_linear_column_ordered_product_like_torch(m, k, n, dtype, cshape):
    """F.linear's product of a few rows by a large weight goes through a column-ordered result
    (matmul.by_columns): the values, a row-ordered (contiguous) result and the graph are
    PyTorch's, on both sides of each threshold."""
    rng = np.random.default_rng(m + k + n)
    x = rng.integers(-3, 4, (m, k)).astype(dtype)    # exact sums: no rounding to hinge on
    w = rng.integers(-3, 4, (n, k)).astype(dtype)
    c = rng.integers(-3, 4, {"row": (n,), "full": (m, n), "column": (m, 1), "scalar": ()}[cshape])
    c = c.astype(dtype)
    rx, rw, rc = (rg.tensor(v, requires_grad=True) for v in (x, w, c))
    tx, tw, tc = (torch.tensor(v, requires_grad=True) for v in (x, w, c))
    got = rg.addmm(rc, rx, rw.t())
    want = torch.addmm(tc, tx, tw.t())
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    assert got.is_contiguous() and got.stride() == want.stride()
    assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    g = rng.integers(-3, 4, (m, n)).astype(dtype)
    got.backward(rg.tensor(g))
    want.backward(torch.tensor(g))
    for r, t in ((rx, tx), (rw, tw), (rc, tc)):
        np.testing.assert_array_equal(r.grad.numpy(), t.grad.numpy())
    if cshape == "row":
        lin = rg.nn.functional.linear(rg.tensor(x), rg.tensor(w), rg.tensor(c))
        np.testing.assert_array_equal(lin.numpy(), want.detach().numpy())
        assert lin.is_contiguous()


@pytest.mark.parametrize("m,k,n", [(2, 256, 128), (16, 784, 512), (160, 256, 128), (161, 256, 128)])
@pytest.mark.parametrize("grad", [True, False])
def test_mm_float32_column_ordered_product_like_torch(m, k, n, grad):
    """The same route for mm / matmul / F.linear without bias: a row-ordered result, PyTorch's
    values, strides, graph and gradients."""
    rng = np.random.default_rng(m * k + n)
    x = rng.integers(-3, 4, (m, k)).astype(np.float32)
    w = rng.integers(-3, 4, (n, k)).astype(np.float32)
    rx, rw = rg.tensor(x, requires_grad=grad), rg.tensor(w, requires_grad=grad)
    tx, tw = torch.tensor(x, requires_grad=grad), torch.tensor(w, requires_grad=grad)
    for got, want in ((rg.mm(rx, rw.t()), torch.mm(tx, tw.t())),
                      (rx @ rw.t(), tx @ tw.t()),
                      (rg.nn.functional.linear(rx, rw), torch.nn.functional.linear(tx, tw))):
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        assert got.is_contiguous() and got.stride() == want.stride()
        assert type(got.grad_fn).__name__ == type(want.grad_fn).__name__
    if grad:
        g = rng.integers(-3, 4, (m, n)).astype(np.float32)
        got.backward(rg.tensor(g))
        want.backward(torch.tensor(g))
        np.testing.assert_array_equal(rx.grad.numpy(), tx.grad.numpy())
        np.testing.assert_array_equal(rw.grad.numpy(), tw.grad.numpy())
