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
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-12)


def test_backward_with_inputs_computes_only_theirs(mm_calls):
    x, w = _pair(retrograd)
    ((x @ w) ** 2).sum().backward(inputs=[w])
    assert mm_calls == [(False, True)] and x.grad is None
    tx, tw = _pair(torch)
    ((tx @ tw) ** 2).sum().backward(inputs=[tw])
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-12)


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
    np.testing.assert_allclose(gw.numpy(), tgw.numpy(), rtol=1e-10, atol=1e-12)


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
    np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-12, atol=1e-12)


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
        np.testing.assert_allclose(out[k], ref[k % 2].numpy(), rtol=1e-12, atol=1e-12)



def _multi_input_rows():
    from op_db import OP_DB
    return [r for r in OP_DB if len(r.shapes) >= 2]


@pytest.mark.parametrize("row", _multi_input_rows(), ids=lambda r: r.name)
def test_the_gradient_of_one_input_of_every_op_is_torchs(row):
    """Each op-table row of several inputs, the gradient of each input alone (the others still
    require grad, so their gradients are not needed), with and without create_graph."""
    from test_ops import _float_outputs, _leaves
    arrays = row.inputs()

    def grad_of(lib, i, create):
        inputs = _leaves(lib, arrays, ["float64"] * len(arrays))
        outs = _float_outputs(lib, row.fn(lib, *inputs))
        rng = np.random.default_rng([row.seed, 3])
        gos = [lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=lib.float64) for o in outs]
        (g,) = lib.autograd.grad(outs, [inputs[i]], gos, allow_unused=True, create_graph=create)
        return None if g is None else g.detach().numpy().copy()

    for i in range(len(arrays)):
        for create in (False, True):
            try:
                ref = grad_of(torch, i, create)
            except RuntimeError:
                continue    # (torch refuses this call: other tests compare the errors)
            ours = grad_of(retrograd, i, create)
            assert (ours is None) == (ref is None), (i, create)
            if ref is not None:
                np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=1e-8, equal_nan=True,
                                           err_msg=f"input {i}, create_graph={create}")
