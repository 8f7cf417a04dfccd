"""The graph that a create_graph=True backward records, op by op, against torch 2.13.

``test_ops.test_double_backward_vs_torch`` checks second-order *values*, with grad_outputs that
require grad (so a graph always exists). This checks the *graph* a user sees when the incoming
gradient is a constant (``y.sum()``'s, or a loss's): for every row of the op table, each
first-order gradient taken with ``create_graph=True`` must

- require grad exactly when torch's does (torch connects a backward kernel such as
  ``max_pool2d_with_indices_backward`` to its saved input even where that derivative is zero:
  a second ``autograd.grad`` then gives zeros, where a gradient without a graph raises);
- reach the same set of node names (``TanhBackwardBackward0``, ``TBackward0``, ...);
- give the same second-order gradients of ``sum(g * v)``.

Rows that still differ are listed in ``KNOWN`` with what differs; they run as strict xfails,
so a row that comes to match must leave the list. The list is the worklist of this graph's
fidelity; the values of these rows are right (test_ops checks them).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from op_db import OP_DB
from test_ops import _float_outputs, _leaves, _np

# row name -> what differs (names: ours | torch's)
KNOWN: dict[str, str] = {
    # --- activations -----------------------------------------------------------------------------

    # --- softmax_losses --------------------------------------------------------------------------
    'multi_head_attention_forward': "grad 0 nodes ['IndexPutImplBackward0'] | ['SelectBackwardBackward0']; grad 1 nodes ['IndexPutImplBackward0'] | ['SelectBackwardBackward0']; grad 2 nodes ['IndexPutImplBackward0'] | ['SelectBackwardBackward0']",
    'triplet_margin_loss': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 2 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'triplet_margin_loss_p1_swap_sum': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']; grad 1 nodes ['SignBackward0'] | ['SgnBackward0']; grad 2 nodes ['SignBackward0'] | ['SgnBackward0']",
    'triplet_margin_with_distance_loss': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 2 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'triplet_margin_with_distance_loss_cosine_swap': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 2 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",

    # --- conv_norm -------------------------------------------------------------------------------
    'normalize': "grad 0 nodes [] | ['MaskedFillBackward0']",
    'normalize_p1_dim0': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'weight_norm_dim_all': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SumBackward0']",
    'weight_norm_dim_middle': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",

    # --- pool_pad_interp -------------------------------------------------------------------------
    'grid_sample_bilinear': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'grid_sample_bilinear_border_align': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'grid_sample_bilinear_reflection': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'grid_sample_nearest': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'grid_sample_bicubic': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'NegBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'grid_sample_bicubic_reflection': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'NegBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'grid_sample_3d': "grad 0 nodes ['AddBackward0', 'GridSampler3DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler3DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler3DBackward0Gather', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler3DBackwardBackward0']",
    'grid_sample_3d_nearest_reflection': "grad 0 nodes ['AddBackward0', 'GridSampler3DBackward0Scatter', 'MulBackward0', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler3DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler3DBackward0Gather', 'MulBackward0', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler3DBackwardBackward0']",
    'grid_sampler': "grad 0 nodes ['AddBackward0', 'GridSampler2DBackward0Scatter', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']; grad 1 nodes ['AddBackward0', 'GridSampler2DBackward0Gather', 'MulBackward0', 'RsubBackward1', 'StackBackward0', 'SubBackward0', 'SumBackward1', 'UnsqueezeBackward0', 'ViewBackward0'] | ['GridSampler2DBackwardBackward0']",
    'interp_area_3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool2d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool2d_pad_ceil': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool2d_dilation_3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool2d_return_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool2d_with_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool1d_with_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_unpool2d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_unpool2d_padded': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool2d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool2d_exclude_pad': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool2d_divisor': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'lp_pool2d_inf': "grad 0 nodes [] | ['AbsBackward0', 'MaxPool2DWithIndicesBackwardBackward0']",
    'adaptive_avg_pool2d_divisible': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_avg_pool2d_uneven': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_avg_pool2d_upsample': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_avg_pool1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool2d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool2d_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool2d_with_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool1d_torch': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'interp_area': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool3d_full': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool3d_torch': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_pool3d_with_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool3d_exclude_pad': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'avg_pool3d_divisor': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'lp_pool3d_inf': "grad 0 nodes [] | ['AbsBackward0', 'MaxPool3DWithIndicesBackwardBackward0']",
    'adaptive_avg_pool3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_avg_pool3d_none': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool3d_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'adaptive_max_pool3d_with_indices': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_unpool3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_unpool3d_padded': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'max_unpool1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'pad_reflect_1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'pad_reflect_2d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'pad_reflect_3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'pad_replicate_1d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'pad_replicate_2d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',
    'pad_replicate_3d': 'grad 0 requires_grad False | True; second-order gradient exists in one library only',

    # --- matmul_linalg ---------------------------------------------------------------------------
    'matrix_norm_fro': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'matrix_norm_1': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'matrix_norm_neg1_keepdim': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'matrix_norm_inf': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'matrix_norm_neginf_dims': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'linalg_norm': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'linalg_norm_dim': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",

    # --- core_elementwise ------------------------------------------------------------------------

    # --- core_reduction_views --------------------------------------------------------------------
    'mul_0d': "grad 1 nodes ['SumBackward1', 'ViewBackward0'] | ['SumBackward0']",
    'mul__0d': "grad 1 nodes ['SumBackward1', 'ViewBackward0'] | ['SumBackward0']",
    'view_inplace_base': "grad 0 nodes ['AddBackward0', 'IndexPutImplBackward0'] | ['torch::autograd::CopySlices']",
    'view_inplace_nested': "grad 0 nodes ['AddBackward0', 'IndexPutImplBackward0'] | ['torch::autograd::CopySlices']",
    'view_inplace_twice': "grad 0 nodes ['AddBackward0', 'IndexBackward0', 'IndexPutImplBackward0', 'WhereBackward0'] | ['AsStridedBackward0', 'CloneBackward0', 'torch::autograd::CopyBackwards']; grad 1 nodes ['IndexBackward0', 'IndexPutImplBackward0', 'WhereBackward0'] | ['AsStridedBackward0', 'torch::autograd::CopyBackwards']",
    'view_sibling_after_inplace': "grad 0 nodes ['AddBackward0', 'IndexPutImplBackward0'] | ['torch::autograd::CopySlices']",
    'view_copy_': "grad 0 nodes ['AddBackward0', 'WhereBackward0'] | ['torch::autograd::CopyBackwards']; grad 1 nodes ['IndexBackward0'] | ['AsStridedBackward0', 'CloneBackward0', 'torch::autograd::CopyBackwards']",
    'vector_norm': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'vector_norm_1_dim': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'vector_norm_inf_keepdim': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'vector_norm_neginf': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'vector_norm_3': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'vector_norm_1_5': "grad 0 nodes ['SignBackward0', 'UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SgnBackward0']",
    'vector_norm_half': "grad 0 nodes ['SignBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SgnBackward0']",
    'vector_norm_neg1': "grad 0 nodes ['SignBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SgnBackward0']",
    'vector_norm_dtype': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'torch_norm': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'torch_norm_p1_dim': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'cdist_euclid_mm': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'cdist_euclid_mm_batched': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'cosine_similarity_m34': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'loss_cosine_similarity_broadcast': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'pairwise_distance_m34': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'loss_pairwise_distance_p3_keepdim': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'loss_pairwise_distance_p1': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']; grad 1 nodes ['SignBackward0'] | ['SgnBackward0']",
    'torch_triplet_margin_loss': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 2 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'cosine_similarity': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'cosine_similarity_broadcast_dim0': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'pairwise_distance': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'pairwise_distance_p3_keepdim': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; grad 1 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'pairwise_distance_p1': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']; grad 1 nodes ['SignBackward0'] | ['SgnBackward0']",
    'norm_except_dim_0': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_except_dim_1': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_except_dim_all': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'var_all': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward0']",
    'var_dim': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'var_dims_keepdim': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'var_unbiased_false': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'var_correction': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'var_correction0_all': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward0']",
    'var_0d': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward0']",
    'var_dof_negative_dim': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'var_empty_dims': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']; second-order grad 0 values",
    'std_empty_dims_correction0': "grad 0 nodes ['SumBackward1', 'UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward1', 'MulBackward1']",
    'std_all': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward0', 'MulBackward1']",
    'std_dim': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward1', 'MulBackward1']",
    'std_dim_keepdim_unbiased': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward1', 'MulBackward1']",
    'std_correction': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward1', 'MulBackward1']",
    'std_bool_unbiased': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward0', 'MulBackward1']",
    'std_constant_slice': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward1', 'MulBackward1']",
    'std_mean_all': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward0', 'MulBackward1']",
    'std_mean_dim': "grad 0 nodes ['SumBackward1', 'WhereBackward0'] | ['MaskedFillBackward0', 'MeanBackward1', 'MulBackward1']",
    'var_mean_all': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward0']",
    'var_mean_dims': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'var_mean_only_var_used': "grad 0 nodes ['DivBackward0', 'SumBackward1'] | ['MeanBackward1']",
    'std_mean_only_mean_used': "grad 0 nodes ['DivBackward0'] | ['DivBackward1']",
    'norm_fro': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_fn_fro_dim': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_fro_dims': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_p1': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'norm_p2_dim': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_p3': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_p1_5_dim': "grad 0 nodes ['SignBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SgnBackward0']",
    'norm_p0_5': "grad 0 nodes ['SignBackward0', 'UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SgnBackward0']",
    'norm_p_neg1': "grad 0 nodes ['SignBackward0', 'WhereBackward0'] | ['MaskedFillBackward0', 'SgnBackward0']",
    'norm_inf': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'norm_neg_inf_dim': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'norm_dtype': "grad 0 nodes ['UnsqueezeBackward0', 'WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_0d': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'norm_inf_ties': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'norm_p1_at_zero': "grad 0 nodes ['SignBackward0'] | ['SgnBackward0']",
    'norm_p2_zero_row': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']; second-order grad 0 values",
    'norm_p3_zero_row': "grad 0 nodes ['WhereBackward0'] | ['MaskedFillBackward0']",
    'cumprod_zeros': "grad 0 nodes ['TransposeBackward0', 'UnsqueezeBackward0', 'WhereBackward0'] | ['CatBackward0', 'ExpandBackward0', 'ProdBackward1', 'SliceBackward0', 'torch::autograd::CopySlices']",
    'cumprod_zero_per_row': "grad 0 nodes ['TransposeBackward0', 'UnsqueezeBackward0', 'WhereBackward0'] | ['CatBackward0', 'ExpandBackward0', 'ProdBackward1', 'SliceBackward0', 'torch::autograd::CopySlices']",
    'cumprod_two_zeros': "grad 0 nodes ['TransposeBackward0', 'UnsqueezeBackward0', 'WhereBackward0'] | ['CatBackward0', 'ExpandBackward0', 'ProdBackward1', 'SliceBackward0', 'torch::autograd::CopySlices']",
}


def _names(t: Any) -> frozenset:
    seen: set = set()
    names: set = set()
    stack = [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        name = n.name()
        if "AccumulateGrad" not in name:
            names.add(name)
        stack.extend(f for f, _ in n.next_functions)
    return frozenset(names)


def _graph(lib: Any, row, arrays, gouts, vs):
    inputs = _leaves(lib, arrays, ["float64"] * len(arrays))
    outs = _float_outputs(lib, row.fn(lib, *inputs))
    gos = [lib.tensor(g, dtype=lib.float64) for g in gouts]
    firsts = lib.autograd.grad(outs, inputs, grad_outputs=gos, create_graph=True,
                               allow_unused=True)
    graphs = [None if g is None else (g.requires_grad, _names(g) if g.requires_grad else None)
              for g in firsts]
    terms = [(g * lib.tensor(v, dtype=lib.float64)).sum() for g, v in zip(firsts, vs)
             if g is not None and g.requires_grad]
    seconds = None
    if terms:
        got = lib.autograd.grad(sum(terms), inputs, allow_unused=True)
        seconds = [np.zeros(a.shape) if g is None else _np(g) for g, a in zip(got, arrays)]
    return graphs, seconds


def difference(row) -> str | None:
    """What differs between retrograd's create_graph graph and torch's for ``row``, or None."""
    arrays = row.inputs()
    # (inputs that require grad: some rows take a gradient inside fn)
    ref_outs = _float_outputs(torch, row.fn(torch, *_leaves(torch, arrays, ["float64"] * len(arrays))))
    rng = np.random.default_rng([row.seed, 7])
    gouts = [rng.standard_normal(tuple(o.shape)) for o in ref_outs]
    vs = [rng.standard_normal(a.shape) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _graph(torch, row, arrays, gouts, vs)
        try:
            ours = _graph(retrograd, row, arrays, gouts, vs)
        except Exception as e:  # noqa: BLE001 - reported as the difference
            return f"raises {type(e).__name__}: {e}"
    out = []
    for i, (a, b) in enumerate(zip(ours[0], ref[0])):
        if (a is None) != (b is None) or (a is not None and a[0] != b[0]):
            out.append(f"grad {i} requires_grad {a and a[0]} | {b and b[0]}")
        elif a is not None and a[1] != b[1]:
            out.append(f"grad {i} nodes {sorted(a[1] - b[1])} | {sorted(b[1] - a[1])}")
    if (ours[1] is None) != (ref[1] is None):
        out.append("second-order gradient exists in one library only")
    elif ours[1] is not None:
        for i, (a, b) in enumerate(zip(ours[1], ref[1])):
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-7, atol=1e-9):
                out.append(f"second-order grad {i} values")
    return "; ".join(out) or None


ROWS = [r for r in OP_DB if r.gradgrad]


@pytest.mark.parametrize("row", [pytest.param(r, marks=pytest.mark.xfail(
    strict=True, reason=KNOWN[r.name])) if r.name in KNOWN else r for r in ROWS],
    ids=[r.name for r in ROWS])
def test_create_graph_graph_matches_torch(row):
    diff = difference(row)
    assert diff is None, diff


if __name__ == "__main__":   # print the current differences as KNOWN entries
    for r in ROWS:
        d = difference(r)
        if d is not None:
            print(f"    {r.name!r}: {d!r},")
