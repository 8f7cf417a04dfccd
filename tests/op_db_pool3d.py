"""Op-table rows of the 3-D pooling ops, adaptive 3-D pooling, max_unpool1d/3d and the 4-D+
local response norm (retrograd/ops/nn/pooling3d*.py): gradcheck, gradgradcheck, forward mode,
saved attributes and the comparison with torch are driven by these rows. Shapes stay small."""
from __future__ import annotations

from op_db import OpInfo

POS = (0.5, 2.0)
RED = dict(cmp_atol=1e-5)


def _F(T):
    return T.nn.functional


def _unpool3d(T, x):
    out, idx = _F(T).max_pool3d(x, 2, return_indices=True)
    return _F(T).max_unpool3d(out, idx, 2, output_size=(3, 4, 5))


def _unpool3d_padded(T, x):
    out, idx = _F(T).max_pool3d(x, 2, stride=2, padding=(1, 0, 1), return_indices=True)
    return _F(T).max_unpool3d(out, idx, 2, stride=2, padding=(1, 0, 1), output_size=(3, 4, 5))


def _unpool1d(T, x):
    out, idx = _F(T).max_pool1d(x, 2, return_indices=True)
    return _F(T).max_unpool1d(out, idx, 2, output_size=[7])


ROWS: list[OpInfo] = [
    OpInfo("max_pool3d", lambda T, x: _F(T).max_pool3d(x, 2), [(1, 2, 3, 4, 5)],
           "MaxPool3DWithIndicesBackward0"),
    OpInfo("max_pool3d_full", lambda T, x: _F(T).max_pool3d(
        x, (2, 3, 2), (1, 2, 1), (1, 1, 0), dilation=(1, 1, 2), ceil_mode=True),
        [(2, 3, 4, 5)], "MaxPool3DWithIndicesBackward0"),
    OpInfo("max_pool3d_torch", lambda T, x: T.max_pool3d(x, (1, 2, 2), 1), [(1, 1, 2, 3, 3)],
           "MaxPool3DWithIndicesBackward0"),
    OpInfo("max_pool3d_with_indices", lambda T, x: _F(T).max_pool3d_with_indices(x, 2, 1),
           [(1, 3, 3, 3)], "MaxPool3DWithIndicesBackward0"),
    OpInfo("avg_pool3d", lambda T, x: _F(T).avg_pool3d(x, 2), [(1, 2, 3, 4, 5)],
           "AvgPool3DBackward0"),
    OpInfo("avg_pool3d_exclude_pad", lambda T, x: _F(T).avg_pool3d(
        x, 3, 2, 1, ceil_mode=True, count_include_pad=False), [(2, 3, 4, 5)],
        "AvgPool3DBackward0"),
    OpInfo("avg_pool3d_divisor", lambda T, x: _F(T).avg_pool3d(x, (2, 3, 2), (1, 2, 1),
                                                               (1, 1, 0), divisor_override=5),
           [(1, 2, 3, 4, 3)], "AvgPool3DBackward0"),
    OpInfo("lp_pool3d", lambda T, x: _F(T).lp_pool3d(x, 2, 2), [(1, 3, 4, 5)], "PowBackward0",
           extra_nodes=("MulBackward0", "AvgPool3DBackward0", "ReluBackward0", "AbsBackward0",
                        "SignBackward0"), domain=POS),
    OpInfo("lp_pool3d_inf", lambda T, x: _F(T).lp_pool3d(x, float("inf"), (1, 2, 2)),
           [(1, 2, 4, 4)], "MaxPool3DWithIndicesBackward0", avoid=(0.0,)),
    OpInfo("adaptive_avg_pool3d", lambda T, x: _F(T).adaptive_avg_pool3d(x, (2, 3, 2)),
           [(1, 2, 3, 5, 4)], "AdaptiveAvgPool3DBackward0", **RED),
    OpInfo("adaptive_avg_pool3d_none", lambda T, x: _F(T).adaptive_avg_pool3d(x, (None, 4, 2)),
           [(2, 3, 3, 5)], "AdaptiveAvgPool3DBackward0", **RED),
    OpInfo("adaptive_avg_pool3d_1", lambda T, x: _F(T).adaptive_avg_pool3d(x, 1),
           [(2, 2, 3, 4)], "MeanBackward1"),
    OpInfo("adaptive_max_pool3d", lambda T, x: _F(T).adaptive_max_pool3d(x, (2, 3, 2)),
           [(1, 2, 3, 5, 4)], "AdaptiveMaxPool3DBackward0"),
    OpInfo("adaptive_max_pool3d_indices", lambda T, x: _F(T).adaptive_max_pool3d(
        x, 4, return_indices=True), [(1, 3, 2, 5)], "AdaptiveMaxPool3DBackward0"),
    OpInfo("adaptive_max_pool3d_with_indices",
           lambda T, x: _F(T).adaptive_max_pool3d_with_indices(x, (1, 2, 2)),
           [(2, 2, 4, 4)], "AdaptiveMaxPool3DBackward0"),
    OpInfo("max_unpool3d", _unpool3d, [(1, 2, 3, 4, 5)], "MaxUnpool3DBackward0",
           extra_nodes=("MaxPool3DWithIndicesBackward0",)),
    OpInfo("max_unpool3d_padded", _unpool3d_padded, [(2, 3, 4, 5)], "MaxUnpool3DBackward0"),
    OpInfo("max_unpool1d", _unpool1d, [(2, 3, 7)], "SqueezeBackward1",
           extra_nodes=("MaxUnpool2DBackward0", "UnsqueezeBackward0")),
    OpInfo("local_response_norm_4d",
           lambda T, x: T.nn.functional.local_response_norm(x, 3, 0.5, 0.75, 1.0),
           [(2, 4, 2, 3)], "DivBackward0",
           extra_nodes=("AvgPool3DBackward0", "ConstantPadNdBackward0", "ViewBackward0")),
    OpInfo("local_response_norm_5d",
           lambda T, x: T.nn.functional.local_response_norm(x, 2, 0.3, 0.6, 2.0),
           [(1, 3, 2, 2, 2)], "DivBackward0", extra_nodes=("AvgPool3DBackward0",)),
]
