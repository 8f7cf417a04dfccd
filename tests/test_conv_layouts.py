"""The convolution kernels' layouts and paths against torch (values, input and weight gradients,
double backward): the virtual-row layout (stride 1 along the last dim, two dims merged or not in
the col2im adds, rows of W + p where a row's right padding is the next one's left padding, or of
W + 2p), padded GEMM row pitches (the CNN benchmark's conv2, whose unpadded pitch is a
multiple of 4 KiB), the weight gradient as one product per example (a small result over a long
sum) or one GEMM, groups, the transposed convolution whose input gradient is cut (output_padding
reaching past the stride), gradients wanted for the input or the weight alone, an empty batch,
and float16 (computed in float32)."""
from __future__ import annotations

import numpy as np
import pytest

import retrograd
import torch

R = np.random.default_rng(7)


def _arr(*shape):
    return R.uniform(-1, 1, shape)


# (input shape, weight shape, kwargs): each hits a path named in its id
CASES = {
    # the CNN's conv2: rows layout, row pitch 32*14*16 floats (padded), weight GEMM in one
    "cnn_conv2_rows_padded_pitch": ((32, 16, 14, 14), (32, 16, 3, 3), dict(padding=1)),
    # the CNN's conv1: 9 x 16 weight gradient over 32*28*30 columns, one product per example
    "cnn_conv1_weight_per_example": ((32, 1, 28, 28), (16, 1, 3, 3), dict(padding=1)),
    "groups_per_example": ((3, 4, 7, 6), (6, 2, 3, 2), dict(padding=(1, 2), groups=2)),
    "groups_one_gemm": ((2, 6, 5, 5), (64, 3, 3, 3), dict(padding=1, groups=2)),
    "dilated_rows": ((2, 3, 9, 8), (4, 3, 3, 3), dict(padding=2, dilation=2)),
    "strided_rows_not_merged_3d": ((2, 2, 5, 6, 7), (3, 2, 2, 3, 3),
                                   dict(padding=1, stride=(1, 2, 1))),
    "strided_no_rows": ((2, 3, 8, 9), (5, 3, 3, 3), dict(padding=1, stride=2)),
    "one_by_one": ((2, 5, 4, 3), (7, 5, 1, 1), {}),
    # padding past the kernel's reach along the last dim: rows of W + 2p (not shared)
    "padding_past_kernel_rows": ((2, 3, 6, 7), (4, 3, 3, 1), dict(padding=1)),
    "conv1d_rows_off": ((3, 2, 11), (4, 2, 3), dict(padding=1)),
    "empty_batch": ((0, 3, 6, 6), (4, 3, 3, 3), dict(padding=1)),
}

TRANSPOSED = {
    # dilation 3 > stride 2 lets output_padding 2 reach past the stride: the input gradient
    # (a convolution of the output gradient) has one more position, cut off
    "cut_input_gradient": ((2, 4, 4, 5), (4, 3, 3, 2),
                           dict(stride=2, padding=1, output_padding=2, dilation=3)),
    "groups_rows": ((2, 4, 5, 5), (4, 2, 3, 3), dict(padding=1, groups=2)),
    "strided": ((2, 3, 4, 3), (3, 5, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    # stride 1: rows whose right padding is the next row's left padding (pitch W + p)
    "shared_padding_rows": ((2, 3, 6, 9), (3, 4, 3, 3),
                            dict(padding=2, dilation=2, output_padding=1)),
}


def _run(T, x, w, kw, transposed, wants=(True, True), dtype="float64", create_graph=False):
    F = T.nn.functional
    dt = getattr(T, dtype)
    xt = T.tensor(x, dtype=dt, requires_grad=wants[0])
    wt = T.tensor(w, dtype=dt, requires_grad=wants[1])
    nd = w.ndim - 2
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
    else:
        fn = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    y = fn(xt, wt, None, **kw)
    gy = T.tensor(np.random.default_rng(3).uniform(-1, 1, tuple(y.shape)), dtype=dt)
    leaves = [t for t, want in zip((xt, wt), wants) if want]
    grads = T.autograd.grad(y, leaves, gy, create_graph=create_graph)
    out = [y.grad_fn.name(), y.detach().double().numpy()]
    out += [g.detach().double().numpy() for g in grads]
    if create_graph:   # a second derivative through both gradients
        s = sum((g * g).sum() for g in grads)
        out += [g.detach().double().numpy() for g in T.autograd.grad(s, leaves)]
    return out


def _compare(mine, ref, rtol, atol):
    assert mine[0] == ref[0]
    for a, b in zip(mine[1:], ref[1:]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", sorted(CASES))
def test_convolution_paths_like_torch(case):
    xs, ws, kw = CASES[case]
    x, w = _arr(*xs), _arr(*ws)
    _compare(_run(retrograd, x, w, kw, False), _run(torch, x, w, kw, False), 1e-10, 1e-10)


@pytest.mark.parametrize("case", sorted(TRANSPOSED))
def test_transposed_paths_like_torch(case):
    xs, ws, kw = TRANSPOSED[case]
    x, w = _arr(*xs), _arr(*ws)
    _compare(_run(retrograd, x, w, kw, True), _run(torch, x, w, kw, True), 1e-10, 1e-10)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("wants", [(True, False), (False, True)])
def test_one_gradient_wanted(transposed, wants):
    xs, ws, kw = (TRANSPOSED["cut_input_gradient"] if transposed else
                  CASES["groups_per_example"])
    x, w = _arr(*xs), _arr(*ws)
    _compare(_run(retrograd, x, w, kw, transposed, wants),
             _run(torch, x, w, kw, transposed, wants), 1e-10, 1e-10)


@pytest.mark.parametrize("transposed", [False, True])
def test_double_backward_through_both_gradients(transposed):
    xs, ws, kw = (TRANSPOSED["cut_input_gradient"] if transposed else
                  CASES["groups_per_example"])
    x, w = _arr(*xs), _arr(*ws)
    _compare(_run(retrograd, x, w, kw, transposed, create_graph=True),
             _run(torch, x, w, kw, transposed, create_graph=True), 1e-10, 1e-10)


def test_float16_is_computed_in_float32():
    xs, ws, kw = CASES["dilated_rows"]
    x, w = _arr(*xs), _arr(*ws)
    mine = _run(retrograd, x, w, kw, False, dtype="float16")
    ref = _run(torch, x, w, kw, False, dtype="float16")
    # both round float32 sums to float16: at most a unit in the last place apart
    _compare(mine, ref, 2e-3, 2e-3)
