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


_TALL = _RNG.standard_normal((9, 3)).astype(np.float32)


def _sm_expanded(T, fn):
    x = _leaf(T, _TALL)
    y = getattr(T.nn.functional, fn)(x, dim=1)
    y.backward(T.tensor([[0.5, -1.0, 2.0]]).expand(9, 3))
    return y, x.grad, x.grad.stride()


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
    # rows shorter than the column count: worked on transposed copies
    "tall dim-1": lambda T, fn: _sm(T, fn, _TALL, -1),
    "tall dim1 float64": lambda T, fn: _sm(T, fn, _TALL, 1, T.float64),
    "tall dim0": lambda T, fn: _sm(T, fn, _TALL, 0),
    "tall transposed": lambda T, fn: _sm(T, fn, _TALL.T.copy(), 1, view=lambda x: x.t()),
    "tall strided": lambda T, fn: _sm(T, fn, _TALL, 1, view=lambda x: x[::2, ::2]),
    "tall expanded grad": lambda T, fn: _sm_expanded(T, fn),
    "tall strides": lambda T, fn: (lambda y: (y.stride(), y.is_contiguous()))(
        getattr(T, fn)(T.tensor(_TALL.T.copy()).t(), 1)),
    "strides transposed dim0": lambda T, fn: (lambda y: y.stride())(
        getattr(T, fn)(T.tensor(_A).t(), 0)),
    "strides sliced": lambda T, fn: [getattr(T, fn)(T.tensor(_A)[:, ::2], d).stride()
                                     for d in (0, 1)],
    "strides size-1 dim": lambda T, fn: getattr(T, fn)(T.tensor(_A[:1]).t(), 1).stride(),
    "size-1 dim specials": lambda T, fn: _sm(T, fn, _SPECIAL[:, :1].copy(), -1),
    "size-1 dim0": lambda T, fn: _sm(T, fn, _SPECIAL[:1].copy(), 0),
    "one element -inf": lambda T, fn: _sm(T, fn, np.array([-_INF], np.float32), 0),
    "one element": lambda T, fn: _sm(T, fn, np.array([0.25], np.float32), -1),
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


# -- cross_entropy (the fused log_softmax + nll_loss path and the cases it hands back) ------------
_X = _RNG.standard_normal((6, 4)).astype(np.float32)
_T = np.array([0, 3, 3, 1, 2, 0])


def _ce(T, a=_X, t=_T, dtype=None, view=None, tview=None, scale=3.0, module=False, **kw):
    x = _leaf(T, a, dtype)
    v = view(x) if view is not None else x
    tt = T.tensor(t)
    tt = tview(tt) if tview is not None else tt
    if module:
        loss = T.nn.CrossEntropyLoss(**kw)(v, tt)
    else:
        loss = T.nn.functional.cross_entropy(v, tt, **kw)
    (loss * scale if loss.requires_grad else loss).sum().backward(retain_graph=True) \
        if loss.requires_grad else None
    node = loss.grad_fn
    chain = (node, node.next_functions[0][0]) if node is not None else None
    saved = (node._saved_reduction, node._saved_ignore_index, node._saved_total_weight,
             node._saved_weight, node._saved_target, node._saved_self,
             node.next_functions[0][0]._saved_dim,
             node.next_functions[0][0]._saved_result) if node is not None and \
        node.name() == "NllLossBackward0" else None
    return loss, chain, saved, x.grad


_NEG_INF = np.array([[0.5, -_INF, 2.0, -1.0], [-_INF, -_INF, -_INF, -_INF], [1.0, 2.0, 3.0, 4.0]],
                    np.float32)
