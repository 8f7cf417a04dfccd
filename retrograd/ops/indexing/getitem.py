"""Indexing: ``x[key]`` with ints, slices, None, Ellipsis, integer tensors and boolean masks, and
``x[key] = value``. Repeated indices accumulate in backward (np.add.at), as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ...autograd.node import Node
from ...autograd.node import LINEAR
from .._registry import export
from .._util import Tensor, make_node, needs_grad, needs_grad1, u64, wrap, wrap_view
from ..shape.basic import UnsqueezeBackward0
from .scatter import scalar_name
from ..shape.basic import expand
from ..shape.basic import view
from ..elementwise.compare import where
from ..._warn import warn


def _sequence_as_tuple(key) -> bool:
    """PyTorch's (and NumPy's) rule for a list key: a tuple of indices if it holds a tensor, a
    sequence, a slice, None or Ellipsis (fewer than 32 items), else the data of an index tensor."""
    return len(key) < 32 and any(isinstance(k, (Tensor, list, tuple, str, slice, np.ndarray))
                                 or k is None or k is Ellipsis for k in key)


def _convert_key(key, ndim: int | None = None):
    """A NumPy index from a PyTorch one; also returns whether it is basic (a view). ``ndim``
    (the indexed tensor's) orders the errors as PyTorch: too many indices before a bad one."""
    if isinstance(key, str) or isinstance(key, list) and _sequence_as_tuple(key):
        # PyTorch reads such a key (a str: a sequence of sequences) as a multidimensional index
        warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be "
             "changed in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this "
             "will be interpreted as tensor index, x[torch.tensor(seq)], which will result either "
             "in an error or a different result")
        key = tuple(key) if isinstance(key, list) else key
    if not isinstance(key, tuple):
        key = (key,)
    out, basic = [], True
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind not in "iub" or a.dtype.kind == "i" and a.dtype.itemsize < 4:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.dtype == np.uint8:  # a byte tensor is a mask, as in PyTorch (deprecated there)
                warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                     "torch.bool instead.")
                a = a.astype(np.bool_)
            if a.ndim == 0 and a.dtype.kind in "iu":
                out.append(int(a))
                continue
            out.append(a if a.dtype.kind == "b" else a.astype(np.intp, copy=False))
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            a = np.asarray(k)
            if a.dtype.kind == "f":
                if not isinstance(k, list):
                    raise IndexError("tensors used as indices must be long, int, byte or bool "
                                     "tensors")
                a = a.astype(np.int64)  # PyTorch makes a list into a long index (truncating)
            out.append(a)
            basic = False
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        elif isinstance(k, (int, np.integer)):
            out.append(int(k))
        elif isinstance(k, slice):
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, (int, np.integer, Tensor)):
                    raise TypeError("slice indices must be integers or None or have an __index__ "
                                    "method")
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("slice step cannot be zero" if int(k.step) == 0
                                 else "step must be greater than zero")
            s = slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
            out.append(s)
        elif k is None:
            out.append(None)
        elif k is Ellipsis:
            if Ellipsis not in out:  # PyTorch lets a second '...' stand for no dims at all
                out.append(Ellipsis)
        elif isinstance(k, str):  # PyTorch tries to make a tensor of it
            if ndim is not None and _specified_dims(key) > ndim:
                raise IndexError(f"too many indices for tensor of dimension {ndim}")
            raise TypeError("new(): invalid data type 'str'")
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got " + type(k).__name__ + ")")
    if basic and Ellipsis not in out:
        out.append(Ellipsis)  # keeps a 0-d result an array view rather than a NumPy scalar
    return tuple(out), basic


def _specified_dims(key: tuple) -> int:
    """How many dims a key indexes, as PyTorch counts them (a bool tensor: its ndim)."""
    n = 0
    for k in key:
        if isinstance(k, Tensor):
            n += k.ndim if k._data.dtype.kind == "b" else 1
        elif not (k is None or k is Ellipsis or isinstance(k, bool)):
            n += 1
    return n


def _check_masks(idx, shape) -> None:
    """PyTorch's error for a boolean mask whose shape does not match the dims it indexes, in
    the shape the key's ints, slices and None leave (they are applied first, as views)."""
    if not any(type(k) is np.ndarray and k.dtype.kind == "b" and k.ndim for k in idx):
        return
    spec = sum(1 if type(k) in (int, slice) else k.ndim if type(k) is np.ndarray and
               k.dtype.kind == "b" else 1 if type(k) is np.ndarray else 0 for k in idx)
    view, masks, od = [], [], 0
    for k in idx:
        if type(k) is int:
            od += 1
        elif type(k) is slice:
            view.append(len(range(*k.indices(shape[od]))) if od < len(shape) else 0)
            od += 1
        elif k is None or type(k) is bool:
            view.append(1)
        elif k is Ellipsis:
            m = max(len(shape) - spec, 0)
            view.extend(shape[od:od + m])
            od += m
        elif k.dtype.kind == "b" and k.ndim:
            masks.append((k, len(view)))
            view.extend(shape[od:od + k.ndim])
            od += k.ndim
        elif k.ndim or k.dtype.kind != "b":
            view.extend(shape[od:od + 1])
            od += 1
    view.extend(shape[od:])
    for mask, p in masks:
        for j, n in enumerate(mask.shape):
            if p + j < len(view) and n != view[p + j]:
                raise IndexError(f"The shape of the mask {list(mask.shape)} at index {j} does not "
                                 f"match the shape of the indexed tensor {list(view)} at index "
                                 f"{p + j}")


