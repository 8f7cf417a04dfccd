"""Forward-mode AD (``retrograd.autograd.forward_ad``), compared with torch 2.13.

1. Every numeric row of the op table (tests/op_db.py): the JVP of the row's function at float64
   inputs along random tangents, through ``make_dual`` / ``unpack_dual``, against central finite
   differences and against ``torch.autograd.forward_ad`` on the same inputs and tangents.
2. The API's semantics scenario by scenario with ``both`` (tests/_both.py): levels, errors,
   requires_grad of primals and tangents, no_grad, views and in-place ops, dtypes.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import retrograd
from _both import both
from op_db import OP_DB, OpInfo

NUMERIC_ROWS = [row for row in OP_DB if row.numeric]

# torch's first make_dual loads its JVP decompositions, which warns (torch.jit.script is
# deprecated) once per process: done here, so that scenarios compare only their own warnings.
with torch.autograd.forward_ad.dual_level():
    torch.autograd.forward_ad.make_dual(torch.zeros(1), torch.zeros(1))
EPS = 1e-6
FD_ATOL, FD_RTOL = 1e-5, 1e-4
TORCH_ATOL, TORCH_RTOL = 1e-9, 1e-7


# ------------------------------------------------------------------------------- op table


def _float_outputs(lib: Any, out: Any) -> list[Any]:
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    return [o for o in outs if isinstance(o, lib.Tensor) and o.dtype in (lib.float32, lib.float64)]


def _np(t: Any) -> np.ndarray:
    return np.array(t.detach().clone().numpy())


def _tangents(row: OpInfo, arrays: list[np.ndarray]) -> list[np.ndarray]:
    rng = np.random.default_rng([row.seed, 7])
    return [rng.standard_normal(a.shape) for a in arrays]


def _jvp(lib: Any, row: OpInfo, arrays: list[np.ndarray], tangents: list[np.ndarray]):
    """(primal outputs, tangents) of the row's float outputs with lib's forward AD."""
    fwd = lib.autograd.forward_ad
    with fwd.dual_level():
        duals = [fwd.make_dual(lib.tensor(a), lib.tensor(t)) for a, t in zip(arrays, tangents)]
        outs = _float_outputs(lib, row.fn(lib, *duals))
        unpacked = [fwd.unpack_dual(o) for o in outs]
        return ([_np(p) for p, _ in unpacked],
                [None if t is None else _np(t) for _, t in unpacked],
                [None if t is None else str(t.dtype) for _, t in unpacked])


def _finite_differences(row: OpInfo, arrays: list[np.ndarray], tangents: list[np.ndarray]):
    """Central differences of the row's float outputs along the tangents (retrograd, float64)."""
    def f(s: float) -> list[np.ndarray]:
        xs = [retrograd.tensor(a + s * t) for a, t in zip(arrays, tangents)]
        return [_np(o) for o in _float_outputs(retrograd, row.fn(retrograd, *xs))]
    return [(p - m) / (2 * EPS) for p, m in zip(f(EPS), f(-EPS))]


def _torch_has_no_forward_formula(err: Exception) -> bool:
    msg = str(err)
    return ("forward AD" in msg or "forward-mode" in msg or "forward mode" in msg
            or "jvp" in msg.lower())


