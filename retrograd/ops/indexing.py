"""Indexing: ``x[key]`` with ints, slices, None, Ellipsis, integer tensors and boolean masks, and
``x[key] = value``. Repeated indices accumulate in backward (np.add.at), as in PyTorch.
"""
from __future__ import annotations

import numpy as np

from .. import _grad_mode
from ..autograd.node import Node
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
    __slots__ = ()


class SelectBackward0(_IndexBackward):
    __slots__ = ()


class SliceBackward0(_IndexBackward):
    __slots__ = ()


class AliasBackward0(_IndexBackward):
    __slots__ = ()


_CLASSES = {"IndexBackward0": IndexBackward0, "SelectBackward0": SelectBackward0,
            "SliceBackward0": SliceBackward0, "AliasBackward0": AliasBackward0}


def getitem(input, key):
    idx, basic, name = _convert_key(key)
    x = input._data
    if x.ndim == 0 and any(isinstance(k, int) for k in idx):
        raise IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or "
                         "`tensor.item<T>()` in C++ to convert a 0-dim tensor to a number")
    try:
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
    node.shape, node.index = x.shape, idx
    return wrap_view(out, node, input) if basic else wrap(out, node)


class IndexPutImplBackward0(Node):
    """index_acc(shape, index, v) = zeros(shape) with v added at index: d/dv = grad[index]."""
    __slots__ = ("index",)

    def backward(self, ns, grad):
        return (grad[self.index] if not isinstance(grad, np.ndarray) else grad[self.index],)


def index_acc(shape, index, values: Tensor) -> Tensor:
    """Zeros of ``shape`` with ``values`` accumulated at ``index`` (index backward, differentiable)."""
    out = np_index_acc(shape, index, values._data)
    if not needs_grad1(values):
        return wrap(out)
    node = make_node(IndexPutImplBackward0, (values,), out)
    node.index = index
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
    """x[key] = v: x's gradient is zero at key; v's is the gradient at key (summed to v's shape)."""
    __slots__ = ("index",)

    def name(self) -> str:
        return "torch::autograd::CopySlices"

    def backward(self, ns, grad):
        gx = gv = None
        if self.needs(0):
            gx = ns.index_fill_zero(grad, self.index)
        if self.needs(1):
            gv = grad[self.index]
        return gx, gv


class IndexPutBackward0(CopySlices):
    """x[index_tensor] = v (PyTorch records index_put_)."""
    __slots__ = ()

    def name(self) -> str:
        return "IndexPutBackward0"


def setitem(input, key, value) -> None:
    from .inplace import check_inplace, finish_inplace
    idx, basic, _ = _convert_key(key)
    x = input._data
    if isinstance(value, Tensor):
        v = value._data
    else:
        v = value
    if _grad_mode.is_grad_enabled() and input._requires_grad and input.grad_fn is None:
        # x[k] = v writes through a view of x: PyTorch reports the view variant.
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    check_inplace(input)
    track = needs_grad(input, value) if isinstance(value, Tensor) else needs_grad1(input)
    if not track:
        try:
            x[idx] = v
        except IndexError as e:
            raise _index_error(e, x.shape) from None
        except ValueError as e:
            raise RuntimeError(_setitem_error(e, x, idx, v)) from None
        input._vc[0] += 1
        return
    old = Tensor._make(x.copy(), input.grad_fn, input._requires_grad)
    old._x = input._x
    out = x.copy()
    try:
        out[idx] = v
    except ValueError as e:
        raise RuntimeError(_setitem_error(e, x, idx, v)) from None
    cls = CopySlices if basic else IndexPutBackward0
    node = make_node(cls, (old, value if isinstance(value, Tensor) else None), out)
    node.index = idx
    finish_inplace(input, wrap(out, node))


def _setitem_error(e, x, idx, v) -> str:
    target = x[idx].shape
    return (f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to "
            f"indexing result of shape {list(target)}")


def nonzero(input, *, as_tuple=False):
    nz = np.nonzero(input._data)
    if as_tuple:
        return tuple(wrap(a.astype(np.int64)) for a in nz)
    return wrap(np.stack(nz, axis=1).astype(np.int64) if nz else np.zeros((0, 0), np.int64))


def index_fill_zero(grad: Tensor, index) -> Tensor:
    """``grad`` with the entries at ``index`` set to 0 (CopySlices' x-gradient, differentiable)."""
    mask = np.ones(grad._data.shape, dtype=bool)
    mask[index] = False
    from .pointwise import where
    return where(wrap(mask), grad, 0.0)


__all__ = ["getitem", "setitem", "index_acc", "nonzero"]
_ = _grad_mode
