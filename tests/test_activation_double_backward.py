"""The graphs the activations' gradients record under ``create_graph=True``, against torch 2.13:
PyTorch's backward-kernel nodes (TanhBackwardBackward0, EluBackwardBackward0, ...) with their
edges when the incoming gradient itself requires grad, rrelu in training mode, celu's gradient
scale, and hardsigmoid, whose kernel PyTorch cannot differentiate (a NotImplemented node).

(The op table covers the rest: tests/op_db_activation_backward.py rows run gradcheck,
gradgradcheck, forward mode and the saved values of each new node;
tests/test_double_backward_graph.py compares every row's graph.)
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

X = np.array([[-3.5, -1.2, -0.4, 0.3], [0.9, 1.7, 2.6, -2.2], [3.4, -0.7, 0.15, 1.1]])
W = np.array([0.25, -0.5, 0.1, 0.3])


def _F(T):
    return T.nn.functional


CASES = {
    "tanh": lambda T, x: x.tanh(),
    "sigmoid": lambda T, x: x.sigmoid(),
    "elu": lambda T, x: _F(T).elu(x, 0.6),
    "celu_inplace": lambda T, x: _F(T).celu(x * 1, 0.7, inplace=True),
    "gelu": lambda T, x: _F(T).gelu(x),
    "gelu_tanh": lambda T, x: _F(T).gelu(x, approximate="tanh"),
    "softplus": lambda T, x: _F(T).softplus(x, 1.5, 2.0),
    "logsigmoid": lambda T, x: _F(T).logsigmoid(x),
    "hardswish": lambda T, x: _F(T).hardswish(x),
    "glu": lambda T, x: _F(T).glu(x, 1),
    "rrelu_eval": lambda T, x: _F(T).rrelu(x),
    "silu": lambda T, x: _F(T).silu(x),
    "mish": lambda T, x: _F(T).mish(x),
}


def _first_order(T, f, grad_output_requires_grad):
    x = T.tensor(X, requires_grad=True)
    y = f(T, x)
    v = T.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)),
                 requires_grad=grad_output_requires_grad)
    (g,) = T.autograd.grad(y, x, v, create_graph=True)
    return x, v, g


def _edges(node):
    return [None if f is None else f.name() for f, _ in node.next_functions]


@pytest.mark.parametrize("name", sorted(CASES))
def test_kernel_node_with_a_grad_output_that_requires_grad(name):
    """The node, its edges (grad_output first) and the second-order gradients in both x and the
    incoming gradient v, as torch's."""
    results = []
    for T in (torch, retrograd):
        x, v, g = _first_order(T, CASES[name], True)
        w = T.tensor(np.cos(np.arange(g.numel())).reshape(tuple(g.shape)))
        gx, gv = T.autograd.grad((g * w).sum(), (x, v), allow_unused=True)
        results.append((type(g.grad_fn).__name__, g.grad_fn.name(), _edges(g.grad_fn),
                        g.detach().numpy(), None if gx is None else gx.numpy(), gv.numpy()))
    (tn, tname, tedges, tg, tgx, tgv), (rn, rname, redges, rg, rgx, rgv) = results
    assert (rn, rname, redges) == (tn, tname, tedges)
    np.testing.assert_allclose(rg, tg, rtol=1e-12, atol=1e-14)
    assert (rgx is None) == (tgx is None)
    if tgx is not None:
        np.testing.assert_allclose(rgx, tgx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rgv, tgv, rtol=1e-12, atol=1e-14)


