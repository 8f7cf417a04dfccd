"""Third derivatives through batch, layer, group and instance norm against torch 2.13.

Under ``create_graph=True`` the backward of NativeBatchNormBackwardBackward0 and
NativeLayerNormBackwardBackward0 is PyTorch's batchnorm_double_backward /
layer_norm_double_backward op for op, over the saved mean and invstd as constants (PyTorch's
saved statistics do not require grad): the third derivative then leaves out the statistics'
dependence on the input, as PyTorch's does, so its values are PyTorch's and not the exact
ones (torch's own gradgradcheck of these first-order gradients fails). Compared here, with
grad_output constant and requiring grad (which brings in d/dgrad_out's graph): the second-order
gradients' values, requires_grad and node names, and the third-order values; and PyTorch's
error for a norm with a bias but no weight (its formulas add an undefined bias term).
tests/test_triple_backward_graph.py compares the node names of every op-table row.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd
from test_double_backward_graph import _names


def _stats(T, c):
    return (T.arange(c, dtype=T.float64) * 0.1 - 0.1, T.arange(c, dtype=T.float64) * 0.5 + 0.5)


CASES = {
    "batch_norm_train": (lambda T, x, w, b: T.nn.functional.batch_norm(
        x, None, None, w, b, training=True), [(4, 3, 2), (3,), (3,)]),
    "batch_norm_train_4d_weight_only": (lambda T, x, w: T.nn.functional.batch_norm(
        x, None, None, w, training=True), [(2, 3, 2, 2), (3,)]),
    "batch_norm_train_2d_no_affine": (lambda T, x: T.nn.functional.batch_norm(
        x, None, None, training=True), [(5, 3)]),
    "batch_norm_eval": (lambda T, x, w, b: T.nn.functional.batch_norm(
        x, *_stats(T, 3), w, b), [(2, 3, 4), (3,), (3,)]),
    "layer_norm": (lambda T, x, w, b: T.nn.functional.layer_norm(x, (4,), w, b),
                   [(2, 3, 4), (4,), (4,)]),
    "layer_norm_2d": (lambda T, x, w, b: T.nn.functional.layer_norm(x, (3, 4), w, b),
                      [(2, 3, 4), (3, 4), (3, 4)]),
    "layer_norm_no_affine": (lambda T, x: T.nn.functional.layer_norm(x, (3, 4), eps=1e-3),
                             [(2, 3, 4)]),
    "group_norm": (lambda T, x, w, b: T.nn.functional.group_norm(x, 2, w, b),
                   [(2, 4, 3), (4,), (4,)]),
    "instance_norm": (lambda T, x, w, b: T.nn.functional.instance_norm(x, None, None, w, b),
                      [(2, 3, 4), (3,), (3,)]),
}


def _third(T, fn, arrays, go_requires_grad):
    """Second-order gradients (values, requires_grad, node names) and third-order values of
    random projections, grad_output constant or a leaf."""
    rng = np.random.default_rng(7)
    ins = [T.tensor(a, dtype=T.float64, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(T, *ins)
        go = T.tensor(rng.standard_normal(tuple(y.shape)), dtype=T.float64,
                      requires_grad=go_requires_grad)
        wrt = ins + [go] if go_requires_grad else ins
        firsts = T.autograd.grad(y, ins, go, create_graph=True)
        s1 = sum((g * T.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in firsts
                 if g.requires_grad)
        seconds = T.autograd.grad(s1, wrt, create_graph=True, allow_unused=True)
        live = [g for g in seconds if g is not None and g.requires_grad]
        s2 = sum((g * T.tensor(rng.standard_normal(tuple(g.shape)))).sum() for g in live)
        thirds = T.autograd.grad(s2, wrt, allow_unused=True) if live else [None] * len(wrt)
    second = [None if g is None else
              (g.detach().numpy(), g.requires_grad, _names(g) if g.requires_grad else None)
              for g in seconds]
    return second, [None if g is None else g.numpy() for g in thirds]


@pytest.mark.parametrize("go_requires_grad", [False, True], ids=["go_const", "go_leaf"])
@pytest.mark.parametrize("name", list(CASES))
def test_third_order_is_torchs(name, go_requires_grad):
    fn, shapes = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    arrays = [rng.standard_normal(s) for s in shapes]
    ours = _third(retrograd, fn, arrays, go_requires_grad)
    ref = _third(torch, fn, arrays, go_requires_grad)
    for a, b in zip(ours[0], ref[0]):
        assert (a is None) == (b is None)
        if a is not None:
            assert a[1:] == b[1:]
            np.testing.assert_allclose(a[0], b[0], rtol=1e-9, atol=1e-11)
    for a, b in zip(ours[1], ref[1]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


def _bias_only(T, which, loss, create_graph):
    F = T.nn.functional
    x = T.tensor(np.arange(24.0).reshape(2, 3, 4) % 5 / 3, requires_grad=True)
    b = T.tensor([0.5, -1.0, 2.0, 0.25][:4 if which == "layer" else 3], dtype=T.float64,
                 requires_grad=True)
    if which == "layer":
        y = F.layer_norm(x, (4,), None, b)
    elif which == "batch":
        y = F.batch_norm(x, None, None, None, b, training=True)
    else:
        y = F.batch_norm(x, *_stats(T, 3), None, b)
    gx, gb = T.autograd.grad(y, (x, b), T.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4)),
                             create_graph=True)
    total = {"both": (gx * gx).sum() + (gb * gb).sum(), "dx": (gx * gx).sum(),
             "dbias": (gb * gb).sum()}[loss]
    try:
        r = T.autograd.grad(total, (x, b), allow_unused=True, create_graph=create_graph)
    except RuntimeError as e:
        return "RuntimeError", str(e)
    return [None if g is None else np.round(g.detach().numpy(), 10).tolist() for g in r]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("loss", ["both", "dx", "dbias"])
@pytest.mark.parametrize("which", ["layer", "batch", "batch_eval"])
def test_bias_without_weight_second_order(which, loss, create_graph):
    """PyTorch raises when both dx and dbias of a weightless norm get gradients (its formulas
    add the bias's term, undefined without a weight); one alone goes through."""
    assert _bias_only(retrograd, which, loss, create_graph) == \
        _bias_only(torch, which, loss, create_graph)


def _bias_only_grad_out(T, which, create_graph):
    """d/dgrad_out of |dbias|^2 for a weightless norm: PyTorch's formulas drop the bias's term
    there without a weight, so grad_out gets no gradient (None)."""
    F = T.nn.functional
    x = T.tensor(np.arange(24.0).reshape(2, 3, 4) % 5 / 3, requires_grad=True)
    b = T.tensor(np.linspace(-1, 1, 4 if which == "layer" else 3), requires_grad=True)
    y = F.layer_norm(x, (4,), None, b) if which == "layer" else \
        F.batch_norm(x, None, None, None, b, training=True)
    go = T.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4), requires_grad=True)
    gb, = T.autograd.grad(y, b, go, create_graph=True)
    r = T.autograd.grad((gb * gb).sum(), (go, x), allow_unused=True, create_graph=create_graph)
    return [None if g is None else np.round(g.detach().numpy(), 10).tolist() for g in r]


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("which", ["layer", "batch"])
def test_bias_without_weight_grad_out(which, create_graph):
    assert _bias_only_grad_out(retrograd, which, create_graph) == \
        _bias_only_grad_out(torch, which, create_graph)
