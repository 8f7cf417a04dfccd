"""Values, dtypes, errors and edge cases of the elementwise and activation families, compared
with torch at test time (gradients are covered by the op table: op_db_elementwise.py and
op_db_activation.py).

- the non-differentiable ops (isinf, logical_and, bitwise shifts, heaviside, rounding of ints);
- the special functions against torch in float64 over wide ranges and at their special points;
- numerical stability (softmax, log_softmax, logsumexp, softplus, logsigmoid, ... on huge inputs,
  without a NumPy warning);
- exception types and messages, warnings, in-place forms, saved tensors, rrelu in training mode.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd
from _both import both

LIBS = (retrograd, torch)


def _np(t):
    return np.array(t.detach().numpy(), copy=True)


def _close(f, rtol, atol=0.0, equal_nan=True):
    """f(T) on both libraries: same dtype and shape, values within rtol/atol."""
    ours, ref = f(retrograd), f(torch)
    assert str(ours.dtype) == str(ref.dtype)
    assert tuple(ours.shape) == tuple(ref.shape)
    np.testing.assert_allclose(_np(ours), _np(ref), rtol=rtol, atol=atol, equal_nan=equal_nan)


# ------------------------------------------------------------------ special functions, float64
_RNG = np.random.default_rng(1234)
_WIDE = np.concatenate([_RNG.uniform(-6, 6, 400), _RNG.uniform(-30, 30, 200),
                        10.0 ** _RNG.uniform(-200, 2, 100)])
_POSITIVE = np.concatenate([_RNG.uniform(1e-3, 12, 400), 10.0 ** _RNG.uniform(-8, 8, 100)])
_NEGATIVE = _RNG.uniform(-25, 0, 400)
_NEGATIVE = _NEGATIVE[np.abs(_NEGATIVE - np.round(_NEGATIVE)) > 1e-3]   # off the poles
_UNIT = np.concatenate([_RNG.uniform(-1, 1, 400), 1 - 10.0 ** _RNG.uniform(-15, -1, 100),
                        -(1 - 10.0 ** _RNG.uniform(-15, -1, 100)),
                        10.0 ** _RNG.uniform(-300, -1, 50)])


def _f64(T, a):
    return T.tensor(a, dtype=T.float64)


@pytest.mark.parametrize("name, data, rtol, atol", [
    ("erf", _WIDE, 1e-14, 0), ("erfc", _WIDE, 1e-13, 0), ("erfinv", _UNIT, 1e-13, 0),
    ("lgamma", _POSITIVE, 1e-13, 1e-14),   # absolute near its zeros at 1 and 2
    ("digamma", _POSITIVE, 1e-13, 0),
    ("exp2", _WIDE, 1e-15, 0), ("expm1", _WIDE, 1e-15, 0), ("log1p", _POSITIVE, 1e-15, 0),
    ("sinc", _WIDE, 1e-13, 0), ("tan", _WIDE, 1e-15, 0),
])
def test_special_function_accuracy_float64(name, data, rtol, atol):
    _close(lambda T: getattr(T, name)(_f64(T, data)), rtol, atol)


def test_gamma_functions_for_negative_arguments():
    # lgamma/digamma are ill-conditioned next to their poles: an absolute floor scaled by 1/dist
    _close(lambda T: T.lgamma(_f64(T, _NEGATIVE)), 1e-11, 1e-11)
    _close(lambda T: T.digamma(_f64(T, _NEGATIVE)), 1e-9, 1e-9)


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_polygamma_accuracy_float64(n):
    pos = _POSITIVE[_POSITIVE < 1e4]
    # torch's own trigamma (n = 1) is good to about 1e-10
    _close(lambda T: T.polygamma(n, _f64(T, pos)), 1e-9)
    _close(lambda T: T.polygamma(n, _f64(T, _NEGATIVE[:100])), 1e-8)


@pytest.mark.parametrize("name, data", [
    ("erfcx", np.concatenate([_WIDE[_WIDE > -20], [0.0, 26.5, 1e5, 1e300]])),
    ("log_ndtr", np.concatenate([_RNG.uniform(-35, 8, 300), [-1e3, 0.0, 40.0]])),
    ("ndtri", np.concatenate([_RNG.uniform(0, 1, 300), 10.0 ** _RNG.uniform(-300, -1, 40)])),
    ("entr", np.concatenate([_POSITIVE, [0.0, -1.0]])),
])
def test_torch_special_namespace_float64(name, data):
    _close(lambda T: getattr(T.special, name)(_f64(T, data)), 1e-12)


_SPECIAL_POINTS = [0.0, -0.0, 1.0, 2.0, -1.0, -2.0, -2.5, 0.5, 1e-30, 1e20, -1e20,
                   np.inf, -np.inf, np.nan]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["erf", "erfc", "lgamma", "digamma", "exp2", "expm1",
                                  "log2", "log10", "log1p", "rsqrt", "sinc", "sgn", "frac",
                                  "round", "trunc", "floor", "ceil", "nan_to_num", "atanh",
                                  "asinh", "acosh", "deg2rad"])
def test_special_points(dtype, name):
    both(lambda T: getattr(T, name)(T.tensor(_SPECIAL_POINTS, dtype=getattr(T, dtype))))


def test_special_points_of_the_inverse_and_polygamma():
    both(lambda T: T.erfinv(T.tensor([-1.0, 1.0, 1.5, -1.5, 0.0, -0.0, 0.999999, np.nan])))
    both(lambda T: T.logit(T.tensor([0.0, 1.0, -0.5, 1.5, 0.5, 0.25])))
    both(lambda T: T.logit(T.tensor([0.0, 1.0, -0.5, 1.5, 0.5, 0.25]), eps=0.1))
    for n in (2, 3):
        both(lambda T: T.polygamma(n, T.tensor([0.0, -1.0, 1.0, np.inf, -np.inf, np.nan,
                                                 -2.5, 1e-30], dtype=T.float64)))
    both(lambda T: T.polygamma(1, T.tensor([0.0, 1.0, 1e-30, 1e20, np.inf, -np.inf, np.nan],
                                            dtype=T.float64)))
    both(lambda T: T.nan_to_num(T.tensor([np.nan, np.inf, -np.inf, 1.0]), nan=2.0, posinf=3.0))


def test_integer_inputs():
    # float functions compute in float32, rounding returns the ints themselves
    for name in ("exp2", "expm1", "log2", "log1p", "rsqrt", "erf", "erfinv", "lgamma", "digamma",
                 "sinc", "tan", "asinh", "deg2rad", "rad2deg", "floor", "ceil", "round",
                 "trunc", "sgn", "square", "nan_to_num", "isinf", "isfinite", "isposinf",
                 "isneginf", "signbit"):
        both(lambda T: getattr(T, name)(T.tensor([1, -2, 3])))
    both(lambda T: T.polygamma(1, T.tensor([1, 2])))
    both(lambda T: T.mvlgamma(T.tensor([3, 4]), 2))
    both(lambda T: T.float_power(T.tensor([1, 2]), 2))
    both(lambda T: T.atan2(T.tensor([1, -2]), T.tensor([3, 4])))
    both(lambda T: T.xlogy(T.tensor([0, 2]), T.tensor([3, 4])))
    both(lambda T: T.copysign(T.tensor([1, 2]), T.tensor([-1, 1])))
    both(lambda T: T.fmod(T.tensor([5, -5]), 3))
    both(lambda T: T.special.entr(T.tensor([1, 2])))
    both(lambda T: T.nn.functional.relu6(T.tensor([-2, 1, 8])))
    both(lambda T: T.nn.functional.hardtanh(T.tensor([-2, 1, 4])))
    both(lambda T: T.nn.functional.threshold(T.tensor([-2, 1, 4]), 0, 5))
    both(lambda T: T.nn.functional.softsign(T.tensor([-2, 1, 4])))
    both(lambda T: T.logsumexp(T.tensor([1, 2]), 0))
    both(lambda T: T.nn.functional.softmax(T.tensor([[1, 2]]), 0, dtype=T.float64))


def test_half_precision():
    both(lambda T: T.erfinv(T.tensor([0.5, -0.25], dtype=T.float16)))
    both(lambda T: T.lgamma(T.tensor([0.5, 3.0], dtype=T.float16)))
    both(lambda T: T.nn.functional.gelu(T.tensor([0.5, -3.0], dtype=T.float16)))


# ------------------------------------------------------------------ non-differentiable ops
def test_predicates():
    vals = [1.0, -np.inf, np.inf, np.nan, -0.0, 0.0]
    for name in ("isinf", "isfinite", "isposinf", "isneginf", "signbit"):
        both(lambda T: getattr(T, name)(T.tensor(vals)))
        both(lambda T: getattr(T.tensor(vals), name)())


def test_logical_ops():
    a = [[1.0, 0.0, np.nan], [0.0, 0.0, 2.0]]
    for name in ("logical_and", "logical_or", "logical_xor"):
        both(lambda T: getattr(T, name)(T.tensor(a), T.tensor([1, 0, 0])))
        both(lambda T: getattr(T.tensor(a), name)(T.tensor([True, False, True])))

        def inplace(T):
            t = T.tensor(a)
            out = getattr(t, name + "_")(T.tensor([2, 0, 1]))
            return out is t, t
        both(inplace)
        both(lambda T: getattr(T, name)(T.tensor(a), 1))   # TypeError: other must be a Tensor
        both(lambda T: getattr(T, name)(T.ones(2, 3), T.ones(4)))   # broadcast error


def test_bitwise_shifts():
    a, s = [1, -8, 3, 1, 5], [1, 2, 64, -1, 63]
    for name in ("bitwise_left_shift", "bitwise_right_shift"):
        both(lambda T: getattr(T, name)(T.tensor(a), T.tensor(s)))
        both(lambda T: getattr(T, name)(T.tensor([-8, 8]), 100))
        both(lambda T: getattr(T, name)(3, T.tensor([1, 2])))
        both(lambda T: getattr(T, name)(T.tensor([1, 255], dtype=T.uint8),
                                        T.tensor([7, 9], dtype=T.uint8)))
        both(lambda T: getattr(T, name)(T.tensor([1, -128], dtype=T.int8), 7))
        both(lambda T: getattr(T, name)(T.tensor([1.0]), T.tensor([1])))
        both(lambda T: getattr(T, name)(T.tensor([True]), T.tensor([True])))
        both(lambda T: getattr(T.tensor([5, 6]), name)(1))

        def inplace(T):
            t = T.tensor([5, 6])
            return getattr(t, name + "_")(T.tensor([1, 2])) is t, t
        both(inplace)


def test_heaviside():
    both(lambda T: T.heaviside(T.tensor([-1.0, 0.0, 2.0, np.nan]), T.tensor([0.5])))
    both(lambda T: T.heaviside(T.tensor([-1, 0, 2]), T.tensor([7, 8, 9])))
    both(lambda T: T.tensor([-1.0, 0.0]).heaviside(T.tensor(0.25)))
    both(lambda T: T.heaviside(T.tensor([1.0]), T.tensor([1])))          # dtypes differ
    both(lambda T: T.heaviside(T.tensor([1.0]), 1.0))                      # values: Tensor


def test_rounding():
    both(lambda T: T.round(T.tensor([0.5, 1.5, 2.5, -0.5, -2.5, 1234.5678])))
    both(lambda T: T.round(T.tensor([2.5, 0.125, 1234.5678, -0.055]), decimals=2))
    both(lambda T: T.round(T.tensor([1250.0, 1234.5678, -1350.0]), decimals=-2))
    both(lambda T: T.round(T.tensor([1, 2]), decimals=1))                  # not for ints
    both(lambda T: T.frac(T.tensor([1, 2])))                               # not for ints
    both(lambda T: T.round(T.tensor([1.26], requires_grad=True), decimals=0))   # RoundBackward1
    both(lambda T: T.round(T.tensor([1.26], requires_grad=True)))              # RoundBackward0

    def inplace(T):
        t = T.tensor([1.26, -3.55])
        return t.round_(decimals=1) is t, t, t.floor_(), t.frac_()
    both(inplace)


# ------------------------------------------------------------------ binary and ternary ops
def test_binary_values_and_promotion():
    x, y = [[0.5, -1.5, 2.0], [0.0, 3.0, -0.25]], [1.5, -2.0, 0.0]
    for name in ("atan2", "hypot", "xlogy", "copysign", "fmod", "logaddexp", "logaddexp2",
                 "fmax", "fmin", "float_power"):
        both(lambda T: getattr(T, name)(T.tensor(x), T.tensor(y)))
        both(lambda T: getattr(T, name)(T.tensor(x), T.tensor(y, dtype=T.float64)))
    both(lambda T: T.xlogy(T.tensor([0.0, 0.0, 1.0, 2.0]), T.tensor([np.nan, -1.0, -1.0, 0.0])))
    both(lambda T: T.xlogy(T.tensor([0.0, 1.0]), 3))
    both(lambda T: T.xlogy(2, T.tensor([0.5, 3.0])))
    both(lambda T: T.special.xlog1py(T.tensor([0.0, 1.0]), T.tensor([-1.0, 0.5])))
    both(lambda T: T.copysign(T.tensor([1.0, -2.0]), -0.0))
    both(lambda T: T.fmod(T.tensor([5.5, -5.5]), 2))
    both(lambda T: T.fmod(T.tensor([5]), 2.5))
    both(lambda T: T.logaddexp(T.tensor([np.inf, -np.inf, 1000.0, -1000.0]),
                               T.tensor([np.inf, -np.inf, 0.0, -1000.0])))
    both(lambda T: T.logaddexp2(T.tensor([np.inf, -np.inf, 1000.0, 1.0]),
                                T.tensor([np.inf, -np.inf, 0.0, 1.0])))
    both(lambda T: T.fmax(T.tensor([np.nan, 1.0, np.nan]), T.tensor([2.0, np.nan, np.nan])))
    both(lambda T: T.fmin(T.tensor([np.nan, 1.0]), T.tensor([2.0, np.nan])))
    both(lambda T: T.float_power(T.tensor([2.0, 3.0]), T.tensor([1, 2])))
    both(lambda T: T.float_power(2, T.tensor([0.5, 3.0])))
    both(lambda T: T.float_power(T.tensor([2.0, 3.0], dtype=T.float64), 2))


def test_lerp_addcmul_addcdiv():
    a, b = [[1.0, 2.0, 3.0]], [[4.0], [-1.0]]
    both(lambda T: T.lerp(T.tensor(a), T.tensor(b), 0.3))
    both(lambda T: T.lerp(T.tensor(a), T.tensor(b), 0.75))
    both(lambda T: T.lerp(T.tensor(a), T.tensor(b), T.tensor([0.0, 0.5, 1.0])))
    both(lambda T: T.tensor(a).lerp(T.tensor(b), 2))
    both(lambda T: T.addcmul(T.tensor(a), T.tensor(b), T.tensor([2.0, 3.0, 4.0]), value=0.5))
    both(lambda T: T.addcdiv(T.tensor(a), T.tensor(b), T.tensor([2.0, 0.0, 4.0]), value=-2))
    both(lambda T: T.addcmul(T.tensor([1]), T.tensor([2.0]), T.tensor([3]), value=0.5))
    both(lambda T: T.addcmul(T.tensor([1]), T.tensor([2]), T.tensor([3]), value=2))

    def inplace(T):
        t = T.tensor([1.0, 2.0])
        return (t.lerp_(T.tensor([3.0, 3.0]), 0.5) is t, t.addcmul_(t, t, value=2) is t,
                t.addcdiv_(t, T.tensor([2.0, 4.0])), t)
    both(inplace)


# ------------------------------------------------------------------ stability
def _no_numpy_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(divide="raise", over="raise", invalid="raise"):
            return fn()


def test_stability_on_huge_inputs():
    cases = [
        lambda T: T.nn.functional.log_softmax(T.tensor([1000.0, 0.0]), 0),
        lambda T: T.nn.functional.softmax(T.tensor([[1000.0, 0.0, -1000.0],
                                                    [-1e30, 1e30, 0.0]]), 1),
        lambda T: T.nn.functional.softmin(T.tensor([1000.0, 0.0]), 0),
        lambda T: T.logsumexp(T.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]]), 1),
        lambda T: T.logsumexp(T.tensor([[-np.inf, -np.inf], [np.inf, 1.0]]), 1),
        lambda T: T.nn.functional.softplus(T.tensor([1000.0, -1000.0, 30.0, 20.0])),
        lambda T: T.nn.functional.softplus(T.tensor([100.0, -100.0, 0.4]), beta=10, threshold=5),
        # below a raised threshold torch's log1p(exp(beta x)) / beta overflows (to inf, silently)
        lambda T: T.nn.functional.softplus(T.tensor([100.0, -100.0]), beta=10, threshold=1e4),
        lambda T: T.nn.functional.logsigmoid(T.tensor([-1000.0, 1000.0, 0.0])),
        lambda T: T.nn.functional.silu(T.tensor([-1000.0, 1000.0])),
        lambda T: T.nn.functional.mish(T.tensor([-1000.0, 1000.0])),
        lambda T: T.nn.functional.gelu(T.tensor([-10.0, -40.0, 40.0])),
        lambda T: T.nn.functional.gelu(T.tensor([-10.0, -40.0, 40.0]), approximate="tanh"),
        lambda T: T.nn.functional.elu(T.tensor([-1000.0, 1000.0])),
        lambda T: T.nn.functional.selu(T.tensor([-1000.0, 1000.0])),
        lambda T: T.nn.functional.celu(T.tensor([-1000.0]), 0.1),
        lambda T: T.special.log_ndtr(T.tensor([-40.0, 10.0])),
        lambda T: T.special.erfcx(T.tensor([-30.0, 30.0, 1e10])),
        lambda T: T.expm1(T.tensor([1e-10, 1000.0])),
        lambda T: T.log1p(T.tensor([1e-10, -1.0])),
    ]
    for case in cases:
        both(case)
        _no_numpy_warnings(lambda: case(retrograd))


def test_stable_gradients_on_huge_inputs():
    def scenario(T):
        x = T.tensor([[1000.0, 0.0, -1000.0]], requires_grad=True)
        outs = [T.nn.functional.log_softmax(x, 1), T.nn.functional.softmax(x, 1),
                T.logsumexp(x, 1), T.nn.functional.softplus(x), T.nn.functional.logsigmoid(x),
                T.nn.functional.silu(x), T.nn.functional.elu(x), T.nn.functional.mish(x)]
        return [T.autograd.grad(o.sum(), x)[0] for o in outs]
    both(scenario)
    _no_numpy_warnings(lambda: scenario(retrograd))


# ------------------------------------------------------------------ errors and warnings
@pytest.mark.parametrize("case", [
    lambda T: T.polygamma(-1, T.tensor([1.0])),
    lambda T: T.hypot(T.tensor([1]), T.tensor([2])),
    lambda T: T.hypot(T.tensor([1.0]), 2),
    lambda T: T.atan2(T.tensor([1.0]), 2.0),
    lambda T: T.atan2(2.0, T.tensor([1.0])),
    lambda T: T.xlogy(2.0, 3.0),
    lambda T: T.lerp(T.tensor([1.0]), T.tensor([1.0], dtype=T.float64), 0.5),
    lambda T: T.lerp(T.tensor([1.0]), T.tensor([1.0]), T.tensor([1.0], dtype=T.float64)),
    lambda T: T.lerp(T.tensor([1]), T.tensor([2]), 0.5),
    lambda T: T.lerp(T.tensor([1]), T.tensor([2]), T.tensor([1])),
    lambda T: T.lerp(T.tensor([1.0]), T.tensor([2.0]), "a"),
    lambda T: T.addcdiv(T.tensor([1]), T.tensor([1]), T.tensor([1])),
    lambda T: T.fmod(T.tensor([1]), 0),
    lambda T: T.fmod(T.tensor([1]), T.tensor([0])),
    lambda T: T.tensor([2.0]).float_power_(2),
    lambda T: T.logaddexp(T.tensor([1]), T.tensor([2])),
    lambda T: T.fmax(T.tensor([1.0]), 2),
    lambda T: T.mvlgamma(T.tensor([3.0]), 0),
    lambda T: T.tensor([1, 2]).exp2_(),
    lambda T: T.tensor([1.0, 2.0], requires_grad=True).erf_(),
    lambda T: T.nn.functional.softshrink(T.tensor([1.0]), -0.5),
    lambda T: T.nn.functional.softshrink(T.tensor([1.0], dtype=T.float64), -2),
    lambda T: T.nn.functional.hardtanh(T.tensor([1.0]), 2.0, 1.0),
    lambda T: T.nn.functional.glu(T.tensor([1.0, 2.0, 3.0])),
    lambda T: T.nn.functional.glu(T.tensor(1.0)),
    lambda T: T.nn.functional.glu(T.ones(2, 4), 2),
    lambda T: T.nn.functional.glu(T.tensor([1, 2])),
    lambda T: T.nn.functional.gelu(T.ones(2), approximate="foo"),
    lambda T: T.nn.functional.gelu(T.ones(2), "tanh"),                 # keyword-only
    lambda T: T.addcmul(T.ones(2), T.ones(2), T.ones(2), 2),           # value: keyword-only
    lambda T: T.nn.functional.rrelu(T.ones(2), 0.5, 0.1),
    lambda T: T.nn.functional.prelu(T.ones(4), T.ones(4)),
    lambda T: T.nn.functional.prelu(T.ones(3, 4), T.ones(3)),
    lambda T: T.nn.functional.prelu(T.ones(3, 4), T.ones(2, 2)),
    lambda T: T.nn.functional.prelu(T.tensor(1.0), T.ones(2)),
    lambda T: T.nn.functional.prelu(T.tensor([-2, 1]), T.tensor([1])),
    lambda T: T.nn.functional.softmax(T.tensor([[1, 2]]), 0),
    lambda T: T.nn.functional.softmax(T.tensor([1, 2]), 0),
    lambda T: T.nn.functional.log_softmax(T.tensor([[1, 2]]), 0),
    lambda T: T.nn.functional.softmax(T.ones(2, 3), 2),
    lambda T: T.softmax(T.ones(2, 3)),
    lambda T: T.ones(2, 3).log_softmax(),
    lambda T: T.logsumexp(T.ones(2, 3)),
    lambda T: T.logsumexp(T.ones(2, 3), None),
    lambda T: T.celu(T.ones(2), 0.0),
])
def test_errors(case):
    both(case)


@pytest.mark.parametrize("name", ["leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish",
                                  "softplus", "hardsigmoid", "hardswish", "logsigmoid",
                                  "hardshrink", "softshrink", "rrelu"])
def test_activation_integer_errors(name):
    both(lambda T: getattr(T.nn.functional, name)(T.tensor([-2, 1, 4])))


def test_inplace_negative_slope_errors_at_backward():
    def leaky(T):
        x = T.tensor([-1.0, 2.0], requires_grad=True)
        y = T.nn.functional.leaky_relu(x * 1, -0.2, inplace=True)
        out = [y, type(y.grad_fn).__name__]
        y.sum().backward()
        return out

    def elu(T):
        x = T.tensor([-1.0, 2.0], requires_grad=True)
        y = T.nn.functional.elu(x * 1, -1.0, inplace=True)
        y.sum().backward()
    both(leaky)
    both(elu)


def test_implicit_softmax_dim_warns():
    both(lambda T: T.nn.functional.softmax(T.ones(2, 3)))
    both(lambda T: T.nn.functional.log_softmax(T.ones(3)))
    both(lambda T: T.nn.functional.softmin(T.ones(2, 3, 4)))
    both(lambda T: T.nn.functional.softmax(T.tensor(2.0), 0))
    both(lambda T: T.logsumexp(T.tensor(3.0), 0))
    both(lambda T: T.log_softmax(T.tensor(3.0), -1))


# ------------------------------------------------------------------ in-place forms
_SAVED_NAMES: dict = {}


def _values(v):
    return _np(v) if isinstance(v, (torch.Tensor, retrograd.Tensor)) else v


def _torch_saved(fn, T) -> list:
    """The ``_saved_*`` attributes torch's node of this type exposes (read off torch's node, and
    looked up by class name when ``fn`` is retrograd's, so both sides read the same names)."""
    key = type(fn).__name__
    if T is torch:
        _SAVED_NAMES[key] = sorted(a for a in dir(fn) if a.startswith("_saved_"))
    return _SAVED_NAMES[key]


