"""The index tensors PyTorch saves for an advanced key (IndexBackward0, IndexPutBackward0,
IndexPutImplBackward0) and their ``_saved_indices`` as PyTorch shows them."""
from __future__ import annotations

import numpy as np

from .._util import Tensor, wrap


# -- the index tensors PyTorch saves (IndexBackward0, IndexPutBackward0, IndexPutImplBackward0) ----
def _bool_index(b: bool) -> Tensor:
    """What PyTorch indexes with for a bool scalar in a key: the positions it selects."""
    return wrap(np.zeros(1 if b else 0, np.int64))


def _index_saves(key, idx, setitem: bool = False) -> tuple:
    """(tensors, pos, template) for an advanced key: the index tensors PyTorch saves, in key
    order (the user's tensors themselves, a list as an int64 tensor, a bool scalar as the
    positions it selects); pos[i], where tensor i goes in ``idx`` for the formula (-1: a bool
    scalar, kept in the key as is); template: ``idx`` without those arrays."""
    if setitem and type(key) is bool:  # x[True] = v: PyTorch copies into a view, saves nothing
        return (), (), idx
    kt = key if isinstance(key, tuple) else (key,)
    ts, pos = [], []
    template = list(idx)
    for i, k in enumerate(idx):
        if isinstance(k, np.ndarray):
            if k.ndim == 0 and k.dtype.kind == "b":
                ts.append(_bool_index(bool(k)))
                pos.append(-1)
                continue
            orig = kt[i]
            ts.append(orig if isinstance(orig, Tensor) else wrap(k))
            pos.append(i)
            template[i] = None
        elif isinstance(k, bool):
            ts.append(_bool_index(k))
            pos.append(-1)
    return tuple(ts), tuple(pos), tuple(template)


def _rest_saves(key, rest, src) -> tuple:
    """(tensors, pos, template) for the tensor part ``rest`` of a key (see ``_plan``): the index
    tensors PyTorch saves (the user's tensors themselves, a list as an int64 tensor, a bool
    scalar as the positions it selects), where they go in ``rest``, and ``rest`` without them."""
    kt = key if isinstance(key, tuple) else (key,)
    ts, pos = [], []
    template = list(rest)
    for j, (k, i) in enumerate(zip(rest, src)):
        if i == -1:
            continue
        orig = kt[i] if i >= 0 else None
        ts.append(orig if isinstance(orig, Tensor) else wrap(k.astype(np.int64, copy=False)
                                                             if k.dtype.kind in "iu" else k))
        pos.append(j)
        template[j] = None
    return tuple(ts), tuple(pos), tuple(template)


def _fill(template, pos, values) -> tuple:
    """The key of ``template`` with the saved index ``values`` put back at ``pos``."""
    if not pos:
        return template
    key = list(template)
    for p, v in zip(pos, values):
        if p >= 0:
            key[p] = v
    return tuple(key)


def _np_key(key) -> tuple:
    """A key with its Tensors as their arrays (index positions are bookkeeping, not math)."""
    return tuple(k._data if isinstance(k, Tensor) else k for k in key)


def _saved_indices(node, template, pos, ndim: int) -> tuple:
    """``_saved_indices`` as PyTorch shows it: one entry per dim of the indexed view (x after the
    key's ints, with None's dims) up to the last index tensor, None where a dim is taken whole.
    ``ndim``: x's. (Arrays left in the key, from internal callers, show as tensors.)"""
    values = node.unpack(True)
    bools_saved = -1 in pos
    entries, j, used = [], 0, 0   # used: x's dims the key consumes
    for i, k in enumerate(template):
        bool_scalar = isinstance(k, bool) or (isinstance(k, np.ndarray) and k.ndim == 0
                                              and k.dtype.kind == "b")
        if i in pos or (bool_scalar and bools_saved):
            v = values[j]
            j += 1
        elif bool_scalar:
            v = _bool_index(bool(k))
        elif isinstance(k, np.ndarray):
            v = wrap(k)
        elif k is Ellipsis or k is None or isinstance(k, slice):
            entries.append(k)
            used += isinstance(k, slice)
            continue
        else:  # an int: its dim is gone
            used += 1
            continue
        if not bool_scalar:
            used += v.ndim if v._data.dtype.kind == "b" else 1
        entries.append(v)
    out = []
    for e in entries:
        if e is Ellipsis:
            out.extend([None] * max(ndim - used, 0))
        elif e is None or isinstance(e, slice):
            out.append(None)
        else:
            out.append(e)
    while out and out[-1] is None:
        out.pop()
    return tuple(out)
