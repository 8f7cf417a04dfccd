"""Example counts of the hypothesis tests under the active profile (profiles: tests/conftest.py).

``@settings(max_examples=examples(60))``: 60 examples under the ``ci`` and ``dev`` profiles, and
proportionally more under ``long`` (whose ``max_examples`` is a multiple of hypothesis' default
of 100). An explicit ``max_examples`` in ``@settings`` overrides the profile's, so the tests
scale theirs through this function instead of fixing it.
"""
from __future__ import annotations

from hypothesis import settings

_DEFAULT = 100  # hypothesis' own max_examples, kept by the ci and dev profiles


def examples(n: int) -> int:
    return n * settings.default.max_examples // _DEFAULT