@pytest.mark.parametrize("call", [
    lambda T, x: T.nn.functional.relu(x, inplace=True),
    lambda T, x: T.nn.functional.relu_(x),
    lambda T, x: T.relu_(x),
    lambda T, x: T.nn.functional.relu6(x, inplace=True),
    lambda T, x: T.nn.functional.hardtanh(x, -0.5, 0.5, inplace=True),
    lambda T, x: T.nn.functional.hardtanh_(x),
    lambda T, x: T.nn.functional.leaky_relu(x, 0.2, inplace=True),
    lambda T, x: T.nn.functional.leaky_relu_(x),
    lambda T, x: T.nn.functional.elu(x, inplace=True),
    lambda T, x: T.nn.functional.elu_(x, 0.5),
    lambda T, x: T.nn.functional.selu(x, inplace=True),
    lambda T, x: T.selu_(x),
    lambda T, x: T.nn.functional.celu(x, 2.0, inplace=True),
    lambda T, x: T.celu_(x),
    lambda T, x: T.nn.functional.silu(x, inplace=True),
    lambda T, x: T.nn.functional.mish(x, inplace=True),
    lambda T, x: T.nn.functional.hardsigmoid(x, inplace=True),
    lambda T, x: T.nn.functional.hardswish(x, inplace=True),
    lambda T, x: T.nn.functional.threshold(x, 0.1, 20.0, inplace=True),
    lambda T, x: T.nn.functional.threshold_(x, 0.1, -20.0),
    lambda T, x: T.threshold_(x, 0.1, -20.0),
    lambda T, x: T.nn.functional.rrelu(x, inplace=True),
    lambda T, x: T.rrelu_(x),
    lambda T, x: x.exp2_(),
    lambda T, x: x.polygamma_(2),
    lambda T, x: x.logit_(eps=0.1),
    lambda T, x: x.xlogy_(2.0),
    lambda T, x: x.hypot_(T.tensor([1.0, 2.0, 3.0, 4.0])),
    lambda T, x: x.arctan_(),
    lambda T, x: x.round_(decimals=1),
])
def test_inplace_forms(call):
    def scenario(T):
        x = T.tensor([-1.0, -0.2, 0.3, 2.0])
        out = call(T, x)
        leaf = T.tensor([-1.0, -0.2, 0.3, 2.0], requires_grad=True)
        y = leaf * 1
        res = call(T, y)
        # values only: torch saves the pre-write input of an in-place op as a clone
        # (grad_fn CloneBackward0); rrelu's noise is uninitialised memory in evaluation mode
        saved = {a: _values(getattr(res.grad_fn, a)) for a in _torch_saved(res.grad_fn, T)
                 if a != "_saved_noise"}
        res.backward(T.ones(4))
        return out is x, x, x._version, res is y, res, saved, leaf.grad

    scenario(torch)   # records the names of torch's saved attributes
    both(scenario)


