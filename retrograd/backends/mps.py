"""torch.backends.mps: Apple's Metal backend, absent here."""
from __future__ import annotations

__all__ = ["is_built", "is_available"]


def is_built() -> bool:
    return False


def is_available() -> bool:
    return False
