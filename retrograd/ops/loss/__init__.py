"""Loss functions of torch.nn.functional: regression losses and what every loss shares
(regression), binary cross entropy and friends (bce), nll/cross_entropy (nll), margin and
embedding losses (margin), ctc_loss (ctc), the torch.X forms (torch_forms).

Every loss family loads on first use (``_LAZY``, see ``retrograd/_lazy.py``;
``retrograd.ops.load_families()``): ``nn.functional`` loads them, and a ``torch.*`` name not
found yet (``torch.binary_cross_entropy_with_logits``, ``torch.ctc_loss``, ...).
"""
from __future__ import annotations

from ... import _lazy

_LAZY = {"regression": "regression", "nll": "nll", "bce": "bce", "margin": "margin",
         "torch_forms": "torch_forms", "ctc": "ctc"}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, globals())
