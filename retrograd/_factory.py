"""What every factory shares (``_creation``, ``_random``, ``_random_sampling``): a tensor made
from an array (``_finish``: PyTorch's requires_grad check, inference mode), the size arguments
(``_shape``), the default dtype (``_dtype_or``), and the argument parser's error for a bad
combination (``invalid_combination``)."""
from __future__ import annotations

import numpy as np

from ._size import int_list
from ._tensor import Tensor

_make = Tensor._make
from ._grad_mode import _inference  # noqa: E402
_inference_enabled = _inference.get
_REQ_ERR = "Only Tensors of floating point and complex dtype can require gradients"


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    if requires_grad and arr.dtype.kind not in "fc":
        raise RuntimeError(_REQ_ERR)
    t = _make(arr, None, bool(requires_grad))
    if _inference_enabled():
        t._extra().inference = True
    return t


def _shape(size, fname: str = "empty") -> tuple:
    """The size arguments of a factory as a tuple of ints, with the errors of PyTorch's argument
    parser (``fname`` is the factory's name, as PyTorch's messages give it)."""
    out = int_list(size, fname)
    if any(s < 0 for s in out):
        if fname == "zeros":  # at::zeros checks before it allocates, with its own message
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        s = next(s for s in out if s < 0)
        raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(out)}")
    return tuple(out)


def _dtype_or(dtype, default) -> np.dtype:
    return (default if dtype is None else dtype).np


_FACTORY_OPTIONS = ("Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
                    "torch.device device = None, bool pin_memory = False, "
                    "bool requires_grad = False")


def invalid_combination(fn: str, got: tuple, signatures: tuple) -> TypeError:
    """PyTorch's argument parser's error when no overload matches."""
    names = ", ".join("Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in got)
    lines = "".join(f" * ({sig})\n" for sig in signatures)
    return TypeError(f"{fn}() received an invalid combination of arguments - got ({names}), but "
                     f"expected one of:\n{lines}")
