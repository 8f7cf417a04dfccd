"""Op-table rows of the pooling and padding backward kernels as ops: the first-order gradient
taken with create_graph=True, a function of the input and of the incoming gradient. PyTorch
records it as one node over (grad_output, self) (``MaxPool2DWithIndicesBackwardBackward0``,
``AvgPool2DBackwardBackward0``, ``ReflectionPad2DBackwardBackward0``, ...: ops/nn/_linmap.py
``_KernelBackward``), linear in the gradient and of zero derivative in the input, which it is
connected to all the same."""
from __future__ import annotations

from op_db import OpInfo


def _F(T):
    return T.nn.functional


def _kernel(op):
    """The gradient of ``op(x)`` for the incoming gradient ``v``, with its graph."""
    return lambda T, x, v: T.autograd.grad(op(T, x), x, v, create_graph=True)[0]


def _row(name, op, x_shape, out_shape, node, **kw):
    # (gradgrad=False here and below: torch's own third-order run of these rows raises)
    return OpInfo(name, _kernel(op), [x_shape, out_shape], node, gradgrad=False, **kw)


def _up(name, x_shape, out_shape, node, **kw):
    """upsample_*_backward: a node over the gradient alone (torch's reads no input)."""
    return OpInfo(name, _kernel(lambda T, x: _F(T).interpolate(x, **kw)), [x_shape, out_shape],
                  node, gradgrad=False, cmp_atol=1e-5)


ROWS: list[OpInfo] = [
    _row("max_pool2d_backward", lambda T, x: _F(T).max_pool2d(x, 2, 1), (1, 2, 4, 5),
         (1, 2, 3, 4), "MaxPool2DWithIndicesBackwardBackward0"),
    _row("max_pool3d_backward", lambda T, x: _F(T).max_pool3d(x, 2, 1, 1), (1, 2, 3, 2, 3),
         (1, 2, 4, 3, 4), "MaxPool3DWithIndicesBackwardBackward0"),
    _row("avg_pool2d_backward", lambda T, x: _F(T).avg_pool2d(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 5, 6), (2, 3, 4),
        "AvgPool2DBackwardBackward0"),
    _row("avg_pool3d_backward", lambda T, x: _F(T).avg_pool3d(x, (2, 3, 2), 1, (1, 1, 0),
                                                              divisor_override=5),
         (1, 2, 3, 4, 3), (1, 2, 4, 4, 2), "AvgPool3DBackwardBackward0"),
    _row("adaptive_avg_pool2d_backward", lambda T, x: _F(T).adaptive_avg_pool2d(x, (3, 2)),
         (1, 2, 5, 4), (1, 2, 3, 2), "AdaptiveAvgPool2DBackwardBackward0"),
    _row("adaptive_avg_pool3d_backward", lambda T, x: _F(T).adaptive_avg_pool3d(x, (2, 3, 2)),
         (2, 3, 5, 4), (2, 2, 3, 2), "AdaptiveAvgPool3DBackwardBackward0"),
    _row("adaptive_max_pool2d_backward", lambda T, x: _F(T).adaptive_max_pool2d(x, (3, 2)),
         (2, 2, 5, 5), (2, 2, 3, 2), "AdaptiveMaxPool2DBackwardBackward0"),
    _row("adaptive_max_pool3d_backward", lambda T, x: _F(T).adaptive_max_pool3d(x, 2),
         (1, 2, 3, 4, 3), (1, 2, 2, 2, 2), "AdaptiveMaxPool3DBackwardBackward0"),
    _row("reflection_pad1d_backward", lambda T, x: _F(T).pad(x, (2, 1), "reflect"), (2, 3, 4),
         (2, 3, 7), "ReflectionPad1DBackwardBackward0"),
    _row("reflection_pad2d_backward", lambda T, x: _F(T).pad(x, (1, 2, 2, -1), "reflect"),
         (2, 3, 4), (2, 4, 7), "ReflectionPad2DBackwardBackward0"),
    _row("reflection_pad3d_backward", lambda T, x: _F(T).pad(x, (1, 1, 1, 0, 0, 1), "reflect"),
         (1, 2, 3, 4), (1, 3, 4, 6), "ReflectionPad3DBackwardBackward0"),
    _row("replication_pad1d_backward", lambda T, x: _F(T).pad(x, (2, 3), "replicate"), (3, 4),
         (3, 9), "ReplicationPad1DBackwardBackward0"),
    _row("replication_pad2d_backward", lambda T, x: _F(T).pad(x, (1, 0, 2, 1), "replicate"),
         (2, 3, 4), (2, 6, 5), "ReplicationPad2DBackwardBackward0"),
    _row("replication_pad3d_backward", lambda T, x: _F(T).pad(x, (0, 1, 1, 1, 1, 0),
                                                              "replicate"),
         (1, 2, 3, 4), (1, 3, 5, 5), "ReplicationPad3DBackwardBackward0"),
    _up("upsample_nearest1d_backward", (2, 2, 5), (2, 2, 8), "UpsampleNearest1DBackwardBackward0",
        scale_factor=1.7),
    _up("upsample_nearest2d_backward", (1, 2, 3, 4), (1, 2, 5, 3),
        "UpsampleNearest2DBackwardBackward0", size=(5, 3)),
    _up("upsample_nearest3d_backward", (1, 1, 2, 3, 2), (1, 1, 4, 6, 4),
        "UpsampleNearest3DBackwardBackward0", scale_factor=2),
    _up("upsample_nearest_exact1d_backward", (2, 2, 5), (2, 2, 8),
        "UpsampleNearestExact1DBackwardBackward0", size=8, mode="nearest-exact"),
    _up("upsample_nearest_exact2d_backward", (1, 2, 4, 5), (1, 2, 2, 7),
        "UpsampleNearestExact2DBackwardBackward0", scale_factor=(0.5, 1.5), mode="nearest-exact"),
    _up("upsample_nearest_exact3d_backward", (1, 1, 2, 3, 2), (1, 1, 3, 4, 3),
        "UpsampleNearestExact3DBackwardBackward0", size=(3, 4, 3), mode="nearest-exact"),
    _up("upsample_linear1d_backward", (2, 2, 5), (2, 2, 10), "UpsampleLinear1DBackwardBackward0",
        scale_factor=2, mode="linear"),
    _up("upsample_bilinear2d_backward", (1, 2, 3, 4), (1, 2, 5, 7),
        "UpsampleBilinear2DBackwardBackward0", size=(5, 7), mode="bilinear", align_corners=True),
    _up("upsample_bicubic2d_backward", (1, 2, 3, 4), (1, 2, 6, 8),
        "UpsampleBicubic2DBackwardBackward0", scale_factor=2, mode="bicubic"),
    _up("upsample_trilinear3d_backward", (1, 1, 2, 3, 2), (1, 1, 3, 4, 3),
        "UpsampleTrilinear3DBackwardBackward0", size=(3, 4, 3), mode="trilinear"),
    _up("upsample_bilinear2d_aa_backward", (1, 2, 6, 5), (1, 2, 3, 2),
        "UpsampleBilinear2DAaBackwardBackward0", size=(3, 2), mode="bilinear", antialias=True),
    _up("upsample_bicubic2d_aa_backward", (1, 2, 6, 5), (1, 2, 3, 7),
        "UpsampleBicubic2DAaBackwardBackward0", size=(3, 7), mode="bicubic", antialias=True),
    _up("upsample_lanczos2d_aa_backward", (1, 1, 7, 6), (1, 1, 2, 9),
        "UpsampleLanczos2DAaBackwardBackward0", scale_factor=(0.4, 1.5), mode="lanczos",
        antialias=True),
]
