"""What a checkpoint's pickle names, in retrograd: storage types, torch's rebuild functions
(``torch._utils._rebuild_tensor_v2`` and friends), Parameter, and the loaded storages.

Every rebuild checks the geometry it is given against the storage it reads before making a
view, so a crafted file gets torch's RuntimeError instead of a view past the end of memory.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .. import nn
from .._tensor import Tensor

# torch's legacy storage class names (what the pickle's persistent ids carry) and dtypes.
STORAGE_NAMES = {
    "FloatStorage": D.float32, "DoubleStorage": D.float64, "HalfStorage": D.float16,
    "LongStorage": D.int64, "IntStorage": D.int32, "ShortStorage": D.int16,
    "CharStorage": D.int8, "ByteStorage": D.uint8, "BoolStorage": D.bool_,
}
DTYPE_TO_STORAGE = {d: name for name, d in STORAGE_NAMES.items()}
# Storage classes torch has that retrograd's dtypes cannot hold.
UNSUPPORTED_STORAGES = ("BFloat16Storage", "ComplexFloatStorage", "ComplexDoubleStorage",
                        "QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage",
                        "QUInt2x4Storage")


class StorageType:
    """A storage class named in a pickle (``torch.FloatStorage``): only its dtype matters."""

    __slots__ = ("dtype", "name")

    def __init__(self, name: str, dtype):
        self.name = name
        self.dtype = dtype

    def __repr__(self) -> str:
        return f"StorageType(dtype=torch.{self.dtype.name})"


STORAGE_TYPES = {name: StorageType(name, d) for name, d in STORAGE_NAMES.items()}
UNTYPED = StorageType("UntypedStorage", D.uint8)


class LoadedStorage:
    """A storage read from a checkpoint: a 1-D array of ``dtype`` over the record's bytes.

    Tensors rebuilt from one storage are views of the same array, so they share memory as
    they did when saved. ``map_location`` callables receive this object."""

    __slots__ = ("array", "dtype", "device")

    def __init__(self, raw: np.ndarray, dtype):
        self.array = raw.view(dtype.np) if raw.size else np.empty(0, dtype.np)
        self.dtype = dtype
        self.device = "cpu"

    def size(self) -> int:
        return self.array.size

    def nbytes(self) -> int:
        return self.array.nbytes

    def cpu(self) -> "LoadedStorage":
        return self

    def __len__(self) -> int:
        return self.array.size


def _ints(value, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise RuntimeError(f"invalid {what} in checkpoint: {value!r}")
    return tuple(value)


def tensor_from_storage(storage, storage_offset, size, stride) -> np.ndarray:
    """torch's ``set_(storage, storage_offset, size, stride)``, checked, as a NumPy view."""
    if not isinstance(storage, LoadedStorage):
        raise RuntimeError(f"expected a storage in checkpoint, got {type(storage).__name__}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if not isinstance(storage_offset, int) or isinstance(storage_offset, bool):
        raise RuntimeError(f"invalid storage offset in checkpoint: {storage_offset!r}")
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: size {list(size)} and "
                           f"stride {list(stride)}")
    if storage_offset < 0:
        raise RuntimeError(f"Tensor: invalid storage offset {storage_offset}")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(size)}")
    if any(s < 0 for s in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    numel = 1
    for s in size:
        numel *= s
    if numel >= 1 << 62 or len(size) > 64:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)}")
    arr = storage.array
    if numel == 0:
        return np.empty(size, dtype=arr.dtype)
    needed = storage_offset + 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if needed > arr.size:  # torch would have to grow the loaded storage, which it refuses
        raise RuntimeError("Trying to resize storage that is not resizable")
    isz = arr.itemsize
    out = np.lib.stride_tricks.as_strided(arr[storage_offset:], size, [s * isz for s in stride],
                                          writeable=arr.flags.writeable)
    if any(st == 0 and n > 1 for n, st in zip(size, stride)):
        out.flags.writeable = False  # elements share memory, as after expand()
    return out


def _tensor(data: np.ndarray, requires_grad) -> Tensor:
    t = Tensor._make(data)
    if requires_grad:
        t.requires_grad = bool(requires_grad)  # torch's error for integer dtypes
    return t


def rebuild_tensor(storage, storage_offset, size, stride):
    return _tensor(tensor_from_storage(storage, storage_offset, size, stride), False)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks,
                      metadata=None):
    """``torch._utils._rebuild_tensor_v2``; the hooks (always empty when torch saves) and the
    conj/neg metadata (retrograd has neither) are refused when set."""
    if metadata:
        raise RuntimeError(f"retrograd cannot load tensors with metadata {metadata!r}")
    if backward_hooks:
        raise RuntimeError("retrograd cannot load tensors saved with backward hooks")
    return _tensor(tensor_from_storage(storage, storage_offset, size, stride), requires_grad)


def parameter_class():
    """``retrograd.nn.Parameter`` where it exists, else None (see ``make_parameter``)."""
    return getattr(nn, "Parameter", None)


def make_parameter(data, requires_grad=True):
    """``torch.nn.Parameter(data, requires_grad)``: retrograd's Parameter when it exists;
    without it, a plain leaf tensor sharing ``data``'s memory, with ``requires_grad`` set."""
    if not isinstance(data, Tensor):
        raise RuntimeError(f"expected a tensor for nn.Parameter, got {type(data).__name__}")
    cls = parameter_class()
    if cls is not None:
        return cls(data, requires_grad)
    return _tensor(data._data, requires_grad)


def _set_state(obj, state):
    if not state:
        return obj
    dict_state, slots = state if isinstance(state, tuple) and len(state) == 2 else (state, None)
    for part in (dict_state, slots):
        for k, v in (part or {}).items():
            if not isinstance(k, str):
                raise RuntimeError(f"Invalid serialized state: {state!r}")
            try:
                setattr(obj, k, v)
            except AttributeError:
                raise RuntimeError(f"retrograd cannot restore attribute {k!r} on "
                                   f"{type(obj).__name__}") from None
    return obj


def rebuild_parameter(data, requires_grad, backward_hooks):
    return make_parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _set_state(make_parameter(data, requires_grad), state)


def rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: a tensor of a subclass, or with attributes."""
    if not callable(func) or not isinstance(args, tuple):
        raise RuntimeError("invalid tensor rebuild in checkpoint")
    ret = func(*args)
    if new_type is make_parameter:
        ret = make_parameter(ret, ret.requires_grad)
    elif new_type is not Tensor:
        raise RuntimeError(f"retrograd cannot rebuild a tensor of type {new_type!r}")
    return _set_state(ret, state)
