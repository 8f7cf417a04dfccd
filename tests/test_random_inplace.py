"""In-place random fills (Tensor.uniform_, normal_, bernoulli_, random_, exponential_, log_normal_,
cauchy_, geometric_): PyTorch's errors and warnings, the distributions (statistically: the
numbers are another stream than torch's), generators and seeding, and autograd's record.
The graph and gradients are also compared with torch by the op table (tests/op_db_inplace.py)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import retrograd
from _both import both

FILLS = ["uniform_", "normal_", "bernoulli_", "random_", "exponential_", "log_normal_", "cauchy_",
         "geometric_"]
_ARGS = {"bernoulli_": (0.5,), "geometric_": (0.5,)}

ERRORS = {
    "uniform_from_gt_to": lambda T: T.zeros(3).uniform_(2, 1),
    "uniform_long": lambda T: T.zeros(3, dtype=T.long).uniform_(),
    "uniform_bool": lambda T: T.zeros(3, dtype=T.bool).uniform_(),
    "uniform_from_inf": lambda T: T.zeros(3).uniform_(float("inf"), 1),
    "uniform_to_out_of_float": lambda T: T.zeros(3).uniform_(0, 1e39),
    "uniform_to_out_of_half": lambda T: T.zeros(3, dtype=T.float16).uniform_(0, 1e6),
    "uniform_range_overflow": lambda T: T.zeros(3).uniform_(-3e38, 3e38),
    "uniform_range_overflow_double": lambda T: T.zeros(3, dtype=T.float64).uniform_(-1e308, 1e308),
    "uniform_bad_kwarg": lambda T: T.zeros(3).uniform_(from_=0),
    "uniform_equal_bounds": lambda T: T.zeros(3).uniform_(1, 1),
    "uniform_from_to_kwargs": lambda T: T.zeros(3).uniform_(**{"from": 2, "to": 2}),
    "normal_negative_std": lambda T: T.zeros(3).normal_(0, -1),
    "normal_int": lambda T: T.zeros(3, dtype=T.int32).normal_(),
    "normal_zero_std": lambda T: T.zeros(3).normal_(2.5, 0),
    "bernoulli_p_gt_1": lambda T: T.zeros(3).bernoulli_(2),
    "bernoulli_p_lt_0": lambda T: T.zeros(3).bernoulli_(-0.1),
    "bernoulli_p_tensor_bad": lambda T: T.zeros(3).bernoulli_(T.tensor([0.0, 1.0, 2.0])),
    "bernoulli_p_tensor_shape": lambda T: T.zeros(3).bernoulli_(T.tensor([0.0, 1.0])),
    "bernoulli_p_tensor_exact": lambda T: T.zeros(3).bernoulli_(T.tensor([0.0, 1.0, 1.0])),
    "bernoulli_p_exact": lambda T: T.zeros(3, dtype=T.long).bernoulli_(1.0),
    "exponential_negative": lambda T: T.zeros(3).exponential_(-1),
    "exponential_zero": lambda T: T.zeros(3).exponential_(0),
    "exponential_long": lambda T: T.zeros(3, dtype=T.long).exponential_(),
    "exponential_uint8": lambda T: T.zeros(3, dtype=T.uint8).exponential_(),
    "log_normal_negative": lambda T: T.zeros(3).log_normal_(0, -1),
    "log_normal_int": lambda T: T.zeros(3, dtype=T.int16).log_normal_(),
    "cauchy_zero": lambda T: T.zeros(3).cauchy_(0, 0),
    "cauchy_long": lambda T: T.zeros(3, dtype=T.long).cauchy_(),
    "cauchy_int8": lambda T: T.zeros(3, dtype=T.int8).cauchy_(),
    "cauchy_int16": lambda T: T.zeros(3, dtype=T.int16).cauchy_(),
    "geometric_zero": lambda T: T.zeros(3).geometric_(0),
    "geometric_big": lambda T: T.zeros(3).geometric_(1.5),
    "random_from_ge_to": lambda T: T.zeros(3).random_(2, 1),
    "random_negative_to": lambda T: T.zeros(3).random_(-1),
    "random_one_value": lambda T: T.zeros(3).random_(4, 5),
    "random_uint8_to_out": lambda T: T.zeros(3, dtype=T.uint8).random_(0, 300),
    "random_uint8_from_out": lambda T: T.zeros(3, dtype=T.uint8).random_(-1, 3),
    "random_float_precision_warning": lambda T: T.zeros(3).random_(0, 2 ** 25).shape,
    "random_half_precision_warning": lambda T: T.zeros(3, dtype=T.float16).random_(0, 5000).shape,
    "leaf_requires_grad": lambda T: T.zeros(3, requires_grad=True).uniform_(),
    "leaf_requires_grad_normal": lambda T: T.zeros(3, requires_grad=True).normal_(),
    "view_of_leaf": lambda T: T.zeros(3, requires_grad=True)[1:].uniform_(),
    "expanded_uniform": lambda T: T.zeros(1).expand(3).uniform_(),
    "expanded_normal": lambda T: T.zeros(1).expand(3).normal_(),
    "expanded_init": lambda T: T.nn.init.uniform_(T.zeros(1).expand(3)),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_and_exact_cases_match_torch(name):
    both(ERRORS[name])


@pytest.mark.parametrize("name", FILLS)
def test_recorded_like_torch_and_zero_gradient(name):
    def fn(T):
        x = T.ones(3, requires_grad=True)
        y = x * 2
        out = getattr(y, name)(*_ARGS.get(name, ()))
        names = (out is y, y.grad_fn.name(), y.grad_fn.next_functions[0][0].name(), y._version)
        y.sum().backward()
        return names, x.grad
    both(fn)


@pytest.mark.parametrize("name", FILLS)
def test_no_grad_fill_of_a_leaf(name):
    def fn(T):
        x = T.ones(3, requires_grad=True)
        with T.no_grad():
            out = getattr(x, name)(*_ARGS.get(name, ()))
        return out is x, x.requires_grad, x.is_leaf, x.grad_fn, x._version
    both(fn)


def _sample(method, *args, n=200_000, dtype=None, **kwargs) -> np.ndarray:
    """``n`` draws after a fixed seed; the tolerances below are >= 5 standard errors."""
    retrograd.manual_seed(2024)
    t = retrograd.empty(n, dtype=dtype or retrograd.float64)
    getattr(t, method)(*args, **kwargs)
    return t.numpy().astype(np.float64)


def test_uniform_distribution():
    x = _sample("uniform_", -2.0, 3.0)
    assert x.min() >= -2.0 and x.max() < 3.0
    assert abs(x.mean() - 0.5) < 0.02 and abs(x.std() - 5 / math.sqrt(12)) < 0.02
    y = _sample("uniform_", dtype=retrograd.float32)
    assert y.min() >= 0.0 and y.max() <= 1.0 and abs(y.mean() - 0.5) < 0.01


def test_normal_distribution():
    x = _sample("normal_", 1.5, 0.5)
    assert abs(x.mean() - 1.5) < 0.01 and abs(x.std() - 0.5) < 0.01
    assert abs(((x - 1.5) / 0.5 > 1.96).mean() - 0.025) < 0.003


def test_other_distributions():
    b = _sample("bernoulli_", 0.3)
    assert set(np.unique(b)) == {0.0, 1.0} and abs(b.mean() - 0.3) < 0.01
    e = _sample("exponential_", 4.0)
    assert e.min() >= 0 and abs(e.mean() - 0.25) < 0.01
    ln = _sample("log_normal_", 0.5, 0.25)
    assert ln.min() > 0
    assert abs(np.log(ln).mean() - 0.5) < 0.01 and abs(np.log(ln).std() - 0.25) < 0.01
    c = _sample("cauchy_", 1.0, 2.0)
    assert abs(np.median(c) - 1.0) < 0.05 and abs(np.median(np.abs(c - 1.0)) - 2.0) < 0.05
    g = _sample("geometric_", 0.25)
    assert g.min() == 1 and np.all(g == np.round(g)) and abs(g.mean() - 4.0) < 0.1
    r = _sample("random_", 3, 7, dtype=retrograd.int64)
    assert set(np.unique(r)) == {3, 4, 5, 6}
    r1 = _sample("random_", 4, dtype=retrograd.int32)
    assert set(np.unique(r1)) == {0, 1, 2, 3}
    p = retrograd.tensor([0.0, 0.5, 1.0]).repeat(50_000 // 3 + 1)[:50_000]
    bt = retrograd.zeros(50_000).bernoulli_(p)
    v = bt.numpy()
    assert v[0::3].sum() == 0 and v[2::3].min() == 1 and abs(v[1::3].mean() - 0.5) < 0.03


def test_random_default_ranges():
    f = _sample("random_", dtype=retrograd.float32, n=10_000)
    assert f.min() >= 0 and f.max() <= 2 ** 24 and np.all(f == np.round(f)) and f.max() > 2 ** 23
    u = _sample("random_", dtype=retrograd.uint8, n=10_000)
    assert u.min() == 0 and u.max() == 255
    b = retrograd.zeros(1000, dtype=retrograd.bool).random_().numpy()
    assert b.any() and not b.all()
    i = retrograd.zeros(1000, dtype=retrograd.int64).random_().numpy()
    assert i.min() >= 0 and i.max() > 2 ** 62
    top = retrograd.zeros(1000, dtype=retrograd.int64).random_(-5, None).numpy()
    assert top.min() >= -5 and top.max() > 2 ** 62


@pytest.mark.parametrize("name", FILLS)
def test_manual_seed_and_generator_repeat(name):
    args = _ARGS.get(name, ())
    retrograd.manual_seed(123)
    a = getattr(retrograd.empty(50), name)(*args).numpy().copy()
    retrograd.manual_seed(123)
    b = getattr(retrograd.empty(50), name)(*args).numpy().copy()
    c = getattr(retrograd.empty(50), name)(*args).numpy().copy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    g1, g2 = retrograd.Generator().manual_seed(7), retrograd.Generator().manual_seed(7)
    retrograd.manual_seed(0)
    d = getattr(retrograd.empty(50), name)(*args, generator=g1).numpy().copy()
    retrograd.manual_seed(1)  # the default generator is not used
    e = getattr(retrograd.empty(50), name)(*args, generator=g2).numpy().copy()
    np.testing.assert_array_equal(d, e)


def test_fill_writes_through_views_and_bumps_version():
    base = retrograd.zeros(4, 5)
    base[1].uniform_(2.0, 3.0)
    v = base.numpy()
    assert np.all(v[0] == 0) and np.all(v[2:] == 0) and v[1].min() >= 2.0
    assert base._version == 1
