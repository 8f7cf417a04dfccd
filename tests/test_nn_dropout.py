"""The dropout family against torch where the outcome does not depend on the random stream
(printouts, errors, warnings, evaluation mode, p = 0 and p = 1, grad_fn chains, in-place
behaviour), and by its statistics where it does (retrograd's generator is not PyTorch's stream):
the fraction dropped, the scaling, whole channels for the feature variants, the mean and
variance kept by alpha dropout, gradients through the same mask, determinism under
manual_seed."""
from __future__ import annotations

import numpy as np
import pytest

import retrograd
from _both import both
from _nn_models import data

MODULES = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]
FUNCS = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
         "feature_alpha_dropout"]
SHAPES = {"dropout": (2, 3, 4), "dropout1d": (2, 3, 4), "dropout2d": (2, 3, 2, 2),
          "dropout3d": (2, 3, 1, 2, 2), "alpha_dropout": (2, 3, 4),
          "feature_alpha_dropout": (2, 3, 4)}


def _chain(fn):
    out, stack = [], [(fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        out.append((depth, node.name().replace("torch::autograd::", "")))
        stack.extend((n, depth + 1) for n, _ in reversed(node.next_functions))
    return out


@pytest.mark.parametrize("cls", MODULES)
def test_printout_and_bad_p(cls):
    def f(T):
        m = getattr(T.nn, cls)
        out = [str(m()), str(m(0.2, inplace=True)), str(m(p=1))]
        for p in (-0.1, 1.5):
            try:
                m(p)
            except ValueError as e:
                out.append(str(e))
        return out
    both(f)


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("p", [-0.5, 1.01])
def test_functional_bad_p(name, p):
    both(lambda T: getattr(T.nn.functional, name)(data(T, 2, 3, 4), p, True))


@pytest.mark.parametrize("name", FUNCS)
def test_eval_p0_and_p1(name):
    """Evaluation mode and p = 0 give the input itself; p = 1 zeros with zero gradients."""
    def f(T):
        fn = getattr(T.nn.functional, name)
        x = data(T, *SHAPES[name], requires_grad=True)
        h = x * 2
        res = [fn(h, 0.5, False) is h, fn(h, 0.0, True) is h, fn(h, 0.5, False, True) is h]
        y = fn(h, 1.0, True)
        y.sum().backward()
        return res, y, x.grad, _chain(y.grad_fn)
    both(f)


@pytest.mark.parametrize("name", FUNCS)
@pytest.mark.parametrize("inplace", [False, True])
def test_graph_like_torch(name, inplace):
    """The nodes recorded for a random draw (values differ between the streams)."""
    def f(T):
        x = data(T, *SHAPES[name], requires_grad=True)
        y = getattr(T.nn.functional, name)(x * 1, 0.5, True, inplace)
        return _chain(y.grad_fn), y.shape, y.dtype
    both(f)


@pytest.mark.parametrize("case", ["dropout1d_rank", "dropout2d_3d", "dropout2d_2d",
                                  "dropout3d_3d", "feature_1d", "int_input", "leaf_inplace",
                                  "module_eval", "empty", "aten_p", "aten_feature_1d",
                                  "aten_eval"])
def test_errors_and_warnings(case):
    def f(T):
        F = T.nn.functional
        if case == "dropout1d_rank":
            return F.dropout1d(data(T, 2, 3, 4, 5), 0.5)
        if case == "dropout2d_3d":
            return F.dropout2d(data(T, 2, 3, 4), 1.0)
        if case == "dropout2d_2d":
            return F.dropout2d(data(T, 3, 4), 1.0)
        if case == "dropout3d_3d":
            return F.dropout3d(data(T, 3, 4, 2), 1.0)
        if case == "feature_1d":
            return F.feature_alpha_dropout(data(T, 4), 0.5, True)
        if case == "int_input":
            return F.dropout(T.tensor([1, 2, 3]), 0.5)
        if case == "leaf_inplace":
            return F.dropout(data(T, 3, requires_grad=True), 0.5, inplace=True)
        if case == "module_eval":
            m = T.nn.Dropout(0.9).eval()
            x = data(T, 3, 4)
            return m(x) is x, m.training
        if case == "aten_p":
            return T.dropout(data(T, 3), 1.5, True)
        if case == "aten_feature_1d":
            return T.feature_dropout(data(T, 3), 0.5, True)
        if case == "aten_eval":
            x = data(T, 3, 2)
            return [f(x, 0.5, False) is x for f in (T.dropout, T.alpha_dropout,
                                                     T.feature_dropout, T.feature_alpha_dropout)]
        x = T.zeros(0, 3, requires_grad=True)
        return F.dropout(x, 0.5) is x
    both(f)


# -- statistics, on retrograd alone -----------------------------------------------------------

F = retrograd.nn.functional


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_statistics_scaling_and_gradient(p):
    retrograd.manual_seed(0)
    n = 200_000
    x = retrograd.ones(n, requires_grad=True)
    y = F.dropout(x, p)
    out = y.detach().numpy()
    kept = out != 0
    # the fraction kept is Binomial(n, 1 - p) / n: 6 standard deviations
    assert abs(kept.mean() - (1 - p)) < 6 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    g = retrograd.randn(n)
    y.backward(g)
    # the gradient goes through the same mask, with the same scaling
    np.testing.assert_allclose(x.grad.numpy(), g.numpy() * out, rtol=1e-6)


def test_dropout_determinism_under_manual_seed():
    x = retrograd.ones(1000)
    retrograd.manual_seed(123)
    a = F.dropout(x, 0.5)
    b = F.dropout(x, 0.5)
    retrograd.manual_seed(123)
    c = F.dropout(x, 0.5)
    assert retrograd.equal(a, c) and not retrograd.equal(a, b)
    g = retrograd.Generator().manual_seed(123)
    retrograd.manual_seed(123)
    m = retrograd.nn.Dropout(0.5)
    assert retrograd.equal(m(x), a)
    del g


@pytest.mark.parametrize("name,shape,lead", [
    ("dropout1d", (50, 40, 6), 2), ("dropout2d", (50, 40, 2, 3), 2),
    ("dropout3d", (50, 40, 1, 2, 3), 2), ("dropout1d", (400, 6), 1),
    ("dropout3d", (400, 1, 2, 3), 1)])
def test_feature_dropout_drops_whole_channels(name, shape, lead):
    """``lead``: the dims that get one draw each ((N, C), or (C,) without a batch dim)."""
    retrograd.manual_seed(1)
    p = 0.3
    x = retrograd.ones(*shape, requires_grad=True)
    y = getattr(F, name)(x, p)
    out = y.detach().numpy()
    per = out.reshape(*shape[:lead], -1)
    assert (per == per[..., :1]).all()           # one draw per (sample, channel)
    kept = per[..., 0] != 0
    assert abs(kept.mean() - (1 - p)) < 6 * np.sqrt(p * (1 - p) / kept.size)
    np.testing.assert_allclose(per[..., 0][kept], 1 / (1 - p), rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), out, rtol=1e-6)


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_keeps_mean_and_variance(feature):
    retrograd.manual_seed(2)
    p = 0.3
    shape = (400, 500, 1) if feature else (200_000,)
    x = retrograd.randn(*shape, dtype=retrograd.float64, requires_grad=True)
    fn = F.feature_alpha_dropout if feature else F.alpha_dropout
    y = fn(x, p, True)
    out = y.detach().numpy().ravel()
    assert abs(out.mean()) < 0.02 and abs(out.var() - 1) < 0.03
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    xs = x.detach().numpy().ravel()
    dropped = np.isclose(out, alpha * a * (p - 1))
    np.testing.assert_allclose(out[~dropped], xs[~dropped] * a + alpha * a * p, rtol=1e-12)
    assert abs(dropped.mean() - p) < 0.01
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().ravel(), np.where(dropped, 0.0, a), rtol=1e-12)


def test_inplace_dropout_writes_the_input():
    retrograd.manual_seed(3)
    x = retrograd.ones(4, 1000, requires_grad=True)
    h = x * 1
    v = h._version
    y = F.dropout(h, 0.5, True, True)
    assert y is h and h._version > v and y.grad_fn.name() == "MulBackward0"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    # the unbatched channel variant, in place: whole rows of a (C, L) input
    h = retrograd.ones(300, 4)
    y = F.dropout1d(h, 0.5, True, True)
    out = y.numpy()
    assert y is h and (out == out[:, :1]).all() and 0.3 < (out[:, 0] == 0).mean() < 0.7
