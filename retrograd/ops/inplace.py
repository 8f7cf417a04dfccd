"""In-place ops: ``add_``, ``mul_``, ``zero_``, ``x[k] = v``, ``x += y``, ...

Every in-place op bumps the tensor's version counter (shared with its views), so a saved tensor
that was modified is caught at backward with PyTorch's error. When a graph is being recorded the
op runs out of place on a snapshot of the old value and the tensor adopts the result's grad_fn
(it becomes a non-leaf); otherwise NumPy writes straight into the storage.
"""
from __future__ import annotations

import numpy as np

from .. import _grad_mode
from ..autograd.node import SavedOutput
from ._util import Tensor, needs_grad

_LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def check_inplace(t: Tensor) -> None:
    if not _grad_mode.is_grad_enabled():
        return
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError(_LEAF_ERROR)
    x = t._x
    if x is not None and x.base is not None:
        b = x.base
        if b._requires_grad and b.grad_fn is None:
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                               "in-place operation.")


def _write(t: Tensor, data) -> None:
    x = t._data
    data = np.asarray(data)
    if data.shape != x.shape:
        try:
            if np.broadcast_shapes(data.shape, x.shape) != x.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"output with shape {list(x.shape)} doesn't match the broadcast "
                               f"shape {list(np.broadcast_shapes(data.shape, x.shape)) if _bc(data.shape, x.shape) else list(data.shape)}") from None
    if data.dtype != x.dtype and not np.can_cast(data.dtype, x.dtype, "same_kind"):
        from .._dtype import from_numpy_dtype
        raise RuntimeError(f"result type {_name(from_numpy_dtype(data.dtype))} can't be cast to the "
                           f"desired output type {_name(from_numpy_dtype(x.dtype))}")
    if not x.flags.writeable:
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor "
                           "refers to a single memory location. Please clone() the tensor before "
                           "performing the operation.")
    np.copyto(x, data, casting="unsafe")


def _bc(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


def _name(d) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}[d.name]


def finish_inplace(t: Tensor, result: Tensor) -> Tensor:
    """Make ``t`` hold ``result`` (values and grad_fn), bumping its version."""
    _write(t, result._data)
    t._vc[0] += 1
    node = result.grad_fn
    if node is not None:
        if node._saved:  # a saved result must follow t's storage and version from now on
            fixed = []
            for s in node._saved:
                if type(s) is SavedOutput and s.data is result._data:
                    s.data, s.version, s.saved_version = t._data, t._vc, t._vc[0]
                fixed.append(s)
            node._saved_versions = tuple(
                s.saved_version if type(s) is SavedOutput else v
                for s, v in zip(node._saved, node._saved_versions))
        node._shape, node._dtype = t._data.shape, t._data.dtype
        t.grad_fn = node
        t._requires_grad = True
        if t._x is not None:
            t._x.out_nr = 0
    return t


def apply_inplace(t: Tensor, op, *args, **kwargs) -> Tensor:
    """Run ``op(t, *args)`` and write the result into ``t``."""
    check_inplace(t)
    if needs_grad(t, *args):
        snapshot = Tensor._make(t._data.copy(), t.grad_fn, t._requires_grad)
        snapshot._x = t._x
        return finish_inplace(t, op(snapshot, *args, **kwargs))
    with _grad_mode.no_grad():
        res = op(t, *args, **kwargs)
    _write(t, res._data)
    t._vc[0] += 1
    return t


def zero_(t: Tensor) -> Tensor:
    check_inplace(t)
    if t.grad_fn is not None and _grad_mode.is_grad_enabled():
        return apply_inplace(t, lambda x: x * 0)
    _write(t, np.zeros((), dtype=t._data.dtype))
    t._vc[0] += 1
    return t


def fill_(t: Tensor, value) -> Tensor:
    check_inplace(t)
    if isinstance(value, Tensor):
        if value._data.ndim != 0:
            raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        value = value.item()
    if t.grad_fn is not None and _grad_mode.is_grad_enabled():
        return apply_inplace(t, lambda x: x * 0 + value)
    _write(t, np.asarray(value).astype(t._data.dtype))
    t._vc[0] += 1
    return t


def copy_(t: Tensor, src, non_blocking: bool = False) -> Tensor:
    if needs_grad(t, src):
        from .shape import expand, to_dtype
        check_inplace(t)

        def op(x, s):
            return x * 0 + to_dtype(expand(s, t._data.shape), t.dtype)
        snapshot = Tensor._make(t._data.copy(), t.grad_fn, t._requires_grad)
        return finish_inplace(t, op(snapshot, src))
    check_inplace(t)
    _write(t, src._data if isinstance(src, Tensor) else np.asarray(src))
    t._vc[0] += 1
    return t
