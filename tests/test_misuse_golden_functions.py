"""Golden misuse suite, arguments of public functions with wrong types or values: reductions,
sorting/topk, gather/scatter, clamp, random sampling, linalg, elementwise ops (harness and
conventions: tests/_misuse_golden.py)."""
from __future__ import annotations

import pytest

from _misuse_golden import check

CASES = {
    # --- reductions -------------------------------------------------------------------------
    "sum_dim_out_of_range": lambda T: T.ones(2, 3).sum(dim=2),
    "sum_dim_negative_out_of_range": lambda T: T.ones(2, 3).sum(dim=-3),
    "sum_dim_float": lambda T: T.ones(2, 3).sum(dim=1.0),
    "sum_dim_str": lambda T: T.ones(2, 3).sum(dim="a"),
    "sum_dim_repeated": lambda T: T.ones(2, 3).sum(dim=(0, 0)),
    "sum_dtype_int_of_float": lambda T: T.ones(2).sum(dtype=T.int64),
    "sum_keepdim_str": lambda T: T.ones(2).sum(0, keepdim="yes"),
    "mean_int": lambda T: T.ones(2, dtype=T.int64).mean(),
    "mean_dim_out_of_range": lambda T: T.ones(2).mean(1),
    "max_empty": lambda T: T.ones(0).max(),
    "max_dim_empty": lambda T: T.ones(0, 3).max(0),
    "min_empty": lambda T: T.ones(0).min(),
    "argmax_empty": lambda T: T.ones(0).argmax(),
    "amax_empty": lambda T: T.ones(0).amax(),
    "prod_dim_out_of_range": lambda T: T.ones(2).prod(2),
    "std_dim_out_of_range": lambda T: T.ones(2).std(1),
    "var_int": lambda T: T.ones(2, dtype=T.int64).var(),
    "std_single_warns": lambda T: T.ones(1).std(),
    "var_correction_big": lambda T: T.ones(2).var(correction=3),
    "norm_int": lambda T: T.ones(2, dtype=T.int64).norm(),
    "norm_p_str": lambda T: T.ones(2).norm(p="bad"),
    "logsumexp_int": lambda T: T.ones(2, dtype=T.int64).logsumexp(0),
    "cumsum_dim_out_of_range": lambda T: T.ones(2).cumsum(1),
    "cumsum_no_dim": lambda T: T.ones(2).cumsum(),
    "cumprod_dim_str": lambda T: T.ones(2).cumprod("x"),
    "softmax_no_dim_warns": lambda T: T.nn.functional.softmax(T.ones(2)),
    "softmax_dim_out_of_range": lambda T: T.ones(2).softmax(1),
    "log_softmax_int": lambda T: T.ones(2, dtype=T.int64).log_softmax(0),
    "all_float_ok": lambda T: T.ones(2).all(),
    "any_dim_out_of_range": lambda T: T.ones(2).any(1),
    "median_empty": lambda T: T.ones(0).median(),
    "mode_dim_out_of_range": lambda T: T.ones(2).mode(1),
    "count_nonzero_dim_out_of_range": lambda T: T.count_nonzero(T.ones(2), 1),
    # --- sorting ------------------------------------------------------------------------------
    "topk_k_too_big": lambda T: T.ones(3).topk(4),
    "topk_k_negative": lambda T: T.ones(3).topk(-1),
    "topk_dim_out_of_range": lambda T: T.ones(3).topk(1, dim=1),
    "topk_float_k": lambda T: T.ones(3).topk(1.5),
    "kthvalue_k_too_big": lambda T: T.ones(3).kthvalue(4),
    "kthvalue_k_zero": lambda T: T.ones(3).kthvalue(0),
    "sort_dim_out_of_range": lambda T: T.ones(3).sort(1),
    "argsort_stable_positional": lambda T: T.ones(3).argsort(0, True).shape,
    "unique_dim_out_of_range": lambda T: T.ones(3).unique(dim=1),
    # --- gather / scatter / index ops ---------------------------------------------------------
    "gather_float_index": lambda T: T.ones(3).gather(0, T.tensor([0.0])),
    "gather_int32_index": lambda T: T.ones(3).gather(0, T.tensor([0], dtype=T.int32)),
    "gather_ndim_mismatch": lambda T: T.ones(3, 3).gather(0, T.tensor([0])),
    "gather_out_of_range": lambda T: T.ones(3).gather(0, T.tensor([5])),
    "gather_dim_out_of_range": lambda T: T.ones(3).gather(1, T.tensor([0])),
    "gather_index_too_big": lambda T: T.ones(2, 2).gather(1, T.zeros(3, 2, dtype=T.int64)),
    "scatter_float_index": lambda T: T.ones(3).scatter(0, T.tensor([0.0]), T.ones(1)),
    "scatter_src_dtype": lambda T: T.ones(3).scatter(0, T.tensor([0]), T.ones(1, dtype=T.float64)),
    "scatter_out_of_range": lambda T: T.ones(3).scatter(0, T.tensor([7]), T.ones(1)),
    "scatter_reduce_bad": lambda T: T.ones(3).scatter_reduce(0, T.tensor([0]), T.ones(1), "avg"),
    "scatter_add_ndim": lambda T: T.ones(3, 3).scatter_add(0, T.tensor([0]), T.ones(1)),
    "index_add_wrong_source": lambda T: T.ones(3).index_add(0, T.tensor([0]), T.ones(2)),
    "index_add_float_index": lambda T: T.ones(3).index_add(0, T.tensor([0.0]), T.ones(1)),
    "index_fill_float_index": lambda T: T.ones(3).index_fill(0, T.tensor([0.0]), 1.0),
    "index_copy_dtype": lambda T: T.ones(3).index_copy(0, T.tensor([0]),
                                                       T.ones(1, dtype=T.float64)),
    "take_along_dim_mismatch": lambda T: T.take_along_dim(T.ones(2, 3), T.zeros(3, 3,
                                                                             dtype=T.int64), 1),
    "where_non_bool_cond": lambda T: T.where(T.ones(2), T.ones(2), T.zeros(2)),
    "where_shape_mismatch": lambda T: T.where(T.ones(2, dtype=T.bool), T.ones(3), T.zeros(2)),
    "nonzero_0d": lambda T: T.tensor(1.0).nonzero(),
    "one_hot_float": lambda T: T.nn.functional.one_hot(T.tensor([1.0])),
    "one_hot_too_small": lambda T: T.nn.functional.one_hot(T.tensor([3]), 2),
    "one_hot_negative": lambda T: T.nn.functional.one_hot(T.tensor([-1]), 3),
    # --- clamp and elementwise -----------------------------------------------------------------
    "clamp_no_bounds": lambda T: T.ones(2).clamp(),
    "clamp_min_gt_max": lambda T: T.tensor([0.0, 5.0]).clamp(min=3, max=1),
    "clamp_tensor_shapes": lambda T: T.ones(2).clamp(min=T.ones(3)),
    "clamp_str": lambda T: T.ones(2).clamp(min="a"),
    "clip_int_float_bound": lambda T: T.tensor([1, 5]).clamp(max=2.5),
    "clamp_inplace_int_float": lambda T: T.tensor([1, 5]).clamp_(max=2.5),
    "lerp_dtype": lambda T: T.lerp(T.ones(2), T.ones(2, dtype=T.float64), 0.5),
    "lerp_int": lambda T: T.lerp(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64), 0.5),
    "addcmul_shape": lambda T: T.addcmul(T.ones(2), T.ones(3), T.ones(3)),
    "addcdiv_int": lambda T: T.addcdiv(T.ones(2, dtype=T.int64), T.ones(2, dtype=T.int64),
                                       T.ones(2, dtype=T.int64)),
    "atan2_int_ok": lambda T: T.atan2(T.tensor([1]), T.tensor([1])),
    "exp_int_ok": lambda T: T.tensor([0]).exp(),
    "exp_int_inplace": lambda T: T.tensor([0]).exp_(),
    "sigmoid_bool": lambda T: T.tensor([True]).sigmoid(),
    "abs_bool": lambda T: T.tensor([True]).abs(),
    "neg_bool": lambda T: T.tensor([True]).neg(),
    "sign_bool": lambda T: T.tensor([True]).sign(),
    "round_decimals_int": lambda T: T.tensor([1]).round(decimals=1),
    "fmod_int_zero": lambda T: T.fmod(T.tensor([3]), 0),
    "logical_and_shape": lambda T: T.logical_and(T.ones(2), T.ones(3)),
    "isclose_dtype": lambda T: T.isclose(T.ones(2), T.ones(2, dtype=T.float64)),
    "isclose_negative_rtol": lambda T: T.isclose(T.ones(2), T.ones(2), rtol=-1.0),
    "allclose_shape": lambda T: T.allclose(T.ones(2), T.ones(3)),
    "equal_shapes_ok": lambda T: T.equal(T.ones(2), T.ones(3)),
    "polygamma_negative": lambda T: T.polygamma(-1, T.ones(2)),
    "mvlgamma_p_zero": lambda T: T.mvlgamma(T.ones(2) * 3, 0),
    "tril_1d": lambda T: T.ones(3).tril(),
    "diag_3d": lambda T: T.diag(T.ones(2, 2, 2)),
    "trace_1d": lambda T: T.ones(3).trace(),
    "kron_ok": lambda T: T.kron(T.ones(2), T.ones(2)),
    "cross_wrong_dim": lambda T: T.linalg.cross(T.ones(2), T.ones(2)),
    "cross_shape": lambda T: T.linalg.cross(T.ones(3), T.ones(4)),
    "cdist_dims": lambda T: T.cdist(T.ones(2, 3), T.ones(2, 4)),
    "cdist_negative_p": lambda T: T.cdist(T.ones(2, 3), T.ones(2, 3), p=-1),
    "pad_too_long": lambda T: T.nn.functional.pad(T.ones(2), (1, 1, 1, 1)),
    "pad_odd": lambda T: T.nn.functional.pad(T.ones(2), (1,)),
    "pad_bad_mode": lambda T: T.nn.functional.pad(T.ones(1, 2), (1, 1), mode="bogus"),
    "pad_reflect_too_big": lambda T: T.nn.functional.pad(T.ones(1, 2), (2, 2), mode="reflect"),
    # --- random sampling ---------------------------------------------------------------------
    "multinomial_zeros": lambda T: T.multinomial(T.zeros(3), 1),
    "multinomial_negative": lambda T: T.multinomial(T.tensor([1.0, -1.0]), 1),
    "multinomial_too_many": lambda T: T.multinomial(T.tensor([1.0, 1.0]), 3),
    "multinomial_zero_samples": lambda T: T.multinomial(T.tensor([1.0, 1.0]), 0),
    "multinomial_3d": lambda T: T.multinomial(T.ones(1, 1, 2), 1),
    "multinomial_int": lambda T: T.multinomial(T.tensor([1, 1]), 1),
    "multinomial_inf": lambda T: T.multinomial(T.tensor([1.0, float("inf")]), 1),
    "normal_std_negative": lambda T: T.normal(0.0, -1.0, (2,)),
    "normal_std_tensor_negative": lambda T: T.normal(T.zeros(2), -T.ones(2)),
    "normal_inplace_std_negative": lambda T: T.ones(2).normal_(0, -1),
    "bernoulli_p_gt_1": lambda T: T.bernoulli(T.tensor([1.5])),
    "bernoulli_p_negative": lambda T: T.bernoulli(T.tensor([-0.5])),
    "bernoulli_p_scalar_gt_1": lambda T: T.ones(2).bernoulli_(2.0),
    "bernoulli_int": lambda T: T.bernoulli(T.tensor([1])),
    "uniform_from_gt_to": lambda T: T.ones(2).uniform_(1, 0),
    "exponential_negative": lambda T: T.ones(2).exponential_(-1),
    "geometric_p_zero": lambda T: T.ones(2).geometric_(0),
    "random_from_ge_to": lambda T: T.ones(2).random_(5, 3),
    "dropout_p_big": lambda T: T.nn.functional.dropout(T.ones(2), p=1.5),
    "dropout_p_negative": lambda T: T.nn.functional.dropout(T.ones(2), p=-0.5),
    "poisson_negative": lambda T: T.poisson(T.tensor([-1.0])),
    # --- linalg --------------------------------------------------------------------------------
    "inv_singular": lambda T: T.linalg.inv(T.zeros(2, 2)),
    "inv_non_square": lambda T: T.linalg.inv(T.ones(2, 3)),
    "inv_1d": lambda T: T.linalg.inv(T.ones(3)),
    "inv_int": lambda T: T.linalg.inv(T.eye(2, dtype=T.int64)),
    "det_non_square": lambda T: T.det(T.ones(2, 3)),
    "cholesky_not_pd": lambda T: T.linalg.cholesky(-T.eye(2)),
    "solve_shape": lambda T: T.linalg.solve(T.eye(2), T.ones(3)),
    "solve_singular": lambda T: T.linalg.solve(T.zeros(2, 2), T.ones(2)),
    "norm_bad_ord": lambda T: T.linalg.norm(T.ones(2, 2), ord=3),
    "matrix_norm_1d": lambda T: T.linalg.matrix_norm(T.ones(2)),
    "vector_norm_int": lambda T: T.linalg.vector_norm(T.tensor([1, 2])),
    "eigh_non_square": lambda T: T.linalg.eigh(T.ones(2, 3)),
    "svd_1d": lambda T: T.linalg.svd(T.ones(3)),
    "qr_bad_mode": lambda T: T.linalg.qr(T.eye(2), mode="bogus"),
    "matrix_power_non_square": lambda T: T.linalg.matrix_power(T.ones(2, 3), 2),
    "matrix_power_singular_negative": lambda T: T.linalg.matrix_power(T.zeros(2, 2), -1),
    "pinv_1d": lambda T: T.linalg.pinv(T.ones(3)),
    "lstsq_shape": lambda T: T.linalg.lstsq(T.ones(3, 2), T.ones(4, 1)),
}

