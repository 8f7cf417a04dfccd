"""op_db rows of the indexing family: gather/scatter/scatter_add/scatter_reduce, index_select/
index_add/index_copy/index_fill, masked_fill/masked_select/masked_scatter, take/put,
take_along_dim, index_put and x[key] = v, and their in-place forms.

Index tensors are built inside the lambdas. Rows whose finite differences would disagree with
PyTorch's (documented) choice for repeated write positions use unique indices; repeats are
used where the op accumulates (scatter_add, index_add, put/index_put with accumulate).
"""
from __future__ import annotations

from op_db import M34, V4, OpInfo, apart

V3, S0 = (3,), ()
RED = dict(cmp_atol=1e-5)


def _idx_rows(T):  # rows 0..2 of a (3, 4), each column once per row index: no repeats per column
    return T.tensor([[0, 1, 2, 0], [2, 0, 1, 1]])


def _mask(T):
    return T.tensor([[True, False, False, True], [False, True, False, False], [True, True, False, True]])


def _setitem(x, key, v):
    y = x * 1  # a non-leaf copy, so the in-place write is recorded
    y[key] = v
    return y


ROWS = [
    # ---------------------------------------------------------------- gather / scatter
    OpInfo("gather", lambda T, x: x.gather(1, T.tensor([[0, 1], [2, 3], [1, 1]])), [M34], "GatherBackward0"),
    OpInfo("gather_fn_dim0_repeats", lambda T, x: T.gather(x, 0, T.tensor([[0, 0, 2, 1], [2, 2, 2, 2]])), [M34],
           "GatherBackward0"),
    OpInfo("gather_3d", lambda T, x: x.gather(-1, T.tensor([[[3, 0]], [[1, 1]]])), [(2, 3, 4)], "GatherBackward0"),
    OpInfo("take_along_dim", lambda T, x: T.take_along_dim(x, T.tensor([[0], [3], [1]]), 1), [M34],
           "GatherBackward0", extra_nodes=("ExpandBackward0",)),
    OpInfo("take_along_dim_flat", lambda T, x: x.take_along_dim(T.tensor([5, 0, 5])), [M34], "GatherBackward0",
           extra_nodes=("ViewBackward0",)),
    OpInfo("scatter_src", lambda T, x, y: x.scatter(0, _idx_rows(T), y), [M34, (2, 4)], "ScatterBackward0"),
    OpInfo("scatter_fn_dim1", lambda T, x, y: T.scatter(x, 1, T.tensor([[3, 0], [1, 2], [0, 1]]), y),
           [M34, (3, 2)], "ScatterBackward0"),
    OpInfo("scatter_value", lambda T, x: x.scatter(1, T.tensor([[3, 0], [1, 2], [0, 1]]), 1.5), [M34],
           "ScatterBackward1"),
    OpInfo("scatter_inplace", lambda T, x, y: (x * 1).scatter_(0, _idx_rows(T), y), [M34, (2, 4)],
           "ScatterBackward0"),
    OpInfo("scatter_add", lambda T, x, y: x.scatter_add(0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y),
           [M34, (2, 4)], "ScatterAddBackward0"),
    OpInfo("scatter_add_inplace", lambda T, x, y: (x * 1).scatter_add_(1, T.tensor([[1, 1], [0, 3], [2, 2]]), y),
           [M34, (3, 2)], "ScatterAddBackward0"),
    OpInfo("scatter_reduce_sum", lambda T, x, y: x.scatter_reduce(0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y, "sum"),
           [M34, (2, 4)], "ScatterReduceBackward0"),
    OpInfo("scatter_reduce_mean", lambda T, x, y: T.scatter_reduce(x, 0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y,
                                                                   "mean"), [M34, (2, 4)], "ScatterReduceBackward0"),
    OpInfo("scatter_reduce_mean_exclude_self",
           lambda T, x, y: x.scatter_reduce(0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y, "mean", include_self=False),
           [M34, (2, 4)], "ScatterReduceBackward0"),
    OpInfo("scatter_reduce_prod", lambda T, x, y: x.scatter_reduce(0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y, "prod"),
           [M34, (2, 4)], "ScatterReduceBackward0", avoid=(0.0,), gap=0.2),
    OpInfo("scatter_reduce_prod_exclude_self",
           lambda T, x, y: x.scatter_reduce(1, T.tensor([[1, 1], [0, 3], [2, 2]]), y, "prod", include_self=False),
           [M34, (3, 2)], "ScatterReduceBackward0", avoid=(0.0,), gap=0.2),
    OpInfo("scatter_reduce_amax", lambda T, x, y: x.scatter_reduce(0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y, "amax"),
           [M34, (2, 4)], "ScatterReduceBackward0", sample=apart),
    OpInfo("scatter_reduce_amin_exclude_self",
           lambda T, x, y: x.scatter_reduce(0, T.tensor([[0, 0, 2, 1], [0, 2, 2, 1]]), y, "amin", include_self=False),
           [M34, (2, 4)], "ScatterReduceBackward0", sample=apart),
    OpInfo("scatter_reduce_inplace", lambda T, x, y: (x * 1).scatter_reduce_(0, _idx_rows(T), y, "sum"),
           [M34, (2, 4)], "ScatterReduceBackward0"),
    # ---------------------------------------------------------------- index_*
    OpInfo("index_select", lambda T, x: x.index_select(0, T.tensor([2, 0, 2])), [M34], "IndexSelectBackward0"),
    OpInfo("index_select_fn_dim1", lambda T, x: T.index_select(x, 1, T.tensor([3, 1])), [M34],
           "IndexSelectBackward0"),
    OpInfo("index_add", lambda T, x, y: x.index_add(0, T.tensor([2, 0, 2]), y), [M34, M34], "IndexAddBackward0"),
    OpInfo("index_add_alpha", lambda T, x, y: T.index_add(x, 1, T.tensor([3, 1]), y, alpha=-2.0), [M34, (3, 2)],
           "IndexAddBackward0"),
    OpInfo("index_add_inplace", lambda T, x, y: (x * 1).index_add_(0, T.tensor([1, 1]), y), [M34, (2, 4)],
           "IndexAddBackward0"),
    OpInfo("index_copy", lambda T, x, y: x.index_copy(1, T.tensor([3, 0]), y), [M34, (3, 2)], "IndexCopyBackward0"),
    OpInfo("index_copy_inplace", lambda T, x, y: (x * 1).index_copy_(0, T.tensor([2, 0]), y), [M34, (2, 4)],
           "IndexCopyBackward0"),
    OpInfo("index_fill", lambda T, x: x.index_fill(1, T.tensor([0, 2]), -1.0), [M34], "IndexFillBackward0"),
    OpInfo("index_fill_tensor_value", lambda T, x, v: x.index_fill(1, T.tensor([0, 2, 0, 3]), v), [M34, S0],
           "IndexFillBackward1"),
    OpInfo("index_fill_inplace", lambda T, x: (x * 1).index_fill_(0, T.tensor([1]), 2.0), [M34],
           "IndexFillBackward0"),
    # ---------------------------------------------------------------- masks
    OpInfo("masked_fill", lambda T, x: x.masked_fill(_mask(T), 0.5), [M34], "MaskedFillBackward0"),
    OpInfo("masked_fill_broadcast_mask", lambda T, x: T.masked_fill(x, T.tensor([True, False, True, False]), -1.0),
           [M34], "MaskedFillBackward0"),
    OpInfo("masked_fill_broadcast_self", lambda T, x: x.masked_fill(_mask(T), 0.5), [V4], "MaskedFillBackward0"),
    OpInfo("masked_fill_tensor_value", lambda T, x, v: x.masked_fill(_mask(T), v), [M34, S0], "MaskedFillBackward1"),
    OpInfo("masked_fill_inplace", lambda T, x: (x * 1).masked_fill_(_mask(T), 0.0), [M34], "MaskedFillBackward0"),
    OpInfo("masked_fill_self_mask", lambda T, x: x.masked_fill(x > 0, 0.0), [M34], "MaskedFillBackward0",
           avoid=(0.0,)),
    OpInfo("masked_select", lambda T, x: x.masked_select(_mask(T)), [M34], "MaskedSelectBackward0"),
    OpInfo("masked_select_broadcast", lambda T, x: T.masked_select(x, _mask(T)), [V4], "MaskedSelectBackward0"),
    OpInfo("masked_scatter", lambda T, x, s: x.masked_scatter(_mask(T), s), [M34, (2, 5)], "MaskedScatterBackward0"),
    OpInfo("masked_scatter_inplace", lambda T, x, s: (x * 1).masked_scatter_(_mask(T), s), [M34, (6,)],
           "MaskedScatterBackward0"),
    # ---------------------------------------------------------------- take / put
    OpInfo("take", lambda T, x: x.take(T.tensor([[0, 11], [5, -1]])), [M34], "TakeBackward0"),
    OpInfo("take_fn_repeats", lambda T, x: T.take(x, T.tensor([3, 3, 0])), [M34], "TakeBackward0"),
    OpInfo("put", lambda T, x, s: x.put(T.tensor([0, 7, -1]), s), [M34, V3], "PutBackward0"),
    OpInfo("put_accumulate", lambda T, x, s: T.put(x, T.tensor([[0, 7], [0, 3]]), s, accumulate=True), [M34, (2, 2)],
           "PutBackward0"),
    OpInfo("put_inplace", lambda T, x, s: (x * 1).put_(T.tensor([1, 2]), s), [M34, (2,)], "PutBackward0"),
    # ---------------------------------------------------------------- index_put and x[key] = v
    OpInfo("index_put", lambda T, x, v: x.index_put((T.tensor([2, 0]),), v), [M34, V4], "IndexPutBackward0"),
    OpInfo("index_put_accumulate", lambda T, x, v: T.index_put(x, (T.tensor([1, 1, 0]), T.tensor([3, 3, 2])), v,
                                                               accumulate=True), [M34, V3], "IndexPutBackward0"),
    OpInfo("index_put_inplace", lambda T, x, v: (x * 1).index_put_((_mask(T),), v, accumulate=True), [M34, S0],
           "IndexPutBackward0"),
    OpInfo("index_put_fn_inplace", lambda T, x, v: T.index_put_(x * 1, (T.tensor([0, 2]), T.tensor([1, 3])), v),
           [M34, (2,)], "IndexPutBackward0"),
    # torch applies the int (a select view) first, then the tensor index: CopySlices
    OpInfo("setitem_int_and_tensor", lambda T, x, v: _setitem(x, (T.tensor([2, 0]), 1), v), [M34, (2,)],
           "CopySlices"),
    OpInfo("setitem_int_slice_tensor", lambda T, x, v: _setitem(x, (0, slice(None), T.tensor([1, 3])), v),
           [(2, 3, 4), (3, 2)], "CopySlices"),
    OpInfo("setitem_broadcast_value", lambda T, x, v: _setitem(x, T.tensor([2, 0]), v), [M34, (1, 1, 4)],
           "IndexPutBackward0"),
    OpInfo("setitem_mask", lambda T, x, v: _setitem(x, _mask(T), v), [M34, S0], "IndexPutBackward0"),
    OpInfo("setitem_cols", lambda T, x, v: _setitem(x, (slice(None), T.tensor([3, 1])), v), [M34, (3, 1)],
           "IndexPutBackward0"),
    # repeated positions: torch gives every value the gradient of its target (finite differences
    # see only the last write), so this row compares with torch only
    OpInfo("setitem_repeated_index", lambda T, x, v: _setitem(x, T.tensor([1, 1]), v), [M34, (2, 4)],
           "IndexPutBackward0", numeric=False),
    # x[0, :, idx]: the int is applied first (torch's layout differs from NumPy's here)
    OpInfo("getitem_int_slice_tensor", lambda T, x: x[0, :, T.tensor([1, 3, 1])], [(2, 3, 4)], "IndexBackward0"),
    OpInfo("getitem_tensor_slice_int", lambda T, x: x[T.tensor([1, 0]), 1:, 2], [(2, 3, 4)], "IndexBackward0"),
    # the backward of a slice / select is an op under create_graph (slice_backward,
    # select_backward: linear in the gradient, not connected to x)
    OpInfo("slice_backward_rows", lambda T, x, v: T.autograd.grad(x[1:], x, v, create_graph=True)[0],
           [M34, (2, 4)], "SliceBackwardBackward0", gradgrad=False),  # already second-order
    OpInfo("slice_backward_step", lambda T, x, v: T.autograd.grad(x.narrow(1, 1, 2)[:, ::2], x, v,
                                                                  create_graph=True)[0],
           [M34, (3, 1)], "SliceBackwardBackward0", gradgrad=False),
    OpInfo("select_backward", lambda T, x, v: T.autograd.grad(x.select(1, -1), x, v, create_graph=True)[0],
           [M34, (3,)], "SelectBackwardBackward0", gradgrad=False),
    OpInfo("select_slice_backward", lambda T, x, v: T.autograd.grad(x[1:, 2], x, v, create_graph=True)[0],
           [M34, (2,)], "SliceBackwardBackward0", extra_nodes=("SelectBackwardBackward0",),
           gradgrad=False),
]
