"""Op-table rows of the pooling and resampling ops (retrograd/ops/nn/pooling*.py,
upsampling.py, shuffle.py): gradcheck, gradgradcheck, forward mode, saved attributes and the
comparison with torch run on them like on any op. Shapes stay small (gradcheck is O(n^2))."""
from __future__ import annotations

from op_db import OpInfo

POS = (0.5, 2.0)
RED = dict(cmp_atol=1e-5)   # float32 sums / interpolation weights: rounding order differs
SQ1 = ("UnsqueezeBackward0",)


def _F(T):
    return T.nn.functional


def _unpool(T, x):
    out, idx = _F(T).max_pool2d(x, 2, return_indices=True)
    return _F(T).max_unpool2d(out, idx, 2, output_size=(5, 5))


def _unpool_padded(T, x):
    # (no overlapping windows: with repeated indices torch's own backward, a gather, is not the
    # adjoint of its forward, a scatter where one write wins)
    out, idx = _F(T).max_pool2d(x, 2, stride=2, padding=1, return_indices=True)
    return _F(T).max_unpool2d(out, idx, 2, stride=2, padding=1, output_size=(5, 5))


def _interp(name, shape, node, **kw):
    return OpInfo(name, lambda T, x: _F(T).interpolate(x, **kw), [shape], node, **RED)


