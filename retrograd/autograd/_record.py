"""Graph recording: what an op's forward does to join the autograd graph. One call records an op
(PyTorch's ``autograd::Function`` node creation, Chainer's ``FunctionNode.apply``)::

    return record(AddBackward0, (input, other), out, alpha=alpha)     # any number of inputs
    return record1(SinBackward0, input, out, (input,))                 # one Tensor input
    return record2(MulBackward0, input, other, out, lambda n: (...))   # two inputs
    return record_view(TBackward0, input, out)                         # a view of ``input``

each returns the result Tensor: a plain one when no input needs a gradient (or grad mode is
off), else one whose ``grad_fn`` is a new ``cls`` node with edges to the inputs, the keyword
attributes set and ``save`` saved (see ``record``). The parts (``edge``, ``make_node``, ``wrap``,
``wrap_view``) remain for what the helpers do not fit: several differentiable outputs, nodes
whose gradient shapes differ from the result's, results built after the node.

This is autograd's own layer: the ops (``retrograd/ops/``, a layer above) call it, and it knows
nothing of them. What autograd needs *from* the ops layer -- the two formula namespaces, the
in-place helpers -- the ops layer hands over when it is imported (``provide``), so no module here
imports ``ops``.
"""
from __future__ import annotations

import weakref
from types import FunctionType as _FunctionType

import numpy as np

from .._grad_mode import _inference, is_grad_enabled
from .._tensor import Tensor, _Extra, _new
from . import node as _N
from .node import AccumulateGrad, Node, NotImplementedNode, SavedOutput, _stamp
from ._saved import _INFERENCE_SAVE

__all__ = ["edge", "needs_grad", "needs_grad1", "make_node", "wrap", "wrap_view", "record",
           "record1", "record2", "record_view", "RESULT", "CROSS", "VIEW_DEFAULT",
           "VIEW_NO_GRAD", "VIEW_INFERENCE", "VIEW_MULTI_OUTPUT", "VIEW_IN_CUSTOM_FUNCTION",
           "OPS", "provide", "not_implemented"]

_make = Tensor._make
_inference_enabled = _inference.get
_grad_enabled = is_grad_enabled
_ndarray = np.ndarray
_asarray = np.asarray
# For the helpers' inlined node construction (see ``_NODE_INIT`` below).
_NODE_INIT = Node.__init__
_PLAIN = _N.PLAIN
_next_seq = _N._next_seq


class _FromOps:
    """What the ops layer provides to autograd at import (see ``provide``): ``numpy_ns`` and
    ``tensor_ns`` (the formula namespaces of backward and forward-mode rules), and the in-place
    machinery that custom Functions and forward AD reuse (``regenerate_views``, ``bump_version``,
    ``copy_``). ``tensor_ns`` (only ``create_graph=True`` runs it) is imported on first use, by
    the ``load_tensor_ns`` the ops layer provides: ``import retrograd`` skips it."""
    __slots__ = ("numpy_ns", "_tensor_ns", "load_tensor_ns", "regenerate_views", "bump_version",
                 "copy_")

    def __init__(self):
        for name in self.__slots__:
            setattr(self, name, None)

    @property
    def tensor_ns(self):
        ns = self._tensor_ns
        if ns is None:
            ns = self._tensor_ns = self.load_tensor_ns()
        return ns


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


# -- one recording path -------------------------------------------------------------------------
class _Marker:
    """A constant of ``save`` (see ``record``)."""
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# In ``save``: the op's own result, saved as a ``SavedOutput`` (no reference from the node to the
# result tensor, which would be a cycle).
RESULT = _Marker("RESULT")
# ``save=CROSS`` of ``record2``: each input's gradient reads the other input (x*y, x/y's first
# input, dot): saves (b if a wants a gradient else None, a if b wants one else None).
CROSS = _Marker("CROSS")


def _save(node, save, res) -> None:
    """``node.save`` of ``save`` (see ``record``), ``RESULT`` standing for ``res``."""
    if save is RESULT:
        node.save(SavedOutput(res))
        return
    ts = type(save)
    if ts is _FunctionType:
        save = save(node)
        if save is None:
            return
        ts = type(save)
    if ts is not tuple:
        node.save(save)
        return
    for s in save:
        if s is RESULT:
            node.save(*[SavedOutput(res) if s is RESULT else s for s in save])
            return
    node.save(*save)


