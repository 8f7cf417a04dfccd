"""retrograd.nn.init against torch.nn.init 2.13: gains, fans, the deterministic initialisers
(values), errors and warnings; the random ones statistically (bounds, mean, std) since the random
stream is retrograd's own, and for repeatability under manual_seed / a Generator."""
from __future__ import annotations

import math

import numpy as np
import pytest

import retrograd
from _both import both

init = retrograd.nn.init

GAINS = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
         ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
         ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
         ("leaky_relu", 0.2), ("leaky_relu", 3), ("leaky_relu", 0), ("selu", None),
         ("relu", "ignored"), ("leaky_relu", True), ("leaky_relu", "0.1"), ("gelu", None),
         ("Linear", None), ("", None)]


@pytest.mark.parametrize("name,param", GAINS)
def test_calculate_gain(name, param):
    out = both(lambda T: T.nn.init.calculate_gain(name, param))
    if out.error is None:  # the exact Python type too (1 is an int in torch)
        assert type(init.calculate_gain(name, param)) is type(out.value)


SHAPES = [(), (4,), (3, 5), (2, 3, 4), (6, 2, 3, 3), (4, 2, 1, 3, 2), (0, 3), (3, 0, 2)]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fans(shape):
    both(lambda T: T.nn.init._calculate_fan_in_and_fan_out(T.empty(shape)))
    for mode in ("fan_in", "fan_out", "FAN_OUT", "fan_avg"):
        both(lambda T: T.nn.init._calculate_correct_fan(T.empty(shape), mode))


def _fill_then(fn):
    """A deterministic initialiser on a leaf that requires grad: values, identity, still a
    leaf that requires grad, no history."""
    def scenario(T):
        w = T.full(fn.shape or (3,), 5.0, requires_grad=True)
        out = fn(T, w)
        return out is w, w.requires_grad, w.is_leaf, w.grad_fn, w.detach()
    return scenario


def _case(shape, f):
    f.shape = shape
    return f


DETERMINISTIC = {
    "constant_": _case((2, 3), lambda T, w: T.nn.init.constant_(w, 0.3)),
    "constant_int": _case((2, 3), lambda T, w: T.nn.init.constant_(w, 7)),
    "ones_": _case((4,), lambda T, w: T.nn.init.ones_(w)),
    "zeros_": _case((2, 2, 2), lambda T, w: T.nn.init.zeros_(w)),
    "eye_wide": _case((3, 5), lambda T, w: T.nn.init.eye_(w)),
    "eye_tall": _case((4, 2), lambda T, w: T.nn.init.eye_(w)),
    "eye_1d": _case((4,), lambda T, w: T.nn.init.eye_(w)),
    "eye_3d": _case((2, 2, 2), lambda T, w: T.nn.init.eye_(w)),
    "dirac_3d": _case((4, 3, 5), lambda T, w: T.nn.init.dirac_(w)),
    "dirac_4d": _case((3, 4, 3, 2), lambda T, w: T.nn.init.dirac_(w)),
    "dirac_5d": _case((2, 2, 3, 3, 3), lambda T, w: T.nn.init.dirac_(w)),
    "dirac_groups": _case((6, 2, 3), lambda T, w: T.nn.init.dirac_(w, 3)),
    "dirac_groups_4d": _case((4, 3, 3, 3), lambda T, w: T.nn.init.dirac_(w, groups=2)),
    "dirac_groups_bad": _case((5, 2, 3), lambda T, w: T.nn.init.dirac_(w, 2)),
    "dirac_2d": _case((3, 3), lambda T, w: T.nn.init.dirac_(w)),
    "dirac_6d": _case((1, 1, 1, 1, 1, 1), lambda T, w: T.nn.init.dirac_(w)),
    "orthogonal_1d": _case((4,), lambda T, w: T.nn.init.orthogonal_(w)),
    "orthogonal_empty": _case((0, 3), lambda T, w: T.nn.init.orthogonal_(w)),
    "sparse_1d": _case((4,), lambda T, w: T.nn.init.sparse_(w, 0.5)),
    "sparse_3d": _case((2, 2, 2), lambda T, w: T.nn.init.sparse_(w, 0.5)),
    "xavier_1d": _case((4,), lambda T, w: T.nn.init.xavier_uniform_(w)),
    "xavier_normal_0d": _case((), lambda T, w: T.nn.init.xavier_normal_(w[0])),
    "kaiming_1d": _case((4,), lambda T, w: T.nn.init.kaiming_uniform_(w)),
    "kaiming_bad_mode": _case((3, 4), lambda T, w: T.nn.init.kaiming_normal_(w, mode="fan")),
    "kaiming_bad_nonlinearity": _case((3, 4), lambda T, w: T.nn.init.kaiming_uniform_(
        w, nonlinearity="gelu")),
    "kaiming_bad_slope": _case((3, 4), lambda T, w: T.nn.init.kaiming_normal_(w, a="x")),
    "kaiming_uniform_empty": _case((0, 4), lambda T, w: T.nn.init.kaiming_uniform_(w)),
    "kaiming_normal_empty": _case((3, 0), lambda T, w: T.nn.init.kaiming_normal_(w, mode="x")),
    "uniform_bad_range": _case((3,), lambda T, w: T.nn.init.uniform_(w, 1.0, 0.0)),
    "normal_bad_std": _case((3,), lambda T, w: T.nn.init.normal_(w, 0.0, -1.0)),
    "deprecated_constant": _case((2,), lambda T, w: T.nn.init.constant(w, 2.0)),
    "deprecated_eye": _case((2, 2), lambda T, w: T.nn.init.eye(w)),
    "deprecated_dirac": _case((2, 2, 3), lambda T, w: T.nn.init.dirac(w)),
}


