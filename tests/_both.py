"""Run a scenario on retrograd and on torch and compare the outcomes.

``both(fn)`` runs ``fn(T)`` with ``T=retrograd`` and ``T=torch`` and asserts that they agree:
values, dtypes, shapes, grad_fn names, printed text, exception type and message, and warnings.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch as _torch  # the reference

import retrograd

_ADDR = re.compile(r"0x[0-9a-fA-F]+")
# torch appends the C++ source location to warnings raised from C++; that is a build artefact,
# not part of the message, so it is removed before comparing.
_TRIGGERED = re.compile(r"\s*\(Triggered internally at .*\)\s*\Z", re.DOTALL)
# A message that prints a Python set of strings (torch's ``padding_mode must be one of {...}``)
# lists it in hash order, which depends on PYTHONHASHSEED and on the process that compiled the
# set's .pyc; the elements are compared sorted.
_STR_SET = re.compile(r"\{'[^'{}]*'(?:, '[^'{}]*')+\}")


def _sorted_set(m: re.Match) -> str:
    return "{" + ", ".join(sorted(m.group(0)[1:-1].split(", "))) + "}"


def clean(text: str) -> str:
    """Mask memory addresses, drop torch's '(Triggered internally at ...)' suffix and list the
    elements of a printed set of strings in sorted order."""
    return _STR_SET.sub(_sorted_set, _ADDR.sub("0x?", _TRIGGERED.sub("", text)))


@dataclass
class Outcome:
    value: Any = None
    error: tuple[str, str] | None = None
    warnings: list[tuple[str, str]] = field(default_factory=list)


def normalise(value: Any, T: Any) -> Any:
    """Turn a scenario's result into plain data that can be compared across libraries."""
    if isinstance(value, T.Tensor):
        return (
            "tensor",
            str(value.dtype),
            tuple(int(n) for n in value.shape),
            bool(value.requires_grad),
            value.grad_fn.name() if value.grad_fn is not None else None,
            np.array(value.detach().numpy(), copy=True),
        )
    if isinstance(value, T.dtype):
        return str(value)
    if isinstance(value, dict):
        return {k: normalise(v, T) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [normalise(v, T) for v in value]
        return items if isinstance(value, list) else tuple(items)
    if hasattr(value, "next_functions") and callable(getattr(value, "name", None)):
        return ("node", value.name())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str):
        return _ADDR.sub("0x?", value)
    return value


def run(fn: Callable[[Any], Any], T: Any) -> Outcome:
    """Run ``fn(T)``; record its normalised result or exception, and every warning it emitted."""
    out = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out.value = normalise(fn(T), T)
        except Exception as e:  # noqa: BLE001 - the exception *is* the result being compared
            out.error = (type(e).__name__, clean(str(e)))
    out.warnings = [(w.category.__name__, clean(str(w.message))) for w in caught]
    return out


def assert_same(ours: Any, ref: Any, path: str = "result") -> None:
    if isinstance(ref, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{path}: {ours!r} vs {ref!r}"
        assert ours.shape == ref.shape and ours.dtype == ref.dtype, f"{path}: {ours!r} vs {ref!r}"
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=path)
    elif isinstance(ref, float) and isinstance(ours, float):
        np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=path)
    elif isinstance(ref, (list, tuple)):
        assert type(ours) is type(ref) and len(ours) == len(ref), f"{path}: {ours!r} vs {ref!r}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(ref, dict):
        assert isinstance(ours, dict) and ours.keys() == ref.keys(), f"{path}: {ours!r} vs {ref!r}"
        for k in ref:
            assert_same(ours[k], ref[k], f"{path}[{k!r}]")
    else:
        assert type(ours) is type(ref) and ours == ref, f"{path}: {ours!r} vs {ref!r}"


def both(fn: Callable[[Any], Any]) -> Outcome:
    """Run a scenario on retrograd and on torch, assert identical outcomes, return torch's."""
    ours, ref = run(fn, retrograd), run(fn, _torch)
    assert ours.error == ref.error, f"exception differs:\n ours: {ours.error}\n torch: {ref.error}"
    assert ours.warnings == ref.warnings, (
        f"warnings differ:\n ours: {ours.warnings}\n torch: {ref.warnings}"
    )
    assert_same(ours.value, ref.value)
    return ref