def test_inplace_on_a_leaf_is_refused():
    both(lambda T: T.nn.functional.relu6(T.ones(2, requires_grad=True), inplace=True))
    both(lambda T: T.nn.functional.elu_(T.ones(2, requires_grad=True)))


# ------------------------------------------------------------------ saved tensors
@pytest.mark.parametrize("call", [
    lambda T, x, y: T.exp2(x), lambda T, x, y: T.log2(x.abs()), lambda T, x, y: T.rsqrt(x.abs()),
    lambda T, x, y: T.sgn(x), lambda T, x, y: T.round(x, decimals=2),
    lambda T, x, y: T.erfinv(x * 0.1),
    lambda T, x, y: T.polygamma(2, x), lambda T, x, y: T.logit(x, eps=0.1),
    lambda T, x, y: T.xlogy(x, 2.0), lambda T, x, y: T.xlogy(2.0, y.abs()),
    lambda T, x, y: T.hypot(x, y), lambda T, x, y: T.fmod(x, y), lambda T, x, y: T.lerp(x, y, 0.3),
    lambda T, x, y: T.lerp(x, y, x), lambda T, x, y: T.addcmul(x, x, y, value=2),
    lambda T, x, y: T.copysign(x, y), lambda T, x, y: T.special.erfcx(x),
    lambda T, x, y: T.mvlgamma(x.abs() + 2, 2),
    lambda T, x, y: T.nn.functional.elu(x), lambda T, x, y: T.nn.functional.selu(x),
    lambda T, x, y: T.nn.functional.celu(x, 0.5), lambda T, x, y: T.nn.functional.gelu(x),
    lambda T, x, y: T.nn.functional.softplus(x, 2, 10), lambda T, x, y: T.nn.functional.hardtanh(x),
    lambda T, x, y: T.nn.functional.leaky_relu(x, 0.1),
    lambda T, x, y: T.nn.functional.hardshrink(x),
    lambda T, x, y: T.nn.functional.threshold(x, 0.1, 2.0), lambda T, x, y: T.nn.functional.glu(x),
    lambda T, x, y: T.nn.functional.softmax(x, 0),
    lambda T, x, y: T.nn.functional.log_softmax(x, 0),
    lambda T, x, y: T.logsumexp(x, 0), lambda T, x, y: T.logsumexp(x, [0], keepdim=True),
    lambda T, x, y: T.nn.functional.prelu(x, y[:1]),
])
def test_saved_tensors_and_constants(call):
    def scenario(T):
        x = T.tensor([-1.5, 0.25, 0.5, 2.0], requires_grad=True)
        y = T.tensor([1.5, -2.0, 0.75, 3.0], requires_grad=True)
        fn = call(T, x, y).grad_fn
        return {a: getattr(fn, a) for a in _torch_saved(fn, T)}
    scenario(torch)   # records the names of torch's saved attributes
    both(scenario)


