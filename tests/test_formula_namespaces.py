"""The two formula namespaces: backward formulas call ``ns.<name>``, with ``ns`` the NumPy one
(retrograd/ops/numpy_ns.py) on the first-order path and the Tensor one (retrograd/ops/tensor_ns.py)
under create_graph=True, so both must offer the same names. A name only one of them has would
break only one of the two paths (the create_graph one is the easy one to miss)."""
from __future__ import annotations

import __future__
import re
from pathlib import Path

import pytest

import retrograd

if retrograd.__name__ == "torch":  # RETROGRAD_SHIM_TORCH=1: these are retrograd's internals
    pytest.skip("retrograd is the torch shim", allow_module_level=True)

from retrograd.ops import numpy_ns, tensor_ns  # noqa: E402


def _public(module) -> dict:
    return {name: value for name, value in vars(module).items() if not name.startswith("_")}


def test_both_namespaces_define_the_same_public_names():
    ours, theirs = _public(numpy_ns), _public(tensor_ns)
    assert sorted(set(ours) - set(theirs)) == [], "only in numpy_ns"
    assert sorted(set(theirs) - set(ours)) == [], "only in tensor_ns"


def test_every_public_name_is_a_function_in_both():
    """A helper imported under a public name (a module, a wrap function) would be part of the
    vocabulary by accident; the __future__ import every module has, and the INPLACE flag, are
    the exceptions."""
    for module in (numpy_ns, tensor_ns):
        odd = sorted(name for name, value in _public(module).items()
                     if not callable(value) and name != "INPLACE"
                     and not isinstance(value, type(__future__.annotations)))
        assert odd == [], f"{module.__name__}: public names that are not functions: {odd}"


def test_only_the_numpy_path_lets_formulas_write_into_their_temporaries():
    """``ns.INPLACE``: a formula may update the arrays it made itself in place (softmax's
    backward in one temporary); on the Tensor path that would hide the ops from the graph."""
    assert numpy_ns.INPLACE is True and tensor_ns.INPLACE is False


def test_every_name_a_formula_calls_is_in_both():
    used = set()
    for path in Path(retrograd.__file__).parent.rglob("*.py"):
        used |= set(re.findall(r"\bns\.([A-Za-z_]\w*)", path.read_text()))
    assert used, "no ns.<name> call found: the scan is broken"
    for module in (numpy_ns, tensor_ns):
        missing = sorted(used - set(_public(module)))
        assert missing == [], f"formulas call names {module.__name__} lacks: {missing}"
