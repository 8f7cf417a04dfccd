"""What the activation modules share: the argument checks of their inputs (PyTorch's messages),
float16 computed in float32, the ``inplace=`` dispatch."""
from __future__ import annotations

import numpy as np

from .._util import Tensor
from ..elementwise.unary import not_implemented_for
from ..inplace import apply_inplace


def _tensor(input, fn: str) -> np.ndarray:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input._data


def _floating(input, kernel: str, fn: str) -> np.ndarray:
    """The data of a floating-point input; PyTorch's kernel error for integer and bool ones."""
    x = _tensor(input, fn)
    if x.dtype.kind != "f":
        raise not_implemented_for(kernel, x.dtype)
    return x


def _opmath(x: np.ndarray) -> np.ndarray:
    """PyTorch computes float16 activations in float32 and rounds the result once."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _maybe_inplace(op, input, inplace, *args):
    return apply_inplace(input, op, *args) if inplace else op(input, *args)
