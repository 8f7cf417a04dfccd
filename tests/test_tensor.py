"""The Tensor API surface: factories, dtypes, type promotion, attributes, conversions, repr.

Every check runs the same scenario ``fn(T)`` once with ``T = retrograd`` and once with
``T = torch`` and compares the two outcomes at test time; no torch answer is copied by hand.
Outcomes are reduced to plain Python data by ``describe`` (dtype names, shapes, ``tolist()``
values, Python scalar types), so a retrograd object and a torch object compare equal exactly
when they would print and behave the same.

Random factories are the exception: their values differ from torch's by design, so only
shapes, dtypes, ranges and reproducibility within each library are checked.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import retrograd
from _examples import examples

LIBS = pytest.mark.parametrize("T", [retrograd, torch], ids=["retrograd", "torch"])


# ------------------------------------------------------------------ comparison helpers


def _plain(v):
    """Nested lists/scalars with NaN replaced by a token, so NaN == NaN in comparisons."""
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return v


def _is_tensor(v) -> bool:
    return isinstance(v, (retrograd.Tensor, torch.Tensor))


def describe(v):
    """A library-neutral, comparable form of a result (tensor, dtype, Size, scalar, ...)."""
    if _is_tensor(v):
        grad_fn = None if v.grad_fn is None else type(v.grad_fn).__name__
        return ("Tensor", str(v.dtype), tuple(v.shape), _plain(v.tolist()), v.requires_grad,
                grad_fn)
    if isinstance(v, (retrograd.dtype, torch.dtype)):
        return ("dtype", str(v))
    if isinstance(v, (retrograd.Size, torch.Size)):
        # type name too: a Size must stay a Size (slicing, repr), not decay to a tuple
        return ("Size", type(v).__name__, tuple(v))
    if isinstance(v, (retrograd.device, torch.device)):
        return ("device", str(v), v.type)
    if isinstance(v, np.ndarray):
        return ("ndarray", str(v.dtype), v.shape, _plain(v.tolist()))
    if isinstance(v, (list, tuple)):
        return (type(v).__name__, [describe(x) for x in v])
    if isinstance(v, dict):
        return ("dict", {k: describe(x) for k, x in v.items()})
    if isinstance(v, float) and math.isnan(v):
        return ("float", "nan")
    if v is None or isinstance(v, (bool, int, float, str)):
        # the Python type matters: item() must give int for int tensors, bool for bool ones
        return (type(v).__name__, v)
    raise TypeError(f"describe() does not know {type(v)!r}")


def outcome(fn, T, *, message: bool = False):
    """describe(fn(T)), or the exception type (and message) if fn raises."""
    try:
        result = fn(T)
    except Exception as e:  # noqa: BLE001 - the exception *is* the outcome being compared
        return ("raises", type(e).__name__, str(e) if message else None)
    return describe(result)


def same(fn):
    """fn(retrograd) must give what fn(torch) gives; torch must not raise (a real scenario)."""
    want = outcome(fn, torch)
    assert want[0] != "raises", f"scenario raises on torch: {want}"
    got = outcome(fn, retrograd)
    assert got == want


def same_error(fn, *, message: bool = True):
    """fn must raise in torch, and raise the same exception type (and message) in retrograd."""
    want = outcome(fn, torch, message=message)
    assert want[0] == "raises", f"scenario does not raise on torch: {want}"
    got = outcome(fn, retrograd, message=message)
    assert got == want


def same_outcome(fn):
    """Either both give the same result or both raise the same exception type."""
    assert outcome(fn, retrograd) == outcome(fn, torch)


@pytest.fixture(autouse=True)
def restore_printoptions():
    """set_printoptions is global state in both libraries; every test leaves the defaults."""
    try:
        yield
    finally:
        for T in (retrograd, torch):
            # getattr: a missing set_printoptions fails its own tests, not every teardown
            reset = getattr(T, "set_printoptions", None)
            if reset is not None:
                reset(profile="default")


# ------------------------------------------------------------------ tensor() factory

TENSOR_FROM = {
    "py_float": lambda T: T.tensor(2.5),
    "py_int": lambda T: T.tensor(3),            # int64
    "py_bool": lambda T: T.tensor(True),
    "py_negative_int": lambda T: T.tensor(-7),
    "list_float": lambda T: T.tensor([1.0, 2.0, 3.5]),   # float32, the default dtype
    "list_int": lambda T: T.tensor([1, 2, 3]),           # int64
    "list_bool": lambda T: T.tensor([True, False]),
    "list_mixed_int_float": lambda T: T.tensor([1, 2.5]),  # float32
    "list_mixed_bool_int": lambda T: T.tensor([True, 1]),  # int64
    "list_mixed_bool_float": lambda T: T.tensor([True, 1.5]),
    "nested": lambda T: T.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "nested_3d_int": lambda T: T.tensor([[[1], [2]], [[3], [4]]]),
    "empty_list": lambda T: T.tensor([]),                # float32, shape (0,)
    "empty_nested": lambda T: T.tensor([[]]),            # shape (1, 0)
    "dtype_kwarg_f64": lambda T: T.tensor([1, 2], dtype=T.float64),
    "dtype_kwarg_int32": lambda T: T.tensor([1.7, -1.7], dtype=T.int32),  # truncates
    "dtype_kwarg_bool": lambda T: T.tensor([0.0, 2.0], dtype=T.bool),
    "dtype_kwarg_f16": lambda T: T.tensor([0.1, 1.5], dtype=T.float16),
    "requires_grad": lambda T: T.tensor([1.0, 2.0], requires_grad=True),
    "np_float64": lambda T: T.tensor(np.array([1.5, 2.5])),  # keeps float64
    "np_float32": lambda T: T.tensor(np.array([1.5, 2.5], dtype=np.float32)),
    "np_int32": lambda T: T.tensor(np.array([1, 2], dtype=np.int32)),
    "np_int64": lambda T: T.tensor(np.arange(3)),
    "np_uint8": lambda T: T.tensor(np.array([0, 255], dtype=np.uint8)),
    "np_bool": lambda T: T.tensor(np.array([True, False])),
    "np_2d": lambda T: T.tensor(np.arange(6.0).reshape(2, 3)),
    "np_scalar_float64": lambda T: T.tensor(np.float64(1.5)),
    "np_scalar_int32": lambda T: T.tensor(np.int32(3)),
    "np_with_dtype": lambda T: T.tensor(np.array([1.5, 2.5]), dtype=T.float32),
}


@pytest.mark.parametrize("name", TENSOR_FROM)
def test_tensor_factory(name):
    same(TENSOR_FROM[name])


def test_tensor_of_ints_cannot_require_grad():
    same_error(lambda T: T.tensor([1, 2], requires_grad=True))


def test_tensor_ragged_list_raises():
    same_error(lambda T: T.tensor([[1, 2], [3]]))


def test_tensor_copies_numpy_input():
    # tensor() always copies; only from_numpy shares memory
    def fn(T):
        a = np.zeros(3)
        t = T.tensor(a)
        a[0] = 5.0
        return t

    same(fn)


# ------------------------------------------------------------------ legacy constructors

LEGACY = {
    "FloatTensor_ints": lambda T: T.FloatTensor([1, 2]),
    "FloatTensor_floats": lambda T: T.FloatTensor([[1.5, 2.5]]),
    "LongTensor_ints": lambda T: T.LongTensor([1, 2, 3]),
    "LongTensor_floats_truncate": lambda T: T.LongTensor([1.7, 2.0]),
}


@pytest.mark.parametrize("name", LEGACY)
def test_legacy_constructor(name):
    same(LEGACY[name])


# ------------------------------------------------------------------ zeros/ones/full/empty/eye

FILLED = {
    "zeros_varargs": lambda T: T.zeros(2, 3),
    "zeros_tuple": lambda T: T.zeros((2, 3)),
    "zeros_list": lambda T: T.zeros([2, 3]),
    "zeros_0d": lambda T: T.zeros(()),
    "zeros_empty": lambda T: T.zeros(0, 3),
    "zeros_dtype": lambda T: T.zeros(2, dtype=T.int64),
    "zeros_bool": lambda T: T.zeros(2, dtype=T.bool),
    "zeros_requires_grad": lambda T: T.zeros(2, requires_grad=True),
    "ones_varargs": lambda T: T.ones(3, 2),
    "ones_tuple": lambda T: T.ones((3,)),
    "ones_dtype": lambda T: T.ones(2, 2, dtype=T.float64),
    "ones_int8": lambda T: T.ones(2, dtype=T.int8),
    "ones_requires_grad": lambda T: T.ones(2, requires_grad=True),
    "full_int_fill": lambda T: T.full((2, 3), 7),           # int64
    "full_float_fill": lambda T: T.full((2,), 1.5),         # float32
    "full_bool_fill": lambda T: T.full((2,), True),         # bool
    "full_dtype": lambda T: T.full((2, 2), 7, dtype=T.float64),
    "full_float_to_int_dtype": lambda T: T.full((2,), 2.7, dtype=T.int32),
    "full_requires_grad": lambda T: T.full((2,), 3.0, requires_grad=True),
    "eye_n": lambda T: T.eye(3),
    "eye_n_m": lambda T: T.eye(2, 3),
    "eye_m_lt_n": lambda T: T.eye(3, 2),
    "eye_dtype": lambda T: T.eye(2, dtype=T.int64),
}


@pytest.mark.parametrize("name", FILLED)
def test_filled_factory(name):
    same(FILLED[name])


EMPTY = {
    "varargs": lambda T: T.empty(2, 3),
    "tuple": lambda T: T.empty((4,)),
    "dtype": lambda T: T.empty(2, 3, dtype=T.int32),
    "0d": lambda T: T.empty(()),
    "requires_grad": lambda T: T.empty(2, requires_grad=True),
}


@pytest.mark.parametrize("name", EMPTY)
def test_empty_shape_and_dtype(name):
    # empty's contents are uninitialised: compare everything but the values
    def fn(T):
        t = EMPTY[name](T)
        return (t.shape, t.dtype, t.requires_grad)

    same(fn)


# ------------------------------------------------------------------ arange / linspace

RANGES = {
    "end_only": lambda T: T.arange(5),                   # int64
    "start_end": lambda T: T.arange(2, 6),
    "start_end_step": lambda T: T.arange(1, 10, 3),
    "negative_step": lambda T: T.arange(5, 0, -2),
    "empty_range": lambda T: T.arange(3, 3),
    "float_end": lambda T: T.arange(1.5),                # float32
    "float_step": lambda T: T.arange(0.0, 1.0, 0.25),
    "int_with_float_step": lambda T: T.arange(0, 1, 0.1),  # float32, 10 elements
    "inexact_step": lambda T: T.arange(-1, 2, 0.3),
    "dtype_kwarg": lambda T: T.arange(4, dtype=T.float64),
    "keyword_args": lambda T: T.arange(start=1, end=4, step=1),
    "requires_grad": lambda T: T.arange(3.0, requires_grad=True),
    "linspace_exact": lambda T: T.linspace(0, 1, 5),
    # torch computes step in float32 and fills the second half backwards from `end`
    # (end - step * (steps - 1 - i)), evaluated without intermediate float32 rounding;
    # the middle element of this one is -2.98e-08, not 0
    "linspace_symmetric": lambda T: T.linspace(-1, 1, 7),
    "linspace_descending": lambda T: T.linspace(3, -3, 10),
    "linspace_one_step": lambda T: T.linspace(2, 5, 1),
    "linspace_zero_steps": lambda T: T.linspace(0, 1, 0),
    "linspace_steps_kwarg": lambda T: T.linspace(0, 1, steps=3),
    "linspace_dtype": lambda T: T.linspace(0, 1, 3, dtype=T.float64),
    "linspace_int_dtype": lambda T: T.linspace(0, 10, 5, dtype=T.int64),
}


@pytest.mark.parametrize("name", RANGES)
def test_range_factory(name):
    same(RANGES[name])


# ------------------------------------------------------------------ random factories

RANDOM = {
    "rand_varargs": lambda T: T.rand(2, 3),
    "rand_tuple": lambda T: T.rand((4,)),
    "rand_dtype": lambda T: T.rand(3, dtype=T.float64),
    "rand_requires_grad": lambda T: T.rand(2, requires_grad=True),
    "randn_varargs": lambda T: T.randn(2, 3),
    "randn_tuple": lambda T: T.randn((2, 2)),
    "randn_dtype": lambda T: T.randn(3, dtype=T.float64),
    "randint_low_high": lambda T: T.randint(3, 7, (5,)),
    "randint_high_only": lambda T: T.randint(5, (2, 3)),
    "randint_dtype": lambda T: T.randint(0, 5, (2,), dtype=T.int32),
}


@pytest.mark.parametrize("name", RANDOM)
def test_random_factory_shape_dtype(name):
    def fn(T):
        t = RANDOM[name](T)
        return (t.shape, t.dtype, t.requires_grad, t.is_leaf)

    same(fn)


@LIBS
def test_rand_is_in_unit_interval(T):
    a = T.rand(10_000).numpy()
    assert 0.0 <= a.min() and a.max() < 1.0


@LIBS
def test_randn_is_standard_normal(T):
    a = T.randn(20_000).numpy()
    assert abs(a.mean()) < 0.05 and abs(a.std() - 1.0) < 0.05


@LIBS
def test_randint_range_is_half_open(T):
    vals = set(T.randint(3, 7, (2_000,)).tolist())
    assert vals == {3, 4, 5, 6}


@LIBS
def test_manual_seed_reproduces(T):
    T.manual_seed(0)
    a = (T.rand(5).tolist(), T.randn(5).tolist(), T.randint(0, 100, (5,)).tolist())
    T.manual_seed(0)
    b = (T.rand(5).tolist(), T.randn(5).tolist(), T.randint(0, 100, (5,)).tolist())
    assert a == b


@LIBS
def test_generator_reproduces(T):
    # Generator.manual_seed returns the generator itself, so it chains
    def draw(seed):
        g = T.Generator().manual_seed(seed)
        return (T.rand(4, generator=g).tolist(), T.randn(4, generator=g).tolist(),
                T.randint(0, 100, (4,), generator=g).tolist())

    assert draw(1) == draw(1)
    assert draw(1) != draw(2)


@LIBS
def test_generator_is_independent_of_global_seed(T):
    g = T.Generator().manual_seed(1)
    T.manual_seed(123)
    a = T.rand(3, generator=g).tolist()
    g = T.Generator().manual_seed(1)
    T.manual_seed(456)
    b = T.rand(3, generator=g).tolist()
    assert a == b


# ------------------------------------------------------------------ *_like factories


def _base(T, dtype_name="float64"):
    return T.tensor([[1.5, -2.0, 3.0], [0.0, 1.0, 2.0]], dtype=getattr(T, dtype_name))


LIKE = {
    "zeros_like_f64": lambda T: T.zeros_like(_base(T)),
    "zeros_like_int": lambda T: T.zeros_like(_base(T, "int64")),
    "zeros_like_override": lambda T: T.zeros_like(_base(T), dtype=T.int32),
    "ones_like_f64": lambda T: T.ones_like(_base(T)),
    "ones_like_bool": lambda T: T.ones_like(_base(T, "bool")),
    "ones_like_override": lambda T: T.ones_like(_base(T, "int64"), dtype=T.float32),
    "full_like_float": lambda T: T.full_like(_base(T, "float32"), 7),
    "full_like_int_truncates": lambda T: T.full_like(_base(T, "int64"), 2.7),
    "full_like_override": lambda T: T.full_like(_base(T), 2, dtype=T.int16),
    # _like results never inherit requires_grad; it must be asked for
    "ones_like_of_requires_grad": lambda T: T.ones_like(T.ones(2, requires_grad=True)),
    "zeros_like_requires_grad_kwarg": lambda T: T.zeros_like(_base(T), requires_grad=True),
}


@pytest.mark.parametrize("name", LIKE)
def test_like_factory(name):
    same(LIKE[name])


RANDOM_LIKE = {
    "empty_like": lambda T: T.empty_like(_base(T, "int32")),
    "empty_like_override": lambda T: T.empty_like(_base(T), dtype=T.float16),
    "rand_like": lambda T: T.rand_like(_base(T)),
    "rand_like_override": lambda T: T.rand_like(_base(T), dtype=T.float32),
    "randn_like": lambda T: T.randn_like(_base(T)),
    "randint_like_high": lambda T: T.randint_like(_base(T, "float32"), 10),  # stays float32
    "randint_like_low_high": lambda T: T.randint_like(_base(T, "int32"), 3, 10),
}


@pytest.mark.parametrize("name", RANDOM_LIKE)
def test_random_like_shape_dtype(name):
    def fn(T):
        t = RANDOM_LIKE[name](T)
        return (t.shape, t.dtype, t.requires_grad)

    same(fn)


@LIBS
def test_randint_like_values_in_range(T):
    vals = T.randint_like(T.zeros(1000), 3, 6).tolist()
    assert set(vals) == {3.0, 4.0, 5.0}


# ------------------------------------------------------------------ from_numpy / numpy()

NUMPY = {
    "from_numpy_f64": lambda T: T.from_numpy(np.array([1.5, 2.5])),
    "from_numpy_f32": lambda T: T.from_numpy(np.ones((2, 2), dtype=np.float32)),
    "from_numpy_int32": lambda T: T.from_numpy(np.arange(3, dtype=np.int32)),
    "from_numpy_int64": lambda T: T.from_numpy(np.arange(3)),
    "from_numpy_bool": lambda T: T.from_numpy(np.array([True, False])),
    "numpy_f32": lambda T: T.tensor([1.5, 2.5]).numpy(),
    "numpy_int": lambda T: T.tensor([[1, 2]]).numpy(),
    "numpy_bool": lambda T: T.tensor([True]).numpy(),
    "numpy_0d": lambda T: T.tensor(3.5).numpy(),
    "numpy_of_detached": lambda T: T.ones(2, requires_grad=True).detach().numpy(),
}


@pytest.mark.parametrize("name", NUMPY)
def test_numpy_conversion(name):
    same(NUMPY[name])


def test_from_numpy_shares_memory_both_ways():
    def fn(T):
        a = np.zeros(3)
        t = T.from_numpy(a)
        a[0] = 5.0                 # array -> tensor
        t.numpy()[1] = 7.0         # tensor -> array
        return (t, a)

    same(fn)


def test_numpy_shares_memory():
    def fn(T):
        t = T.zeros(3)
        t.numpy()[0] = 1.0
        return t

    same(fn)


def test_numpy_of_requires_grad_raises():
    same_error(lambda T: T.ones(2, requires_grad=True).numpy())


# ------------------------------------------------------------------ dtypes

DTYPE_NAMES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8",
               "bool"]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
           "int": "int32", "short": "int16"}


@pytest.mark.parametrize("name", DTYPE_NAMES + list(ALIASES))
def test_dtype_attributes(name):
    # retrograd's dtypes print as torch.* on purpose
    same(lambda T: (str(getattr(T, name)), repr(getattr(T, name)),
                    getattr(T, name).is_floating_point, getattr(T, name).itemsize))


@pytest.mark.parametrize("alias", ALIASES)
def test_dtype_alias_is_same_object(alias):
    assert getattr(retrograd, alias) is getattr(retrograd, ALIASES[alias])
    assert getattr(retrograd, alias) == getattr(retrograd, ALIASES[alias])


def test_dtypes_are_distinct():
    same(lambda T: [T.float32 == T.float64, T.int64 == T.int32, T.bool == T.uint8,
                    T.float32 != T.float64])


def test_default_dtype():
    same(lambda T: T.get_default_dtype())


def test_tensor_dtype_compares_to_dtype_object():
    same(lambda T: (T.tensor([1.0]).dtype == T.float32, T.tensor([1.0]).dtype is T.float32,
                    T.tensor([1]).dtype == T.float32, T.tensor([1]).dtype == T.long))


def test_dtype_is_hashable():
    same(lambda T: {T.float32: "f", T.int64: "i"}[T.tensor([1]).dtype])


# ------------------------------------------------------------------ type promotion (fixed)

PROMOTION = {
    "int_times_float_scalar": lambda T: T.tensor([1, 2, 3]) * 0.5,           # float32
    "int_plus_int_scalar": lambda T: T.tensor([1, 2]) + 1,                   # int64
    "int32_plus_int_scalar": lambda T: T.tensor([1, 2], dtype=T.int32) + 1,  # stays int32
    "f32_plus_f64": lambda T: T.tensor([1.0, 2.0]) + T.tensor([0.5, 0.25], dtype=T.float64),
    # a 0-d tensor of the same category does not promote a dimensioned one
    "f32_plus_0d_f64": lambda T: T.tensor([1.0, 2.0]) + T.tensor(0.5, dtype=T.float64),
    # ... but a 0-d tensor of a higher category does, with its own dtype
    "int_plus_0d_f64": lambda T: T.tensor([1, 2]) + T.tensor(0.5, dtype=T.float64),
    "int_plus_0d_f16": lambda T: T.tensor([1, 2]) + T.tensor(1.5, dtype=T.float16),
    "int32_plus_0d_int64": lambda T: T.tensor([1, 2], dtype=T.int32) + T.tensor(1),
    "uint8_plus_int8": lambda T: (T.tensor([1, 2], dtype=T.uint8)
                                  + T.tensor([1, 1], dtype=T.int8)),         # int16
    "0d_uint8_plus_0d_int8": lambda T: (T.tensor(2, dtype=T.uint8)
                                        + T.tensor(1, dtype=T.int8)),
    "bool_plus_bool": lambda T: T.tensor([True, False]) + T.tensor([True, False]),  # bool!
    "bool_times_bool": lambda T: T.tensor([True, False]) * T.tensor([True, True]),
    "bool_plus_int_scalar": lambda T: T.tensor([True, False]) + 1,          # int64
    "bool_plus_float_scalar": lambda T: T.tensor([True, False]) + 1.5,      # float32
    "bool_plus_0d_float": lambda T: T.tensor([True]) + T.tensor(1.5),
    "f16_plus_f32": lambda T: T.tensor([1.0, 2.0], dtype=T.float16) + T.tensor([1.0, 2.0]),
    "f16_plus_0d_f64": lambda T: (T.tensor([1.0, 2.0], dtype=T.float16)
                                  + T.tensor(1.5, dtype=T.float64)),       # stays float16
    "f16_times_py_float": lambda T: T.tensor([1.0, 2.0], dtype=T.float16) * 2.5,
    "0d_int32_times_py_float": lambda T: T.tensor(2, dtype=T.int32) * 2.5,
    "int_div_int": lambda T: T.tensor([1, 2, 3]) / T.tensor([2, 2, 2]),     # float32
    "int_div_int_scalar": lambda T: T.tensor([1, 2, 3]) / 2,
    "py_int_div_int": lambda T: 2 / T.tensor([4, 8]),
    "int64_div_int64_0d": lambda T: T.tensor(7) / T.tensor(2),
    "int_div_zero": lambda T: T.tensor([1, 0, -1]) / 0,                     # inf, nan, -inf
    "f64_div_int": lambda T: T.tensor([1.0], dtype=T.float64) / T.tensor([3]),
    "int_lt_float": lambda T: T.tensor([1, 2, 3]) < 2.5,
    "float_eq_int": lambda T: T.tensor([1.0, 2.0]) == T.tensor([1, 3]),
    "0d_ge_scalar": lambda T: T.tensor(3) >= 3,
    "ne": lambda T: T.tensor([1, 2]) != T.tensor([1, 3]),
    "uint8_wraps": lambda T: T.tensor([1], dtype=T.uint8) - 2,
}


@pytest.mark.parametrize("name", PROMOTION)
def test_promotion(name):
    same(PROMOTION[name])


# ------------------------------------------------------------------ type promotion (hypothesis)

_ALL_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
               "float64"]


def _values_for(dtype_name, n):
    """Small positive, non-zero values: no overflow, no division by zero in any dtype."""
    if dtype_name == "bool":
        return st.lists(st.just(True), min_size=n, max_size=n)
    if dtype_name.startswith("float"):
        return st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.25, 3.0]), min_size=n, max_size=n)
    return st.lists(st.integers(1, 4), min_size=n, max_size=n)


@st.composite
def _operand(draw):
    kind = draw(st.sampled_from(["tensor", "0d", "scalar"]))
    if kind == "scalar":
        return ("scalar", draw(st.sampled_from([True, 2, 3, 1.5, 0.5])))
    name = draw(st.sampled_from(_ALL_DTYPES))
    if kind == "0d":
        return ("0d", name, draw(_values_for(name, 1))[0])
    return ("tensor", name, draw(_values_for(name, 3)))


def _build(T, operand):
    if operand[0] == "scalar":
        return operand[1]
    _, name, values = operand
    return T.tensor(values, dtype=getattr(T, name))


_OPS = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "/": lambda a, b: a / b}


@settings(max_examples=examples(300), deadline=None)
@given(a=_operand(), b=_operand(), op=st.sampled_from(sorted(_OPS)))
def test_promotion_property(a, b, op):
    if a[0] == "scalar" and b[0] == "scalar":
        return  # plain Python arithmetic, no tensor involved
    # same_outcome: a combination that raises in torch must raise the same type here
    same_outcome(lambda T: _OPS[op](_build(T, a), _build(T, b)))


@settings(max_examples=examples(100), deadline=None)
@given(a=_operand(), b=_operand(), op=st.sampled_from(["<", "==", ">="]))
def test_comparison_gives_bool_property(a, b, op):
    if a[0] == "scalar" and b[0] == "scalar":
        return
    fns = {"<": lambda x, y: x < y, "==": lambda x, y: x == y, ">=": lambda x, y: x >= y}
    same_outcome(lambda T: fns[op](_build(T, a), _build(T, b)))


# ------------------------------------------------------------------ autograd attributes


def test_leaf_attributes():
    def fn(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        return (x.requires_grad, x.is_leaf, x.grad, x.grad_fn)

    same(fn)


def test_plain_tensor_attributes():
    same(lambda T: (lambda x: (x.requires_grad, x.is_leaf, x.grad, x.grad_fn))(T.ones(2)))


def test_result_attributes():
    def fn(T):
        y = T.tensor([1.0, 2.0], requires_grad=True) * 2
        return (y.requires_grad, y.is_leaf, type(y.grad_fn).__name__)

    same(fn)


def test_result_without_grad_is_leaf():
    same(lambda T: (lambda y: (y.is_leaf, y.requires_grad, y.grad_fn))(T.ones(2) * 2))


def test_set_requires_grad_on_leaf():
    def fn(T):
        x = T.ones(2)
        x.requires_grad = True
        first = (x.requires_grad, x.is_leaf)
        x.requires_grad = False
        return (first, x.requires_grad)

    same(fn)


def test_requires_grad_underscore_returns_self():
    def fn(T):
        x = T.ones(2)
        return (x.requires_grad_() is x, x.requires_grad)

    same(fn)


def test_set_requires_grad_on_int_raises():
    def fn(T):
        x = T.tensor([1, 2])
        x.requires_grad = True

    same_error(fn)


def test_unset_requires_grad_on_non_leaf_raises():
    def fn(T):
        y = T.ones(2, requires_grad=True) * 2
        y.requires_grad = False

    same_error(fn)


def test_data_shares_storage_and_does_not_require_grad():
    def fn(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        d = x.data
        d.numpy()[0] = 5.0   # visible through x
        return (d.requires_grad, d.is_leaf, d.grad_fn, x.detach())

    same(fn)


def test_data_assignment_replaces_contents():
    def fn(T):
        x = T.ones(3, requires_grad=True)
        x.data = T.zeros(2, 2)
        return (x.shape, x.requires_grad, x.is_leaf, x.detach())

    same(fn)


def test_clone_copies():
    def fn(T):
        x = T.tensor([1.0, 2.0])
        c = x.clone()
        c.numpy()[0] = 9.0
        return (x, c)

    same(fn)


def test_clone_keeps_graph():
    same(lambda T: T.tensor([1.0, 2.0], requires_grad=True).clone())


# ------------------------------------------------------------------ shape / size / dims

SHAPES = {
    "shape": lambda T: T.zeros(2, 3).shape,
    "shape_eq_tuple": lambda T: T.zeros(2, 3).shape == (2, 3),
    "shape_is_tuple": lambda T: isinstance(T.zeros(2, 3).shape, tuple),
    "shape_index": lambda T: (T.zeros(2, 3).shape[0], T.zeros(2, 3).shape[-1]),
    "shape_slice_is_size": lambda T: T.zeros(2, 3, 4).shape[1:],
    "shape_repr": lambda T: repr(T.zeros(2, 3).shape),
    "shape_str": lambda T: str(T.zeros(2, 3).shape),
    "shape_0d_repr": lambda T: repr(T.tensor(1.0).shape),
    "shape_1d_repr": lambda T: repr(T.zeros(4).shape),
    "shape_unpack": lambda T: list(T.zeros(2, 3).shape),
    "size": lambda T: T.zeros(2, 3).size(),
    "size_eq_shape": lambda T: T.zeros(2, 3).size() == T.zeros(2, 3).shape,
    "size_dim": lambda T: T.zeros(2, 3).size(1),
    "size_neg_dim": lambda T: T.zeros(2, 3).size(-1),
    "dim": lambda T: (T.zeros(2, 3).dim(), T.tensor(1.0).dim()),
    "ndim": lambda T: (T.zeros(2, 3, 4).ndim, T.tensor(1.0).ndim),
    "numel": lambda T: (T.zeros(2, 3).numel(), T.tensor(1.0).numel(), T.zeros(0, 3).numel()),
    "len": lambda T: len(T.zeros(4, 2)),
    "transpose_2d": lambda T: T.tensor([[1, 2, 3], [4, 5, 6]]).T,
}


@pytest.mark.parametrize("name", SHAPES)
def test_shape_api(name):
    same(SHAPES[name])


def test_size_out_of_range_raises():
    same_error(lambda T: T.zeros(2, 3).size(2))


def test_len_of_0d_raises():
    same_error(lambda T: len(T.tensor(1.0)))


def test_iter_over_0d_raises():
    same_error(lambda T: iter(T.tensor(1.0)))


def test_iter_yields_rows():
    same(lambda T: list(T.tensor([[1, 2], [3, 4], [5, 6]])))


def test_iter_over_vector_yields_0d_tensors():
    same(lambda T: [t for t in T.tensor([1.5, 2.5])])


# ------------------------------------------------------------------ dtype / device queries


def test_device():
    same(lambda T: (lambda d: (str(d), d.type, repr(d), d == "cpu"))(T.ones(2).device))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_is_floating_point_and_element_size(name):
    same(lambda T: (lambda x: (x.dtype, x.is_floating_point(), x.element_size()))(
        T.zeros(2, dtype=getattr(T, name))))


def test_contiguous():
    same(lambda T: (lambda x: (x.contiguous() is x, x.contiguous()))(T.ones(2, 2)))


# ------------------------------------------------------------------ item / tolist / scalars

SCALARS = {
    "item_float": lambda T: T.tensor(2.5).item(),
    "item_int": lambda T: T.tensor(3).item(),
    "item_bool": lambda T: T.tensor(True).item(),
    "item_f16": lambda T: T.tensor(1.5, dtype=T.float16).item(),
    "item_f32_precision": lambda T: T.tensor(0.1).item(),   # float32 widened: 0.10000000149...
    "item_uint8": lambda T: T.tensor(200, dtype=T.uint8).item(),
    "item_one_element_1d": lambda T: T.tensor([4.0]).item(),
    "item_one_element_2d": lambda T: T.tensor([[7]]).item(),
    "tolist_0d": lambda T: T.tensor(2.5).tolist(),
    "tolist_0d_int": lambda T: T.tensor(2).tolist(),
    "tolist_nested": lambda T: T.tensor([[1.5, 2.0], [3.0, 4.0]]).tolist(),
    "tolist_int": lambda T: T.tensor([[1, 2]]).tolist(),
    "tolist_bool": lambda T: T.tensor([True, False]).tolist(),
    "tolist_empty": lambda T: T.zeros(0).tolist(),
    "tolist_requires_grad": lambda T: T.ones(2, requires_grad=True).tolist(),
    "float_of_0d": lambda T: float(T.tensor(2.5)),
    "float_of_int": lambda T: float(T.tensor(3)),
    "float_of_one_element": lambda T: float(T.tensor([2])),
    "int_of_float_truncates": lambda T: (int(T.tensor(-2.7)), int(T.tensor(2.7))),
    "int_of_int": lambda T: int(T.tensor([5])),
    "index_list": lambda T: [10, 20, 30][T.tensor(1)],
    "index_range": lambda T: list(range(T.tensor(3))),
    "index_dunder": lambda T: T.tensor([2]).__index__(),
    "bool_0d_true": lambda T: bool(T.tensor(2)),
    "bool_0d_false": lambda T: bool(T.tensor(0.0)),
    "bool_one_element": lambda T: (bool(T.tensor([0])), bool(T.tensor([[1.5]]))),
    "if_tensor": lambda T: "yes" if T.tensor(True) else "no",
}


@pytest.mark.parametrize("name", SCALARS)
def test_scalar_conversion(name):
    same(SCALARS[name])


SCALAR_ERRORS = {
    "item_many": lambda T: T.tensor([1.0, 2.0]).item(),
    "float_many": lambda T: float(T.tensor([1.0, 2.0])),
    "int_many": lambda T: int(T.tensor([1, 2])),
    "bool_many": lambda T: bool(T.tensor([1, 2])),
    "bool_empty": lambda T: bool(T.zeros(0)),
    "index_float": lambda T: [1, 2][T.tensor(1.0)],
    "index_many": lambda T: [1, 2][T.tensor([0, 1])],
}


@pytest.mark.parametrize("name", SCALAR_ERRORS)
def test_scalar_conversion_error(name):
    same_error(SCALAR_ERRORS[name])


# ------------------------------------------------------------------ dtype conversions

_MIXED = [1.7, -1.7, 0.0, 2.5, -0.5]

CONVERSIONS = {
    "float": lambda T: T.tensor([1, 2]).float(),
    "double": lambda T: T.tensor([1.5, 2]).double(),
    "half": lambda T: T.tensor([0.1, 2.0]).half(),
    "long_truncates": lambda T: T.tensor(_MIXED).long(),
    "int_truncates": lambda T: T.tensor(_MIXED).int(),
    "bool": lambda T: T.tensor(_MIXED).bool(),
    "bool_from_int": lambda T: T.tensor([0, 3, -1]).bool(),
    "int_from_bool": lambda T: T.tensor([True, False]).long(),
    "to_dtype": lambda T: T.tensor(_MIXED).to(T.float64),
    "to_dtype_int": lambda T: T.tensor(_MIXED).to(T.int16),
    "to_dtype_kwarg": lambda T: T.tensor([1, 2]).to(dtype=T.float32),
    "to_cpu": lambda T: T.tensor([1.5]).to("cpu"),
    "to_device_object": lambda T: (lambda x: x.to(x.device))(T.tensor([1.5])),
    "to_keeps_graph": lambda T: T.ones(2, requires_grad=True).to(T.float64),
    "double_keeps_graph": lambda T: T.ones(2, requires_grad=True).double(),
    # a no-op conversion returns the tensor itself
    "noop_returns_self": lambda T: (lambda x: (x.to("cpu") is x, x.to(T.float32) is x,
                                               x.float() is x))(T.ones(2)),
    "conversion_copies": lambda T: (lambda x: x.double() is x)(T.ones(2)),
}


@pytest.mark.parametrize("name", CONVERSIONS)
def test_conversion(name):
    same(CONVERSIONS[name])


# ------------------------------------------------------------------ repr

REPRS = {
    "0d_float": lambda T: T.tensor(2.5),
    "0d_int": lambda T: T.tensor(7),
    "vector": lambda T: T.tensor([1.0, 2.5, -3.25]),
    "matrix": lambda T: T.tensor([[1.0, 2.0], [3.0, 4.5]]),
    "int_tensor": lambda T: T.tensor([1, 20, -300]),
    "bool_tensor": lambda T: T.tensor([True, False]),
    "float64_tensor": lambda T: T.tensor([1.5, 2.0], dtype=T.float64),
    "int32_tensor": lambda T: T.tensor([1, 2], dtype=T.int32),
    "float16_tensor": lambda T: T.tensor([1.5, 2.0], dtype=T.float16),
    "empty": lambda T: T.tensor([]),
    "leaf_requires_grad": lambda T: T.tensor([1.0, 2.0], requires_grad=True),
    "result_grad_fn": lambda T: T.tensor([1.0, 2.0], requires_grad=True) * 2,
    "clone_grad_fn": lambda T: T.tensor([1.0, 2.0], requires_grad=True).clone(),
    "summarised_2000": lambda T: T.arange(2000.0),
    "summarised_2d": lambda T: T.tensor(np.arange(2000).reshape(40, 50)),
    "ones_2000": lambda T: T.ones(2000),
}


@pytest.mark.parametrize("name", REPRS)
def test_repr(name):
    same(lambda T: (repr(REPRS[name](T)), str(REPRS[name](T))))


def test_set_printoptions_precision():
    def fn(T):
        try:
            T.set_printoptions(precision=2)
            return (repr(T.tensor([1.23456, 2.5])), repr(T.tensor(3.14159)))
        finally:
            T.set_printoptions(profile="default")

    same(fn)


def test_printoptions_restored():
    # after the previous test's finally, the default precision (4) is back
    same(lambda T: repr(T.tensor([1.23456, 2.5])))


# ------------------------------------------------------------------ equality / hashing


def test_eq_is_elementwise():
    same(lambda T: (T.tensor([1, 2, 3]) == T.tensor([1, 0, 3]), T.tensor([1.0, 2.0]) == 2))


def test_torch_equal():
    same(lambda T: (T.equal(T.ones(2), T.ones(2)), T.equal(T.ones(2), T.zeros(2)),
                    T.equal(T.ones(2), T.ones(3)),
                    T.equal(T.ones(2), T.ones(2, dtype=T.int64))))


def test_torch_allclose():
    same(lambda T: (T.allclose(T.ones(2), T.ones(2) + 1e-9),
                    T.allclose(T.ones(2), T.ones(2) + 1e-3),
                    T.allclose(T.ones(2), T.ones(2) + 1e-3, atol=1e-2)))


def test_hash_is_identity():
    same(lambda T: (lambda x: (hash(x) == id(x), hash(x) == hash(x)))(T.ones(2)))


def test_tensors_as_dict_keys():
    # equal-valued tensors are distinct keys; lookup is by identity
    def fn(T):
        a, b = T.ones(2), T.ones(2)
        d = {a: "a", b: "b"}
        return (len(d), d[a], d[b], len({a, b, a}))

    same(fn)
