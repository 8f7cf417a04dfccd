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


def int_arg_error(value, message: str, expected: str = "int") -> TypeError:
    """The TypeError for an int argument (a dim) of another type (or an ``expected`` one: "float",
    "bool"). The public wrapper of the op the user called renames it as PyTorch's argument
    parser words it (``_dispatch._named``)."""
    e = TypeError(message)
    e._rg_int_arg = value
    e._rg_expected = expected
    return e


def is_int(s) -> bool:
    """An int as PyTorch's parser takes one: a Python or NumPy integer, or a 0-d integer tensor
    (not a bool)."""
    if isinstance(s, (bool, np.bool_)):
        return False
    if isinstance(s, (int, np.integer)):
        return True
    data = getattr(s, "_data", None)
    return isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "iu"


def int_list(size: tuple, fname: str, arg: str = "size") -> tuple:
    """A ``*size`` argument (ints, or one tuple/list of ints) as PyTorch's argument parser reads
    it, with its TypeErrors; ``fname``/``arg`` name the function and parameter as it does."""
    packed = len(size) == 1 and isinstance(size[0], (tuple, list))
    if len(size) == 1 and not packed and not is_int(size[0]):
        raise TypeError(f"{fname}(): argument '{arg}' (position 1) must be tuple of ints, not "
                        f"{type(size[0]).__name__}")
    as_list = packed and isinstance(size[0], list)
    items = tuple(size[0]) if packed else size
    for i, s in enumerate(items):
        if not is_int(s):
            t = type(s).__name__
            raise TypeError(
                f"{fname}(): argument '{arg}' (position 1) must be tuple of ints, but found "
                f"element of type {t} at pos {i}" if as_list else
                f"{fname}(): argument '{arg}' failed to unpack the object at pos {i + 1} with "
                f"error \"type must be tuple of ints,but got {t}\"")
    return tuple(int(s) for s in items)


def wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, with PyTorch's IndexError when it is out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim > 0 else (-1, 0)
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise int_arg_error(dim, f"dim must be an int, not {type(dim).__name__}")
    if dim < lo or dim > hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                         f"but got {dim})")
    return dim % ndim if ndim > 0 else 0


def wrap_dims(dim, ndim: int) -> tuple:
    if isinstance(dim, (list, tuple)):
        try:
            dims = tuple(wrap_dim(d, ndim) for d in dim)
        except TypeError as e:
            raise _unpack_error(e, dim) from None
        if len(set(dims)) != len(dims):
            for d in dims:
                if dims.count(d) > 1:
                    raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        return dims
    return (wrap_dim(dim, ndim),)


def _unpack_error(e: TypeError, dims) -> TypeError:
    """A dim list with an element that is not an int, as PyTorch's parser words it (the public
    wrapper names the op and the argument: _dispatch._named)."""
    i = next((i for i, d in enumerate(dims)
              if isinstance(d, bool) or not isinstance(d, (int, np.integer))), 0)
    if not hasattr(e, "_rg_int_arg"):
        return e
    e._rg_int_arg = dims
    e._rg_unpack = (i, type(dims[i]).__name__)
    return e


def format_shape(shape) -> str:
    """A shape as PyTorch's messages print it: ``[2, 3]`` (``[]`` for a scalar)."""
    return "[" + ", ".join(str(s) for s in shape) + "]"
