"""``load``: checkpoints written by ``torch.save`` (zip and legacy formats) or ``retrograd.save``.

``weights_only=True`` (the default, as in torch 2.6+) reads the pickle with the allow-list
interpreter of ``_unpickler.py``; ``weights_only=False`` is the explicit opt-in to Python's own
unpickler, with torch's names mapped to retrograd's. Storages are read (or, with ``mmap=True``,
mapped copy-on-write) only after their sizes were checked against the file.
"""
from __future__ import annotations

import io
import mmap as _mmap
import os
import pickle
import struct
import sys
import warnings

import numpy as np

from .._device import device
from . import _rebuild as R
from . import _unpickler as U
from ._save import MAGIC_NUMBER, PROTOCOL_VERSION
from .safetensors import load_file
from ._zipio import ZipReader
from ._zipio import is_zipfile

_UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will "
    "likely succeed, but it can result in arbitrary code execution. Do it only if you got the "
    "file from a trusted source.")
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


def _weights_only_message(message: str) -> str:
    """torch.load's wrapping of a weights-only unpickling error (same text, same cases)."""
    if "was not an allowed global by default." in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {_UNSAFE_MESSAGE}\n\t(2) Alternatively, to load "
                "with `weights_only=True` please check the recommended steps in the following "
                "error message.\n\tWeightsUnpickler error: " + message + _DOCS_MESSAGE)
    out = f"Weights only load failed. {_UNSAFE_MESSAGE}\n"
    if " is blocked" not in message:
        out += ("Please file an issue with the following so that we can make "
                "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return out + "\n\n" + message + _DOCS_MESSAGE


# -- map_location ------------------------------------------------------------------------------
def _default_restore(storage, location: str):
    if location == "cpu":
        return storage
    kind = location.split(":", 1)[0]
    if kind in ("cuda", "mps", "xpu", "hpu", "mtia"):
        raise RuntimeError(
            f"Attempting to deserialize object on a {kind.upper()} device but "
            f"torch.{kind}.is_available() is False. If you are running on a CPU-only machine, "
            "please use torch.load with map_location=torch.device('cpu') to map your storages "
            "to the CPU.")
    raise RuntimeError("don't know how to restore data location of torch.storage.UntypedStorage "
                       f"(tagged with {location})")


def _restore_location(map_location):
    if map_location is None:
        return _default_restore
    if isinstance(map_location, dict):
        return lambda s, loc: _default_restore(s, str(map_location.get(loc, loc)))
    if isinstance(map_location, (str, bytes)):
        target = map_location.decode() if isinstance(map_location, bytes) else map_location
        return lambda s, loc: _default_restore(s, target)
    if isinstance(map_location, device) or type(map_location).__name__ == "device":
        return lambda s, loc: _default_restore(s, str(map_location))

    def call(storage, location):
        result = map_location(storage, location)
        if result is None:
            return _default_restore(storage, location)
        if not isinstance(result, R.LoadedStorage):
            raise TypeError("map_location should return a storage (the one it was given) or "
                            f"None, not {type(result).__name__}")
        return result
    return call


def _storage_dtype(storage_type):
    if not isinstance(storage_type, R.StorageType):
        raise pickle.UnpicklingError(f"invalid storage type in checkpoint: {storage_type!r}")
    return storage_type.dtype


def _check_numel(numel, dtype) -> int:
    if not isinstance(numel, int) or isinstance(numel, bool) or numel < 0:
        raise RuntimeError(f"invalid storage size in checkpoint: {numel!r}")
    return numel * dtype.itemsize


# -- the zip format ----------------------------------------------------------------------------
def _load_zip(reader, restore, weights_only: bool, mapping, load_args: dict):
    if reader.has_record("byteorder"):
        order = reader.get_record("byteorder")
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode("utf-8", "replace"))
    else:
        order = b"little"
    swap = order.decode() != sys.byteorder
    loaded = {}

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 5:
            raise pickle.UnpicklingError(f"invalid persistent id in checkpoint: {pid!r}")
        _, storage_type, key, location, numel = pid
        if not isinstance(key, str) or not isinstance(location, (str, bytes)):
            raise pickle.UnpicklingError(f"invalid persistent id in checkpoint: {pid!r}")
        dtype = _storage_dtype(storage_type)
        if key in loaded:
            storage = loaded[key]
            if storage.dtype is not dtype:
                if storage.array.nbytes % dtype.itemsize:
                    raise RuntimeError(f"storage {key} is read as two dtypes of different sizes")
                storage = R.LoadedStorage(storage.array.view(np.uint8), dtype)
            return storage
        nbytes = _check_numel(numel, dtype)
        name = f"data/{key}"
        if nbytes % dtype.itemsize:
            raise RuntimeError(f"invalid storage size in checkpoint: {numel!r}")
        raw = reader.map_storage(name, nbytes, mapping) if mapping is not None and nbytes \
            else reader.read_storage(name, nbytes)
        if swap and dtype.itemsize > 1:
            raw = raw.view(dtype.np).byteswap().view(np.uint8)
        location = location.decode("ascii") if isinstance(location, bytes) else location
        storage = restore(R.LoadedStorage(raw, dtype), location)
        loaded[key] = storage
        return storage

    data = reader.get_record("data.pkl")
    return _unpickle(io.BytesIO(data), len(data), persistent_load, weights_only, load_args)


