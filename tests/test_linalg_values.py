"""linalg family: values, shapes, dtypes, non-differentiable outputs, errors and warnings,
each scenario run on retrograd and on torch 2.13 (tests/_both.py) and compared.

Gradients of every differentiable op are in tests/op_db_linalg.py; here are the cases the op
table cannot express: integer/bool inputs, empty and singular matrices, info/rank outputs,
LinAlgError messages, backward-time errors and PyTorch's choices at non-smooth points."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

from _both import both

RNG = np.random.default_rng(1234)
A33 = RNG.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
A34 = RNG.uniform(-1, 1, (3, 4))
A43 = RNG.uniform(-1, 1, (4, 3))
B233 = RNG.uniform(-1, 1, (2, 3, 3)) + 3 * np.eye(3)
# Singular with a zero row: the zero row stays exactly zero under elimination, so every LAPACK's
# LU (NumPy's, torch's MKL, either orientation, any blocking) has an exactly zero pivot and det,
# slogdet, inv_ex/solve_ex info and PyTorch's singular-case gradients do not hinge on rounding.
SINGULAR = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [4.0, 0.0, 1.0]])
# Singular without such structure (row 2 = 2 * row 1): its last LU pivot is 0 or ~1e-16 depending
# on the LAPACK build; used where the outcome does not depend on that (SVD cut-offs, tolerances)
RANK2 = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
SPD = A33 @ A33.T + 3 * np.eye(3)
INF, NAN = float("inf"), float("nan")


def t(T: Any, a: Any, dtype: str = "float32", grad: bool = False) -> Any:
    return T.tensor(np.asarray(a), dtype=getattr(T, dtype), requires_grad=grad)


def r(*shape: int) -> np.ndarray:
    return np.random.default_rng(sum(shape) + len(shape)).uniform(-1, 1, shape)


def grads(T: Any, fn, *arrays, dtype: str = "float64") -> Any:
    """fn's value and the gradient of its sum w.r.t. each input (None when unused)."""
    xs = [t(T, a, dtype, True) for a in arrays]
    out = fn(T, *xs)
    outs = out if isinstance(out, tuple) else (out,)
    total = sum((o * 1.0).sum() for o in outs if o.dtype.is_floating_point and o.requires_grad)
    gs = T.autograd.grad(total, xs, allow_unused=True)
    return out, gs


# ---------------------------------------------------------------------------- products
PRODUCT_VALUES = {
    "bmm_int": lambda T: T.bmm(T.ones(2, 3, 4, dtype=T.int64), T.arange(40).reshape(2, 4, 5)),
    "mm_int_addmm": lambda T: T.addmm(T.ones(3, 5, dtype=T.int64), T.ones(3, 4, dtype=T.int64),
                                      T.ones(4, 5, dtype=T.int64), beta=2, alpha=3),
    "addmm_int_float_coefficients": lambda T: T.addmm(
        T.ones(3, 5, dtype=T.int64), T.ones(3, 4, dtype=T.int64), T.ones(4, 5, dtype=T.int64),
        beta=0.5, alpha=2.7),
    "baddbmm_int_float_beta": lambda T: T.baddbmm(
        T.ones(1, 3, 5, dtype=T.int64), T.ones(1, 3, 4, dtype=T.int64),
        T.ones(1, 4, 5, dtype=T.int64), beta=1.5, alpha=2),
    "addmv_0d_input": lambda T: T.addmv(T.tensor(2.0), t(T, r(3, 4)), t(T, r(4))),
    "addmm_beta0_ignores_nan": lambda T: T.addmm(T.full((3, 5), float("nan")), t(T, r(3, 4)),
                                                 t(T, r(4, 5)), beta=0),
    "addmm_beta0_grad": lambda T: grads(T, lambda T, c, a, b: T.addmm(c, a, b, beta=0),
                                        r(3, 5), r(3, 4), r(4, 5))[1],
    "addr_bool": lambda T: T.addr(T.tensor([[True, False], [False, False]]),
                                  T.tensor([True, False]), T.tensor([False, True])),
    "addr_int_promotes": lambda T: T.addr(T.ones(2, 3, dtype=T.int64), t(T, r(2)), t(T, r(3))),
    "vdot_int": lambda T: T.vdot(T.arange(4), T.arange(4)),
    "vdot_half": lambda T: T.vdot(t(T, [1, 2, 3], "float16"), t(T, [1, 2, 3], "float16")),
    "tensordot_int_dims": lambda T: T.tensordot(T.arange(24).reshape(2, 3, 4),
                                                T.arange(12).reshape(4, 3), dims=([1, 2], [1, 0])),
    "tensordot_tensor_dims": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(4, 2)), dims=T.tensor(1)),
    "tensordot_broadcast_dim": lambda T: T.tensordot(t(T, r(3, 1)), t(T, r(4, 2)), ([1], [0])),
    "kron_3d_2d": lambda T: T.kron(t(T, r(2, 2, 2)), t(T, r(3, 3))),
    "kron_0d": lambda T: T.kron(T.tensor(2.0), t(T, r(2, 2))),
    "kron_int_float": lambda T: T.kron(T.ones(2, 2, dtype=T.int64), t(T, r(2, 2))),
    "cross_broadcast": lambda T: T.linalg.cross(t(T, r(1, 3)), t(T, r(4, 3))),
    "cross_int": lambda T: T.linalg.cross(T.tensor([1, 2, 3]), T.tensor([4, 5, 6])),
    "cross_dim": lambda T: T.cross(t(T, r(3, 4)), t(T, r(3, 4)), dim=0),
    "matmul_method_chain": lambda T: t(T, r(2, 3)).addmv(t(T, r(2, 4)), t(T, r(4))),
}


