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
    import _thread
    import contextvars

    def _quiet_context() -> contextvars.Context:
        """A context of its own in which NumPy's error state is the quiet one (nothing else set:
        what runs in it is one NumPy call, which reads no other context variable)."""
        ctx = contextvars.Context()
        ctx.run(_EXTOBJ.set, _QUIET_STATE)
        return ctx

    # Running the call inside such a context costs no allocation: setting and resetting the
    # context variable would build a Token and two HAMT maps (GC-tracked objects) per op. A
    # Context can be entered by one thread at a time (a large ufunc or BLAS call releases the
    # GIL), so each thread has its own: the importing thread's is found by one comparison.
    _get_ident = _thread.get_ident
    _OWNER = _get_ident()
    _owner_run = _quiet_context().run
    _contexts = _thread._local()

    def quiet_op(fn, a, b):
        """``fn(a, b)`` under quiet(), for the hottest ops (add, sub, mul): ``fn`` is one NumPy
        call on arrays or numbers (it runs no retrograd code), run in this thread's quiet
        context: ~0.3 us, a quarter of the with-statement's cost."""
        if _get_ident() == _OWNER:
            return _owner_run(fn, a, b)
        run = getattr(_contexts, "run", None)
        if run is None:
            run = _contexts.run = _quiet_context().run
        return run(fn, a, b)
