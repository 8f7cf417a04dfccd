"""retrograd.fft: the torch.fft namespace, filled by ops registered with @export(fft=...)."""
from __future__ import annotations

from .ops._registry import NAMESPACES as _NAMESPACES

globals().update(_NAMESPACES["fft"])