def _plain(out) -> Tensor:
    """``wrap(out)`` of an array: a result with no node."""
    t = _make(out, None, False, None)
    if _inference_enabled():
        t._extra().inference = True
    return t


def record(cls, inputs, out, save=None, /, **attrs) -> Tensor:
    """The result ``out`` (a NumPy array) of an op over ``inputs`` (Tensors or non-tensors, in
    the order of the node's inputs), recorded in the graph.

    With no input requiring grad, or grad mode off, it is a plain Tensor (``wrap(out)``).
    Otherwise it is the result of a new ``cls`` node: one edge per input (none for non-tensors),
    the keyword ``attrs`` set as node attributes, and ``save`` saved for the formula (``None``:
    nothing). ``save`` is one entry or a tuple of entries in the order of ``backward``'s
    arguments -- inputs, other tensors, ``RESULT`` (the result itself), Python constants -- or a
    function of the node that returns them (or None: save nothing), where what is saved depends
    on which inputs want a gradient (``lambda n: (x if n.needs(1) else None, RESULT)``) or costs
    work that only a recorded node needs. A constant that is itself a tuple goes in a tuple.
    """
    if type(out) is not _ndarray:
        out = _asarray(out)
    for t in inputs:
        if isinstance(t, Tensor) and t._requires_grad:
            if _grad_enabled():
                break
            return _plain(out)
    else:
        return _plain(out)
    node = _node(cls, tuple(edge(t) if isinstance(t, Tensor) else _NO_EDGE for t in inputs), out)
    if attrs:
        for k, v in attrs.items():
            setattr(node, k, v)
    vc = [0]
    res = _make(out, node, True, vc)
    if save is RESULT:
        _save_result(node, res, vc)
    elif save is not None:
        _save(node, save, res)
    return res


# -- the per-op fast path -----------------------------------------------------------------------
# What ``Node.__init__`` and ``Node.save`` do, inlined for the helpers' common cases: a node class
# that keeps Node's ``__init__`` (all but AccumulateGrad, which no op records), and saving while
# no saved-tensor hooks are pushed anywhere (``node._hooks_pushed`` is 0). A Python call costs
# about as much as the work itself on a 1-element op; any other case goes through the methods.

def _node(cls, edges, out):
    """``cls(edges, out.shape, out.dtype)`` (for ``record``; record1/record2 inline this)."""
    if cls.__init__ is not _NODE_INIT:
        return cls(edges, out.shape, out.dtype)
    node = _new(cls)
    node.next_functions = edges
    node._seq = _next_seq()
    node._saved = node._versions = node._x = None
    node._shape = out.shape
    node._dtype = out.dtype
    if _N._stamp_nodes:
        _stamp(node)
    return node


def _save_result(node, res: Tensor, vc: list) -> None:
    """``node.save(SavedOutput(res))`` for ``node``'s fresh result ``res`` (version counter
    ``vc``, at 0). (record1 inlines this; there and in record2 the result Tensor is built inline
    too, as ``Tensor._make`` does: tests/test_record_fastpath.py checks that every slot is set.)"""
    if _N._hooks_pushed:
        node.save(SavedOutput(res))
    else:
        so = _new(SavedOutput)
        so.data = res._data
        so.version = vc
        so.saved_version = 0
        node._saved = (so,)
        node._versions = (0,)


def record1(cls, input, out, save=None, /, **attrs) -> Tensor:
    """``record(cls, (input,), out, save, **attrs)`` for one Tensor input (the fast path)."""
    if type(out) is not _ndarray:
        out = _asarray(out)
    if not input._requires_grad or not _grad_enabled():
        return _plain(out)
    fn = input._grad_fn   # edge(input) inlined as in record2
    x = input._x
    if x is None:
        e = (fn, 0) if fn is not None else edge(input)
    elif fn is None and x.base is None and x.acc is not None and (acc := x.acc()) is not None:
        e = (acc, 0)
    else:
        e = edge(input)
    if cls in _PLAIN:   # _node inlined
        node = _new(cls)
        node.next_functions = (e,)
        node._seq = _next_seq()
        node._saved = node._versions = node._x = None
        node._shape = out.shape
        node._dtype = out.dtype
        if _N._stamp_nodes:
            _stamp(node)
    else:
        node = cls((e,), out.shape, out.dtype)
    if attrs:
        for k, v in attrs.items():
            setattr(node, k, v)
    res = _new(Tensor)          # _make(out, node, True) inlined
    res._data = out
    res._grad_fn = node
    res._requires_grad = True
    res._grad = None
    vc = res._vc = [0]
    res._x = None
    res._fw = None
    if save is None:
        return res
    if save is RESULT:          # _save_result inlined
        if _N._hooks_pushed:
            node.save(SavedOutput(res))
        else:
            so = _new(SavedOutput)
            so.data = out
            so.version = vc
            so.saved_version = 0
            node._saved = (so,)
            node._versions = (0,)
        return res
    if save is input:
        if _N._hooks_pushed:
            node.save(input)
        else:
            x = input._x
            if x is not None and x.inference:
                raise RuntimeError(_INFERENCE_SAVE)
            node._saved = (input,)
            node._versions = (input._vc[0],)
    else:
        _save(node, save, res)
    return res


