"""Indexing: ``x[key]`` with ints, slices, None, Ellipsis, integer tensors and boolean masks, and
``x[key] = value``. Repeated indices accumulate in backward (np.add.at), as in PyTorch.

Here: getitem, its nodes and views, index_acc (its backward). The key's conversion, checks and
view plan: ``index_key.py``; the index tensors saved: ``index_saves.py``; ``x[key] = v``:
``setitem.py``.
"""
from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ...autograd.node import Node
from ...autograd.node import LINEAR
from .._util import Tensor, needs_grad, needs_grad1, u64, wrap, wrap_view
from ...autograd._record import record1, record_view
from ..._dispatch import public
from ..shape.basic import UnsqueezeBackward0
from .scatter import scalar_name
from ..shape.basic import expand
from ..shape.basic import view
from ..elementwise.compare import where
from .index_key import (_basic_plan, _check_masks, _convert_key, _has_int, _has_view_ops,
                        _index_error, _plan, _split_key)
from .index_key import flat_positions  # noqa: F401 - setitem.py imports it from here
from .index_saves import _fill, _index_saves, _np_key, _rest_saves, _saved_indices
from .nonzero import argwhere, nonzero  # noqa: F401 - in __all__
from ..._dispatch import public as _public



def _step(node) -> tuple:
    """The view op of a select / slice node made by indexing (its key is PyTorch's single step,
    possibly after whole-dim slices)."""
    steps = _basic_plan(node.index, node.shape)
    return steps[0] if steps else _basic_plan(node.index, node.shape, True)[0]


def _slice_args(node) -> tuple:
    raw = getattr(node, "raw", None)
    return raw if raw is not None else _step(node)[1:]


class _IndexBackward(Node):
    """d x[key] / dx: the gradient placed at key in zeros of x's shape (repeats accumulate)."""
    __slots__ = ("shape", "index")

    def backward(self, ns, grad):
        return (ns.index_acc(self.shape, self.index, grad),)


class IndexBackward0(_IndexBackward):
    """x[key] with tensors in the key (after the key's ints, slices and None, applied as views
    first). Saves the index tensors (PyTorch's ``indices``), in key order; ``index`` is the
    NumPy key with those positions (``pos``) left to fill from them at backward."""
    jvp = LINEAR
    __slots__ = ("pos",)
    saved_attrs = {"indices": lambda n: _saved_indices(n, n.index, n.pos, len(n.shape)),
                   "self_sym_sizes": "shape"}

    def backward(self, ns, grad, *indices):
        return (ns.index_acc(self.shape, _fill(self.index, self.pos, indices), grad),)


