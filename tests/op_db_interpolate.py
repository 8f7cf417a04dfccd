"""Op-table rows of the 3-D resampling modes (trilinear, nearest and nearest-exact on 5-D input,
area through adaptive_avg_pool3d) and the antialiased 2-D modes (``antialias=True``: bilinear,
bicubic, lanczos; retrograd/ops/nn/upsampling*.py)."""
from __future__ import annotations

from op_db import OpInfo

RED = dict(cmp_atol=1e-5)


def _interp(name, shape, node, **kw):
    return OpInfo(name, lambda T, x: T.nn.functional.interpolate(x, **kw), [shape], node, **RED)


ROWS: list[OpInfo] = [
    _interp("interp_trilinear", (1, 2, 2, 3, 2), "UpsampleTrilinear3DBackward0", scale_factor=1.5,
            mode="trilinear"),
    _interp("interp_trilinear_align", (1, 1, 3, 2, 3), "UpsampleTrilinear3DBackward0",
            size=(2, 4, 5), mode="trilinear", align_corners=True),
    _interp("interp_nearest_3d", (1, 2, 2, 3, 2), "UpsampleNearest3DBackward0", size=(3, 2, 5)),
    _interp("interp_nearest_exact_3d", (1, 1, 3, 2, 4), "UpsampleNearestExact3DBackward0",
            scale_factor=(0.7, 1.5, 1.0), mode="nearest-exact"),
    _interp("interp_area_3d", (1, 2, 4, 3, 4), "AdaptiveAvgPool3DBackward0", size=(2, 2, 3),
            mode="area"),
    _interp("interp_bilinear_aa", (1, 2, 6, 5), "UpsampleBilinear2DAaBackward0",
            scale_factor=0.5, mode="bilinear", antialias=True),
    _interp("interp_bilinear_aa_align_up", (1, 1, 3, 4), "UpsampleBilinear2DAaBackward0",
            size=(5, 2), mode="bilinear", align_corners=True, antialias=True),
    _interp("interp_bicubic_aa", (1, 2, 7, 5), "UpsampleBicubic2DAaBackward0", size=(3, 4),
            mode="bicubic", antialias=True),
    _interp("interp_lanczos_aa", (1, 1, 7, 6), "UpsampleLanczos2DAaBackward0",
            scale_factor=(0.4, 1.5), mode="lanczos", antialias=True),
]
