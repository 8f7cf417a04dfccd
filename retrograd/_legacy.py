"""PyTorch's legacy tensor types and constructors: ``torch.FloatTensor`` & co. (usable in
``isinstance``, as in PyTorch), ``torch.cuda.FloatTensor`` & co. (CUDA is not compiled in),
``Tensor(...)`` / ``FloatTensor(...)`` / ``Tensor.new(...)``, and ``Tensor.type()``."""
from __future__ import annotations

import numpy as np

from . import _device
from . import _dtype as D
from ._size import Size
from ._tensor import Tensor, attach
from ._creation import _shape
from ._creation import _from_data
from .ops.indexing.getitem import getitem
from .ops.shape.basic import to_dtype

_make = Tensor._make
C_NAME = D.CPP_NAMES  # the one table, in _dtype.py
_CUDA_LIBRARY = (
    "Cannot initialize CUDA without ATen_cuda library. PyTorch splits its backend into two shared "
    "libraries: a CPU library and a CUDA library; this error has occurred because you are trying "
    "to use some CUDA functionality, but the CUDA library has not been loaded by the dynamic "
    "linker for some reason.  The CUDA library MUST be loaded, EVEN IF you don't directly use any "
    "symbols from the CUDA library! One common culprit is a lack of -Wl,--no-as-needed in your "
    "link arguments; many dynamic linkers will delete dynamic library dependencies if you don't "
    "depend on any of their symbols.  You can check if this has occurred by using ldd on your "
    "binary to see if there is a dependency on *_cuda.so library.")
_NEW_OVERLOADS = (" * (*, torch.device device = None)\n * (torch.Storage storage)\n"
                  " * (Tensor other)\n * (tuple of ints size, *, torch.device device = None)\n"
                  " * (object data, *, torch.device device = None)\n")


def _options(dt: D.dtype) -> str:
    return (f"TensorOptions(dtype={C_NAME[dt.name]}, device=cpu, layout=Strided, requires_grad="
            "false (default), pinned_memory=false (default), memory_format=(nullopt))")


def _arg_type(a) -> str:
    if isinstance(a, list):
        inner = sorted({type(v).__name__ for v in a})
        return f"list of [{', '.join(inner)}]"
    return type(a).__name__


def legacy_new(dtype: D.dtype, *args, device=None, _any_tensor=False, **kwargs) -> Tensor:
    """``FloatTensor(...)``, ``Tensor(...)``, ``t.new(...)``: sizes -> uninitialised, a
    torch.Size -> that shape, a sequence -> its data, a tensor of the same dtype (of any dtype
    for ``torch.Tensor(t)``) -> an alias."""
    if kwargs:
        got = ", ".join([_arg_type(a) for a in args] +
                        [f"{k}={type(v).__module__.replace('retrograd', 'torch')}."
                         f"{type(v).__name__}" if type(v).__module__.startswith("retrograd")
                         else f"{k}={type(v).__name__}" for k, v in kwargs.items()])
        raise TypeError(f"new() received an invalid combination of arguments - got ({got}), but "
                        f"expected one of:\n{_NEW_OVERLOADS}")
    if device is not None:
        d = device if type(device) is _device.device else _device.device(device)
        if d.type != "cpu":
            raise RuntimeError(f"legacy constructor expects device type: cpu but device type: "
                               f"{d.type} was passed")
    if not args:
        return _make(np.empty((0,), dtype.np))
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype is not dtype and not _any_tensor:
                raise TypeError(f"expected {_options(dtype)} (got {_options(data.dtype)})")
            return getitem(data, Ellipsis)  # an alias (AliasBackward0), as in PyTorch
        if isinstance(data, Size):
            return _make(np.empty(tuple(data), dtype.np))
        if isinstance(data, str):
            raise TypeError("new(): invalid data type 'str'")
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        return _make(_from_data(data, dtype))
    for i, a in enumerate(args):
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            if all(isinstance(b, (int, np.integer)) for b in args[:i]) and i:
                raise TypeError(f"new(): argument 'size' failed to unpack the object at pos "
                                f"{i + 1} with error \"type must be tuple of ints,but got "
                                f"{type(a).__name__}\"")
            first, rest = _NEW_OVERLOADS.split("\n", 1)
            bad = ", ".join(f"!{_arg_type(b)}!" for b in args)
            raise TypeError(f"new() received an invalid combination of arguments - got "
                            f"({', '.join(type(b).__name__ for b in args)}), but expected one "
                            f"of:\n{first}\n      didn't match because some of the arguments "
                            f"have invalid types: ({bad})\n{rest}")
    return _make(np.empty(_shape(args), dtype.np))


