"""The selection algorithms behind PyTorch's CPU kernels, step for step, for the one case where
their exact steps are observable: which index is reported among equal values.

topk runs libstdc++'s ``std::nth_element`` / ``std::partial_sort`` / ``std::sort`` on (value,
index) pairs, mode runs ``std::sort``, kthvalue runs Sedgewick's quickselect
(``quick_select_template`` in ATen), nanmedian of an all-NaN slice runs ``std::nth_element``.
None of them is stable, so with ties the reported index depends on the algorithm's swaps. The
vectorised paths in ``sorting.py`` handle every slice whose answer is unique; only slices with
ties come here, one Python-level pass each.

Every function works in place on a list ``a`` (the elements of one slice) with a strict
comparator ``comp(x, y)`` ("x goes before y"), on the half-open range [first, last).
"""
from __future__ import annotations

_THRESHOLD = 16  # libstdc++'s _S_threshold


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _swap(a, i, j):
    a[i], a[j] = a[j], a[i]


# -- insertion sort ---------------------------------------------------------------------------
def _unguarded_linear_insert(a, last, comp, lo):
    val = a[last]
    nxt = last - 1
    while nxt >= lo and comp(val, a[nxt]):  # lo: a guard libstdc++ does not need
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _insertion_sort(a, first, last, comp):
    if first == last:
        return
    for i in range(first + 1, last):
        if comp(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i, comp, first)


def _final_insertion_sort(a, first, last, comp):
    if last - first > _THRESHOLD:
        _insertion_sort(a, first, first + _THRESHOLD, comp)
        for i in range(first + _THRESHOLD, last):
            _unguarded_linear_insert(a, i, comp, first)
    else:
        _insertion_sort(a, first, last, comp)


# -- heaps ------------------------------------------------------------------------------------
def _push_heap(a, first, hole, top, value, comp):
    parent = (hole - 1) // 2
    while hole > top and comp(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _adjust_heap(a, first, hole, length, value, comp):
    top = hole
    second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if comp(a[first + second], a[first + second - 1]):
            second -= 1
        a[first + hole] = a[first + second]
        hole = second
    if (length & 1) == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        a[first + hole] = a[first + second - 1]
        hole = second - 1
    _push_heap(a, first, hole, top, value, comp)


def _make_heap(a, first, last, comp):
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent], comp)
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a, first, last, result, comp):
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value, comp)


def _heap_select(a, first, middle, last, comp):
    _make_heap(a, first, middle, comp)
    for i in range(middle, last):
        if comp(a[i], a[first]):
            _pop_heap(a, first, middle, i, comp)


def _sort_heap(a, first, last, comp):
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last, comp)


# -- partitioning -----------------------------------------------------------------------------
def _move_median_to_first(a, result, x, y, z, comp):
    if comp(a[x], a[y]):
        if comp(a[y], a[z]):
            _swap(a, result, y)
        elif comp(a[x], a[z]):
            _swap(a, result, z)
        else:
            _swap(a, result, x)
    elif comp(a[x], a[z]):
        _swap(a, result, x)
    elif comp(a[y], a[z]):
        _swap(a, result, z)
    else:
        _swap(a, result, y)


def _unguarded_partition(a, first, last, pivot, comp):
    hi = last
    while True:
        while first < hi - 1 and comp(a[first], a[pivot]):
            first += 1
        last -= 1
        while last > pivot and comp(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        _swap(a, first, last)
        first += 1


def _unguarded_partition_pivot(a, first, last, comp):
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1, comp)
    return _unguarded_partition(a, first + 1, last, first, comp)


# -- the std:: algorithms ---------------------------------------------------------------------
def partial_sort(a, first, middle, last, comp):
    _heap_select(a, first, middle, last, comp)
    _sort_heap(a, first, middle, comp)


def _introsort_loop(a, first, last, depth, comp):
    while last - first > _THRESHOLD:
        if depth == 0:
            partial_sort(a, first, last, last, comp)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last, comp)
        _introsort_loop(a, cut, last, depth, comp)
        last = cut


