"""Graph introspection: ``Node`` is the base class of every ``grad_fn``."""
from __future__ import annotations

from .node import AccumulateGrad, Node  # noqa: F401

__all__ = ["Node"]