@pytest.mark.parametrize("name", PRODUCT_VALUES)
def test_product_values(name):
    both(PRODUCT_VALUES[name])


D, H = "float64", "float16"
PRODUCT_ERRORS = {
    "bmm_2d": lambda T: T.bmm(t(T, r(3, 3)), t(T, r(3, 3))),
    "bmm_2d_second": lambda T: T.bmm(t(T, r(2, 3, 3)), t(T, r(3, 3))),
    "bmm_batch": lambda T: T.bmm(t(T, r(2, 3, 4)), t(T, r(3, 4, 5))),
    "bmm_inner": lambda T: T.bmm(t(T, r(2, 3, 4)), t(T, r(2, 3, 5))),
    "bmm_dtype": lambda T: T.bmm(t(T, r(2, 3, 4)), t(T, r(2, 4, 5), D)),
    "bmm_bool": lambda T: T.bmm(T.ones(2, 3, 4, dtype=T.bool), T.ones(2, 4, 5, dtype=T.bool)),
    "vdot_2d": lambda T: T.vdot(t(T, r(3, 3)), t(T, r(3, 3))),
    "vdot_size": lambda T: T.vdot(t(T, r(3)), t(T, r(4))),
    "vdot_dtype": lambda T: T.vdot(t(T, r(3)), t(T, r(3), D)),
    "addmm_shapes": lambda T: T.addmm(t(T, r(3, 5)), t(T, r(3, 4)), t(T, r(3, 5))),
    "addmm_input": lambda T: T.addmm(t(T, r(2, 5)), t(T, r(3, 4)), t(T, r(4, 5))),
    "addmm_input_3d": lambda T: T.addmm(t(T, r(1, 3, 5)), t(T, r(3, 4)), t(T, r(4, 5))),
    "addmm_mat1_3d": lambda T: T.addmm(t(T, r(3, 5)), t(T, r(2, 3, 4)), t(T, r(4, 5))),
    "addmm_mat2_1d": lambda T: T.addmm(t(T, r(3, 5)), t(T, r(3, 4)), t(T, r(4))),
    "addmm_dtype_mat1": lambda T: T.addmm(t(T, r(3, 5)), t(T, r(3, 4), D), t(T, r(4, 5))),
    "addmm_dtype_input": lambda T: T.addmm(t(T, r(3, 5), D), t(T, r(3, 4)), t(T, r(4, 5))),
    "addmm_bool": lambda T: T.addmm(*(T.ones(*s, dtype=T.bool) for s in ((3, 5), (3, 4), (4, 5)))),
    "addmv_shape": lambda T: T.addmv(t(T, r(3)), t(T, r(3, 4)), t(T, r(5))),
    "addmv_input": lambda T: T.addmv(t(T, r(2)), t(T, r(3, 4)), t(T, r(4))),
    "addmv_dims": lambda T: T.addmv(t(T, r(3)), t(T, r(4)), t(T, r(4))),
    "addmv_dtype": lambda T: T.addmv(t(T, r(3)), t(T, r(3, 4), D), t(T, r(4))),
    "addr_2d": lambda T: T.addr(t(T, r(3, 4)), t(T, r(3, 1)), t(T, r(4))),
    "addr_input": lambda T: T.addr(t(T, r(3, 5)), t(T, r(3)), t(T, r(4))),
    "addr_int_float_beta": lambda T: T.addr(T.ones(3, 4, dtype=T.int64), T.ones(3, dtype=T.int64),
                                            T.ones(4, dtype=T.int64), beta=0.5),
    "addr_int_float_alpha": lambda T: T.addr(T.ones(3, 4, dtype=T.int64), T.ones(3, dtype=T.int64),
                                             T.ones(4, dtype=T.int64), alpha=0.5),
    "addmv_2d_input": lambda T: T.addmv(T.ones(1, 3), t(T, r(3, 4)), t(T, r(4))),
    "addbmm_batches": lambda T: T.addbmm(t(T, r(3, 5)), t(T, r(2, 3, 4)), t(T, r(3, 4, 5))),
    "addbmm_inner": lambda T: T.addbmm(t(T, r(3, 5)), t(T, r(2, 3, 4)), t(T, r(2, 3, 5))),
    "addbmm_input": lambda T: T.addbmm(t(T, r(2, 5)), t(T, r(2, 3, 4)), t(T, r(2, 4, 5))),
    "addbmm_dtype": lambda T: T.addbmm(t(T, r(3, 5)), t(T, r(2, 3, 4)), t(T, r(2, 4, 5), D)),
    "baddbmm_batch": lambda T: T.baddbmm(t(T, r(2, 3, 5)), t(T, r(2, 3, 4)), t(T, r(3, 4, 5))),
    "baddbmm_input": lambda T: T.baddbmm(t(T, r(2, 2, 5)), t(T, r(2, 3, 4)), t(T, r(2, 4, 5))),
    "baddbmm_2d": lambda T: T.baddbmm(t(T, r(2, 3, 5)), t(T, r(2, 3, 4)), t(T, r(4, 5))),
    "baddbmm_dtype_input": lambda T: T.baddbmm(t(T, r(2, 3, 5), D), t(T, r(2, 3, 4)),
                                               t(T, r(2, 4, 5))),
    "baddbmm_dtype_batch": lambda T: T.baddbmm(t(T, r(2, 3, 5)), t(T, r(2, 3, 4)),
                                               t(T, r(2, 4, 5), D)),
    "tensordot_mismatch": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(5, 6)), dims=1),
    "tensordot_lists_mismatch": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(5, 6)), ([0], [0])),
    "tensordot_lens": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(5, 6)), dims=([0, 1], [0])),
    "tensordot_negative": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(5, 6)), dims=-1),
    "tensordot_too_many": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(4, 6)), dims=3),
    "tensordot_dtype": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(4, 6), D), dims=1),
    "tensordot_repeated": lambda T: T.tensordot(t(T, r(3, 3)), t(T, r(3, 3)), ([0, 0], [0, 1])),
    "tensordot_range": lambda T: T.tensordot(t(T, r(3, 4)), t(T, r(4, 2)), dims=([2], [0])),
    "cross_length": lambda T: T.linalg.cross(t(T, r(3, 4)), t(T, r(3, 4))),
    "cross_dim_length": lambda T: T.linalg.cross(t(T, r(3, 4)), t(T, r(3, 4)), dim=1),
    "cross_broadcast": lambda T: T.linalg.cross(t(T, r(2, 3)), t(T, r(4, 3))),
    "cross_ndim": lambda T: T.linalg.cross(t(T, r(2, 3)), t(T, r(3))),
    "cross_dtype": lambda T: T.linalg.cross(t(T, r(2, 3)), t(T, r(2, 3), D)),
    "cross_dim_range": lambda T: T.linalg.cross(t(T, r(3, 3)), t(T, r(3, 3)), dim=2),
    "vecdot_dtype": lambda T: T.linalg.vecdot(t(T, r(3)), t(T, r(3), D)),
    "vecdot_int": lambda T: T.linalg.vecdot(T.ones(3, dtype=T.int64), T.ones(3, dtype=T.int64)),
    "vecdot_sizes": lambda T: T.linalg.vecdot(t(T, r(3)), t(T, r(4))),
    "vecdot_broadcast": lambda T: T.linalg.vecdot(t(T, r(2, 3)), t(T, r(2, 4))),
    "vecdot_dim": lambda T: T.linalg.vecdot(t(T, r(2, 3)), t(T, r(2, 3)), dim=2),
    "cross_bool": lambda T: T.linalg.cross(T.ones(3, dtype=T.bool), T.ones(3, dtype=T.bool)),
}


