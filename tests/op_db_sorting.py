"""op_db rows of the sorting family: sort/msort, topk, kthvalue, median/nanmedian, mode.

Values are sampled ``apart`` (no ties), so finite differences never change the selection. The
``*_ties`` rows sit on ties on purpose, to pin which index torch reports (and so where the
gradient goes); they only run the comparisons with torch.
"""
from __future__ import annotations

from op_db import B234, M34, OpInfo, apart, fixed

NAN = float("nan")
TIES = [[2.0, 1.0, 2.0, 1.0, 3.0, 1.0, 2.0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]
TIES_NAN = [[3.0, NAN, 1.0, NAN, 2.0], [NAN, NAN, NAN, NAN, NAN]]

ROWS = [
    # ---------------------------------------------------------------- sort
    OpInfo("sort_dim1", lambda T, x: x.sort(1), [M34], "SortBackward0", sample=apart),
    OpInfo("sort_fn_dim0_desc", lambda T, x: T.sort(x, 0, descending=True), [B234], "SortBackward0",
           sample=apart),
    OpInfo("sort_values_last_dim", lambda T, x: x.sort().values, [B234], "SortBackward0", sample=apart),
    OpInfo("sort_stable", lambda T, x: T.sort(x, dim=1, stable=True), [M34], "SortBackward1", sample=apart),
    OpInfo("sort_0d", lambda T, x: x.sort(), [()], "SortBackward0"),
    OpInfo("msort", lambda T, x: x.msort(), [M34], "SortBackward0", sample=apart),
    OpInfo("sort_ties", lambda T, x: x.sort(1, descending=True), [(2, 7)], "SortBackward0", numeric=False,
           sample=fixed(TIES)),
    OpInfo("sort_nan", lambda T, x: x.sort(1), [(2, 5)], "SortBackward0", numeric=False, sample=fixed(TIES_NAN)),
    # ---------------------------------------------------------------- topk
    OpInfo("topk", lambda T, x: x.topk(2), [M34], "TopkBackward0", sample=apart),
    OpInfo("topk_smallest_dim0", lambda T, x: T.topk(x, 2, dim=0, largest=False), [M34], "TopkBackward0",
           sample=apart),
    OpInfo("topk_unsorted", lambda T, x: x.topk(3, 1, sorted=False), [(3, 5)], "TopkBackward0", sample=apart),
    OpInfo("topk_3d", lambda T, x: x.topk(1, dim=1).values, [B234], "TopkBackward0", sample=apart),
    OpInfo("topk_ties", lambda T, x: x.topk(3), [(2, 7)], "TopkBackward0", numeric=False, sample=fixed(TIES)),
    OpInfo("topk_ties_smallest", lambda T, x: x.topk(4, largest=False), [(2, 7)], "TopkBackward0",
           numeric=False, sample=fixed(TIES)),
    OpInfo("topk_nan", lambda T, x: x.topk(2), [(2, 5)], "TopkBackward0", numeric=False, sample=fixed(TIES_NAN)),
    # ---------------------------------------------------------------- kthvalue
    OpInfo("kthvalue", lambda T, x: x.kthvalue(2), [M34], "KthvalueBackward0", sample=apart),
    OpInfo("kthvalue_fn_dim0_keepdim", lambda T, x: T.kthvalue(x, 3, 0, True), [M34], "KthvalueBackward0",
           sample=apart),
    OpInfo("kthvalue_ties", lambda T, x: x.kthvalue(2), [(2, 7)], "KthvalueBackward0", numeric=False,
           sample=fixed(TIES)),
    # ---------------------------------------------------------------- median / nanmedian / mode
    OpInfo("median_all", lambda T, x: x.median(), [M34], "MedianBackward0", sample=apart),
    OpInfo("median_all_odd", lambda T, x: T.median(x), [(3, 3)], "MedianBackward0", sample=apart),
    OpInfo("median_dim", lambda T, x: x.median(1), [M34], "MedianBackward1", sample=apart),
    OpInfo("median_fn_dim_keepdim", lambda T, x: T.median(x, 0, keepdim=True), [B234], "MedianBackward1",
           sample=apart),
    OpInfo("median_all_ties", lambda T, x: x.median(), [(2, 7)], "MedianBackward0", numeric=False,
           sample=fixed(TIES)),  # shared evenly among the elements equal to the median
    OpInfo("median_dim_ties", lambda T, x: x.median(1), [(2, 7)], "MedianBackward1", numeric=False,
           sample=fixed(TIES)),
    OpInfo("median_dim_nan", lambda T, x: x.median(1), [(2, 5)], "MedianBackward1", numeric=False,
           sample=fixed(TIES_NAN)),
    OpInfo("nanmedian_all", lambda T, x: x.nanmedian(), [M34], "NanmedianBackward0", sample=apart),
    OpInfo("nanmedian_dim", lambda T, x: T.nanmedian(x, 1), [M34], "NanmedianBackward1", sample=apart),
    OpInfo("nanmedian_dim_nan", lambda T, x: x.nanmedian(1), [(2, 5)], "NanmedianBackward1", numeric=False,
           sample=fixed(TIES_NAN)),
    OpInfo("nanmedian_all_nan", lambda T, x: x.nanmedian(), [(2, 5)], "NanmedianBackward0", numeric=False,
           sample=fixed(TIES_NAN)),
    OpInfo("mode", lambda T, x: x.mode(1), [M34], "ModeBackward0", sample=apart),
    OpInfo("mode_fn_dim0_keepdim", lambda T, x: T.mode(x, 0, True), [B234], "ModeBackward0", sample=apart),
    OpInfo("mode_ties", lambda T, x: x.mode(1), [(2, 7)], "ModeBackward0", numeric=False, sample=fixed(TIES)),
]
