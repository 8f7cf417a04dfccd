"""retrograd.nn (modules come with the nn issue; functional ops are here already)."""
from . import functional  # noqa: F401
from . import init  # noqa: F401