@pytest.mark.parametrize("name", PRODUCT_ERRORS)
def test_product_errors(name):
    assert both(PRODUCT_ERRORS[name]).error is not None


# ---------------------------------------------------------------------------- inverses, solves
def _batch_with_singular(T):
    return t(T, np.stack([np.eye(3), SINGULAR]))


SOLVE_VALUES = {
    "inv_batched": lambda T: T.linalg.inv(t(T, B233, D)),
    "inv_ex_singular": lambda T: T.linalg.inv_ex(_batch_with_singular(T)).info,
    "det_batched_values": lambda T: (T.det(t(T, B233)), T.linalg.det(t(T, SINGULAR))),
    "det_empty": lambda T: T.linalg.det(T.zeros(2, 0, 0)),
    "det_zero_matrix_grads": lambda T: grads(T, lambda T, a: T.linalg.det(a), np.zeros((2, 2))),
    "slogdet_singular_and_negative": lambda T: (T.linalg.slogdet(t(T, SINGULAR)),
                                                T.slogdet(t(T, -np.eye(3)))),
    "slogdet_sign_gets_no_grad": lambda T: grads(T, lambda T, a: T.linalg.slogdet(a).sign, A33),
    "logdet_negative_and_singular": lambda T: (T.logdet(t(T, -np.eye(3))),
                                               T.logdet(t(T, SINGULAR))),
    "solve_batch_vector": lambda T: T.linalg.solve(t(T, B233), t(T, r(2, 3))),
    "solve_broadcast": lambda T: T.linalg.solve(t(T, B233), t(T, r(3, 2))),
    "solve_ex_singular": lambda T: T.linalg.solve_ex(_batch_with_singular(T), t(T, r(2, 3))).info,
    "solve_triangular_zero_diag": lambda T: T.linalg.solve_triangular(
        t(T, np.triu(A33) * [1, 0, 1]), t(T, r(3, 2)), upper=True),
    "solve_triangular_promotes": lambda T: T.linalg.solve_triangular(
        t(T, A33, D), t(T, r(3, 2)), upper=False),
    "triangular_solve_fields": lambda T: (lambda res: (res.solution, res.cloned_coefficient))(
        T.triangular_solve(t(T, r(2, 3, 2)), t(T, A33), upper=False)),
    "cholesky_ex_info": lambda T: T.linalg.cholesky_ex(t(T, np.stack([SPD, -SPD]))).info,
    # LAPACK leaves the factored columns, the failing pivot and the untouched rest
    "cholesky_ex_partial": lambda T: T.linalg.cholesky_ex(t(T, [[4.0, 2, 1], [2, -3, 0], [1, 0, 5]])),
    "cholesky_ex_partial_upper": lambda T: T.linalg.cholesky_ex(t(T, np.stack([4 * np.eye(2),
                                                                             -np.eye(2)])),
                                                                upper=True),
    "solve_ex_keeps_good_batches": lambda T: T.linalg.solve_ex(_batch_with_singular(T),
                                                               t(T, r(2, 3))).result[0],
    "det_nan_quiet": lambda T: (T.linalg.det(T.full((2, 2), float("nan"))),
                                T.linalg.slogdet(T.full((2, 2), float("nan")))),
    "cholesky_upper_reads_upper": lambda T: T.linalg.cholesky(t(T, np.triu(SPD)), upper=True),
    "cholesky_solve": lambda T: T.cholesky_solve(t(T, r(3, 2)), t(T, np.linalg.cholesky(SPD))),
    "inv_ex_fields": lambda T: (lambda res: (res.inverse, res.info))(T.linalg.inv_ex(t(T, A33))),
}


@pytest.mark.parametrize("name", SOLVE_VALUES)
def test_solve_values(name):
    both(SOLVE_VALUES[name])


