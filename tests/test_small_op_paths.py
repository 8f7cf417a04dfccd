"""The fast paths of the small ops (gather, softmax, log_softmax, cross_entropy) against PyTorch
on the inputs those paths single out: the dims and layouts they take inline (2-D, dim=-1 vs 0,
non-contiguous views), repeated indices, -inf/inf/NaN values, whole rows of -inf, empty dims,
float16/float64, and the errors the inline checks must still raise."""
from __future__ import annotations

import numpy as np
import pytest

from _both import both

_RNG = np.random.default_rng(7)
_A = _RNG.standard_normal((5, 6)).astype(np.float32)
_I = np.array([[0, 5, 5, 1], [2, 2, 2, 2], [5, 4, 3, 0], [1, 1, 0, 0], [3, 5, 3, 5]])


def _leaf(T, a, dtype=None, grad=True):
    t = T.tensor(a, dtype=dtype) if dtype is not None else T.tensor(a)
    return t.requires_grad_(grad)


def _fwd_bwd(T, x, y, g=None):
    """y, its grad_fn, and x's gradient after y.backward(g) (g: a fixed non-uniform weight)."""
    if g is None:
        g = T.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)), dtype=y.dtype)
    y.backward(g)
    return y, y.grad_fn, x.grad


# -- gather ----------------------------------------------------------------------------------------
GATHER = {
    "dim-1 repeats": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(-1, T.tensor(_I))))(
        _leaf(T, _A)),
    "dim0": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(0, T.tensor(_I[:4, :3] % 5))))(
        _leaf(T, _A)),
    "int32 index": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(1, T.tensor(_I, dtype=T.int32))))(
        _leaf(T, _A)),
    "non-contiguous input": lambda T: (lambda x: _fwd_bwd(T, x, x.t().gather(1, T.tensor(
        _I[:, :3] % 5))))(_leaf(T, _A)),
    "non-contiguous index": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(1, T.tensor(
        _I).t()[:, :5] % 6)))(_leaf(T, _A)),
    "float64": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(1, T.tensor(_I))))(
        _leaf(T, _A, T.float64)),
    "float16": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(1, T.tensor(_I))))(
        _leaf(T, _A, T.float16)),
    "3-d": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(2, T.tensor(_I[:2, :3].reshape(2, 1, 3)))))(
        _leaf(T, _A.reshape(5, 2, 3)[:2])),
    "index smaller in the other dim": lambda T: (lambda x: _fwd_bwd(T, x, x.gather(
        1, T.tensor(_I[:2]))))(_leaf(T, _A)),
    "empty index": lambda T: x_gather_empty(T),
    "no grad": lambda T: T.tensor(_A).gather(1, T.tensor(_I)),
    "saved": lambda T: (lambda y: (y.grad_fn._saved_dim, y.grad_fn._saved_sparse_grad,
                                   y.grad_fn._saved_index, y.grad_fn._saved_self))(
        _leaf(T, _A).gather(-1, T.tensor(_I))),
    "err negative index": lambda T: T.tensor(_A).gather(1, T.tensor([[0, -1]] * 5)),
    "err index too large": lambda T: _leaf(T, _A).gather(1, T.tensor([[0, 6]] * 5)),
    "err other dim larger": lambda T: _leaf(T, _A).gather(1, T.tensor([[0, 1]] * 6)),
    "err ndim": lambda T: _leaf(T, _A).gather(1, T.tensor([0, 1])),
    "err dim": lambda T: _leaf(T, _A).gather(2, T.tensor(_I)),
    "err float index": lambda T: _leaf(T, _A).gather(1, T.tensor(_I, dtype=T.float32)),
}


def x_gather_empty(T):
    x = _leaf(T, _A)
    y = x.gather(1, T.zeros(5, 0, dtype=T.int64))
    y.sum().backward()
    return y, x.grad


@pytest.mark.parametrize("name", list(GATHER))
def test_gather_paths(name):
    both(GATHER[name])
