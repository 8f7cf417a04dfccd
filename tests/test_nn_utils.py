"""nn.utils against torch: gradient clipping, parameters <-> vector, parametrize (register,
right_inverse, cached, remove, the Parametrized<Class> swap, reprs, state_dict keys, errors).
The parametrizations and weight/spectral norm are in test_nn_parametrizations.py, pruning in
test_nn_prune.py."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from _both import both
from _nn_models import data, set_params


def _linear(T, i=4, o=3, seed=0, bias=True):
    return set_params(T.nn.Linear(i, o, bias=bias), T, seed)


def _with_grads(T, seed=5):
    """Three parameters with gradients (one without), float32."""
    rng = np.random.default_rng(seed)
    ps = []
    for shape in [(3, 4), (5,), (2, 2)]:
        p = T.nn.Parameter(T.tensor(rng.uniform(-1, 1, shape), dtype=T.float32))
        p.grad = T.tensor(rng.uniform(-3, 3, shape), dtype=T.float32)
        ps.append(p)
    ps.append(T.nn.Parameter(T.ones(2)))   # no gradient
    return ps


# ---------------------------------------------------------------------------- clip_grad
@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf", 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_norm(norm_type, max_norm, foreach):
    def f(T):
        ps = _with_grads(T)
        total = T.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type, foreach=foreach)
        return total, [p.grad for p in ps]
    both(f)


@pytest.mark.parametrize("case", ["nan", "inf", "nan_no_error", "single_tensor", "no_grads",
                                  "empty_generator", "generator", "deprecated", "float64"])
def test_clip_grad_norm_cases(case):
    def f(T):
        ps = _with_grads(T)
        if case in ("nan", "inf", "nan_no_error"):
            ps[1].grad[2] = float("nan") if case != "inf" else float("inf")
            total = T.nn.utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=case != "nan_no_error")
            return total, [p.grad for p in ps]
        if case == "single_tensor":
            return T.nn.utils.clip_grad_norm_(ps[0], 1.0), ps[0].grad
        if case == "no_grads":
            return T.nn.utils.clip_grad_norm_([T.nn.Parameter(T.ones(2))], 1.0)
        if case == "empty_generator":
            return T.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        if case == "generator":
            return T.nn.utils.clip_grad_norm_((p for p in ps), 1.0), [p.grad for p in ps]
        if case == "deprecated":
            return T.nn.utils.clip_grad_norm(ps, 1.0), [p.grad for p in ps]
        ps[0].grad = ps[0].grad.double()   # mixed dtypes: grouped, norms stacked
        return T.nn.utils.clip_grad_norm_(ps, 1.0), [p.grad for p in ps]
    both(f)


def test_get_total_norm_and_clip_grads_with_norm():
    def f(T):
        ps = _with_grads(T)
        grads = [p.grad for p in ps if p.grad is not None]
        total = T.nn.utils.get_total_norm(grads, norm_type=3.0)
        empty = T.nn.utils.get_total_norm([])
        T.nn.utils.clip_grads_with_norm_(ps, 2.0, total)
        return total, empty, [p.grad for p in ps], total.requires_grad
    both(f)


@pytest.mark.parametrize("foreach", [None, True])
def test_clip_grad_value(foreach):
    def f(T):
        ps = _with_grads(T)
        out = T.nn.utils.clip_grad_value_(ps, 1.25, foreach=foreach)
        single = _with_grads(T, seed=6)[0]
        T.nn.utils.clip_grad_value_(single, 0.5)
        return out, [p.grad for p in ps], single.grad
    both(f)


def test_clip_grad_norm_on_a_model_after_backward():
    def f(T):
        m = _linear(T)
        (m(data(T, 2, 4)) ** 2).sum().backward()
        total = T.nn.utils.clip_grad_norm_(m.parameters(), 0.1)
        return total, m.weight.grad, m.bias.grad
    both(f)


# ---------------------------------------------------------------------------- vectors
def test_parameters_to_vector_and_back():
    def f(T):
        m = _linear(T)
        vec = T.nn.utils.parameters_to_vector(m.parameters())
        (vec * vec).sum().backward()
        T.nn.utils.vector_to_parameters(T.arange(15.0), m.parameters())
        return vec, m.weight.grad, m.weight, m.bias, m.weight.requires_grad, \
            type(m.weight).__name__
    both(f)


def test_vector_to_parameters_type_error():
    both(lambda T: T.nn.utils.vector_to_parameters([1.0, 2.0], _linear(T).parameters()))


# ---------------------------------------------------------------------------- parametrize
def _parametrizations(T):
    class Symmetric(T.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    class Scale(T.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s

        def right_inverse(self, A):
            return A / self.s

    class NoInverse(T.nn.Module):
        def forward(self, X):
            return X.exp()

    class Split(T.nn.Module):   # right_inverse returns two tensors: original0, original1
        def forward(self, a, b):
            return a + b

        def right_inverse(self, X):
            return X * 0.25, X * 0.75

    class Reshape(T.nn.Module):
        def forward(self, X):
            return X.reshape(-1)

    return Symmetric, Scale, NoInverse, Split, Reshape


def test_register_parametrization_structure_values_grads():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, Scale, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        before = m.weight.detach().clone()
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "weight", Scale(2.0))
        out = m(data(T, 2, 3))
        out.sum().backward()
        orig = m.parametrizations.weight.original
        return (str(m), type(m).__name__, type(m).__mro__[1].__name__,
                list(m.state_dict().keys()), [n for n, _ in m.named_parameters()],
                P.is_parametrized(m), P.is_parametrized(m, "weight"),
                P.is_parametrized(m, "bias"), P.type_before_parametrizations(m).__name__,
                m.weight, out, orig, orig.grad, m.bias.grad, before,
                m.weight.grad_fn.name(), type(orig).__name__)
    both(f)


def test_parametrization_assignment_calls_right_inverse():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, Scale, NoInverse, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "weight", Scale(4.0))
        v = m.parametrizations.weight.original._version
        m.weight = data(T, 3, 3, seed=9)
        after = (m.weight, m.parametrizations.weight.original,
                 m.parametrizations.weight.original._version > v)
        P.register_parametrization(m, "bias", NoInverse())
        try:
            m.bias = T.zeros(3)
        except Exception as e:   # noqa: BLE001 - the message is compared
            return after, (type(e).__name__, str(e))
    both(f)


def test_parametrization_of_a_buffer_and_several_originals():
    def f(T):
        P = T.nn.utils.parametrize
        *_, Split, _ = _parametrizations(T)
        m = _linear(T, 2, 2)
        m.register_buffer("running", T.tensor([1.0, -2.0]))
        P.register_parametrization(m, "running", _parametrizations(T)[1](3.0))
        P.register_parametrization(m, "weight", Split())
        m.weight = T.ones(2, 2)
        return (str(m), list(m.state_dict().keys()), [n for n, _ in m.named_buffers()],
                [n for n, _ in m.named_parameters()], m.running, m.weight,
                m.parametrizations.weight.original0, m.parametrizations.weight.original1,
                m.parametrizations.weight.original1.requires_grad)
    both(f)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, Scale, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "bias", Scale(2.0))
        P.remove_parametrizations(m, "weight", leave_parametrized=leave)
        mid = (str(m), type(m).__name__, list(m.state_dict().keys()))
        P.remove_parametrizations(m, "bias", leave_parametrized=leave)
        return (mid, str(m), type(m).__name__, type(m) is T.nn.Linear,
                list(m.state_dict().keys()), m.weight, m.bias, type(m.weight).__name__,
                hasattr(m, "parametrizations"), P.is_parametrized(m))
    both(f)


def test_remove_parametrizations_of_several_originals():
    def f(T):
        P = T.nn.utils.parametrize
        *_, Split, _ = _parametrizations(T)
        m = _linear(T, 2, 2)
        P.register_parametrization(m, "weight", Split())
        try:
            P.remove_parametrizations(m, "weight", leave_parametrized=False)
        except ValueError as e:
            err = str(e)
        P.remove_parametrizations(m, "weight")
        return err, m.weight, type(m.weight).__name__, list(m.state_dict().keys())
    both(f)


def test_cached_computes_once():
    def f(T):
        P = T.nn.utils.parametrize
        calls = []

        class Count(T.nn.Module):
            def forward(self, X):
                calls.append(1)
                return X * 2

        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Count())
        n0 = len(calls)
        with P.cached():
            a = m.weight
            b = m.weight
            same = a is b
        c = m.weight
        return len(calls) - n0, same, c is a, a
    both(f)


@pytest.mark.parametrize("case", ["missing", "shape", "dtype", "remove_missing", "bad_return",
                                  "unsafe_shape", "second_shape", "empty_list"])
def test_parametrize_errors(case):
    def f(T):
        P = T.nn.utils.parametrize
        *_, Reshape = _parametrizations(T)
        m = _linear(T, 2, 2)

        class ToDouble(T.nn.Module):
            def forward(self, X):
                return X.double()

        class NotTensor(T.nn.Module):
            def forward(self, X):
                return 3

        if case == "missing":
            return P.register_parametrization(m, "nope", Reshape())
        if case == "shape":
            return P.register_parametrization(m, "weight", Reshape())
        if case == "dtype":
            return P.register_parametrization(m, "weight", ToDouble())
        if case == "remove_missing":
            return P.remove_parametrizations(m, "weight")
        if case == "bad_return":
            return P.register_parametrization(m, "weight", NotTensor())
        if case == "unsafe_shape":
            P.register_parametrization(m, "weight", Reshape(), unsafe=True)
            return m.weight, str(m), m.parametrizations.weight.unsafe
        if case == "second_shape":
            P.register_parametrization(m, "weight", _parametrizations(T)[1](2.0))
            return P.register_parametrization(m, "weight", Reshape())
        return P.ParametrizationList([], m.weight)
    both(f)


def test_parametrized_module_deepcopy_and_pickle_error():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, *_ = _parametrizations(T)
        m = _linear(T, 3, 3)
        P.register_parametrization(m, "weight", Symmetric())
        c = copy.deepcopy(m)
        try:
            m.__getstate__()
        except RuntimeError as e:
            err = str(e)
        return type(c).__name__, c.weight, list(c.state_dict()), err
    both(f)


def test_transfer_parametrizations_and_params():
    def f(T):
        P = T.nn.utils.parametrize
        Symmetric, *_ = _parametrizations(T)
        a = _linear(T, 3, 3)
        P.register_parametrization(a, "weight", Symmetric())
        b = _linear(T, 3, 3, seed=4)
        P.transfer_parametrizations_and_params(a, b)
        return str(b), b.weight, b.parametrizations.weight.original is \
            a.parametrizations.weight.original
    both(f)