class tensortype(type):
    """The metaclass of the legacy types: ``isinstance(t, FloatTensor)`` is ``t.dtype is
    float32`` (a CUDA type matches no tensor here)."""

    def __instancecheck__(cls, obj) -> bool:
        return not cls.is_cuda and isinstance(obj, Tensor) and obj.dtype is cls.dtype

    def __subclasscheck__(cls, sub) -> bool:
        return sub is cls

    def __repr__(cls) -> str:
        return f"<class '{'torch.cuda' if cls.is_cuda else 'torch'}.{cls.__name__}'>"


tensortype.__module__ = "torch"  # type(FloatTensor) prints as PyTorch's: torch.tensortype


def _make_type(dt: D.dtype, cuda: bool):
    name = dt._legacy

    def __new__(cls, *args, **kwargs):
        if cuda:
            raise TypeError(f"type torch.cuda.{name} not available. Torch not compiled with CUDA "
                            "enabled.")
        return legacy_new(dt, *args, **kwargs)
    return tensortype(name, (), {"__new__": __new__, "dtype": dt, "is_cuda": cuda,
                                 "is_sparse": False})


CPU_TYPES = {d._legacy: _make_type(d, False) for d in D.ALL}
CUDA_TYPES = {d._legacy: _make_type(d, True) for d in D.ALL}
FloatTensor, DoubleTensor, HalfTensor = (CPU_TYPES[n] for n in ("FloatTensor", "DoubleTensor",
                                                                "HalfTensor"))
LongTensor, IntTensor, ShortTensor, CharTensor, ByteTensor, BoolTensor = (
    CPU_TYPES[n] for n in ("LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                           "BoolTensor"))


def _type(self, *args, **kwargs):
    """``t.type()`` -> 'torch.FloatTensor'; ``t.type(T)`` converts to the type ``T`` (a legacy
    type, 'torch.XTensor', a dtype, or torch.Tensor itself), returning ``t`` if it is one.
    Signature: type(dtype=None, non_blocking=False)."""
    if len(args) > 2:
        raise TypeError(f"type() takes from 0 to 2 positional arguments but {len(args)} were "
                        "given")
    params = dict(zip(("dtype", "non_blocking"), args))
    for k, v in kwargs.items():
        if k not in ("dtype", "non_blocking"):
            raise TypeError(f"type() got an unexpected keyword argument '{k}'")
        params[k] = v
    dtype = params.get("dtype")
    if dtype is None:
        return "torch." + self.dtype._legacy
    if isinstance(dtype, str):
        if dtype.startswith("torch.cuda."):
            raise RuntimeError(_CUDA_LIBRARY)
        name = dtype[len("torch."):] if dtype.startswith("torch.") else None
        if name == "Tensor":
            target = D.float32
        elif name in CPU_TYPES:
            target = CPU_TYPES[name].dtype
        else:
            raise ValueError(f"invalid type: '{dtype}'")
    elif isinstance(dtype, D.dtype):
        target = dtype
    elif isinstance(dtype, tensortype):
        if dtype.is_cuda:
            raise RuntimeError(_CUDA_LIBRARY)
        target = dtype.dtype
    elif dtype is Tensor:
        target = D.float32
    elif isinstance(dtype, type):
        raise ValueError(f"invalid type: '{dtype.__name__}'")
    else:
        raise TypeError("dtype must be a type, str, or dtype object")
    if target is self.dtype:
        return self
    return to_dtype(self, target)


@attach
def __new__(cls, *args, **kwargs):
    # Legacy constructor: Tensor(2, 3) is uninitialised float32; Tensor([1, 2]) copies data.
    return legacy_new(D.float32, *args, _any_tensor=True, **kwargs)


def new(self, *args, **kwargs) -> Tensor:
    """Legacy: ``t.new(sizes...)`` uninitialised, ``t.new(data)`` a copy, of ``t``'s dtype."""
    return legacy_new(self.dtype, *args, **kwargs)