def _cofactors(a: np.ndarray) -> np.ndarray:
    """The cofactor matrix (adj(A)^T, the derivative of det) of a 3x3 matrix from its 2x2
    minors, in float64: no LU, no SVD, nothing shared with the libraries under test."""
    c = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            m = np.delete(np.delete(a, i, 0), j, 1)
            c[i, j] = (-1) ** (i + j) * (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0])
    return c


EXACT_SINGULAR = {
    "zero_row": SINGULAR,                                       # rank 2
    "zero_column": SINGULAR.T.copy(),                           # rank 2
    "zero_row_and_column": np.array([[0.0, 0.0, 0.0], [0.0, 2.0, 1.0], [0.0, -1.0, 3.0]]),
    "two_zero_rows": np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [0.0, 0.0, 0.0]]),  # rank 1
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", EXACT_SINGULAR)
def test_singular_det_mathematics(name, dtype):
    """On singular matrices whose LU is exact everywhere: det is 0, slogdet (0, -inf), logdet
    -inf, and the differentiable gradient of det (create_graph=True) is the cofactor matrix,
    computed independently, in both libraries. (PyTorch's first-order gradient there is 0;
    retrograd's is the cofactor matrix too: tests/test_singular_gradients.py.)"""
    import torch

    import retrograd

    a = EXACT_SINGULAR[name]
    expected = _cofactors(a)
    tol = 100 * np.finfo(dtype).eps * max(1.0, np.abs(expected).max())  # SVD-based in both
    for T in (retrograd, torch):
        x = T.tensor(a, dtype=getattr(T, dtype), requires_grad=True)
        det = T.linalg.det(x)
        assert det.item() == 0.0, T.__name__
        sign, logabsdet = T.linalg.slogdet(x)
        assert (sign.item(), logabsdet.item(), T.logdet(x).item()) == (0.0, -np.inf, -np.inf)
        grad, = T.autograd.grad(det, x, create_graph=True)
        np.testing.assert_allclose(grad.detach().numpy(), expected, rtol=0, atol=tol,
                                   err_msg=T.__name__)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_singular_det_without_exact_lu_is_zero_within_rounding(dtype):
    """RANK2's LU may end in an exact zero or in a ~1e-16 pivot depending on the LAPACK build:
    det must be 0 to within rounding (|det| <= a few eps times the product of the row norms,
    which is 62 here), and slogdet's logabsdet correspondingly tiny (or -inf), in both
    libraries. What hinges on that rounding (PyTorch's first-order gradient: 0 for an exact
    zero, about the cofactors otherwise) is not compared."""
    import torch

    import retrograd

    eps = np.finfo(dtype).eps
    bound = 64 * eps * np.prod(np.linalg.norm(RANK2, axis=1))
    for T in (retrograd, torch):
        x = T.tensor(RANK2, dtype=getattr(T, dtype))
        assert abs(T.linalg.det(x).item()) <= bound, T.__name__
        sign, logabsdet = T.linalg.slogdet(x)
        assert logabsdet.item() <= np.log(bound), T.__name__


SOLVE_ERRORS = {
    "inv_nonsquare": lambda T: T.linalg.inv(t(T, r(3, 4))),
    "inv_1d": lambda T: T.linalg.inv(t(T, r(3))),
    "inv_singular": lambda T: T.linalg.inv(T.ones(3, 3)),
    "inv_singular_batch": lambda T: T.linalg.inv(_batch_with_singular(T)),
    "inverse_zeros": lambda T: T.inverse(T.zeros(3, 3)),
    "inv_int": lambda T: T.linalg.inv(T.ones(3, 3, dtype=T.int64)),
    "inv_half": lambda T: T.linalg.inv(T.ones(3, 3, dtype=T.float16)),
    "inv_ex_check_errors": lambda T: T.linalg.inv_ex(T.ones(3, 3), check_errors=True),
    "det_nonsquare": lambda T: T.linalg.det(t(T, r(3, 4))),
    "det_int": lambda T: T.linalg.det(T.ones(3, 3, dtype=T.int64)),
    "det_half": lambda T: T.linalg.det(T.ones(3, 3, dtype=T.float16)),
    "slogdet_half": lambda T: T.linalg.slogdet(T.ones(3, 3, dtype=T.float16)),
    "logdet_nonsquare": lambda T: T.logdet(t(T, r(3, 4))),
    "logdet_int": lambda T: T.logdet(T.ones(3, 3, dtype=T.int64)),
    "solve_shape_vector": lambda T: T.linalg.solve(t(T, A33), t(T, r(4))),
    "solve_shape": lambda T: T.linalg.solve(t(T, A33), t(T, r(4, 2))),
    "solve_nonsquare": lambda T: T.linalg.solve(t(T, r(3, 4)), t(T, r(3))),
    "solve_dtype": lambda T: T.linalg.solve(t(T, A33), t(T, r(3), D)),
    "solve_singular": lambda T: T.linalg.solve(T.ones(3, 3), t(T, r(3))),
    "solve_singular_batch": lambda T: T.linalg.solve(_batch_with_singular(T), t(T, r(2, 3))),
    "solve_0d": lambda T: T.linalg.solve(t(T, A33), T.tensor(1.0)),
    "solve_int": lambda T: T.linalg.solve(T.ones(3, 3, dtype=T.int64), T.ones(3, dtype=T.int64)),
    "solve_half": lambda T: T.linalg.solve(T.ones(3, 3, dtype=T.float16),
                                           T.ones(3, dtype=T.float16)),
    "solve_right_shape": lambda T: T.linalg.solve_triangular(t(T, A33), t(T, r(3, 2)), upper=True,
                                                             left=False),
    "solve_triangular_shape": lambda T: T.linalg.solve_triangular(t(T, A33), t(T, r(4, 2)),
                                                                  upper=True),
    "solve_triangular_vector": lambda T: T.linalg.solve_triangular(t(T, A33), t(T, r(3)),
                                                                   upper=True),
    "solve_triangular_no_upper": lambda T: T.linalg.solve_triangular(t(T, A33), t(T, r(3, 2))),
    "solve_triangular_int": lambda T: T.linalg.solve_triangular(
        T.ones(3, 3, dtype=T.int64), T.ones(3, 2, dtype=T.int64), upper=True),
    "solve_triangular_nonsquare": lambda T: T.linalg.solve_triangular(t(T, r(3, 4)), t(T, r(3, 2)),
                                                                      upper=True),
    "cholesky_not_pd_1": lambda T: T.linalg.cholesky(-T.eye(3)),
    "cholesky_not_pd_2": lambda T: T.linalg.cholesky(t(T, np.diag([1.0, -1.0, 1.0]))),
    "cholesky_not_pd_batch": lambda T: T.linalg.cholesky(t(T, np.stack([SPD, -SPD]))),
    "cholesky_nonsquare": lambda T: T.linalg.cholesky(t(T, r(3, 4))),
    "cholesky_int": lambda T: T.linalg.cholesky(T.ones(3, 3, dtype=T.int64)),
    "cholesky_half": lambda T: T.linalg.cholesky(T.ones(3, 3, dtype=T.float16)),
    "cholesky_1d": lambda T: T.linalg.cholesky(t(T, r(3))),
    "cholesky_ex_check_errors": lambda T: T.linalg.cholesky_ex(-T.eye(2), check_errors=True),
    "cholesky_nan": lambda T: T.linalg.cholesky(t(T, [[4.0, float("nan")], [float("nan"), 4.0]])),
    "cholesky_solve_shape": lambda T: T.cholesky_solve(t(T, r(4, 2)), T.eye(3)),
    "cholesky_solve_dtype": lambda T: T.cholesky_solve(t(T, r(3, 2), D), T.eye(3)),
    "cholesky_solve_1d": lambda T: T.cholesky_solve(t(T, r(3)), T.eye(3)),
    "cholesky_solve_a_1d": lambda T: T.cholesky_solve(t(T, r(3, 2)), t(T, r(3))),
    "cholesky_solve_nonsquare": lambda T: T.cholesky_solve(t(T, r(3, 2)), t(T, r(3, 4))),
    "cholesky_solve_int": lambda T: T.cholesky_solve(T.ones(3, 2, dtype=T.int64),
                                                     T.ones(3, 3, dtype=T.int64)),
}


