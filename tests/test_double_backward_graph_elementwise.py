"""The create_graph graph of the core elementwise ops when the incoming gradient itself requires
grad (a gradient penalty's graph, third order): PyTorch's C++ formulas then also record the
Scalar overloads applied to ``grad`` (``-0.5 * grad`` is MulBackward1, ``grad / sqrt(2 pi)``
DivBackward1, ...). For each row: the first-order gradients' requires_grad and reachable node
names, and the second-order gradients of sum(g * v) with respect to the inputs *and* to the
incoming gradient, compared with torch 2.13 (test_double_backward_graph.py checks the case of a
constant incoming gradient for every row)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd
from op_db import OP_DB
from test_double_backward_graph import _names
from test_ops import _float_outputs, _leaves, _np

ROWS = ["pow_scalar_2", "pow_scalar_half", "rpow", "pow_tensor", "abs", "sqrt", "rsqrt",
        "exp2", "expm1", "log2", "log1p", "tan", "asin", "acos", "asinh", "acosh", "atanh",
        "sinc", "atan2", "erf", "erfinv", "special_erfcx", "special_ndtri", "special_log_ndtr",
        "special_multigammaln", "logit_eps", "xlogy", "special_xlog1py",
        "special_xlog1py_scalar_self", "special_entr", "fmod_tensor", "copysign",
        "lerp_tensor", "addcmul_value", "addcdiv", "logaddexp", "logaddexp2", "float_power_tensor",
        "scatter_reduce_prod_exclude_self", "sin_", "mul_", "div_", "pow__tensor", "abs_",
        "deg2rad", "rad2deg", "xlogy_scalar_other", "special_xlog1py_scalar_other", "nan_to_num",
        "lerp_scalar", "fmax", "fmin", "add__alpha", "sub__alpha", "rsub_alpha", "rsub_tensors",
        "maximum", "minimum", "tie_maximum", "tie_minimum"]
_BY_NAME = {r.name: r for r in OP_DB}


def _run(lib, row, arrays, gouts, vs):
    inputs = _leaves(lib, arrays, ["float64"] * len(arrays))
    outs = _float_outputs(lib, row.fn(lib, *inputs))
    gos = [lib.tensor(g, dtype=lib.float64, requires_grad=True) for g in gouts]
    firsts = lib.autograd.grad(outs, inputs, grad_outputs=gos, create_graph=True,
                               allow_unused=True)
    graphs = [None if g is None else (g.requires_grad, _names(g) if g.requires_grad else None)
              for g in firsts]
    terms = [(g * lib.tensor(v, dtype=lib.float64)).sum() for g, v in zip(firsts, vs)
             if g is not None and g.requires_grad]
    wrt = list(inputs) + gos
    got = lib.autograd.grad(sum(terms), wrt, allow_unused=True)
    shapes = [a.shape for a in arrays] + [np.shape(g) for g in gouts]
    seconds = [np.zeros(s) if g is None else _np(g) for g, s in zip(got, shapes)]
    return graphs, seconds


@pytest.mark.parametrize("name", ROWS)
def test_graph_with_a_differentiable_incoming_gradient(name):
    row = _BY_NAME[name]
    arrays = row.inputs()
    rng = np.random.default_rng([row.seed, 11])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_outs = _float_outputs(torch, row.fn(torch, *[torch.tensor(a) for a in arrays]))
        gouts = [rng.standard_normal(tuple(o.shape)) for o in ref_outs]
        vs = [rng.standard_normal(a.shape) for a in arrays]
        ref = _run(torch, row, arrays, gouts, vs)
        ours = _run(retrograd, row, arrays, gouts, vs)
    assert ours[0] == ref[0]
    for a, b in zip(ours[1], ref[1]):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("fn", ["xlogy", "special.xlog1py"])
@pytest.mark.parametrize("c", [-3.0, -1.0, 0.0, 2.0])
def test_xlogy_scalar_other_outside_the_domain(fn, c):
    """x log(c) for c outside log's domain: the gradient is 0 where x == 0 and, as PyTorch
    computes it with xlogy(grad, c), where the incoming gradient is 0 (not 0 * NaN)."""
    x = np.array([0.0, 1.5, -2.0, 0.3])
    res = []
    for T in (torch, retrograd):
        t = T.tensor(x, requires_grad=True)
        f = T.xlogy if fn == "xlogy" else T.special.xlog1py
        g0 = T.tensor([1.0, 0.0, 2.0, 1.0], requires_grad=True)
        g, = T.autograd.grad(f(t, c), t, g0, create_graph=True)
        h, = T.autograd.grad(g.sum(), g0)
        res.append((type(g.grad_fn).__name__, g.detach().numpy().copy(), h.numpy().copy()))
    assert res[1][0] == res[0][0]
    np.testing.assert_allclose(res[1][1], res[0][1], equal_nan=True)
    np.testing.assert_allclose(res[1][2], res[0][2], equal_nan=True)
