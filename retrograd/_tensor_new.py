"""``Tensor.new_zeros / new_ones / new_full / new_empty / new_tensor / new``: factories that take
their dtype (and device) from the tensor they are called on unless told otherwise."""
from __future__ import annotations

import numbers

import numpy as np

from . import _dtype as D
from ._device import check as _check_device
from ._size import Size
from ._tensor import Tensor
from ._creation import _finish as finish
from ._grad_mode import no_grad
from . import _warn
from ._creation import _from_data


def _size(name: str, args: tuple, position: int = 1) -> tuple:
    """PyTorch's parsing of a ``size`` argument given as ints or as one sequence."""
    if not args:
        raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
    seq = len(args) == 1 and isinstance(args[0], (tuple, list, Size))
    items = tuple(args[0]) if seq else args
    for i, s in enumerate(items):
        if isinstance(s, Tensor) and s._data.ndim == 0 and s._data.dtype.kind in "iu":
            continue
        if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
            continue
        tname = type(s).__name__
        if i == 0 and not seq:
            raise TypeError(f"{name}(): argument 'size' (position {position}) must be tuple of "
                            f"ints, not {tname}")
        if i == 0 or isinstance(s, bool):
            raise TypeError(f"{name}(): argument 'size' (position {position}) must be tuple of "
                            f"ints, but found element of type {tname} at pos {i}")
        raise TypeError(f"{name}(): argument 'size' failed to unpack the object at pos {i + 1} "
                        f"with error \"type must be tuple of ints,but got {tname}\"")
    size = tuple(int(s) for s in items)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
    return size


def _dtype(name: str, self: Tensor, dtype) -> D.dtype:
    if dtype is None:
        return self.dtype
    if not isinstance(dtype, D.dtype):
        raise TypeError(f"{name}(): argument 'dtype' must be torch.dtype, not "
                        f"{type(dtype).__name__}")
    return dtype


def _finish(arr: np.ndarray, requires_grad: bool, device, pin_memory: bool = False) -> Tensor:
    if device is not None or pin_memory:
        _check_device(device, pin_memory)
    return finish(arr, requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False) -> Tensor:
    return _finish(np.zeros(_size("new_zeros", size), _dtype("new_zeros", self, dtype).np),
                   requires_grad, device, pin_memory)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False) -> Tensor:
    return _finish(np.ones(_size("new_ones", size), _dtype("new_ones", self, dtype).np),
                   requires_grad, device, pin_memory)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False) -> Tensor:
    return _finish(np.empty(_size("new_empty", size), _dtype("new_empty", self, dtype).np),
                   requires_grad, device, pin_memory)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False) -> Tensor:
    if not isinstance(size, (tuple, list, Size)):
        raise TypeError(f"new_full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    shape = _size("new_full", (size,))
    if not isinstance(fill_value, (numbers.Number, np.number, np.bool_)):
        raise TypeError(f"new_full(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(fill_value).__name__}")
    out = Tensor._make(np.empty(shape, _dtype("new_full", self, dtype).np))
    with no_grad():
        out.fill_(fill_value)  # PyTorch's overflow check ("value cannot be converted ...")
    return _finish(out._data, requires_grad, device, pin_memory)


_COPY_WARNING = ("To copy construct from a tensor, it is recommended to use "
                 "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                 ".requires_grad_(True), rather than tensor.new_tensor(sourceTensor).")


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False,
               layout=None) -> Tensor:
    """A new leaf holding a copy of ``data``, of this tensor's dtype unless ``dtype`` is given."""
    dt = _dtype("new_tensor", self, dtype)
    if isinstance(data, Tensor):
        _warn.warn(_COPY_WARNING, UserWarning)
    elif isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    elif data is None:
        raise TypeError("must be real number, not NoneType")
    arr = _from_data(data, dt)
    if isinstance(data, np.ndarray) and arr is data:
        arr = arr.copy()
    return _finish(arr, requires_grad, device)


METHODS = {"new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_empty,
           "new_full": new_full, "new_tensor": new_tensor}  # Tensor.new: in _legacy.py