@pytest.mark.parametrize("row", NUMERIC_ROWS, ids=[r.name for r in NUMERIC_ROWS])
def test_op_jvp(row: OpInfo):
    arrays = row.inputs()
    tangents = _tangents(row, arrays)
    try:
        ref = _jvp(torch, row, arrays, tangents)
    except (NotImplementedError, RuntimeError) as err:
        if not _torch_has_no_forward_formula(err):
            # not a function of dual inputs in torch either (e.g. a row that differentiates its
            # input with autograd.grad, which needs it to require grad): the same error
            # (the type only: torch checks autograd.grad's outputs before its inputs, retrograd
            # the other way round, so the messages differ; that is autograd.grad's business)
            with pytest.raises(type(err)):
                _jvp(retrograd, row, arrays, tangents)
            return
        if retrograd.__name__ == "torch":
            pytest.skip("retrograd is the torch shim, and torch has no forward formula here")
        ref = None  # torch has no forward formula here: finite differences only
    primals, jvps, dtypes = _jvp(retrograd, row, arrays, tangents)
    expected_primals = [_np(o) for o in _float_outputs(
        retrograd, row.fn(retrograd, *[retrograd.tensor(a) for a in arrays]))]
    assert len(primals) == len(expected_primals)
    for ours, exp in zip(primals, expected_primals):
        # (torch computes some primals differently under forward AD: svdvals by a full SVD)
        np.testing.assert_allclose(ours, exp, rtol=1e-12, atol=1e-12, err_msg="primal output")

    # (i) finite differences: every output of a table row depends on its inputs
    fd = _finite_differences(row, arrays, tangents)
    if retrograd.__name__ == "torch" and ref is not None and not all(
            r is not None and np.allclose(r, f, rtol=FD_RTOL, atol=FD_ATOL) for r, f in zip(ref[1], fd)):
        pytest.skip("retrograd is the torch shim, and torch's forward formula for this row "
                    "disagrees with finite differences")
    assert len(jvps) == len(fd)
    for i, (ours, exp) in enumerate(zip(jvps, fd)):
        assert ours is not None, f"output {i} has no tangent"
        assert ours.shape == exp.shape
        np.testing.assert_allclose(ours, exp, rtol=FD_RTOL, atol=FD_ATOL,
                                   err_msg=f"JVP of output {i} vs finite differences")

    # (ii) torch's forward AD on the same inputs and tangents
    if ref is None:
        return
    ref_primals, ref_jvps, ref_dtypes = ref
    assert len(ref_jvps) == len(jvps)
    for i, (ours, exp) in enumerate(zip(jvps, ref_jvps)):
        if exp is None or not np.allclose(exp, fd[i], rtol=FD_RTOL, atol=FD_ATOL):
            # torch 2.13 has no tangent at all here (scatter_reduce 'prod'), or one that
            # disagrees with finite differences (logcumsumexp at large inputs underflows):
            # ours was checked against finite differences above
            continue
        assert ours.shape == exp.shape and dtypes[i] == ref_dtypes[i], f"output {i}"
        np.testing.assert_allclose(ours, exp, rtol=TORCH_RTOL, atol=TORCH_ATOL,
                                   err_msg=f"JVP of output {i} vs torch")


MULTI_INPUT_ROWS = [row for row in NUMERIC_ROWS if len(row.shapes) >= 2]


@pytest.mark.parametrize("row", MULTI_INPUT_ROWS, ids=[r.name for r in MULTI_INPUT_ROWS])
def test_op_jvp_with_one_dual_input(row: OpInfo):
    """Each input in turn the only dual one (the others plain tensors): a rule's branches for
    inputs without a tangent, against finite differences along that input alone."""
    arrays = row.inputs()
    tangents = _tangents(row, arrays)
    fwd = retrograd.autograd.forward_ad
    for i in range(len(arrays)):
        only = [t if j == i else np.zeros_like(t) for j, t in enumerate(tangents)]
        try:
            with fwd.dual_level():
                ins = [fwd.make_dual(retrograd.tensor(a), retrograd.tensor(t)) if j == i else
                       retrograd.tensor(a) for j, (a, t) in enumerate(zip(arrays, tangents))]
                outs = _float_outputs(retrograd, row.fn(retrograd, *ins))
                jvps = [fwd.unpack_dual(o).tangent for o in outs]
        except RuntimeError:
            continue   # rows that differentiate with autograd.grad (see test_op_jvp)
        for k, (ours, exp) in enumerate(zip(jvps, _finite_differences(row, arrays, only))):
            got = np.zeros_like(exp) if ours is None else _np(ours)
            np.testing.assert_allclose(got, exp, rtol=FD_RTOL, atol=FD_ATOL,
                                       err_msg=f"input {i} dual alone: JVP of output {k}")