# --- more argument checks (devices, views, scatter/fill, activations, losses) ----------------
CASES.update({
    "ones_2_to_device_cuda_0": lambda T: T.ones(2).to(device='cuda:0'),
    "ones_2_device_t_device_cuda": lambda T: T.ones(2, device=T.device('cuda')),
    "device_cuda_x": lambda T: T.device('cuda:x'),
    "device_cpu_0_1": lambda T: T.device('cpu:0:1'),
    "device": lambda T: T.device(''),
    "device_cpu_a": lambda T: T.device('cpu', 'a'),
    "ones_2_to_cpu_1": lambda T: T.ones(2).to('cpu:1'),
    "ones_2_pin_memory": lambda T: T.ones(2).pin_memory(),
    "empty_2_pin_memory_true": lambda T: T.empty(2, pin_memory=True),
    "ones_2_type_t_cuda_floattensor": lambda T: T.ones(2).type(T.cuda.FloatTensor),
    "ones_2_numpy_force_true_dtype": lambda T: T.ones(2).numpy(force=True).dtype,
    "ones_2_new_zeros_1": lambda T: T.ones(2).new_zeros(-1),
    "ones_2_new_tensor_300_dtype_t_uint8": lambda T: T.ones(2).new_tensor([300], dtype=T.uint8),
    "ones_2_new_full_2_300_dtype_t_uint8": lambda T: T.ones(2).new_full((2,), 300, dtype=T.uint8),
    "ones_2_new_ones_2_0": lambda T: T.ones(2).new_ones(2.0),
    "ones_2_expand_1_1": lambda T: T.ones(2).expand(-1, -1),
    "ones_2_expand_2_1": lambda T: T.ones(2).expand(2, -1),
    "ones_2_expand_3_2_1": lambda T: T.ones(2).expand((3, 2), 1),
    "ones_2_3_swapaxes_0_5": lambda T: T.ones(2,3).swapaxes(0, 5),
    "ones_2_3_movedim_0_5": lambda T: T.ones(2,3).movedim(0, 5),
    "ones_2_3_split_2_5": lambda T: T.ones(2,3).split(2.5),
    "ones_2_3_tensor_split_0": lambda T: T.ones(2,3).tensor_split(0),
    "ones_2_3_chunk_1": lambda T: T.ones(2,3).chunk(-1),
    "ones_2_3_tile_1": lambda T: T.ones(2,3).tile(-1),
    "ones_2_3_repeat_interleave_1": lambda T: T.ones(2,3).repeat_interleave(-1),
    "ones_2_3_gather_0_t_tensor_5_0_0": lambda T: T.ones(2,3).gather(0, T.tensor([[5, 0, 0]])),
    "ones_2_3_scatter_0_t_tensor_0_0_0_1_0_re":
        lambda T: T.ones(2,3).scatter_(0, T.tensor([[0, 0, 0]]), 1.0, reduce='bogus'),
    "ones_2_3_masked_fill_t_ones_2_3_dtype_t":
        lambda T: T.ones(2,3).masked_fill_(T.ones(2,3, dtype=T.bool), T.ones(2)),
    "ones_2_3_masked_fill_t_ones_2_3_dtype_t_2":
        lambda T: T.ones(2,3).masked_fill(T.ones(2,3, dtype=T.uint8), 0.0),
    "ones_2_3_masked_scatter_t_ones_2_3_dtype":
        lambda T: T.ones(2,3).masked_scatter(T.ones(2,3,dtype=T.bool), T.ones(2)),
    "ones_2_3_index_put_t_tensor_0_t_ones_3_d":
        lambda T: T.ones(2,3).index_put_((T.tensor([0]),), T.ones(3, dtype=T.float64)),
    "ones_2_3_put_t_tensor_9_t_ones_1": lambda T: T.ones(2,3).put_(T.tensor([9]), T.ones(1)),
    "ones_2_3_diag_embed_dim1_0_dim2_0": lambda T: T.ones(2,3).diag_embed(dim1=0, dim2=0),
    "ones_2_3_triu_1_5": lambda T: T.ones(2,3).triu(1.5),
    "ones_2_3_roll_1_5": lambda T: T.ones(2,3).roll(1, 5),
    "ones_2_3_rot90_1_0_0": lambda T: T.ones(2,3).rot90(1, [0, 0]),
    "ones_2_3_flip_5": lambda T: T.ones(2,3).flip(5),
    "ones_2_3_sort_stable_none": lambda T: T.ones(2,3).sort(stable=None),
    "ones_2_3_argsort_dim_5": lambda T: T.ones(2,3).argsort(dim=5),
    "ones_2_3_cummax_5": lambda T: T.ones(2,3).cummax(5),
    "ones_2_3_logcumsumexp_5": lambda T: T.ones(2,3).logcumsumexp(5),
    "ones_2_3_fill_t_ones_2": lambda T: T.ones(2,3).fill_(T.ones(2)),
    "ones_2_3_fill_a": lambda T: T.ones(2,3).fill_('a'),
    "ones_2_3_copy_t_ones_4": lambda T: T.ones(2,3).copy_(T.ones(4)),
    "ones_2_3_copy_1_2_3": lambda T: T.ones(2,3).copy_([1,2,3]),
    "ones_2_3_softmax_dim_3": lambda T: T.ones(2, 3).softmax(dim=-3),
    "ones_2_3_log_softmax_5": lambda T: T.ones(2, 3).log_softmax(5),
    "relu_t_ones_2_dtype_t_bool": lambda T: T.nn.functional.relu(T.ones(2, dtype=T.bool)),
    "relu_t_ones_2_dtype_t_int64": lambda T: T.nn.functional.relu(T.ones(2, dtype=T.int64)),
    "silu_t_ones_2_dtype_t_int64": lambda T: T.nn.functional.silu(T.ones(2, dtype=T.int64)),
    "hardtanh_t_ones_2_2_0_1_0": lambda T: T.nn.functional.hardtanh(T.ones(2), 2.0, 1.0),
    "glu_t_ones_3": lambda T: T.nn.functional.glu(T.ones(3)),
    "normalize_t_ones_2_p_1": lambda T: T.nn.functional.normalize(T.ones(2), p=-1),
    "linear_t_ones_2_3_t_ones_3": lambda T: T.nn.functional.linear(T.ones(2, 3), T.ones(3)),
    "conv2d_t_ones_1_1_3_3_t_ones_1_1_2":
        lambda T: T.nn.functional.conv2d(T.ones(1, 1, 3, 3), T.ones(1, 1, 2)),
    "conv1d_t_ones_1_2_3_t_ones_1_1_2_groups":
        lambda T: T.nn.functional.conv1d(T.ones(1, 2, 3), T.ones(1, 1, 2), groups=3),
    "layer_norm_t_ones_2_3_2": lambda T: T.nn.functional.layer_norm(T.ones(2, 3), (2,)),
    "batch_norm_t_ones_2_3_t_ones_2_t_ones_3":
        lambda T: T.nn.functional.batch_norm(T.ones(2, 3), T.ones(2), T.ones(3)),
    "group_norm_t_ones_2_3_2": lambda T: T.nn.functional.group_norm(T.ones(2, 3), 2),
    "avg_pool2d_t_ones_1_1_2_2_3": lambda T: T.nn.functional.avg_pool2d(T.ones(1, 1, 2, 2), 3),
    "max_pool2d_t_ones_1_1_2_2_0": lambda T: T.nn.functional.max_pool2d(T.ones(1, 1, 2, 2), 0),
    "dropout_t_ones_2_p_0_5_training_x":
        lambda T: T.nn.functional.dropout(T.ones(2), p=0.5, training='x'),
    "cross_entropy_t_ones_2_3_t_tensor_0_1_re":
        lambda T: T.nn.functional.cross_entropy(T.ones(2, 3), T.tensor([0, 1]), reduction='bogus'),
    "cross_entropy_t_ones_2_3_t_tensor_0_1_ig":
        lambda T: T.nn.functional.cross_entropy(T.ones(2, 3), T.tensor([0, 1]), ignore_index=1.5),
    "kl_div_t_ones_2_t_ones_3_reduction_batch":
        lambda T: T.nn.functional.kl_div(T.ones(2), T.ones(3), reduction='batchmean'),
    "triplet_margin_loss_t_ones_2_3_t_ones_2":
        lambda T: T.nn.functional.triplet_margin_loss(T.ones(2, 3), T.ones(2, 3), T.ones(2, 4)),
    "poisson_nll_loss_t_ones_2_t_ones_3":
        lambda T: T.nn.functional.poisson_nll_loss(T.ones(2), T.ones(3)),
    "gaussian_nll_loss_t_ones_2_t_ones_2_t_on":
        lambda T: T.nn.functional.gaussian_nll_loss(T.ones(2), T.ones(2), -T.ones(2)),
    "gaussian_nll_loss_t_ones_2_3_t_ones_2_3":
        lambda T: T.nn.functional.gaussian_nll_loss(T.ones(2, 3), T.ones(2, 3), T.ones(2, 2)),
    "multi_margin_loss_t_ones_2_3_t_tensor_0":
        lambda T: T.nn.functional.multi_margin_loss(T.ones(2, 3), T.tensor([0, 3])),
    "soft_margin_loss_t_ones_2_t_ones_3":
        lambda T: T.nn.functional.soft_margin_loss(T.ones(2), T.ones(3)),
    "hinge_embedding_loss_t_ones_2_t_ones_3":
        lambda T: T.nn.functional.hinge_embedding_loss(T.ones(2), T.ones(3)),
})

