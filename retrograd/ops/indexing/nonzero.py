"""nonzero and argwhere: the positions of the nonzero elements."""
from __future__ import annotations

import numpy as np

from .._registry import export
from .._util import wrap


@export(torch='nonzero', method='nonzero')
def nonzero(input, *, as_tuple=False):
    x = input._data
    nz = np.nonzero(x.reshape(1) if x.ndim == 0 else x)
    if as_tuple:
        return tuple(wrap(a.astype(np.int64)) for a in nz)
    if x.ndim == 0:
        return wrap(np.zeros((nz[0].size, 0), np.int64))
    return wrap(np.stack(nz, axis=1).astype(np.int64))


@export(method=True)
def argwhere(input):
    return nonzero(input)
