"""Shape ops: basic views, cat/stack (basic), more views: split/narrow/diagonal/... (views),
storage geometry and as_strided (strided), rearranging copies (copy), einsum, F.pad (pad),
in-place view ops (inplace).

``pad`` (F.pad only) and ``einsum`` (torch.einsum; no Tensor method) load on first use
(``_LAZY``, see ``retrograd/_lazy.py``; ``retrograd.ops.load_families()``).
"""
from __future__ import annotations

from ... import _lazy

_LAZY = {"pad": "pad", "einsum": "einsum"}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, globals())
