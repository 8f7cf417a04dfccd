"""Checkpoints that move between retrograd and PyTorch.

``save`` writes PyTorch's zip format (what ``torch.save`` writes: ``torch.load`` reads it, with
``weights_only=True`` and with ``mmap=True``); ``load`` reads what ``torch.save`` writes, by
default through an allow-list unpickler that runs no code from the file. Writes to a path are
atomic. ``retrograd.serialization.safetensors`` reads and writes safetensors files through the
optional ``safetensors`` package.

    _zipio.py      the zip container: aligned records, atomic writes, checked reads
    _save.py       the pickler that writes torch's names for retrograd objects
    _unpickler.py  the weights-only interpreter and its allow-list (add_safe_globals)
    _rebuild.py    torch's rebuild functions, storage types and Parameter, in retrograd
    _load.py       load(): zip and legacy formats, map_location, mmap
    _copy.py       pickle / copy / deepcopy of a single Tensor
"""
from __future__ import annotations

from . import _copy  # noqa: F401 - attaches Tensor.__deepcopy__ / __reduce_ex__ (at import)
from .. import _lazy

# the pickler, the unpickler and the zip reader load on first use (``_lazy.py``)
_LAZY = {"load": "_load:load", "save": "_save:save", "DEFAULT_PROTOCOL": "_save:DEFAULT_PROTOCOL",
         "add_safe_globals": "_unpickler:add_safe_globals",
         "clear_safe_globals": "_unpickler:clear_safe_globals",
         "get_safe_globals": "_unpickler:get_safe_globals",
         "safe_globals": "_unpickler:safe_globals"}
__getattr__, __dir__ = _lazy.attach(__name__, _LAZY, globals())

__all__ = ["DEFAULT_PROTOCOL", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "load", "safe_globals", "save"]
