"""Op-table rows of the linalg family: products, solves, decompositions, norms, cdist.

Decompositions are tested through gauge-invariant quantities (eigenvalues, singular values,
elementwise squares of singular/eigen vectors, which do not depend on their signs), on inputs
built inside ``fn`` to be well conditioned: symmetric (x + x^T) or symmetric positive definite
(x x^T + n I), or sampled as a random matrix plus 3 I (``_wellcond``)."""
from __future__ import annotations

import numpy as np

from op_db import OpInfo, apart

RED = dict(cmp_atol=1e-5)
LOOSE = dict(cmp_atol=1e-4, cmp_rtol=1e-4)  # float32 decompositions: LAPACK paths differ
M33, M34, M43, B233 = (3, 3), (3, 4), (4, 3), (2, 3, 3)


def _wellcond(rng, shapes):
    """Every input: uniform in [-1, 1], plus 3 I on square matrices (far from singular)."""
    out = []
    for s in shapes:
        a = rng.uniform(-1.0, 1.0, s)
        if len(s) >= 2 and s[-1] == s[-2]:
            a = a + 3 * np.eye(s[-1])
        out.append(a)
    return out


def _spd(T, x):
    return x @ x.mT + x.shape[-1] * T.eye(x.shape[-1], dtype=x.dtype)


def _sym(x):
    return x + x.mT


def _eigh(T, x, uplo="L"):
    lam, v = T.linalg.eigh(_sym(x), UPLO=uplo)
    return lam, v * v


def _svd(T, x, full=False):
    u, s, vh = T.linalg.svd(x, full_matrices=full)
    k = s.shape[-1]
    return s, u[..., :k] * u[..., :k], vh[..., :k, :] * vh[..., :k, :]


def _tsvd(T, x):
    u, s, v = T.svd(x)
    return s, u * u, v * v


