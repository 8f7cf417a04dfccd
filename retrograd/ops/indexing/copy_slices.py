"""The node of ``x[key] = value`` (CopySlices), apart from ``setitem`` so that ``ops/inplace.py``
can build its view-rebase node on it without importing setitem (which uses inplace's helpers)."""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from .index_key import flat_positions
from .index_saves import _fill, _np_key


class CopySlices(Node):
    """x[key] = v: x's gradient is zero at key (unless accumulating); v's is the gradient at key
    (summed to v's shape). The key's index tensors are saved (PyTorch's ``indices``); ``index``
    is the key without them (see IndexBackward0). For a key mixing ints and tensors (``flat``),
    the gradient goes through the flat positions written."""
    __slots__ = ("index", "pos", "flat", "accumulate", "vndim")

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def backward(self, ns, grad, *indices):
        key = _fill(self.index, self.pos, indices)
        gx = gv = None
        g = grad
        if self.flat:
            shape = self._shape
            key = (flat_positions(shape, _np_key(key)),)
            g = ns.reshape(grad, (int(np.prod(shape, dtype=np.int64)),))
        if self.needs(0):
            if self.accumulate:
                gx = grad
            else:
                gx = ns.index_fill_zero(g, key)
                if self.flat:
                    gx = ns.reshape(gx, self._shape)
        if self.needs(1):
            gv = g[key]
            if self.vndim > gv.ndim:  # v may carry extra leading size-1 dims
                gv = ns.reshape(gv, (1,) * (self.vndim - gv.ndim) + tuple(gv.shape))
        return gx, gv
