"""create_graph=True through convolutions and normalization layers, against torch 2.13.

PyTorch records the first-order gradients of a convolution, batch norm and layer norm as the
outputs of one backward-kernel node (ConvolutionBackwardBackward0, NativeBatchNormBackward-
Backward0, NativeLayerNormBackwardBackward0) whose edges lead to grad_output, the input, the
weight (and, for layer norm, the statistics and the bias): the bias gradient is connected to
them too, so it requires grad. Group norm's is PyTorch's composite formula over the node's own
saved statistics. Compared here: the nodes, their edges in order, which outputs share a node,
requires_grad, and second- and third-order values (a gradient penalty through a small network).
tests/test_double_backward_graph.py compares every op-table row's node names.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd

RNG = np.random.default_rng(20261207)


def _arrays(*shapes):
    return [RNG.standard_normal(s) for s in shapes]


def _edges(node):
    return [None if f is None else type(f).__name__ for f, _ in node.next_functions]


def _leaves(T, arrays):
    return [T.tensor(a, dtype=T.float64, requires_grad=True) for a in arrays]


def _conv(T, x, w, b, transposed):
    F = T.nn.functional
    if transposed:
        return F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2)
    return F.conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2))


def _describe(T, fn, arrays, v):
    """Nodes, edges and output numbers of the first-order grads (create_graph=True), then the
    second-order grads of sum(g * g)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ins = _leaves(T, arrays)
        y = fn(T, *ins)
        gs = T.autograd.grad(y, ins, T.tensor(v, dtype=T.float64), create_graph=True)
        desc = [(None if g.grad_fn is None else type(g.grad_fn).__name__,
                 None if g.grad_fn is None else _edges(g.grad_fn), g.requires_grad,
                 g.grad_fn is gs[0].grad_fn, g.output_nr) for g in gs]
        total = sum((g * g).sum() for g in gs if g.requires_grad)
        seconds = T.autograd.grad(total, ins, allow_unused=True)
    return desc, [g.detach().numpy() for g in gs], \
        [None if s is None else s.numpy() for s in seconds]