@pytest.mark.parametrize("name", SOLVE_ERRORS)
def test_solve_errors(name):
    assert both(SOLVE_ERRORS[name]).error is not None


# ---------------------------------------------------------------------------- decompositions
DECOMP_VALUES = {
    "qr_modes": lambda T: (T.linalg.qr(t(T, A43)), T.linalg.qr(t(T, A43), mode="complete"),
                           T.linalg.qr(t(T, A34), mode="r")),
    "qr_r_requires_grad": lambda T: T.linalg.qr(t(T, A43, grad=True), mode="r"),
    "eigh_values": lambda T: T.linalg.eigh(t(T, SPD, D)).eigenvalues,
    "eigh_upper_lowercase": lambda T: T.linalg.eigvalsh(t(T, np.triu(SPD)), UPLO="u"),
    "eigh_batched_grad_fns": lambda T: [o.grad_fn for o in T.linalg.eigh(t(T, B233, grad=True))],
    "svd_shapes": lambda T: [tuple(x.shape) for x in T.linalg.svd(t(T, r(2, 4, 3)))],
    "svd_values": lambda T: T.linalg.svdvals(t(T, A34, D)),
    "svd_empty": lambda T: [tuple(x.shape) for x in T.linalg.svd(T.zeros(3, 0))],
    "svd_legacy_no_uv": lambda T: T.svd(t(T, A43), compute_uv=False),
    "svd_legacy_grad_fns": lambda T: [o.grad_fn for o in T.svd(t(T, A43, grad=True))],
    "pinv_rank_deficient": lambda T: T.linalg.pinv(t(T, RANK2, D)),
    "pinv_tolerances": lambda T: (T.linalg.pinv(t(T, A34, D), atol=0.5),
                                  T.linalg.pinv(t(T, A34, D), rtol=0.9),
                                  T.linalg.pinv(t(T, A34, D), rcond=0.9),
                                  T.pinverse(t(T, RANK2, D))),
    "pinv_hermitian": lambda T: T.linalg.pinv(t(T, SPD, D), hermitian=True),
    "pinv_empty": lambda T: T.linalg.pinv(T.zeros(2, 0, 3)),
    "lstsq_default": lambda T: T.linalg.lstsq(t(T, A43, D), t(T, r(4, 2), D)),
    "lstsq_drivers": lambda T: [T.linalg.lstsq(t(T, A43, D), t(T, r(4, 2), D), driver=d)
                                for d in ("gels", "gelsy", "gelsd", "gelss")],
    "lstsq_batched_wide": lambda T: T.linalg.lstsq(t(T, r(2, 3, 4), D), t(T, r(2, 3, 2), D),
                                                   driver="gelsd"),
    "lstsq_rank_deficient": lambda T: T.linalg.lstsq(t(T, np.ones((4, 3))), t(T, r(4, 2)),
                                                     driver="gelsd")[:3],
    "lstsq_vector": lambda T: T.linalg.lstsq(t(T, A43, D), t(T, r(4), D), driver="gelsd"),
    "lstsq_broadcast": lambda T: T.linalg.lstsq(t(T, r(2, 4, 3), D), t(T, r(1, 4, 2), D)).solution,
}