# ------------------------------------------------------------------ rrelu in training mode
def test_rrelu_training_samples_slopes_and_backpropagates_them():
    # the random stream differs from torch's by design: check the distribution's support and
    # that the gradient is the sampled slope
    retrograd.manual_seed(0)
    x = retrograd.tensor([-1.0, -2.0, -0.5, 0.5, 3.0] * 20, requires_grad=True)
    y = retrograd.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    ref = torch.nn.functional.rrelu(torch.ones(1, requires_grad=True), training=True)
    assert type(y.grad_fn).__name__ == type(ref.grad_fn).__name__
    xs, ys = _np(x), _np(y)
    slopes = ys[xs < 0] / xs[xs < 0]
    assert np.all((slopes >= 0.1 - 1e-7) & (slopes <= 0.3 + 1e-7))
    assert len(np.unique(slopes)) > 10                       # sampled, not a constant
    np.testing.assert_array_equal(ys[xs > 0], xs[xs > 0])
    y.backward(retrograd.ones(100))
    g = _np(x.grad)
    np.testing.assert_allclose(g[xs < 0], slopes, rtol=1e-6)
    np.testing.assert_array_equal(g[xs > 0], 1.0)
    retrograd.manual_seed(0)
    again = retrograd.nn.functional.rrelu(x.detach(), 0.1, 0.3, training=True)
    np.testing.assert_array_equal(_np(again), ys)              # reproducible from the seed
    # a degenerate range falls back to leaky_relu's derivative, as in torch
    z = retrograd.tensor([-1.0, 2.0], requires_grad=True)
    retrograd.nn.functional.rrelu(z, 0.2, 0.2, training=True).sum().backward()
    np.testing.assert_allclose(_np(z.grad), [0.2, 1.0], rtol=1e-6)


