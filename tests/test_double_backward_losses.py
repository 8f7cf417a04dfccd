"""The backward kernels of softmax, log_softmax and the losses as nodes under create_graph, against
torch 2.13: the node a first-order gradient gets, its inputs in order (next_functions), its dtype,
and what a second ``autograd.grad`` gives where the kernel's derivative is zero (nll_loss: zeros,
not "does not require grad")."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import retrograd


def _name(node: Any) -> str | None:
    if node is None:
        return None
    name = node.name()
    return "AccumulateGrad" if "AccumulateGrad" in name else name


def _t(T: Any, a, dtype: str, grad: bool = True):
    return T.tensor(np.asarray(a), dtype=getattr(T, dtype), requires_grad=grad)


X34 = np.array([[0.3, -1.2, 0.8, 0.1], [1.5, -0.4, 0.2, -0.9], [0.05, 0.7, -1.1, 0.6]])
P34 = np.array([[0.2, 0.9, 0.4, 0.6], [0.7, 0.1, 0.5, 0.3], [0.8, 0.25, 0.35, 0.95]])
V34 = np.array([[1.0, -0.5, 0.25, 2.0], [-1.5, 0.75, 0.5, -0.25], [0.3, -0.6, 1.2, 0.9]])


def _cases(T: Any, dtype: str) -> dict:
    """name -> (gradient taken with create_graph=True whose grad_fn is checked, the leaves)."""
    F = T.nn.functional
    x, y, p = _t(T, X34, dtype), _t(T, X34[::-1].copy(), dtype), _t(T, P34, dtype)
    v, s = _t(T, V34, dtype), _t(T, 0.7, dtype)
    q = _t(T, P34[::-1].copy(), dtype, False)
    t = T.tensor([0, 2, 1])
    x4 = _t(T, np.arange(48.0).reshape(2, 4, 2, 3) / 17 - 1, dtype)
    t4 = T.tensor([[[0, 1, 2], [3, 0, 1]], [[2, 2, 0], [1, 3, 3]]])

    def g(out, wrt, go):
        return T.autograd.grad(out, wrt, go, create_graph=True)

    return {
        "softmax": g(F.softmax(x, 1), x, v),
        "log_softmax": g(F.log_softmax(x, 0), x, v),
        "nll_loss": g(F.nll_loss(x, t), x, s),
        "nll_loss_none": g(F.nll_loss(x, t, reduction="none"), x, v[:, 0]),
        "nll_loss2d": g(F.nll_loss(x4, t4), x4, s),
        "cross_entropy": g(F.cross_entropy(x, t), x, s),
        "mse_loss": g(F.mse_loss(x, y), (x, y), s),
        "huber_loss_none": g(F.huber_loss(x, y, reduction="none", delta=0.5), (x, y), v),
        "smooth_l1_loss": g(F.smooth_l1_loss(x, y, reduction="sum", beta=0.5), (x, y), s),
        "binary_cross_entropy": g(F.binary_cross_entropy(p, q), p, s),
        "soft_margin_loss": g(F.soft_margin_loss(x, T.sign(y.detach())), x, s),
    }


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kernel_nodes_and_their_inputs_match_torch(dtype):
    ours, ref = _cases(retrograd, dtype), _cases(torch, dtype)
    for name in ref:
        for a, b in zip(ours[name], ref[name]):
            assert a.requires_grad and b.requires_grad, name
            assert _name(a.grad_fn) == _name(b.grad_fn), name
            assert [_name(n) for n, _ in a.grad_fn.next_functions] == \
                [_name(n) for n, _ in b.grad_fn.next_functions], name
            assert str(a.dtype) == str(b.dtype), name
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(),
                                       rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-7,
                                       err_msg=name)


@pytest.mark.parametrize("T", [retrograd, torch], ids=["retrograd", "torch"])
def test_nll_loss_gradient_is_connected_to_the_input_with_a_zero_derivative(T):
    x = _t(T, X34, "float64")
    (g,) = T.autograd.grad(T.nn.functional.nll_loss(x, T.tensor([0, 2, 1])), x,
                           create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "NllLossBackwardBackward0"
    (h,) = T.autograd.grad((g * _t(T, V34, "float64", False)).sum(), x)
    np.testing.assert_array_equal(h.numpy(), np.zeros((3, 4)))


def test_cross_entropy_hessian_vector_product_matches_torch():
    out = []
    for T in (retrograd, torch):
        x = _t(T, X34, "float64")
        (g,) = T.autograd.grad(T.nn.functional.cross_entropy(x, T.tensor([3, 0, 1])), x,
                               create_graph=True)
        (h,) = T.autograd.grad(g, x, _t(T, V34, "float64", False))
        out.append(h.numpy())
    np.testing.assert_allclose(out[0], out[1], rtol=1e-12, atol=1e-14)


def test_the_first_order_path_records_nothing():
    x = _t(retrograd, X34, "float64")
    F = retrograd.nn.functional
    for loss in (F.cross_entropy(x, retrograd.tensor([0, 2, 1])), F.softmax(x, 1).sum(),
                 F.mse_loss(x, retrograd.zeros(3, 4, dtype=retrograd.float64))):
        (g,) = retrograd.autograd.grad(loss, x)
        assert not g.requires_grad and g.grad_fn is None
