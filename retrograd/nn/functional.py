"""retrograd.nn.functional: filled by ops registered with @export(functional=...)."""
from __future__ import annotations

from ..ops import load_families as _load_families
from ..ops._registry import NAMESPACES as _NAMESPACES

_load_families(methods=False)   # every op family with nn.functional names registered
globals().update(_NAMESPACES["nn.functional"])
