"""``save``: PyTorch's checkpoint format written from retrograd objects.

The pickle names torch's own globals (``torch._utils._rebuild_tensor_v2``,
``torch.FloatStorage``, ``torch.float32``, ``torch.Size``, ``collections.OrderedDict``), so
``torch.load(..., weights_only=True)`` reads the file; retrograd maps the same names back on
load. Storages go into ``data/<key>`` records, one per distinct memory block: views of one
tensor are written once and come back sharing memory, in torch and in retrograd.
"""
from __future__ import annotations

import io
import os
import pickle
import types
import struct
import sys
from collections import OrderedDict

import numpy as np

from .. import _dtype as D
from .._device import device
from .._size import Size
from .._tensor import Tensor
from ..ops.shape.strided import _extent, _ptr, _storage_array, storage, torch_strides
from . import _rebuild as R
from ._zipio import ZipWriter
from ._zipio import serialization_id
from ._zipio import AtomicFile

DEFAULT_PROTOCOL = 2
MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


class _Global:
    """Stands for a torch global in the pickle (written as GLOBAL module name)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle asks reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is a name in a pickle, not a function")


_REBUILD_V2 = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAM = _Global("torch._utils", "_rebuild_parameter")
_SIZE = _Global("torch", "Size")
_DEVICE = _Global("torch", "device")
_STORAGE_TYPES = {d: _Global("torch", name) for d, name in R.DTYPE_TO_STORAGE.items()}


class _StorageRef:
    """One tensor's reference to the storage its memory lives in (a persistent id)."""

    __slots__ = ("key", "dtype", "numel")

    def __init__(self, key: str, dtype, numel: int):
        self.key, self.dtype, self.numel = key, dtype, numel


class _Storages:
    """The distinct memory blocks met while pickling, keyed ``"0"``, ``"1"``, ... in order."""

    def __init__(self):
        self.by_owner = {}   # id(owner array) -> (owner, key, dtype, start, nbytes)
        self.records = {}    # key -> uint8 array over the block

    def locate(self, a: np.ndarray) -> tuple:
        """(storage ref, storage_offset, stride) of the array ``a`` in torch's terms."""
        dt = D._NP_TO_DTYPE[a.dtype]
        isz = a.itemsize
        top, start, _ = storage(a)
        off = _ptr(a) - start
        if a.size and (any(s < 0 or s % isz for s in a.strides) or off % isz):
            # torch strides are non-negative and whole elements: save a packed copy instead
            a = np.ascontiguousarray(a)
            top, start, off = a, _ptr(a), 0
        entry = self.by_owner.get(id(top))
        if entry is None:
            lo, hi = _extent(top)
            nbytes = (hi - lo) // isz * isz
            key = str(len(self.by_owner))
            entry = (top, key, dt, lo, nbytes)
            self.by_owner[id(top)] = entry
            self.records[key] = _storage_array(top, lo, nbytes, np.uint8) if nbytes else \
                np.empty(0, np.uint8)
        elif entry[2] is not dt:
            raise RuntimeError("Cannot save multiple tensors or storages that view the same data "
                               "as different types")
        _, key, _, _, nbytes = entry
        return _StorageRef(key, dt, nbytes // isz), off // isz, torch_strides(a)


class _TorchPickler(pickle._Pickler):
    """Pickles retrograd objects under torch's names (the pure-Python pickler, whose
    ``save_global`` can write a torch name without importing torch)."""

    def __init__(self, file, protocol, storages: _Storages, legacy: bool = False):
        super().__init__(file, protocol)
        self.storages = storages
        self.legacy = legacy

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            pid = ("storage", _STORAGE_TYPES[obj.dtype], obj.key, "cpu", obj.numel)
            return pid + (None,) if self.legacy else pid
        return None

    def reducer_override(self, obj):
        t = type(obj)
        if (t is type or t is types.FunctionType) and "<locals>" in obj.__qualname__:
            raise AttributeError(f"Can't pickle local object {obj.__qualname__!r}")  # C pickle
        if t is _Global or t is D.dtype:
            return "global"  # written by save_global below
        if isinstance(obj, Tensor):
            param = R.parameter_class()
            if param is not None and isinstance(obj, param):
                data = Tensor._make(obj._data)
                return _REBUILD_PARAM, (data, obj.requires_grad, OrderedDict())
            ref, offset, stride = self.storages.locate(obj._data)
            return _REBUILD_V2, (ref, offset, tuple(obj._data.shape), stride,
                                 obj.requires_grad, OrderedDict())
        if t is Size:
            return _SIZE, (tuple(obj),)
        if t is device:
            return _DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index)
        return NotImplemented

    def save_global(self, obj, name=None):
        if type(obj) is _Global:
            module, name = obj.module, obj.name
        elif type(obj) is D.dtype:
            module, name = "torch", obj.name
        else:
            return super().save_global(obj, name)
        if self.proto >= 4:
            self.save(module)
            self.save(name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + f"{module}\n{name}\n".encode("utf-8"))
        self.memoize(obj)


def _archive_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.path.splitext(os.path.basename(os.fspath(f)))[0]
    return "archive"


def _write_zip(obj, out, archive: str, protocol: int, byteorder: bool) -> None:
    storages = _Storages()
    buf = io.BytesIO()
    _TorchPickler(buf, protocol, storages).dump(obj)
    zw = ZipWriter(out, archive)
    try:
        zw.write_record("data.pkl", buf.getbuffer())
        zw.write_record(".format_version", b"1")
        zw.write_record(".storage_alignment", b"64")
        if byteorder:
            zw.write_record("byteorder", sys.byteorder.encode())
        for key, data in storages.records.items():
            zw.write_record(f"data/{key}", data)
        zw.write_record("version", b"3\n")
        zw.write_record(".data/serialization_id", serialization_id().encode())
    except BaseException:
        zw.abandon()
        raise
    zw.close()


def _write_legacy(obj, out, protocol: int) -> None:
    """torch's format before 1.6: pickles and raw storages back to back in one stream."""
    storages = _Storages()
    sys_info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
                "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for head in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
        pickle.dump(head, out, protocol=protocol)
    _TorchPickler(out, protocol, storages, legacy=True).dump(obj)
    keys = sorted(storages.records)
    pickle.dump(keys, out, protocol=protocol)
    for key in keys:
        data = storages.records[key]
        itemsize = next(e[2] for e in storages.by_owner.values() if e[1] == key).itemsize
        out.write(struct.pack("<q", data.nbytes // itemsize))
        out.write(memoryview(data))


def save(obj, f, pickle_module=pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` to ``f`` (a path or a writable binary file) in PyTorch's format.

    A path is written atomically: to a temporary file in the same folder, flushed and synced,
    then moved over ``f``; an error part-way leaves the old file as it was."""
    if pickle_module is not pickle:
        raise NotImplementedError("retrograd.save writes with the standard pickle module only")

    def write(out):
        if _use_new_zipfile_serialization:
            _write_zip(obj, out, _archive_name(f), pickle_protocol, not _disable_byteorder_record)
        else:
            _write_legacy(obj, out, pickle_protocol)

    if isinstance(f, (str, os.PathLike)):
        tmp = AtomicFile(f)
        try:
            write(tmp.file)
            tmp.commit()
        except BaseException:
            tmp.abort()
            raise
    else:
        if not hasattr(f, "write"):
            raise AttributeError(f"'{type(f).__name__}' object has no attribute 'write'")
        write(f)
