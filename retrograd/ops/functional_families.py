"""The op families that register ``nn.functional`` names and load on first use: the family's
module (relative to ``retrograd.ops``) -> the names it registers, space-separated. Importing
``retrograd.nn.functional`` loads none of them; ``F.relu`` imports ``activation.functions`` when
first looked up (``nn/functional.py``), ``dir(F)`` and ``from retrograd.nn.functional import *``
see them all. tests/test_import_lazy.py checks that loading every family registers exactly
these names, each from the module listed (add a new ``functional=`` name here).
"""
from __future__ import annotations

FUNCTIONAL_FAMILIES = {
    "linalg.norm": "normalize",
    "activation.functions": "celu celu_ elu elu_ hardsigmoid hardswish hardtanh hardtanh_ "
                            "leaky_relu leaky_relu_ relu relu6 relu_ selu selu_ sigmoid tanh",
    "activation.smooth": "gelu logsigmoid mish silu softplus softsign tanhshrink",
    "activation.softmax": "glu log_softmax softmax softmin",
    "activation.piecewise": "hardshrink prelu rrelu rrelu_ softshrink threshold threshold_",
    "nn.fold": "fold unfold",
    "nn.shuffle": "channel_shuffle pixel_shuffle pixel_unshuffle",
    "nn.pooling": "avg_pool1d avg_pool2d lp_pool1d lp_pool2d max_pool1d "
                  "max_pool1d_with_indices max_pool2d max_pool2d_with_indices",
    "nn.pooling_unpool": "max_unpool2d",
    "nn.pooling_adaptive": "adaptive_avg_pool1d adaptive_avg_pool2d adaptive_max_pool1d "
                           "adaptive_max_pool1d_with_indices adaptive_max_pool2d "
                           "adaptive_max_pool2d_with_indices",
    "nn.pooling3d_adaptive": "adaptive_avg_pool3d adaptive_max_pool3d "
                             "adaptive_max_pool3d_with_indices max_unpool1d max_unpool3d",
    "nn.upsampling": "interpolate upsample upsample_bilinear upsample_nearest",
    "shape.pad": "pad",
    "nn.conv_functional": "conv1d conv2d conv3d conv_transpose1d conv_transpose2d "
                          "conv_transpose3d",
    "nn.linear": "linear",
    "nn.distance": "cosine_similarity pairwise_distance pdist",
    "nn.bilinear": "bilinear",
    "nn.normalization": "batch_norm group_norm instance_norm layer_norm rms_norm",
    "nn.dropout": "alpha_dropout dropout dropout1d dropout2d dropout3d feature_alpha_dropout",
    "nn.embedding": "embedding",
    "nn.embedding_bag": "embedding_bag",
    "loss.regression": "huber_loss kl_div l1_loss mse_loss smooth_l1_loss",
    "nn.attention": "scaled_dot_product_attention",
    "nn.attention_mha": "_canonical_mask _none_or_dtype multi_head_attention_forward",
    "nn.local_response_norm": "local_response_norm",
    "nn.pooling3d": "avg_pool3d lp_pool3d max_pool3d max_pool3d_with_indices",
    "nn.grid_sample": "affine_grid grid_sample",
    "loss.nll": "cross_entropy nll_loss",
    "loss.bce": "binary_cross_entropy binary_cross_entropy_with_logits gaussian_nll_loss "
                "poisson_nll_loss soft_margin_loss",
    "loss.margin": "cosine_embedding_loss hinge_embedding_loss margin_ranking_loss "
                   "multi_margin_loss multilabel_margin_loss multilabel_soft_margin_loss "
                   "triplet_margin_loss triplet_margin_with_distance_loss",
    "loss.ctc": "ctc_loss",
}
