"""retrograd.utils: hooks, checkpoint, data (``data`` and ``checkpoint`` load on first use)."""
from __future__ import annotations

from . import hooks  # noqa: F401
from .. import _lazy

_LAZY = {"checkpoint": "checkpoint", "data": "data"}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, globals())
