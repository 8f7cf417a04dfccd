"""Values, indices, dtypes, errors and warnings of the reduction and sorting families, compared
with torch 2.13 at test time (``both`` runs each scenario on retrograd and on torch).

Gradients are in tests/op_db_reduction.py and tests/op_db_sorting.py; here are the parts the op
table cannot reach: non-differentiable ops (argsort, unique, count_nonzero, ...), integer and
bool inputs, which index is reported among ties and NaNs (on many random tie-heavy inputs,
including sizes that take libstdc++'s introselect, partial_sort and heap paths), empty and 0-d
inputs, named-tuple behaviour, and error messages.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from _both import both

NAN = float("nan")


def _t(T: Any, a, dtype: str | None = None) -> Any:
    a = np.asarray(a)
    return T.tensor(a, dtype=getattr(T, dtype) if dtype else None)


def _tie_heavy(seed: int, shape, levels: int = 4, nan: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, levels, shape).astype(np.float32)
    if nan:
        a[rng.random(shape) < 0.15] = np.nan
    return a


# -- tie-breaking among equal values: the index torch reports -------------------------------------
TIE_SHAPES = [(3, 7), (2, 20), (2, 70), (1, 200), (4, 5, 6)]


@pytest.mark.parametrize("shape", TIE_SHAPES, ids=str)
@pytest.mark.parametrize("nan", [False, True], ids=["", "nan"])
def test_topk_ties(shape, nan):
    a = _tie_heavy(len(shape) * 100 + shape[-1] + nan, shape, nan=nan)
    n = shape[-1]
    ks = sorted({1, 2, 3, n // 2, n - 1, n})

    def scenario(T):
        x = _t(T, a)
        out = []
        for k in ks:
            for largest in (True, False):
                for srt in (True, False):
                    r = T.topk(x, k, largest=largest, sorted=srt)
                    out.append((r.values, r.indices))
        return out
    both(scenario)


@pytest.mark.parametrize("shape", TIE_SHAPES, ids=str)
@pytest.mark.parametrize("nan", [False, True], ids=["", "nan"])
def test_kthvalue_ties(shape, nan):
    a = _tie_heavy(7 + shape[-1] + nan, shape, nan=nan)
    n = shape[-1]

    def scenario(T):
        x = _t(T, a)
        return [tuple(T.kthvalue(x, k, -1)) for k in sorted({1, 2, n // 3 + 1, n // 2, n})]
    both(scenario)


@pytest.mark.parametrize("shape", TIE_SHAPES + [(5, 16), (5, 17)], ids=str)
@pytest.mark.parametrize("levels", [2, 5, 50])
def test_mode_ties(shape, levels):
    a = _tie_heavy(shape[-1] * levels, shape, levels=levels)
    both(lambda T: [tuple(T.mode(_t(T, a), d)) for d in range(len(shape))])


def test_mode_dtypes_and_keepdim():
    a = _tie_heavy(3, (3, 9), levels=3)
    both(lambda T: [tuple(T.mode(_t(T, a, dt), 1, keepdim=True)) for dt in
                    ("int64", "int32", "uint8", "float64", "bool")])


@pytest.mark.parametrize("shape", TIE_SHAPES, ids=str)
@pytest.mark.parametrize("nan", [False, True], ids=["", "nan"])
def test_median_ties(shape, nan):
    a = _tie_heavy(11 + shape[-1] + nan, shape, nan=nan)

    def scenario(T):
        x = _t(T, a)
        return [T.median(x), T.nanmedian(x), tuple(T.median(x, -1)), tuple(T.nanmedian(x, -1)),
                tuple(x.median(0, keepdim=True)), tuple(x.nanmedian(0))]
    both(scenario)


def test_nanmedian_all_nan_slices():
    a = np.full((3, 20), np.nan, np.float32)
    a[1, 3] = 2.0
    both(lambda T: (tuple(T.nanmedian(_t(T, a), 1)), T.nanmedian(_t(T, a)),
                    tuple(T.median(_t(T, a), 1))))


@pytest.mark.parametrize("shape", TIE_SHAPES, ids=str)
@pytest.mark.parametrize("nan", [False, True], ids=["", "nan"])
def test_sort_ties_are_stable(shape, nan):
    a = _tie_heavy(5 + shape[-1] + nan, shape, nan=nan)

    def scenario(T):
        x = _t(T, a)
        return [tuple(T.sort(x, d, desc)) for d in range(len(shape)) for desc in (False, True)] + \
            [T.argsort(x, -1, True), x.argsort(0), T.msort(x), tuple(x.sort(stable=True))]
    both(scenario)


def test_sort_special_values():
    a = np.array([[0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, np.nan, -np.inf]], np.float32)
    both(lambda T: [tuple(T.sort(_t(T, a), descending=d)) for d in (False, True)]
         + [tuple(T.topk(_t(T, a), 4)), tuple(T.kthvalue(_t(T, a), 3))])


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool", "float64"])
def test_sorting_dtypes(dtype):
    a = _tie_heavy(17, (3, 6), levels=3)

    def scenario(T):
        x = _t(T, a, dtype)
        out = [tuple(T.sort(x, 1)), tuple(T.sort(x, 0, True)), T.argsort(x)]
        if dtype != "bool":
            out += [tuple(T.topk(x, 2)), tuple(T.kthvalue(x, 2)), tuple(T.median(x, 1)), T.median(x),
                    tuple(T.cummax(x, 1)), tuple(T.cummin(x, 0))]
        return out
    both(scenario)


def test_cummax_ties_and_nan():
    a = _tie_heavy(23, (4, 9), levels=3, nan=True)
    both(lambda T: [tuple(T.cummax(_t(T, a), d)) for d in (0, 1)] +
         [tuple(T.cummin(_t(T, a), d)) for d in (0, -1)])


# -- the reductions' values and dtypes --------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "uint8", "bool"])
def test_sum_prod_cumsum_dtypes(dtype):
    a = np.array([[1, 0, 2], [3, 1, 1]])

    def scenario(T):
        x = _t(T, a, dtype)
        return [T.prod(x), x.prod(1), x.prod(0, True), x.prod(dtype=T.float64), T.cumsum(x, 1),
                x.cumprod(0), x.cumsum(0, dtype=T.float32), T.nansum(x), x.nansum(1),
                T.count_nonzero(x), T.count_nonzero(x, 1), T.count_nonzero(x, (0, 1)),
                x.amax(), x.amin(1), tuple(T.aminmax(x)), tuple(T.aminmax(x, dim=0, keepdim=True)),
                x.argmax(), x.argmin(1, keepdim=True), x.argmax(0)]
    both(scenario)


def test_nan_propagation():
    a = np.array([[1.0, NAN, 3.0], [2.0, 0.0, 1.0], [NAN, NAN, 5.0]], np.float32)

    def scenario(T):
        x = _t(T, a)
        return [x.max(), x.min(), tuple(x.max(1)), tuple(x.min(0)), x.amax(1), x.amin(0),
                tuple(T.aminmax(x, dim=1)), x.argmax(), x.argmin(1), x.sum(1), x.nansum(1),
                x.nanmean(1), T.nanmean(x), x.prod(1), x.cumsum(1), x.logcumsumexp(1), x.var(1),
                x.std(0), x.norm(dim=1), x.norm(float("inf"), 1), T.norm(x, 0, 1), x.mean(0)]
    both(scenario)


def test_std_var_signatures():
    a = np.random.default_rng(0).standard_normal((3, 4, 2)).astype(np.float32)

    def scenario(T):
        x = _t(T, a)
        return [x.var(), x.std(False), T.var(x, 1), T.std(x, 1, False, True), x.var((0, 2)),
                x.std(dim=[0, 1], correction=0), x.var(1, keepdim=True, correction=2),
                T.var(x, unbiased=False), T.std_mean(x), T.std_mean(x, 1, keepdim=True),
                T.var_mean(x, (0, 1), correction=0), T.var_mean(x, False), x.var(None, True, True),
                x.double().std(2), T.var(T.tensor(2.5), 0, correction=0)]
    both(scenario)


def test_dof_warnings():
    both(lambda T: T.var(_t(T, [1.0])))
    both(lambda T: T.std(_t(T, [[1.0, 2.0]]), 1, correction=3))
    both(lambda T: T.var_mean(_t(T, [1.0, 2.0]), correction=2))
    both(lambda T: T.std_mean(T.zeros(0)))


def test_norms():
    a = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    a[0, 0, :2] = 0.0
    ps = [None, "fro", 0, 1, 2, 3, 0.5, -1, -2.5, float("inf"), -float("inf")]

    def scenario(T):
        x = _t(T, a)
        out = [T.norm(x, p) for p in ps] + [x.norm(p, 1) for p in ps] + \
            [x.norm(p, (0, 2), keepdim=True) for p in ps]
        out += [T.norm(x, dim=()), x.norm(dtype=T.float64), T.norm(x.double(), 2, -1),
                T.norm(T.zeros(0)), T.norm(T.zeros(0, 3), float("inf"), 1), T.norm(T.tensor(-3.0))]
        return out
    both(scenario)


def test_logcumsumexp_is_stable():
    a = np.array([[1000.0, 1000.0, -1000.0, -np.inf], [-1e4, 0.0, 1e4, 1e4]], np.float32)
    both(lambda T: [T.logcumsumexp(_t(T, a), 1), T.logcumsumexp(_t(T, a), 0),
                    T.logcumsumexp(_t(T, a, "float64"), 1)])


def test_zero_dim_and_empty():
    def scenario(T):
        s, e = T.tensor(2.5), T.zeros(0, 3)
        return [s.prod(), s.prod(0), s.cumsum(0), s.cumprod(-1), tuple(s.cummax(0)), s.amax(0),
                s.logcumsumexp(0), tuple(s.sort()), tuple(s.topk(1)), tuple(s.kthvalue(1)),
                s.median(), tuple(s.median(0)), T.median(T.zeros(0)), T.nanmedian(T.zeros(0)),
                T.median(T.zeros(0, dtype=T.int32)), tuple(s.mode()), s.argmax(0), s.count_nonzero(),
                e.prod(1), e.prod(0), e.sum(0), e.cumsum(0), e.cumprod(1), tuple(e.sort(0)),
                tuple(e.topk(0, 1)), tuple(e.max(1)), e.amax(1), e.nansum(), e.count_nonzero(0),
                tuple(e.cummax(0)), e.logcumsumexp(1), e.std(1), e.norm(dim=0)]
    both(scenario)


# -- unique / unique_consecutive / named tuples ------------------------------------------------
@pytest.mark.parametrize("dtype", ["int64", "float32", "bool", "uint8"])
def test_unique(dtype):
    a = _tie_heavy(31, (4, 5), levels=4)

    def scenario(T):
        x = _t(T, a, dtype)
        out = []
        for srt in (True, False):
            for inv in (False, True):
                for cnt in (False, True):
                    r = T.unique(x, sorted=srt, return_inverse=inv, return_counts=cnt)
                    out.append(r)
        out += [x.unique(), T.unique_consecutive(x), x.unique_consecutive(True, True),
                T.unique_consecutive(x.flatten(), return_counts=True),
                T.unique(x, dim=0, return_inverse=True, return_counts=True),
                T.unique(x, dim=1), T.unique_consecutive(x, dim=1, return_inverse=True)]
        return out
    both(scenario)


def test_unique_nan():
    a = np.array([2.0, NAN, 1.0, NAN, 2.0], np.float32)
    both(lambda T: (T.unique(_t(T, a), return_inverse=True, return_counts=True),
                    T.unique_consecutive(_t(T, a), return_counts=True)))


def test_unique_edge_shapes():
    def scenario(T):
        s, e = T.tensor(3.0), T.zeros(0)
        return [T.unique(s, return_inverse=True, return_counts=True),
                T.unique_consecutive(s, return_inverse=True, return_counts=True),
                T.unique(e, return_inverse=True, return_counts=True),
                T.unique_consecutive(e, return_inverse=True, return_counts=True),
                T.unique(T.zeros(2, 0), dim=1), T.topk(s, 0), T.topk(s, 1, sorted=False),
                T.unique_consecutive(_t(T, [[1, 1], [2, 2], [2, 2]]), dim=0, return_inverse=True,
                                     return_counts=True)]
    both(scenario)


def test_return_types_behave_like_torch():
    def scenario(T):
        x = _t(T, [[1.0, 3.0, 2.0], [0.5, 0.5, 4.0]])
        outs = [x.max(1), x.min(0), x.sort(1), x.topk(2), x.kthvalue(1), x.median(1), x.mode(1),
                x.cummax(1), x.cummin(1), x.nanmedian(0), T.aminmax(x)]
        res = [(type(r).__name__, repr(r), len(r), isinstance(r, tuple), r.n_fields) for r in outs]
        v, i = x.sort(1)
        res.append((v, i, outs[0].values, outs[0].indices, outs[-1].min, outs[-1].max, outs[0][1]))
        return res
    both(scenario)


def test_inplace_scans():
    def scenario(T):
        x = _t(T, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        y = x.clone()
        x.cumsum_(1)
        y.cumprod_(0)
        return x, y
    both(scenario)


# -- errors ----------------------------------------------------------------------------------
ERRORS = {
    "topk_k_too_large": lambda T: T.topk(T.ones(2, 3), 4),
    "topk_k_negative": lambda T: T.ones(3).topk(-1),
    "topk_0d": lambda T: T.topk(T.tensor(1.0), 2),
    "kthvalue_k_range": lambda T: T.kthvalue(T.ones(2, 3), 4),
    "kthvalue_k_zero": lambda T: T.ones(2, 3).kthvalue(0, 0),
    "kthvalue_empty": lambda T: T.kthvalue(T.zeros(2, 0), 1),
    "median_empty_dim": lambda T: T.zeros(2, 0).median(1),
    "nanmedian_empty_dim": lambda T: T.zeros(2, 0).nanmedian(1),
    "mode_empty": lambda T: T.mode(T.zeros(0)),
    "amax_empty": lambda T: T.zeros(2, 0).amax(),
    "amax_empty_dim": lambda T: T.zeros(2, 0).amax(1),
    "amin_dims_repeated": lambda T: T.ones(2, 3).amin((0, -2)),
    "aminmax_empty": lambda T: T.aminmax(T.zeros(0)),
    "argmax_empty": lambda T: T.zeros(0).argmax(),
    "argmin_empty_dim": lambda T: T.zeros(2, 0).argmin(1),
    "max_empty": lambda T: T.zeros(0).max(),
    "sort_bad_dim": lambda T: T.ones(2, 3).sort(2),
    "topk_bad_dim": lambda T: T.ones(2, 3).topk(1, -3),
    "cumsum_bad_dim": lambda T: T.cumsum(T.ones(2, 3), 2),
    "cummax_bad_dim": lambda T: T.ones(3).cummax(1),
    "prod_bad_dim": lambda T: T.ones(2, 3).prod(5),
    "std_int": lambda T: T.std(T.ones(3, dtype=T.int64)),
    "var_bad_dim": lambda T: T.ones(2, 3).var(3),
    "var_dims_repeated": lambda T: T.ones(2, 3).var((1, 1)),
    "nanmean_int": lambda T: T.nanmean(T.ones(3, dtype=T.int64)),
    "logcumsumexp_int": lambda T: T.logcumsumexp(T.ones(3, dtype=T.int64), 0),
    "norm_int": lambda T: T.norm(T.ones(3, dtype=T.int64)),
    "norm_narrowing_dtype": lambda T: T.ones(3).norm(dtype=T.float16),
    "norm_bad_order": lambda T: T.norm(T.ones(2, 2), p="abc"),
    "norm_fro_three_dims": lambda T: T.norm(T.ones(2, 2, 2), "fro", (0, 1, 2)),
    "norm_nuc_one_dim": lambda T: T.norm(T.ones(2, 2), "nuc", 0),
    "norm_inf_empty": lambda T: T.norm(T.zeros(0), float("inf")),
    "norm_neg_inf_empty_dim": lambda T: T.norm(T.zeros(0, 3), -float("inf"), 0),
    "unique_bad_dim": lambda T: T.unique(T.ones(2, 3), dim=2),
    "unique_dim_of_0d": lambda T: T.unique(T.tensor(3.0), dim=0),
    "unique_consecutive_dim_of_0d": lambda T: T.unique_consecutive(T.tensor(3.0), dim=-1),
    "count_nonzero_dims_repeated": lambda T: T.count_nonzero(T.ones(2, 3), (0, 0)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors(name):
    ref = both(ERRORS[name])
    assert ref.error is not None, f"torch did not raise for {name}"


def test_norm_p0_has_no_gradient():
    def scenario(T):
        x = T.tensor([[1.0, 0.0], [2.0, -3.0]], requires_grad=True)
        x.norm(0).backward()
        return x.grad is None
    both(scenario)


@pytest.mark.parametrize("case", ["sum_none", "sum_none_keepdim", "sum_default", "mean_none",
                                  "mean_default", "mean_none_keepdim"])
def test_dim_none_given_records_the_dim_overload(case):
    """sum(x) is SumBackward0, sum(x, None) SumBackward1 with _saved_dim None (PyTorch)."""
    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
        r = {"sum_none": lambda: x.sum(None), "sum_none_keepdim": lambda: T.sum(x, None, keepdim=True),
             "sum_default": lambda: x.sum(), "mean_none": lambda: x.mean(dim=None),
             "mean_default": lambda: x.mean(),
             "mean_none_keepdim": lambda: x.mean(None, keepdim=True)}[case]()
        saved = {n: getattr(r.grad_fn, n) for n in dir(r.grad_fn) if n.startswith("_saved")}
        return [r, r.grad_fn.name(), saved, T.autograd.grad(r.sum(), x)]
    both(scenario)


@pytest.mark.parametrize("call", ["var()", "var(None)", "var(1)", "var(1, correction=None)",
                                  "var(correction=None)", "var(correction=0)",
                                  "var(unbiased=False)", "var(False)", "std(None, keepdim=True)",
                                  "std(0, True)", "var(dim=None, unbiased=True)"])
def test_var_std_saved_correction_follows_the_arguments_given(call):
    """PyTorch's _saved_correction: as given (None too), 1/0 from unbiased, 1 with a dim
    argument (None included), None with nothing."""
    def scenario(T):
        x = T.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]], requires_grad=True)
        r = eval("x." + call)  # noqa: S307 - the parametrized call, on a local tensor
        return [r, {n: getattr(r.grad_fn, n) for n in ("_saved_correction", "_saved_dim",
                                                       "_saved_keepdim")}]
    both(scenario)