# Rows on a kink on purpose (ties, NaNs, singular matrices: numeric=False) have no finite
# differences; their tangents are compared with torch's alone (the tie-breaking of max/amax/
# median/sort, NaN propagation, the singular det's 0, ...).
KINK_ROWS = [
    pytest.param(row, marks=pytest.mark.xfail(
        strict=True, reason="known difference: x[[1, 1]] = v's tangent is the sum of both "
        "writes' tangents (in-place ops take the double-VJP fallback, and index_put's backward "
        "gives each write the gradient), torch's the last write's")) if
    row.name == "setitem_repeated_index" else row
    for row in OP_DB if not row.numeric]


# Where torch's forward formula fails and retrograd's is right (kept, as the reliability issue
# asks): at::norm over all elements gives a [1, 1] tangent to a 0-d result in torch 2.13; torch
# has no forward formula for embedding_bag (retrograd's is the linear map of its backward).
TORCH_FORWARD_FAILS = {"norm_except_dim_all", "weight_norm_dim_all", "embedding_bag_padding"}


@pytest.mark.parametrize("row", KINK_ROWS,
                         ids=[r.name for r in OP_DB if not r.numeric])
def test_op_jvp_on_a_kink_matches_torch(row: OpInfo):
    arrays = row.inputs()
    tangents = _tangents(row, arrays)
    try:
        ref = _jvp(torch, row, arrays, tangents)
    except (NotImplementedError, RuntimeError) as err:
        if row.name in TORCH_FORWARD_FAILS:
            primals, jvps, _ = _jvp(retrograd, row, arrays, tangents)
            assert all(j is not None and j.shape == p.shape and np.isfinite(j).all()
                       for p, j in zip(primals, jvps))
            return
        with pytest.raises(type(err)):
            _jvp(retrograd, row, arrays, tangents)
        return
    primals, jvps, dtypes = _jvp(retrograd, row, arrays, tangents)
    assert len(jvps) == len(ref[1])
    for i, (ours, exp) in enumerate(zip(jvps, ref[1])):
        if exp is None:   # torch gives this output no tangent (a non-differentiable output)
            continue
        assert ours is not None and ours.shape == exp.shape and dtypes[i] == ref[2][i], \
            f"output {i}"
        np.testing.assert_allclose(ours, exp, rtol=TORCH_RTOL, atol=TORCH_ATOL, equal_nan=True,
                                   err_msg=f"JVP of output {i} vs torch")