@pytest.mark.parametrize("name", sorted(DETERMINISTIC))
def test_deterministic_and_errors_match_torch(name):
    both(_fill_then(DETERMINISTIC[name]))


DEPRECATED = ["uniform", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform",
              "kaiming_normal", "orthogonal"]


@pytest.mark.parametrize("name", DEPRECATED)
def test_deprecated_random_names_warn(name):
    both(lambda T: getattr(T.nn.init, name)(T.empty(3, 4)).shape)
    assert getattr(init, name).__name__ == name


def test_deprecated_sparse_warns():
    both(lambda T: T.nn.init.sparse(T.empty(3, 4), 0.5).shape)


def test_trunc_normal_warning():
    both(lambda T: T.nn.init.trunc_normal_(T.empty(50), mean=5.0).shape)
    both(lambda T: T.nn.init.trunc_normal_(T.empty(50), mean=-4.1, a=-2, b=2).shape)


def _stats(fn, shape=(400, 500), dtype=None):
    """The values ``fn`` writes, drawn after a fixed seed (tolerances below are >= 5 standard
    errors, the seed keeps a run independent of test order)."""
    retrograd.manual_seed(2024)
    w = retrograd.empty(*shape, dtype=dtype or retrograd.float64)
    out = fn(w)
    assert out is w
    return w.numpy().astype(np.float64)


def _truncnorm_moments(mean, std, a, b):
    """Mean and std of N(mean, std^2) truncated to [a, b] (closed forms)."""
    al, be = (a - mean) / std, (b - mean) / std
    pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda x: (1 + math.erf(x / math.sqrt(2))) / 2  # noqa: E731
    z = cdf(be) - cdf(al)
    m = (pdf(al) - pdf(be)) / z
    var = 1 + (al * pdf(al) - be * pdf(be)) / z - m * m
    return mean + std * m, std * math.sqrt(var)


