"""retrograd.nn.functional: filled by ops registered with @export(functional=...)."""
from __future__ import annotations

from ..ops import nn as _ops_nn
from ..ops._registry import NAMESPACES as _NAMESPACES

_ops_nn.load_families()   # every nn op family registered (some load on first use)
globals().update(_NAMESPACES["nn.functional"])
