"""retrograd.special: the torch.special namespace, filled by ops registered with @export(special=...)."""
from __future__ import annotations

from .ops._registry import NAMESPACES as _NAMESPACES

globals().update(_NAMESPACES["special"])