def test_rrelu_training_inplace():
    retrograd.manual_seed(1)
    x = retrograd.tensor([-1.0, -2.0, 2.0], requires_grad=True)
    y = x * 1
    out = retrograd.nn.functional.rrelu(y, 0.1, 0.3, training=True, inplace=True)
    assert out is y and type(y.grad_fn).__name__ == "RreluWithNoiseBackward1"
    y.sum().backward()
    np.testing.assert_allclose(_np(x.grad)[:2], _np(y)[:2] / np.array([-1.0, -2.0]), rtol=1e-6)


@pytest.mark.parametrize("case", ["scalar_mod_tensor", "int_remainder", "grad_fn_names",
                                  "add_bool_alpha", "flip_varargs"])
def test_remainder_rsub_and_argument_forms(case):
    def scenario(T):
        x = T.tensor([1.5, -2.5, 3.0], requires_grad=True)
        y = T.tensor([2.0, 0.7, -1.2], requires_grad=True)
        if case == "scalar_mod_tensor":   # no derivative in PyTorch: raises at backward
            r = 5.0 % x
            return [r.grad_fn.name(), T.autograd.grad(r.sum(), x)]
        if case == "int_remainder":
            return [T.remainder(T.tensor([5, 3]), 2), T.remainder(x.detach(), 2)]
        if case == "grad_fn_names":
            outs = [T.remainder(x, y), T.remainder(x, 2.0), x % y, T.rsub(x, y), T.rsub(x, y, alpha=2)]
            return [(o.grad_fn.name(), T.autograd.grad(o.sum(), (x, y), allow_unused=True))
                    for o in outs]
        if case == "add_bool_alpha":
            return T.add(x, y, alpha=True)
        return T.tensor([[1.0, 2.0], [3.0, 4.0]]).flip(-1, 0)
    both(scenario)