# --- argument types PyTorch's parser checks (Number, float, bool) and adaptive output sizes ----
_NAN = "T.tensor([float('nan'), 1.0])"
CASES.update({
    "leaky_relu_slope_str": lambda T: T.nn.functional.leaky_relu(T.ones(2), negative_slope="a"),
    "leaky_relu_slope_none": lambda T: T.nn.functional.leaky_relu(T.ones(2), None),
    "leaky_relu_slope_str_inplace":
        lambda T: T.nn.functional.leaky_relu(T.ones(2), "a", inplace=True),
    "leaky_relu__slope_str": lambda T: T.nn.functional.leaky_relu_(T.ones(2), "a"),
    "leaky_relu_slope_bool": lambda T: T.nn.functional.leaky_relu(-T.ones(2), True),
    "leaky_relu_module_slope_str": lambda T: T.nn.LeakyReLU("a")(T.ones(2)),
    "elu_alpha_str": lambda T: T.nn.functional.elu(T.ones(2), alpha="a"),
    "elu_alpha_str_inplace": lambda T: T.nn.functional.elu(T.ones(2), "a", True),
    "elu__alpha_none": lambda T: T.nn.functional.elu_(T.ones(2), None),
    "elu_module_alpha_str": lambda T: T.nn.ELU("a")(T.ones(2)),
    "nan_to_num_nan_str_kw": eval(f"lambda T: T.nan_to_num({_NAN}, nan='x')"),
    "nan_to_num_neginf_list_kw": eval(f"lambda T: T.nan_to_num({_NAN}, neginf=[1])"),
    "nan_to_num_nan_none": eval(f"lambda T: T.nan_to_num({_NAN}, nan=None)"),
    "nan_to_num_nan_bool": eval(f"lambda T: T.nan_to_num({_NAN}, nan=True)"),
    "nan_to_num_method_nan_str": eval(f"lambda T: {_NAN}.nan_to_num('x')"),
    "nan_to_num_method_posinf_str": eval(f"lambda T: {_NAN}.nan_to_num(None, 'x')"),
    "nan_to_num__method_nan_str": eval(f"lambda T: {_NAN}.nan_to_num_('x')"),
    "nan_to_num__method_nan_str_kw": eval(f"lambda T: {_NAN}.nan_to_num_(nan='x')"),
    "unique_return_counts_str": lambda T: T.unique(T.ones(2), return_counts="x"),
    "unique_return_counts_int": lambda T: T.unique(T.ones(2), return_counts=1),
    "unique_sorted_str": lambda T: T.unique(T.ones(2), "x"),
    "unique_return_inverse_none": lambda T: T.unique(T.ones(2), return_inverse=None),
    "unique_method_return_counts_str": lambda T: T.ones(2).unique(return_counts="x"),
    "unique_dim_str": lambda T: T.unique(T.ones(2), dim="a"),
    "unique_dim_float": lambda T: T.unique(T.ones(2), dim=1.0),
    "unique_dim_return_counts_str": lambda T: T.unique(T.ones(2), return_counts="x", dim=0),
    "adaptive_avg_pool1d_negative":
        lambda T: T.nn.functional.adaptive_avg_pool1d(T.ones(1, 4), -1),
    "adaptive_avg_pool2d_negative":
        lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 4, 4), (-1, 2)),
    "adaptive_avg_pool2d_negative_int":
        lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 4, 4), -2),
    "adaptive_avg_pool2d_none_negative":
        lambda T: T.nn.functional.adaptive_avg_pool2d(T.ones(1, 4, 4), (None, -3)),
    "adaptive_max_pool1d_negative":
        lambda T: T.nn.functional.adaptive_max_pool1d(T.ones(3, 4), -3),
    "adaptive_max_pool2d_negative":
        lambda T: T.nn.functional.adaptive_max_pool2d(T.ones(2, 3, 4, 4), (-1, -2)),
    "adaptive_max_pool2d_second_negative":
        lambda T: T.nn.functional.adaptive_max_pool2d(T.ones(3, 4, 4), (2, -2)),
})

