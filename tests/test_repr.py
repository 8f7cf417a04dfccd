"""retrograd/_tensor_str.py must reproduce torch's tensor repr character for character.

The module is loaded by file path so these tests never depend on the rest of the package
(the Tensor class is developed separately). Every case is compared against real torch.
bfloat16 is not tested at all: NumPy has no bfloat16 dtype, so there is no array to feed.
"""
from __future__ import annotations

import importlib.util
import math
import pathlib
import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from _examples import examples

_PATH = pathlib.Path(__file__).resolve().parents[1] / "retrograd" / "_tensor_str.py"
_spec = importlib.util.spec_from_file_location("_retrograd_tensor_str", _PATH)
ts = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = ts  # dataclasses looks the module up while decorating
_spec.loader.exec_module(ts)

DEFAULTS = dict(precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None)


@pytest.fixture(autouse=True)
def restore_printoptions():
    """Whatever a test changes, both libraries go back to the default options."""
    try:
        yield
    finally:
        torch.set_printoptions(profile="default")
        ts.set_printoptions(profile="default")
        torch.set_default_dtype(torch.float32)


def autograd_suffixes(t: torch.Tensor) -> list[str]:
    """The suffix the Tensor class is expected to pass for ``t``."""
    if t.grad_fn is not None:
        return [f"grad_fn=<{type(t.grad_fn).__name__}>"]
    return ["requires_grad=True"] if t.requires_grad else []


def ours(t: torch.Tensor, **kw) -> str:
    """Our repr of the same data, dtype and autograd state as ``t``."""
    name = str(t.dtype).removeprefix("torch.")
    return ts.format_tensor(t.detach().numpy(), name, suffixes=autograd_suffixes(t), **kw)


def check(t: torch.Tensor, **kw) -> None:
    assert ours(t, **kw) == repr(t)


# ------------------------------------------------------------------ deterministic cases

nan, inf = math.nan, math.inf
rng = np.random.default_rng(0)

CASES = {
    "0d_float": torch.tensor(2.0),
    "0d_frac": torch.tensor(-0.123456),
    "0d_nan": torch.tensor(nan),
    "0d_inf": torch.tensor(-inf),
    "0d_zero": torch.tensor(0.0),
    "0d_negzero": torch.tensor(-0.0),
    "0d_huge": torch.tensor(1e20),
    "0d_int": torch.tensor(7),
    "0d_bool": torch.tensor(True),
    "0d_f64": torch.tensor(3.5, dtype=torch.float64),
    "empty_1d": torch.tensor([]),
    "empty_2d": torch.zeros(0, 3),
    "empty_3d_int": torch.zeros(2, 0, 1, dtype=torch.int64),
    "empty_i32": torch.tensor([], dtype=torch.int32),
    "empty_f64": torch.tensor([], dtype=torch.float64),
    "empty_bool": torch.tensor([], dtype=torch.bool),
    "vec_ints_as_float": torch.tensor([1.0, 2.0, 3.0]),
    "vec_frac": torch.tensor([0.123456, 1.5, -2.25]),
    "vec_neg_zero": torch.tensor([-0.0, 1.0]),
    "vec_nan_inf": torch.tensor([nan, inf, -inf, 1.0]),
    "vec_nan_frac": torch.tensor([nan, 0.5, -inf]),
    "vec_all_zero": torch.zeros(4),
    "vec_only_special": torch.tensor([nan, inf, 0.0]),
    "vec_tiny": torch.tensor([1e-5, 2e-5]),
    "vec_huge": torch.tensor([1e9, 2.0]),
    "vec_ratio": torch.tensor([0.001, 2.0]),
    "vec_ratio_int": torch.tensor([1.0, 10000.0]),
    "vec_int_sci_nan": torch.tensor([1.0, 1e10, nan]),
    "vec_f64_prec": torch.tensor([1 / 3, 2 / 3], dtype=torch.float64),
    "vec_f16": torch.tensor([0.1, 1000.0, -3.0], dtype=torch.float16),
    "vec_f16_big": torch.tensor([65504.0, 1.0], dtype=torch.float16),
    "vec_long_wrap": torch.arange(40, dtype=torch.float32) * 1.37,
    "vec_long_int": torch.arange(100),
    "vec_long_bool": torch.arange(30) % 3 == 0,
    "vec_summarized": torch.arange(2000, dtype=torch.float32),
    "vec_summarized_int": torch.arange(5000) - 2500,
    "mat": torch.tensor([[1.0, -2.5], [3.25, 4.0]]),
    "mat_int32": torch.tensor([[1, -200], [3, 4]], dtype=torch.int32),
    "mat_int16": torch.tensor([[1, -2], [3, 32000]], dtype=torch.int16),
    "mat_int8": torch.tensor([[-128, 127]], dtype=torch.int8),
    "mat_uint8": torch.tensor([[0, 255], [7, 8]], dtype=torch.uint8),
    "mat_bool": torch.tensor([[True, False], [False, True]]),
    "mat_wide": torch.from_numpy(rng.standard_normal((3, 30)).astype(np.float32)),
    "mat_100x100": torch.from_numpy(rng.standard_normal((100, 100)).astype(np.float32)),
    "mat_3x400": torch.from_numpy(rng.standard_normal((3, 400))),
    "mat_400x3": torch.arange(1200).reshape(400, 3),
    "t3d": torch.arange(24, dtype=torch.float32).reshape(2, 3, 4) / 7,
    "t4d": torch.arange(48).reshape(2, 2, 3, 4),
    "t4d_big": torch.from_numpy(rng.standard_normal((8, 8, 4, 5)).astype(np.float32)),
    "t3d_sci": torch.tensor([[[1e-8, 1.0]], [[3.0, 1e12]]]),
    "t3d_f16": torch.arange(12, dtype=torch.float16).reshape(3, 2, 2) / 3,
}


