"""nn.Parameter and nn.Buffer against torch: type, repr, leafness, storage sharing, deepcopy,
what ops return, and the errors."""
from __future__ import annotations

import copy

import pytest
from _both import both


def test_parameter_repr_and_flags():
    def f(T):
        p = T.nn.Parameter(T.tensor([[1., 2.], [3., 4.]]))
        return (repr(p), str(p), type(p).__name__, p.is_leaf, p.requires_grad, p.grad_fn,
                isinstance(p, T.Tensor), isinstance(p, T.nn.Buffer))
    both(f)


@pytest.mark.parametrize("make", [
    lambda T: T.nn.Parameter(),
    lambda T: T.nn.Parameter(T.tensor([1., 2.]), requires_grad=False),
    lambda T: T.nn.Parameter(T.tensor([1., 2.], dtype=T.float64)),
    lambda T: T.nn.Parameter(T.tensor([1, 2]), requires_grad=False),
])
def test_parameter_reprs(make):
    both(lambda T: (repr(make(T)), type(make(T)).__name__, make(T).requires_grad))


def test_ops_on_a_parameter_return_tensors():
    def f(T):
        p = T.nn.Parameter(T.tensor([1., 2.]))
        return [type(v).__name__ for v in (p * 2, p.detach(), p.data, p.double(),
                                           p.to(T.float64), p.t(), p[0], -p)] + [p.float() is p]
    both(f)


def test_parameter_gradient_accumulates_into_the_parameter():
    def f(T):
        p = T.nn.Parameter(T.tensor([1., 2., 3.]))
        y = (p * p).sum()
        y.backward()
        (p * 3).sum().backward()
        return p.grad, y.grad_fn.next_functions[0][0].next_functions[0][0].name()
    both(f)


def test_deepcopy_clones_data_not_grad():
    def f(T):
        p = T.nn.Parameter(T.tensor([1., 2.]))
        (p * 3).sum().backward()
        q = copy.deepcopy(p)
        with T.no_grad():
            q.add_(1)
        return type(q).__name__, q is p, q.requires_grad, q.grad, p, q
    both(f)


def test_parameter_shares_storage_and_version_with_its_data():
    def f(T):
        t = T.tensor([1., 2.])
        p = T.nn.Parameter(t)
        t.add_(1)
        return p, p._version, t._version
    both(f)


def test_parameter_of_a_non_leaf_is_a_leaf():
    def f(T):
        x = T.tensor([1., 2.], requires_grad=True) * 2
        p = T.nn.Parameter(x)
        return p.is_leaf, p.requires_grad, p.grad_fn, repr(p)
    both(f)


def test_parameter_requires_grad_even_under_no_grad():
    def f(T):
        with T.no_grad():
            return T.nn.Parameter(T.tensor([1.])).requires_grad
    both(f)


@pytest.mark.parametrize("bad", [
    lambda T: T.nn.Parameter(T.tensor([1, 2])),
    lambda T: T.nn.Parameter([1., 2.]),
])
def test_parameter_errors(bad):
    both(bad)


def test_buffer_is_a_marked_tensor():
    def f(T):
        b = T.nn.Buffer(T.tensor([1., 2.]))
        b2 = T.nn.Buffer(T.tensor([1., 2.]), persistent=False)
        b3 = T.nn.Buffer(T.tensor([1., 2.], requires_grad=True))
        return (type(b).__name__, isinstance(b, T.nn.Buffer), isinstance(T.tensor([1.]),
                                                                      T.nn.Buffer),
                b.persistent, b2.persistent, repr(b), b3.requires_grad, b3.is_leaf,
                hasattr(T.tensor(1.), "persistent"), isinstance(b, T.nn.Parameter))
    both(f)
