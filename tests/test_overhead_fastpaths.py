"""Checks for the per-op fast paths of issue 11 (chain and small ops): behaviour they must keep."""
from __future__ import annotations

import pytest
import torch

import retrograd
from retrograd.autograd.node import Node


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the error is what is compared
        return type(e), str(e)
    return None


@pytest.mark.parametrize("dtype", ["int64", "int32"])
@pytest.mark.parametrize("bad", [-1, -7, 4, 100])
@pytest.mark.parametrize("op", ["gather", "scatter", "scatter_add"])
def test_index_bounds_like_torch(op, bad, dtype):
    """The one-reduction bounds check (the index seen unsigned) gives PyTorch's error for
    negative and too large indices, and accepts the edge values 0 and size - 1."""
    def run(T, idx):
        x = T.arange(12.0).reshape(3, 4)
        index = T.tensor(idx, dtype=getattr(T, dtype))
        if op == "gather":
            return x.gather(1, index)
        src = T.ones(3, 2)
        return getattr(x, op)(1, index, src)
    idx = [[0, 3], [bad, 1], [2, 2]]
    ours, ref = _error(lambda: run(retrograd, idx)), _error(lambda: run(torch, idx))
    assert ref is not None and ours == ref
    good = [[0, 3], [3, 0], [1, 2]]
    assert run(retrograd, good).tolist() == run(torch, good).tolist()


def test_saved_accessors_are_class_properties():
    """_saved_<name> / _raw_saved_<name> come from per-class properties (Node has no
    __getattr__, which would slow every attribute read); values and dir() as in PyTorch."""
    assert "__getattr__" not in vars(Node)
    pairs = []
    for T in (retrograd, torch):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        y = T.tensor([3.0, 4.0], requires_grad=True)
        m, a = (x * y).grad_fn, x.add(y, alpha=2).grad_fn
        pairs.append((m._saved_self.tolist(), m._saved_other.tolist(), a._saved_alpha,
                      sorted(n for n in dir(m) if n.startswith("_saved_")),
                      sorted(n for n in dir(a) if n.startswith("_saved_")),
                      hasattr(a, "_saved_self"), hasattr(m, "_saved_alpha"),
                      type(m._raw_saved_self).__name__))
    assert pairs[0] == pairs[1]


def test_subclass_hides_parent_accessors():
    """A subclass whose saved names differ from its parent's has no accessor for the parent's
    names (AttributeError with Python's message, and not listed by dir)."""
    class Parent(Node):
        __slots__ = ()
        saved_names = ("self", "other")

    class Child(Parent):
        __slots__ = ()
        saved_names = ("result",)

    node = Child((), (1,), None)
    with pytest.raises(AttributeError, match="'Child' object has no attribute '_saved_other'"):
        node._saved_other
    assert node._saved_result is None        # nothing saved yet
    assert [n for n in dir(node) if n.startswith(("_saved_", "_raw_saved_"))] == [
        "_raw_saved_result", "_saved_result"]


@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1),
                                       ((2, 3, 4), -1), ((0, 3), 1), ((4, 1, 2), 0), ((), 0)])
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_values_like_torch(name, shape, dim):
    """max/min(dim) take the selected values by flat position (not take_along_axis): values,
    indices and gradients as PyTorch, on contiguous and transposed inputs, with ties, signed
    zeros and NaN."""
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.integers(-2, 3, shape).astype(np.float32) if shape else np.float32(-0.0)
    if a.size > 2:
        a.flat[0], a.flat[1], a.flat[-1] = -0.0, 0.0, np.nan
    for transpose in (False, True) if a.size else (False,):
        res = []
        for T in (retrograd, torch):
            x = T.tensor(a, requires_grad=True)
            xv = x.transpose(0, -1) if transpose and x.dim() > 1 else x
            v, i = getattr(xv, name)(dim=dim)
            if v.numel():
                v.sum().backward()
            g = None if x.grad is None else x.grad.tolist()
            res.append((np.asarray(v.detach().numpy()).tobytes(), i.tolist(), g))
        assert res[0] == res[1]
