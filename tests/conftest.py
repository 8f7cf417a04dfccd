"""Test configuration shared by the whole suite.

RETROGRAD_SHIM_TORCH=1 makes ``import retrograd`` resolve to torch itself. It exists only to
validate a new test against the reference before retrograd implements the feature (a test that
fails on torch is a wrong test); CI never sets it.
"""
from __future__ import annotations

import os
import sys

if os.environ.get("RETROGRAD_SHIM_TORCH") == "1":  # pragma: no cover - developer aid
    import torch
    import torch.autograd
    import torch.autograd.functional
    import torch.autograd.gradcheck
    import torch.autograd.graph
    import torch.nn.functional

    sys.modules["retrograd"] = torch
    for _name in list(sys.modules):
        if _name.startswith("torch."):
            sys.modules["retrograd" + _name[len("torch"):]] = sys.modules[_name]


import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _no_batching_rule_bugs():
    """An exception inside a vmap batching rule where the per-example run succeeds is a bug of
    the rule (vmap then falls back silently, which would only show as slowness): fail the test
    that met it."""
    if os.environ.get("RETROGRAD_SHIM_TORCH") == "1":  # pragma: no cover
        yield
        return
    from retrograd.func import _batching
    bugs = _batching.STATS["rule_bugs"]
    start = len(bugs)
    yield
    new = bugs[start:]
    del bugs[start:]
    assert not new, f"batching rule raised where the per-example run succeeded: {new}"
