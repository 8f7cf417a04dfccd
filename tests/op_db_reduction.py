"""op_db rows of the reduction family: prod, nansum/nanmean, var/std (+ _mean), torch.norm /
Tensor.norm (registered in linalg_norm.py), amax/amin, aminmax, cumsum/cumprod/cummax/cummin/
logcumsumexp, and NaN/tie rows for max/min.

Rows with ``numeric=False`` pin torch's choice at a kink or a tie (or a NaN/inf result); they
run the float32 and double-backward comparisons with torch only.
"""
from __future__ import annotations

import numpy as np

from op_db import B234, M34, OpInfo, RED, apart, fixed

NAN, INF = float("nan"), float("inf")
ZEROS_34 = [[0.5, 0.0, 1.5, -1.0], [1.25, -0.5, 2.0, 0.75], [0.0, 1.5, 0.0, -1.25]]


def _with_zero(rng, shapes):
    """Well-conditioned values with exactly one zero per row (prod/cumprod's zero branch)."""
    (shape,) = shapes
    a = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    rows = a.reshape(-1, shape[-1])
    rows[np.arange(rows.shape[0]), rng.integers(0, shape[-1], rows.shape[0])] = 0.0
    return [a]


ROWS = [
    # ---------------------------------------------------------------- sum_to_size
    OpInfo("sum_to_size", lambda T, x: x.sum_to_size(1, 4), [M34], "SumBackward1", **RED),
    OpInfo("sum_to_size_fewer_dims", lambda T, x: x.sum_to_size(3, 1), [B234], "ViewBackward0",
           **RED, extra_nodes=("SumBackward1",)),
    # ---------------------------------------------------------------- prod
    OpInfo("prod_all", lambda T, x: x.prod(), [M34], "ProdBackward0", domain=(0.5, 1.5), **RED),
    OpInfo("prod_fn_all_signed", lambda T, x: T.prod(x), [(2, 3)], "ProdBackward0", avoid=(0.0,), gap=0.3,
           **RED),
    OpInfo("prod_dim", lambda T, x: x.prod(1), [M34], "ProdBackward1", avoid=(0.0,), gap=0.2, **RED),
    OpInfo("prod_dim_keepdim", lambda T, x: T.prod(x, -1, keepdim=True), [B234], "ProdBackward1",
           avoid=(0.0,), gap=0.2, **RED),
    OpInfo("prod_dtype", lambda T, x: x.prod(0, dtype=T.float64), [M34], "ProdBackward1", domain=(0.5, 1.5)),
    OpInfo("prod_0d", lambda T, x: x.prod(), [()], "ProdBackward0"),
    # zeros: the product of the others, without dividing (prod is a polynomial: gradcheck applies)
    OpInfo("prod_all_one_zero", lambda T, x: x.prod(), [(2, 3)], "ProdBackward0",
           sample=fixed([[0.5, 1.5, -2.0], [0.0, 1.25, 0.75]])),
    OpInfo("prod_all_two_zeros", lambda T, x: x.prod(), [(2, 3)], "ProdBackward0",
           sample=fixed([[0.5, 0.0, -2.0], [0.0, 1.25, 0.75]])),
    OpInfo("prod_dim_zeros", lambda T, x: x.prod(1), [M34], "ProdBackward1", sample=fixed(ZEROS_34)),
    OpInfo("prod_dim0_zeros_keepdim", lambda T, x: x.prod(0, True), [M34], "ProdBackward1",
           sample=fixed(ZEROS_34)),
    # ---------------------------------------------------------------- nansum / nanmean
    OpInfo("nansum_all", lambda T, x: x.nansum(), [M34], "NansumBackward0", **RED),
    OpInfo("nansum_dim", lambda T, x: T.nansum(x, 1), [M34], "NansumBackward0", **RED),
    OpInfo("nansum_dims_keepdim", lambda T, x: x.nansum((0, 2), keepdim=True), [B234], "NansumBackward0", **RED),
    OpInfo("nansum_with_nan", lambda T, x: x.nansum(1), [(2, 3)], "NansumBackward0", numeric=False,
           sample=fixed([[1.0, NAN, 2.0], [NAN, NAN, 0.5]])),
    OpInfo("nanmean_all", lambda T, x: x.nanmean(), [M34], "DivBackward0", **RED, extra_nodes=("NansumBackward0",)),
    OpInfo("nanmean_dim", lambda T, x: T.nanmean(x, 0, keepdim=True), [M34], "DivBackward0", **RED,
           extra_nodes=("NansumBackward0",)),
    OpInfo("nanmean_with_nan", lambda T, x: x.nanmean(1), [(2, 3)], "DivBackward0", numeric=False,
           sample=fixed([[1.0, NAN, 2.0], [NAN, 3.0, 0.5]])),
    # ---------------------------------------------------------------- var / std
    OpInfo("var_all", lambda T, x: x.var(), [M34], "VarBackward0", **RED),
    OpInfo("var_dim", lambda T, x: x.var(1), [M34], "VarBackward0", **RED),
    OpInfo("var_dims_keepdim", lambda T, x: T.var(x, (0, 2), keepdim=True), [B234], "VarBackward0", **RED),
    OpInfo("var_unbiased_false", lambda T, x: x.var(0, False), [M34], "VarBackward0", **RED),
    OpInfo("var_correction", lambda T, x: T.var(x, dim=-1, correction=2), [B234], "VarBackward0", **RED),
    OpInfo("var_correction0_all", lambda T, x: x.var(correction=0), [M34], "VarBackward0", **RED),
    OpInfo("var_0d", lambda T, x: x.var(correction=0), [()], "VarBackward0"),
    # N - correction <= 0: inf (or NaN) values and torch's inf/NaN gradients
    OpInfo("var_dof_negative_dim", lambda T, x: x.var(1, correction=5), [M34], "VarBackward0", numeric=False),
    OpInfo("var_dof_zero_all", lambda T, x: x.var(correction=12), [M34], "VarBackward0", numeric=False),
    # an explicit empty dim list reduces everything, but torch's backward counts N = 1 there
    OpInfo("var_empty_dims", lambda T, x: x.var(()), [(2, 3)], "VarBackward0", numeric=False),
    OpInfo("std_empty_dims_correction0", lambda T, x: x.std([], correction=0), [(2, 3)], "StdBackward0",
           numeric=False),
    OpInfo("std_all", lambda T, x: x.std(), [M34], "StdBackward0", **RED),
    OpInfo("std_dim", lambda T, x: T.std(x, 1), [M34], "StdBackward0", **RED),
    OpInfo("std_dim_keepdim_unbiased", lambda T, x: x.std(0, True, True), [M34], "StdBackward0", **RED),
    OpInfo("std_correction", lambda T, x: x.std((1, 2), correction=0), [B234], "StdBackward0", **RED),
    OpInfo("std_bool_unbiased", lambda T, x: x.std(False), [M34], "StdBackward0", **RED),
    OpInfo("std_constant_slice", lambda T, x: x.std(1), [(2, 3)], "StdBackward0", numeric=False,
           sample=fixed([[1.5, 1.5, 1.5], [1.0, 2.0, -0.5]])),  # std 0: gradient 0 there
    OpInfo("std_mean_all", lambda T, x: T.std_mean(x), [M34], "StdMeanBackward0", **RED),
    OpInfo("std_mean_dim", lambda T, x: T.std_mean(x, 1, keepdim=True), [M34], "StdMeanBackward0", **RED),
    OpInfo("var_mean_all", lambda T, x: T.var_mean(x, unbiased=False), [M34], "VarMeanBackward0", **RED),
    OpInfo("var_mean_dims", lambda T, x: T.var_mean(x, (0, 1), correction=2), [B234], "VarMeanBackward0", **RED),
    OpInfo("var_mean_only_var_used", lambda T, x: T.var_mean(x, 1)[0] * 2, [M34], "MulBackward0", **RED,
           extra_nodes=("VarMeanBackward0",)),
    OpInfo("std_mean_only_mean_used", lambda T, x: T.std_mean(x, 0)[1].exp(), [M34], "ExpBackward0", **RED,
           extra_nodes=("StdMeanBackward0",)),
    # ---------------------------------------------------------------- norm
    OpInfo("norm_fro", lambda T, x: x.norm(), [M34], "LinalgVectorNormBackward0", **RED),
    OpInfo("norm_fn_fro_dim", lambda T, x: T.norm(x, "fro", dim=1), [M34], "LinalgVectorNormBackward0", **RED),
    OpInfo("norm_fro_dims", lambda T, x: T.norm(x, dim=(0, 2), keepdim=True), [B234], "LinalgVectorNormBackward0",
           **RED),
    OpInfo("norm_p1", lambda T, x: x.norm(1), [M34], "LinalgVectorNormBackward0", avoid=(0.0,), **RED),
    OpInfo("norm_p2_dim", lambda T, x: x.norm(2, 1), [M34], "LinalgVectorNormBackward0", **RED),
    OpInfo("norm_p3", lambda T, x: T.norm(x, p=3), [M34], "LinalgVectorNormBackward0", **RED),
    OpInfo("norm_p1_5_dim", lambda T, x: x.norm(p=1.5, dim=0), [M34], "LinalgVectorNormBackward0",
           avoid=(0.0,), **RED),
    OpInfo("norm_p0_5", lambda T, x: x.norm(0.5), [M34], "LinalgVectorNormBackward0", avoid=(0.0,), gap=0.2,
           cmp_atol=1e-4, cmp_rtol=1e-4),
    OpInfo("norm_p_neg1", lambda T, x: x.norm(-1, dim=1), [M34], "LinalgVectorNormBackward0", avoid=(0.0,),
           gap=0.3, **RED),
    OpInfo("norm_inf", lambda T, x: x.norm(INF), [M34], "LinalgVectorNormBackward0", sample=apart),
    OpInfo("norm_neg_inf_dim", lambda T, x: T.norm(x, -INF, dim=1), [M34], "LinalgVectorNormBackward0",
           sample=apart),
    OpInfo("norm_p0", lambda T, x: x.norm(0), [M34], "LinalgVectorNormBackward0", avoid=(0.0,), gradgrad=False),
    OpInfo("norm_dtype", lambda T, x: x.norm(dtype=T.float64), [M34], "LinalgVectorNormBackward0"),
    OpInfo("norm_0d", lambda T, x: T.norm(x, 3, dim=0), [()], "LinalgVectorNormBackward0", avoid=(0.0,)),
    # conventions at kinks: ties of the inf-norm share, zeros get sgn(0) = 0, a zero norm gives 0
    OpInfo("norm_inf_ties", lambda T, x: x.norm(INF), [(2, 3)], "LinalgVectorNormBackward0", numeric=False,
           sample=fixed([[2.0, -2.0, 1.0], [0.5, 2.0, -1.0]])),
    OpInfo("norm_p1_at_zero", lambda T, x: x.norm(1), [(4,)], "LinalgVectorNormBackward0", numeric=False,
           sample=fixed([1.0, 0.0, -2.0, 0.0])),
    OpInfo("norm_p2_zero_row", lambda T, x: x.norm(dim=1), [(2, 3)], "LinalgVectorNormBackward0", numeric=False,
           sample=fixed([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])),
    OpInfo("norm_p3_zero_row", lambda T, x: x.norm(3, dim=1), [(2, 3)], "LinalgVectorNormBackward0",
           numeric=False, sample=fixed([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])),
    # ---------------------------------------------------------------- amax / amin / aminmax
    OpInfo("amax_all", lambda T, x: x.amax(), [M34], "AmaxBackward0", sample=apart),
    OpInfo("amax_dim", lambda T, x: T.amax(x, 1), [M34], "AmaxBackward0", sample=apart),
    OpInfo("amax_dims_keepdim", lambda T, x: x.amax((0, -1), keepdim=True), [B234], "AmaxBackward0", sample=apart),
    OpInfo("amin_dim", lambda T, x: x.amin(0), [M34], "AminBackward0", sample=apart),
    OpInfo("amin_fn_dims", lambda T, x: T.amin(x, dim=(1, 2)), [B234], "AminBackward0", sample=apart),
    OpInfo("amax_ties", lambda T, x: x.amax(1), [(2, 3)], "AmaxBackward0", numeric=False,
           sample=fixed([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])),  # shared evenly, unlike max(dim)
    OpInfo("amin_ties_all", lambda T, x: x.amin(), [(2, 3)], "AminBackward0", numeric=False,
           sample=fixed([[1.0, 0.0, 3.0], [0.0, 2.0, 0.0]])),
    OpInfo("amax_nan", lambda T, x: x.amax(1), [(2, 3)], "AmaxBackward0", numeric=False,
           sample=fixed([[1.0, NAN, 3.0], [2.0, 0.0, 1.0]])),
    OpInfo("aminmax_all", lambda T, x: T.aminmax(x), [M34], "AminmaxBackward0", sample=apart),
    OpInfo("aminmax_dim", lambda T, x: T.aminmax(x, dim=1, keepdim=True), [M34], "AminmaxBackward0", sample=apart),
    OpInfo("aminmax_max_only", lambda T, x: T.aminmax(x, dim=0).max * 3, [M34], "MulBackward0", sample=apart,
           extra_nodes=("AminmaxBackward0",)),
    OpInfo("aminmax_ties", lambda T, x: T.aminmax(x, dim=1), [(2, 3)], "AminmaxBackward0", numeric=False,
           sample=fixed([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])),
    # ---------------------------------------------------------------- max / min with NaN
    OpInfo("max_all_nan", lambda T, x: x.max(), [(2, 3)], "MaxBackward1", numeric=False,
           sample=fixed([[1.0, NAN, 3.0], [NAN, 2.0, 0.0]])),  # shared among the NaNs
    OpInfo("min_dim_nan", lambda T, x: x.min(1), [(2, 3)], "MinBackward0", numeric=False,
           sample=fixed([[1.0, NAN, 3.0], [NAN, 2.0, NAN]])),
    # ---------------------------------------------------------------- cumulative
    OpInfo("cumsum_dim1", lambda T, x: x.cumsum(1), [M34], "CumsumBackward0", **RED),
    OpInfo("cumsum_fn_dim0", lambda T, x: T.cumsum(x, dim=0), [B234], "CumsumBackward0", **RED),
    OpInfo("cumsum_dtype", lambda T, x: x.cumsum(-1, dtype=T.float64), [M34], "CumsumBackward0"),
    OpInfo("cumsum_0d", lambda T, x: x.cumsum(0), [()], "CumsumBackward0"),
    OpInfo("cumprod_dim1", lambda T, x: x.cumprod(1), [M34], "CumprodBackward0", avoid=(0.0,), gap=0.2, **RED),
    OpInfo("cumprod_fn_dim0", lambda T, x: T.cumprod(x, 0), [B234], "CumprodBackward0", avoid=(0.0,), gap=0.2,
           **RED),
    OpInfo("cumprod_zeros", lambda T, x: x.cumprod(1), [M34], "CumprodBackward0", sample=fixed(ZEROS_34)),
    OpInfo("cumprod_zero_per_row", lambda T, x: x.cumprod(-1), [(2, 2, 5)], "CumprodBackward0",
           sample=_with_zero, **RED),
    OpInfo("cumprod_two_zeros", lambda T, x: x.cumprod(0), [(5, 2)], "CumprodBackward0",
           sample=fixed([[1.5, 0.0], [0.0, 2.0], [2.0, 0.0], [0.0, 0.5], [-1.0, 1.5]])),
    OpInfo("cumprod_0d", lambda T, x: x.cumprod(0), [()], "CumprodBackward0"),
    OpInfo("cummax_dim1", lambda T, x: x.cummax(1), [M34], "CummaxBackward0", sample=apart),
    OpInfo("cummax_values", lambda T, x: T.cummax(x, 0).values, [B234], "CummaxBackward0", sample=apart),
    OpInfo("cummin_dim", lambda T, x: T.cummin(x, dim=-1), [M34], "CumminBackward0", sample=apart),
    OpInfo("cummax_ties", lambda T, x: x.cummax(1), [(2, 4)], "CummaxBackward0", numeric=False,
           sample=fixed([[1.0, 1.0, 0.5, 1.0], [2.0, 3.0, 3.0, 1.0]])),
    OpInfo("cummin_nan", lambda T, x: x.cummin(1), [(2, 4)], "CumminBackward0", numeric=False,
           sample=fixed([[1.0, NAN, 0.5, NAN], [2.0, 1.0, 3.0, 1.0]])),
    OpInfo("logcumsumexp_dim1", lambda T, x: x.logcumsumexp(1), [M34], "LogcumsumexpBackward0", **RED),
    OpInfo("logcumsumexp_fn_dim0", lambda T, x: T.logcumsumexp(x, 0), [B234], "LogcumsumexpBackward0", **RED),
    OpInfo("logcumsumexp_large", lambda T, x: T.logcumsumexp(x * 100, 1), [M34], "LogcumsumexpBackward0",
           cmp_atol=1e-4, extra_nodes=("MulBackward0",)),  # stable: no overflow at e^200
]
