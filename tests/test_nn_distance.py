"""nn.Bilinear, nn.CosineSimilarity, nn.PairwiseDistance (and their functionals) against torch:
printouts, values, input and parameter gradients, node chains, errors."""
from __future__ import annotations

import numpy as np
import pytest

import retrograd
from _both import both
from _nn_models import data, set_params


def _chain(fn):
    out, stack = [], [(fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None:
            continue
        out.append((depth, node.name().replace("torch::autograd::", "")))
        stack.extend((n, depth + 1) for n, _ in reversed(node.next_functions))
    return out


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_module(shape, bias):
    def f(T):
        m = set_params(T.nn.Bilinear(3, 4, 2, bias=bias), T, 0)
        x1 = data(T, *shape, requires_grad=True)
        x2 = data(T, *shape[:-1], 4, seed=2, requires_grad=True)
        y = m(x1, x2)
        (y * y).sum().backward()
        return (str(m), y, x1.grad, x2.grad, m.weight.grad,
                None if m.bias is None else m.bias.grad, _chain(y.grad_fn),
                [(n, tuple(p.shape)) for n, p in m.named_parameters()])
    both(f)


def test_bilinear_init_bounds_and_double_backward():
    m = retrograd.nn.Bilinear(16, 5, 3)
    bound = 1 / 4
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    assert float(m.weight.abs().max()) > bound / 2   # drawn from the whole interval

    def f(T):
        x1 = data(T, 2, 3, requires_grad=True)
        x2 = data(T, 2, 4, seed=2, requires_grad=True)
        w = data(T, 2, 3, 4, seed=3, requires_grad=True)
        y = T.nn.functional.bilinear(x1, x2, w)
        g1, = T.autograd.grad((y ** 2).sum(), x1, create_graph=True)
        g1.sum().backward()
        return g1, x2.grad, w.grad
    both(f)


@pytest.mark.parametrize("case", ["in1", "in2", "bias", "batch", "ndim", "dtype", "weight_2d",
                                  "not_tensor"])
def test_bilinear_errors(case):
    def f(T):
        F = T.nn.functional
        x1, x2, w, b = data(T, 2, 3), data(T, 2, 4), data(T, 5, 3, 4), data(T, 5)
        if case == "in1":
            return F.bilinear(data(T, 2, 2), x2, w, b)
        if case == "in2":
            return F.bilinear(x1, data(T, 2, 5), w, b)
        if case == "bias":
            return F.bilinear(x1, x2, w, data(T, 4))
        if case == "batch":
            return F.bilinear(data(T, 3, 3), x2, w, b)
        if case == "ndim":
            return F.bilinear(data(T, 1, 2, 3), x2, w, b)
        if case == "dtype":
            return F.bilinear(x1, x2, w.double(), b)
        if case == "weight_2d":
            return F.bilinear(x1, x2, data(T, 3, 4))
        return F.bilinear(x1, [1.0], w)
    both(f)


@pytest.mark.parametrize("shapes,dim", [(((3, 4), (3, 4)), 1), (((3, 1, 4), (2, 4)), -1),
                                        (((4,), (4,)), 0), (((2, 3, 4), (2, 3, 4)), 0)])
def test_cosine_similarity(shapes, dim):
    def f(T):
        m = T.nn.CosineSimilarity(dim=dim, eps=1e-6)
        x1 = data(T, *shapes[0], requires_grad=True)
        x2 = data(T, *shapes[1], seed=2, requires_grad=True)
        y = m(x1, x2)
        (y * y).sum().backward()
        return str(m), y, x1.grad, x2.grad, _chain(y.grad_fn)
    both(f)


def test_cosine_similarity_eps_clamps_each_norm():
    """A zero vector: the clamped norm is eps, so the result is 0 and the gradient finite."""
    def f(T):
        x1 = T.zeros(2, 3, requires_grad=True)
        x2 = T.tensor([[1.0, 2.0, 2.0], [1e-9, 0.0, 0.0]], requires_grad=True)
        y = T.nn.functional.cosine_similarity(x1, x2, eps=1e-3)
        y.sum().backward()
        small = T.cosine_similarity(T.tensor([[1e-5, 0.0]]), T.tensor([[1e-5, 1e-5]]))
        return y, x1.grad, x2.grad, small
    both(f)


@pytest.mark.parametrize("case", ["broadcast", "int", "dim", "not_tensor"])
def test_cosine_similarity_errors(case):
    def f(T):
        F = T.nn.functional
        if case == "broadcast":
            return F.cosine_similarity(data(T, 3, 4), data(T, 2, 4))
        if case == "int":
            return F.cosine_similarity(T.ones(2, 3, dtype=T.int64), T.ones(2, 3, dtype=T.int64))
        if case == "dim":
            return F.cosine_similarity(data(T, 3, 4), data(T, 3, 4), dim=2)
        return F.cosine_similarity(data(T, 3, 4), 1.0)
    both(f)


@pytest.mark.parametrize("p,keepdim", [(2.0, False), (1.0, True), (3, False),
                                       (float("inf"), False), (0.5, True)])
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((4,), (4,))])
def test_pairwise_distance(p, keepdim, shapes):
    def f(T):
        m = T.nn.PairwiseDistance(p=p, eps=1e-4, keepdim=keepdim)
        x1 = data(T, *shapes[0], requires_grad=True)
        x2 = data(T, *shapes[1], seed=2, requires_grad=True)
        y = m(x1, x2)
        (y * y).sum().backward()
        return (str(m), y, x1.grad, x2.grad, _chain(y.grad_fn), y.grad_fn._saved_p,
                y.grad_fn._saved_dim, y.grad_fn._saved_keepdim)
    both(f)


def test_pairwise_distance_dtypes_and_errors():
    def f(T):
        F = T.nn.functional
        ints = F.pairwise_distance(T.ones(2, 3, dtype=T.int64), T.zeros(2, 3, dtype=T.int64))
        try:
            F.pairwise_distance(data(T, 3, 4), data(T, 2, 4))
        except RuntimeError as e:
            err = str(e)
        return ints, err, F.pairwise_distance(data(T, 3, 4).double(), data(T, 3, 4))
    both(f)


def test_module_reprs():
    def f(T):
        return [str(m) for m in (T.nn.PairwiseDistance(), T.nn.CosineSimilarity(0, 1e-3),
                                 T.nn.Bilinear(2, 3, 4, bias=False), T.nn.Softmax2d(),
                                 T.nn.Threshold(0.1, 20.0))]
    both(f)


def test_norm_except_dim_and_weight_norm_values():
    def f(T):
        v = T.tensor(np.arange(24.0).reshape(2, 3, 4) - 11.5, requires_grad=True)
        outs = [T.norm_except_dim(v, p, d) for p, d in ((2, 0), (2, 1), (3, 2), (2, -1))]
        g = T.tensor(np.arange(1.0, 4.0).reshape(1, 3, 1), requires_grad=True)
        w = T._weight_norm(v, g, 1)
        (w.sum() + sum(o.sum() for o in outs)).backward()
        return outs, w, v.grad, g.grad, [_chain(o.grad_fn) for o in outs]
    both(f)
