"""F.linear: ``input @ weight.T + bias``, composed of existing ops so that the graph is PyTorch's.

PyTorch records, for a weight ``W`` (seen through ``TBackward0``):
- 2-D input with bias: ``AddmmBackward0``; without bias: ``MmBackward0``;
- other ranks with bias: ``ViewBackward0`` <- ``AddmmBackward0`` <- ``ViewBackward0`` of the input
  flattened to 2-D; without bias: ``matmul``'s own chain (``SqueezeBackward4`` for 1-D,
  ``UnsafeViewBackward0`` for 3-D and more).
"""
from __future__ import annotations

from .._registry import export
from .._util import Tensor
from ..linalg.matmul import matmul
from ..linalg.addmm import addmm
from ..shape.basic import reshape, t


@export(torch=False, functional=True, composite=True)
def linear(input, weight, bias=None):
    """y = x W^T + b; the gradients are those of addmm/matmul (dy/dx = W, dy/dW = x^T grad)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"linear(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not isinstance(weight, Tensor):
        raise TypeError(f"linear(): argument 'weight' (position 2) must be Tensor, not "
                        f"{type(weight).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear(): argument 'bias' (position 3) must be Tensor, not "
                        f"{type(bias).__name__}")
    if input.ndim == 0 or weight.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{input.ndim}D and {weight.ndim}D")
    if input.ndim > 2 and weight.ndim == 2 and input.shape[-1] != weight.shape[1]:
        rows = input.numel() // input.shape[-1] if input.shape[-1] else 0
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{input.shape[-1]} "
                           f"and {weight.shape[1]}x{weight.shape[0]})")
    wt = t(weight)
    if bias is None:
        return matmul(input, wt)
    if input.ndim == 2:
        return addmm(bias, input, wt)
    shape = input.shape
    out = addmm(bias, reshape(input, (-1, shape[-1])), wt)
    return reshape(out, (*shape[:-1], out.shape[-1]))