# --- a wrong-type int argument: the position counts what the user wrote (function or method) ---
CASES.update({
    "cumsum_fn_dim_str": lambda T: T.cumsum(T.ones(2), "a"),
    "cumsum_method_dim_str": lambda T: T.ones(2).cumsum("a"),
    "cumsum_fn_dim_kw_str": lambda T: T.cumsum(T.ones(2), dim="a"),
    "cumsum_fn_dim_none": lambda T: T.cumsum(T.ones(2), None),
    "cumsum__method_dim_str": lambda T: T.ones(2).cumsum_("a"),
    "cumprod_fn_dim_float": lambda T: T.cumprod(T.ones(2), 1.5),
    "argmax_fn_dim_str": lambda T: T.argmax(T.ones(2), "a"),
    "argmax_method_dim_str": lambda T: T.ones(2).argmax("a"),
    "softmax_fn_dim_str": lambda T: T.softmax(T.ones(2), "a"),
    "transpose_fn_dim1_str": lambda T: T.transpose(T.ones(2, 2), 0, "a"),
    "transpose_method_dim1_str": lambda T: T.ones(2, 2).transpose(0, "a"),
    "unsqueeze_fn_dim_str": lambda T: T.unsqueeze(T.ones(2), "a"),
    "flatten_fn_start_dim_str": lambda T: T.flatten(T.ones(2, 2), "a"),
    "gather_fn_dim_str": lambda T: T.gather(T.ones(2), "a", T.zeros(2, dtype=T.int64)),
    "topk_fn_k_str": lambda T: T.topk(T.ones(2), "a"),
    "nan_to_num_fn_nan_str": eval(f"lambda T: T.nan_to_num({_NAN}, 'x')"),
    "nan_to_num_fn_posinf_str": eval(f"lambda T: T.nan_to_num({_NAN}, None, 'x')"),
})

