"""Indexing: ``x[key]`` with ints, slices, None, Ellipsis, integer tensors and boolean masks, and
``x[key] = value``. Repeated indices accumulate in backward (np.add.at), as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .. import _grad_mode
from ..autograd.node import Node
from ._registry import export
from ._util import Tensor, make_node, needs_grad, needs_grad1, wrap, wrap_view


def _convert_key(key):
    """A NumPy index from a PyTorch one; also returns whether it is basic (a view)."""
    if not isinstance(key, tuple):
        key = (key,)
    out, basic, names = [], True, []
    for k in key:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind not in "iub":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.ndim == 0 and a.dtype.kind in "iu":
                out.append(int(a))
                names.append("SelectBackward0")
                continue
            out.append(a if a.dtype.kind == "b" else a.astype(np.intp, copy=False))
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            a = np.asarray(k)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(a)
            basic = False
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        elif isinstance(k, (int, np.integer)):
            out.append(int(k))
            names.append("SelectBackward0")
        elif isinstance(k, slice):
            for v in (k.start, k.stop, k.step):
                if v is not None and not isinstance(v, (int, np.integer, Tensor)):
                    raise TypeError("slice indices must be integers or None or have an __index__ "
                                    "method")
            if k.step is not None and int(k.step) <= 0:
                raise ValueError("step must be greater than zero")
            s = slice(*(None if v is None else int(v) for v in (k.start, k.stop, k.step)))
            out.append(s)
            names.append("SliceBackward0")
        elif k is None:
            out.append(None)
            names.append("UnsqueezeBackward0")
        elif k is Ellipsis:
            out.append(Ellipsis)
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                             "Variables are valid indices (got " + type(k).__name__ + ")")
    if basic and Ellipsis not in out:
        out.append(Ellipsis)  # keeps a 0-d result an array view rather than a NumPy scalar
    name = "IndexBackward0" if not basic else (names[-1] if names else "AliasBackward0")
    return tuple(out), basic, name


def _index_error(e: IndexError, shape) -> IndexError:
    msg = str(e).replace("axis", "dimension")
    return IndexError(msg)


class _IndexBackward(Node):
    """d x[key] / dx: the gradient placed at key in zeros of x's shape (repeats accumulate)."""
    __slots__ = ("shape", "index")

    def backward(self, ns, grad):
        return (ns.index_acc(self.shape, self.index, grad),)


class IndexBackward0(_IndexBackward):
    """x[key] with tensors in the key. Saves the index tensors (PyTorch's ``indices``), in key
    order; ``index`` is the NumPy key with those positions (``pos``) left to fill from them at
    backward. For a key mixing ints and tensors (``flat``) the gradient is accumulated at the
    flat positions of the selected elements and reshaped to x's shape."""
    __slots__ = ("pos", "flat", "sizes")

    def backward(self, ns, grad, *indices):
        key = _fill(self.index, self.pos, indices)
        if self.flat:
            n = int(np.prod(self.shape, dtype=np.int64))
            flat = flat_positions(self.shape, _np_key(key))
            return (ns.reshape(ns.index_acc((n,), (flat,), grad), self.shape),)
        return (ns.index_acc(self.shape, key, grad),)

    def __getattr__(self, name: str):
        if name == "_saved_indices":
            return _saved_indices(self, self.index, self.pos, len(self.shape))
        if name == "_saved_self_sym_sizes":
            return self.sizes
        return Node.__getattr__(self, name)


class SelectBackward0(_IndexBackward):
    __slots__ = ()


class SliceBackward0(_IndexBackward):
    __slots__ = ()


class AliasBackward0(_IndexBackward):
    __slots__ = ()


_CLASSES = {"IndexBackward0": IndexBackward0, "SelectBackward0": SelectBackward0,
            "SliceBackward0": SliceBackward0, "AliasBackward0": AliasBackward0}


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


