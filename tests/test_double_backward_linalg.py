"""The create_graph graphs of the products and linalg ops, node for node against torch 2.13.

``test_double_backward_graph.py`` compares the *set* of node names reachable from each
first-order gradient under a constant incoming gradient. Here the whole graph is compared as a
tree (names, edge order, shared nodes, ``None`` edges), also with incoming gradients that
require grad (their path through the backward formula is then recorded too), plus what the op
table does not reach: column-major operands (PyTorch computes their gradients transposed),
determinants of 1x1 and empty matrices, and derivatives of third order through the backward
kernels recorded as ops (DiagonalBackwardBackward0, SliceBackwardBackward0).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from op_db import OP_DB
from test_ops import _float_outputs, _leaves

ROWS = {r.name: r for r in OP_DB}

# rows whose create_graph graph is torch's, edge for edge
EXACT = """
matmul_2d_1d matmul_1d_2d matmul_2d_2d matmul_3d_3d matmul_broadcast_batch matmul_3d_1d
matmul_3d_2d linalg_matmul dot mm mv bmm addmm addmm_broadcast addmm_method addmm_inplace addmv
addmv_broadcast addr addbmm baddbmm baddbmm_broadcast tensordot_int tensordot_broadcast_dim
mvlgamma det_method_1x1 slogdet_batched linalg_inv linalg_solve
linalg_solve_right linalg_solve_broadcast solve_triangular_upper solve_triangular_lower_right
solve_triangular_unit triangular_solve triangular_solve_lower_t_unit linalg_cholesky
linalg_cholesky_upper_batched cholesky_legacy cholesky_solve cholesky_solve_upper linalg_qr_wide
linalg_eigh linalg_eigh_upper_batched linalg_eigvalsh linalg_svd linalg_svd_tall
linalg_svd_wide_batched linalg_svd_full linalg_svd_reconstruct svd_legacy linalg_svdvals
linalg_pinv linalg_pinv_hermitian linalg_lstsq linalg_lstsq_residuals_vector matrix_power_5
matrix_power_3_batched matrix_power_neg2 linalg_matrix_exp matrix_exp_batched_large einsum_mm
einsum_outer einsum_ellipsis einsum_three einsum_bilinear einsum_repeat_sum diagonal
""".split()
# (not linalg_det / det_batched: det's create_graph gradient is det * A^{-T}, through
# LinalgInvExBackward0, where PyTorch solves A^H X = diag(g det)^T; near a singular matrix that
# solve returns noise (tests/test_singular_gradients.py); see KNOWN in test_double_backward_graph)


def _tree(node: Any, seen: set) -> str:
    if node is None:
        return "None"
    name = node.name()
    if "AccumulateGrad" in name:
        return "Acc"
    if id(node) in seen:
        return name + "*"
    seen.add(id(node))
    return name + "(" + ",".join(_tree(f, seen) for f, _ in node.next_functions) + ")"


def _trees(lib: Any, row, graph_grads: bool) -> list:
    arrays = row.inputs()
    ref = _float_outputs(torch, row.fn(torch, *[torch.tensor(a) for a in arrays]))
    rng = np.random.default_rng([row.seed, 11])
    gouts = [rng.standard_normal(tuple(o.shape)) for o in ref]
    inputs = _leaves(lib, arrays, ["float64"] * len(arrays))
    outs = _float_outputs(lib, row.fn(lib, *inputs))
    gos = [lib.tensor(g, dtype=lib.float64, requires_grad=graph_grads) for g in gouts]
    firsts = lib.autograd.grad(outs, inputs, grad_outputs=gos, create_graph=True,
                               allow_unused=True)
    return [None if g is None else
            (_tree(g.grad_fn, set()) if g.requires_grad else "constant") for g in firsts]


@pytest.mark.parametrize("graph_grads", [False, True], ids=["constant_grad", "graph_grad"])
@pytest.mark.parametrize("name", EXACT)
def test_create_graph_tree_is_torchs(name: str, graph_grads: bool):
    row = ROWS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _trees(retrograd, row, graph_grads) == _trees(torch, row, graph_grads)


def _both(fn, *arrays):
    """fn(lib, *leaves) -> (output, leaves) run in both libraries."""
    out = []
    for lib in (retrograd, torch):
        leaves = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in arrays]
        out.append((lib, fn(lib, *leaves), leaves))
    return out


@pytest.mark.parametrize("case", ["mm", "addmm", "addmm_alpha"])
def test_column_major_operands_get_pytorchs_transposed_formula(case):
    """mm_mat1/mat2_backward compute a column-major operand's gradient as (B g^T)^T /
    (g^T A)^T: a TBackward0 on top of the product."""
    rng = np.random.default_rng(3)
    a0, b0, c = rng.standard_normal((4, 3)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    fns = {
        "mm": lambda T, a, b, c: a.t().mm(b.t()),
        "addmm": lambda T, a, b, c: T.addmm(c, a.t(), b.t()),
        "addmm_alpha": lambda T, a, b, c: T.addmm(c, a.t(), b.t(), beta=0.5, alpha=3),
    }
    results = []
    for lib, out, leaves in _both(fns[case], a0, b0, c):
        go = lib.tensor(rng.standard_normal((3, 5)) if lib is retrograd else results[0][2],
                        dtype=lib.float64, requires_grad=True)
        grads = lib.autograd.grad(out, leaves[:2], go, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in grads), [*leaves[:2], go])
        results.append(([_tree(g.grad_fn, set()) for g in grads],
                        [np.asarray(s.detach().numpy()) for s in second], go.detach().numpy()))
    (ours, ours_2nd, _), (theirs, theirs_2nd, _) = results
    assert ours == theirs
    assert all(t.startswith("TBackward0(") or "TBackward0(MmBackward0" in t for t in ours)
    for x, y in zip(ours_2nd, theirs_2nd):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1), (3, 1, 1), (0, 0), (2, 0, 0), (3, 0, 1, 1)])
def test_det_of_1x1_and_empty_matrices(shape):
    """det of a 1x1 matrix is its entry: PyTorch's gradient is the incoming one, expanded (no
    path to A, so with a constant incoming gradient it does not require grad); of an empty
    matrix, zeros."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape)
    got = []
    for lib in (retrograd, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        d = lib.linalg.det(x)
        go = lib.tensor(np.arange(1.0, d.numel() + 1).reshape(tuple(d.shape)), dtype=lib.float64)
        g, = lib.autograd.grad(d, x, go, create_graph=True)
        go2 = go.clone().requires_grad_(True)
        g2, = lib.autograd.grad(lib.linalg.det(x), x, go2, create_graph=True)
        got.append((g.requires_grad, g.detach().numpy().tolist(), tuple(g.shape),
                    g2.requires_grad, None if g2.grad_fn is None else _tree(g2.grad_fn, set())))
    assert got[0] == got[1]


@pytest.mark.parametrize("case", ["diagonal", "slice"])
def test_third_order_through_the_backward_kernels(case):
    """grad of grad of x.diagonal() / x[:, 1:3] with respect to the incoming gradient: the
    backward kernels (DiagonalBackwardBackward0, SliceBackwardBackward0) are ops whose own
    backward takes the diagonal / slice again."""
    rng = np.random.default_rng(9)
    x0 = rng.standard_normal((3, 4))
    view = {"diagonal": lambda t: t.diagonal(1, 0, 1) * t.diagonal(1, 0, 1),
            "slice": lambda t: t[:, 1:3] * t[:, 1:3]}[case]
    got = []
    for lib in (retrograd, torch):
        x = lib.tensor(x0, dtype=lib.float64, requires_grad=True)
        y = view(x)
        v = lib.tensor(np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), dtype=lib.float64,
                       requires_grad=True)
        g, = lib.autograd.grad(y, x, v, create_graph=True)
        h = lib.autograd.grad((g * g * x).sum(), (x, v), create_graph=True)
        third = lib.autograd.grad(sum((t * t).sum() for t in h), (x, v))
        got.append((_tree(g.grad_fn, set()), [_tree(t.grad_fn, set()) for t in h],
                    [np.round(t.detach().numpy(), 10).tolist() for t in (g, *h, *third)]))
    assert got[0] == got[1]
