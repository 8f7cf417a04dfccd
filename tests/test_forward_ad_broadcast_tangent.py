"""An in-place op on a tensor whose tangent is a broadcast (an elementwise op's expand of a smaller
input's tangent, what a tangent that carries a graph gets): the write must not be refused, and
the tangent, its value and its own gradient, must be torch 2.13's (whose tangents are laid out
as their primal is). Forward-over-reverse through mvlgamma's create_graph formula (PyTorch's
``args.digamma_()`` in place on ``offsets + x[..., None]``) is the case that met it.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

X = np.array([[3.0, 4.5], [5.25, 6.0]])
T = np.array([[1.0, -2.0], [0.5, 3.0]])
OFFSETS = np.array([-1.0, -0.5, 0.0])


def _inplace_on_broadcast_tangent(L, op):
    F = L.autograd.forward_ad
    x0 = L.tensor(X, requires_grad=True)
    t0 = L.tensor(T, requires_grad=True)
    with F.dual_level():
        x = F.make_dual(x0, t0)
        a = L.tensor(OFFSETS) + x.unsqueeze(-1)
        getattr(a, op)()
        primal, tangent = F.unpack_dual(a)
        tangent = tangent * 1.0   # (out of the level, as a plain tensor with a graph)
    (gt,) = L.autograd.grad(tangent.sum(), t0)
    return primal.detach().numpy(), tangent.detach().numpy(), gt.numpy()


@pytest.mark.parametrize("op", ["digamma_", "exp_", "sin_"])
def test_inplace_on_broadcast_tangent_matches_torch(op):
    ours = _inplace_on_broadcast_tangent(retrograd, op)
    ref = _inplace_on_broadcast_tangent(torch, op)
    for a, b in zip(ours, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_fwd_over_rev_through_mvlgamma_matches_torch():
    def run(L):
        F = L.autograd.forward_ad
        x0 = L.tensor(X, requires_grad=True)
        with F.dual_level():
            x = F.make_dual(x0, L.tensor(T))
            y = L.mvlgamma(x, 3)
            (g,) = L.autograd.grad(y, x, L.ones(2, 2, dtype=L.float64), create_graph=True)
            return F.unpack_dual(g).tangent.detach().numpy().copy()
    np.testing.assert_allclose(run(retrograd), run(torch), rtol=1e-12, atol=1e-12)
