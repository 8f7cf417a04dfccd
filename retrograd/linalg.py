"""retrograd.linalg: the torch.linalg namespace, filled by ops registered with @export(linalg=...)."""
from __future__ import annotations

from .ops import load_method_families as _load_method_families
from .ops._registry import NAMESPACES as _NAMESPACES

_load_method_families("linalg.")   # the families with linalg names that load on first use
globals().update(_NAMESPACES["linalg"])
