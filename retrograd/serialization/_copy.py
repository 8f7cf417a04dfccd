"""pickle, copy.copy and copy.deepcopy of a Tensor, with torch's semantics.

* ``pickle``: the tensor's whole storage travels with it (as in torch, each tensor pickles its
  own copy of its storage, so views pickled together come back with separate memory); sizes,
  strides, storage offset, dtype and ``requires_grad`` are kept. A non-leaf comes back as a
  leaf that requires grad, as in torch.
* ``copy.copy``: goes through the same reduction without pickling, so the copy shares memory
  with the original (torch's behaviour).
* ``copy.deepcopy``: leaves only (torch's error otherwise); storages are copied once per
  ``deepcopy`` call, so views deep-copied together still share memory, with their strides and
  offsets; ``.grad`` is deep-copied too.
"""
from __future__ import annotations

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor, attach
from ..ops.shape.strided import _extent, _ptr, _storage_array, storage

_DEEPCOPY_ERROR = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at "
    "the moment.  If you were attempting to deepcopy a module, this may be because of a "
    "torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")


class _Storage:
    """The memory block of a tensor, as bytes: pickles as its contents, copies as a reference."""

    __slots__ = ("mem",)

    def __init__(self, mem: np.ndarray):
        self.mem = mem

    def __reduce__(self):
        return _storage_from_bytes, (self.mem.tobytes(),)


def _storage_from_bytes(data: bytes) -> _Storage:
    return _Storage(np.frombuffer(data, dtype=np.uint8).copy())


def _memory(a: np.ndarray) -> tuple:
    """(uint8 array over the whole storage of ``a``, byte offset of ``a``'s first element)."""
    top, start, _ = storage(a)
    lo, hi = _extent(top)
    mem = _storage_array(top, lo, hi - lo, np.uint8) if hi > lo else np.empty(0, np.uint8)
    return mem, _ptr(a) - lo


def _view(mem: np.ndarray, a: np.ndarray, offset: int) -> np.ndarray:
    """``a``'s geometry (byte strides, any sign) over the storage bytes ``mem``."""
    if a.size == 0:
        return np.empty(a.shape, a.dtype)
    out = np.ndarray(a.shape, a.dtype, buffer=mem, offset=offset, strides=a.strides)
    if not a.flags.writeable:
        out.flags.writeable = False
    return out


def _rebuild(storage_: _Storage, dtype, offset: int, shape: tuple, strides: tuple,
             writeable: bool, requires_grad: bool) -> Tensor:
    if 0 in shape:
        data = np.empty(shape, dtype.np)
    else:
        data = np.ndarray(shape, dtype.np, buffer=storage_.mem, offset=offset, strides=strides)
        if not writeable:
            data.flags.writeable = False
    return Tensor._make(data, None, requires_grad)


def _as_type(t: Tensor, cls) -> Tensor:
    """``t``'s state in an instance of the Tensor subclass ``cls`` (torch's as_subclass)."""
    if cls is Tensor:
        return t
    new = object.__new__(cls)
    for slot in ("_data", "grad_fn", "_requires_grad", "_grad", "_vc", "_x", "_fw"):
        setattr(new, slot, getattr(t, slot))
    return new


def _set_state(t: Tensor, state) -> Tensor:
    for k, v in (state or {}).items():
        setattr(t, k, v)
    return t


def _rebuild_typed(cls, args: tuple, state) -> Tensor:
    return _set_state(_as_type(_rebuild(*args), cls), state)


def reduce_tensor(t: Tensor):
    """``Tensor.__reduce_ex__``: rebuilt from its storage by ``_rebuild`` (subclasses and
    attributes by ``_rebuild_typed``, as torch's ``_rebuild_from_type_v2``)."""
    a = t._data
    mem, offset = _memory(a)
    args = (_Storage(mem), D._NP_TO_DTYPE[a.dtype], offset, a.shape, a.strides,
            bool(a.flags.writeable), t._requires_grad)
    state = getattr(t, "__dict__", None)
    if type(t) is Tensor and not state:
        return _rebuild, args
    return _rebuild_typed, (type(t), args, dict(state) if state else None)


def deepcopy_tensor(t: Tensor, memo: dict) -> Tensor:
    """``Tensor.__deepcopy__``."""
    from copy import deepcopy   # loaded already: copy.deepcopy is what calls this
    if t.grad_fn is not None:
        raise RuntimeError(_DEEPCOPY_ERROR)
    a = t._data
    top = storage(a)[0]
    copies = memo.setdefault("retrograd.storages", {})  # id(owner) -> (owner, its copy)
    entry = copies.get(id(top))
    mem, offset = _memory(a)
    if entry is None:
        entry = copies[id(top)] = (top, mem.copy())
    new = _as_type(Tensor._make(_view(entry[1], a, offset), None, t._requires_grad), type(t))
    memo[id(t)] = new
    if t._grad is not None:
        new._grad = deepcopy(t._grad, memo)
    state = getattr(t, "__dict__", None)
    if state:
        _set_state(new, deepcopy(state, memo))
    return new


@attach
def __deepcopy__(self, memo):
    return deepcopy_tensor(self, memo)


@attach
def __reduce_ex__(self, protocol):
    # pickle and copy.copy: the storage travels along
    return reduce_tensor(self)
