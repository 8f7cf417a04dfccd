"""A backward call given inputs computes only the gradients that lead to them (PyTorch's
should_compute_output): ``autograd.grad(loss, x)`` in a model does no weight-gradient products,
``backward(inputs=[w])`` no input-gradient ones. Values are compared with torch; which of a
node's gradients were computed is read off MmBackward0's results."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

import retrograd
from retrograd.ops.linalg import matmul as _matmul


@pytest.fixture
def mm_calls(monkeypatch):
    """Which of (self, mat2) each MmBackward0 run returned a gradient for."""
    calls = []
    cls = _matmul.MmBackward0
    backward = cls.backward

    def spy(self, ns, grad, *saved):
        out = backward(self, ns, grad, *saved)
        calls.append(tuple(g is not None for g in out))
        return out
    monkeypatch.setattr(cls, "backward", spy)
    return calls


def _pair(T):
    rng = np.random.default_rng(0)
    x = T.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    w = T.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    return x, w


def test_grad_of_the_input_only(mm_calls):
    x, w = _pair(retrograd)
    (g,) = retrograd.autograd.grad(((x @ w).tanh()).sum(), x)
    assert mm_calls == [(True, False)] and w.grad is None
    tx, tw = _pair(torch)
    (tg,) = torch.autograd.grad(((tx @ tw).tanh()).sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_backward_with_inputs_computes_only_theirs(mm_calls):
    x, w = _pair(retrograd)
    ((x @ w) ** 2).sum().backward(inputs=[w])
    assert mm_calls == [(False, True)] and x.grad is None
    tx, tw = _pair(torch)
    ((tx @ tw) ** 2).sum().backward(inputs=[tw])
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_plain_backward_and_create_graph_keep_every_gradient(mm_calls):
    x, w = _pair(retrograd)
    (x @ w).sum().backward()
    assert mm_calls == [(True, True)]
    mm_calls.clear()
    # the first-order gradient's graph is recorded under the run's needed set, and a second
    # backward through it needs x's path there: nodes recorded during the run keep all their
    # gradients
    x, w = _pair(retrograd)
    (gx,) = retrograd.autograd.grad(((x @ w) ** 3).sum(), x, create_graph=True)
    (gw,) = retrograd.autograd.grad((gx * gx).sum(), w)
    tx, tw = _pair(torch)
    (tgx,) = torch.autograd.grad(((tx @ tw) ** 3).sum(), tx, create_graph=True)
    (tgw,) = torch.autograd.grad((tgx * tgx).sum(), tw)
    np.testing.assert_allclose(gw.numpy(), tgw.numpy(), rtol=1e-10)


def test_a_backward_inside_a_hook_has_its_own_set(mm_calls):
    x, w = _pair(retrograd)
    inner = []

    def hook(g):   # a plain backward while autograd.grad(., x) runs: every gradient again
        y = retrograd.tensor(np.ones((2, 2)), requires_grad=True)
        v = retrograd.tensor(np.ones((2, 2)), requires_grad=True)
        with retrograd.enable_grad():   # (hooks run with grad mode off, as in PyTorch)
            (y @ v).sum().backward()
        inner.append((y.grad is not None, v.grad is not None))
        return g
    h = x @ w
    h.register_hook(hook)
    (g,) = retrograd.autograd.grad((h * h).sum(), x)
    assert inner == [(True, True)]
    assert mm_calls == [(True, True), (True, False)]   # the hook's product, then the outer one
    tx, tw = _pair(torch)
    th = tx @ tw
    (tg,) = torch.autograd.grad((th * th).sum(), tx)
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12)


def test_threads_keep_their_own_sets():
    out = {}

    def run(key, wanted):
        x, w = _pair(retrograd)
        for _ in range(50):
            gs = retrograd.autograd.grad(((x @ w) ** 2).sum(), [x, w][wanted])
        out[key] = gs[0].numpy()
    ts = [threading.Thread(target=run, args=(k, k % 2)) for k in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    tx, tw = _pair(torch)
    ref = torch.autograd.grad(((tx @ tw) ** 2).sum(), [tx, tw])
    for k in range(4):
        np.testing.assert_allclose(out[k], ref[k % 2].numpy(), rtol=1e-12)
