"""(placeholder: filled by the operator-coverage work)."""
from __future__ import annotations