@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_jvp_counts_ties_like_torch(reduce: str, include_self: bool):
    """Ties between self and src (and, without self, a self value equal to the result by
    chance, which torch's forward formula leaves out while its backward counts it)."""
    x = np.array([[1.0, 5.0, 3.0], [2.0, 2.0, 4.0]])
    src = np.array([[5.0, 1.0], [2.0, 7.0]])
    tx, ts = x * 0 + np.arange(1.0, 4.0), np.array([[10.0, 20.0], [10.0, 20.0]])
    out = []
    for lib in (torch, retrograd):
        fwd = lib.autograd.forward_ad
        with fwd.dual_level():
            y = fwd.make_dual(lib.tensor(x), lib.tensor(tx)).scatter_reduce(
                1, lib.tensor([[0, 0], [1, 1]]), fwd.make_dual(lib.tensor(src), lib.tensor(ts)),
                reduce, include_self=include_self)
            out.append(_np(fwd.unpack_dual(y).tangent))
    np.testing.assert_allclose(out[1], out[0], rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------- the API

X2 = np.array([1.0, 2.0], dtype=np.float32)
T2 = np.array([1.0, 0.5], dtype=np.float32)


def _duals(T: Any, requires_grad: bool = False):
    x = T.tensor(X2, requires_grad=requires_grad)
    t = T.tensor(T2)
    return x, t


def test_make_dual_and_unpack_dual():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level() as level:
            d = fwd.make_dual(x, t)
            y = (d * d).sin()
            u = fwd.unpack_dual(y)
            p, tg = fwd.unpack_dual(d)
            return (level, type(u).__name__, u._fields, u.primal, u.tangent, u[0], u[1],
                    d.requires_grad, d.is_leaf, d._base is x, tg is t, p._base is x,
                    fwd.unpack_dual(x).tangent, p.requires_grad)
    both(scenario)


def test_unpack_dual_outside_a_level_returns_the_tensor_itself():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        u = fwd.unpack_dual(x)
        return u.primal is x, u.tangent
    both(scenario)


def test_tangents_are_deleted_when_the_level_exits():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level():
            y = fwd.make_dual(x, t).exp()
            inside = fwd.unpack_dual(y).tangent
        outside = fwd.unpack_dual(y)
        with fwd.dual_level():  # a new level starts with no tangents
            again = fwd.unpack_dual(y).tangent
        return inside, outside.tangent, again, outside.primal is y
    both(scenario)


def test_enter_and_exit_dual_level_functions():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        level = fwd.enter_dual_level()
        try:
            y = fwd.unpack_dual(fwd.make_dual(x, t) * 3, level=level)
        finally:
            fwd.exit_dual_level(level=level)
        return level, y.tangent
    both(scenario)


@pytest.mark.parametrize("case", [
    "outside_level", "nested_level", "shape_mismatch", "int_primal", "int_tangent",
    "already_dual", "exit_wrong_level", "exit_without_level", "make_dual_bad_level",
    "unpack_bad_level", "unpack_not_a_tensor",
])
def test_errors(case: str):
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        if case == "outside_level":
            return fwd.make_dual(x, t)
        if case == "exit_without_level":
            return fwd.exit_dual_level()
        with fwd.dual_level():
            if case == "nested_level":
                with fwd.dual_level():
                    pass
            if case == "shape_mismatch":
                fwd.make_dual(x, T.ones(3))
            if case == "int_primal":
                fwd.make_dual(T.tensor([1, 2]), t)
            if case == "int_tangent":
                fwd.make_dual(x, T.tensor([1, 2]))
            if case == "already_dual":
                fwd.make_dual(fwd.make_dual(x, t), t)
            if case == "exit_wrong_level":
                fwd.exit_dual_level(level=3)
            if case == "make_dual_bad_level":
                fwd.make_dual(x, t, level=3)
            if case == "unpack_bad_level":
                plain = fwd.unpack_dual(x, level=3)  # no tangent: no error, a view of x
                assert plain.tangent is None and plain.primal._base is x
                fwd.unpack_dual(fwd.make_dual(x, t), level=3)
            if case == "unpack_not_a_tensor":
                fwd.unpack_dual(1.0)
        return None
    ref = both(scenario)
    assert ref.error is not None
    # the level is closed again after every error: a fresh one can be entered
    for T in (retrograd, torch):
        with T.autograd.forward_ad.dual_level():
            pass


def test_forward_ad_ignores_no_grad():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T, requires_grad=True)
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            with T.no_grad():
                y = (d * d).exp().sum()
                u = fwd.unpack_dual(y)
                return u.primal, u.tangent, y.requires_grad, T.is_grad_enabled()
    both(scenario)


def test_inference_mode_computes_no_tangents():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            with T.inference_mode():
                y = d * 2
                made = fwd.make_dual(x, t)
            return fwd.unpack_dual(y).tangent, fwd.unpack_dual(made).tangent
    both(scenario)