def _view_sizes(shape, idx) -> tuple:
    """The sizes of the tensor PyTorch indexes with the key's tensors: x after the key's ints,
    slices and None (a bool scalar adds a dim of 1, like None)."""
    consumed = 0
    for k in idx:
        if isinstance(k, np.ndarray):
            consumed += k.ndim if k.dtype.kind == "b" else 1
        elif isinstance(k, slice) or (isinstance(k, int) and not isinstance(k, bool)):
            consumed += 1
    out, d = [], 0
    for k in idx:
        if k is Ellipsis:
            n = len(shape) - consumed
            out.extend(shape[d:d + n])
            d += n
        elif k is None or isinstance(k, bool):
            out.append(1)
        elif isinstance(k, slice):
            out.append(len(range(*k.indices(shape[d]))))
            d += 1
        elif isinstance(k, int):
            d += 1
        elif isinstance(k, np.ndarray):
            if k.dtype.kind == "b":
                if k.ndim == 0:
                    out.append(1)
                else:
                    out.extend(shape[d:d + k.ndim])
                    d += k.ndim
            else:
                out.append(shape[d])
                d += 1
    out.extend(shape[d:])
    return tuple(out)


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
    idx, basic, name = _convert_key(key)
    x = input._data
    if x.ndim == 0 and any(isinstance(k, int) and not isinstance(k, bool) for k in idx):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    flat = not basic and _has_int(idx)
    try:
        if flat:
            b, a = _split_key(idx)
            out = x[b][a]
        else:
            out = x[idx]
    except IndexError as e:
        raise _index_error(e, x.shape) from None
    if not needs_grad1(input):
        return wrap_view(out, None, input) if basic else wrap(out)
    if name == "UnsqueezeBackward0":
        from .shape import UnsqueezeBackward0
        cls = UnsqueezeBackward0
    else:
        cls = _CLASSES[name]
    node = make_node(cls, (input,), np.asarray(out))
    node.shape = x.shape
    if basic:
        node.index = idx
        return wrap_view(out, node, input)
    ts, node.pos, node.index = _index_saves(key, idx)
    node.flat, node.sizes = flat, _view_sizes(x.shape, idx)
    node.save(*ts)
    return wrap(out, node)


class IndexPutImplBackward0(Node):
    """index_acc(shape, index, v) = zeros(shape) with v added at index: d/dv = grad[index].
    The key's index tensors are saved (PyTorch's ``indices``), ``index`` is the key without
    them (see IndexBackward0)."""
    __slots__ = ("shape", "index", "pos")

    def backward(self, ns, grad, *indices):
        return (grad[_fill(self.index, self.pos, indices)],)

    def __getattr__(self, name: str):
        if name == "_saved_indices":
            return _saved_indices(self, self.index, self.pos, len(self.shape))
        if name == "_saved_accumulate":
            return True
        return Node.__getattr__(self, name)


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


class IndexPutBackward0(CopySlices):
    """x[index_tensors] = v, index_put(x, indices, v, accumulate) (PyTorch records index_put_)."""
    __slots__ = ()

    def name(self) -> str:
        return "IndexPutBackward0"

    def __getattr__(self, name: str):
        if name == "_saved_indices":
            return _saved_indices(self, self.index, self.pos, len(self._shape))
        if name == "_saved_accumulate":
            return self.accumulate
        return Node.__getattr__(self, name)


def _scalar_name(a: np.ndarray) -> str:
    from .scatter import scalar_name
    return scalar_name(a)


def _write(out: np.ndarray, idx, flat: bool, v, accumulate: bool = False) -> None:
    if accumulate:
        np.add.at(out, idx, v)
    elif flat:
        b, a = _split_key(idx)
        out[b][a] = v   # out[b] is a view of out
    else:
        out[idx] = v


def _put(input, idx, basic, value, accumulate, cls, flat, key=None) -> Tensor | None:
    """Write value at idx (converted from the user's ``key``): in place when nothing is recorded
    (returns None), else the result tensor with its node (the caller decides what holds it)."""
    x = input._data
    v = value._data if isinstance(value, Tensor) else value
    track = needs_grad(input, value) if isinstance(value, Tensor) else needs_grad1(input)
    out = x if not track else x.copy()
    try:
        _write(out, idx, flat, v, accumulate)
    except IndexError as e:
        raise _index_error(e, x.shape) from None
    except ValueError as e:
        raise RuntimeError(_setitem_error(e, x, idx, v, flat)) from None
    if not track:
        return None
    node = make_node(cls, (input, value if isinstance(value, Tensor) else None), out)
    node.flat, node.accumulate = flat, accumulate
    node.vndim = np.ndim(v)
    if basic:
        node.index, node.pos = idx, ()
    else:
        ts, node.pos, node.index = _index_saves(key, idx, setitem=True)
        if ts:
            node.save(*ts)
    return wrap(out, node)


