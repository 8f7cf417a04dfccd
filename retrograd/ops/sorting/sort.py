"""Sorting and order statistics: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode,
unique, unique_consecutive.

Values are selected with vectorised NumPy (a stable sort gives PyTorch's order wherever the
answer is unique). Where PyTorch's kernel is not stable (sort without stable=True beyond 16
elements, topk, kthvalue, mode), the index it reports among equal values depends on its
algorithm's steps: those slices alone are re-run through ``sorting_select``, which replays it.
"""
from __future__ import annotations

import numpy as np

from .._registry import REDUCTION, dims, export
from ...autograd.node import Unique2Backward0, UniqueConsecutiveBackward0, UniqueDimBackward0
from .._util import needs_grad1, wrap, wrap_dim
from ...autograd._record import RESULT, record1
from ..reduction.basic import _dim_attr
from ..reduction.minmax import _MaxMinAllBackward, _return_type
from ..reduction.cumulative import _ScatterBackward, _scatter_index
from . import cpu_kernels as sel
from ..._size import int_arg_error, is_int

return_sort = _return_type("sort")
return_topk = _return_type("topk")
return_kthvalue = _return_type("kthvalue")
return_median = _return_type("median")
return_nanmedian = _return_type("nanmedian")
return_mode = _return_type("mode")