def _broadcast_error(idx) -> IndexError:
    shapes = []
    for k in idx:
        if type(k) is np.ndarray:
            shapes += [[int(k.sum())]] * k.ndim if k.dtype.kind == "b" else [list(k.shape)]
    return IndexError("shape mismatch: indexing tensors could not be broadcast together with "
                      f"shapes {', '.join(str(s) for s in shapes)}")


def _index_error(e: IndexError, shape, idx=()) -> IndexError:
    msg = str(e)
    if msg.startswith("shape mismatch: indexing arrays could not be broadcast"):
        return _broadcast_error(idx)
    if msg.startswith("too many indices for array"):   # PyTorch's wording
        return IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return IndexError(msg.replace("axis", "dimension"))


_INT64_MAX = 9223372036854775807


def _plan(idx, shape):
    """How PyTorch applies a key: first its ints, slices and None as views, one at a time, each on
    the result of the previous one (``steps``: ("select", dim, index), ("slice", dim, start, end,
    step) or ("unsqueeze", dim), with the values PyTorch's nodes save), then its index tensors
    to that view (``rest``: the key for it, ``src``: where each entry of ``rest`` comes from in
    ``idx``, -1 for a whole dim, -2 for a bool scalar, which becomes an unsqueeze and the
    positions it selects). In a tuple key, a slice that takes a whole dim is no view at all."""
    spec = 0
    for k in idx:
        t = type(k)
        if t is int or t is slice:
            spec += 1
        elif t is np.ndarray:
            spec += k.ndim if k.dtype.kind == "b" else 1
    steps, rest, src = [], [], []
    dim = od = 0  # dim of the view, dim of x
    for i, k in enumerate(idx):
        t = type(k)
        if t is int:
            steps.append(("select", dim, k))
            od += 1
        elif t is slice:
            start = 0 if k.start is None else k.start
            end = _INT64_MAX if k.stop is None else k.stop
            step = 1 if k.step is None else k.step
            if start != 0 or step != 1 or end < shape[od]:
                steps.append(("slice", dim, start, end, step))
            rest.append(slice(None))
            src.append(-1)
            dim += 1
            od += 1
        elif k is None:
            steps.append(("unsqueeze", dim))
            rest.append(slice(None))
            src.append(-1)
            dim += 1
        elif k is Ellipsis:
            m = len(shape) - spec
            rest.append(Ellipsis)
            src.append(-1)
            dim += m
            od += m
        elif t is bool or k.ndim == 0 and k.dtype.kind == "b":
            steps.append(("unsqueeze", dim))
            rest.append(np.zeros(1 if k else 0, np.intp))
            src.append(-2)
            dim += 1
        else:
            rest.append(k)
            src.append(i)
            m = k.ndim if k.dtype.kind == "b" else 1
            dim += m
            od += m
    return steps, rest, src


def _basic_plan(idx, shape, single: bool = False) -> list:
    """``_plan``'s steps for a key of ints, slices, None and Ellipsis (the hot path of x[key]).
    ``single``: the key is one slice (not a tuple), recorded even when it takes everything."""
    steps = []
    dim = od = 0
    last = len(idx) - 1
    for i, k in enumerate(idx):
        t = type(k)
        if t is int:
            steps.append(("select", dim, k))
            od += 1
        elif t is slice:
            start, end, step = k.start, k.stop, k.step
            if single or (start is not None and start != 0) or (step is not None and step != 1) \
                    or (end is not None and end < shape[od]):
                steps.append(("slice", dim, 0 if start is None else start,
                              _INT64_MAX if end is None else end, 1 if step is None else step))
            dim += 1
            od += 1
        elif k is None:
            steps.append(("unsqueeze", dim))
            dim += 1
        elif i != last:  # Ellipsis
            m = len(shape) - sum(1 for q in idx if q is not None and q is not Ellipsis)
            dim += m
            od += m
    return steps


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


class SliceBackward0(_IndexBackward):
    """``raw``: (dim, start, end, step) as an op other than indexing gave them (narrow,
    tensor_split); unset for indexing, whose key gives them."""
    __slots__ = ("raw",)
    saved_attrs = {"dim": lambda n: u64(_slice_args(n)[0]),
                   "start": lambda n: u64(_slice_args(n)[1]),
                   "end": lambda n: u64(_slice_args(n)[2]),
                   "step": lambda n: u64(_slice_args(n)[3]), "self_sym_sizes": "shape"}


class AliasBackward0(_IndexBackward):
    __slots__ = ()