CROSS_ENTROPY = {
    "mean": lambda T: _ce(T),
    "sum": lambda T: _ce(T, reduction="sum"),
    "none": lambda T: _ce(T, reduction="none"),
    "module": lambda T: _ce(T, module=True),
    "module sum": lambda T: _ce(T, module=True, reduction="sum"),
    "float64": lambda T: _ce(T, dtype=T.float64),
    # (float16: the general path, off by a float16 ulp as log_softmax along the last dim above)
    "transposed logits": lambda T: _ce(T, a=_X.T.copy(), view=lambda x: x.t()),
    "strided target": lambda T: _ce(T, t=np.repeat(_T, 2), tview=lambda t: t[::2]),
    "-inf logits": lambda T: _ce(T, a=_NEG_INF, t=np.array([0, 1, 2])),
    "-inf at the target": lambda T: _ce(T, a=_NEG_INF, t=np.array([1, 0, 2])),
    "nan logit": lambda T: _ce(T, a=np.where(_X > 1.5, np.nan, _X).astype(np.float32)),
    "inf logit": lambda T: _ce(T, a=np.where(_X > 1.5, _INF, _X).astype(np.float32)),
    "ignored default": lambda T: _ce(T, t=np.array([0, -100, 3, 1, -100, 0])),
    "ignore_index in range": lambda T: _ce(T, ignore_index=3),
    "ignore_index beyond": lambda T: _ce(T, ignore_index=4),
    "all ignored": lambda T: _ce(T, t=np.full(6, 2), ignore_index=2),
    "weight": lambda T: _ce(T, weight=T.tensor([1.0, 2.0, 0.5, 1.5])),
    "label smoothing": lambda T: _ce(T, label_smoothing=0.1),
    "int label smoothing": lambda T: _ce(T, label_smoothing=0),
    "legacy size_average": lambda T: _ce(T, size_average=False),
    "one row": lambda T: _ce(T, a=_X[:1], t=_T[:1]),
    "one class": lambda T: _ce(T, a=_X[:, :1], t=np.zeros(6, np.int64)),
    "empty batch": lambda T: _ce(T, a=np.zeros((0, 4), np.float32), t=np.zeros(0, np.int64)),
    "1-d": lambda T: _ce(T, a=_X[0], t=np.int64(2)),
    "no grad": lambda T: T.nn.functional.cross_entropy(T.tensor(_X), T.tensor(_T)),
    "double backward": lambda T: _ce_double(T),
    "err target too large": lambda T: _ce(T, t=np.array([0, 4, 3, 1, 2, 0])),
    "err target negative": lambda T: _ce(T, t=np.array([0, -1, 3, 1, 2, 0])),
    "err target int32": lambda T: T.nn.functional.cross_entropy(
        _leaf(T, _X), T.tensor(_T, dtype=T.int32)),
    "err batch size": lambda T: _ce(T, t=_T[:5]),
    "err 2-d target": lambda T: _ce(T, t=_T.reshape(6, 1)),
    "err int logits": lambda T: T.nn.functional.cross_entropy(T.tensor([[1, 2]]), T.tensor([0])),
    "err reduction": lambda T: _ce(T, reduction="avg"),
    "err reduction None": lambda T: _ce(T, reduction=None),
}


def _ce_double(T):
    x = _leaf(T, _X)
    loss = T.nn.functional.cross_entropy(x, T.tensor(_T))
    (g,) = T.autograd.grad(loss, x, create_graph=True)
    (g * g).sum().backward()
    return loss, g.detach(), x.grad   # (g's grad_fn: ours SubBackward0, PyTorch's
    # LogSoftmaxBackwardDataBackward0, on the create_graph path, which this does not change)


@pytest.mark.parametrize("name", list(CROSS_ENTROPY))
def test_cross_entropy_paths(name):
    both(CROSS_ENTROPY[name])


# -- sigmoid (its NumPy kernel: exp(-x) overflowing to inf is the intended path, no warning) -------
_EXTREMES = np.array([-_INF, -100.0, -88.7, -20.0, 0.0, 0.5, 100.0, _INF, np.nan], np.float32)


@pytest.mark.parametrize("dtype", ["float32", "float64"])   # (float16: the backward differs
def test_sigmoid_extremes(dtype):                            # by a float16 ulp here and there)
    both(lambda T: _fwd_bwd(T, *(lambda x: (x, x.sigmoid()))(
        _leaf(T, _EXTREMES, getattr(T, dtype)))))


# -- max(dim) / min(dim) (values picked and the gradient placed through cached index grids) -------
_TIES = np.array([[1.0, 3.0, 3.0, -1.0], [np.nan, 2.0, np.nan, 0.0], [-_INF, -_INF, -_INF, -_INF],
                  [0.0, -0.0, 5.0, _INF]], np.float32)


def _maxmin(T, fn, a, dim, keepdim=False, dtype=None, view=None):
    x = _leaf(T, a, dtype)
    v = view(x) if view is not None else x
    values, indices = getattr(v, fn)(dim, keepdim)
    values.backward(T.tensor(np.linspace(-1, 2, values.numel()).reshape(tuple(values.shape)),
                             dtype=values.dtype))
    return values, indices, x.grad


MAXMIN = {
    "dim-1": lambda T, fn: _maxmin(T, fn, _A, -1),
    "dim0 keepdim": lambda T, fn: _maxmin(T, fn, _A, 0, True),
    "ties nan inf": lambda T, fn: _maxmin(T, fn, _TIES, 1),
    "ties dim0": lambda T, fn: _maxmin(T, fn, _TIES, 0, True),
    "1-d": lambda T, fn: _maxmin(T, fn, _A[0], 0),
    "0-d": lambda T, fn: _maxmin(T, fn, np.float32(2.5), 0),
    "3-d": lambda T, fn: _maxmin(T, fn, _A.reshape(5, 3, 2), 1),
    "float64 transposed": lambda T, fn: _maxmin(T, fn, _A, 1, dtype=T.float64,
                                                view=lambda x: x.t()),
    "large": lambda T, fn: _maxmin(T, fn, np.tile(_A, (20, 40)), 1),
    "err empty dim": lambda T, fn: getattr(T.zeros(3, 0), fn)(1),
}


@pytest.mark.parametrize("fn", ["max", "min"])
@pytest.mark.parametrize("name", list(MAXMIN))
def test_maxmin_dim_paths(name, fn):
    both(lambda T: MAXMIN[name](T, fn))