ROWS: list[OpInfo] = [
    OpInfo("normalize", lambda T, x: T.nn.functional.normalize(x, dim=1), [(3, 4)],
           "DivBackward0", extra_nodes=("ExpandBackward0", "ClampMinBackward0")),
    OpInfo("normalize_p1_dim0", lambda T, x: T.nn.functional.normalize(x, p=1.0, dim=0),
           [(3, 4)], "DivBackward0", avoid=(0.0,)),
    # ------------------------------------------------------------ products
    OpInfo("dot", lambda T, x, y: T.dot(x, y), [(4,), (4,)], "DotBackward0", **RED),
    OpInfo("dot_method", lambda T, x, y: x.dot(y), [(5,), (5,)], "DotBackward0", **RED),
    OpInfo("mm", lambda T, x, y: T.mm(x, y), [M34, M43], "MmBackward0", **RED),
    OpInfo("mm_method", lambda T, x, y: x.mm(y), [M43, M34], "MmBackward0", **RED),
    OpInfo("mv", lambda T, x, y: T.mv(x, y), [M34, (4,)], "MvBackward0", **RED),
    OpInfo("mv_method", lambda T, x, y: x.mv(y), [M43, (3,)], "MvBackward0", **RED),
    OpInfo("bmm", lambda T, x, y: T.bmm(x, y), [(2, 3, 4), (2, 4, 5)], "BmmBackward0", **RED),
    OpInfo("bmm_method", lambda T, x, y: x.bmm(y), [(2, 3, 4), (2, 4, 2)], "BmmBackward0", **RED),
    OpInfo("vdot", lambda T, x, y: T.vdot(x, y), [(4,), (4,)], "VdotBackward0", **RED),
    OpInfo("addmm", lambda T, c, a, b: T.addmm(c, a, b, beta=0.5, alpha=2), [(3, 5), M34, (4, 5)],
           "AddmmBackward0", **RED),
    OpInfo("addmm_broadcast", lambda T, c, a, b: T.addmm(c, a, b), [(5,), M34, (4, 5)],
           "AddmmBackward0", **RED),
    OpInfo("addmm_method", lambda T, c, a, b: c.addmm(a, b, alpha=-1), [(3, 1), (3, 2), (2, 4)],
           "AddmmBackward0", **RED),
    OpInfo("addmm_inplace", lambda T, c, a, b: (c * 1).addmm_(a, b), [(3, 4), (3, 2), (2, 4)],
           "AddmmBackward0", **RED),
    OpInfo("addmv", lambda T, c, a, v: T.addmv(c, a, v, beta=2, alpha=0.5), [(3,), M34, (4,)],
           "AddmvBackward0", **RED),
    OpInfo("addmv_broadcast", lambda T, c, a, v: c.addmv(a, v), [(1,), M34, (4,)],
           "AddmvBackward0", **RED),
    OpInfo("addr", lambda T, c, u, v: T.addr(c, u, v, beta=0.5, alpha=3), [M34, (3,), (4,)],
           "AddrBackward0", **RED),
    OpInfo("addbmm", lambda T, c, a, b: T.addbmm(c, a, b, beta=2, alpha=0.5),
           [(3, 5), (2, 3, 4), (2, 4, 5)], "AddbmmBackward0", **RED),
    OpInfo("baddbmm", lambda T, c, a, b: T.baddbmm(c, a, b, beta=0.5, alpha=2),
           [(2, 3, 5), (2, 3, 4), (2, 4, 5)], "BaddbmmBackward0", **RED),
    OpInfo("baddbmm_broadcast", lambda T, c, a, b: c.baddbmm(a, b), [(3, 1), (2, 3, 4), (2, 4, 2)],
           "BaddbmmBackward0", **RED),
    OpInfo("linalg_vecdot", lambda T, x, y: T.linalg.vecdot(x, y, dim=0), [M34, (4,)],
           "SumBackward1", **RED, extra_nodes=("MulBackward0",)),
    OpInfo("linalg_vecdot_vectors", lambda T, x, y: T.linalg.vecdot(x, y), [(4,), (4,)],
           "VdotBackward0", **RED),
    OpInfo("linalg_matmul", lambda T, x, y: T.linalg.matmul(x, y), [M34, (4,)], "MvBackward0",
           **RED),
    OpInfo("tensordot_int", lambda T, x, y: T.tensordot(x, y, dims=2), [(2, 3, 4), (3, 4, 2)],
           "ViewBackward0", **RED, extra_nodes=("MmBackward0", "PermuteBackward0")),
    OpInfo("tensordot_lists", lambda T, x, y: T.tensordot(x, y, dims=([1, 2], [1, 0])),
           [(2, 3, 4), (4, 3, 2)], "ViewBackward0", **RED,
           extra_nodes=("MmBackward0", "UnsafeViewBackward0")),
    OpInfo("tensordot_0", lambda T, x, y: T.tensordot(x, y, dims=0), [(2, 3), (3,)],
           "ViewBackward0", **RED),
    OpInfo("tensordot_broadcast_dim", lambda T, x, y: T.tensordot(x, y, dims=([1], [0])),
           [(3, 1), (4, 2)], "ViewBackward0", **RED, extra_nodes=("SumBackward1",)),
    OpInfo("kron", lambda T, x, y: T.kron(x, y), [(2, 3), (2, 2)], "UnsafeViewBackward0",
           extra_nodes=("MulBackward0",)),
    OpInfo("kron_mixed_ndim", lambda T, x, y: x.kron(y), [(3,), (2, 2)], "UnsafeViewBackward0"),
    OpInfo("linalg_cross", lambda T, x, y: T.linalg.cross(x, y), [(4, 3), (4, 3)],
           "LinalgCrossBackward0", **RED),
    OpInfo("cross_dim0", lambda T, x, y: T.cross(x, y, dim=0), [(3, 4), (3, 4)],
           "LinalgCrossBackward0", **RED),
    OpInfo("cross_broadcast", lambda T, x, y: T.linalg.cross(x, y, dim=-1), [(1, 3), (2, 3)],
           "LinalgCrossBackward0", **RED),
    # ------------------------------------------------------------ inverses, determinants, solves
    OpInfo("linalg_inv", lambda T, x: T.linalg.inv(x), [M33], "LinalgInvExBackward0",
           sample=_wellcond, **RED),
    OpInfo("linalg_inv_batched", lambda T, x: T.linalg.inv(x), [B233], "LinalgInvExBackward0",
           sample=_wellcond, **RED),
    OpInfo("inverse", lambda T, x: x.inverse(), [M33], "LinalgInvExBackward0", sample=_wellcond,
           **RED),
    OpInfo("linalg_inv_ex", lambda T, x: T.linalg.inv_ex(x), [M33], "LinalgInvExBackward0",
           sample=_wellcond, **RED),
    OpInfo("linalg_det", lambda T, x: T.linalg.det(x), [M33], "LinalgDetBackward0", **RED),
    OpInfo("det_batched", lambda T, x: T.det(x), [B233], "LinalgDetBackward0", **RED),
    OpInfo("det_method_1x1", lambda T, x: x.det(), [(2, 1, 1)], "LinalgDetBackward0"),
    # (exactly singular matrices: tests/test_singular_gradients.py. det's gradient there is the
    # cofactor matrix in every mode, where PyTorch's first-order and forward modes give 0)
    OpInfo("linalg_slogdet", lambda T, x: T.linalg.slogdet(x).logabsdet, [M33],
           "LinalgSlogdetBackward0", **RED),
    OpInfo("slogdet_batched", lambda T, x: x.slogdet()[1], [B233], "LinalgSlogdetBackward0",
           sample=_wellcond, **RED),
    OpInfo("logdet", lambda T, x: T.logdet(_spd(T, x)), [M33], "WhereBackward0", **RED,
           extra_nodes=("LinalgSlogdetBackward0",)),
    OpInfo("linalg_solve", lambda T, a, b: T.linalg.solve(a, b), [M33, (3, 2)],
           "LinalgSolveExBackward0", sample=_wellcond, **RED),
    OpInfo("linalg_solve_vector", lambda T, a, b: T.linalg.solve(a, b), [M33, (3,)],
           "LinalgSolveExBackward0", sample=_wellcond, **RED),
    OpInfo("linalg_solve_batch_vector", lambda T, a, b: T.linalg.solve(a, b), [B233, (2, 3)],
           "LinalgSolveExBackward0", sample=_wellcond, **RED),
    OpInfo("linalg_solve_broadcast", lambda T, a, b: T.linalg.solve(a, b), [B233, (3, 2)],
           "LinalgSolveExBackward0", sample=_wellcond, **RED),
    OpInfo("linalg_solve_right", lambda T, a, b: T.linalg.solve(a, b, left=False), [M33, (2, 3)],
           "LinalgSolveExBackward0", sample=_wellcond, **RED),
    OpInfo("linalg_solve_ex", lambda T, a, b: T.linalg.solve_ex(a, b), [M33, (3, 2)],
           "LinalgSolveExBackward0", sample=_wellcond, **RED),
    OpInfo("solve_triangular_upper", lambda T, a, b: T.linalg.solve_triangular(a, b, upper=True),
           [M33, (3, 2)], "LinalgSolveTriangularBackward0", sample=_wellcond, **RED),
    OpInfo("solve_triangular_lower_right",
           lambda T, a, b: T.linalg.solve_triangular(a, b, upper=False, left=False),
           [B233, (2, 3)], "LinalgSolveTriangularBackward0", sample=_wellcond, **RED),
    OpInfo("solve_triangular_unit",
           lambda T, a, b: T.linalg.solve_triangular(a, b, upper=True, unitriangular=True),
           [M33, (3, 2)], "LinalgSolveTriangularBackward0", sample=_wellcond, **RED),
    OpInfo("triangular_solve", lambda T, b, a: T.triangular_solve(b, a), [(3, 2), M33],
           "TriangularSolveBackward0", sample=_wellcond, **RED),
    OpInfo("triangular_solve_lower_t_unit",
           lambda T, b, a: b.triangular_solve(a, upper=False, transpose=True, unitriangular=True),
           [(2, 3, 2), B233], "TriangularSolveBackward0", sample=_wellcond, **RED),
    OpInfo("linalg_lstsq", lambda T, a, b: T.linalg.lstsq(a, b).solution, [M43, (4, 2)],
           "LinalgLstsqBackward0", **LOOSE),
    OpInfo("linalg_lstsq_residuals_vector",
           lambda T, a, b: T.linalg.lstsq(a, b, driver="gelss")[:2], [M43, (4,)],
           "LinalgLstsqBackward0", **LOOSE),
    OpInfo("linalg_lstsq_wide_vector", lambda T, a, b: T.linalg.lstsq(a, b, driver="gelsd")[:2],
           [M34, (3,)], "LinalgLstsqBackward0", **LOOSE),
    # ------------------------------------------------------------ Cholesky
    OpInfo("linalg_cholesky", lambda T, x: T.linalg.cholesky(_spd(T, x)), [M33],
           "LinalgCholeskyExBackward0", **RED),
    OpInfo("linalg_cholesky_upper_batched", lambda T, x: T.linalg.cholesky(_spd(T, x), upper=True),
           [B233], "LinalgCholeskyExBackward0", **RED),
    OpInfo("linalg_cholesky_ex", lambda T, x: T.linalg.cholesky_ex(_spd(T, x)), [M33],
           "LinalgCholeskyExBackward0", **RED),
    OpInfo("cholesky_legacy", lambda T, x: T.cholesky(_spd(T, x), upper=True), [M33],
           "CholeskyBackward0", **RED),
    OpInfo("cholesky_solve", lambda T, b, x: T.cholesky_solve(b, T.linalg.cholesky(_spd(T, x))),
           [(3, 2), M33], "CholeskySolveBackward0", **RED,
           extra_nodes=("LinalgCholeskyExBackward0",)),
    OpInfo("cholesky_solve_upper",
           lambda T, b, x: b.cholesky_solve(T.linalg.cholesky(_spd(T, x), upper=True), upper=True),
           [(2, 3, 2), M33], "CholeskySolveBackward0", **RED),
    # ------------------------------------------------------------ QR, eigh, SVD, pinv
    OpInfo("linalg_qr", lambda T, x: T.linalg.qr(x), [M33], "LinalgQrBackward0", **LOOSE),
    OpInfo("linalg_qr_tall_batched", lambda T, x: T.linalg.qr(x), [(2, 4, 3)],
           "LinalgQrBackward0", **LOOSE),
    OpInfo("linalg_qr_wide", lambda T, x: T.linalg.qr(x), [M34], "LinalgQrBackward0", **LOOSE),
    OpInfo("linalg_qr_complete_wide", lambda T, x: T.linalg.qr(x, mode="complete"), [(2, 4)],
           "LinalgQrBackward0", **LOOSE),
    OpInfo("qr_legacy", lambda T, x: x.qr(), [M43], "LinalgQrBackward0", **LOOSE),
    OpInfo("linalg_eigh", lambda T, x: _eigh(T, x), [M33], "LinalgEighBackward0", **LOOSE),
    OpInfo("linalg_eigh_upper_batched", lambda T, x: _eigh(T, x, "U"), [B233],
           "LinalgEighBackward0", **LOOSE),
    OpInfo("linalg_eigvalsh", lambda T, x: T.linalg.eigvalsh(_sym(x)), [(4, 4)],
           "LinalgEighBackward0", **LOOSE),
    OpInfo("linalg_svd", lambda T, x: _svd(T, x), [M33], "LinalgSvdBackward0", **LOOSE),
    OpInfo("linalg_svd_tall", lambda T, x: _svd(T, x), [M43], "LinalgSvdBackward0", **LOOSE),
    OpInfo("linalg_svd_wide_batched", lambda T, x: _svd(T, x), [(2, 3, 4)], "LinalgSvdBackward0",
           **LOOSE),
    OpInfo("linalg_svd_full", lambda T, x: _svd(T, x, True), [M43], "LinalgSvdBackward0",
           **LOOSE),
    OpInfo("linalg_svd_reconstruct", lambda T, x: (lambda u, s, vh: (u * s[..., None, :]) @ vh)(
        *T.linalg.svd(x, full_matrices=False)), [M34], "MmBackward0", **LOOSE),
    OpInfo("linalg_svdvals", lambda T, x: T.linalg.svdvals(x), [M34], "LinalgSvdBackward0",
           **LOOSE),
    OpInfo("svd_legacy", lambda T, x: _tsvd(T, x), [M43], "LinalgSvdBackward0", **LOOSE),
    OpInfo("linalg_pinv", lambda T, x: T.linalg.pinv(x), [M34], "LinalgPinvBackward0", **LOOSE),
    OpInfo("linalg_pinv_tall_batched", lambda T, x: T.linalg.pinv(x), [(2, 4, 3)],
           "LinalgPinvBackward0", **LOOSE),
    OpInfo("linalg_pinv_hermitian", lambda T, x: T.linalg.pinv(_spd(T, x), hermitian=True),
           [M33], "LinalgPinvBackward0", **LOOSE),
    OpInfo("pinverse", lambda T, x: x.pinverse(), [M43], "LinalgPinvBackward0", **LOOSE),
    # ------------------------------------------------------------ matrix functions
    OpInfo("matrix_power_2", lambda T, x: T.linalg.matrix_power(x, 2), [M33], "MmBackward0",
           **RED),
    OpInfo("matrix_power_5", lambda T, x: x.matrix_power(5), [M33], "MmBackward0", domain=(-1, 1),
           **LOOSE),
    OpInfo("matrix_power_3_batched", lambda T, x: T.matrix_power(x, 3), [B233],
           "UnsafeViewBackward0", **RED, extra_nodes=("BmmBackward0",)),
    OpInfo("matrix_power_neg2", lambda T, x: T.linalg.matrix_power(x, -2), [M33], "MmBackward0",
           sample=_wellcond, **RED, extra_nodes=("LinalgInvExBackward0",)),
    OpInfo("matrix_power_1", lambda T, x: T.linalg.matrix_power(x, 1), [M33], "CloneBackward0"),
    OpInfo("matrix_power_0", lambda T, x: T.linalg.matrix_power(x, 0) * x, [M33], "MulBackward0",
           extra_nodes=("CopyBackwards", "CloneBackward0")),
    OpInfo("linalg_matrix_exp", lambda T, x: T.linalg.matrix_exp(x), [M33],
           "LinalgMatrixExpBackward0", **LOOSE),
    OpInfo("matrix_exp_batched_large", lambda T, x: T.matrix_exp(x * 4), [B233],
           "LinalgMatrixExpBackward0", cmp_atol=1e-3, cmp_rtol=1e-4),
    # ------------------------------------------------------------ norms
    OpInfo("vector_norm", lambda T, x: T.linalg.vector_norm(x), [M34], "LinalgVectorNormBackward0",
           **RED),
    OpInfo("vector_norm_1_dim", lambda T, x: T.linalg.vector_norm(x, 1, dim=1), [M34],
           "LinalgVectorNormBackward0", avoid=(0.0,), **RED),
    OpInfo("vector_norm_inf_keepdim", lambda T, x: T.linalg.vector_norm(x, float("inf"), -1, True),
           [M34], "LinalgVectorNormBackward0", sample=apart),
    OpInfo("vector_norm_neginf", lambda T, x: T.linalg.vector_norm(x, -float("inf"), (0, 2)),
           [(2, 3, 2)], "LinalgVectorNormBackward0", sample=apart),
    # ord 0: PyTorch gives no gradient (x.grad stays None; create_graph finds x unused)
    OpInfo("vector_norm_0", lambda T, x: T.linalg.vector_norm(x, 0, dim=0), [M34],
           "LinalgVectorNormBackward0", avoid=(0.0,), gradgrad=False),
    OpInfo("vector_norm_3", lambda T, x: T.linalg.vector_norm(x, 3, dim=(0, 1)), [B233],
           "LinalgVectorNormBackward0", avoid=(0.0,), **RED),
    OpInfo("vector_norm_1_5", lambda T, x: T.linalg.vector_norm(x, 1.5), [M34],
           "LinalgVectorNormBackward0", avoid=(0.0,), **RED),
    OpInfo("vector_norm_half", lambda T, x: T.linalg.vector_norm(x, 0.5, dim=1), [M34],
           "LinalgVectorNormBackward0", avoid=(0.0,), gap=0.3, **RED),
    OpInfo("vector_norm_neg1", lambda T, x: T.linalg.vector_norm(x, -1, dim=-1, keepdim=True),
           [M34], "LinalgVectorNormBackward0", avoid=(0.0,), gap=0.3, **RED),
    OpInfo("vector_norm_dtype", lambda T, x: T.linalg.vector_norm(x, dtype=T.float64), [M34],
           "LinalgVectorNormBackward0", **RED),
    OpInfo("matrix_norm_fro", lambda T, x: T.linalg.matrix_norm(x), [B233],
           "LinalgVectorNormBackward0", **RED),
    OpInfo("matrix_norm_nuc", lambda T, x: T.linalg.matrix_norm(x, "nuc"), [M34], "SumBackward1",
           **LOOSE, extra_nodes=("LinalgSvdBackward0", "PermuteBackward0")),
    OpInfo("matrix_norm_nuc_keepdim_dims",
           lambda T, x: T.linalg.matrix_norm(x, "nuc", (0, 2), True),
           [(2, 3, 4)], "PermuteBackward0", **LOOSE, extra_nodes=("UnsqueezeBackward0",)),
    OpInfo("matrix_norm_2", lambda T, x: T.linalg.matrix_norm(x, 2), [M34], "AmaxBackward0",
           **LOOSE, extra_nodes=("LinalgSvdBackward0",)),
    OpInfo("matrix_norm_neg2_keepdim", lambda T, x: T.linalg.matrix_norm(x, -2, keepdim=True),
           [B233], "PermuteBackward0", **LOOSE),
    OpInfo("matrix_norm_1", lambda T, x: T.linalg.matrix_norm(x, 1), [M34], "AmaxBackward0",
           avoid=(0.0,), **RED, extra_nodes=("LinalgVectorNormBackward0",)),
    OpInfo("matrix_norm_neg1_keepdim", lambda T, x: T.linalg.matrix_norm(x, -1, keepdim=True),
           [B233], "AminBackward0", avoid=(0.0,), **RED),
    OpInfo("matrix_norm_inf", lambda T, x: T.linalg.matrix_norm(x, float("inf")), [M34],
           "AmaxBackward0", avoid=(0.0,), **RED),
    OpInfo("matrix_norm_neginf_dims", lambda T, x: T.linalg.matrix_norm(x, -float("inf"), (2, 0)),
           [(2, 3, 4)], "AminBackward0", avoid=(0.0,), **RED),
    OpInfo("linalg_norm", lambda T, x: T.linalg.norm(x), [B233], "LinalgVectorNormBackward0",
           **RED),
    OpInfo("linalg_norm_ord2_matrix", lambda T, x: T.linalg.norm(x, 2), [M34], "AmaxBackward0",
           **LOOSE),
    OpInfo("linalg_norm_nuc", lambda T, x: T.linalg.norm(x, "nuc"), [M34], "SumBackward1",
           **LOOSE),
    OpInfo("linalg_norm_dim", lambda T, x: T.linalg.norm(x, 3, dim=1, keepdim=True), [M34],
           "LinalgVectorNormBackward0", avoid=(0.0,), **RED),
    OpInfo("torch_norm", lambda T, x: T.norm(x), [M34], "LinalgVectorNormBackward0", **RED),
    OpInfo("torch_norm_p1_dim", lambda T, x: x.norm(p=1, dim=1), [M34],
           "LinalgVectorNormBackward0", avoid=(0.0,), **RED),
    OpInfo("torch_norm_nuc", lambda T, x: T.norm(x, p="nuc"), [M34], "SumBackward1", **LOOSE),
    # ------------------------------------------------------------ cdist (no double backward in
    # torch: "the derivative for '_cdist_backward' is not implemented")
    OpInfo("cdist", lambda T, x, y: T.cdist(x, y), [M34, (2, 4)], "CdistBackward0",
           sample=apart, gradgrad=False, **RED),
    OpInfo("cdist_p1", lambda T, x, y: T.cdist(x, y, p=1), [M34, (2, 4)], "CdistBackward0",
           sample=apart, gradgrad=False, **RED),
    OpInfo("cdist_p0", lambda T, x, y: T.cdist(x, y, p=0), [M34, (2, 4)], "CdistBackward0",
           sample=apart, gradgrad=False),
    OpInfo("cdist_pinf", lambda T, x, y: T.cdist(x, y, p=float("inf")), [M34, (2, 4)],
           "CdistBackward0", sample=apart, gradgrad=False, **RED),
    OpInfo("cdist_p3_batched", lambda T, x, y: T.cdist(x, y, p=3), [(2, 3, 2), (4, 2)],
           "CdistBackward0", sample=apart, gradgrad=False, **RED),
    OpInfo("cdist_p1_5", lambda T, x, y: T.cdist(x, y, p=1.5), [M34, (2, 4)], "CdistBackward0",
           sample=apart, gradgrad=False, **RED),
    OpInfo("cdist_p0_5", lambda T, x, y: T.cdist(x, y, p=0.5), [M34, (2, 4)], "CdistBackward0",
           sample=apart, gradgrad=False, **RED),
    # p = 2 with more than 25 rows: PyTorch's matmul formulation, which has double backward
    OpInfo("cdist_euclid_mm", lambda T, x, y: T.cdist(x, y), [(26, 2), (3, 2)], "ViewBackward0",
           sample=apart, **RED, extra_nodes=("EuclideanDistBackward0",)),
    OpInfo("cdist_euclid_mm_batched",
           lambda T, x, y: T.cdist(x, y, compute_mode="use_mm_for_euclid_dist"),
           [(2, 3, 2), (4, 2)], "ViewBackward0", sample=apart, **RED,
           extra_nodes=("EuclideanDistBackward0",)),
    # ------------------------------------------------------------ backward kernels as ops: what
    # create_graph records inside the linalg/einsum formulas (first-order gradients taken with
    # create_graph=True; x only shapes the graph)
    OpInfo("diagonal_backward", lambda T, x, v: T.autograd.grad(
        T.diagonal(x, 1, 0, 2), x, v, create_graph=True)[0], [(2, 3, 4), (3, 2)],
        "DiagonalBackwardBackward0", gradgrad=False),  # linear: already a second-order op
    OpInfo("diagonal_backward_neg_dims", lambda T, x, v: T.autograd.grad(
        x.diagonal(-1, -1, 0), x, v, create_graph=True)[0], [(2, 3, 4), (3, 2)],
        "DiagonalBackwardBackward0", gradgrad=False),  # linear: already a second-order op
    OpInfo("slice_backward", lambda T, x, v: T.autograd.grad(
        x[:, 1:3], x, v, create_graph=True)[0], [(3, 4), (3, 2)], "SliceBackwardBackward0",
        gradgrad=False),
    OpInfo("slice_backward_step_neg", lambda T, x, v: T.autograd.grad(
        x[-3::2], x, v, create_graph=True)[0], [(4, 3), (2, 3)], "SliceBackwardBackward0",
        gradgrad=False),
]
