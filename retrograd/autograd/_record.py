"""Graph recording: what an op's forward does to join the autograd graph -- the edges to its
inputs (``edge``), the node (``make_node``), the result tensor (``wrap``, ``wrap_view`` for results
that share their input's storage), and a leaf's ``AccumulateGrad`` (``Tensor._grad_accumulator``).

This is autograd's own layer: the ops (``retrograd/ops/``, a layer above) call it, and it knows
nothing of them. What autograd needs *from* the ops layer -- the two formula namespaces, the
in-place helpers -- the ops layer hands over when it is imported (``provide``), so no module here
imports ``ops``.
"""
from __future__ import annotations

import weakref

import numpy as np

from .._grad_mode import _inference, is_grad_enabled
from .._tensor import Tensor, _Extra
from .node import AccumulateGrad, NotImplementedNode

__all__ = ["edge", "needs_grad", "needs_grad1", "make_node", "wrap", "wrap_view", "VIEW_DEFAULT",
           "VIEW_NO_GRAD", "VIEW_INFERENCE", "VIEW_MULTI_OUTPUT", "VIEW_IN_CUSTOM_FUNCTION",
           "OPS", "provide", "not_implemented"]

_make = Tensor._make
_inference_enabled = _inference.get
_ndarray = np.ndarray
_asarray = np.asarray


class _FromOps:
    """What the ops layer provides to autograd at import (see ``provide``): ``numpy_ns`` and
    ``tensor_ns`` (the formula namespaces of backward and forward-mode rules), and the in-place
    machinery that custom Functions and forward AD reuse (``regenerate_views``, ``bump_version``,
    ``copy_``)."""
    __slots__ = ("numpy_ns", "tensor_ns", "regenerate_views", "bump_version", "copy_")

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, None)


OPS = _FromOps()


def provide(**parts) -> None:
    """Called by ``retrograd/ops`` when it is imported: hands autograd what it needs from there."""
    for name, value in parts.items():
        setattr(OPS, name, value)


def _grad_accumulator(self: Tensor, create: bool = True):
    """The AccumulateGrad node of a leaf that requires grad (one per leaf while alive)."""
    x = self._x
    acc = None if x is None or x.acc is None else x.acc()
    if acc is None and create and self._requires_grad and self.grad_fn is None and \
            not (x is not None and x.via_base):  # such a view has no accumulator (PyTorch)
        acc = AccumulateGrad(self)
        self._extra().acc = weakref.ref(acc)
    return acc


Tensor._grad_accumulator = _grad_accumulator


def edge(t: Tensor):
    """(node, output index) that receives the gradient of ``t``; (None, 0) for constants."""
    x = t._x
    if x is None:
        fn = t._grad_fn       # (no view: nothing to regenerate, the slot itself)
        if fn is not None:
            return (fn, 0)
    else:
        fn = t.grad_fn
        if fn is not None:
            return (fn, x.out_nr)
    if t._requires_grad:
        x = t._x
        acc = None if x is None or x.acc is None else x.acc()
        return (acc if acc is not None else t._grad_accumulator(), 0)
    return (None, 0)


def needs_grad1(x: Tensor) -> bool:
    return x._requires_grad and is_grad_enabled()


def needs_grad(*ts) -> bool:
    for t in ts:
        if isinstance(t, Tensor) and t._requires_grad:
            return is_grad_enabled()
    return False


_NO_EDGE = (None, 0)


def make_node(cls, inputs, out: np.ndarray):
    """A node of class ``cls`` whose edges lead to ``inputs`` (Tensors or non-tensors)."""
    if len(inputs) == 1:
        return cls((edge(inputs[0]),), out.shape, out.dtype)
    return cls(tuple(edge(t) if isinstance(t, Tensor) else _NO_EDGE for t in inputs),
               out.shape, out.dtype)


def wrap(out, node=None, vc=None) -> Tensor:
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _make(out, node, node is not None, vc)
    if node is None and _inference_enabled():
        t._extra().inference = True
    return t


# How a view was created (PyTorch's CreationMeta): an in-place op on a view that is not DEFAULT
# raises, see ops/inplace.py.
VIEW_DEFAULT, VIEW_NO_GRAD, VIEW_INFERENCE, VIEW_MULTI_OUTPUT = 0, 1, 2, 3
VIEW_IN_CUSTOM_FUNCTION = 4  # set by autograd.Function for the views it returns
_weakref = weakref.ref


def wrap_view(out, node, base: Tensor, multi_output: bool = False) -> Tensor:
    """A result that shares ``base``'s storage: same version counter, ``_base`` recorded.

    ``_base`` is always the root (views of views chain to it), and the root keeps a weak list of
    its views so that an in-place change of the storage can update their ``grad_fn``. Pieces of
    a function that returns several views (unbind, split) pass ``multi_output=True`` (a node with
    ``num_outputs > 1`` implies it)."""
    if type(out) is not _ndarray:
        out = _asarray(out)
    t = _make(out, node, node is not None, base._vc)
    x = t._x = _Extra()
    bx = base._x
    if bx is None or bx.base is None:
        root, prev = base, VIEW_DEFAULT
    else:
        root, prev = bx.base, bx.view_meta
    x.base = root
    if bx is not None and bx.inference:
        x.inference = True  # a view of an inference tensor is one; other views made there are not
    if node is not None:
        meta = VIEW_MULTI_OUTPUT if multi_output or node.num_outputs > 1 else VIEW_DEFAULT
    elif _inference_enabled():
        meta = VIEW_INFERENCE
    elif not is_grad_enabled():
        meta = VIEW_NO_GRAD
    else:
        meta = VIEW_MULTI_OUTPUT if multi_output else VIEW_DEFAULT
    if meta == VIEW_DEFAULT or prev == VIEW_INFERENCE:  # PyTorch's propagate_creation_meta
        meta = prev
    x.view_meta = meta
    if node is None and root._requires_grad:
        t._requires_grad = x.via_base = True  # requires grad through its base, no grad_fn
    rx = root._x
    if rx is None:
        rx = root._x = _Extra()
    x.gen = rx.gen
    if not root._requires_grad:
        rx.views_lazy = False     # (this view must be updated when the root starts to need grad)
    views = rx.views
    if views is None:
        rx.views = [_weakref(t)]
    else:
        views.append(_weakref(t))
        n = len(views)
        if n >= 16 and not n & (n - 1):  # at powers of two: drop the dead (amortised O(1))
            rx.views = [r for r in views if r() is not None]
    return t


def not_implemented(op: str, inputs, out):
    """Record a NotImplemented node for ``op`` over the tensor ``inputs`` (see above)."""
    edges = []
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            edges.append(edge(t))
    node = NotImplementedNode(tuple(edges), out.shape, out.dtype)
    node.op = op
    return node
