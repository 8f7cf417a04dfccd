"""torch.device, the default device, and the one check every factory makes on ``device=``.

A ``device`` names any of PyTorch's device types (``device('cuda:0')`` is constructible, as in
a CPU build of PyTorch); retrograd computes on the CPU only, so creating or moving a tensor to
another device raises what PyTorch 2.13 (CPU build) raises: ``AssertionError: Torch not
compiled with CUDA enabled`` for CUDA, and a ``NotImplementedError`` for the other types.
"""
from __future__ import annotations

import re

_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve",
          "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone")
_TYPE_SET = frozenset(_TYPES)
# c10's device-string grammar: a name of letters and '_', then optionally ':' and an index
# without leading zeros
_GRAMMAR = re.compile(r"([A-Za-z_]+)(?::(0|[1-9][0-9]*))?")
NO_CUDA = "Torch not compiled with CUDA enabled"
NO_ACCELERATOR = "Cannot access accelerator device when none is available."


def _bad_args(got: str, why: str = "") -> TypeError:
    return TypeError(f"device() received an invalid combination of arguments - got ({got}), but "
                     f"expected one of:\n * (torch.device device)\n{why} * (str type, int index "
                     f"= -1)\n")


def _parse(text: str) -> tuple:
    if not text:
        raise RuntimeError("Device string must not be empty")
    m = _GRAMMAR.fullmatch(text)
    if m is None:
        raise RuntimeError(f"Invalid device string: '{text}'")
    name, idx = m.groups()
    if name not in _TYPE_SET:
        raise RuntimeError(f"Expected one of {', '.join(_TYPES)} device type at start of device "
                           f"string: {name}")
    if idx is not None and int(idx) > 2 ** 31 - 1:
        raise RuntimeError(f"Could not parse device index '{idx}' in device string '{text}'")
    return name, None if idx is None else int(idx)


_MISSING = object()


class device:
    """A device type and optional index: ``device('cpu')``, ``device('cuda', 0)``,
    ``device('cuda:1')``. Immutable, hashable; usable as ``with device(...):`` like PyTorch
    (the default device inside the block)."""

    __slots__ = ("_type", "_index", "_prev")

    def __init__(self, type=_MISSING, index=None, **kwargs):  # noqa: A002 - torch's names
        if kwargs:
            if type is _MISSING:
                raise TypeError('device() missing 1 required positional arguments: "type"')
            got = ", ".join(f"{k}={_tname(v)}" for k, v in sorted(
                {**kwargs, "type": type, "index": index}.items()) if v is not None)
            raise _bad_args(got + ", ")
        if isinstance(type, device):
            type, index = type._type, type._index if index is None else index
        elif isinstance(type, int) and not isinstance(type, bool):
            raise RuntimeError(NO_ACCELERATOR)
        elif isinstance(type, str):
            name, idx = _parse(type)
            if idx is not None and index is not None:
                raise RuntimeError("type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            type, index = name, idx if index is None else index
        elif type is _MISSING:
            raise _bad_args("")
        else:
            raise _bad_args(_tname(type), "      didn't match because some of the arguments have "
                            f"invalid types: (!{_tname(type)}!)\n")
        if index is not None:
            if not isinstance(index, int) or isinstance(index, bool):
                raise TypeError(f"device(): argument 'index' (position 2) must be int, not "
                                f"{_tname(index)}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        object.__setattr__(self, "_type", type)
        object.__setattr__(self, "_index", index)

    @property
    def type(self) -> str:
        return self._type

    @property
    def index(self):
        return self._index

    def __setattr__(self, name, value):
        raise AttributeError(f"attribute '{name}' of 'torch.device' objects is not writable")

    def __repr__(self) -> str:
        return f"device(type='{self._type}')" if self._index is None else \
            f"device(type='{self._type}', index={self._index})"

    def __str__(self) -> str:
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __eq__(self, other) -> bool:
        return isinstance(other, device) and self._type == other._type and \
            self._index == other._index

    def __hash__(self) -> int:
        return hash((self._type, self._index))

    def __reduce__(self):
        return (device, (self._type, self._index))

    def __enter__(self) -> "device":
        global _default
        object.__setattr__(self, "_prev", _default)
        _default = self
        return self

    def __exit__(self, *exc) -> None:
        global _default
        _default = self._prev


def _tname(v) -> str:
    return "NoneType" if v is None else type(v).__name__


CPU = device("cpu")
_default = None  # set_default_device / ``with device(...)``: None means the CPU


def set_default_device(device) -> None:  # noqa: F811 - torch's parameter name
    """Factories called without ``device=`` behave as if given this one (None: the CPU)."""
    global _default
    _default = None if device is None else _as_device(device)


def get_default_device() -> device:
    d = _default
    if d is None:
        return CPU
    if d._index is None and d._type != "cpu":
        check(d)  # PyTorch asks the device type for its current index: raises
    return d


def _as_device(d) -> device:
    return d if type(d) is device else device(d)


NO_PIN = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory "
          "allocator is available on this system.")


def check(dev, pin_memory: bool = False) -> None:
    """The ``device=`` (and ``pin_memory=``) arguments of a factory or ``Tensor.to``: parsed
    with PyTorch's errors; anything but the CPU, or pinned memory, raises what a CPU build of
    PyTorch raises."""
    if pin_memory:
        raise RuntimeError(NO_PIN)
    if dev is None:
        dev = _default
        if dev is None:
            return
    d = _as_device(dev)
    if d._type == "cpu":
        return
    if d._type == "cuda":
        raise AssertionError(NO_CUDA)
    raise NotImplementedError(f"Could not run 'aten::empty.memory_format' with arguments from the "
                              f"'{d._type.upper()}' backend: retrograd computes on the CPU only")