# --- a dim list with a non-int past its first element; sum/mean/nansum with a float dim --------
CASES.update({
    "sum_dim_tuple_second_float": lambda T: T.ones(2, 2).sum(dim=(0, 1.0)),
    "sum_fn_dim_tuple_second_float": lambda T: T.sum(T.ones(2, 2), (0, 1.0)),
    "sum_dim_list_second_str": lambda T: T.ones(2, 2).sum(dim=[0, "a"]),
    "sum_dim_tuple_second_none": lambda T: T.ones(2, 2).sum((0, None)),
    "mean_dim_tuple_second_float": lambda T: T.ones(2, 2).mean(dim=(0, 1.0)),
    "amax_dim_tuple_second_float": lambda T: T.ones(2, 2).amax(dim=(0, 1.0)),
    "flip_fn_dims_second_float": lambda T: T.flip(T.ones(2, 2), (0, 1.0)),
    "squeeze_dims_second_float": lambda T: T.ones(2, 2).squeeze((0, 1.0)),
    "std_dim_tuple_second_float": lambda T: T.ones(2, 2).std(dim=(0, 1.0)),
    "logsumexp_dim_tuple_second_float": lambda T: T.ones(2, 2).logsumexp((0, 1.0)),
    "sum_fn_dim_float": lambda T: T.sum(T.ones(2, 2), 1.0),
    "sum_fn_dim_kw_float": lambda T: T.sum(T.ones(2, 2), dim=1.0),
    "mean_fn_dim_float": lambda T: T.mean(T.ones(2, 2), 1.0),
    "mean_fn_dim_kw_str": lambda T: T.mean(T.ones(2, 2), dim="a"),
    "sum_method_dim_float": lambda T: T.ones(2, 2).sum(1.0),
    "nansum_dim_float": lambda T: T.ones(2, 2).nansum(1.0),
    "nansum_fn_dim_float": lambda T: T.nansum(T.ones(2, 2), 1.0),
    "nansum_dim_kw_str": lambda T: T.ones(2, 2).nansum(dim="a"),
})

