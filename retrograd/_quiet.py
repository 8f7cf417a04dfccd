"""IEEE arithmetic without NumPy's floating-point warnings, cheaply: PyTorch computes x/0 = inf,
inf - inf = nan and overflow to inf silently; ``np.errstate`` costs ~4 us a use, setting NumPy's
error-state context variable ~0.3 us. Used by the ops and by the engine around every backward."""
from __future__ import annotations

import numpy as np

try:  # NumPy >= 2 keeps its error state in a context variable: setting it costs ~0.3 us,
    from numpy._core._ufunc_config import _extobj_contextvar as _EXTOBJ  # np.errstate ~4 us
    with np.errstate(all="ignore"):
        _QUIET_STATE = _EXTOBJ.get()
except (ImportError, AttributeError):  # pragma: no cover - another NumPy layout
    _EXTOBJ = None


class _Quiet:
    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _EXTOBJ.set(_QUIET_STATE)

    def __exit__(self, *exc):
        _EXTOBJ.reset(self._token)


def quiet():
    """``with quiet():`` -- IEEE results (x/0 = inf, inf - inf = nan, overflow to inf) without
    NumPy's RuntimeWarnings, as PyTorch computes them. Cheap enough for the per-op path."""
    if _EXTOBJ is None:  # pragma: no cover
        return np.errstate(all="ignore")
    return _Quiet()


if _EXTOBJ is None:  # pragma: no cover - another NumPy layout
    def quiet_op(fn, a, b):
        """``fn(a, b)`` under quiet() (see below)."""
        with np.errstate(all="ignore"):
            return fn(a, b)
else:
    _set = _EXTOBJ.set
    _reset = _EXTOBJ.reset

    def quiet_op(fn, a, b):
        """``fn(a, b)`` under quiet(), for the hottest ops (add, sub, mul): ~0.6 us, half the
        cost of the with-statement (the context variable's methods bound once, no check of the
        NumPy layout per call)."""
        token = _set(_QUIET_STATE)
        try:
            return fn(a, b)
        finally:
            _reset(token)
