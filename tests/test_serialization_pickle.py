"""pickle, copy.copy and copy.deepcopy of tensors behave as in torch: each scenario runs on
retrograd and on torch and the observable results are compared."""
from __future__ import annotations

import copy
import pickle

import pytest
import torch

import retrograd

DTYPES = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "bool"]


def describe(t):
    """What a user can observe of a tensor's value and layout."""
    return (str(t.dtype), tuple(t.shape), t.stride(), t.storage_offset(), t.requires_grad,
            t.is_leaf, t.tolist())


def both(fn):
    mine, theirs = fn(retrograd), fn(torch)
    assert mine == theirs
    return mine


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_pickle_round_trip_keeps_values_and_layout(name, protocol):
    def scenario(T):
        dt = getattr(T, name)
        base = T.arange(12).reshape(3, 4).to(dt)
        views = [base, base.t(), base[1], base[:, 1::2], base[2, 3], T.zeros(0, 3).to(dt)]
        return [describe(pickle.loads(pickle.dumps(v, protocol=protocol))) for v in views]
    both(scenario)


def test_pickle_keeps_requires_grad_and_makes_non_leaves_leaves():
    def scenario(T):
        x = T.tensor([1.0, 2.0], requires_grad=True)
        out = [pickle.loads(pickle.dumps(t)) for t in (x, x * 2, x.detach())]
        return [describe(t) for t in out]
    both(scenario)


def test_pickled_views_each_carry_their_own_storage():
    def scenario(T):
        a = T.arange(6.0)
        a2, v2 = pickle.loads(pickle.dumps([a, a[2:]]))
        a2.add_(100)  # torch pickles a storage per tensor: the view does not see this
        same = pickle.loads(pickle.dumps([a, a]))
        return v2.tolist(), v2.storage_offset(), same[0] is same[1]
    both(scenario)


def test_copy_shares_memory():
    def scenario(T):
        x = T.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = T.arange(6.0).reshape(2, 3)
        c = copy.copy(a.t())
        a.mul_(10)
        return describe(c), describe(copy.copy(x)), describe(copy.copy(x * 2))
    both(scenario)


def test_deepcopy_copies_memory_keeps_layout_and_sharing():
    def scenario(T):
        a = T.arange(12.0).reshape(3, 4)
        d = copy.deepcopy({"a": a, "t": a.t(), "row": a[1], "again": a})
        d["a"].add_(100)  # the copies share one new storage, the original is untouched
        return ([describe(v) for v in d.values()], d["a"] is d["again"], a.tolist(),
                d["t"]._base is None)
    both(scenario)


def test_deepcopy_keeps_requires_grad_and_grad():
    def scenario(T):
        x = T.tensor([1.0, -2.0], requires_grad=True)
        (x * x).sum().backward()
        y = copy.deepcopy(x)
        return describe(y), describe(y.grad), y.grad is not x.grad
    both(scenario)


def test_deepcopy_of_a_non_leaf_raises_torchs_error():
    def scenario(T):
        x = T.tensor([1.0], requires_grad=True)
        try:
            copy.deepcopy(x * 2)
        except RuntimeError as e:
            return str(e)
        return None
    assert both(scenario).startswith("Only Tensors created explicitly by the user (graph leaves) "
                                     "support the deepcopy protocol at the moment.")


def test_deepcopy_of_a_no_grad_view_of_a_leaf():
    def scenario(T):
        x = T.ones(4, requires_grad=True)
        with T.no_grad():
            v = x[1:]
        return describe(copy.deepcopy(v))
    both(scenario)


def test_subclasses_and_attributes_survive_pickle_and_deepcopy():
    def scenario(T):
        class Sub(T.Tensor):
            pass
        globals()["Sub_" + T.__name__] = Sub
        Sub.__qualname__ = "Sub_" + T.__name__
        s = T.arange(3.0).as_subclass(Sub) if T is torch else _as_sub(T.arange(3.0), Sub)
        s.tag = {"k": [1]}
        out = []
        for t in (pickle.loads(pickle.dumps(s)), copy.copy(s)):
            out.append((type(t).__name__, t.tag, t.tolist(), t.tag is s.tag))
        return out
    both(scenario)
    # torch's deepcopy of such a subclass needs new_empty(); retrograd keeps type and state
    s = _as_sub(retrograd.ones(2, requires_grad=True), globals()["Sub_retrograd"])
    s.tag = [1]
    d = copy.deepcopy(s)
    assert type(d) is type(s) and d.tag == [1] and d.tag is not s.tag and d.requires_grad


def _as_sub(t, cls):
    from retrograd.serialization._copy import _as_type
    return _as_type(t, cls)
