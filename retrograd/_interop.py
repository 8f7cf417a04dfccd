"""Interop with NumPy and DLPack: memory is shared both ways, as in PyTorch.

``Tensor.__dlpack__`` / ``__dlpack_device__`` hand out the tensor's NumPy array through NumPy's
own DLPack export; ``from_dlpack`` imports through ``np.from_dlpack``. So a retrograd tensor can
be read by ``torch.from_dlpack`` (and anything else that speaks DLPack) without a copy, and a
torch tensor or NumPy array becomes a retrograd tensor without one: a write on one side shows on
the other.
"""
from __future__ import annotations

import enum

import numpy as np

from . import _dtype as D
from ._device import check
from ._tensor import Tensor, attach

__all__ = ["DLDeviceType", "to_dlpack", "dlpack_device", "from_dlpack"]


class DLDeviceType(enum.IntEnum):
    """DLPack's device codes (torch.utils.dlpack.DLDeviceType)."""
    kDLCPU = 1
    kDLCUDA = 2
    kDLCUDAHost = 3
    kDLOpenCL = 4
    kDLVulkan = 7
    kDLMetal = 8
    kDLVPI = 9
    kDLROCM = 10
    kDLROCMHost = 11
    kDLExtDev = 12
    kDLCUDAManaged = 13
    kDLOneAPI = 14
    kDLWebGPU = 15
    kDLHexagon = 16
    kDLMAIA = 17


_INVALID_CAPSULE = ("from_dlpack received an invalid capsule. Note that DLTensor capsules can be "
                    "consumed only once, so you might have already constructed a tensor from it "
                    "once.")


def to_dlpack(tensor, *, stream=-1, max_version=None, dl_device=None, copy=None):
    """``Tensor.__dlpack__``: a DLPack capsule of the tensor's memory (NumPy's export)."""
    if tensor._requires_grad:
        raise BufferError("Can't export tensors that require gradient, use tensor.detach()")
    if stream is not None and type(stream) is not int:
        raise TypeError("stream must be ``int`` or ``none``")
    if stream is not None and stream != -1:
        raise AssertionError("stream should be None on cpu.")
    if dl_device is not None:
        dl_device = (int(dl_device[0]), int(dl_device[1]))
    return tensor._data.__dlpack__(stream=None, max_version=max_version, dl_device=dl_device,
                                   copy=copy)


def dlpack_device(tensor) -> tuple:
    return (DLDeviceType.kDLCPU, 0)


class _CapsuleHolder:
    """Lets ``np.from_dlpack`` consume a bare capsule (it only takes objects with __dlpack__)."""

    __slots__ = ("capsule",)

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (DLDeviceType.kDLCPU, 0)


def from_dlpack(ext_tensor, *, device=None, copy=None):
    """``retrograd.from_dlpack``: a tensor sharing memory with ``ext_tensor``."""
    if device is not None:
        check(device)  # CPU only: PyTorch's errors for anything else
    if hasattr(ext_tensor, "__dlpack__"):
        dev = ext_tensor.__dlpack_device__()
        if int(dev[0]) != DLDeviceType.kDLCPU:
            raise BufferError(f"from_dlpack: retrograd only has CPU memory, got DLPack device "
                              f"{dev}")
        arr = np.from_dlpack(ext_tensor, copy=copy)
    else:
        if type(ext_tensor).__name__ != "PyCapsule":
            raise RuntimeError(_INVALID_CAPSULE)
        try:
            arr = np.from_dlpack(_CapsuleHolder(ext_tensor), copy=copy)
        except ValueError:  # a capsule that was consumed already
            raise RuntimeError(_INVALID_CAPSULE) from None
    if arr.dtype not in D._NP_TO_DTYPE:
        raise TypeError(f"from_dlpack: retrograd has no dtype for numpy.{arr.dtype.name}; the "
                        "supported ones are float64, float32, float16, int64, int32, int16, int8, "
                        "uint8 and bool")
    return Tensor._make(arr)


@attach
def __dlpack__(self, *, stream=-1, max_version=None, dl_device=None, copy=None):
    """A DLPack capsule sharing this tensor's memory."""
    return to_dlpack(self, stream=stream, max_version=max_version, dl_device=dl_device, copy=copy)


@attach
def __dlpack_device__(self) -> tuple:
    return dlpack_device(self)
