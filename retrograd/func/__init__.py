"""retrograd.func (placeholder, filled by the functional-transforms work)."""
from __future__ import annotations