CASES = {
    "conv2d": (lambda T, x, w, b: _conv(T, x, w, b, False), [(2, 2, 5, 4), (3, 2, 3, 2), (3,)]),
    "conv_transpose2d_groups": (lambda T, x, w, b: _conv(T, x, w, b, True),
                                [(1, 4, 3, 2), (4, 1, 3, 2), (2,)]),
    "batch_norm_train": (lambda T, x, w, b: T.nn.functional.batch_norm(
        x, None, None, w, b, training=True), [(4, 3, 2), (3,), (3,)]),
    "batch_norm_eval": (lambda T, x, w, b: T.nn.functional.batch_norm(
        x, T.arange(3, dtype=T.float64) * 0.1, T.arange(3, dtype=T.float64) + 0.5, w, b),
        [(2, 3, 4), (3,), (3,)]),
    "layer_norm": (lambda T, x, w, b: T.nn.functional.layer_norm(x, (2, 3), w, b),
                   [(2, 2, 3), (2, 3), (2, 3)]),
    "group_norm": (lambda T, x, w, b: T.nn.functional.group_norm(x, 2, w, b),
                   [(2, 4, 3), (4,), (4,)]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_first_order_grads_are_torchs_backward_nodes(name):
    fn, shapes = CASES[name]
    arrays = _arrays(*shapes)
    with torch.no_grad():
        out_shape = tuple(fn(torch, *[torch.tensor(a) for a in arrays]).shape)
    v = RNG.standard_normal(out_shape)
    ref = _describe(torch, fn, arrays, v)
    ours = _describe(retrograd, fn, arrays, v)
    assert ours[0] == ref[0]
    for a, b in zip(ours[1], ref[1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    for a, b in zip(ours[2], ref[2]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-11)


def _only_weight_then_bias(T, arrays):
    """A conv whose input needs no grad: the weight's gradient still requires grad (its node
    is connected to the weight); a bias-only conv's gradient needs no graph (none of
    grad_output, input, weight requires grad)."""
    x, w, b = arrays
    W = T.tensor(w, requires_grad=True)
    y = T.nn.functional.conv2d(T.tensor(x), W, T.tensor(b), padding=1)
    g, = T.autograd.grad(y.sum(), W, create_graph=True)
    # connected to W, but no derivative flows back to it: None (allow_unused) as in torch,
    # where a gradient without a graph would raise
    h, = T.autograd.grad(g.sum(), W, retain_graph=True, allow_unused=True)
    k, = T.autograd.grad((g * g).sum(), W, allow_unused=True)
    B = T.tensor(b, requires_grad=True)
    gb, = T.autograd.grad(T.nn.functional.conv2d(T.tensor(x), T.tensor(w), B).sum(), B,
                          create_graph=True)
    return (type(g.grad_fn).__name__, _edges(g.grad_fn), g.requires_grad, h, k,
            gb.requires_grad, gb.grad_fn)


def test_conv_gradient_without_input_grad():
    arrays = _arrays((1, 2, 4, 4), (3, 2, 3, 3), (3,))
    assert _only_weight_then_bias(retrograd, arrays) == _only_weight_then_bias(torch, arrays)


def _saved(T):
    x = T.tensor(np.arange(24.0).reshape(2, 3, 4) / 7, requires_grad=True)
    w = T.tensor([0.5, -1.0, 2.0], dtype=T.float64, requires_grad=True)
    y = T.nn.functional.batch_norm(x, None, None, w, None, training=True)
    g, = T.autograd.grad((y * y).sum(), x, create_graph=True)
    n = g.grad_fn
    z = T.nn.functional.layer_norm(x, (4,), eps=1e-3)
    h, = T.autograd.grad((z * z).sum(), x, create_graph=True)
    m = h.grad_fn
    return (n._saved_train, n._saved_eps, tuple(n._saved_save_mean.shape),
            np.round(n._saved_save_invstd.detach().numpy(), 10).tolist(),
            n._saved_running_mean, n._saved_weight.tolist(),
            m._saved_normalized_shape, tuple(m._saved_mean.shape), m._saved_weight)


def test_saved_values_of_the_norm_backward_nodes():
    assert _saved(retrograd) == _saved(torch)


def _penalty(T, params, x):
    """A WGAN-GP style gradient penalty through conv, batch norm, group norm and layer norm:
    the gradients of the penalty with respect to every parameter (third-order terms of the
    network's ops are what they differentiate)."""
    F = T.nn.functional
    w1, b1, g1, be1, w2, b2, g2, be2, lw = [T.tensor(p, requires_grad=True) for p in params]
    xin = T.tensor(x, requires_grad=True)
    h = F.conv2d(xin, w1, b1, padding=1)
    h = F.batch_norm(h, None, None, g1, be1, training=True)
    h = T.tanh(h)
    h = F.conv_transpose2d(h, w2, b2, stride=2)
    h = F.group_norm(h, 2, g2, be2)
    h = F.layer_norm(h, h.shape[-2:])
    out = (h * T.tensor(lw)).sum()
    gx, = T.autograd.grad(out, xin, create_graph=True)
    pen = ((gx.flatten(1).norm(dim=1) - 1) ** 2).mean()
    leaves = [w1, b1, g1, be1, w2, b2, g2, be2]
    grads = T.autograd.grad(pen, leaves, allow_unused=True)
    return [None if g is None else g.numpy() for g in grads]


def test_gradient_penalty_through_conv_and_norms():
    params = _arrays((4, 2, 3, 3), (4,), (4,), (4,), (4, 2, 2, 2), (2,), (2,), (2,), (2, 6, 6))
    x = RNG.standard_normal((2, 2, 3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, ref = _penalty(retrograd, params, x), _penalty(torch, params, x)
    for a, b in zip(ours, ref):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def _unsqueeze_(T):
    x = T.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = (x * 1).unsqueeze_(-1)
    g, = T.autograd.grad((y ** 3).sum(), x, create_graph=True)
    return (type(y.grad_fn).__name__, y.grad_fn._saved_dim, tuple(y.shape), y._version,
            g.tolist(), T.autograd.grad(g.sum(), x)[0].tolist())


def test_unsqueeze_inplace():
    assert _unsqueeze_(retrograd) == _unsqueeze_(torch)
