"""torch.finfo / torch.iinfo (the limits of a dtype) and torch.typename."""
from __future__ import annotations

import math
import sys

import numpy as np

from . import _dtype as D
from ._tensor import Tensor

__all__ = ["finfo", "iinfo", "typename"]


def _g(v) -> str:
    return "%g" % v


class _ReadOnly:
    """Attributes set once in ``__init__`` and read-only afterwards, as PyTorch's are."""
    __slots__ = ("_frozen",)

    def __setattr__(self, name, value):
        if getattr(self, "_frozen", False):
            raise AttributeError(f"attribute '{name}' of 'torch.{type(self).__name__}' objects "
                                 "is not writable")
        object.__setattr__(self, name, value)


class finfo(_ReadOnly):
    """Machine limits of a floating dtype (``finfo()``: the default dtype)."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):  # noqa: A002 - torch's name
        if type is None:
            type = D.get_default_dtype()
        if not isinstance(type, D.dtype):
            raise TypeError(f"finfo(): argument 'type' (position 1) must be torch.dtype, not "
                            f"{_tname(type)}")
        if not type.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        info = np.finfo(type.np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))
        self.dtype = type.name
        self._frozen = True

    def __repr__(self) -> str:
        return (f"finfo(resolution={_g(self.resolution)}, min={_g(self.min)}, max={_g(self.max)}, "
                f"eps={_g(self.eps)}, smallest_normal={_g(self.smallest_normal)}, tiny="
                f"{_g(self.tiny)}, dtype={self.dtype})")

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, finfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("finfo", self.dtype))


class iinfo(_ReadOnly):
    """Machine limits of an integer dtype."""

    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):  # noqa: A002
        if not isinstance(type, D.dtype):
            raise TypeError(f"iinfo(): argument 'type' (position 1) must be torch.dtype, not "
                            f"{_tname(type)}")
        if type is D.bool_:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        if type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits, self.max, self.min, self.dtype = info.bits, int(info.max), int(info.min), \
            type.name
        self._frozen = True

    def __repr__(self) -> str:
        return f"iinfo(min={_g(self.min)}, max={_g(self.max)}, dtype={self.dtype})"

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        return isinstance(other, iinfo) and other.dtype == self.dtype

    def __hash__(self) -> int:
        return hash(("iinfo", self.dtype))



def _tname(v) -> str:
    tp = v if isinstance(v, type) else type(v)
    return tp.__name__


def _public_name(module: str, qualname: str, cls) -> str:
    """retrograd's classes under PyTorch's names: ``torch.Tensor`` for what ``retrograd``
    exports at the top, ``torch.nn.modules.linear.Linear`` for the rest."""
    if module != "retrograd" and not module.startswith("retrograd."):
        return f"{module}.{qualname}"
    # the package's namespace, read (it sits above this layer; loaded before anything here runs)
    if getattr(sys.modules.get("retrograd"), qualname, None) is cls:
        return f"torch.{qualname}"
    return f"torch{module[len('retrograd'):]}.{qualname}"


def typename(obj, /) -> str:
    """'torch.FloatTensor' for a tensor, else the object's qualified name ('int',
    'torch.nn.modules.linear.Linear')."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = getattr(obj, "__module__", "") or ""
    cls = obj
    if hasattr(obj, "__qualname__"):
        qualname = obj.__qualname__
    elif hasattr(obj, "__name__"):
        qualname = obj.__name__
    else:
        cls = obj.__class__
        module = cls.__module__ or ""
        qualname = cls.__qualname__
    if module in ("", "builtins"):
        return qualname
    return _public_name(module, qualname, cls)
