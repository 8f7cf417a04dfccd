"""Gradients of per-example values inside a batched vmap: the level inputs of grad / vjp / jacrev
(batched leaves over every active level), ``autograd.grad`` on the physical graph, and a batch of
cotangents (``grads_batched``: ``autograd.grad(is_grads_batched=True)``)."""
from __future__ import annotations

import numpy as np

from .._size import Size
from .._tensor import Tensor
from ..autograd import grad as _grad
from ..ops._util import wrap
from ..ops.shape import basic as _S
from ..ops.shape.join import stack as _stack  # the public entry point a wrapper
from ._fresh_leaves import _own_leaf
from ._batched_tensor import (BatchedTensor, NoRule, _active, _bt, _full, _level_sizes, _lv,
                              _union)


# ------------------------------------------------------------------------------- transforms


def level_input(x, own: set):
    """A level input of grad/vjp/jacrev inside a batched vmap: a batched leaf (or an alias of
    ``x`` when it requires grad) over every active level, so that the physical gradient of the
    per-example outputs is the per-example gradient (each example has its own slice)."""
    levels = _active.get()
    if type(x) is BatchedTensor and not set(x._lv) <= set(levels):
        raise NoRule("input batched at an inactive level")
    sizes = _level_sizes([x], levels)
    p = _full(x, levels, sizes)
    if p._requires_grad:
        leaf = _S.view(p, tuple(p._data.shape))
    else:
        # (an expanded input stays expanded: the leaf is only read, by the rules' ops)
        leaf = Tensor._make(p._data).requires_grad_()
        _own_leaf(own, leaf)
    return _bt(leaf, levels)


def ones_leaf(o, own: set):
    """A leaf of ones shaped like the logical ``o``, batched over every active level."""
    dt = o._p._data.dtype if type(o) is BatchedTensor else o._data.dtype
    ones = Tensor._make(np.ones(tuple(o.shape), dt))
    return level_input(ones, own)


def zeros_like(t):
    if type(t) is BatchedTensor:
        return _bt(Tensor._make(np.zeros_like(t._p._data)), t._lv)
    return Tensor._make(np.zeros_like(t._data))


def phys(t):
    return t._p if type(t) is BatchedTensor else t


def rewrap(t, new_phys):
    return _bt(new_phys, t._lv) if type(t) is BatchedTensor else new_phys


def autograd_grad(outputs, inputs, grad_outputs, retain_graph=True):
    """``autograd.grad(outputs, inputs, grad_outputs, create_graph=True, allow_unused=True)``
    for per-example values: run on the physical graph. Every input must be a level input made
    by ``level_input`` (batched over the same levels), and every output and cotangent batched
    over a subset of those levels; otherwise the per-example path is taken (NoRule)."""
    levels = None
    for x in inputs:
        if type(x) is not BatchedTensor:
            raise NoRule("plain input of a batched gradient")
        if levels is None:
            levels = x._lv
        elif x._lv != levels:
            raise NoRule("inputs batched differently")
    lset = set(levels)
    sizes = _level_sizes(list(inputs), levels)
    pos, pgs = [], []
    for i, o in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if not set(_lv(o)) <= lset or (g is not None and not set(_lv(g)) <= lset):
            raise NoRule("output or cotangent batched at a level of no input")
        po = _full(o, levels, sizes)
        if g is None:
            if o.numel() != 1:
                raise NoRule("implicit gradient of a non-scalar")
            pg = Tensor._make(np.ones(po._data.shape, po._data.dtype))
        else:
            if tuple(g.shape) != tuple(o.shape):
                raise NoRule("cotangent shape")
            pg = _full(g, levels, sizes)
        pos.append(po)
        pgs.append(pg)
    res = _grad(pos, [x._p for x in inputs], pgs, retain_graph=retain_graph, create_graph=True,
                allow_unused=True)
    return tuple(None if r is None else _bt(r, levels) for r in res)


