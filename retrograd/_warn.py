"""Warnings attributed to the user's line: the first frame outside retrograd."""
from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message, category=UserWarning) -> None:
    """``warnings.warn`` with the stack level of the innermost caller outside the package (ops are
    reached through dispatch wrappers and each other, so a fixed ``stacklevel`` would point at
    retrograd's own code)."""
    level = 2  # stacklevel 1 is this function, 2 its caller
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE_DIR):
        f = f.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