_STEP_CLASSES = {"select": SelectBackward0, "slice": SliceBackward0}


def _view_step(t: Tensor, step) -> Tensor:
    """One of PyTorch's view ops of a key (see ``_plan``) applied to ``t``, which requires grad."""
    x = t._data
    kind, dim = step[0], step[1]
    if kind == "unsqueeze":
        out = np.expand_dims(x, dim)
        node = make_node(UnsqueezeBackward0, (t,), out)
        node.shape, node.dim = x.shape, dim
        return wrap_view(out, node, t)
    index = (slice(None),) * dim + ((step[2] if kind == "select" else slice(*step[2:])), Ellipsis)
    out = x[index]
    node = make_node(_STEP_CLASSES[kind], (t,), out)
    node.shape, node.index = x.shape, index
    return wrap_view(out, node, t)


def slice_view(input: Tensor, dim: int, start: int, end: int, step: int = 1) -> Tensor:
    """aten::slice: always one SliceBackward0 (even for the whole dim), saving ``dim``, ``start``
    and ``end`` as given (PyTorch's narrow, tensor_split, circular padding)."""
    x = input._data
    d = dim % x.ndim
    index = (slice(None),) * d + (slice(start, end, step), Ellipsis)
    out = x[index]
    if not needs_grad1(input):
        return wrap_view(out, None, input)
    node = make_node(SliceBackward0, (input,), out)
    node.shape, node.index, node.raw = x.shape, index, (dim, start, end, step)
    return wrap_view(out, node, input)


def _has_view_ops(idx) -> bool:
    """Whether a key has basic parts PyTorch applies as views before advanced indexing (a bool
    scalar, Python or 0-d tensor, is an unsqueeze there)."""
    for k in idx:
        if k is None or isinstance(k, int):
            return True
        if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind == "b":
            return True
        if isinstance(k, slice) and k != slice(None):
            return True
    return False


def _has_int(idx) -> bool:
    return any(isinstance(k, int) and not isinstance(k, bool) for k in idx)


def _split_key(idx):
    """(basic, advanced): PyTorch applies ints, slices and None first (a view), then the tensor
    indices to that view. NumPy differs when ints mix with arrays (x[0, :, [1, 2]])."""
    basic, adv = [], []
    for k in idx:
        if isinstance(k, np.ndarray) or isinstance(k, list):
            a = np.asarray(k)
            n = a.ndim if a.dtype.kind == "b" else 1
            basic.extend([slice(None)] * n)
            adv.append(a)
        elif isinstance(k, bool):
            basic.append(None)
            adv.append(slice(None) if k else slice(0, 0))
        elif isinstance(k, int):
            basic.append(k)
        elif k is None:
            basic.append(None)
            adv.append(slice(None))
        elif k is Ellipsis:
            basic.append(Ellipsis)
            adv.append(Ellipsis)
        else:
            basic.append(k)
            adv.append(slice(None))
    return tuple(basic), tuple(adv)


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


def flat_positions(shape, idx) -> np.ndarray:
    """For a mixed int/advanced key: the flat position in ``shape`` of each result element."""
    basic, adv = _split_key(idx)
    return np.arange(int(np.prod(shape, dtype=np.int64))).reshape(shape)[basic][adv]


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
            node = make_node(UnsqueezeBackward0, (input,), out)
            node.shape, node.dim = x.shape, steps[0][1] if steps else 0
            return wrap_view(out, node, input)
        node = make_node(cls, (input,), out)
        node.shape, node.index = x.shape, idx
        return wrap_view(out, node, input)
    if _has_view_ops(idx):  # the key's ints, slices and None first, as views
        steps, rest, src = _plan(idx, x.shape)
        t = input
        for st in steps:
            t = _view_step(t, st)
        rest = tuple(rest)
        xb = t._data
        out = xb[rest]
        node = make_node(IndexBackward0, (t,), out)
        node.shape = xb.shape
        ts, node.pos, node.index = _rest_saves(key, rest, src)
        node.save(*ts)
        return wrap(out, node)
    node = make_node(IndexBackward0, (input,), out)
    node.shape = x.shape
    ts, node.pos, node.index = _index_saves(key, idx)
    node.save(*ts)
    return wrap(out, node)


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
    if not needs_grad1(values):
        return wrap(out)
    node = make_node(IndexPutImplBackward0, (values,), out)
    node.shape = shape
    if ts:
        node.pos = tuple(i for i, k in enumerate(index) if isinstance(k, Tensor))
        node.index = tuple(None if isinstance(k, Tensor) else k for k in index)
        node.save(*ts)
    else:
        node.index, node.pos = index, ()
    return wrap(out, node)


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


def index_fill_zero(grad: Tensor, index) -> Tensor:
    """``grad`` with the entries at ``index`` set to 0 (CopySlices' x-gradient, differentiable)."""
    mask = np.ones(grad._data.shape, dtype=bool)
    mask[_np_key(index)] = False
    return where(wrap(mask), grad, 0.0)


__all__ = ["getitem", "index_acc", "nonzero", "argwhere"]
_ = _grad_mode