def record2(cls, a, b, out, save=None, /, **attrs) -> Tensor:
    """``record(cls, (a, b), out, save, **attrs)`` for two inputs (Tensors or non-tensors);
    ``save`` may also be ``CROSS``."""
    if type(out) is not _ndarray:
        out = _asarray(out)
    ra = isinstance(a, Tensor) and a._requires_grad
    rb = isinstance(b, Tensor) and b._requires_grad
    if not (ra or rb) or not _grad_enabled():
        return _plain(out)
    # edge(a), edge(b) inlined for an op's result that is no view (its own node) and a leaf
    # whose grad accumulator exists (and is no view); anything else goes through edge's checks
    if ra:
        fn = a._grad_fn
        x = a._x
        if x is None:
            ea = (fn, 0) if fn is not None else edge(a)
        elif fn is None and x.base is None and x.acc is not None and (acc := x.acc()) is not None:
            ea = (acc, 0)
        else:
            ea = edge(a)
    else:
        ea = _NO_EDGE
    if rb:
        fn = b._grad_fn
        x = b._x
        if x is None:
            eb = (fn, 0) if fn is not None else edge(b)
        elif fn is None and x.base is None and x.acc is not None and (acc := x.acc()) is not None:
            eb = (acc, 0)
        else:
            eb = edge(b)
    else:
        eb = _NO_EDGE
    if cls in _PLAIN:   # _node inlined
        node = _new(cls)
        node.next_functions = (ea, eb)
        node._seq = _next_seq()
        node._saved = node._versions = node._x = None
        node._shape = out.shape
        node._dtype = out.dtype
        if _N._stamp_nodes:
            _stamp(node)
    else:
        node = cls((ea, eb), out.shape, out.dtype)
    if attrs:
        for k, v in attrs.items():
            setattr(node, k, v)
    res = _new(Tensor)          # _make(out, node, True) inlined
    res._data = out
    res._grad_fn = node
    res._requires_grad = True
    res._grad = None
    vc = res._vc = [0]
    res._x = None
    res._fw = None
    if save is None:
        return res
    if save is RESULT:
        _save_result(node, res, vc)
        return res
    if save is CROSS:
        sa = b if ea[0] is not None else None
        sb = a if eb[0] is not None else None
        if _N._hooks_pushed:
            node.save(sa, sb)
            return res
        # Node.save of (sa, sb): each a Tensor, a Python scalar or None
        if isinstance(sa, Tensor):
            x = sa._x
            if x is not None and x.inference:
                raise RuntimeError(_INFERENCE_SAVE)
            va = sa._vc[0]
        else:
            va = None
        if isinstance(sb, Tensor):
            x = sb._x
            if x is not None and x.inference:
                raise RuntimeError(_INFERENCE_SAVE)
            vb = sb._vc[0]
        else:
            vb = None
        node._saved = (sa, sb)
        node._versions = (va, vb)
    else:
        _save(node, save, res)
    return res


def record_view(cls, input, out, save=None, /, **attrs) -> Tensor:
    """``record1`` for a result that is a view of ``input`` (shares its storage): see
    ``wrap_view``; without grad it is still a view, with ``input``'s version counter."""
    if not input._requires_grad or not _grad_enabled():
        return wrap_view(out, None, input)
    if type(out) is not _ndarray:
        out = _asarray(out)
    node = _node(cls, (edge(input),), out)
    if attrs:
        for k, v in attrs.items():
            setattr(node, k, v)
    res = wrap_view(out, node, input)
    if save is not None:
        _save(node, save, res)
    return res