class SelectBackward0(_IndexBackward):
    __slots__ = ()
    saved_attrs = {"dim": lambda n: _step(n)[1], "index": lambda n: u64(_step(n)[2]),
                   "self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # PyTorch's select_backward: a node of its own under create_graph
            return (_view_backward(SelectBackwardBackward0, self, grad, ("dim", "index")),)
        return (ns.index_acc(self.shape, self.index, grad),)


class SliceBackward0(_IndexBackward):
    """``raw``: (dim, start, end, step) as an op other than indexing gave them (narrow,
    tensor_split); unset for indexing, whose key gives them."""
    __slots__ = ("raw",)
    saved_attrs = {"dim": lambda n: u64(_slice_args(n)[0]),
                   "start": lambda n: u64(_slice_args(n)[1]),
                   "end": lambda n: u64(_slice_args(n)[2]),
                   "step": lambda n: u64(_slice_args(n)[3]), "self_sym_sizes": "shape"}

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: PyTorch's slice_backward kernel, one node
            return (ns.slice_backward(grad, self.shape, self.index, _slice_args(self)),)
        return (ns.index_acc(self.shape, self.index, grad),)


class SliceBackwardBackward0(Node):
    """slice's backward as an op (at::slice_backward, what create_graph records): the gradient
    placed at the slice in zeros. Linear; its own backward slices again. ``index``: the NumPy
    key of the slice; ``args``: its (dim, start, end, step), PyTorch's saved values."""
    jvp = LINEAR
    __slots__ = ("index", "args")
    saved_attrs = {"dim": lambda n: u64(n.args[0]), "start": lambda n: u64(n.args[1]),
                   "end": lambda n: u64(n.args[2]), "step": lambda n: u64(n.args[3])}

    def backward(self, ns, grad):
        return (grad[self.index],)


def _slice_backward(grad, shape, index, args):
    out = np_index_acc(tuple(shape), index, grad._data)
    return record1(SliceBackwardBackward0, grad, out, index=index, args=tuple(args))


slice_backward = public(_slice_backward, "slice_backward")


def view_backward(cls, node, grad: Tensor, names) -> Tensor:
    """select_backward / slice_backward of ``node`` (a SelectBackward0 / SliceBackward0) as one
    recorded op: ``grad`` placed at the view's position in zeros of the input's shape, saving
    what PyTorch's node saves (the forward node's dim, index or start/end/step). A public op
    (modes see it: forward-over-reverse gives its result a tangent, by its LINEAR rule)."""
    out = np.zeros(node.shape, grad._data.dtype)
    out[node.index] = grad._data
    attrs = {k: type(node).saved_attrs[k](node) for k in names}
    return record1(cls, grad, out, key=node.index, **attrs)


_view_backward = _public(view_backward, "view_backward")


class SelectBackwardBackward0(Node):
    """select_backward(grad, sizes, dim, index): linear in grad; its derivative takes the
    select of the incoming gradient (SelectBackward0)."""
    jvp = LINEAR
    __slots__ = ("key", "dim", "index")
    saved_attrs = {"dim": "dim", "index": "index"}

    def backward(self, ns, grad):
        return (grad[self.key],)


class AliasBackward0(_IndexBackward):
    __slots__ = ()

    def backward(self, ns, grad):
        if not ns.INPLACE:   # create_graph: an alias passes the gradient on (torch: no node)
            return (grad,)
        return (ns.index_acc(self.shape, self.index, grad),)


_STEP_CLASSES = {"select": SelectBackward0, "slice": SliceBackward0}


def _view_step(t: Tensor, step) -> Tensor:
    """One of PyTorch's view ops of a key (see ``_plan``) applied to ``t``, which requires grad."""
    x = t._data
    kind, dim = step[0], step[1]
    if kind == "unsqueeze":
        return record_view(UnsqueezeBackward0, t, np.expand_dims(x, dim), shape=x.shape, dim=dim)
    index = (slice(None),) * dim + ((step[2] if kind == "select" else slice(*step[2:])), Ellipsis)
    return record_view(_STEP_CLASSES[kind], t, x[index], shape=x.shape, index=index)


def slice_view(input: Tensor, dim: int, start: int, end: int, step: int = 1) -> Tensor:
    """aten::slice: always one SliceBackward0 (even for the whole dim), saving ``dim``, ``start``
    and ``end`` as given (PyTorch's narrow, tensor_split, circular padding)."""
    x = input._data
    d = dim % x.ndim
    index = (slice(None),) * d + (slice(start, end, step), Ellipsis)
    return record_view(SliceBackward0, input, x[index], shape=x.shape, index=index,
                       raw=(dim, start, end, step))


def getitem(input, key):
    idx, basic = _convert_key(key, input.ndim)
    x = input._data
    if x.ndim == 0 and isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        # (an int in a tuple key is "too many indices", below, as in PyTorch)
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    flat = not basic and _has_int(idx)
    if not basic:
        _check_masks(idx, x.shape)
    try:
        if flat:
            b, a = _split_key(idx)
            out = x[b][a]
        else:
            out = x[idx]
    except IndexError as e:
        raise _index_error(e, x.shape, idx) from None
    if not needs_grad1(input):
        return wrap_view(out, None, input) if basic else wrap(out)
    if basic:
        # PyTorch's graph: one view op per int, slice and None of the key (a lone one of a
        # non-tuple key has its own node class and needs no plan), an alias for none at all.
        if type(key) is not tuple and len(idx) == 2:
            k = idx[0]
            cls = SelectBackward0 if type(k) is int else SliceBackward0 if type(k) is slice \
                else None
            steps = None
        else:
            steps = _basic_plan(idx, x.shape)
            if len(steps) > 1:
                t = input
                for st in steps:
                    t = _view_step(t, st)
                return t
            cls = AliasBackward0 if not steps else _STEP_CLASSES.get(steps[0][0])
        if cls is None:  # a single unsqueeze
            return record_view(UnsqueezeBackward0, input, out, shape=x.shape,
                               dim=steps[0][1] if steps else 0)
        return record_view(cls, input, out, shape=x.shape, index=idx)
    if _has_view_ops(idx):  # the key's ints, slices and None first, as views
        steps, rest, src = _plan(idx, x.shape)
        t = input
        for st in steps:
            t = _view_step(t, st)
        rest = tuple(rest)
        xb = t._data
        ts, pos, index = _rest_saves(key, rest, src)
        return record1(IndexBackward0, t, xb[rest], ts, shape=xb.shape, pos=pos, index=index)
    ts, pos, index = _index_saves(key, idx)
    return record1(IndexBackward0, input, out, ts, shape=x.shape, pos=pos, index=index)


class IndexPutImplBackward0(Node):
    """index_acc(shape, index, v) = zeros(shape) with v added at index: d/dv = grad[index].
    The key's index tensors are saved (PyTorch's ``indices``), ``index`` is the key without
    them (see IndexBackward0)."""
    __slots__ = ("shape", "index", "pos")
    saved_attrs = {"accumulate": lambda n: True,
                   "indices": lambda n: _saved_indices(n, n.index, n.pos, len(n.shape))}

    def backward(self, ns, grad, *indices):
        return (grad[_fill(self.index, self.pos, indices)],)


def index_acc(shape, index, values: Tensor) -> Tensor:
    """Zeros of ``shape`` with ``values`` accumulated at ``index`` (index backward, differentiable).
    Tensors in ``index`` (the saved indices of the node calling it) are saved in turn."""
    ts = tuple(k for k in index if isinstance(k, Tensor))
    key = _np_key(index) if ts else index
    out = np_index_acc(shape, key, values._data)
    if ts:
        return record1(IndexPutImplBackward0, values, out, ts, shape=shape,
                       pos=tuple(i for i, k in enumerate(index) if isinstance(k, Tensor)),
                       index=tuple(None if isinstance(k, Tensor) else k for k in index))
    return record1(IndexPutImplBackward0, values, out, shape=shape, index=index, pos=())


def np_index_acc(shape, index, values: np.ndarray) -> np.ndarray:
    out = np.zeros(shape, dtype=values.dtype)
    if _is_basic(index):
        out[index] = values
    else:
        np.add.at(out, index, values)
    return out


def _is_basic(index) -> bool:
    for k in index:
        if isinstance(k, (np.ndarray, list, bool)):
            return False
    return True


def index_fill_zero(grad: Tensor, index) -> Tensor:
    """``grad`` with the entries at ``index`` set to 0 (CopySlices' x-gradient, differentiable)."""
    mask = np.ones(grad._data.shape, dtype=bool)
    mask[_np_key(index)] = False
    return where(wrap(mask), grad, 0.0)


__all__ = ["getitem", "index_acc", "nonzero", "argwhere"]
_ = _grad_mode