# --- max/min/squeeze with a dim of the wrong type: PyTorch lists the overloads ----------------
CASES.update({
    "max_method_dim_float": lambda T: T.ones(2, 2).max(1.0),
    "max_method_dim_kw_float": lambda T: T.ones(2, 2).max(dim=1.0),
    "max_fn_dim_float": lambda T: T.max(T.ones(2, 2), 1.0),
    "max_fn_dim_kw_float": lambda T: T.max(T.ones(2, 2), dim=1.0),
    "max_method_dim_float_keepdim": lambda T: T.ones(2, 2).max(1.0, True),
    "max_method_dim_str": lambda T: T.ones(2, 2).max("a"),
    "min_method_dim_kw_str": lambda T: T.ones(2, 2).min(dim="a"),
    "min_fn_dim_str": lambda T: T.min(T.ones(2, 2), "a"),
    "squeeze_method_dim_float": lambda T: T.ones(2, 2).squeeze(1.0),
    "squeeze_method_dim_kw_float": lambda T: T.ones(2, 2).squeeze(dim=1.0),
    "squeeze_fn_dim_float": lambda T: T.squeeze(T.ones(2, 2), 1.0),
    "squeeze_fn_dim_kw_float": lambda T: T.squeeze(T.ones(2, 2), dim=1.0),
    "squeeze_method_dim_str": lambda T: T.ones(2, 2).squeeze("a"),
})

