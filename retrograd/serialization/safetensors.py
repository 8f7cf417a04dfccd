"""safetensors files for retrograd tensors, with the API of ``safetensors.torch``:
``save_file(tensors, filename, metadata=None)``, ``load_file(filename, device="cpu")``,
``save(tensors, metadata=None) -> bytes`` and ``load(data) -> dict``.

Needs the optional ``safetensors`` package (``pip install retrograd[safetensors]``); its NumPy
API does the encoding. The checks ``safetensors.torch`` makes before writing are made here too
(same errors): tensors must be contiguous and must not share memory. ``save_file`` writes
atomically, like ``retrograd.save``.
"""
from __future__ import annotations

import os


from .._tensor import Tensor
from ..ops.shape.strided import _extent, storage
from ._zipio import AtomicFile

__all__ = ["load", "load_file", "save", "save_file"]


def _numpy_api():
    try:
        import safetensors.numpy as api
    except ImportError:
        raise ImportError("retrograd's safetensors support needs the safetensors package: "
                          "pip install safetensors") from None
    return api


def _arrays(tensors) -> dict:
    """The NumPy arrays to write, after safetensors.torch's checks."""
    if not isinstance(tensors, dict):
        raise ValueError(f"Expected a dict of [str, torch.Tensor] but received {type(tensors)}")
    invalid = {k for k, v in tensors.items() if not isinstance(v, Tensor)}
    if invalid:
        raise ValueError(f"Key `{invalid}` is invalid, expected torch.Tensor but received "
                         f"{type(tensors[next(iter(invalid))])}")
    groups = {}
    for k, v in tensors.items():
        a = v._data
        if a.size:
            top = storage(a)[0]
            groups.setdefault(id(top), []).append((_extent(a), k))
    failing = []
    for members in groups.values():
        members.sort()
        shared, end = [], None
        for (lo, hi), k in members:
            if end is not None and lo < end:
                shared.append(k)
            else:
                if len(shared) > 1:
                    failing.append(set(shared))
                shared = [k]
            end = hi if end is None else max(end, hi)
        if len(shared) > 1:
            failing.append(set(shared))
    if failing:
        raise RuntimeError(
            "\n            Some tensors share memory, this will lead to duplicate memory on disk "
            f"and potential differences when loading them again: {failing}.\n            A "
            "potential way to correctly save your model is to use `save_model`.\n            "
            "More information at https://huggingface.co/docs/safetensors/torch_shared_tensors"
            "\n            ")
    out = {}
    for k, v in tensors.items():
        if not v._data.flags.c_contiguous:
            raise ValueError(
                f"You are trying to save a non contiguous tensor: `{k}` which is not allowed. It "
                "either means you are trying to save tensors which are reference of each other "
                "in which case it's recommended to save only the full tensors, and reslice at "
                "load time, or simply call `.contiguous()` on your tensor to pack it before "
                "saving.")
        out[k] = v._data
    return out


def _tensors(arrays: dict) -> dict:
    return {k: Tensor._make(a if a.flags.writeable else a.copy()) for k, a in arrays.items()}


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors encoding of ``tensors`` (a dict of name -> Tensor) as bytes."""
    return _numpy_api().save(_arrays(tensors), metadata=metadata)


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` to ``filename`` in safetensors format, atomically."""
    api = _numpy_api()
    arrays = _arrays(tensors)
    tmp = AtomicFile(filename)
    try:
        tmp.file.close()  # safetensors writes the temporary path itself
        api.save_file(arrays, tmp.tmp, metadata=metadata)
        tmp.file = open(tmp.tmp, "rb+")
        tmp.commit()
    except BaseException:
        tmp.abort()
        raise


def load(data: bytes) -> dict:
    """The tensors encoded in ``data`` (bytes in safetensors format)."""
    return _tensors(_numpy_api().load(data))


def load_file(filename, device="cpu") -> dict:
    """The tensors stored in the safetensors file ``filename`` (on the CPU)."""
    if str(device) != "cpu":
        raise RuntimeError(f"retrograd runs on the CPU only; device '{device}' is not available")
    return _tensors(_numpy_api().load_file(os.fspath(filename)))
