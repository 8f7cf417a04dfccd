"""Op-table rows of the nn ops that are composites of other ops (F.linear): gradcheck,
gradgradcheck, forward mode and the comparison with torch run on them like on any op."""
from __future__ import annotations

from op_db import OpInfo

RED = dict(cmp_atol=1e-5)  # float32 matmul: summation order differs from torch's

ROWS: list[OpInfo] = [
    OpInfo("linear", lambda T, x, w, b: T.nn.functional.linear(x, w, b), [(3, 4), (5, 4), (5,)],
           "AddmmBackward0", extra_nodes=("TBackward0",), **RED),
    OpInfo("linear_no_bias", lambda T, x, w: T.nn.functional.linear(x, w), [(3, 4), (5, 4)],
           "MmBackward0", extra_nodes=("TBackward0",), **RED),
    OpInfo("linear_1d", lambda T, x, w, b: T.nn.functional.linear(x, w, b), [(4,), (5, 4), (5,)],
           "ViewBackward0", extra_nodes=("AddmmBackward0", "TBackward0"), **RED),
    OpInfo("linear_1d_no_bias", lambda T, x, w: T.nn.functional.linear(x, w), [(4,), (5, 4)],
           "SqueezeBackward4", extra_nodes=("MmBackward0", "UnsqueezeBackward0"), **RED),
    OpInfo("linear_3d", lambda T, x, w, b: T.nn.functional.linear(x, w, b),
           [(2, 3, 4), (5, 4), (5,)], "ViewBackward0", extra_nodes=("AddmmBackward0",), **RED),
    OpInfo("linear_3d_no_bias", lambda T, x, w: T.nn.functional.linear(x, w),
           [(2, 3, 4), (5, 4)], "UnsafeViewBackward0", extra_nodes=("MmBackward0",), **RED),
    OpInfo("linear_vector_weight", lambda T, x, w: T.nn.functional.linear(x, w),
           [(3, 4), (4,)], "MvBackward0", **RED),
]
