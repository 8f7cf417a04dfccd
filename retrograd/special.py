"""retrograd.special: the torch.special namespace, filled by ops registered with @export(special=...)."""
from __future__ import annotations

from .ops import load_method_families as _load_method_families
from .ops._registry import NAMESPACES as _NAMESPACES

_load_method_families("elementwise.", "activation.")   # the lazy families with special names
globals().update(_NAMESPACES["special"])