# -- helpers ---------------------------------------------------------------------------------
def _stable_order(x: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """PyTorch's sort order: stable, NaN greatest (last ascending, first descending)."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # Descending and stable: sort the reversed slice ascending, then read it backwards.
    n = x.shape[axis]
    rev = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - np.flip(rev, axis)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise equality with NaN equal to NaN (ties for a NaN-aware comparator)."""
    eq = a == b
    if a.dtype.kind == "f":
        eq |= np.isnan(a) & np.isnan(b)
    return eq


def _selected(input, values, indices, dim, keepdim, cls, rt, arg_dim):
    """Wrap (values, indices) picked from ``input`` along ``dim`` (``arg_dim`` as the caller
    gave it); the gradient of each value goes back to the position it came from."""
    x = input._data
    idx_t = wrap(indices)
    if not needs_grad1(input):   # (the scatter index below is built for backward only)
        return rt(wrap(values), idx_t)
    if x.ndim:
        index = _scatter_index(x.shape, dim, indices if keepdim else np.expand_dims(indices, dim))
    else:
        index = ()
    return rt(record1(cls, input, values, idx_t, shape=x.shape, dim=dim, keepdim=keepdim,
                      arg_dim=arg_dim, index=index), idx_t)


def _moved(x: np.ndarray, d: int) -> np.ndarray:
    """``x`` with ``d`` last, as rows: shape (-1, n)."""
    return np.moveaxis(x, d, -1).reshape(-1, x.shape[d])


def _unmoved(rows: np.ndarray, shape, d: int) -> np.ndarray:
    """Inverse of ``_moved`` for results of length k along ``d``."""
    moved = tuple(s for i, s in enumerate(shape) if i != d) + (rows.shape[-1],)
    return np.moveaxis(rows.reshape(moved), -1, d)


def _no_bool(x: np.ndarray, kernel: str) -> None:
    if x.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


def _check_dim_nonempty(name: str, x: np.ndarray, d: int) -> None:
    if x.ndim and x.shape[d] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {d} to have non-zero size.")


# -- sort / argsort / msort ------------------------------------------------------------------
class SortBackward0(_ScatterBackward):
    """d sort(x)/dx: each sorted value's gradient goes back to its original position."""
    __slots__ = ()
    saved_attrs = {"dim": _dim_attr, "self_sym_sizes": "shape"}


class SortBackward1(SortBackward0):
    """sort(..., stable=...): the same permutation gradient."""
    __slots__ = ()


_UNSET = object()


def _sort_arrays(x, dim, descending, stable):
    d = wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return d, x.copy(), np.zeros((), np.int64)
    order = _stable_order(x, d, descending).astype(np.int64)
    n = x.shape[d]
    # torch's unstable sort is std::sort: an insertion sort (stable) up to 16 elements, and
    # fbgemm's radix sort (stable) for big 1-D integer tensors in ascending order.
    radix = x.ndim == 1 and not descending and x.dtype.kind in "iu" and x.size >= 32768
    if not stable and n > 16 and not radix and x.size:
        rows, orows = _moved(x, d), _moved(order, d)
        srt = np.take_along_axis(rows, orows, axis=1)
        redo = np.nonzero(_same(srt[:, 1:], srt[:, :-1]).any(axis=1))[0]
        if redo.size:
            comp = sel.gt_nan_first if descending else sel.lt_nan_last
            for r in redo:
                orows[r] = sel.sort_slice(rows[r].tolist(), comp)
            order = _unmoved(orows, x.shape, d)
    return d, np.take_along_axis(x, order, axis=d), order


@export(method=True, vmap=dims('dim'))
def sort(input, dim=-1, descending=False, *, stable=_UNSET):
    d, values, order = _sort_arrays(input._data, dim, descending, bool(stable) and
                                    stable is not _UNSET)
    cls = SortBackward0 if stable is _UNSET else SortBackward1
    return _selected(input, values, order, d, True, cls, return_sort, dim)


@export(method=True, vmap=dims('dim'))
def argsort(input, dim=-1, descending=False, *, stable=False):
    return wrap(_sort_arrays(input._data, dim, descending, stable)[2])


@export(method=True)
def msort(input):
    return sort(input, 0).values


# -- topk ------------------------------------------------------------------------------------
class TopkBackward0(_ScatterBackward):
    """d topk(x)/dx: each selected value's gradient goes back to its position."""
    __slots__ = ()
    saved_attrs = {"dim": _dim_attr, "self_sym_sizes": "shape"}


@export(method=True, vmap=dims('dim'))
def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("topk does not support bool dtypes on CPU")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool):
        raise int_arg_error(k, f"k must be an int, not {type(k).__name__}")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    if k < 0 or k > n:
        raise RuntimeError("selected index k out of range")
    if x.ndim == 0:
        return _selected(input, x.copy(), np.zeros((), np.int64), d, True, TopkBackward0,
                         return_topk, dim)
    rows = _moved(x, d)
    full = _stable_order(rows, 1, largest) if rows.size else np.zeros((rows.shape[0], n), np.int64)
    order = full[:, :k]
    if rows.shape[0] and k:
        if not sorted and k * 64 > n and k > 1:  # nth_element's own order, for every slice
            redo = np.arange(rows.shape[0])
        else:  # ties inside the top k, or straddling its boundary, make the answer algorithmic
            s = np.take_along_axis(rows, full[:, :k + 1], axis=1)
            redo = np.nonzero(_same(s[:, 1:], s[:, :-1]).any(axis=1))[0]
        if redo.size:
            order = order.copy()
            for r in redo:
                order[r] = [i for _, i in sel.topk_slice(rows[r].tolist(), k, largest, sorted)]
    order = order.astype(np.int64)
    values = np.take_along_axis(rows, order, axis=1)
    return _selected(input, _unmoved(values, x.shape, d), _unmoved(order, x.shape, d), d, True,
                     TopkBackward0, return_topk, dim)


# -- kthvalue --------------------------------------------------------------------------------
class KthvalueBackward0(_ScatterBackward):
    """d kthvalue(x)/dx: the gradient goes to the selected element of each slice."""
    __slots__ = ()


def _pick(x, d, pos_fn, redo_fn, keepdim):
    """(values, indices) with one element picked per slice along ``d``: ``pos_fn(sorted_rows,
    order)`` gives the position in the stable order, ``redo_fn(row, r, default)`` may replace
    a slice's index."""
    rows = _moved(x, d)
    order = _stable_order(rows, 1, False)
    srt = np.take_along_axis(rows, order, axis=1)
    pos = pos_fn(srt)
    idx = np.take_along_axis(order, pos[:, None], axis=1)[:, 0].astype(np.int64)
    if redo_fn is not None:
        idx = redo_fn(rows, srt, pos, idx)
    vals = np.take_along_axis(rows, idx[:, None], axis=1)
    vals, idx = _unmoved(vals, x.shape, d), _unmoved(idx[:, None], x.shape, d)
    if not keepdim:
        vals, idx = np.squeeze(vals, d), np.squeeze(idx, d)
    return vals, idx


