"""Gradients of per-example values inside a batched vmap: the level inputs of grad / vjp / jacrev
(batched leaves over every active level) and ``autograd.grad`` on the physical graph."""
from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd import grad as _grad
from ..ops.shape import basic as _S
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
    from ._vmap import grads_batched
    res = grads_batched(tuple(outputs), tuple(inputs), tuple(flat), retain_graph, create_graph,
                        allow_unused, materialize_grads)
    return tuple(None if r is None else _bt(_S.reshape(r, batch + tuple(r.shape[1:])), levels)
                 for r in res)