def test_uniform_and_normal():
    u = _stats(lambda w: init.uniform_(w, -0.5, 2.0))
    assert u.min() >= -0.5 and u.max() < 2.0 and abs(u.mean() - 0.75) < 0.01
    n = _stats(lambda w: init.normal_(w, 3.0, 0.5))
    assert abs(n.mean() - 3.0) < 0.01 and abs(n.std() - 0.5) < 0.005


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0),
                                          (0.0, 1.0, -0.2, 0.3), (1.0, 0.5, 1.5, 3.0)])
def test_trunc_normal(mean, std, a, b):
    """Both of PyTorch's samplers: normal redraws (mass in [a, b] > 0.3) and uniform
    acceptance (the narrow windows)."""
    x = _stats(lambda w: init.trunc_normal_(w, mean, std, a, b), shape=(200, 500))
    m, s = _truncnorm_moments(mean, std, a, b)
    assert x.min() >= a and x.max() <= b
    assert abs(x.mean() - m) < 0.01 * max(1.0, b - a) and abs(x.std() - s) < 0.01 * max(1.0, b - a)


def test_trunc_normal_float32_bounds():
    x = retrograd.empty(100_000)
    init.trunc_normal_(x, 0.0, 1.0, -0.1, 0.1)
    assert x.numpy().min() >= np.float32(-0.1) and x.numpy().max() <= np.float32(0.1)


@pytest.mark.parametrize("shape", [(300, 200), (64, 16, 3, 3)], ids=str)
def test_xavier(shape):
    fan_in = shape[1] * int(np.prod(shape[2:]))
    fan_out = shape[0] * int(np.prod(shape[2:]))
    gain = init.calculate_gain("tanh")
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    u = _stats(lambda w: init.xavier_uniform_(w, gain=gain), shape)
    assert u.min() >= -bound and u.max() <= bound and u.max() > 0.99 * bound
    assert abs(u.std() - bound / math.sqrt(3)) < 0.02 * bound
    n = _stats(lambda w: init.xavier_normal_(w), shape)
    std = math.sqrt(2.0 / (fan_in + fan_out))
    assert abs(n.std() - std) < 0.05 * std and abs(n.mean()) < 0.06 * std


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("leaky_relu", 0), ("leaky_relu", 0.1), ("relu", 0),
                                            ("tanh", 0), ("linear", 5)])
def test_kaiming(mode, nonlinearity, a):
    shape = (128, 32, 3, 3)
    fan = (32 if mode == "fan_in" else 128) * 9
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    u = _stats(lambda w: init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity),
               shape)
    bound = math.sqrt(3.0) * std
    assert u.min() >= -bound and u.max() <= bound and abs(u.std() - std) < 0.03 * std
    n = _stats(lambda w: init.kaiming_normal_(w, a=a, mode=mode, nonlinearity=nonlinearity),
               shape)
    assert abs(n.std() - std) < 0.03 * std and abs(n.mean()) < 0.04 * std


