"""The formula namespace for ``create_graph=True``: the same names as ``numpy_ns``, built from
retrograd ops, so running a backward formula records a graph (double backward, Hessians)."""
from __future__ import annotations

from .indexing import index_acc, index_fill_zero  # noqa: F401 - part of the namespace
from .linalg import matmul  # noqa: F401
from .pointwise import cos, log, sign, sin, where  # noqa: F401
from .reduction import sum as _sum
from .shape import expand as _expand
from .shape import flip, permute, reshape, transpose  # noqa: F401
from .shape import squeeze as _squeeze
from .shape import unsqueeze as _unsqueeze
from ._util import wrap


def expand(x, shape):
    return _expand(x, tuple(shape))


def unsqueeze_dims(x, dims):
    for d in sorted(d % (x.ndim + len(dims)) for d in dims):
        x = _unsqueeze(x, d)
    return x


def squeeze_dim(x, d):
    return _squeeze(x, d)


def count(mask):
    return _sum(mask)


def const(a):
    return wrap(a)


def zeros_like(x):
    import numpy as np
    return wrap(np.zeros_like(x._data))


def zeros(shape, dtype):
    import numpy as np
    return wrap(np.zeros(shape, dtype))


def stack(tensors, dim):
    from .shape import stack as _stack
    return _stack(tensors, dim)
