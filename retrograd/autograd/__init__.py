"""retrograd.autograd: backward(), grad(), and the graph's public pieces.

``backward`` and ``grad`` are in ``_backward.py``; what ``grad`` needs from vmap
(``retrograd.func``, a layer above) is handed over by ``func`` when it is imported
(``_BATCHED``)."""
from __future__ import annotations

from .._grad_mode import (enable_grad, inference_mode, no_grad, set_grad_enabled)  # noqa: F401
from . import anomaly_mode  # noqa: F401
from .anomaly_mode import detect_anomaly, set_detect_anomaly  # noqa: F401
from .engine import is_checkpoint_valid as _is_checkpoint_valid  # noqa: F401
from .gradcheck import GradcheckError, gradcheck, gradgradcheck  # noqa: F401
from .provenance import (Provenance, get_provenance, is_provenance_enabled,  # noqa: F401
                         provenance, set_provenance)
from ._backward import _BATCHED, backward, grad  # noqa: F401 - _BATCHED: func fills it
from .. import _lazy

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "graph", "Function", "detect_anomaly",
           "set_detect_anomaly", "functional", "Variable", "why_no_grad", "NoGradReason", "explain",
           "set_provenance", "provenance", "is_provenance_enabled", "get_provenance", "Provenance"]


def _load_func() -> None:
    """Import retrograd.func (vmap), which hands autograd.grad its batched paths (_BATCHED)."""
    from .. import func  # noqa: F401 - loaded on first use (retrograd._LAZY)


_BATCHED["load"] = _load_func

# loaded on first use (``retrograd/_lazy.py``): autograd.functional, autograd.graph, Variable,
# forward-mode AD, custom Functions, and retrograd's own diagnostics
_LAZY = {"functional": "functional", "graph": "graph", "Variable": "variable:Variable",
         "forward_ad": "forward_ad", "function": "function", "Function": "function:Function",
         "why_no_grad": "_why:why_no_grad", "NoGradReason": "_why:NoGradReason",
         "explain": "_explain:explain", "Explanation": "_explain:Explanation",
         "NodeRecord": "_explain:NodeRecord"}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, globals())
