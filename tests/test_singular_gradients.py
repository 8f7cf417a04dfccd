"""Gradients of det, slogdet and logdet at singular matrices (issue 12).

det is a polynomial in the entries of A: its gradient is the cofactor matrix adj(A)^T everywhere,
singular matrices included. retrograd gives it in every mode (first-order backward, create_graph,
forward mode). PyTorch's create_graph path gives it too, but its first-order backward and its
forward mode give 0 at an exactly singular A (det 0 times a perturbed inverse): a silently wrong
gradient that retrograd deliberately does not copy (checked below, so the difference is on
record). The expected values come from exact rational arithmetic on integer matrices (no LU, no
SVD), compared with tolerances, so no result hinges on LAPACK's rounding.

slogdet/logdet are not differentiable at a singular A: PyTorch's first-order backward solves with
the LU factors without a singularity check and returns ±inf/NaN, its differentiable backward
raises linalg.solve's error; retrograd does the same (compared on matrices whose LU is exact on
every machine).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import torch

import retrograd
import retrograd.autograd.forward_ad as fwAD

ISSUE = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])   # row 2 = 2 * row 1
ISSUE_GRAD = np.array([[4.0, 4.0, -4.0], [-2.0, -2.0, 2.0], [0.0, 0.0, 0.0]])


def _exact_det(m) -> Fraction:
    m = [[Fraction(int(v)) for v in row] for row in m]
    n, det = len(m), Fraction(1)
    for k in range(n):
        p = next((i for i in range(k, n) if m[i][k] != 0), None)
        if p is None:
            return Fraction(0)
        if p != k:
            m[k], m[p] = m[p], m[k]
            det = -det
        det *= m[k][k]
        for i in range(k + 1, n):
            f = m[i][k] / m[k][k]
            for j in range(k, n):
                m[i][j] -= f * m[k][j]
    return det


def _cofactors(a: np.ndarray) -> np.ndarray:
    """adj(A)^T of an integer matrix, exactly."""
    n = a.shape[0]
    if n == 1:
        return np.ones((1, 1))
    c = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            c[i, j] = (-1) ** (i + j) * float(_exact_det(np.delete(np.delete(a, i, 0), j, 1)))
    return c


def _rank_deficient(rng, n: int) -> np.ndarray:
    """A random integer matrix of rank n - 1 exactly."""
    while True:
        a = rng.integers(-4, 5, (n, n - 1)) @ rng.integers(-4, 5, (n - 1, n))
        if np.linalg.matrix_rank(a) == n - 1:
            return a.astype(np.float64)


def _first_order(a, dtype=retrograd.float64):
    x = retrograd.tensor(a, dtype=dtype, requires_grad=True)
    retrograd.linalg.det(x).backward()
    return x.grad.numpy()


def _create_graph(T, a):
    x = T.tensor(a, dtype=T.float64, requires_grad=True)
    g, = T.autograd.grad(T.linalg.det(x), x, create_graph=True)
    return g.detach().numpy()


def _forward_mode(a):
    """The directional derivative along each basis matrix: the whole gradient."""
    n = a.shape[0]
    out = np.empty((n, n))
    with fwAD.dual_level():
        for i in range(n):
            for j in range(n):
                t = np.zeros((n, n))
                t[i, j] = 1.0
                d = fwAD.make_dual(retrograd.tensor(a), retrograd.tensor(t))
                out[i, j] = fwAD.unpack_dual(retrograd.linalg.det(d)).tangent.item()
    return out


def _tol(expected, dtype=np.float64) -> float:
    return 1e3 * np.finfo(dtype).eps * max(1.0, np.abs(expected).max())


def test_det_gradient_at_the_issues_singular_matrix_is_the_adjugate_in_every_mode():
    for got in (_first_order(ISSUE), _create_graph(retrograd, ISSUE), _forward_mode(ISSUE),
                _create_graph(torch, ISSUE)):
        np.testing.assert_allclose(got, ISSUE_GRAD, rtol=0, atol=_tol(ISSUE_GRAD))


def test_det_gradient_on_random_rank_deficient_integer_matrices():
    rng = np.random.default_rng(12)
    for k in range(100):
        a = _rank_deficient(rng, 2 + k % 4)
        expected = _cofactors(a)
        assert np.abs(expected).max() > 0
        np.testing.assert_allclose(_first_order(a), expected, rtol=0, atol=_tol(expected),
                                   err_msg=str(a))
        if k % 10 == 0:   # the other paths agree (slower: a sample)
            np.testing.assert_allclose(_create_graph(retrograd, a), expected, rtol=0,
                                       atol=_tol(expected))
            np.testing.assert_allclose(_forward_mode(a), expected, rtol=0, atol=_tol(expected))


def test_det_gradient_at_singular_matrices_float32_and_batched():
    zero_row = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 0.0, 1.0]])  # LU exact
    expected = _cofactors(zero_row)
    got = _first_order(zero_row, retrograd.float32)
    np.testing.assert_allclose(got, expected, rtol=0, atol=_tol(expected, np.float32))
    batch = np.stack([zero_row, np.diag([2.0, 3.0, 4.0])])   # one singular, one not
    x = retrograd.tensor(batch, requires_grad=True)
    retrograd.linalg.det(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.stack([expected, _cofactors(batch[1])]),
                               rtol=0, atol=_tol(expected))


def test_det_gradient_passes_gradcheck_at_singular_matrices():
    # finite differences are valid there: det is a polynomial
    a = retrograd.tensor(ISSUE, requires_grad=True)
    assert retrograd.autograd.gradcheck(retrograd.linalg.det, (a,))
    assert retrograd.autograd.gradgradcheck(retrograd.linalg.det, (a,))


def test_pytorch_first_order_det_gradient_at_a_singular_matrix_is_zero():
    # The difference from PyTorch kept on purpose (its create_graph path gives the adjugate).
    zero_row = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 0.0, 1.0]],
                            dtype=torch.float64, requires_grad=True)
    torch.linalg.det(zero_row).backward()
    assert (zero_row.grad == 0).all()


# ------------------------------------------------------------------ slogdet / logdet

EXACT_LU = {   # singular matrices whose LU factors are exact on every machine
    "zero_row": [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 0.0, 1.0]],
    "zero_column": [[1.0, 0.0, 4.0], [2.0, 0.0, 0.0], [3.0, 0.0, 1.0]],
    "zeros": [[0.0, 0.0, 0.0]] * 3,
    "rank1_2x2": [[1.0, 2.0], [2.0, 4.0]],
    "batch_with_singular": [[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]]],
}
LOGDETS = {
    "slogdet": lambda T, x: T.linalg.slogdet(x).logabsdet,
    "logdet": lambda T, x: T.logdet(x),
    "slogdet_transposed": lambda T, x: T.slogdet(x.mT)[1],
}


def _assert_same_with_infs(a, b):
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(np.isposinf(a), np.isposinf(b))
    np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", LOGDETS, ids=list(LOGDETS))
@pytest.mark.parametrize("name", EXACT_LU, ids=list(EXACT_LU))
def test_logdet_backward_at_singular_matrices_as_torch(name, fn):
    res = []
    for T in (retrograd, torch):
        x = T.tensor(EXACT_LU[name], dtype=T.float64, requires_grad=True)
        y = LOGDETS[fn](T, x)
        y.sum().backward()
        res.append((y.detach().numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        _assert_same_with_infs(a, b)


def test_logdet_backward_at_the_issues_matrix_gives_infinities_not_an_error():
    x = retrograd.tensor(ISSUE, requires_grad=True)
    retrograd.logdet(x).backward()
    g = x.grad.numpy()
    assert np.isinf(g[:2]).all() and np.isfinite(g[2]).all()
    # g A^{-T}'s infinite rows have the signs of -adj(A)^T (det -> -0): PyTorch's
    np.testing.assert_array_equal(np.sign(g[:2]), -np.sign(ISSUE_GRAD[:2]))


@pytest.mark.parametrize("fn", ["slogdet", "logdet"])
def test_differentiable_logdet_backward_at_a_singular_matrix_raises_as_torch(fn):
    errors = []
    for T in (retrograd, torch):
        x = T.tensor(EXACT_LU["zero_row"], dtype=T.float64, requires_grad=True)
        with pytest.raises(Exception) as e:
            T.autograd.grad(LOGDETS[fn](T, x), x, create_graph=True)
        errors.append((type(e.value).__name__, str(e.value)))
    assert errors[0] == errors[1]