@pytest.mark.parametrize("name", DECOMP_VALUES)
def test_decomposition_values(name):
    both(DECOMP_VALUES[name])


def _backward(fn):
    def run(T):
        a = t(T, A43, grad=True)
        out = fn(T, a)
        sum(o.sum() for o in out if o.numel()).backward()
        return a.grad
    return run


DECOMP_ERRORS = {
    "qr_mode": lambda T: T.linalg.qr(t(T, A33), mode="foo"),
    "qr_1d": lambda T: T.linalg.qr(t(T, r(3))),
    "qr_int": lambda T: T.linalg.qr(T.ones(3, 3, dtype=T.int64)),
    "qr_half": lambda T: T.linalg.qr(T.ones(3, 3, dtype=T.float16)),
    "qr_backward_mode_r": _backward(lambda T, a: T.linalg.qr(a, mode="r")),
    "qr_backward_complete_tall": _backward(lambda T, a: T.linalg.qr(a, mode="complete")),
    "eigh_nonsquare": lambda T: T.linalg.eigh(t(T, r(3, 4))),
    "eigh_uplo": lambda T: T.linalg.eigh(t(T, A33), UPLO="X"),
    "eigh_int": lambda T: T.linalg.eigh(T.ones(3, 3, dtype=T.int64)),
    "eigh_1d": lambda T: T.linalg.eigh(t(T, r(3))),
    "eigvalsh_1d": lambda T: T.linalg.eigvalsh(t(T, r(3))),
    "svd_1d": lambda T: T.linalg.svd(t(T, r(3))),
    "svd_int": lambda T: T.linalg.svd(T.ones(3, 3, dtype=T.int64)),
    "svd_half": lambda T: T.linalg.svd(T.ones(3, 3, dtype=T.float16)),
    "svdvals_1d": lambda T: T.linalg.svdvals(t(T, r(3))),
    "svd_legacy_1d": lambda T: T.svd(t(T, r(3))),
    "svd_nan_batch": lambda T: T.linalg.svd(T.stack([T.eye(2), T.full((2, 2), float("nan"))])),
    "svdvals_nan": lambda T: T.linalg.svdvals(T.full((2, 2), float("nan"))),
    "matrix_norm_nuc_nan": lambda T: T.linalg.matrix_norm(T.full((2, 2), float("nan")), "nuc"),
    "pinv_1d": lambda T: T.linalg.pinv(t(T, r(3))),
    "pinv_int": lambda T: T.linalg.pinv(T.ones(3, 3, dtype=T.int64)),
    "lstsq_shape": lambda T: T.linalg.lstsq(t(T, A33), t(T, r(4, 2))),
    "lstsq_dtype": lambda T: T.linalg.lstsq(t(T, A33), t(T, r(3, 2), D)),
    "lstsq_1d": lambda T: T.linalg.lstsq(t(T, r(3)), t(T, r(3))),
    "lstsq_driver": lambda T: T.linalg.lstsq(t(T, A43), t(T, r(4, 1)), driver="foo"),
    "lstsq_int": lambda T: T.linalg.lstsq(T.ones(3, 3, dtype=T.int64), T.ones(3, 2, dtype=T.int64)),
    "lstsq_ndims": lambda T: T.linalg.lstsq(t(T, A43), t(T, r(1, 1, 4, 2))),
}


@pytest.mark.parametrize("name", DECOMP_ERRORS)
def test_decomposition_errors(name):
    assert both(DECOMP_ERRORS[name]).error is not None


# ---------------------------------------------------------------------------- matrix functions
MATRIX_FN_VALUES = {
    "matrix_power_int": lambda T: T.linalg.matrix_power(T.arange(9).reshape(3, 3), 3),
    "matrix_power_0_grad": lambda T: grads(T, lambda T, a: T.linalg.matrix_power(a, 0), A33),
    "matrix_power_neg": lambda T: T.linalg.matrix_power(t(T, B233, D), -3),
    "matrix_power_batched_big": lambda T: T.matrix_power(t(T, B233 / 3, D), 6),
    "matrix_exp_zero_and_diag": lambda T: (T.linalg.matrix_exp(T.zeros(2, 3, 3)),
                                           T.linalg.matrix_exp(t(T, np.diag([1.0, -2.0, 0.5])))),
    "matrix_exp_large_norm": lambda T: T.linalg.matrix_exp(t(T, 10 * r(3, 3), D)),
    "matrix_exp_nilpotent": lambda T: T.matrix_exp(t(T, np.triu(np.ones((4, 4)), 1))),
    "matrix_exp_empty": lambda T: T.linalg.matrix_exp(T.zeros(0, 0)),
    "matrix_exp_overflow_and_nonfinite": lambda T: (T.linalg.matrix_exp(T.full((2, 2), 100.0)),
                                                    T.linalg.matrix_exp(T.full((2, 2), INF)),
                                                    T.linalg.matrix_exp(T.full((2, 2), NAN))),
}


@pytest.mark.parametrize("name", MATRIX_FN_VALUES)
def test_matrix_function_values(name):
    both(MATRIX_FN_VALUES[name])


MATRIX_FN_ERRORS = {
    "matrix_power_nonsquare": lambda T: T.linalg.matrix_power(t(T, r(3, 4)), 2),
    "matrix_power_1d": lambda T: T.linalg.matrix_power(t(T, r(3)), 2),
    "matrix_power_singular": lambda T: T.linalg.matrix_power(T.ones(3, 3), -1),
    "matrix_power_int_negative": lambda T: T.linalg.matrix_power(T.ones(3, 3, dtype=T.int64), -2),
    "matrix_exp_nonsquare": lambda T: T.linalg.matrix_exp(t(T, r(3, 4))),
    "matrix_exp_int": lambda T: T.linalg.matrix_exp(T.ones(3, 3, dtype=T.int64)),
    "matrix_exp_1d": lambda T: T.linalg.matrix_exp(t(T, r(3))),
}


