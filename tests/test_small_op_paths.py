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


# -- softmax, log_softmax --------------------------------------------------------------------------
_INF = float("inf")
_SPECIAL = np.array([[0.5, -_INF, 2.0, -1.0],             # one -inf
                     [-_INF, -_INF, -_INF, -_INF],         # a whole row of -inf: NaN
                     [_INF, 1.0, 0.0, -2.0],               # +inf: NaN
                     [np.nan, 1.0, 2.0, 3.0],              # NaN
                     [80.0, 81.0, -80.0, 100.0]], np.float32)   # exp would overflow unshifted


def _sm(T, fn, a, dim, dtype=None, view=None):
    x = _leaf(T, a, dtype)
    v = view(x) if view is not None else x
    y = getattr(T.nn.functional, fn)(v, dim=dim)
    y.backward(T.tensor(np.linspace(-1, 2, y.numel()).reshape(tuple(y.shape)), dtype=y.dtype))
    return y, y.grad_fn, y.grad_fn._saved_dim, x.grad


SOFTMAX = {
    "dim-1": lambda T, fn: _sm(T, fn, _A, -1),
    "dim0": lambda T, fn: _sm(T, fn, _A, 0),
    "dim1": lambda T, fn: _sm(T, fn, _A, 1),
    "dim-2": lambda T, fn: _sm(T, fn, _A, -2),
    "1-d": lambda T, fn: _sm(T, fn, _A[0], 0),
    "3-d dim1": lambda T, fn: _sm(T, fn, _A.reshape(5, 3, 2), 1),
    "float64": lambda T, fn: _sm(T, fn, _A, -1, T.float64),
    # (PyTorch's float16 kernels round differently, by one float16 ulp in ~1 value of 5,
    # log_softmax along the last dim and softmax along another: those are left out)
    "float16": lambda T, fn: _sm(T, fn, _A, -1 if fn == "softmax" else 0, T.float16),
    "transposed": lambda T, fn: _sm(T, fn, _A, -1, view=lambda x: x.t()),
    "strided": lambda T, fn: _sm(T, fn, _A, 0, view=lambda x: x[::2, 1::2]),
    "inf nan rows": lambda T, fn: _sm(T, fn, _SPECIAL, -1),
    "inf nan cols": lambda T, fn: _sm(T, fn, _SPECIAL, 0),
    "empty rows": lambda T, fn: _sm(T, fn, np.zeros((0, 4), np.float32), -1),
    "empty dim": lambda T, fn: _sm(T, fn, np.zeros((3, 0), np.float32), -1),
    "0-d": lambda T, fn: _sm(T, fn, np.float32(1.5), 0),
    "dtype arg": lambda T, fn: getattr(T.nn.functional, fn)(T.tensor(_A), -1, dtype=T.float64),
    "numpy int dim": lambda T, fn: getattr(T, fn)(T.tensor(_A), np.int64(1)),
    "no grad": lambda T, fn: getattr(T, fn)(T.tensor(_A), 1),
    "err dim": lambda T, fn: getattr(T, fn)(T.tensor(_A), 2),
    "err int input": lambda T, fn: getattr(T, fn)(T.tensor([[1, 2]]), 1),
    "err not tensor": lambda T, fn: getattr(T.nn.functional, fn)(_A, 1),
}


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("name", list(SOFTMAX))
def test_softmax_paths(name, fn):
    both(lambda T: SOFTMAX[name](T, fn))