@pytest.mark.parametrize("who", ["primal", "tangent", "other", "none"])
def test_tangents_require_grad_like_torch(who: str):
    """A tangent records a graph when grad mode is on and a primal, a tangent or another input
    requires grad (PyTorch's tangent formulas are ordinary recorded ops)."""
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor(X2, requires_grad=who == "primal")
        t = T.tensor(T2, requires_grad=who == "tangent")
        w = T.tensor([3.0, -1.0], requires_grad=who == "other")
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            y = (d * d * w).tanh()
            p, tg = fwd.unpack_dual(y)
            res = [y.requires_grad, p.requires_grad, tg.requires_grad, tg.detach(),
                   d.requires_grad, d.grad_fn.name() if d.grad_fn is not None else None]
            if tg.requires_grad:  # the tangent is differentiable, and correctly so
                src = {"primal": x, "tangent": t, "other": w}[who]
                res.append(T.autograd.grad(tg.sum(), src)[0])
            return res
    both(scenario)


def test_backward_through_dual_tensors():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T, requires_grad=True)
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            loss = (d.exp() * d).sum()
            loss.backward()
            tangent = fwd.unpack_dual(loss).tangent
            # (a tangent's grad_fn is whatever the JVP formula's last op was: not compared)
            return x.grad, fwd.unpack_dual(x.grad).tangent, tangent.detach(), tangent.requires_grad
    both(scenario)


def test_outputs_without_tangent():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            m = d.max(0)
            outs = [d > 1, d.argmax(), m.indices, d.detach(), T.zeros_like(d), d.data, x * 2]
            return ([fwd.unpack_dual(o).tangent for o in outs]
                    + [fwd.unpack_dual(o).tangent for o in (d.sign(), d * 0, d ** 0, m.values)])
    both(scenario)


def test_an_input_returned_keeps_its_tangent():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            return [fwd.unpack_dual(o).tangent is t for o in (+d, d.contiguous(), d.to(T.float32))]
    both(scenario)


def test_views_share_the_tangent():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor(np.arange(6.0).reshape(2, 3))
        t = T.tensor(np.arange(6.0).reshape(2, 3) / 10)
        with fwd.dual_level():
            d = fwd.make_dual(x, t)
            row = d[1]
            col = d.t()[2]
            flat = d.view(-1)
            tr = fwd.unpack_dual(row).tangent
            before = tr.clone()
            d.mul_(2)  # in place: the tangent is updated in place, views see it
            return (tr._base is t, before, fwd.unpack_dual(row).tangent, fwd.unpack_dual(col).tangent,
                    fwd.unpack_dual(flat).tangent, t, [fwd.unpack_dual(r).tangent for r in d.unbind(1)],
                    [fwd.unpack_dual(r).tangent for r in d])
    both(scenario)


def test_views_taken_before_their_base_got_a_tangent_see_it():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level():
            e = fwd.make_dual(x.clone(), t.clone())
            res = []
            b = T.ones(3, 2)
            rows, cols, flat = b[1:], b.t(), b.view(-1)
            b.mul_(e)              # the base gets a tangent in place: its older views see it
            res += [fwd.unpack_dual(v).tangent for v in (rows, cols, flat)]
            res.append(fwd.unpack_dual(rows * 1).tangent)
            c = T.ones(3, 2)
            whole = c.view(-1)
            c[0].mul_(e)           # written through one view: a sibling view sees it
            res.append(fwd.unpack_dual(whole).tangent)
            return res
    both(scenario)


@pytest.mark.parametrize("call", [
    lambda T, d: T.floor_divide(d, d + 1), lambda T, d: T.remainder(3.0, d),
    lambda T, d: T.heaviside(d, d), lambda T, d: d.unique(), lambda T, d: d.unique_consecutive(),
    lambda T, d: T.unique(d, dim=0),
], ids=["floor_divide", "remainder_scalar_self", "heaviside", "unique", "unique_consecutive",
        "unique_dim"])
def test_ops_without_a_derivative_refuse_forward_ad(call):
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=T.float64)
        with fwd.dual_level():
            return call(T, fwd.make_dual(x, T.ones_like(x)))
    both(scenario)