def _check_values_dtype(x: np.ndarray, value) -> None:
    if isinstance(value, Tensor) and value._data.dtype != x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_scalar_name(x)} for the destination and {_scalar_name(value._data)} "
                           "for the source.")


def setitem(input, key, value) -> None:
    from .inplace import bump_version, check_inplace, finish_inplace
    if key is False:  # PyTorch does nothing at all (no check, no version bump)
        return
    idx, basic, _ = _convert_key(key)
    if _grad_mode.is_grad_enabled() and input._requires_grad and input.grad_fn is None:
        # x[k] = v writes through a view of x: PyTorch reports the view variant.
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    check_inplace(input, value) if isinstance(value, Tensor) else check_inplace(input)
    if not basic:
        _check_values_dtype(input._data, value)
    flat = not basic and _has_int(idx)
    # PyTorch applies the basic part of the key as a view first: writing through a view is
    # recorded as CopySlices; a key of tensors (and full slices) only is index_put_.
    cls = IndexPutBackward0 if not basic and not _has_view_ops(idx) else CopySlices
    if not (needs_grad(input, value) if isinstance(value, Tensor) else needs_grad1(input)):
        _put(input, idx, basic, value, False, cls, flat)
        bump_version(input)  # also refreshes the grad_fn of views of input
        return
    old = Tensor._make(input._data.copy(), input.grad_fn, input._requires_grad)
    old._x = input._x
    finish_inplace(input, _put(old, idx, basic, value, False, cls, flat, key))


def index_put_impl(input, indices, values, accumulate=False, inplace=False):
    """index_put / index_put_: ``input[indices] = values`` (or ``+=`` with accumulate), the
    indices all tensors (NumPy's advanced-indexing semantics, as PyTorch's index_put)."""
    name = "index_put_" if inplace else "index_put"
    if isinstance(indices, Tensor) or not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}(): argument 'indices' (position 1) must be tuple of Tensors, not "
                        f"{type(indices).__name__}")
    for i, t in enumerate(indices):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    key = []
    for t in indices:
        a = t._data
        if a.dtype.kind not in "iub":
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        key.append(a if a.dtype.kind == "b" else a.astype(np.intp, copy=False))
    idx = tuple(key)
    _check_values_dtype(input._data, values)
    if inplace:
        from .inplace import check_inplace, finish_inplace
        check_inplace(input)
        if not needs_grad(input, values):
            _put(input, idx, False, values, bool(accumulate), IndexPutBackward0, False)
            input._vc[0] += 1
            return input
        old = Tensor._make(input._data.copy(), input.grad_fn, input._requires_grad)
        old._x = input._x
        return finish_inplace(input, _put(old, idx, False, values, bool(accumulate),
                                          IndexPutBackward0, False, tuple(indices)))
    if needs_grad(input, values):
        return _put(input, idx, False, values, bool(accumulate), IndexPutBackward0, False,
                    tuple(indices))
    out = input._data.copy()
    try:
        _write(out, idx, False, values._data, bool(accumulate))
    except IndexError as e:
        raise _index_error(e, out.shape) from None
    except ValueError as e:
        raise RuntimeError(_setitem_error(e, out, idx, values._data, False)) from None
    return wrap(out)


def _setitem_error(e, x, idx, v, flat=False) -> str:
    if flat:
        b, a = _split_key(idx)
        target = x[b][a].shape
    else:
        target = x[idx].shape
    return (f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to "
            f"indexing result of shape {list(target)}")


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
    from .pointwise import where
    return where(wrap(mask), grad, 0.0)


__all__ = ["getitem", "setitem", "index_acc", "nonzero", "argwhere", "index_put_impl"]
_ = _grad_mode

from . import indexing_select, indexing_masked  # noqa: E402,F401 - register their ops
