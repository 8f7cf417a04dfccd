"""retrograd.linalg: the torch.linalg namespace, filled by ops registered with @export(linalg=...)."""
from __future__ import annotations

from .ops._registry import NAMESPACES as _NAMESPACES

globals().update(_NAMESPACES["linalg"])