def test_inplace_ops_update_tangents():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T)
        with fwd.dual_level():
            d = fwd.make_dual(x.clone(), t.clone())
            e = fwd.make_dual(x.clone() + 1, t.clone() * 3)
            res = []
            y = T.zeros(2)
            y[0] = d[1]            # a non-dual tensor written with a dual: it becomes dual
            res.append(fwd.unpack_dual(y))
            z = T.zeros(3)
            zv = z[1:]
            zv.copy_(d)            # written through a view: the base gets a tangent too
            res += [fwd.unpack_dual(z), fwd.unpack_dual(zv)]
            w = T.ones(2)
            w += d
            w *= e
            res.append(fwd.unpack_dual(w))
            d.add_(e).mul_(e)
            res.append(fwd.unpack_dual(d))
            for op in ("zero_", "fill_", "copy_"):
                f = fwd.make_dual(x.clone(), t.clone())
                if op == "zero_":
                    f.zero_()
                elif op == "fill_":
                    f.fill_(3.0)
                else:
                    f.copy_(T.ones(2))
                res.append(fwd.unpack_dual(f))
            g = fwd.make_dual(x.clone(), t.clone())
            g.clamp_(max=1.5)
            res.append(fwd.unpack_dual(g))
            return res
    both(scenario)


def test_printing_a_dual_tensor_shows_its_tangent():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, t = _duals(T, requires_grad=True)
        with fwd.dual_level():
            d = fwd.make_dual(x.detach(), t)
            e = fwd.make_dual(x, t)
            big = fwd.make_dual(T.tensor(np.linspace(0, 1, 12).reshape(3, 4)), T.ones(3, 4, dtype=T.float64))
            return [repr(d), str(d * 2), repr(e), repr(big.exp()), repr(x), f"{d}"]
    both(scenario)


def test_tangent_storage_and_dtype():
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x, _ = _duals(T)
        with fwd.dual_level():
            t64 = T.tensor(T2, dtype=T.float64)
            d = fwd.make_dual(x, t64)  # kept as it is, float64 next to a float32 primal
            tt = T.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3)).t()  # not contiguous
            e = fwd.make_dual(T.zeros(3, 2), tt)
            et = fwd.unpack_dual(e).tangent
            return (fwd.unpack_dual(d).tangent, fwd.unpack_dual(d).tangent is t64,
                    fwd.unpack_dual(x.double() * fwd.make_dual(x, T.tensor(T2))).tangent,
                    et, et is tt, et.stride(), et.is_contiguous())
    both(scenario)


def test_jvp_of_a_composite_function_matches_torch():
    rng = np.random.default_rng(0)
    a, b, ta, tb = (rng.standard_normal((3, 4)) for _ in range(4))

    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        with fwd.dual_level():
            x = fwd.make_dual(T.tensor(a), T.tensor(ta))
            y = fwd.make_dual(T.tensor(b), T.tensor(tb))
            h = T.cat([x, y]).sigmoid() @ y.t()
            out = T.stack([h.sum(0), (x * y).max(1).values, T.where(x > 0, x, y).mean(1)])
            return fwd.unpack_dual(out)
    both(scenario)


def test_functions_bound_before_the_level_compute_tangents():
    """Ops reached through references taken before the level opened (``from torch import exp``,
    a method object, ``F.relu`` bound to a name) compute tangents like the namespace calls."""
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        exp, relu, mul, tanh = T.exp, T.nn.functional.relu, T.Tensor.mul, T.Tensor.tanh
        x = T.tensor([0.5, -1.0, 2.0])
        with fwd.dual_level():
            d = fwd.make_dual(x, T.tensor([1.0, 2.0, 3.0]))
            y = tanh(mul(exp(d), relu(d)))
            return fwd.unpack_dual(y).tangent
    both(scenario)


