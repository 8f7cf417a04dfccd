"""Interop and dtypes against torch 2.13: memory shared with NumPy (from_numpy, numpy(),
np.asarray, ufuncs) and through DLPack in both directions (retrograd <-> torch, retrograd <->
NumPy), float16 arithmetic and accumulation, integer wrap-around and division by zero.

Scenarios run on retrograd and on torch (tests/_both.py). DLPack tests hand memory across the
two libraries and check that a write on one side is seen on the other.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import retrograd
from _both import Outcome, assert_same, both, run


def both_values(fn: Callable[[Any], Any]) -> Outcome:
    """Like both(), ignoring DeprecationWarnings: NumPy 2 warns about torch's old-style
    __array_wrap__ signature, which is a torch artefact, not behaviour."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ours, ref = run(fn, retrograd), run(fn, torch)
    def kept(ws):
        return [w for w in ws if w[0] != "DeprecationWarning"]
    assert ours.error == ref.error, f"exception differs:\n ours: {ours.error}\n torch: {ref.error}"
    assert kept(ours.warnings) == kept(ref.warnings)
    assert_same(ours.value, ref.value)
    return ref


# --------------------------------------------------------------------------------------------
# NumPy
# --------------------------------------------------------------------------------------------
def test_from_numpy_and_numpy_share_memory_both_ways() -> None:
    def scenario(T: Any) -> Any:
        a = np.arange(6.0).reshape(2, 3)
        t = T.from_numpy(a)
        a[0, 0] = 100.0  # NumPy -> tensor
        t[1, 2] = -1.0  # tensor -> NumPy
        n = t.numpy()
        n[0, 1] = 7.0  # numpy() -> tensor
        s = T.from_numpy(a[:, 1:])  # a strided NumPy view stays a view of the same memory
        s.mul_(2)
        return t, a.copy(), n is a or np.shares_memory(n, a), s, s.stride(), t._version

    both(scenario)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int64", "int32", "int16",
                                   "int8", "uint8", "bool"])
def test_from_numpy_dtypes(dtype: str) -> None:
    both(lambda T: (T.from_numpy(np.ones(3, dtype=dtype)), T.from_numpy(np.ones(3, dtype)).dtype))


def test_np_asarray_shares_memory() -> None:
    def scenario(T: Any) -> Any:
        t = T.zeros(2, 3)
        a = np.asarray(t)
        a[0, 0] = 5.0
        c = np.array(t)  # a copy
        c[1, 1] = 9.0
        i = np.asarray(t, dtype=np.int64)
        return t, a.dtype.name, i, np.shares_memory(a, t.numpy())

    both_values(scenario)


NUMPY_REFUSALS = {
    "numpy_requires_grad": lambda T: T.ones(2, requires_grad=True).numpy(),
    "asarray_requires_grad": lambda T: np.asarray(T.ones(2, requires_grad=True)),
    "ufunc_requires_grad": lambda T: np.sin(T.ones(2, requires_grad=True)),
    "from_numpy_list": lambda T: T.from_numpy([1.0, 2.0]),
}


@pytest.mark.parametrize("case", sorted(NUMPY_REFUSALS))
def test_numpy_refusals(case: str) -> None:
    assert both(NUMPY_REFUSALS[case]).error is not None


def test_numpy_force_on_a_tensor_that_requires_grad() -> None:
    def scenario(T: Any) -> Any:
        x = T.tensor([1.0, 2.0], requires_grad=True)
        a = x.numpy(force=True)
        return a, x.requires_grad

    both(scenario)


UFUNCS = {
    "sin": lambda T: np.sin(T.tensor([0.5, 1.0])),
    "exp_double": lambda T: np.exp(T.tensor([0.5, 1.0], dtype=T.float64)),
    "add_scalar": lambda T: np.add(T.ones(2), 1),
    "greater_gives_uint8": lambda T: np.greater(T.tensor([1.0, -1.0]), 0),
    "maximum_with_array": lambda T: np.maximum(T.tensor([1.0, -1.0]), np.zeros(2)),
    "sqrt_0d": lambda T: np.sqrt(T.tensor(4.0)),
    "sin_int": lambda T: np.sin(T.tensor([1, 2])),
    "numpy_float32_scalar_times_tensor": lambda T: np.float32(2.0) * T.ones(2),
    "numpy_int_scalar_times_tensor": lambda T: np.int64(3) * T.ones(2, dtype=T.int32),
    "concatenate": lambda T: np.concatenate([T.ones(2), T.zeros(1)]),
}