class _TorchUnpickler(pickle.Unpickler):
    """``weights_only=False``: any global, but torch's names come back as retrograd's."""

    def find_class(self, module, name):
        full = f"{module}.{name}"
        for table in (U._CALLABLES, U._TYPES):
            if full in table:
                return table[full]
        if module == "torch" or module.startswith("torch."):
            import importlib
            try:
                mod = importlib.import_module("retrograd" + module[len("torch"):])
                return getattr(mod, name)
            except (ImportError, AttributeError):
                raise RuntimeError(
                    f"retrograd cannot load {full}: retrograd has no equivalent of it") from None
        return super().find_class(module, name)


def _unpickle(f, end: int, persistent_load, weights_only: bool, load_args: dict):
    if weights_only:
        return U.WeightsUnpickler(f, end, persistent_load, load_args["encoding"]).load()
    unpickler = _TorchUnpickler(f, **load_args)
    unpickler.persistent_load = persistent_load
    return unpickler.load()


# -- the legacy format -------------------------------------------------------------------------
def _load_legacy(f, end: int, restore, weights_only: bool, load_args: dict):
    """torch's format before 1.6: magic number, version and system pickles, the object's
    pickle, the list of storage keys, then each storage as an int64 count and its bytes.

    Tensors are rebuilt while the pickle is read, before their data comes: storages are
    allocated at that point (torch does the same), once the sizes they claim fit in what is
    left of the file, and filled afterwards."""
    def header():
        return _unpickle(f, end, _no_persistent, weights_only, load_args)

    if weights_only and f.tell() >= end:  # torch's weights-only unpickler: a bare EOFError
        raise EOFError

    if header() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = header()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    header()  # sys_info
    roots, views = {}, {}
    claimed = [0]

    def persistent_load(pid):
        if not isinstance(pid, tuple) or len(pid) != 6 or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"invalid persistent id in checkpoint: {pid!r}")
        _, storage_type, key, location, numel, view = pid
        dtype = _storage_dtype(storage_type)
        if key not in roots:
            nbytes = _check_numel(numel, dtype)
            claimed[0] += nbytes + 8
            if claimed[0] > end - f.tell():
                raise RuntimeError("corrupt checkpoint: its storages claim more bytes than the "
                                   "file holds")
            location = location.decode("ascii") if isinstance(location, bytes) else location
            roots[key] = restore(R.LoadedStorage(np.empty(nbytes, np.uint8), dtype), location)
        root = roots[key]
        if view is None:
            return root
        view_key, offset, size = view
        if view_key not in views:
            if not all(isinstance(v, int) and v >= 0 for v in (offset, size)) or \
                    offset + size > root.array.size:
                raise RuntimeError(f"invalid storage view in checkpoint: {view!r}")
            views[view_key] = R.LoadedStorage(
                root.array[offset:offset + size].view(np.uint8), dtype)
        return views[view_key]

    result = _unpickle(f, end, persistent_load, weights_only, load_args)
    keys = header()
    if not isinstance(keys, list) or set(keys) != set(roots):
        raise RuntimeError("corrupt checkpoint: the storage list does not match the pickle")
    for key in keys:
        arr = roots[key].array
        head = f.read(8)
        if len(head) != 8 or struct.unpack("<q", head)[0] != arr.size or \
                arr.nbytes > end - f.tell():
            raise RuntimeError("corrupt checkpoint: storage data is truncated or has the wrong "
                               "size")
        if arr.nbytes:
            f.readinto(memoryview(arr.view(np.uint8)))
    return result


def _no_persistent(pid):
    raise pickle.UnpicklingError("unsupported persistent id encountered")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved with ``torch.save`` or ``retrograd.save`` from a path or file."""
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    load_args = {"encoding": "utf-8", **pickle_load_args}
    restore = _restore_location(map_location)
    is_path = isinstance(f, (str, os.PathLike))
    if is_path and os.fspath(f).endswith(".safetensors"):
        return load_file(f)
    opened = open(f, "rb") if is_path else f
    try:
        if not is_path:
            for attr in ("read", "seek", "tell"):
                if not hasattr(opened, attr):
                    raise AttributeError(
                        f"'{type(opened).__name__}' object has no attribute '{attr}'")
            try:
                opened.seek(opened.tell())
            except (OSError, AttributeError, io.UnsupportedOperation) as e:
                raise type(e)(str(e) + ". You can only torch.load from a file that is seekable. "
                              "Please pre-load the data into a buffer like io.BytesIO and try to "
                              "load from it instead.") from None
        try:
            return _load_opened(opened, f if is_path else None, restore, weights_only, mmap,
                                load_args)
        except pickle.UnpicklingError as e:
            if not weights_only:
                raise
            raise pickle.UnpicklingError(_weights_only_message(str(e))) from None
    finally:
        if is_path:
            opened.close()


def _load_opened(f, path, restore, weights_only, mmap, load_args):
    if is_zipfile(f):
        reader = ZipReader(f)
        if reader.has_record("constants.pkl"):
            raise RuntimeError("retrograd cannot load TorchScript archives (torch.jit.save)")
        mapping = None
        if mmap:
            if path is None:
                raise ValueError("f must be a file path in order to use the mmap argument")
            mapping = _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_COPY)
        return _load_zip(reader, restore, weights_only, mapping, load_args)
    if mmap:
        name = f"{path}, " if isinstance(path, str) else ""
        raise RuntimeError("mmap can only be used with files saved with "
                           f"`torch.save({name}_use_new_zipfile_serialization=True), please "
                           "torch.save your checkpoint with this option in order to use mmap.")
    start = f.tell()
    f.seek(0, os.SEEK_END)
    end = f.tell()
    f.seek(start)
    return _load_legacy(f, end, restore, weights_only, load_args)

