"""F.cosine_similarity and F.pairwise_distance: PyTorch 2.13's compositions, so the graphs are
its graphs (cosine: each input divided by its own norm, clamped at ``eps`` outside autograd;
pairwise: ``at::norm(x1 - x2 + eps, p, -1, keepdim)``)."""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ..._dispatch import POINTWISE, public
from ..._grad_mode import no_grad
from ...autograd.node import ELEMENTWISE, Node
from .._registry import export
from .._util import Tensor, binary_arrays, broadcast_error, make_node, needs_grad1, wrap
from ..linalg_norm import vector_norm
from .norms import _norm


class AddBackward1(Node):
    """d(x + c)/dx = 1 for a Python number c (``at::add(Tensor, Scalar)``, the node of
    PyTorch's C++ composites; Python's ``x + c`` records AddBackward0)."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


def _add_scalar_impl(input, other):
    x, y = binary_arrays(input, other)
    out = x + y
    if not needs_grad1(input):
        return wrap(out)
    return wrap(out, make_node(AddBackward1, (input,), out))


# a public entry point (forward AD and vmap see it) under no torch name
_add_scalar = public(_add_scalar_impl, "_add_scalar", vmap=POINTWISE)


def _check_tensor(x, name: str, pos: int, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' (position {pos}) must be Tensor, not "
                        f"{type(x).__name__}")


@export(torch=True, functional=True, composite=True)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1/max(||x1||, eps) * x2/max(||x2||, eps)) along ``dim``; the clamps are not
    differentiated (PyTorch clamps a clone of each norm under no_grad)."""
    _check_tensor(x1, "x1", 1, "cosine_similarity")
    _check_tensor(x2, "x2", 2, "cosine_similarity")
    common = D.promote_types(x1.dtype, x2.dtype)
    if not common.is_floating_point:
        raise RuntimeError("expected common dtype to be floating point, yet common dtype is "
                           f"{common._legacy[:-6]}")
    try:
        size = tuple(np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape)))
    except ValueError:
        raise broadcast_error(tuple(x1.shape), tuple(x2.shape)) from None
    x1 = x1.to(common)
    x2 = x2.to(common)
    if tuple(x1.shape) != tuple(x2.shape):   # PyTorch expands both, or neither
        x1 = x1.expand(size)
        x2 = x2.expand(size)
    x1_norm = vector_norm(x1, 2, dim, True).clone()
    x2_norm = vector_norm(x2, 2, dim, True).clone()
    with no_grad():
        x1_norm.clamp_min_(eps)
        x2_norm.clamp_min_(eps)
    # PyTorch's C++ evaluates the right factor first (the order its saved tensors are packed in)
    right = x2 / x2_norm
    left = x1 / x1_norm
    return (left * right).sum(dim)


@export(torch=True, functional=True, composite=True)
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dim."""
    _check_tensor(x1, "x1", 1, "pairwise_distance")
    _check_tensor(x2, "x2", 2, "pairwise_distance")
    output_dim = max(x1.ndim, x2.ndim)
    innermost = output_dim - 1 if output_dim > 0 else None
    return _norm(_add_scalar(x1 - x2, eps), float(p), innermost, keepdim)  # p: a double