def grad_with_batched_cotangents(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                 allow_unused, materialize_grads):
    """``autograd.grad(outputs, inputs, v)`` inside a batched call where the outputs and inputs
    are plain tensors (a graph recorded outside vmap) and some cotangent ``v`` is batched
    (``vmap(lambda v: autograd.grad(y, x, v))(I)``, PyTorch's Jacobian recipe): the batch of
    VJPs, as ``autograd.grad(is_grads_batched=True)`` computes it, returned batched. None when
    no cotangent is batched (the ordinary path)."""
    if not _active.get() or not any(type(g) is BatchedTensor for g in grad_outputs):
        return None
    if any(type(t) is BatchedTensor for t in tuple(outputs) + tuple(inputs)):
        raise NoRule("autograd.grad of batched outputs or inputs")
    levels = _union(grad_outputs)
    sizes = _level_sizes(list(grad_outputs), levels)
    batch = tuple(sizes[l] for l in levels)
    n = int(np.prod(batch)) if batch else 1
    flat = []
    for o, g in zip(outputs, grad_outputs):
        if g is None:
            raise NoRule("implicit cotangent next to a batched one")
        if tuple(g.shape) != tuple(o.shape):
            raise NoRule("cotangent shape")
        p = _full(g, levels, sizes)
        flat.append(_S.reshape(p, (n,) + tuple(g.shape)))
    res = grads_batched(tuple(outputs), tuple(inputs), tuple(flat), retain_graph, create_graph,
                        allow_unused, materialize_grads)
    return tuple(None if r is None else _bt(_S.reshape(r, batch + tuple(r.shape[1:])), levels)
                 for r in res)


def grads_batched(outputs: tuple, inputs: tuple, grads: tuple, retain_graph, create_graph: bool,
                  allow_unused: bool, materialize_grads: bool) -> tuple:
    """``autograd.grad(..., is_grads_batched=True)``: the first dim of every grad_output is a
    batch of cotangents, and the result is the batch of vector-Jacobian products (PyTorch maps
    the engine's backward with vmap). The recorded graph is outside any batched call, so the
    backward cannot be batched by rules (its formulas run on NumPy arrays): one backward per
    cotangent, the graph kept until the last one; then stacked along dim 0 (differentiably with
    create_graph). Checks and messages are PyTorch's (``_make_grads`` with
    ``is_grads_batched``, then its vmap's input checks)."""
    import numpy as np
    grads_l, outputs_l = list(grads), list(outputs)
    made = []
    for out, g in zip(outputs, grads):
        if isinstance(g, Tensor):
            first = g[0]
            if tuple(first.shape) != tuple(out.shape):
                raise RuntimeError(
                    "If `is_grads_batched=True`, we interpret the first dimension of each "
                    "grad_output as the batch dimension. The sizes of the remaining dimensions "
                    "are expected to match the shape of corresponding output, but a mismatch was "
                    f"detected: grad_output[{grads_l.index(g)}] has a shape of "
                    f"{Size(first.shape[1:])} and output[{outputs_l.index(out)}] has a shape of "
                    f"{out.shape}. If you only want some tensors in `grad_output` to be considered "
                    "batched, consider using vmap.")
            made.append(g)
        elif g is None:
            if out.requires_grad:
                if out.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if not out.is_floating_point():
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
                made.append(wrap(np.ones(tuple(out.shape), _np_dtype(out))))
            else:
                made.append(None)
        else:
            raise TypeError(f"gradients can be either Tensors or None, but got {type(g).__name__}")
    prefix = "vmap(vjp, in_dims=0, ...)(<inputs>): "
    for g in made:
        if not isinstance(g, Tensor):
            raise ValueError(f"{prefix}Got in_dim=0 for an input but the input is of type "
                             f"{type(g)}. We cannot vmap over non-Tensor arguments, please use "
                             "None as the respective in_dim")
        if g.dim() == 0:
            raise ValueError(f"{prefix}Got in_dim=0 for some input, but that input is a Tensor of "
                             "dimensionality 0 so expected in_dim to satisfy 0 <= in_dim < 0.")
    sizes = [g.shape[0] for g in made]
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    n = sizes[0]
    if retain_graph is None:
        retain_graph = create_graph
    rows = []
    for i in range(n):
        rows.append(_grad(outputs, inputs, [g[i] for g in made],
                          retain_graph=True if i < n - 1 else retain_graph,
                          create_graph=create_graph, allow_unused=allow_unused))
    result = []
    for k, inp in enumerate(inputs):
        col = [r[k] for r in rows]
        if n == 0 or all(c is None for c in col):
            if materialize_grads:
                z = wrap(np.zeros(tuple(inp.shape), _np_dtype(inp)))
                result.append(z.requires_grad_() if create_graph else z)
            else:
                result.append(None)
            continue
        col = [c if c is not None else wrap(np.zeros(tuple(inp.shape), _np_dtype(inp)))
               for c in col]
        result.append(_stack(col, 0))
    return tuple(result)


def _np_dtype(t):
    return phys(t)._data.dtype