@pytest.mark.parametrize("name", MATRIX_FN_ERRORS)
def test_matrix_function_errors(name):
    assert both(MATRIX_FN_ERRORS[name]).error is not None


# ---------------------------------------------------------------------------- norms, cdist
NORM_VALUES = {
    "vector_norm_ords": lambda T: [T.linalg.vector_norm(t(T, r(3, 4)), o)
                                   for o in (2, 1, 0, INF, -INF, 3, 0.5, -1, -0.5)],
    "vector_norm_zero_grad": lambda T: [
        grads(T, lambda T, x: T.linalg.vector_norm(x, o), np.zeros(3))
        for o in (2, 1, INF, 3, 1.5, 0.5)],
    "vector_norm_dims": lambda T: (T.linalg.vector_norm(t(T, r(2, 3, 4)), dim=()),
                                   T.linalg.vector_norm(t(T, r(2, 3, 4)), dim=[0, -1],
                                                        keepdim=True),
                                   T.linalg.vector_norm(T.tensor(-3.0), dim=0)),
    "vector_norm_empty": lambda T: (T.linalg.vector_norm(T.ones(0)),
                                    T.linalg.vector_norm(T.ones(0), 0),
                                    T.linalg.vector_norm(T.zeros(0, 3), INF, dim=1)),
    "vector_norm_dtype_half": lambda T: (T.linalg.vector_norm(t(T, r(3, 3)), dtype=T.float64),
                                         T.linalg.vector_norm(t(T, r(5), H))),
    "vector_norm_inf_ties_grad": lambda T: grads(T, lambda T, x: T.linalg.vector_norm(x, INF),
                                                 np.array([1.0, -2.0, 2.0, 0.5])),
    "matrix_norm_ords": lambda T: [T.linalg.matrix_norm(t(T, r(2, 3, 4)), o)
                                   for o in ("fro", "nuc", 1, -1, 2, -2, INF, -INF)],
    "matrix_norm_keepdim_dims": lambda T: [T.linalg.matrix_norm(t(T, r(2, 3, 4)), o, (2, 0), True)
                                           for o in ("fro", "nuc", 1, -2, INF)],
    "matrix_norm_empty": lambda T: T.linalg.matrix_norm(T.ones(0, 3), 1),
    "norm_variants": lambda T: (T.linalg.norm(t(T, r(3))), T.linalg.norm(t(T, r(3, 4)), "fro"),
                                T.linalg.norm(t(T, r(3, 4)), INF),
                                T.linalg.norm(t(T, r(2, 3, 4)), 1, dim=(0, 2)),
                                T.linalg.norm(t(T, r(2, 3, 4)), dim=1)),
    "torch_norm_variants": lambda T: (T.norm(t(T, r(3, 4))), t(T, r(3, 4)).norm(p=3),
                                      T.norm(t(T, r(2, 3, 4)), dim=(1, 2)),
                                      T.norm(t(T, r(3, 4)), p="nuc"),
                                      T.norm(t(T, r(2, 3, 4)), p="fro", dim=1, keepdim=True)),
    "cdist_ps": lambda T: [T.cdist(t(T, r(3, 4)), t(T, r(2, 4)), p=p)
                           for p in (0, 0.5, 1, 1.5, 2, 3, INF)],
    "cdist_euclid_large": lambda T: T.cdist(t(T, r(30, 3), D), t(T, r(4, 3), D)),
    "cdist_modes": lambda T: [T.cdist(t(T, r(3, 4)), t(T, r(2, 4)), compute_mode=m) for m in
                              ("use_mm_for_euclid_dist", "donot_use_mm_for_euclid_dist")],
    "cdist_zero_distance_grads": lambda T: [
        grads(T, lambda T, x, y: T.cdist(x, y, p=p), [[1.0, 2.0], [0.0, 0.0]], [[1.0, 2.0]])[1]
        for p in (0, 0.5, 1, 1.5, 2, 3, INF)],
    "cdist_euclid_zero_grads": lambda T: grads(
        T, lambda T, x, y: T.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
        [[1.0, 2.0], [0.0, 0.0]], [[1.0, 2.0]])[1],
    "cdist_batched_broadcast": lambda T: T.cdist(t(T, r(2, 1, 3, 2)), t(T, r(4, 5, 2))),
    "cdist_empty": lambda T: T.cdist(T.zeros(0, 3), t(T, r(2, 3))),
}


@pytest.mark.parametrize("name", NORM_VALUES)
def test_norm_values(name):
    both(NORM_VALUES[name])