# --- clamp with a bound of the wrong type: the types as given, in each form -------------------
CASES.update({
    "clamp_fn_positional_str": lambda T: T.clamp(T.ones(2), 1, "a"),
    "clamp_fn_one_positional_str": lambda T: T.clamp(T.ones(2), "a"),
    "clamp_fn_min_kw_str": lambda T: T.clamp(T.ones(2), min="a"),
    "clamp_fn_positional_and_kw": lambda T: T.clamp(T.ones(2), 1, max="a"),
    "clamp_fn_none_and_str": lambda T: T.clamp(T.ones(2), None, "a"),
    "clamp_fn_kws_reversed": lambda T: T.clamp(T.ones(2), min=None, max="a"),
    "clamp_method_positional_str": lambda T: T.ones(2).clamp(1, "a"),
    "clamp_method_one_positional_str": lambda T: T.ones(2).clamp("a"),
    "clamp_method_max_kw_str": lambda T: T.ones(2).clamp(max="a"),
    "clamp_method_positional_and_kw": lambda T: T.ones(2).clamp(1, max="a"),
    "clamp_method_two_kws": lambda T: T.ones(2).clamp(min="a", max=1),
    "clamp_method_tensor_and_str": lambda T: T.ones(2).clamp(T.ones(2), "a"),
    "clamp__method_positional_str": lambda T: T.ones(2).clamp_(1, "a"),
    "clamp__method_max_kw_str": lambda T: T.ones(2).clamp_(max="a"),
})

# --- where with a uint8 condition: deprecated, computed with a (once-per-process) warning -------
_U8 = "T.tensor([1, 0, 2], dtype=T.uint8)"
CASES.update({
    "where_uint8_condition": eval(f"lambda T: T.where({_U8}, T.ones(3), T.zeros(3))"),
    "where_uint8_condition_scalars": eval(f"lambda T: T.where({_U8}, 1.0, 0.0)"),
    "where_uint8_condition_method": eval(f"lambda T: T.ones(3).where({_U8}, T.zeros(3))"),
    "where_uint8_condition_grad": eval(
        f"lambda T: (lambda x: T.autograd.grad(T.where({_U8}, x, -x).sum(), x))"
        "(T.ones(3, requires_grad=True))"),
    "where_int8_condition": lambda T: T.where(T.tensor([1, 0], dtype=T.int8), T.ones(2),
                                              T.zeros(2)),
})