@pytest.mark.parametrize("name", list(CASES))
def test_plain(name):
    check(CASES[name])


@pytest.mark.parametrize(
    "name", [n for n, t in CASES.items() if t.is_floating_point()]
)
def test_requires_grad_and_grad_fn(name):
    leaf = CASES[name].clone().requires_grad_(True)
    check(leaf)  # leaf: "requires_grad=True"
    check(leaf * 2)  # "grad_fn=<MulBackward0>"
    check(leaf.sum())  # 0-d with grad_fn


def test_explicit_suffix_strings():
    """The exact strings the Tensor class should produce for each autograd state."""
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    assert ts.format_tensor(x, "float32", suffixes=["requires_grad=True"]) == (
        "tensor([1., 2., 3.], requires_grad=True)"
    )
    assert ts.format_tensor(x, "float64", suffixes=["grad_fn=<MulBackward0>"]) == (
        "tensor([1., 2., 3.], dtype=torch.float64, grad_fn=<MulBackward0>)"
    )
    assert ts.format_tensor(np.float32(2), "float32", suffixes=["grad_fn=<MulBackward0>"]) == (
        "tensor(2., grad_fn=<MulBackward0>)"
    )
    assert ts.format_tensor(np.zeros((0, 3)), "float32") == "tensor([], size=(0, 3))"
    assert ts.format_tensor(np.zeros(0, np.int32), "int32") == "tensor([], dtype=torch.int32)"
    assert ts.format_tensor(np.array(True), "bool") == "tensor(True)"
    assert ts.format_str is ts.format_tensor


def test_suffix_wraps_past_linewidth():
    t = torch.arange(20, dtype=torch.float64).requires_grad_(True) * 1.5
    check(t)
    check(torch.arange(17, dtype=torch.float64).requires_grad_(True) * 1.0)


class MyTensor(torch.Tensor):
    """A trivial subclass: torch prints its class name instead of ``tensor``."""


def test_custom_prefix_indent():
    # Continuation lines align under the first element after the longer prefix.
    for arr in (np.arange(40, dtype=np.float32) * 1.37, np.arange(24.0).reshape(2, 3, 4)):
        t = torch.from_numpy(arr).as_subclass(MyTensor)
        name = str(t.dtype).removeprefix("torch.")
        assert ts.format_tensor(arr, name, indent_prefix="MyTensor(") == repr(t)


def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    for t in (torch.tensor([1.5, 2.0]), torch.tensor([1.5], dtype=torch.float32),
              torch.tensor([]), torch.tensor([], dtype=torch.float32)):
        check(t, default_dtype="float64")


# ------------------------------------------------------------------------ print options

OPTION_SETS = [
    dict(precision=2),
    dict(precision=8),
    dict(precision=0),
    dict(sci_mode=False),
    dict(sci_mode=True),
    dict(threshold=5),
    dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0),
    dict(edgeitems=5),
    dict(linewidth=40),
    dict(linewidth=10),
    dict(linewidth=200),
    dict(profile="full"),
    dict(profile="short"),
    dict(profile="short", precision=6),
]


@pytest.mark.parametrize("opts", OPTION_SETS, ids=lambda o: repr(o))
def test_printoptions(opts):
    torch.set_printoptions(**opts)
    ts.set_printoptions(**opts)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    for name in ("0d_frac", "vec_frac", "vec_tiny", "vec_huge", "vec_all_zero",
                 "vec_nan_inf", "vec_long_wrap", "vec_long_int", "vec_summarized",
                 "mat_wide", "mat_3x400", "mat_100x100", "t3d", "t4d", "t4d_big",
                 "empty_2d", "mat_bool"):
        t = CASES[name]
        check(t)
        if t.is_floating_point():
            check(t.clone().requires_grad_(True) * 3)


def test_get_printoptions_defaults_and_reset():
    assert ts.get_printoptions() == DEFAULTS
    ts.set_printoptions(precision=2, sci_mode=True)
    ts.set_printoptions(linewidth=100)  # omitting sci_mode resets it, like torch
    assert ts.get_printoptions() == dict(DEFAULTS, precision=2, linewidth=100)
    with ts.printoptions(precision=1):
        assert ts.get_printoptions()["precision"] == 1
    assert ts.get_printoptions()["precision"] == 2


# ------------------------------------------------------------------------ property test

SPECIALS = [0.0, -0.0, nan, inf, -inf, 1e-7, 1e10, 123456.789, -1.0, 0.5]


@st.composite
def tensors(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12))
    if dtype is np.int64:
        bound = draw(st.sampled_from([9, 1000, 2**62]))
        elems = st.integers(-bound, bound)
    else:
        width = 32 if dtype is np.float32 else 64
        scale = draw(st.sampled_from(["int", "small", "any"]))
        if scale == "int":
            elems = st.integers(-1000, 1000).map(float)
        elif scale == "small":
            elems = st.floats(-10, 10, width=width)
        else:
            elems = st.floats(width=width, allow_subnormal=False)
        elems = st.one_of(elems, st.sampled_from(SPECIALS))
    arr = draw(hnp.arrays(dtype, shape, elements=elems))
    grad = dtype is not np.int64 and draw(st.sampled_from([None, "leaf", "fn"]))
    return arr, grad


@settings(max_examples=examples(200), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(tensors())
def test_hypothesis_matches_torch(case):
    arr, grad = case
    t = torch.tensor(arr)
    if grad:
        t.requires_grad_(True)
        if grad == "fn":
            t = t * 1
    check(t)