def test_prelu_kernel_node_has_two_outputs():
    """Both gradients of prelu come from one PreluKernelBackwardBackward0 (outputs 0 and 1);
    differentiating either of them again matches torch, with only the weight requiring grad too."""
    for x_grad in (True, False):
        got = []
        for T in (torch, retrograd):
            x = T.tensor(X, requires_grad=x_grad)
            w = T.tensor(W, requires_grad=True)
            y = _F(T).prelu(x, w)
            v = T.tensor(np.sin(np.arange(12.0)).reshape(3, 4), requires_grad=True)
            wanted = (x, w) if x_grad else (w,)
            gs = T.autograd.grad(y, wanted, v, create_graph=True)
            node = gs[0].grad_fn
            names = [type(node).__name__, _edges(node)]
            seconds = T.autograd.grad(sum((g * g).sum() for g in gs), (w, v) + wanted[:1],
                                      allow_unused=True)
            got.append((names, [g.detach().numpy() for g in gs],
                        [None if s is None else s.numpy() for s in seconds]))
        (tn, tg, ts), (rn, rg, rs) = got
        assert rn == tn
        for a, b in zip(rg, tg):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
        for a, b in zip(rs, ts):
            assert (a is None) == (b is None)
            if b is not None:
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_rrelu_training_create_graph():
    """In training mode too the gradient is the RreluWithNoiseBackwardBackward0 node's, connected
    to x (a zero second derivative, not an error), with torch's sampled slopes (same seed)."""
    got = []
    for T in (torch, retrograd):
        T.manual_seed(7)
        x = T.tensor(X, requires_grad=True)
        (g,) = T.autograd.grad(_F(T).rrelu(x, 0.1, 0.3, training=True).sum(), x,
                               create_graph=True)
        (h,) = T.autograd.grad((g * g).sum(), x)
        got.append((g.grad_fn.name(), _edges(g.grad_fn), g.grad_fn._saved_training,
                    g.detach().numpy(), h.numpy()))
    assert got[1][:3] == got[0][:3] == ("RreluWithNoiseBackwardBackward0",
                                       [None, "torch::autograd::AccumulateGrad"], True)
    np.testing.assert_array_equal(got[1][3], got[0][3])
    np.testing.assert_array_equal(got[1][4], got[0][4])


@pytest.mark.parametrize("inplace", [False, True])
def test_celu_gradient_scale_is_torchs(inplace):
    """celu's gradient uses input_scale = 1 / alpha rounded to float32 first (torch's
    ``1.0/alpha.toFloat()``), which the create_graph node shows as _saved_input_scale."""
    got = []
    for T in (torch, retrograd):
        x = T.tensor(X, requires_grad=True)
        y = _F(T).celu(x * 1, 0.7, inplace=True) if inplace else T.celu(x, 0.7)
        (g,) = T.autograd.grad(y.sum(), x, create_graph=True)
        node = g.grad_fn if not inplace else g.grad_fn.next_functions[0][0]
        got.append((node.name(), node._saved_input_scale, node._saved_alpha,
                    node._saved_is_result, g.detach().numpy()))
    assert got[1][:4] == got[0][:4]
    assert got[0][1] != 1 / 0.7
    np.testing.assert_allclose(got[1][4], got[0][4], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("inplace", [False, True])
def test_hardsigmoid_has_no_double_backward(inplace):
    """torch records a NotImplemented node (edges only to inputs that require grad) for
    hardsigmoid_backward: the gradient requires grad, and differentiating it raises."""
    for v_grad in (False, True):
        got = []
        for T in (torch, retrograd):
            x = T.tensor(X, requires_grad=True)
            y = _F(T).hardsigmoid(x * 1, inplace=True) if inplace else _F(T).hardsigmoid(x)
            v = T.tensor(np.ones((3, 4)), requires_grad=v_grad)
            (g,) = T.autograd.grad(y, x, v, create_graph=True)
            node = g.grad_fn if not inplace else g.grad_fn.next_functions[0][0]
            with pytest.raises(RuntimeError) as err:
                T.autograd.grad(g.sum(), v if v_grad else x)
            got.append((g.requires_grad, node.name(), type(node).__name__,
                        len(node.next_functions), g.detach().numpy(), str(err.value)))
        assert got[1][:4] == got[0][:4]
        assert got[0][1] == "torch::autograd::NotImplemented"
        # (torch's float64 kernel multiplies by the float32 constant 1/6: a deliberate
        # difference of retrograd's, tests/test_edge_values.py DELIBERATE)
        np.testing.assert_allclose(got[1][4], got[0][4], rtol=1e-7)
        assert got[1][5] == got[0][5] == \
            "derivative for aten::hardsigmoid_backward is not implemented"
