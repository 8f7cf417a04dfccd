"""The golden misuse suite's harness: each case is ``fn(T)`` run with ``T=retrograd`` and with
``T=torch`` in the same test; the exception type and message, the warnings (category and
message), or the result must be the same.

Messages are compared whole. The only normalisation is ``_both.clean``: memory addresses are
masked, torch's "(Triggered internally at ...)" C++ location suffix on warnings is dropped, and a
printed set of strings lists its elements sorted (Python prints a set in hash order, which changes
with PYTHONHASHSEED and with the process that compiled the .pyc).

A case PyTorch does differently on purpose is listed in the file's ``DIFFERENT`` table with the
reason; the test then asserts that the outcomes still differ, so a stale entry fails."""
from __future__ import annotations

from typing import Any, Callable

import torch

import retrograd
from _both import assert_same, clean, run

COMPLEX = "complex dtypes are out of scope (README: NumPy-only runtime, no complex dtypes)"
_PLAIN = (type(None), bool, int, float, str, tuple, list, dict)
# torch compiles some of its own helpers with torch.jit.script the first time they are used and
# warns about that (once per process); that is torch's internals, not the user's misuse.
_TORCH_INTERNAL = ("`torch.jit.script` is deprecated",)
# torch raises these with TORCH_WARN_ONCE: once per process, so whether torch shows one in a case
# depends on what ran before. retrograd warns every time; a warning of ours that torch did not
# give is accepted only if it starts with one of these texts (each verified against torch 2.13,
# and compared whole whenever torch does give it).
_WARN_ONCE = (
    "Tensor.T is deprecated on 0-D tensors.",
    "Tensor.mT is deprecated on 0-D tensors.",
    "Tensor.mH is deprecated on 0-D tensors.",
    "Tensor.H is deprecated on 0-D tensors.",
    "The use of `x.T` on tensors of dimension other than 2",
    "where received a uint8 condition tensor.",
)


def _plain(value: Any, T: Any) -> Any:
    """Results that ``_both.normalise`` compares as data stay; any other object (an optimizer,
    a module, a generator, a function) is compared by its repr, addresses masked."""
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v, T) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v, T) for k, v in value.items()}
    if isinstance(value, _PLAIN + (T.Tensor, T.dtype)):
        return value
    return clean(repr(value))


def _run(fn: Callable[[Any], Any], T: Any):
    out = run(lambda T: _plain(fn(T), T), T)
    out.warnings = [w for w in out.warnings if not w[1].startswith(_TORCH_INTERNAL)]
    return out


def _same(ours, ref) -> str | None:
    """None when the two outcomes agree, else a description of the first difference."""
    if ours.error != ref.error:
        return f"exception differs:\n ours:  {ours.error}\n torch: {ref.error}"
    if ref.warnings != ours.warnings and ref.warnings != [
            w for w in ours.warnings if w in ref.warnings or not w[1].startswith(_WARN_ONCE)]:
        return f"warnings differ:\n ours:  {ours.warnings}\n torch: {ref.warnings}"
    try:
        assert_same(ours.value, ref.value)
    except AssertionError as e:
        return f"result differs: {e}"
    return None


def check(cases: dict[str, Callable[[Any], Any]], different: dict[str, str], name: str) -> None:
    """Run case ``name`` on both libraries: the same outcome, or (for a ``different`` entry) a
    different one."""
    fn = cases[name]
    ours, ref = _run(fn, retrograd), _run(fn, torch)
    problem = _same(ours, ref)
    if name in different:
        assert problem is not None, f"{name} now behaves as torch; remove it from DIFFERENT"
    else:
        assert problem is None, problem