@pytest.mark.parametrize("case", ["floor_divide", "floordiv_operator", "div_floor_mode",
                                  "special_round"])
def test_rounding_ops_record_torchs_nodes(case):
    def scenario(T):
        x = T.tensor([1.5, 2.5, -0.5], requires_grad=True)
        if case == "floor_divide":   # a NotImplemented node: backward raises
            r = T.floor_divide(x, 2)
            return [r.grad_fn.name(), T.autograd.grad(r.sum(), x)]
        if case == "floordiv_operator":
            return (x // 2).grad_fn.name()
        if case == "div_floor_mode":   # zero gradient
            r = T.div(x, 2, rounding_mode="floor")
            return [r.grad_fn.name(), T.autograd.grad(r.sum(), x)]
        return [T.special.round(x).grad_fn.name(), T.special.round(x, decimals=1),
                T.round(x).grad_fn.name()]
    both(scenario)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hardsigmoid_gradient_scales_by_float32_one_sixth(dtype):
    """PyTorch's kernel multiplies by ``1.0f / 6.0f`` (1/6 rounded to float32, in float64 too; half
    in float32): bit for bit, in backward, forward AD and func.jvp."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-4, 4, 500).astype(dtype)
    w = rng.standard_normal(500).astype(dtype)
    got = {}
    for T in LIBS:
        xt = T.tensor(x, requires_grad=True)
        g, = T.autograd.grad((T.nn.functional.hardsigmoid(xt) * T.tensor(w)).sum(), xt)
        with T.autograd.forward_ad.dual_level():
            d = T.autograd.forward_ad.make_dual(T.tensor(x), T.tensor(w))
            t = T.autograd.forward_ad.unpack_dual(T.nn.functional.hardsigmoid(d)).tangent
        j = T.func.jvp(T.nn.functional.hardsigmoid, (T.tensor(x),), (T.tensor(w),))[1]
        got[T] = [np.array(a.detach().tolist(), dtype=dtype) for a in (g, t, j)]
    for ours, ref in zip(got[retrograd], got[torch]):
        np.testing.assert_array_equal(ours.view(np.uint8), ref.view(np.uint8))
