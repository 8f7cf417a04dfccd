"""nn ops, one module per family (each registers its ops with @export).

Every family loads on first use: ``rnn`` (it adds Tensor methods: ``unsafe_split``/
``unsafe_chunk``) through ``ops.METHOD_FAMILIES``, the others through ``_LAZY`` (see
``retrograd/_lazy.py``): by ``ops.load_families()``, which ``nn.functional``, the ``torch.*``
namespace (``retrograd.__getattr__``) and the registry's ``functional`` namespace call, or by
importing the family's module (the formula namespaces import convolution, fold and shuffle when
a formula first needs them).
"""
from __future__ import annotations

from ... import _lazy

# family -> what it registers; loaded on first use
_LAZY = {
    "conv": "conv",  # torch.convolution (the op every convolution records)
    "fold": "fold",  # F.fold / F.unfold
    "shuffle": "shuffle",  # pixel_shuffle / pixel_unshuffle / channel_shuffle
    "pooling": "pooling",  # max/avg pooling, lp_pool
    "pooling_unpool": "pooling_unpool",  # max_unpool2d
    "pooling_adaptive": "pooling_adaptive",  # adaptive avg/max pooling
    "upsampling": "upsampling",  # interpolate / upsample
    "conv_functional": "conv_functional",  # F.conv1d/2d/3d, conv_transpose*
    "linear": "linear",  # F.linear (composite)
    "distance": "distance",  # pairwise_distance, cosine_similarity, pdist
    "norms": "norms",  # norm_except_dim/_weight_norm
    "bilinear": "bilinear",  # bilinear, _trilinear
    "normalization": "normalization",  # batch/layer/group/instance/rms norm
    "dropout": "dropout",  # the dropout family
    "embedding": "embedding",  # embedding lookups
    "embedding_bag": "embedding_bag",  # bags of embeddings
    "attention": "attention",  # scaled_dot_product_attention
    "attention_mha": "attention_mha",  # F.multi_head_attention_forward
    "local_response_norm": "local_response_norm",  # F.local_response_norm
    "pooling3d": "pooling3d",  # 3-D pooling, max_unpool1d/3d
    "pooling3d_adaptive": "pooling3d_adaptive",  # adaptive 3-D pooling
    "grid_sample": "grid_sample",  # F.affine_grid / F.grid_sample
    "upsampling_aa": "upsampling_aa",  # interpolate(antialias=True)
}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, globals())