NORM_ERRORS = {
    "vector_norm_int": lambda T: T.linalg.vector_norm(T.ones(3, dtype=T.int64)),
    "vector_norm_bool": lambda T: T.linalg.vector_norm(T.ones(3, dtype=T.bool)),
    "vector_norm_str": lambda T: T.linalg.vector_norm(t(T, r(3)), ord="fro"),
    "vector_norm_repeated_dim": lambda T: T.linalg.vector_norm(t(T, r(3, 3)), dim=(0, 0)),
    "vector_norm_empty_inf": lambda T: T.linalg.vector_norm(T.zeros(0, 3), INF),
    "vector_norm_empty_neg": lambda T: T.linalg.vector_norm(T.zeros(0, 3), -1),
    "vector_norm_empty_neg_frac": lambda T: T.linalg.vector_norm(T.zeros(3, 0), -0.5, dim=1),
    "vector_norm_dtype_int": lambda T: T.linalg.vector_norm(t(T, r(3)), dtype=T.int64),
    "vector_norm_dtype_narrowing": lambda T: T.linalg.vector_norm(t(T, r(3), D), dtype=T.float32),
    "matrix_norm_ord": lambda T: T.linalg.matrix_norm(t(T, r(3, 3)), ord=3),
    "matrix_norm_ord_str": lambda T: T.linalg.matrix_norm(t(T, r(3, 3)), ord="foo"),
    "matrix_norm_1d": lambda T: T.linalg.matrix_norm(t(T, r(3))),
    "matrix_norm_same_dims": lambda T: T.linalg.matrix_norm(t(T, r(3, 3)), dim=(0, 0)),
    "matrix_norm_one_dim": lambda T: T.linalg.matrix_norm(t(T, r(3, 3)), dim=(0,)),
    "matrix_norm_three_dims": lambda T: T.linalg.matrix_norm(t(T, r(2, 3, 3)), dim=(0, 1, 2)),
    "matrix_norm_int": lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.int64)),
    "matrix_norm_half_nuc": lambda T: T.linalg.matrix_norm(T.ones(3, 3, dtype=T.float16), "nuc"),
    "norm_3d_ord": lambda T: T.linalg.norm(t(T, r(2, 3, 3)), ord=2),
    "norm_str_1d": lambda T: T.linalg.norm(t(T, r(3)), ord="fro"),
    "norm_three_dims": lambda T: T.linalg.norm(t(T, r(2, 3, 3)), dim=(0, 1, 2)),
    "norm_str_one_dim": lambda T: T.linalg.norm(t(T, r(3, 3)), ord="fro", dim=0),
    "torch_norm_str": lambda T: T.norm(t(T, r(3, 3)), p="foo"),
    "torch_norm_fro_three_dims": lambda T: T.norm(t(T, r(3, 3, 3)), p="fro", dim=(0, 1, 2)),
    "torch_norm_int": lambda T: T.norm(T.ones(3, dtype=T.int64)),
    "cdist_1d": lambda T: T.cdist(t(T, r(3)), t(T, r(3))),
    "cdist_columns": lambda T: T.cdist(t(T, r(3, 4)), t(T, r(3, 5))),
    "cdist_negative_p": lambda T: T.cdist(t(T, r(3, 4)), t(T, r(3, 4)), p=-1),
    "cdist_dtype": lambda T: T.cdist(t(T, r(3, 4)), t(T, r(3, 4), D)),
    "cdist_int": lambda T: T.cdist(T.ones(3, 4, dtype=T.int64), T.ones(3, 4, dtype=T.int64)),
    "cdist_half": lambda T: T.cdist(T.ones(3, 3, dtype=T.float16), T.ones(3, 3, dtype=T.float16)),
    "cdist_batch": lambda T: T.cdist(t(T, r(2, 3, 4)), t(T, r(3, 3, 4))),
    "cdist_mode": lambda T: T.cdist(t(T, r(3, 4)), t(T, r(3, 4)), compute_mode="foo"),
}


@pytest.mark.parametrize("name", NORM_ERRORS)
def test_norm_errors(name):
    assert both(NORM_ERRORS[name]).error is not None


# ---------------------------------------------------------------------------- warnings
def test_deprecation_warnings_once_per_process():
    """torch.cholesky / triangular_solve / qr / cross without dim warn once per process (like
    TORCH_WARN_ONCE); checked in a fresh interpreter (each library keeps its own state)."""
    script = textwrap.dedent("""
        import json, warnings
        import numpy as np
        import retrograd, torch
        res = []
        for T in (retrograd, torch):
            a = T.tensor(np.eye(3) * 2.0)
            out = []
            for _ in range(2):
                with warnings.catch_warnings(record=True) as w:
                    warnings.simplefilter("always")
                    T.cholesky(a); T.triangular_solve(a, a); T.qr(a); T.cross(a, a)
                out.append([str(x.message).split(" (Triggered internally")[0] for x in w])
            res.append(out)
        print(json.dumps(res))
    """)
    ours, ref = json.loads(subprocess.run([sys.executable, "-c", script], capture_output=True,
                                          text=True, check=True).stdout)
    assert ours == ref
    assert len(ref[0]) == 4 and ref[1] == []


def test_multi_output_decompositions_share_one_node():
    """U, S, Vh (and Q, R; L, V; ...) are outputs 0, 1, 2 of one node, as in PyTorch."""
    a = np.array([[2.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 4.0], [1.0, 0.0, 1.0]])

    def scenario(T):
        A = T.tensor(a, requires_grad=True)
        S3 = T.tensor(a[:3], requires_grad=True)
        U, S, Vh = T.linalg.svd(A, full_matrices=False)
        Q, R = T.linalg.qr(A)
        L, V = T.linalg.eigh(S3)
        X, res = T.linalg.lstsq(A, T.tensor(a[:, :2]))[:2]
        sol, cloned = T.triangular_solve(T.tensor(a[:3, :2]), S3.triu())
        out = []
        for ts in ((U, S, Vh), (Q, R), (L, V), (X, res), (sol, cloned)):
            out.append([t.grad_fn is ts[0].grad_fn for t in ts])
            out.append([t.output_nr for t in ts])
            out.append(ts[0].grad_fn.name())
        # sign-invariant in the singular/eigen vectors (LAPACK builds may differ in signs)
        loss = U.abs().sum() + S.sum() * 2 + Vh.abs().sum() + Q.abs().sum() + R.abs().sum()
        loss = loss + L.sum() + V.abs().sum()
        loss = loss + X.sum() + sol.sum()
        ga, gs = T.autograd.grad(loss, (A, S3))
        return out + [ga, gs]
    both(scenario)
