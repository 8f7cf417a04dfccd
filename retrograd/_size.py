"""torch.Size: a tuple that prints as ``torch.Size([2, 3])``."""
from __future__ import annotations

from functools import reduce
from operator import mul

import numpy as np


class Size(tuple):
    __slots__ = ()

    def __repr__(self) -> str:
        return "torch.Size([" + ", ".join(str(s) for s in self) + "])"

    __str__ = __repr__

    def numel(self) -> int:
        return reduce(mul, self, 1)

    def __getitem__(self, key):
        res = tuple.__getitem__(self, key)
        return Size(res) if isinstance(key, slice) else res

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


def wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with PyTorch's IndexError when it is out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"dim must be an int, not {type(dim).__name__}")
    if dim < lo or dim > hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % ndim if ndim > 0 else 0


def wrap_dims(dim, ndim: int) -> tuple:
    if isinstance(dim, (list, tuple)):
        dims = tuple(wrap_dim(d, ndim) for d in dim)
        if len(set(dims)) != len(dims):
            for d in dims:
                if dims.count(d) > 1:
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return dims
    return (wrap_dim(dim, ndim),)


def format_shape(shape) -> str:
    """A shape as PyTorch's messages print it: ``[2, 3]`` (``[]`` for a scalar)."""
    return "[" + ", ".join(str(s) for s in shape) + "]"
