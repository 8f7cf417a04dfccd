"""(placeholder: filled by the rest-of-autograd work)."""
from __future__ import annotations