def test_nothing_is_swapped_when_a_level_opens():
    """Entry points are the same objects inside and outside a level (dispatch, not patching)."""
    if retrograd.__name__ == "torch":
        pytest.skip("retrograd is the torch shim")
    before = (retrograd.Tensor.exp, retrograd.Tensor.__add__, retrograd.exp,
              retrograd.nn.functional.relu)
    with retrograd.autograd.forward_ad.dual_level():
        assert (retrograd.Tensor.exp, retrograd.Tensor.__add__, retrograd.exp,
                retrograd.nn.functional.relu) == before
    with pytest.raises(RuntimeError):
        with retrograd.autograd.forward_ad.dual_level():
            raise RuntimeError("boom")
    x = retrograd.tensor([1.0])
    with retrograd.autograd.forward_ad.dual_level():  # the failed level above was exited
        d = retrograd.autograd.forward_ad.make_dual(x, retrograd.tensor([2.0]))
        assert retrograd.autograd.forward_ad.unpack_dual(d.exp()).tangent is not None


def test_forward_over_reverse_hessian_vector_product():
    """A gradient computed with create_graph=True from dual tensors has a tangent: H v
    (forward-over-reverse), with torch's values and grad_fn names, also through a saved output
    (exp), broadcasting (the add), a composite (outer) and an in-place op."""
    rng = np.random.default_rng(5)
    a, v, w = rng.standard_normal(4), rng.standard_normal(4), rng.standard_normal(3)

    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor(a, requires_grad=True)
        c = T.tensor(w, requires_grad=True)
        with fwd.dual_level():
            d = fwd.make_dual(x, T.tensor(v))
            h = d.exp() * d.sin()
            h.mul_(d)
            y = h.sum() + (d[:2] * d[2:]).sum() + T.outer(d, c).tanh().sum() \
                + (d.reshape(4, 1) + c).pow(3).mean()
            gx, gd = T.autograd.grad(y, (x, d), create_graph=True)
            gc, = T.autograd.grad(y, c, create_graph=True)
            return [gx, fwd.unpack_dual(gx).tangent, fwd.unpack_dual(gd).tangent,
                    fwd.unpack_dual(gc).tangent]
    both(scenario)


def test_reverse_over_forward_hessian_vector_product():
    """Backward through a tangent: d/dx <grad f(x), v> = H v (torch's documented pattern)."""
    rng = np.random.default_rng(3)
    a, v = rng.standard_normal(4), rng.standard_normal(4)

    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor(a, requires_grad=True)
        with fwd.dual_level():
            d = fwd.make_dual(x, T.tensor(v))
            y = (d.sin() * d.exp()).sum() + (d[:2] * d[2:]).sum()
            jvp = fwd.unpack_dual(y).tangent
            hvp, = T.autograd.grad(jvp, x)
            # the same after an in-place op on a non-leaf dual
            z = d * 1
            z.mul_(d)
            jz = fwd.unpack_dual(z.sum()).tangent
            hz, = T.autograd.grad(jz, x)
            return jvp.detach(), hvp, jz.detach(), hz
    both(scenario)


def test_tangent_of_a_long_chain_is_differentiable():
    """Tangents of a 300-op chain whose primal requires grad: right, and differentiable with
    respect to the primal (each op's tangent is computed on local stand-ins connected to the
    primal's graph afterwards, so the chain does not cost n^2 graph walks either)."""
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        x = T.tensor([0.5, 0.2], dtype=T.float64, requires_grad=True)
        w = T.tensor([0.9, 1.1], dtype=T.float64)
        with fwd.dual_level():
            y = fwd.make_dual(x, T.ones(2, dtype=T.float64))
            for _ in range(300):
                y = (y * w + 0.1).tanh()
            tangent = fwd.unpack_dual(y).tangent
            return tangent.detach(), T.autograd.grad(tangent.sum(), x)[0]
    both(scenario)


