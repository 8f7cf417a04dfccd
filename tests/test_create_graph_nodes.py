"""The graph of gradients made with create_graph=True, node by node as in torch 2.13 (issue 12):
a leaf's first gradient is PyTorch's ``clone_obey_contract`` (an empty tensor laid out like the
leaf, ``copy_``'d from the gradient: CopyBackwards), a second one is added to it (AddBackward0),
a first-order backward adds into a gradient that has a graph in place (it keeps CopyBackwards),
and ``autograd.functional.jvp(..., create_graph=True)`` returns tangents with torch's nodes.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd


def _describe(t):
    if t is None:
        return None
    fn = t.grad_fn
    nxt = None if fn is None else [None if n is None else type(n).__name__
                                   for n, _ in fn.next_functions]
    return (None if fn is None else type(fn).__name__, nxt, t.requires_grad, t.is_leaf,
            t.detach().numpy().tolist())


def _grads(T):
    seen = {}
    x = T.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward(create_graph=True)
    seen["first"] = _describe(x.grad)
    (x ** 3).sum().backward(create_graph=True)
    seen["accumulated"] = _describe(x.grad)
    y = T.tensor([1.0, 2.0], requires_grad=True)
    (y * 2).sum().backward(create_graph=True)        # a gradient without a graph
    seen["constant"] = _describe(y.grad)
    z = T.tensor([1.0, 2.0], requires_grad=True)
    (z ** 2).sum().backward()
    (z ** 2).sum().backward(create_graph=True)
    seen["graph_onto_plain"] = _describe(z.grad)
    w = T.tensor([1.0, 2.0], requires_grad=True)
    (w ** 2).sum().backward(create_graph=True)
    g = w.grad
    (w ** 2).sum().backward()                      # in place: the same tensor, same grad_fn
    seen["plain_onto_graph"] = _describe(w.grad) + (w.grad is g,)
    u = T.tensor([[1.0, 2.0]], requires_grad=True)
    (u ** 2).expand(3, 2).sum().backward(create_graph=True)
    seen["expanded"] = _describe(u.grad)
    v = T.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=T.float64, requires_grad=True)
    (v.transpose(0, 1) ** 2).sum().backward(create_graph=True)   # laid out like v
    seen["transposed"] = _describe(v.grad) + (v.grad.is_contiguous(),)
    x.grad.sum().backward()                         # through CopyBackwards + AddBackward0
    seen["second_order"] = x.grad.tolist()
    return seen


def test_leaf_gradients_made_with_create_graph_have_torchs_nodes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # (create_graph's reference-cycle note)
        ours, ref = _grads(retrograd), _grads(torch)
    assert ours == ref


JVP_FNS = {
    "sin_scaled": lambda T, a: a.sin() * 2,
    "exp": lambda T, a: a.exp(),
    "sum": lambda T, a: a.sum(),
    "relu": lambda T, a: a.relu(),
    "matmul": lambda T, a: a.reshape(1, 2) @ T.ones(2, 3),
    "log": lambda T, a: a.log(),
    "mean": lambda T, a: a.mean(),
    "reciprocal": lambda T, a: 1 / a,
    "square": lambda T, a: a * a,
    "affine": lambda T, a: a * 3 + 1,
    "index": lambda T, a: a[0],
    "cat": lambda T, a: T.cat([a, a]),
}


@pytest.mark.parametrize("requires_grad", [True, False])
@pytest.mark.parametrize("name", JVP_FNS)
def test_functional_jvp_with_create_graph_gives_torchs_tangent_nodes(name, requires_grad):
    res = []
    for T in (retrograd, torch):
        inp = T.tensor([1.0, 2.0], requires_grad=requires_grad)
        out, tangent = T.autograd.functional.jvp(lambda a: JVP_FNS[name](T, a), inp,
                                                 T.tensor([1.0, -0.5]), create_graph=True)
        res.append((_describe(out)[:3], _describe(tangent)[:3],
                    out.detach().numpy(), tangent.detach().numpy()))
    assert res[0][:2] == res[1][:2]
    for a, b in zip(res[0][2:], res[1][2:]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