@pytest.mark.parametrize("shape,gain", [((3, 5), 1.0), ((5, 3), 2.0), ((4, 4), 1.0),
                                        ((6, 2, 2, 2), 0.5), ((2, 9), 1)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal(shape, gain, dtype):
    dt = getattr(retrograd, dtype)
    retrograd.manual_seed(11)
    w = retrograd.empty(*shape, dtype=dt)
    assert init.orthogonal_(w, gain=gain) is w
    rows = shape[0]
    q = w.numpy().reshape(rows, -1).astype(np.float64)
    cols = q.shape[1]
    small = min(rows, cols)
    gram = q @ q.T if rows < cols else q.T @ q
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(small), atol=tol * 10)
    # PyTorch's construction on the same draws: Q of the QR of a rows x cols normal matrix
    # (transposed when wide), each column times the sign of R's diagonal.
    retrograd.manual_seed(11)
    a = retrograd.empty(rows, cols, dtype=dt).normal_(0, 1).numpy().astype(np.float64)
    if rows < cols:
        a = a.T
    qq, rr = np.linalg.qr(a)
    expected = qq * np.sign(np.diag(rr))
    if rows < cols:
        expected = expected.T
    np.testing.assert_allclose(q, gain * expected, atol=1e-5 if dtype == "float32" else 1e-10)


def test_sparse():
    retrograd.manual_seed(3)
    w = retrograd.empty(10, 40)
    assert init.sparse_(w, sparsity=0.25, std=2.0) is w
    v = w.numpy()
    assert all((v[:, c] == 0).sum() == 3 for c in range(40))  # ceil(0.25 * 10)
    nz = v[v != 0]
    assert nz.size == 7 * 40 and 1.4 < nz.std() < 2.6
    assert (v == 0).any(axis=1).all()  # the zero rows differ from column to column


RANDOM = {
    "uniform_": lambda w, g: init.uniform_(w, -1, 1, generator=g),
    "normal_": lambda w, g: init.normal_(w, 0, 1, generator=g),
    "trunc_normal_": lambda w, g: init.trunc_normal_(w, generator=g),
    "trunc_normal_narrow": lambda w, g: init.trunc_normal_(w, 0, 1, -0.1, 0.1, generator=g),
    "xavier_uniform_": lambda w, g: init.xavier_uniform_(w, generator=g),
    "xavier_normal_": lambda w, g: init.xavier_normal_(w, generator=g),
    "kaiming_uniform_": lambda w, g: init.kaiming_uniform_(w, generator=g),
    "kaiming_normal_": lambda w, g: init.kaiming_normal_(w, generator=g),
    "orthogonal_": lambda w, g: init.orthogonal_(w, generator=g),
    "sparse_": lambda w, g: init.sparse_(w, 0.5, generator=g),
}


@pytest.mark.parametrize("name", sorted(RANDOM))
def test_seed_and_generator_repeat(name):
    fn = RANDOM[name]

    def draw(g=None):
        return fn(retrograd.empty(6, 8), g).numpy().copy()
    retrograd.manual_seed(5)
    a = draw()
    retrograd.manual_seed(5)
    b = draw()
    c = draw()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    retrograd.manual_seed(0)  # sparse_'s zero positions use the default generator (as torch)
    d = draw(retrograd.Generator().manual_seed(9))
    retrograd.manual_seed(0)
    e = draw(retrograd.Generator().manual_seed(9))
    np.testing.assert_array_equal(d, e)


def test_random_init_records_no_history_and_keeps_leaf():
    def scenario(T):
        w = T.empty(4, 3, requires_grad=True)
        outs = [T.nn.init.kaiming_uniform_(w, a=math.sqrt(5)), T.nn.init.xavier_normal_(w),
                T.nn.init.orthogonal_(w), T.nn.init.trunc_normal_(w, std=0.02),
                T.nn.init.sparse_(w, 0.3)]
        return [o is w for o in outs], w.requires_grad, w.is_leaf, w.grad_fn, w.grad
    both(scenario)


def test_version_counters_like_torch():
    """Each initialiser writes the tensor as many times as PyTorch's does (saved-tensor checks
    and ``_version`` readers see the same thing)."""
    def scenario(T):
        init_ = T.nn.init
        fills = [lambda w: init_.uniform_(w), lambda w: init_.eye_(w),
                 lambda w: init_.constant_(w, 1), lambda w: init_.orthogonal_(w),
                 lambda w: init_.sparse_(w, 0.5),
                 # windows where no draw is ever rejected: one write
                 lambda w: init_.trunc_normal_(w, a=-50.0, b=50.0),
                 lambda w: init_.trunc_normal_(w, a=-1e-3, b=1e-3),
                 lambda w: init_.kaiming_normal_(w), lambda w: init_.zeros_(w),
                 lambda w: init_.dirac_(w.view(4, 2, 2), 2)]
        versions = []
        T.manual_seed(0)  # each library's own stream, fixed
        for fill in fills:
            w = T.empty(4, 4)
            fill(w)
            versions.append(w._version)
        return versions
    both(scenario)
