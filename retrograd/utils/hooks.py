"""torch.utils.hooks: ``RemovableHandle`` (defined in ``retrograd/_hooks.py``, a low layer, since
Tensor and Node return it)."""
from __future__ import annotations

from .._hooks import RemovableHandle

__all__ = ["RemovableHandle"]