@export(method=True, vmap=dims('dim'))
def kthvalue(input, k, dim=-1, keepdim=False):
    if not is_int(k):
        raise int_arg_error(k, f"k must be an int, not {type(k).__name__}")
    x = input._data
    _no_bool(x, "kthvalue_cpu")
    d = wrap_dim(dim, x.ndim)
    n = x.shape[d] if x.ndim else 1
    _check_dim_nonempty("kthvalue", x, d)
    if k < 1 or k > n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    if x.ndim == 0:
        return _selected(input, x.copy(), np.zeros((), np.int64), d, keepdim, KthvalueBackward0,
                         return_kthvalue, dim)

    def redo(rows, srt, pos, idx):
        # The k-th value has an equal neighbour in sorted order: quickselect decides.
        tie = np.zeros(rows.shape[0], bool)
        if k > 1:
            tie |= _same(srt[:, k - 1], srt[:, k - 2])
        if k < n:
            tie |= _same(srt[:, k - 1], srt[:, k])
        for r in np.nonzero(tie)[0]:
            idx[r] = sel.kthvalue_slice(rows[r].tolist(), k)[1]
        return idx

    vals, idx = _pick(x, d, lambda srt: np.full(srt.shape[0], k - 1), redo, keepdim)
    return _selected(input, vals, idx, d, keepdim, KthvalueBackward0, return_kthvalue, dim)


# -- median / nanmedian ----------------------------------------------------------------------
class MedianBackward0(_MaxMinAllBackward):
    """d median(x)/dx: split evenly among the elements equal to the median."""
    __slots__ = ()


class NanmedianBackward0(_MaxMinAllBackward):
    """d nanmedian(x)/dx: split evenly among the elements equal to the result."""
    __slots__ = ()


class MedianBackward1(_ScatterBackward):
    """d median(x, dim)/dx: the gradient goes to the selected element of each slice."""
    __slots__ = ()


class NanmedianBackward1(_ScatterBackward):
    """d nanmedian(x, dim)/dx: the gradient goes to the selected element of each slice."""
    __slots__ = ()


