"""nn ops, one module per family (each registers its ops with @export)."""
from . import pooling  # noqa: F401 - max/avg pooling, max_unpool2d, lp_pool
from . import pooling_adaptive  # noqa: F401 - adaptive avg/max pooling
from . import upsampling  # noqa: F401 - interpolate / upsample
from . import shuffle  # noqa: F401 - pixel_shuffle / pixel_unshuffle / channel_shuffle
from . import conv, conv_functional, fold  # noqa: F401 - convolutions, F.unfold / F.fold
from . import norms, distance, bilinear  # noqa: F401 - norm_except_dim/_weight_norm, distances, _trilinear
from . import rnn  # noqa: F401 - unsafe_split/unsafe_chunk, mkldnn_rnn_layer (fused LSTM layer)
from . import normalization  # noqa: F401 - batch/layer/group/instance/rms norm
from . import dropout  # noqa: F401 - the dropout family
from . import embedding  # noqa: F401 - embedding lookups
from . import embedding_bag  # noqa: F401 - bags of embeddings
from . import attention  # noqa: F401 - scaled_dot_product_attention
from . import attention_mha  # noqa: F401 - F.multi_head_attention_forward
from . import local_response_norm  # noqa: F401 - F.local_response_norm
from . import pooling3d, pooling3d_adaptive  # noqa: F401 - 3-D pooling, adaptive 3-D, max_unpool1d/3d
from . import grid_sample  # noqa: F401 - F.affine_grid / F.grid_sample
from . import upsampling_aa  # noqa: F401 - interpolate(antialias=True)
