"""retrograd.fft: the torch.fft namespace, filled by ops registered with @export(fft=...)."""
from __future__ import annotations

from .ops import load_families as _load_families
from .ops._registry import NAMESPACES as _NAMESPACES

_load_families()   # every op family registered (some load on first use)
globals().update(_NAMESPACES["fft"])
