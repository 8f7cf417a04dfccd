"""Layers against torch: F.linear's values, gradients and node chains; Linear (printout, init
bounds), Identity, Flatten/Unflatten, and every activation module (printout, values, gradients,
grad_fn, in-place variants)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import retrograd
from _both import both
from _nn_models import data, set_params


def _chain(fn):
    """The node names of a graph, depth first (next_functions order)."""
    out, stack = [], [(fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        out.append((depth, node.name().replace("torch::autograd::", "")))
        stack.extend((n, depth + 1) for n, _ in reversed(node.next_functions))
    return out


@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 2, 3), (2, 2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_graph_values_grads(shape, bias):
    def f(T):
        x = data(T, *shape, requires_grad=True)
        w = data(T, 4, 3, seed=2, requires_grad=True)
        b = data(T, 4, seed=3, requires_grad=True) if bias else None
        y = T.nn.functional.linear(x, w, b)
        (y * y).sum().backward()
        return y, x.grad, w.grad, None if b is None else b.grad, _chain(y.grad_fn)
    both(f)


@pytest.mark.parametrize("case", ["mismatch", "mismatch_bias", "mismatch_3d", "scalar",
                                  "bad_bias", "vector_weight", "not_tensor"])
def test_functional_linear_errors_and_edge_cases(case):
    def f(T):
        F = T.nn.functional
        x = data(T, 2, 3, requires_grad=True)
        if case == "mismatch":
            return F.linear(x, data(T, 4, 5))
        if case == "mismatch_bias":
            return F.linear(x, data(T, 4, 5), data(T, 4))
        if case == "mismatch_3d":
            return F.linear(data(T, 5, 2, 3), data(T, 4, 5))
        if case == "scalar":
            return F.linear(T.tensor(1.0), data(T, 4, 3))
        if case == "bad_bias":
            return F.linear(x, data(T, 4, 3), data(T, 5))
        if case == "vector_weight":
            return F.linear(x, data(T, 3))
        if case == "not_tensor":
            return F.linear(x, [[1.0, 2.0, 3.0]])
    both(f)


def test_linear_module():
    def f(T):
        nn = T.nn
        m = set_params(nn.Linear(3, 2), T)
        nb = set_params(nn.Linear(3, 2, bias=False), T)
        x = data(T, 5, 3, requires_grad=True)
        y = m(x) + nb(x)
        y.sum().backward()
        return (repr(m), repr(nb), nb.bias, [n for n, _ in m.named_parameters()], y, x.grad,
                m.weight.grad, nb.weight.grad, m.in_features, m.out_features,
                m.weight.shape, m(data(T, 3)).grad_fn.name())
    both(f)


def test_linear_dtype_argument():
    both(lambda T: (T.nn.Linear(2, 2, dtype=T.float64).weight.dtype,
                    T.nn.Linear(2, 2, dtype=T.float64).bias.dtype))


def test_linear_default_init_is_pytorchs_distribution():
    # weight and bias ~ U(-1/sqrt(in_features), 1/sqrt(in_features)) (kaiming_uniform, a=sqrt(5))
    retrograd.manual_seed(0)
    m = retrograd.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = m.weight.detach().numpy().copy()
    b = m.bias.detach().numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    assert np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.02 * bound
    assert abs(w.var() - bound ** 2 / 3) < 0.02 * bound ** 2   # variance of U(-a, a) is a^2/3
    assert np.abs(b).max() > 0.9 * bound
    assert m.weight._version > 0 and m.weight.is_leaf and m.weight.requires_grad
    retrograd.manual_seed(0)
    again = retrograd.nn.Linear(400, 300)
    assert np.array_equal(again.weight.detach().numpy(), w)
    m.reset_parameters()
    assert not np.array_equal(m.weight.detach().numpy(), w)


def test_linear_zero_in_features_warns():
    def f(T):
        m = T.nn.Linear(0, 3)
        return m.bias, m(T.ones(2, 0))
    both(f)


def test_identity_flatten_unflatten():
    def f(T):
        nn = T.nn
        x = data(T, 2, 3, 4, requires_grad=True)
        mods = [nn.Identity(3, k=4), nn.Flatten(), nn.Flatten(0, 1), nn.Unflatten(1, (3, 1)),
                nn.Unflatten(2, [2, 2])]
        outs = [m(x * 1) for m in mods]
        sum(o.sum() for o in outs).backward()
        return [repr(m) for m in mods], outs, x.grad, mods[0](x) is x
    both(f)


@pytest.mark.parametrize("size", [5, (2, "a"), [2.0, 1]])
def test_unflatten_errors(size):
    both(lambda T: T.nn.Unflatten(1, size))


_ACTIVATIONS = [
    ("ReLU", (), {}), ("ReLU", (), {"inplace": True}), ("ReLU6", (), {}),
    ("ReLU6", (True,), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}),
    ("ELU", (), {}), ("ELU", (0.5,), {"inplace": True}), ("SELU", (), {}),
    ("SELU", (True,), {}), ("CELU", (), {}), ("CELU", (2.0,), {}), ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}), ("SiLU", (True,), {}),
    ("Mish", (), {}), ("Mish", (True,), {}), ("Softplus", (), {}),
    ("Softplus", (2, 1.5), {}), ("Hardtanh", (), {}), ("Hardtanh", (-2.0, 3.0, True), {}),
    ("Hardswish", (), {}), ("Hardswish", (True,), {}), ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (True,), {}), ("Hardshrink", (), {}), ("Hardshrink", (0.7,), {}),
    ("Softshrink", (), {}), ("Softshrink", (1,), {}), ("Softsign", (), {}),
    ("Tanhshrink", (), {}), ("Threshold", (0.1, 20.0), {}), ("Threshold", (0.1, 2, True), {}),
    ("GLU", (), {}), ("GLU", (0,), {}), ("LogSigmoid", (), {}), ("Sigmoid", (), {}),
    ("Tanh", (), {}), ("Softmax", (), {"dim": 1}), ("Softmax", (0,), {}),
    ("LogSoftmax", (1,), {}), ("Softmin", (), {"dim": -1}), ("Softmax2d", (), {}),
    ("PReLU", (), {}), ("PReLU", (4, 0.1), {}), ("RReLU", (), {"lower": 0.1, "upper": 0.3}),
]


@pytest.mark.parametrize("name,args,kwargs", _ACTIVATIONS,
                         ids=[f"{n}{i}" for i, (n, _, _) in enumerate(_ACTIVATIONS)])
def test_activation_modules(name, args, kwargs):
    def f(T):
        m = getattr(T.nn, name)(*args, **kwargs)
        x = data(T, 2, 4, 2, 2, requires_grad=True)
        if name == "RReLU":
            m.eval()   # training mode draws random slopes (different generators)
        y = m(x * 1.0)
        (y * data(T, *y.shape, seed=4)).sum().backward()
        params = {n: p.grad for n, p in m.named_parameters()}
        return repr(m), y, x.grad, params, y.grad_fn.name()
    both(f)


def test_activation_inplace_writes_the_input():
    def f(T):
        x = data(T, 3, 2)
        y = T.nn.ReLU(inplace=True)(x)
        z = T.nn.LeakyReLU(0.5)(x)
        return y is x, x, z is x
    both(f)


@pytest.mark.parametrize("bad", ["hardtanh_bounds", "softmax2d_rank", "hardtanh_deprecated"])
def test_activation_errors_and_warnings(bad):
    def f(T):
        nn = T.nn
        if bad == "hardtanh_bounds":
            return nn.Hardtanh(1.0, 1.0)
        if bad == "softmax2d_rank":
            return nn.Softmax2d()(T.ones(2, 2))
        return repr(nn.Hardtanh(min_value=-2.0, max_value=2.0))
    both(f)


def test_softmax_without_dim_warns():
    both(lambda T: T.nn.Softmax()(data(T, 2, 3)))


def test_mlp_training_step_matches_torch():
    """Three SGD steps by hand on an MLP built from the modules: the same losses and weights."""
    def f(T):
        nn = T.nn
        model = set_params(nn.Sequential(nn.Linear(3, 8), nn.GELU(), nn.Linear(8, 8),
                                         nn.LeakyReLU(0.1), nn.Linear(8, 1), nn.Flatten(0)), T)
        x, target = data(T, 16, 3), data(T, 16, seed=7)
        losses = []
        for _ in range(3):
            loss = ((model(x) - target) ** 2).mean()
            model.zero_grad()
            loss.backward()
            with T.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
            losses.append(loss)
        return losses, model.state_dict()
    both(f)
