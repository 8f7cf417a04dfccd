"""retrograd.utils: hooks, checkpoint."""
from . import checkpoint, hooks  # noqa: F401