def test_an_op_on_dual_inputs_warns_once():
    """The re-run that computes a tangent does not repeat the op's warnings: an op warns as
    often inside a level, on dual inputs, as outside. (Not against torch: torch warns about
    ``x.T`` once per process.)"""
    if retrograd.__name__ == "torch":
        pytest.skip("retrograd is the torch shim")
    import warnings
    fwd = retrograd.autograd.forward_ad
    x = retrograd.ones(2, 3, 4)
    counts = []
    for dual in (False, True):
        with warnings.catch_warnings(record=True) as caught, fwd.dual_level():
            warnings.simplefilter("always")
            y = fwd.make_dual(x, retrograd.ones(2, 3, 4)) if dual else x
            tangent = fwd.unpack_dual(y.T).tangent
        counts.append([str(w.message)[:30] for w in caught])
        assert (tangent is not None) == dual
    assert counts[0] == counts[1] and len(counts[0]) == 1


def test_a_random_op_gets_the_tangent_of_its_own_draws():
    """rrelu in training mode draws a random slope per element: the tangent uses the same
    slopes as the primal (the tangent's re-run replays the generator)."""
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        T.manual_seed(0)
        x = -T.arange(1.0, 201.0, dtype=T.float64)
        with fwd.dual_level():
            d = fwd.make_dual(x, T.full((200,), 2.0, dtype=T.float64))
            p, tangent = fwd.unpack_dual(T.nn.functional.rrelu(d, training=True))
            slopes = p / x
            return (bool(((tangent - 2 * slopes).abs() < 1e-12).all()),
                    bool((slopes.max() - slopes.min()) > 0.05))  # really random slopes
    both(scenario)


# ------------------------------------------------------------------------------------------
# Custom autograd.Function under forward AD: its jvp gives the tangents
# ------------------------------------------------------------------------------------------


def _functions(T: Any) -> dict:
    class NoJvp(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    class TwoOut(T.autograd.Function):
        """Its jvp is deliberately not the derivative of forward: the tangent must come from
        jvp, not from the ops forward is made of."""
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x)
            ctx.y = y
            return x * y, x + 1

        @staticmethod
        def backward(ctx, g, h):
            return g * ctx.y + h, None

        @staticmethod
        def jvp(ctx, tx, ty):
            assert ty is None and ctx.saved_tensors == ()
            return tx * ctx.y * 3, tx

    class Exp(T.autograd.Function):
        @staticmethod
        def forward(x):
            return x.exp()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(output)
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            return g * ctx.saved_tensors[0]

        @staticmethod
        def jvp(ctx, tx):
            r, = ctx.saved_tensors
            return tx * r

    class TooFew(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g, h):
            return g

        @staticmethod
        def jvp(ctx, tx):
            return tx

    class Dirty(T.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

        @staticmethod
        def jvp(ctx, tx):
            tx.mul_(2)
            return tx

    return dict(NoJvp=NoJvp, TwoOut=TwoOut, Exp=Exp, TooFew=TooFew, Dirty=Dirty)


@pytest.mark.parametrize("case", ["no_jvp", "two_out", "exp", "exp_requires_grad", "too_few",
                                  "dirty", "no_dual_input"])
def test_custom_function_jvp(case):
    def scenario(T: Any) -> Any:
        fwd = T.autograd.forward_ad
        F = _functions(T)
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=(case == "exp_requires_grad"))
        with fwd.dual_level():
            d = fwd.make_dual(x if case != "dirty" else x.clone(), T.ones(3))
            if case == "no_jvp":
                return F["NoJvp"].apply(d)
            if case == "two_out":
                a, b = F["TwoOut"].apply(d, 2.0)
                return [a, fwd.unpack_dual(a).tangent, b, fwd.unpack_dual(b).tangent]
            if case in ("exp", "exp_requires_grad"):
                e = F["Exp"].apply(d)
                return [e, fwd.unpack_dual(e).tangent, repr(e)]
            if case == "too_few":
                return F["TooFew"].apply(d)
            if case == "dirty":
                r = F["Dirty"].apply(d)
                return [r is d, fwd.unpack_dual(d).tangent]
            r = F["NoJvp"].apply(x)   # no dual input: no jvp needed
            return [r, fwd.unpack_dual(r).tangent]
    both(scenario)
