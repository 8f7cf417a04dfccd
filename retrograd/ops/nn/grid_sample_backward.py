"""grid_sample's gradient under create_graph: PyTorch's backward kernel as one node.

``grid_sampler_2d_backward(grad_output, input, grid, ...)`` returns (grad_input, grad_grid), and
under create_graph PyTorch records both as the outputs 0 and 1 of one node,
``GridSampler2DBackwardBackward0`` (``GridSampler3DBackwardBackward0``), over (grad_output,
input, grid). Its values are the first-order formula's (grid_sample.py, on NumPy); its backward
is that formula written in ``ns`` operations (which makes every order of derivative work)
differentiated by the engine: on the NumPy path from fresh leaves that share the saved
tensors' data, on the create_graph path from the saved tensors themselves, so that the result
carries its graph for the next order.
"""
from __future__ import annotations

import numpy as np

from ..._dispatch import public
from ..._grad_mode import _set_grad_enabled, is_grad_enabled
from ..._tensor import Tensor
from ...autograd.engine import run_backward
from ...autograd.node import Node
from ...autograd._record import OPS, edge
from .._util import wrap
from ..shape.basic import view


class _GridSamplerBackwardBackward(Node):
    """One node, two outputs (grad_input, grad_grid), over (grad_output, input, grid)."""
    __slots__ = ("num_outputs", "_out_meta", "src")
    saved_names = ("grad_output", "grid", "input")
    saved_attrs = {"align_corners": lambda n: n.src.align_corners,
                   "interpolation_mode": lambda n: n.src.interpolation_mode,
                   "padding_mode": lambda n: n.src.padding_mode}

    def apply(self, ns, grads, as_tensors):
        return self.backward(ns, list(grads), *self.unpack(as_tensors))

    def backward(self, ns, grads, grad, grid, x):
        create = not ns.INPLACE
        if create:
            # views of the saved tensors: the engine stops there, so it gives this node's own
            # partial derivatives (not through the graphs that made grad, x and grid), and the
            # results stay differentiable in the saved tensors (the next order)
            prev = is_grad_enabled()
            _set_grad_enabled(True)
            try:
                args = [view(t, tuple(t.shape)) for t in (grad, x, grid)]
            finally:
                _set_grad_enabled(prev)
        else:   # leaves of a graph of its own (the results need none)
            args = [Tensor._make(np.asarray(a), None, True, None) for a in (grad, x, grid)]
        # (nearest: grad_grid is zero, nothing depends on the input; PyTorch gives it no gradient)
        wanted = [i for i in range(3) if self.needs(i) and args[i].requires_grad and
                  not (i == 1 and self.src.interpolation_mode == 1)]
        result: list = [None, None, None]
        if not wanted:
            return tuple(result)
        prev = is_grad_enabled()
        _set_grad_enabled(True)
        try:
            outs = self.src._backward(OPS.tensor_ns, args[0], args[2], args[1])
        finally:
            _set_grad_enabled(prev)
        roots, root_grads = [], []
        for o, g in zip(outs, grads):
            if o is not None and g is not None and o.requires_grad:
                roots.append(o)
                root_grads.append(g)
        if not roots:
            return tuple(result)
        got = run_backward(roots, root_grads, create, create, inputs=[args[i] for i in wanted],
                           accumulate=False)
        for i, g in zip(wanted, got):
            result[i] = g
        return tuple(result)


class GridSampler2DBackwardBackward0(_GridSamplerBackwardBackward):
    __slots__ = ()


class GridSampler3DBackwardBackward0(_GridSamplerBackwardBackward):
    __slots__ = ()


@public
def grid_sampler_backward(src, grad, grid, x):
    """(grad_input, grad_grid) of the first-order node ``src`` for the gradient ``grad``
    (Tensors: the create_graph path), recorded as PyTorch's node over (grad, x, grid)."""
    gx, gg = src.backward(OPS.numpy_ns, grad._data, grid._data, x._data)
    if not (grad.requires_grad or x.requires_grad or grid.requires_grad) or not is_grad_enabled():
        return (None if gx is None else wrap(gx)), (None if gg is None else wrap(gg))
    cls = GridSampler2DBackwardBackward0 if x.ndim == 4 else GridSampler3DBackwardBackward0
    node = cls(tuple(edge(t) for t in (grad, x, grid)), None, None)
    node.num_outputs = 2
    node._out_meta = ((x._data.shape, x._data.dtype), (grid._data.shape, grid._data.dtype))
    node.src = src
    node.save(grad, grid, x)
    res = []
    for k, a in enumerate((gx, gg)):
        if a is None:
            res.append(None)
            continue
        t = wrap(a, node)
        if k:
            t._extra().out_nr = k
        res.append(t)
    return tuple(res)
