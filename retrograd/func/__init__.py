"""retrograd.func: PyTorch's composable function transforms (``torch.func``).

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``linearize``, ``jacrev``, ``jacfwd``,
``hessian``, ``vmap`` and ``functional_call``. The differentiating transforms are built on the
reverse-mode graph, forward-mode products by linear transposition of it (see
``_transforms.py``); ``vmap`` runs the function once on the batch through batching rules (see
``_batching.py``), or per batch element when it meets an op without a rule (see ``_vmap.py``).
"""
from __future__ import annotations

from ._functional_call import functional_call
from ._transforms import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, linearize, vjp
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian",
           "vmap", "functional_call"]

from .. import autograd as _autograd  # noqa: E402
from ._batching import grad_with_batched_cotangents as _cotangents  # noqa: E402
from ._vmap import grads_batched as _grads_batched  # noqa: E402

# what autograd.grad needs from vmap, handed over (autograd sits below func)
_autograd._BATCHED.update(cotangents=_cotangents, grads=_grads_batched)
