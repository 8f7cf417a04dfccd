"""Second-order gradients of var/std/norm where PyTorch's formulas meet 0/0 and 2/0, against
torch 2.13: the NaN and inf of a create_graph gradient sit where torch's do.

``var(())`` (an explicit empty dim list: everything reduced, but torch's backward counts N = 1,
so with correction 1 the first-order gradient is 2/0 * (x - mean) = +-inf) and the 2-norm of
a zero row (``(x / norm).masked_fill_(norm == 0, 0)``: a zero gradient, whose derivative in
the norm is 0/0 = NaN) give NaN second-order gradients in torch. They are torch's values, so
they are ours; the graph test (test_double_backward_graph.py) compares them NaN for NaN."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd

CASES = {
    "var_empty_dims": (lambda T, x: x.var(()), np.array([[0.2, 1.4, 1.5], [-1.6, -1.0, 1.5]])),
    "std_empty_dims": (lambda T, x: x.std([], correction=0),
                       np.array([[0.2, 1.4, 1.5], [-1.6, -1.0, 1.5]])),
    "norm_p2_zero_row": (lambda T, x: x.norm(dim=1),
                         np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])),
    "norm_p3_zero_row": (lambda T, x: x.norm(3, dim=1),
                         np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.0]])),
    "vector_norm_zero": (lambda T, x: T.linalg.vector_norm(x), np.zeros((2, 3))),
}


def _second_order(lib, fn, a, gout, v, gout_requires_grad):
    x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
    g = lib.tensor(gout, dtype=lib.float64, requires_grad=gout_requires_grad)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = fn(lib, x)
        (gx,) = lib.autograd.grad(y, x, g, create_graph=True)
        inputs = (x, g) if gout_requires_grad else (x,)
        seconds = lib.autograd.grad((gx * lib.tensor(v)).sum(), inputs, allow_unused=True)
    return (gx.detach().numpy(), gx.grad_fn.name(),
            [None if s is None else s.detach().numpy() for s in seconds])


@pytest.mark.parametrize("gout_requires_grad", [False, True])
@pytest.mark.parametrize("name", list(CASES))
def test_nan_and_inf_of_second_order_gradients_match_torch(name, gout_requires_grad):
    fn, a = CASES[name]
    rng = np.random.default_rng(3)
    shape = tuple(fn(torch, torch.tensor(a)).shape)
    for _ in range(3):
        gout, v = rng.standard_normal(shape), rng.standard_normal(a.shape)
        ours = _second_order(retrograd, fn, a, gout, v, gout_requires_grad)
        ref = _second_order(torch, fn, a, gout, v, gout_requires_grad)
        np.testing.assert_allclose(ours[0], ref[0], rtol=1e-12, atol=0)  # inf signs too
        assert ours[1] == ref[1]
        assert len(ours[2]) == len(ref[2])
        for s, r in zip(ours[2], ref[2]):
            assert (s is None) == (r is None)
            if s is not None:
                np.testing.assert_array_equal(np.isnan(s), np.isnan(r))
                np.testing.assert_allclose(s, r, rtol=1e-10, atol=1e-12)   # NaN == NaN here


def test_the_graph_test_compares_nan_for_nan():
    """The graph test's value check takes a NaN where torch has one as equal: these two rows
    differed only by NaN != NaN before."""
    import test_double_backward_graph as G
    from op_db import OP_DB
    rows = {r.name: r for r in OP_DB}
    assert G.difference(rows["var_empty_dims"]) is None
    assert G.difference(rows["norm_p2_zero_row"]) is None


# -- in-place ops save a recorded clone of the old self (PyTorch's original_self) -------------
INPLACE = {
    "mul_": lambda T, a, y: a.mul_(y),
    "mul_scalar": lambda T, a, y: a.mul_(2.0),
    "div_": lambda T, a, y: a.div_(y),
    "sin_": lambda T, a, y: a.sin_(),
    "exp_": lambda T, a, y: a.exp_(),
    "pow_": lambda T, a, y: a.pow_(2),
    "clamp_": lambda T, a, y: a.clamp_(-0.5, 0.5),
    "add_": lambda T, a, y: a.add_(y),
    "threshold_": lambda T, a, y: T.nn.functional.threshold_(a, 0.1, 2.0),
    "view_mul_": lambda T, a, y: a[1:].mul_(y[1:]),
}


def _saved_grad_fns(lib, name):
    x = lib.tensor([0.3, -0.7, 1.2], dtype=lib.float64, requires_grad=True)
    y = lib.tensor([1.5, -0.4, 0.9], dtype=lib.float64, requires_grad=True)
    a = x * 1
    INPLACE[name](lib, a, y)
    node = a.grad_fn
    if node.name().endswith("CopySlices"):
        node = node.next_functions[1][0] if name != "view_mul_" else None
    saved = {}
    if node is not None:
        for attr in sorted(k for k in dir(node) if k.startswith("_saved_")):
            v = getattr(node, attr)
            if isinstance(v, lib.Tensor):
                saved[attr] = None if v.grad_fn is None else v.grad_fn.name()
    a.add_(1.0)   # the saved clone is not the tensor modified again (exp_'s saved result is)
    try:
        g = lib.autograd.grad(a.sum(), (x, y), create_graph=True, allow_unused=True)
    except RuntimeError as e:
        return a.grad_fn.name(), saved, str(e).split(":")[0]
    return a.grad_fn.name(), saved, [None if t is None else t.detach().numpy() for t in g]


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_ops_save_a_recorded_clone_of_the_old_self(name):
    ours, ref = _saved_grad_fns(retrograd, name), _saved_grad_fns(torch, name)
    assert ours[0] == ref[0]
    assert ours[1] == ref[1]
    assert type(ours[2]) is type(ref[2])
    if isinstance(ref[2], str):
        assert ours[2] == ref[2]
        return
    for a, b in zip(ours[2], ref[2]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -- CopySlices under create_graph: PyTorch's apply (copy, as_strided slice, copy back) --------
def _names(t):
    seen, names, stack = set(), set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or n in seen:
            continue
        seen.add(n)
        if "AccumulateGrad" not in n.name():
            names.add(n.name())
        stack.extend(f for f, _ in n.next_functions)
    return names


VIEW_WRITES = {   # (b: x * 1 of shape (3, 4); y: (4,), z: (3,)) -- no slicing of y or z
    "slice_mul_": lambda b, y, z: b[1:].mul_(y),
    "column_add_": lambda b, y, z: b[:, 2].add_(z * z),
    "transposed_mul_": lambda b, y, z: b.t()[1:3].mul_(z),
    "select_copy_": lambda b, y, z: b.select(1, 0).copy_(z.exp()),
    "strided_sin_": lambda b, y, z: b[::2, 1::2].sin_(),
}


def _view_write_grads(lib, name, gout_requires_grad, root_transposed=False):
    rng = np.random.default_rng(5)
    x = lib.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = lib.tensor(rng.standard_normal(4), requires_grad=True)
    z = lib.tensor(rng.standard_normal(3), requires_grad=True)
    g = lib.tensor(rng.standard_normal((3, 4)), requires_grad=gout_requires_grad)
    b = x * 1 if not root_transposed else (x.t() * 1).t()   # a root whose strides are (1, 3)
    VIEW_WRITES[name](b, y, z)
    firsts = lib.autograd.grad(b, (x, y, z), g, create_graph=True, allow_unused=True)
    used = [t for t in firsts if t is not None and t.requires_grad]
    inputs = (x, y, z, g) if gout_requires_grad else (x, y, z)
    seconds = lib.autograd.grad(sum((t * t).sum() for t in used), inputs, allow_unused=True)
    return ([None if t is None else (t.detach().numpy(), t.requires_grad and _names(t))
             for t in firsts],
            [None if t is None else t.detach().numpy() for t in seconds])


# (a transposed root with an incoming gradient that requires grad: the regenerated view's
# AsStridedBackward0 of a root that is not C-contiguous still records IndexBackward0 /
# IndexPutImplBackward0 where torch records AsStridedBackward0; values agree)
@pytest.mark.parametrize("gout_requires_grad,root_transposed",
                         [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("name", list(VIEW_WRITES))
def test_create_graph_through_an_in_place_write_on_a_view_matches_torch(name, gout_requires_grad,
                                                                       root_transposed):
    ours = _view_write_grads(retrograd, name, gout_requires_grad, root_transposed)
    ref = _view_write_grads(torch, name, gout_requires_grad, root_transposed)
    for a, b in zip(ours[0], ref[0]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a[0], b[0], rtol=1e-12, atol=1e-12)
            assert a[1] == b[1]
    for a, b in zip(ours[1], ref[1]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
