"""AccumulateGrad takes a leaf's first gradient without a copy only when nothing but the engine
holds it (PyTorch's use_count check): a user's gradient argument, an array that two leaves
receive, or a broadcast view must never become ``.grad`` itself."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd


def _independent(*arrays):
    for i, a in enumerate(arrays):
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)


def test_users_gradient_argument_is_copied():
    v = retrograd.tensor([1.0, 2.0, 3.0])
    x = retrograd.tensor([0.5, 0.5, 0.5], requires_grad=True)
    x.clone().backward(v)                      # CloneBackward0 passes the array through
    _independent(x.grad._data, v._data)
    v.add_(10)
    assert x.grad.tolist() == [1.0, 2.0, 3.0]


def test_leaf_root_gradient_is_copied():
    v = retrograd.tensor([1.0, 2.0])
    x = retrograd.tensor([3.0, 4.0], requires_grad=True)
    x.backward(v)
    _independent(x.grad._data, v._data)


def test_one_array_for_two_leaves_is_copied_for_each():
    a = retrograd.tensor([1.0, 2.0], requires_grad=True)
    b = retrograd.tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(retrograd.ones(2) * 2)    # AddBackward0 sends one array to both
    _independent(a.grad._data, b.grad._data)
    a.grad.add_(1)
    assert b.grad.tolist() == [2.0, 2.0]


def test_broadcast_gradient_becomes_a_writable_array():
    x = retrograd.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x.sum().backward()                         # SumBackward0: a broadcast view of one number
    g = x.grad._data
    assert g.flags.writeable and g.flags.c_contiguous and g.strides == x._data.strides
    x.grad.mul_(3)
    assert x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]


@pytest.mark.parametrize("make", [lambda t: t.sigmoid(), lambda t: t * t, lambda t: t.relu(),
                                  lambda t: t.softmax(0), lambda t: t.abs()])
def test_fresh_gradient_is_taken_and_is_the_leafs_own(make):
    x = retrograd.tensor(np.linspace(-2, 2, 5000, dtype=np.float32), requires_grad=True)
    xt = torch.tensor(x._data.copy(), requires_grad=True)
    make(x).sum().backward()
    make(xt).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    before = x.grad.numpy().copy()
    make(x).sum().backward()                   # the second backward accumulates in place
    np.testing.assert_allclose(x.grad.numpy(), 2 * before, rtol=1e-6)


def test_owned_gradient_is_not_the_graphs_saved_array():
    x = retrograd.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * 2
    z = y.relu()
    z.backward(retrograd.ones(3), retain_graph=True)
    x.grad.zero_()
    z.backward(retrograd.ones(3))              # the saved result must be intact
    assert x.grad.tolist() == [2.0, 0.0, 2.0]


def test_sigmoid_far_tails_as_pytorch():
    pts = [-800.0, -100.0, -88.5, -87.0, -30.0, -1e-8, 0.0, 3.0, 30.0, 100.0,
           float("inf"), -float("inf"), float("nan")]
    for dt, tdt in ((np.float32, torch.float32), (np.float64, torch.float64)):
        ours = retrograd.sigmoid(retrograd.tensor(np.array(pts, dt))).numpy()
        ref = torch.sigmoid(torch.tensor(pts, dtype=tdt)).numpy()
        np.testing.assert_allclose(ours, ref, rtol=2e-7 if dt is np.float32 else 1e-15, atol=0)
        assert ((ours == 0) == (ref == 0)).all()


def test_a_fresh_gradient_is_not_copied(monkeypatch):
    """The point of the check: a gradient only the engine holds becomes .grad as it is."""
    from retrograd.autograd import engine
    copies = []
    real = engine._laid_out_like
    monkeypatch.setattr(engine, "_laid_out_like", lambda *a: copies.append(1) or real(*a))
    x = retrograd.tensor(np.ones(100, np.float32), requires_grad=True)
    x.sigmoid().sum().backward()
    assert copies == []
    x.grad = None
    x.sum().backward()                         # a broadcast view: copied
    assert copies == [1]


def test_a_view_over_a_fresh_array_nothing_else_holds_is_taken(monkeypatch):
    """F.linear's weight gradient arrives through TBackward0 as a transposed view of the GEMM's
    fresh result, a bias gradient as a reshaped sum: both are kept as they are; a view of a
    user's array is still copied."""
    from retrograd.autograd import engine
    copies = []
    real = engine._laid_out_like
    monkeypatch.setattr(engine, "_laid_out_like", lambda *a: copies.append(1) or real(*a))
    retrograd.manual_seed(0)
    model = retrograd.nn.Sequential(retrograd.nn.Linear(8, 4), retrograd.nn.ReLU(),
                                    retrograd.nn.Linear(4, 3))
    model(retrograd.randn(5, 8)).sum().backward()
    assert copies == []
    for p in model.parameters():
        assert p.grad._data.strides == p._data.strides and p.grad._data.flags.writeable
    v = retrograd.randn(3, 4)
    w = retrograd.randn(4, 3, requires_grad=True)
    w.t().backward(v)
    assert copies == [1] and not np.shares_memory(w.grad._data, v._data)
