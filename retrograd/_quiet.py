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

    quiet_run = quiet_op

    def quiet_fallback(exc, fn, a, b):
        raise exc
else:
    import contextvars

    _set = _EXTOBJ.set
    _reset = _EXTOBJ.reset
    # A context of its own in which NumPy's error state is the quiet one (nothing else is set:
    # what runs in it is one NumPy call, which reads no other context variable). Running a call
    # in it costs no allocation, where setting and resetting the context variable builds a Token
    # and two HAMT maps (GC-tracked objects) per op.
    _CONTEXT = contextvars.Context()
    _CONTEXT.run(_set, _QUIET_STATE)
    quiet_run = _CONTEXT.run

    def quiet_fallback(exc: RuntimeError, fn, a, b):
        """``fn(a, b)`` under quiet() when ``quiet_run`` raised ``exc``: a Context is entered by
        one thread at a time, and another thread is inside it (a big ufunc or a BLAS call
        releases the GIL); any other RuntimeError is ``fn``'s own."""
        if not str(exc).startswith("cannot enter context"):
            raise exc
        token = _set(_QUIET_STATE)
        try:
            return fn(a, b)
        finally:
            _reset(token)

    def quiet_op(fn, a, b):
        """``fn(a, b)`` under quiet(), for hot ops: ``fn`` is one NumPy call on arrays or numbers
        (it runs no retrograd code). The hottest (add, sub, mul) inline this."""
        try:
            return quiet_run(fn, a, b)
        except RuntimeError as exc:
            return quiet_fallback(exc, fn, a, b)
