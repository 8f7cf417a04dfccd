"""The recording helpers' inlined fast path (autograd/_record.py: record, record1, record2 build
the node, the result Tensor and the saved entries without ``Node.__init__``, ``Tensor._make``
and ``Node.save`` while no saved-tensor hooks are pushed) against the general path and torch.

Each scenario runs on retrograd and torch (``both``): the saved values (``_saved_*``), the
version-counter errors after an in-place change of a saved tensor, inference tensors saved,
and the same with a saved-tensor hooks pair pushed (the general path). The slot test checks
that an inlined result Tensor and node have every slot set, as ``Tensor._make`` and
``Node.__init__`` set them (a slot added there and not here would fail it).
"""
from __future__ import annotations

import pytest

import retrograd
from retrograd import Tensor
from retrograd.autograd.node import Node

from _both import both

_OPS = {
    "mul": lambda T, a, b: a * b,               # record2, CROSS
    "mul_scalar": lambda T, a, b: a * 2.5,      # record2, CROSS with a Python number
    "scalar_mul": lambda T, a, b: 2.5 * b,      # (the Tensor second)
    "add": lambda T, a, b: a + b,               # record2, nothing saved, alpha attribute
    "tanh": lambda T, a, b: a.tanh(),           # record1, RESULT
    "sin": lambda T, a, b: a.sin(),             # record1, the input
    "where": lambda T, a, b: T.where(a > 0, a, b),   # record, several inputs
}


def _inputs(T):
    a = T.tensor([0.5, -1.5], requires_grad=True)
    b = T.tensor([2.0, 3.0], requires_grad=True)
    return a, b


@pytest.mark.parametrize("op", sorted(_OPS))
@pytest.mark.parametrize("hooks", [False, True], ids=["plain", "saved_hooks"])
def test_saved_values_and_grads(op, hooks):
    def run(T):
        a, b = _inputs(T)
        packed = []

        def pack(t):
            packed.append(tuple(t.shape))
            return t

        if hooks:
            with T.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
                y = _OPS[op](T, a.clone(), b * 1)   # (a non-leaf and a result as inputs)
        else:
            y = _OPS[op](T, a.clone(), b * 1)
        fn = y.grad_fn
        saved = {n: getattr(fn, n) for n in dir(fn) if n.startswith("_saved_")}
        y.sum().backward()
        return fn.name(), saved, a.grad, b.grad, packed

    both(run)


@pytest.mark.parametrize("op", ["mul", "mul_scalar", "scalar_mul", "tanh", "sin"])
def test_inplace_change_of_saved_tensor(op):
    def run(T):
        a, b = _inputs(T)
        x, z = a * 1, b * 1
        y = _OPS[op](T, x, z)
        with T.no_grad():
            x.add_(1)
            z.add_(1)
        y.sum().backward()
        return a.grad

    both(run)


def test_inplace_change_of_saved_result():
    def run(T):
        a, _ = _inputs(T)
        y = (a * 1).tanh()
        y.add_(1)
        y.sum().backward()
        return a.grad

    both(run)


@pytest.mark.parametrize("op", ["mul", "sin"])
def test_inference_tensor_saved(op):
    def run(T):
        with T.inference_mode():
            c = T.tensor([1.0, 2.0])
        a, _ = _inputs(T)
        return _OPS[op](T, a, c) if op == "mul" else _OPS[op](T, c.requires_grad_(), None)

    both(run)


def test_leaf_views_and_repeated_leaves():
    """A leaf used several times (its accumulator reused), a view of a leaf (edge's own path)."""
    def run(T):
        a, b = _inputs(T)
        y = a * a + b[0] * a + (a.view(2) * b).tanh()
        y.sum().backward()
        return y.grad_fn.next_functions[0][0].name(), a.grad, b.grad

    both(run)


@pytest.mark.parametrize("op", sorted(_OPS))
def test_inlined_slots_are_all_set(op):
    a, b = _inputs(retrograd)
    y = _OPS[op](retrograd, a * 1, b * 1)
    ref = Tensor._make(y._data, y.grad_fn, True)
    for slot in Tensor.__slots__:
        if slot not in ("__weakref__", "_data"):
            assert getattr(y, slot) == getattr(ref, slot), slot
    node = y.grad_fn
    for slot in Node.__slots__:
        if slot != "__weakref__":
            getattr(node, slot)          # set (AttributeError otherwise)
    assert all(node._seq > n._seq for n, _ in node.next_functions if n is not None)
