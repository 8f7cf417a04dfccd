"""``once_differentiable``: a custom Function's backward that may not be differentiated again
(PyTorch's DelayedError node, ``Error``). Re-exported by ``autograd.function``."""
from __future__ import annotations

import functools

from .. import _grad_mode
from .._tensor import Tensor
from ._record import edge
from .node import Node


class Error(Node):
    """PyTorch's DelayedError node: stands for a backward that may not be differentiated again;
    running it raises."""

    __slots__ = ("msg", "num_outputs", "_out_meta")

    def name(self) -> str:
        return "torch::autograd::Error"

    def apply(self, ns, grads, as_tensors):
        raise RuntimeError(self.msg)


def _delayed_error(msg: str, outputs: tuple):
    """Outputs that look like ``outputs`` but whose grad_fn raises ``msg`` (DelayedError)."""
    leaves = []
    for v in outputs:
        if v is not None:
            v = Tensor._make(v._data, None, True, v._vc)
        leaves.append(v)
    node = Error(tuple(edge(v) if v is not None else (None, 0) for v in leaves), None, None)
    node.msg = msg
    node.num_outputs = len(leaves)
    node._out_meta = tuple(None if v is None else (v._data.shape, v._data.dtype) for v in leaves)
    res = []
    for i, v in enumerate(leaves):
        if v is None:
            res.append(None)
            continue
        t = Tensor._make(v._data, node, True, v._vc)
        if i:
            t._extra().out_nr = i
        res.append(t)
    return res[0] if len(res) == 1 else tuple(res)


def once_differentiable(fn):
    """Decorate a backward that is not itself differentiable: it runs under no_grad, and double
    backward through it raises PyTorch's error."""
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        with _grad_mode.no_grad():
            outputs = fn(ctx, *args, **kwargs)
        if not _grad_mode.is_grad_enabled():
            return outputs
        requires_grad = any(isinstance(a, Tensor) and a.requires_grad for a in args)
        if not requires_grad:
            return outputs
        outs = outputs if isinstance(outputs, tuple) else (outputs,)
        return _delayed_error("trying to differentiate twice a function that was marked with "
                              "@once_differentiable", outs)
    return wrapper
