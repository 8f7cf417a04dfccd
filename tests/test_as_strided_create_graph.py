"""as_strided's gradient under create_graph=True, against torch 2.13: the graph PyTorch's
as_strided_backward records (the output's size-1 dims squeezed and stride-0 dims summed, the
gradient copied into a zero storage through an as_strided view of it — CopySlices — or
index_add_'ed where the output overlaps itself, divided by the count where the input overlaps,
and read back as AsStridedBackward0), its values, and its derivative with respect to the incoming
gradient.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd
from test_double_backward_graph import _names

CASES = {
    "plain": ((3, 4), lambda x: x.as_strided((2, 2), (1, 3), 1)),
    "overlapping_out": ((3, 4), lambda x: x.as_strided((3, 3), (1, 1))),
    "expanded_in_zero_stride_out": ((3, 4), lambda x: (x * 1).expand(2, 3, 4)
                                    .as_strided((2, 3), (0, 1))),
    "transposed_size_one_dim": ((3, 4), lambda x: (x * 1).t().as_strided((2, 1, 3), (1, 5, 4),
                                                                         2)),
    "expanded_in_offset": ((1, 4), lambda x: (x * 1).expand(3, 4).as_strided((3, 2), (0, 2), 1)),
    "view_after_base_inplace": ((3, 4), lambda x: _view_after_inplace(x)),
}


def _view_after_inplace(x):
    b = x * 1
    v = b[1:]
    b.mul_(2)   # v's grad_fn is now AsStridedBackward0 of b's new history
    return v


def _run(T, shape, fn):
    a = np.random.default_rng(0).standard_normal(shape)
    x = T.tensor(a, requires_grad=True)
    y = fn(x)
    go = T.tensor(np.linspace(-1.0, 1.0, y.numel()).reshape(tuple(y.shape)), requires_grad=True)
    g, = T.autograd.grad(y, x, go, create_graph=True)
    v = T.tensor(np.arange(x.numel(), dtype=np.float64).reshape(shape))
    gg, = T.autograd.grad((g * v).sum(), go)
    return g.detach().numpy().copy(), _names(g), gg.numpy().copy()


@pytest.mark.parametrize("name", list(CASES))
def test_as_strided_create_graph_matches_torch(name):
    shape, fn = CASES[name]
    g, names, gg = _run(retrograd, shape, fn)
    tg, tnames, tgg = _run(torch, shape, fn)
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gg, tgg, rtol=1e-12, atol=1e-12)
    assert names == tnames
