"""An in-place op whose backward reads the original ``self`` saves a clone taken before the op
(PyTorch's ``original_self = self.clone()``): the saved tensor's grad_fn is CloneBackward0 over
the old history, while the op's own node keeps its edges to that history. Ops whose formula
reads only the result (or nothing) save no clone. Compared with torch 2.13 node by node."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

X = np.array([[0.3, -0.7, 1.2], [0.9, -0.4, 0.5]])
Y = np.array([[1.1, 0.6, -0.8], [0.7, 1.3, -1.5]])


def _name(node):
    return None if node is None else type(node).__name__


CASES = [   # (label, fn(T, y, other) applying the in-place op to the non-leaf y, saved attr)
    ("sin_", lambda T, y, o: y.sin_(), "_saved_self"),
    ("log_ of abs", lambda T, y, o: y.abs_().log_(), "_saved_self"),
    ("mul_ tensor", lambda T, y, o: y.mul_(o), "_saved_self"),
    ("div_ tensor", lambda T, y, o: y.div_(o), "_saved_self"),
    ("pow_ scalar", lambda T, y, o: y.pow_(3), "_saved_self"),
    ("hardtanh_", lambda T, y, o: T.nn.functional.hardtanh_(y), "_saved_self"),
    ("exp_ (result)", lambda T, y, o: y.exp_(), "_saved_result"),
    ("sqrt_ of abs (result)", lambda T, y, o: y.abs_().sqrt_(), "_saved_result"),
]


@pytest.mark.parametrize("fn,attr", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_saved_self_is_a_clone_as_in_torch(fn, attr):
    got = []
    for T in (torch, retrograd):
        x = T.tensor(X, requires_grad=True)
        o = T.tensor(Y, requires_grad=True)
        y = x * 1
        fn(T, y, o)
        node = y.grad_fn
        saved = getattr(node, attr)
        sg = saved.grad_fn
        got.append((type(node).__name__,
                    [_name(f) for f, _ in node.next_functions],
                    _name(sg),
                    [_name(f) for f, _ in sg.next_functions] if sg is not None else None,
                    saved.detach().numpy().copy()))
    (tn, tnext, tsg, tsgnext, tval), (rn, rnext, rsg, rsgnext, rval) = got
    assert (rn, rnext, rsg, rsgnext) == (tn, tnext, tsg, tsgnext)
    np.testing.assert_allclose(rval, tval, rtol=1e-12, atol=1e-12)


def test_clone_carries_the_second_order_gradient():
    """d/dx of the create_graph gradient of y.sin_() flows through the saved clone."""
    res = []
    for T in (torch, retrograd):
        x = T.tensor(X, requires_grad=True)
        y = x * 2
        y.sin_()
        g, = T.autograd.grad(y.sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        res.append((g.detach().numpy().copy(), h.numpy().copy()))
    np.testing.assert_allclose(res[1][0], res[0][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12, atol=1e-12)


def test_no_clone_when_self_needs_no_grad():
    """x.mul_(o) with x constant: the saved self needs no gradient, so it has no history."""
    for T in (torch, retrograd):
        x = T.tensor(X)
        o = T.tensor(Y, requires_grad=True)
        x.mul_(o)
        assert x.grad_fn._saved_self.grad_fn is None
        assert not x.grad_fn._saved_self.requires_grad


def _reaches(t, name):
    stack, seen = [t.grad_fn], set()
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        if type(n).__name__ == name:
            return True
        stack.extend(f for f, _ in n.next_functions)
    return False


def test_in_place_on_a_view_saves_a_clone_too():
    res = []
    for T in (torch, retrograd):
        x = T.tensor(X, requires_grad=True)
        base = x * 1
        base[0].sin_()
        g, = T.autograd.grad(base.sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        res.append((_reaches(g, "CloneBackward0"), g.detach().numpy().copy(), h.numpy().copy()))
    assert res[0][0] and res[1][0]
    np.testing.assert_allclose(res[1][1], res[0][1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[1][2], res[0][2], rtol=1e-12, atol=1e-12)


def test_under_saved_tensor_hooks_the_pack_hook_sees_the_clone():
    """PyTorch's pack hook receives the clone (grad_fn CloneBackward0); the op's node keeps its
    edge to the old history, and the second-order gradient flows through the clone."""
    res = []
    for T in (torch, retrograd):
        seen = []

        def pack(t, seen=seen):
            seen.append(_name(t.grad_fn))
            return t

        with T.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            x = T.tensor(X, requires_grad=True)
            y = x * 1
            y.sin_()
            z = x * 1
            z.add_(1.0)
            w = x * 1
            w.mul_(x)
        g, = T.autograd.grad(y.sum() + z.sum() + w.sum(), x, create_graph=True)
        h, = T.autograd.grad((g * g).sum(), x)
        res.append((seen, _name(y.grad_fn._saved_self.grad_fn),
                    [_name(f) for f, _ in y.grad_fn.next_functions],
                    [_name(f) for f, _ in w.grad_fn.next_functions],
                    g.detach().numpy().copy(), h.numpy().copy()))
    assert res[1][:4] == res[0][:4]
    np.testing.assert_allclose(res[1][4], res[0][4], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[1][5], res[0][5], rtol=1e-12, atol=1e-12)
