"""Test configuration shared by the whole suite.

Hypothesis profiles (``HYPOTHESIS_PROFILE`` picks one by name; otherwise ``ci`` when the ``CI``
environment variable is set, ``dev`` when it is not):

- ``ci`` and ``dev``: derandomized (the same examples on every run and every machine, so a red
  run is never luck) with no example database (nothing written into the repository). Each test
  keeps its own example count (``tests/_examples.py``). ``ci`` also prints the reproduction blob
  of a failure.
- ``long``: a random run with ``LONG_FACTOR`` times each test's examples, for looking for bugs
  (``HYPOTHESIS_PROFILE=long python -m pytest -q tests``); a failure prints the
  ``@reproduce_failure`` blob that replays it.

RETROGRAD_SHIM_TORCH=1 makes ``import retrograd`` resolve to torch itself. It exists only to
validate a new test against the reference before retrograd implements the feature (a test that
fails on torch is a wrong test); CI never sets it.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

# hypothesis' own cache (constants it reads from the source) goes outside the repository
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "retrograd-hypothesis")

LONG_FACTOR = 25

settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", derandomize=True, database=None, deadline=None)
settings.register_profile("long", derandomize=False, database=None, deadline=None,
                          print_blob=True, max_examples=LONG_FACTOR * 100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI")
                                                               else "dev"))

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
