"""retrograd.utils: hooks, checkpoint, data."""
from . import checkpoint, data, hooks  # noqa: F401