@pytest.mark.parametrize("case", sorted(UFUNCS))
def test_numpy_functions_on_tensors(case: str) -> None:
    both_values(UFUNCS[case])


# --------------------------------------------------------------------------------------------
# DLPack
# --------------------------------------------------------------------------------------------
DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _sample(dtype: str) -> np.ndarray:
    return (np.arange(12).reshape(3, 4) % 3).astype(dtype)


def test_dlpack_device_is_torchs() -> None:
    both(lambda T: (repr(T.zeros(2).__dlpack_device__()), T.zeros(2).__dlpack_device__() == (1, 0)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_reads_a_retrograd_tensor_without_a_copy(dtype: str) -> None:
    r = retrograd.tensor(_sample(dtype))
    t = torch.from_dlpack(r)
    assert str(t.dtype) == str(r.dtype) and tuple(t.shape) == tuple(r.shape)
    np.testing.assert_array_equal(t.numpy(), r.numpy())
    assert t.data_ptr() == r.data_ptr()
    one = True if dtype == "bool" else 1
    t[0, 0] = one  # torch writes, retrograd sees it
    assert r[0, 0].item() == one
    r[2, 3] = 0  # and the other way round
    assert t[2, 3].item() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_retrograd_reads_a_torch_tensor_without_a_copy(dtype: str) -> None:
    t = torch.from_numpy(_sample(dtype))
    r = retrograd.from_dlpack(t)
    assert str(r.dtype) == str(t.dtype) and tuple(r.shape) == tuple(t.shape)
    np.testing.assert_array_equal(r.numpy(), t.numpy())
    assert r.data_ptr() == t.data_ptr()
    one = True if dtype == "bool" else 1
    r[0, 0] = one
    assert t[0, 0].item() == one
    t[2, 3] = 0
    assert r[2, 3].item() == 0


@pytest.mark.parametrize("view", ["t", "slice_step", "select", "expand"])
def test_dlpack_keeps_strides_and_offsets(view: str) -> None:
    make = {"t": lambda x: x.t(), "slice_step": lambda x: x[1:, ::2], "select": lambda x: x[:, 2],
            "expand": lambda x: x[:1].expand(3, 4)}[view]
    r = make(retrograd.tensor(_sample("float32")))
    t = torch.from_dlpack(r)
    assert (t.stride(), tuple(t.shape)) == (r.stride(), tuple(r.shape))
    np.testing.assert_array_equal(t.numpy(), r.numpy())
    tt = make(torch.from_numpy(_sample("float32")))
    rr = retrograd.from_dlpack(tt)
    assert (rr.stride(), tuple(rr.shape)) == (tt.stride(), tuple(tt.shape))
    np.testing.assert_array_equal(rr.numpy(), tt.numpy())


def test_torch_in_place_ops_on_shared_memory_are_seen() -> None:
    r = retrograd.zeros(2, 3)
    t = torch.from_dlpack(r)
    t.add_(torch.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(r.numpy(), np.arange(6.0, dtype=np.float32).reshape(2, 3))
    r.mul_(2)
    np.testing.assert_array_equal(t.numpy(), 2 * np.arange(6.0, dtype=np.float32).reshape(2, 3))


def test_from_dlpack_of_a_numpy_array_and_of_a_tensor() -> None:
    def scenario(T: Any) -> Any:
        a = np.arange(6.0).reshape(2, 3)[:, 1:]
        t = T.from_dlpack(a)
        a[0, 0] = 50.0
        u = T.from_dlpack(t)  # a tensor of the same library
        u[1, 1] = -5.0
        n = np.from_dlpack(t)  # and NumPy reading the tensor
        n[0, 1] = 8.0
        return t, u, t.stride(), a.copy(), t.data_ptr() == u.data_ptr()

    both(scenario)


def test_from_dlpack_of_a_capsule() -> None:
    # A capsule made by the other library; each capsule can be consumed once.
    cap = torch.arange(4).__dlpack__(max_version=(1, 0))
    r = retrograd.from_dlpack(cap)
    np.testing.assert_array_equal(r.numpy(), np.arange(4))
    cap2 = retrograd.arange(4).__dlpack__(max_version=(1, 0))
    t = torch.from_dlpack(cap2)
    np.testing.assert_array_equal(t.numpy(), np.arange(4))

    def consumed_twice(T: Any) -> Any:
        c = T.arange(3).__dlpack__(max_version=(1, 0))
        T.from_dlpack(c)
        T.from_dlpack(c)

    assert both(consumed_twice).error is not None


DLPACK_ERRORS = {
    "export_requires_grad": lambda T: T.ones(2, requires_grad=True).__dlpack__(),
    "numpy_import_requires_grad": lambda T: np.from_dlpack(T.ones(2, requires_grad=True)),
    "import_not_a_capsule": lambda T: T.from_dlpack([1, 2]),
    "stream_on_cpu": lambda T: T.ones(2).__dlpack__(stream=3),
    "stream_not_int": lambda T: T.ones(2).__dlpack__(stream="x"),
}


@pytest.mark.parametrize("case", sorted(DLPACK_ERRORS))
def test_dlpack_errors(case: str) -> None:
    assert both(DLPACK_ERRORS[case]).error is not None


def test_torch_refuses_a_retrograd_tensor_that_requires_grad() -> None:
    with pytest.raises(BufferError) as ours:
        torch.from_dlpack(retrograd.ones(2, requires_grad=True))
    with pytest.raises(BufferError) as ref:
        torch.from_dlpack(torch.ones(2, requires_grad=True))
    assert str(ours.value) == str(ref.value)


# --------------------------------------------------------------------------------------------
# dtypes
# --------------------------------------------------------------------------------------------
H = np.random.default_rng(0).standard_normal((64, 50)).astype(np.float16)

FLOAT16 = {
    "add": lambda T, x: x + 0.1,
    "mul": lambda T, x: x * x,
    "div": lambda T, x: x / 3,
    "exp": lambda T, x: x.exp(),
    "exp_overflow": lambda T, x: (x * 6).exp(),
    "tanh": lambda T, x: x.tanh(),
    "pow": lambda T, x: x.abs() ** 2.5,
    "sum": lambda T, x: x.sum(),
    "sum_dim": lambda T, x: x.sum(1),
    "mean": lambda T, x: x.mean(1),
    "large_sum": lambda T, x: T.full((100000,), 0.1, dtype=T.float16).sum(),
    "promote_with_0d_float32": lambda T, x: x + T.tensor(2.0),
    "promote_with_float32": lambda T, x: x + T.ones(50),
}


@pytest.mark.parametrize("case", sorted(FLOAT16))
def test_float16_like_torch(case: str) -> None:
    # torch computes float16 elementwise ops in float32 and rounds each result, and accumulates
    # float16 sums in float32: the results agree to the last bit here.
    both(lambda T: FLOAT16[case](T, T.from_numpy(H.copy())))


def test_float16_matmul_within_one_rounding() -> None:
    b = np.random.default_rng(1).standard_normal((50, 7)).astype(np.float16)
    ours = (retrograd.from_numpy(H) @ retrograd.from_numpy(b)).numpy()
    ref = (torch.from_numpy(H) @ torch.from_numpy(b)).numpy()
    assert ours.dtype == ref.dtype == np.float16
    # both accumulate in float32 (summation order may differ): within one float16 rounding
    np.testing.assert_allclose(ours.astype(np.float64), ref.astype(np.float64), rtol=1e-3, atol=1e-3)


def test_float16_gradients() -> None:
    # Same dtypes and graph; values within float16 rounding: torch evaluates each backward
    # formula in one float32 kernel, retrograd's formulas are several float16 NumPy ops.
    def scenario(T: Any) -> Any:
        x = T.tensor(H[:4, :5], requires_grad=True)
        y = (x.tanh() * x + x.exp() / 3).sum()
        y.backward()
        return y, x.grad

    (ours_y, ours_g), (ref_y, ref_g) = scenario(retrograd), scenario(torch)
    assert str(ours_g.dtype) == str(ref_g.dtype) == "torch.float16"
    np.testing.assert_allclose(ours_y.item(), ref_y.item(), rtol=1e-3)
    np.testing.assert_allclose(ours_g.numpy().astype(np.float64), ref_g.numpy().astype(np.float64),
                               rtol=1e-2, atol=1e-3)


INTEGER = {
    "int8_add_wraps": lambda T: T.tensor([100, -100], dtype=T.int8) + T.tensor([100, -100], dtype=T.int8),
    "int8_add_scalar_wraps": lambda T: T.tensor([100], dtype=T.int8) + 100,
    "int16_mul_wraps": lambda T: T.tensor([300, -300], dtype=T.int16) * T.tensor([300, 300], dtype=T.int16),
    "int64_mul_wraps": lambda T: T.tensor([2 ** 62]) * 4,
    "int32_sum_is_int64": lambda T: T.tensor([2 ** 30] * 3, dtype=T.int32).sum(),
    "int8_sum_is_int64": lambda T: T.tensor([100, 100], dtype=T.int8).sum(),
    "uint8_sum_is_int64": lambda T: T.tensor([200, 200], dtype=T.uint8).sum(),
    "uint8_sub_wraps": lambda T: T.tensor([1, 2], dtype=T.uint8) - 3,
    "uint8_sub_tensor_wraps": lambda T: T.tensor([1, 2], dtype=T.uint8) - T.tensor([3, 3], dtype=T.uint8),
    "uint8_mul_wraps": lambda T: T.tensor([16, 200], dtype=T.uint8) * T.tensor([16, 2], dtype=T.uint8),
    "uint8_neg_wraps": lambda T: -T.tensor([1, 200], dtype=T.uint8),
    "uint8_plus_int8_is_int16": lambda T: T.tensor([1, 200], dtype=T.uint8) + T.tensor([1, -2], dtype=T.int8),
    "uint8_true_div": lambda T: T.tensor([1, 200], dtype=T.uint8) / 3,
    "uint8_floor_div": lambda T: T.tensor([7, 200], dtype=T.uint8) // 3,
    "int8_min_floor_div_minus_one": lambda T: T.tensor([-128], dtype=T.int8) // -1,
    "int_true_div_by_zero": lambda T: T.tensor([1, 0, -1]) / 0,
    "float_floor_div_by_zero": lambda T: T.tensor([1.0, -1.0]) // 0,
}


@pytest.mark.parametrize("case", sorted(INTEGER))
def test_integer_arithmetic(case: str) -> None:
    both(INTEGER[case])


DIV_BY_ZERO = {
    "floordiv_scalar": lambda T: T.tensor([1, 2]) // 0,
    "remainder_scalar": lambda T: T.tensor([1, 2]) % 0,
    "floordiv_tensor": lambda T: T.tensor([1, 2]) // T.tensor([1, 0]),
    "remainder_tensor": lambda T: T.tensor([1, 2]) % T.tensor([1, 0]),
    "uint8_floordiv": lambda T: T.tensor([1], dtype=T.uint8) // 0,
    "int32_remainder": lambda T: T.tensor([5], dtype=T.int32) % T.tensor([0], dtype=T.int32),
    "div_floor_mode": lambda T: T.tensor([1, 2]).div(0, rounding_mode="floor"),
    "div_trunc_mode": lambda T: T.tensor([1, 2]).div(T.tensor([0, 1]), rounding_mode="trunc"),
}


@pytest.mark.parametrize("case", sorted(DIV_BY_ZERO))
def test_integer_division_by_zero(case: str) -> None:
    assert both(DIV_BY_ZERO[case]).error == ("RuntimeError", "ZeroDivisionError")


def test_bfloat16_is_absent_rather_than_fake() -> None:
    # torch has bfloat16; NumPy has no bfloat16 type and retrograd's only runtime dependency is
    # NumPy, so retrograd leaves it out instead of emulating it with another dtype.
    if retrograd.__name__ == "torch":
        pytest.skip("retrograd is the torch shim: this checks a deliberate difference")
    assert hasattr(torch, "bfloat16")
    with pytest.raises(AttributeError):
        retrograd.bfloat16  # noqa: B018