def _median_all(input, ignore_nan: bool):
    x = input._data
    _no_bool(x, "median_cpu")
    if x.size == 0:  # torch returns NaN (cast to the dtype) here
        with np.errstate(invalid="ignore"):
            out = np.asarray(np.nan).astype(x.dtype)
        return _median_result(input, out, ignore_nan)
    flat = np.sort(x.reshape(-1), kind="stable")  # NaN last
    nan = int(np.isnan(flat).sum()) if x.dtype.kind == "f" else 0
    if nan and not ignore_nan:
        out = np.asarray(np.nan, dtype=x.dtype)
    else:
        m = flat.size - nan
        out = np.asarray(flat[(m - 1) // 2 if m else 0])
    return _median_result(input, out, ignore_nan)


def _median_result(input, out, ignore_nan):
    return record1(NanmedianBackward0 if ignore_nan else MedianBackward0, input, out,
                   (input, RESULT))


def _median_dim(input, dim, keepdim, ignore_nan: bool):
    x = input._data
    _no_bool(x, "median_out")
    d = wrap_dim(dim, x.ndim)
    _check_dim_nonempty("median", x, d)
    cls = NanmedianBackward1 if ignore_nan else MedianBackward1
    rt = return_nanmedian if ignore_nan else return_median
    if x.ndim == 0:
        return _selected(input, x.copy(), np.zeros((), np.int64), d, keepdim, cls, rt, dim)
    is_f = x.dtype.kind == "f"

    def pos_fn(srt):
        nan = np.isnan(srt).sum(axis=1) if is_f else np.zeros(srt.shape[0], np.int64)
        if not ignore_nan:  # median is NaN if the slice has one: the first NaN is reported
            return np.where(nan > 0, srt.shape[1] - nan, (srt.shape[1] - 1) // 2)
        return np.maximum(srt.shape[1] - nan - 1, 0) // 2

    def redo(rows, srt, pos, idx):
        if not is_f:
            return idx
        nan_rows = np.isnan(rows)
        if not ignore_nan:  # the first NaN in the slice's own order
            has = nan_rows.any(axis=1)
            idx[has] = np.argmax(nan_rows[has], axis=1)
        else:  # all-NaN slices: nth_element's choice among equivalent elements
            for r in np.nonzero(nan_rows.all(axis=1))[0]:
                idx[r] = sel.nanmedian_all_nan_index(rows.shape[1])
        return idx

    vals, idx = _pick(x, d, pos_fn, redo, keepdim)
    return _selected(input, vals, idx, d, keepdim, cls, rt, dim)


@export(method=True, vmap=REDUCTION)
def median(input, dim=None, keepdim=False):
    if dim is None:
        return _median_all(input, False)
    return _median_dim(input, dim, keepdim, False)


@export(method=True, vmap=REDUCTION)
def nanmedian(input, dim=None, keepdim=False):
    if dim is None:
        return _median_all(input, True)
    return _median_dim(input, dim, keepdim, True)


# -- mode ------------------------------------------------------------------------------------
class ModeBackward0(_ScatterBackward):
    """d mode(x)/dx: the gradient goes to the reported element of each slice."""
    __slots__ = ()


@export(method=True, vmap=dims('dim'))
def mode(input, dim=-1, keepdim=False):
    x = input._data
    d = wrap_dim(dim, x.ndim)
    _check_dim_nonempty("mode", x, d)
    if x.ndim == 0:
        return _selected(input, x.copy(), np.zeros((), np.int64), d, keepdim, ModeBackward0,
                         return_mode, dim)
    rows = _moved(x, d)
    n = rows.shape[1]
    order = np.argsort(rows, axis=1, kind="stable")
    srt = np.take_along_axis(rows, order, axis=1)
    # run lengths over the sorted slice; a run's length is read at its last element
    end = np.ones(srt.shape, bool)
    end[:, :-1] = srt[:, 1:] != srt[:, :-1]
    start = np.zeros(srt.shape, bool)
    start[:, 0] = True
    start[:, 1:] = end[:, :-1]
    pos = np.arange(n)
    first = np.maximum.accumulate(np.where(start, pos, 0), axis=1)
    run = np.where(end, pos - first + 1, 0)
    best = np.argmax(run, axis=1)  # the first (smallest) value among the most frequent
    idx = order[np.arange(rows.shape[0]), best].astype(np.int64)
    # std::sort is an insertion sort (stable) up to 16 elements; beyond that, or with NaNs,
    # its order among equal values is its own: replay it for slices with repeated values.
    dup = ~end[:, :-1].all(axis=1) if n > 1 else np.zeros(rows.shape[0], bool)
    if x.dtype.kind == "f":
        nan = np.isnan(rows).any(axis=1)
    else:
        nan = np.zeros(rows.shape[0], bool)
    redo = (dup & (n > 16)) | nan
    vals = rows[np.arange(rows.shape[0]), idx]
    for r in np.nonzero(redo)[0]:
        v, i = sel.mode_slice(rows[r].tolist())
        vals[r], idx[r] = v, i
    vals, idx = _unmoved(vals[:, None], x.shape, d), _unmoved(idx[:, None], x.shape, d)
    if not keepdim:
        vals, idx = np.squeeze(vals, d), np.squeeze(idx, d)
    return _selected(input, vals, idx, d, keepdim, ModeBackward0, return_mode, dim)


# -- unique / unique_consecutive (no gradient) -----------------------------------------------
def _wrap_dim_no_scalar(dim, ndim):
    if ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return wrap_dim(dim, ndim)


def _unique_outputs(values, inverse, counts, return_inverse, return_counts, input=None,
                    node_cls=None):
    # No derivative: like PyTorch, a node that raises at backward when the input requires grad.
    out = [wrap(values) if node_cls is None else record1(node_cls, input, values)]
    if return_inverse:
        out.append(wrap(inverse.astype(np.int64)))
    if return_counts:
        out.append(wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _check_unique_args(srt, return_inverse, return_counts, dim) -> None:
    """The argument checks of the op torch.unique calls: _unique2, or unique_dim with a dim
    (given positionally there, the flags by keyword)."""
    fn = "_unique2" if dim is None else "unique_dim"
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, (int, np.integer))):
        raise TypeError(f"unique_dim(): argument 'dim' (position 2) must be int, not "
                        f"{type(dim).__name__}")
    for name, v in (("sorted", srt), ("return_inverse", return_inverse),
                    ("return_counts", return_counts)):
        if not isinstance(v, bool):
            raise TypeError(f"{fn}(): argument '{name}' must be bool, not {type(v).__name__}")


@export(method=True)
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    _check_unique_args(sorted, return_inverse, return_counts, dim)
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        order = np.argsort(flat, kind="stable")
        srt = flat[order]
        new = np.ones(srt.shape, bool)
        new[1:] = srt[1:] != srt[:-1]  # NaN != NaN: every NaN is its own value, as in torch
        group = np.cumsum(new) - 1
        inverse = np.empty(flat.shape, np.int64)
        inverse[order] = group
        counts = np.diff(np.append(np.nonzero(new)[0], srt.size))
        return _unique_outputs(srt[new], inverse.reshape(x.shape), counts, return_inverse,
                               return_counts,
                           input, Unique2Backward0 if dim is None else UniqueDimBackward0)
    d = _wrap_dim_no_scalar(dim, x.ndim)
    if x.dtype.kind == "f" and x.size and np.isnan(x).any():
        vals, inverse, counts = _unique_dim_nan(x, d)
    else:
        vals, inverse, counts = np.unique(x, return_inverse=True, return_counts=True, axis=d,
                                          equal_nan=False)
    return _unique_outputs(vals, inverse.reshape(-1), counts, return_inverse, return_counts,
                           input, Unique2Backward0 if dim is None else UniqueDimBackward0)


def _unique_dim_nan(x: np.ndarray, d: int):
    """unique(dim) of slices holding NaN, step for step as PyTorch's CPU kernel: std::sort of the
    slice indices with a lexicographic ``<`` that skips the elements where neither is less (NaN
    compares as neither, so this is no strict weak order and the result depends on the sort's
    steps), then equal neighbours (by ``==``: a slice with NaN equals nothing) merged into the
    last slice kept. Without NaN, np.unique gives the same groups."""
    rows = np.moveaxis(x, d, 0).reshape(x.shape[d], -1)
    lists = rows.tolist()

    def comp(a, b):
        for p, q in zip(lists[a], lists[b]):
            if p < q:
                return True
            if p > q:
                return False
        return False
    order = list(range(len(lists)))
    sel.std_sort(order, 0, len(order), comp)
    inverse = np.empty(len(order), np.int64)
    kept, counts = [order[0]], [1]
    inverse[order[0]] = 0
    for i in order[1:]:
        if lists[i] == lists[kept[-1]] and not np.isnan(rows[i]).any():
            counts[-1] += 1
        else:
            kept.append(i)
            counts.append(1)
        inverse[i] = len(kept) - 1
    vals = np.moveaxis(rows[kept].reshape((len(kept),) + np.moveaxis(x, d, 0).shape[1:]), 0, d)
    return np.ascontiguousarray(vals), inverse, np.asarray(counts, np.int64)


@export(method=True)
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    x = input._data
    if dim is None:
        flat = x.reshape(-1)
        new = np.ones(flat.shape, bool)
        new[1:] = flat[1:] != flat[:-1]
        inverse = (np.cumsum(new) - 1).reshape(x.shape)
        counts = np.diff(np.append(np.nonzero(new)[0], flat.size))
        return _unique_outputs(flat[new], inverse, counts, return_inverse, return_counts,
                           input, UniqueConsecutiveBackward0)
    d = _wrap_dim_no_scalar(dim, x.ndim)
    rows = np.moveaxis(x, d, 0).reshape(x.shape[d], -1)
    new = np.ones(rows.shape[0], bool)
    new[1:] = (rows[1:] != rows[:-1]).any(axis=1)
    inverse = np.cumsum(new) - 1
    counts = np.diff(np.append(np.nonzero(new)[0], rows.shape[0]))
    vals = np.compress(new, x, axis=d)
    return _unique_outputs(vals, inverse, counts, return_inverse, return_counts,
                           input, UniqueConsecutiveBackward0)