# --- int and int[] arguments of another type (the op's own check, named by the public wrapper) ---
CASES.update({
    "diagonal_offset_str_method": lambda T: T.ones(3, 4).diagonal("a"),
    "diagonal_offset_float_function": lambda T: T.diagonal(T.ones(3, 4), 1.5),
    "chunk_chunks_str_method": lambda T: T.ones(3, 4).chunk("a"),
    "chunk_chunks_float_function": lambda T: T.chunk(T.ones(3, 4), 2.0),
    "kthvalue_k_str_method": lambda T: T.ones(3, 4).kthvalue("a"),
    "kthvalue_k_float_function": lambda T: T.kthvalue(T.ones(3, 4), 1.5),
    "roll_shifts_str_method": lambda T: T.ones(3, 4).roll("a"),
    "roll_dims_str_method": lambda T: T.ones(3, 4).roll(1, "a"),
    "roll_shifts_float_function": lambda T: T.roll(T.ones(3, 4), 1.5),
    "roll_shifts_list_bad_element": lambda T: T.roll(T.ones(3, 4), [1, "a"], 0),
    "roll_dims_list_bad_element": lambda T: T.ones(3, 4).roll(1, [0, "b"]),
    "logsumexp_dim_str_method": lambda T: T.ones(3, 4).logsumexp("a"),
    "logsumexp_dim_float_function": lambda T: T.logsumexp(T.ones(3, 4), 1.5),
})

# --- alpha = 0 / beta = 0 with inf/NaN operands: PyTorch's BLAS-backed addmm, addmv and addbmm
# ignore the product when alpha = 0 (addr and baddbmm multiply: 0 * inf = NaN); every one of
# them ignores input when beta = 0 -----------------------------------------------------------
_INF = "T.tensor([[float('inf'), 1.0], [float('nan'), 2.0]])"
_BAD = "T.tensor([[float('inf'), float('nan')], [1.0, 2.0]])"
_M, _I = "T.tensor([[1.0, 2.0], [3.0, 4.0]])", "T.eye(2)"
_V, _VBAD = "T.tensor([1.0, 2.0])", "T.tensor([float('inf'), float('nan')])"
CASES.update({k: eval("lambda T: " + v) for k, v in {
    "addmm_alpha0_inf_product": f"T.addmm({_M}, {_INF}, {_I}, alpha=0)",
    "addmm_beta0_inf_input": f"T.addmm({_BAD}, {_I}, {_I}, beta=0)",
    "addmm_alpha0_beta0": f"T.addmm({_BAD}, {_INF}, {_I}, beta=0, alpha=0)",
    "addmm__alpha0_inf_product": f"{_M}.addmm_({_INF}, {_I}, alpha=0)",
    "addmv_alpha0_inf_product": f"T.addmv({_V}, {_INF}, {_V}, alpha=0)",
    "addmv_beta0_inf_input": f"T.addmv({_VBAD}, {_I}, {_V}, beta=0)",
    "addr_alpha0_inf_product_is_nan": f"T.addr({_M}, {_VBAD}, {_V}, alpha=0)",
    "addr_beta0_inf_input": f"T.addr({_BAD}, {_V}, {_V}, beta=0)",
    "addbmm_alpha0_inf_product": f"T.addbmm({_M}, T.stack([{_INF}] * 2), T.stack([{_I}] * 2), "
                                 "alpha=0)",
    "addbmm_beta0_inf_input": f"T.addbmm({_BAD}, T.stack([{_I}] * 2), T.stack([{_I}] * 2), "
                              "beta=0)",
    "baddbmm_alpha0_inf_product_is_nan": f"T.baddbmm(T.stack([{_M}] * 2), T.stack([{_INF}] * 2), "
                                         f"T.stack([{_I}] * 2), alpha=0)",
    "baddbmm_beta0_inf_input": f"T.baddbmm(T.stack([{_BAD}] * 2), T.stack([{_I}] * 2), "
                               f"T.stack([{_I}] * 2), beta=0)",
}.items()})

# --- unique(dim) with NaN: PyTorch's std::sort order with a comparator NaN breaks, every slice
# holding NaN its own group (values, inverse and counts compared) ------------------------------
_NANROWS = ("T.tensor([[2.0, 1.0], [float('nan'), 1.0], [float('nan'), 0.0], [2.0, float('nan')],"
            " [2.0, 1.0], [0.0, 0.0]])")
CASES.update({k: eval("lambda T: " + v) for k, v in {
    "unique_dim_nan_rows": f"T.unique({_NANROWS}, dim=0, return_inverse=True, return_counts=True)",
    "unique_dim_nan_columns": f"{_NANROWS}.T.unique(dim=1, return_inverse=True, "
                              "return_counts=True)",
    "unique_dim_nan_unsorted_flag": f"T.unique({_NANROWS}, sorted=False, dim=0)",
    "unique_dim_nan_long": "T.unique(T.tensor([[float(i % 3)] if i % 4 else [float('nan')] "
                           "for i in range(40)]), dim=0, return_inverse=True, "
                           "return_counts=True)",
    "unique_dim_nan_3d": f"T.unique(T.stack([{_NANROWS}, {_NANROWS} * 2]), dim=1, "
                         "return_inverse=True, return_counts=True)",
    "unique_consecutive_dim_nan": f"T.unique_consecutive({_NANROWS}, dim=0, return_inverse=True,"
                                  " return_counts=True)",
}.items()})

DIFFERENT: dict[str, str] = {
    "clamp_inplace_int_float": "PyTorch's clamp_ with a Number bound names the output type by its "
                               "C++ name ('long int'); retrograd words it as every other in-place "
                               "op does in PyTorch ('Long')",
}


@pytest.mark.parametrize("name", list(CASES))
def test_function_misuse_like_torch(name):
    check(CASES, DIFFERENT, name)