def std_sort(a, first, last, comp):
    if last - first > 0:
        _introsort_loop(a, first, last, 2 * _lg(last - first), comp)
        _final_insertion_sort(a, first, last, comp)


def nth_element(a, first, nth, last, comp):
    if first == last or nth == last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last, comp)
            _swap(a, first, nth)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last, comp)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last, comp)


# -- ATen's quickselect (kthvalue) ------------------------------------------------------------
def quick_select(a, k, gt):
    """ATen's ``quick_select_template``: partially orders ``a`` so that ``a[k]`` is the k-th
    smallest under ``gt`` ("greater than, NaN greatest")."""
    lo, hi = 0, len(a) - 1
    while True:
        if hi <= lo:
            return
        if hi == lo + 1:
            if gt(a[lo], a[hi]):
                _swap(a, lo, hi)
            return
        p = (lo + hi) >> 1
        _swap(a, p, lo + 1)
        if gt(a[lo + 1], a[hi]):
            _swap(a, lo + 1, hi)
        if gt(a[lo], a[hi]):
            _swap(a, lo, hi)
        if gt(a[lo + 1], a[lo]):
            _swap(a, lo + 1, lo)
        i, j = lo + 1, hi
        piv = a[lo]
        while True:
            i += 1
            while gt(piv, a[i]):
                i += 1
            j -= 1
            while gt(a[j], piv):
                j -= 1
            if j < i:
                break
            _swap(a, i, j)
        _swap(a, lo, j)
        if j <= k:
            lo = i
        if j >= k:
            hi = j - 1


# -- comparators on (value, index) pairs ------------------------------------------------------
def _isnan(v) -> bool:
    return v != v


def gt_nan_first(x, y) -> bool:
    """topk(largest=True) / kthvalue: x before y if x is NaN (and y not) or x > y."""
    return (_isnan(x[0]) and not _isnan(y[0])) or x[0] > y[0]


def lt_nan_last(x, y) -> bool:
    """topk(largest=False): x before y if x < y, NaN last."""
    return (not _isnan(x[0]) and _isnan(y[0])) or x[0] < y[0]


def value_lt(x, y) -> bool:
    """mode's std::sort comparator: the value alone."""
    return x[0] < y[0]


# -- per-slice entry points -------------------------------------------------------------------
def topk_slice(values: list, k: int, largest: bool, sorted_: bool) -> list:
    """The (value, index) pairs torch's topk_impl_loop reports for one slice."""
    n = len(values)
    if k == 0:
        return []
    q = list(zip(values, range(n)))
    comp = gt_nan_first if largest else lt_nan_last
    if k * 64 <= n:
        partial_sort(q, 0, k, n, comp)
    else:
        nth_element(q, 0, k - 1, n, comp)
        if sorted_:
            std_sort(q, 0, k - 1, comp)
    return q[:k]


def sort_slice(values: list, comp) -> list:
    """The index order torch's unstable sort (std::sort on (value, index) pairs) gives."""
    q = list(zip(values, range(len(values))))
    std_sort(q, 0, len(q), comp)
    return [i for _, i in q]


def kthvalue_slice(values: list, k: int) -> tuple:
    """(value, index) of the k-th smallest (1-based k), as ATen's kthvalue finds it."""
    q = list(zip(values, range(len(values))))
    quick_select(q, k - 1, gt_nan_first)
    return q[k - 1]


def mode_slice(values: list) -> tuple:
    """(value, index) of the most frequent value, as ATen's mode kernel finds it."""
    q = list(zip(values, range(len(values))))
    std_sort(q, 0, len(q), value_lt)
    best, freq, run = q[0], 0, 0
    for i in range(len(q)):
        run += 1
        if i == len(q) - 1 or q[i][0] != q[i + 1][0]:
            if run > freq:
                best, freq = q[i], run
            run = 0
    return best


def nanmedian_all_nan_index(n: int) -> int:
    """Index ATen's nanmedian reports for a slice of ``n`` NaNs: std::nth_element at position 0
    with a comparator under which all NaNs are equivalent."""
    idx = list(range(n))
    nth_element(idx, 0, 0, n, lambda i, j: False)
    return idx[0]
