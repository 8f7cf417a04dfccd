"""Every registered op (torch.X, Tensor.X, linalg/special/nn.functional.X) called the simple ways
torch accepts — ``f(x)``, ``f(x, y)``, ``f(x, 0.5)``, ``f(x, 1)`` with float64 inputs that require
grad — records the same grad_fn as torch (or none where torch records none), and does not raise
where torch does not. The op table checks values and gradients; this catches an op that exists
but records nothing (a silently non-differentiable result) or records another node.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import retrograd
from retrograd.ops._registry import FUNCTIONS, METHODS, NAMESPACES

retrograd.ops.load_families()  # every op registered (some nn op families load on first use)

_RNG = np.random.default_rng(0)
_A = _RNG.uniform(0.2, 0.9, (3, 4))
_B = _RNG.uniform(0.2, 0.9, (3, 4))
_ARGS: list[Callable[[Any, Any], tuple]] = [
    lambda x, y: (x,), lambda x, y: (x, y), lambda x, y: (x, 0.5), lambda x, y: (x, 1)]


def _entry(kind: str, name: str) -> Callable[[Any], Callable]:
    if kind == "method":
        return lambda L: (lambda *a: getattr(a[0], name)(*a[1:]))
    if kind == "torch":
        return lambda L: getattr(L, name)
    return lambda L: getattr(getattr(L, kind) if kind != "nn.functional" else L.nn.functional,
                             name)


_ALL = ([("torch", n) for n in sorted(FUNCTIONS)] + [("method", n) for n in sorted(METHODS)]
        + [(k, n) for k in ("linalg", "special", "nn.functional") for n in sorted(NAMESPACES[k])])


def _first_form_torch_takes(kind: str, name: str):
    """The index in _ARGS of the first call form torch accepts for this op, or None."""
    get = _entry(kind, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, args in enumerate(_ARGS):
            try:
                get(torch)(*args(torch.tensor(_A, requires_grad=True),
                                 torch.tensor(_B, requires_grad=True)))
                return i
            except Exception:  # noqa: BLE001 - torch does not take this form
                continue
    return None


# the ops torch can be called on the simple ways (the others are covered by the op table only)
CASES = [(k, n, i) for k, n in _ALL if (i := _first_form_torch_takes(k, n)) is not None]


def _node_name(out: Any, L: Any) -> Any:
    if isinstance(out, (tuple, list)):
        out = out[0] if out else None
    if not isinstance(out, L.Tensor):
        return "not a tensor"
    return None if out.grad_fn is None else out.grad_fn.name()


@pytest.mark.parametrize("kind,name,form", CASES, ids=[f"{k}.{n}" for k, n, _ in CASES])
def test_simple_calls_record_torchs_node(kind, name, form):
    get, args = _entry(kind, name), _ARGS[form]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = get(torch)(*args(torch.tensor(_A, requires_grad=True),
                               torch.tensor(_B, requires_grad=True)))
        ours = get(retrograd)(*args(retrograd.tensor(_A, requires_grad=True),
                                    retrograd.tensor(_B, requires_grad=True)))
    assert _node_name(ours, retrograd) == _node_name(ref, torch)
