"""retrograd.nn.functional: filled by ops registered with @export(functional=...)."""
from __future__ import annotations

from ..ops._registry import NAMESPACES as _NAMESPACES

globals().update(_NAMESPACES["nn.functional"])
