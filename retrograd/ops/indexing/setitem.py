"""``x[key] = value`` and index_put: CopySlices / IndexPutBackward0, PyTorch's in-place writes
through an index (repeated indices accumulate when accumulate=True)."""
from __future__ import annotations

import numpy as np

from ... import _grad_mode
from ...autograd.node import LINEAR
from .._util import Tensor, make_node, needs_grad, needs_grad1, wrap
from .scatter import scalar_name
from ..shape.basic import expand
from ..shape.basic import view
from .getitem import (_check_masks, _convert_key, _has_int, _has_view_ops, _index_error,
                      _index_saves, _saved_indices, _split_key)
from ..._dtype import from_numpy_dtype
from ..inplace import bump_version, check_inplace, finish_inplace
from ..inplace_fill import copy_, fill_
from .copy_slices import CopySlices


class IndexPutBackward0(CopySlices):
    """x[index_tensors] = v, index_put(x, indices, v, accumulate) (PyTorch records index_put_)."""
    jvp = LINEAR
    __slots__ = ()
    saved_attrs = {"accumulate": "accumulate",
                   "indices": lambda n: _saved_indices(n, n.index, n.pos, len(n._shape))}

    def name(self) -> str:
        return "IndexPutBackward0"


def _scalar_name(a: np.ndarray) -> str:
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


def _legacy_name(t: Tensor) -> str:
    return from_numpy_dtype(t._data.dtype)._legacy


def _check_values_dtype(x: np.ndarray, value) -> None:
    if isinstance(value, Tensor) and value._data.dtype != x.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_scalar_name(x)} for the destination and {_scalar_name(value._data)} "
                           "for the source.")


def setitem(input, key, value) -> None:
    if key is False:  # PyTorch does nothing at all (no check, no version bump)
        return
    if not isinstance(value, (Tensor, int, float, complex, np.generic, np.ndarray)):
        raise TypeError(f"can't assign a {type(value).__name__} to a "
                        f"torch.{_legacy_name(input)}")
    idx, basic = _convert_key(key)
    if not basic:
        _check_masks(idx, input._data.shape)
    if basic and _grad_mode.is_grad_enabled() and (
            input._requires_grad or isinstance(value, Tensor) and value._requires_grad) and \
            (isinstance(value, Tensor) or type(value) in (int, float, bool)) and \
            _whole(idx, input._data.shape):
        return _setitem_whole(input, idx, value)
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
        if isinstance(value, Tensor) and value._data.ndim:
            _setitem_value(input._data, idx, not _has_tensor_index(idx), value, False)
        _put(input, idx, basic, value, False, cls, flat)
        bump_version(input)  # also refreshes the grad_fn of views of input
        return
    if isinstance(value, Tensor):
        value = _setitem_value(input._data, idx, not _has_tensor_index(idx), value,
                               needs_grad1(value))
    old = Tensor._make(input._data.copy(), input.grad_fn, input._requires_grad)
    old._x = input._x
    finish_inplace(input, _put(old, idx, basic, value, False, cls, flat, key))


def _whole(idx, shape) -> bool:
    """Whether a key of slices and Ellipsis takes all of x: PyTorch then writes into x itself
    (copy_ / fill_), not into a view of it."""
    n = 0
    given = sum(1 for k in idx if type(k) is slice)
    for k in idx:
        if type(k) is slice:
            if n >= len(shape) or k.start not in (None, 0) or k.step not in (None, 1) or \
                    (k.stop is not None and k.stop < shape[n]):
                return False
            n += 1
        elif k is Ellipsis:
            n += max(len(shape) - given, 0)   # the dims the Ellipsis stands for
        else:
            return False
    return True


def _setitem_whole(input: Tensor, idx, value) -> None:
    """x[...] = value, x[:] = value: PyTorch's copy_ (CopyBackwards) of the value as it writes it
    (see ``_setitem_value``), or fill_ (FillBackward3) with a 0-d one, a number as a 0-d tensor
    of x's dtype."""
    x = input._data
    if not isinstance(value, Tensor):
        value = wrap(np.asarray(value, dtype=x.dtype))
    v = value._data
    if v.shape == x.shape:
        copy_(input, value)
    elif v.ndim == 0:
        fill_(input, value)
    else:
        copy_(input, _setitem_value(x, idx, True, value))


def _has_tensor_index(idx) -> bool:
    """Whether PyTorch indexes with tensors for this key (a True scalar is only an unsqueeze)."""
    for k in idx:
        if k is False:
            return True
        if type(k) is np.ndarray and (k.ndim or k.dtype.kind != "b" or not k):
            return True
    return False


def _setitem_value(x: np.ndarray, idx, tensor_free: bool, value: Tensor,
                   track: bool = True) -> Tensor:
    """The value as PyTorch writes it (its graph has these views): without its leading size-1
    dims (a view), and, for a key without tensors whose target has another shape, that view
    expanded to the target's shape (unless value is 0-d: a fill), which raises PyTorch's error
    when it does not fit. ``track``: the value requires grad (else only the check is made)."""
    v = value._data
    k = 0
    while k < v.ndim and v.shape[k] == 1:
        k += 1
    if not tensor_free:
        return view(value, v.shape[k:]) if k and track else value
    try:
        dst = x[idx].shape
    except IndexError:
        return value  # the write reports it
    if v.shape == dst or v.ndim == 0:
        return value
    s = v.shape[k:]
    try:
        fits = np.broadcast_shapes(s, dst) == dst
    except ValueError:
        fits = False
    if not fits:
        with _grad_mode.no_grad():
            expand(view(value, s), dst)  # raises PyTorch's error
        return value
    if not track:
        return value
    value = view(value, s)
    return value if s == dst else expand(value, dst)


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