ROWS: list[OpInfo] = [
    # ---------------------------------------------------------------------------- max pooling
    OpInfo("max_pool2d", lambda T, x: _F(T).max_pool2d(x, 2), [(2, 2, 5, 5)],
           "MaxPool2DWithIndicesBackward0"),
    OpInfo("max_pool2d_pad_ceil", lambda T, x: _F(T).max_pool2d(x, 3, 2, 1, ceil_mode=True),
           [(1, 2, 6, 7)], "MaxPool2DWithIndicesBackward0"),
    OpInfo("max_pool2d_dilation_3d", lambda T, x: _F(T).max_pool2d(x, (2, 3), (1, 2), 1,
                                                                   dilation=(2, 1)),
           [(2, 6, 7)], "MaxPool2DWithIndicesBackward0"),
    OpInfo("max_pool2d_return_indices", lambda T, x: _F(T).max_pool2d(x, 2, 1,
                                                                      return_indices=True),
           [(1, 2, 4, 4)], "MaxPool2DWithIndicesBackward0"),
    OpInfo("max_pool2d_with_indices", lambda T, x: _F(T).max_pool2d_with_indices(x, (2, 3)),
           [(1, 2, 4, 6)], "MaxPool2DWithIndicesBackward0"),
    OpInfo("max_pool1d", lambda T, x: _F(T).max_pool1d(x, 3, 2, 1, ceil_mode=True),
           [(2, 3, 8)], "SqueezeBackward1", extra_nodes=("MaxPool2DWithIndicesBackward0",) + SQ1),
    OpInfo("max_pool1d_with_indices", lambda T, x: T.max_pool1d_with_indices(x, 2, 1),
           [(2, 2, 5)], "SqueezeBackward1", extra_nodes=("MaxPool2DWithIndicesBackward0",)),
    OpInfo("max_unpool2d", _unpool, [(1, 2, 5, 5)], "MaxUnpool2DBackward0",
           extra_nodes=("MaxPool2DWithIndicesBackward0",)),
    OpInfo("max_unpool2d_padded", _unpool_padded, [(1, 2, 5, 5)], "MaxUnpool2DBackward0"),
    # ---------------------------------------------------------------------------- avg pooling
    OpInfo("avg_pool2d", lambda T, x: _F(T).avg_pool2d(x, 2), [(2, 2, 5, 5)],
           "AvgPool2DBackward0"),
    OpInfo("avg_pool2d_exclude_pad", lambda T, x: _F(T).avg_pool2d(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(2, 6, 7)], "AvgPool2DBackward0"),
    OpInfo("avg_pool2d_divisor", lambda T, x: _F(T).avg_pool2d(x, (2, 3), (1, 2), (1, 1),
                                                               divisor_override=4),
           [(1, 2, 5, 6)], "AvgPool2DBackward0"),
    OpInfo("avg_pool1d", lambda T, x: T.avg_pool1d(x, 3, 2, 1, ceil_mode=True,
                                                   count_include_pad=False),
           [(2, 3, 8)], "SqueezeBackward1", extra_nodes=("AvgPool2DBackward0",) + SQ1),
    OpInfo("lp_pool2d", lambda T, x: _F(T).lp_pool2d(x, 2, 2), [(1, 2, 4, 5)], "PowBackward0",
           extra_nodes=("MulBackward0", "AvgPool2DBackward0", "ReluBackward0", "AbsBackward0",
                        "SignBackward0"), domain=POS),
    OpInfo("lp_pool2d_p3_stride", lambda T, x: _F(T).lp_pool2d(x, 3, (2, 3), 1, ceil_mode=True),
           [(1, 2, 4, 5)], "PowBackward0", domain=POS, **RED),
    OpInfo("lp_pool2d_inf", lambda T, x: _F(T).lp_pool2d(x, float("inf"), 2), [(1, 2, 4, 4)],
           "MaxPool2DWithIndicesBackward0", avoid=(0.0,)),
    OpInfo("lp_pool1d", lambda T, x: _F(T).lp_pool1d(x, 2, 3, 2), [(2, 2, 7)], "PowBackward0",
           domain=POS),
    # ---------------------------------------------------------------------------- adaptive
    OpInfo("adaptive_avg_pool2d_divisible", lambda T, x: _F(T).adaptive_avg_pool2d(x, (3, 2)),
           [(1, 2, 6, 4)], "AdaptiveAvgPool2DBackward0"),
    OpInfo("adaptive_avg_pool2d_uneven", lambda T, x: _F(T).adaptive_avg_pool2d(x, (3, 2)),
           [(2, 7, 5)], "AdaptiveAvgPool2DBackward0", **RED),
    OpInfo("adaptive_avg_pool2d_upsample", lambda T, x: _F(T).adaptive_avg_pool2d(x, 4),
           [(1, 2, 3, 3)], "AdaptiveAvgPool2DBackward0"),
    OpInfo("adaptive_avg_pool2d_1x1", lambda T, x: _F(T).adaptive_avg_pool2d(x, 1),
           [(2, 3, 4, 4)], "MeanBackward1"),
    OpInfo("adaptive_avg_pool1d", lambda T, x: T.adaptive_avg_pool1d(x, 3), [(2, 3, 7)],
           "SqueezeBackward1", extra_nodes=("AdaptiveAvgPool2DBackward0",) + SQ1, **RED),
    OpInfo("adaptive_max_pool2d", lambda T, x: _F(T).adaptive_max_pool2d(x, (3, 2)),
           [(2, 2, 7, 5)], "AdaptiveMaxPool2DBackward0"),
    OpInfo("adaptive_max_pool2d_indices", lambda T, x: _F(T).adaptive_max_pool2d(
        x, (2, None), return_indices=True), [(2, 6, 5)], "AdaptiveMaxPool2DBackward0"),
    OpInfo("adaptive_max_pool2d_with_indices", lambda T, x: _F(T).adaptive_max_pool2d_with_indices(
        x, 4), [(1, 2, 3, 5)], "AdaptiveMaxPool2DBackward0"),
    OpInfo("adaptive_max_pool1d", lambda T, x: _F(T).adaptive_max_pool1d(x, 3), [(2, 3, 7)],
           "SqueezeBackward1", extra_nodes=("AdaptiveMaxPool2DBackward0",) + SQ1),
    OpInfo("adaptive_max_pool1d_torch", lambda T, x: T.adaptive_max_pool1d(x, 4), [(3, 6)],
           "SqueezeBackward1", extra_nodes=("AdaptiveMaxPool2DBackward0",)),
    # ---------------------------------------------------------------------------- interpolate
    _interp("interp_nearest_1d", (2, 2, 5), "UpsampleNearest1DBackward0", scale_factor=1.7),
    _interp("interp_nearest_2d", (1, 2, 3, 4), "UpsampleNearest2DBackward0", size=(5, 3)),
    _interp("interp_nearest_exact_1d", (2, 2, 5), "UpsampleNearestExact1DBackward0", size=8,
            mode="nearest-exact"),
    _interp("interp_nearest_exact_2d", (1, 2, 4, 5), "UpsampleNearestExact2DBackward0",
            scale_factor=(0.5, 1.5), mode="nearest-exact"),
    _interp("interp_linear", (2, 2, 5), "UpsampleLinear1DBackward0", scale_factor=2,
            mode="linear"),
    _interp("interp_bilinear", (1, 2, 3, 4), "UpsampleBilinear2DBackward0", size=(5, 7),
            mode="bilinear"),
    _interp("interp_bilinear_align", (1, 2, 4, 3), "UpsampleBilinear2DBackward0",
            scale_factor=(1.5, 2.0), mode="bilinear", align_corners=True),
    _interp("interp_bilinear_recompute", (1, 2, 4, 3), "UpsampleBilinear2DBackward0",
            scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    _interp("interp_bicubic", (1, 2, 3, 4), "UpsampleBicubic2DBackward0", scale_factor=2,
            mode="bicubic"),
    _interp("interp_bicubic_align", (1, 2, 4, 5), "UpsampleBicubic2DBackward0", size=(3, 7),
            mode="bicubic", align_corners=True),
    OpInfo("upsample_deprecated", lambda T, x: _F(T).upsample(x, scale_factor=2, mode="bilinear"),
           [(1, 2, 2, 3)], "UpsampleBilinear2DBackward0", **RED),
    OpInfo("upsample_nearest_deprecated", lambda T, x: _F(T).upsample_nearest(x, size=(3, 5)),
           [(1, 2, 2, 3)], "UpsampleNearest2DBackward0"),
    OpInfo("upsample_bilinear_deprecated", lambda T, x: _F(T).upsample_bilinear(x, scale_factor=2),
           [(1, 2, 2, 3)], "UpsampleBilinear2DBackward0", **RED),
    _interp("interp_area", (1, 2, 6, 5), "AdaptiveAvgPool2DBackward0", size=(3, 2), mode="area"),
    # ---------------------------------------------------------------------------- shuffles
    OpInfo("pixel_shuffle", lambda T, x: T.pixel_shuffle(x, 2), [(2, 8, 2, 3)],
           "PixelShuffleBackward0"),
    OpInfo("pixel_shuffle_batch_dims", lambda T, x: _F(T).pixel_shuffle(x, 3), [(2, 1, 9, 1, 2)],
           "PixelShuffleBackward0"),
    OpInfo("pixel_unshuffle", lambda T, x: T.pixel_unshuffle(x, 2), [(2, 2, 4, 6)],
           "PixelUnshuffleBackward0"),
    OpInfo("channel_shuffle", lambda T, x: T.channel_shuffle(x, 3), [(2, 6, 2, 2)],
           "ChannelShuffleBackward0"),
]
