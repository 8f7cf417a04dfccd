"""The dispatch mode of a batched call (``_VmapMode``): while vmap runs batched it sees every
call of a public op entry point, runs the op's batching rule for a call with a BatchedTensor
argument, and refuses an in-place write of a batched value into an unbatched tensor as PyTorch's
vmap does (``Final``: no per-example fallback)."""
from __future__ import annotations

import numpy as np

from .. import _dispatch
from .._tensor import Tensor
from ._batched_tensor import _active, _call, _has_batched, _level_sizes, _union


class Final(Exception):
    """An error of the batched attempt that PyTorch's vmap raises too and that a per-example
    run would not: vmap raises it as it is (no fallback)."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


class _VmapMode(_dispatch.Mode):
    """The dispatch mode of a batched call: an op call with a BatchedTensor argument runs the
    op's rule (or raises ``NoRule``)."""

    def handle(self, op, info, args, kwargs):
        if _has_batched(args, kwargs):
            if args and isinstance(args[0], Tensor) and info.name != "__setitem__" \
                    and info.writes(args, kwargs):
                _unbatched_write(info.name, args, kwargs)
            return _call(op, args, kwargs)
        return _dispatch.PASS


def _unbatched_write(op_name: str, args, kwargs) -> None:
    """An in-place op writing a batched value into an unbatched tensor: PyTorch's vmap refuses
    (the result would need the batch dims the tensor does not have)."""
    self = args[0]
    others = [a for a in list(args[1:]) + list(kwargs.values()) if isinstance(a, Tensor)]
    levels = _union(others)
    sizes = _level_sizes(others, levels)
    try:
        logical = np.broadcast_shapes(tuple(self.shape), *[tuple(a.shape) for a in others])
    except ValueError:   # not an elementwise op (index_add_ and the like): self's shape
        logical = tuple(self.shape)
    name = _WRITE_NAME.get(op_name, op_name)
    if name in _OUTPUT_SHAPE_ERROR:
        shape = [sizes[l] for l in levels] + list(logical)
        raise Final(RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                                 f"broadcast shape {shape}"))
    if name in _ARITHMETIC:
        raise Final(RuntimeError(
            "vmap: inplace arithmetic(self, *extra_args) is not possible because there exists a "
            "Tensor `other` in extra_args that has more elements than `self`. This happened due "
            "to `other` being vmapped over but `self` not being vmapped over in a vmap. Please "
            "try to use out-of-place operators instead of inplace arithmetic. If said operator "
            "is being called inside the PyTorch framework, please file a bug report instead."))
    act = _active.get()
    level = act.index(levels[-1]) + 1 if levels and levels[-1] in act else 1
    raise Final(RuntimeError(
        f"vmap: aten::{name}(self, *extra_args) is not possible because there exists a Tensor "
        "`other` in extra_args that has more elements than `self`. This happened due to `other` "
        f"being vmapped over but `self` not being vmapped over at level {level}. Please try to "
        f"use out-of-place operators instead of aten::{name}. If said operator is being called "
        "inside the PyTorch framework, please file a bug report instead."))


# How PyTorch's vmap words the refusal of an in-place write of a batched value into an unbatched
# tensor: it depends on the op's batching rule (three families, found by trying each op).
_WRITE_NAME = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_",
               "__itruediv__": "div_"}
_OUTPUT_SHAPE_ERROR = frozenset(("add_", "atan2_", "index_add_"))
_ARITHMETIC = frozenset(("sub_", "mul_", "div_", "copy_", "masked_fill_"))


_MODE = _VmapMode()


def entry(func):
    """``func`` as a batched call must call it: an internal op function (``retrograd.ops...``,
    not a public entry point) is replaced by its dispatching wrapper."""
    if _dispatch._is_op(func):
        return _dispatch.public(func)
    return func


def _install() -> None:
    """Start seeing op calls (while a batched call runs). Every public op entry point
    (``torch.X``, ``Tensor.X``, ``torch.nn.functional.X``, ...) is a dispatching wrapper
    (``retrograd._dispatch``): an op without a rule raises ``NoRule`` as soon as it sees a
    BatchedTensor among its arguments."""
    _dispatch.push_mode(_MODE)


def _uninstall() -> None:
    _dispatch.pop_mode(_MODE)
