"""Margin and embedding losses (``torch.nn.functional``). Part of ``loss``."""
from __future__ import annotations
