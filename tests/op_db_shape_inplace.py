"""Op-table rows of the in-place view ops (retrograd/ops/shape_inplace.py): transpose_ and its
aliases, t_, squeeze_. Each runs on a non-leaf copy (x * 1), as an in-place op on a leaf that
requires grad is an error."""
from __future__ import annotations

from op_db import OpInfo

ROWS: list[OpInfo] = [
    OpInfo("transpose_", lambda T, x: (x * 1).transpose_(0, 1), [(2, 3)], "TransposeBackward1"),
    OpInfo("swapaxes_", lambda T, x: (x * 1).swapaxes_(2, 0), [(2, 3, 4)], "TransposeBackward1"),
    OpInfo("swapdims__neg", lambda T, x: (x * 1).swapdims_(-1, 0), [(2, 3, 4)],
           "TransposeBackward1"),
    OpInfo("t_", lambda T, x: (x * 1).t_(), [(2, 3)], "TBackward1"),
    OpInfo("t__1d", lambda T, x: (x * 1).t_(), [(3,)], "TBackward1"),
    OpInfo("squeeze_", lambda T, x: (x * 1).squeeze_(), [(2, 1, 3, 1)], "SqueezeBackward3"),
    OpInfo("unsqueeze_", lambda T, x: (x * 1).unsqueeze_(-1), [(2, 3)], "UnsqueezeBackward1"),
    OpInfo("unsqueeze__front", lambda T, x: (x * 1).unsqueeze_(0), [(3,)], "UnsqueezeBackward1"),
    OpInfo("squeeze__dim", lambda T, x: (x * 1).squeeze_(-1), [(2, 1, 3, 1)], "SqueezeBackward4"),
    OpInfo("squeeze__dim_not_1", lambda T, x: (x * 1).squeeze_(0), [(2, 1, 3)], "SqueezeBackward4"),
    OpInfo("squeeze__dims", lambda T, x: (x * 1).squeeze_((1, 3)), [(2, 1, 3, 1)],
           "SqueezeBackward5"),
]
