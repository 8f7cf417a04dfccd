"""The ``weights_only=True`` unpickler: a pickle interpreter that knows containers, numbers,
strings, dtypes, sizes, devices and torch's tensor rebuild functions, and nothing else.

It never imports a module and never calls anything outside its allow-list (plus what the user
registers with ``add_safe_globals``), so a crafted file cannot run code: a global outside the
list raises ``pickle.UnpicklingError`` with torch's message. Every length read from the pickle
is checked against the bytes that are actually left before anything is allocated for it.
"""
from __future__ import annotations

import codecs
import pickle
import struct
import warnings
from _compat_pickle import IMPORT_MAPPING, NAME_MAPPING
from collections import Counter, OrderedDict
from pickle import (ADDITEMS, APPEND, APPENDS, BINBYTES, BINBYTES8, BINFLOAT, BINGET, BININT,
                    BININT1, BININT2, BINPERSID, BINPUT, BINSTRING, BINUNICODE, BINUNICODE8,
                    BUILD, DUP, EMPTY_DICT, EMPTY_LIST, EMPTY_SET, EMPTY_TUPLE, FRAME, FROZENSET,
                    GLOBAL, LONG1, LONG4, LONG_BINGET, LONG_BINPUT, MARK, MEMOIZE, NEWFALSE,
                    NEWOBJ, NEWTRUE, NONE, POP, POP_MARK, PROTO, REDUCE, SETITEM, SETITEMS,
                    SHORT_BINBYTES, SHORT_BINSTRING, SHORT_BINUNICODE, STACK_GLOBAL, STOP, TUPLE,
                    TUPLE1, TUPLE2, TUPLE3, UnpicklingError)

from .. import _dtype as D
from .._device import device
from .._size import Size
from .._tensor import Tensor
from . import _rebuild as R

# modules whose globals are refused even when the user allowlists them (torch's list)
_BLOCKED = ("sys", "os", "posix", "nt")
_user_globals: set = set()


# -- the allow-list ------------------------------------------------------------------------------
def _encode(obj, encoding="utf-8", errors="strict"):
    """``_codecs.encode`` as protocol-2 pickles use it for bytes: text codecs only."""
    if not isinstance(obj, str) or not isinstance(encoding, str) or \
            encoding.lower().replace("_", "-") not in _TEXT_CODECS:
        raise UnpicklingError(f"Trying to call reduce for unrecognized function encode with "
                              f"arguments of type {type(obj).__name__}")
    return codecs.encode(obj, encoding, errors)


_TEXT_CODECS = ("latin1", "latin-1", "iso-8859-1", "utf-8", "utf8", "ascii")


def _bytearray(source=b"", *args):
    if isinstance(source, int):  # bytearray(n) would allocate n bytes the file never held
        raise UnpicklingError("bytearray from an integer size is not allowed")
    return bytearray(source, *args)


def _storage_names() -> dict:
    out = {f"torch.{n}": t for n, t in R.STORAGE_TYPES.items()}
    out["torch.storage.UntypedStorage"] = out["torch.UntypedStorage"] = R.UNTYPED
    return out


_TYPES = {  # pushed by GLOBAL, never called
    "torch.Tensor": Tensor,
    **{f"torch.{d.name}": d for d in D.ALL},
    **_storage_names(),
}
_CALLABLES = {  # pushed by GLOBAL and callable by REDUCE / NEWOBJ
    "collections.OrderedDict": OrderedDict,
    "collections.Counter": Counter,
    "torch.nn.parameter.Parameter": R.make_parameter,
    "torch.Size": Size,
    "torch.device": device,
    "_codecs.encode": _encode,
    "builtins.bytearray": _bytearray,
    "builtins.set": set,
    "builtins.complex": complex,
    "torch._utils._rebuild_tensor": R.rebuild_tensor,
    "torch._utils._rebuild_tensor_v2": R.rebuild_tensor_v2,
    "torch._utils._rebuild_parameter": R.rebuild_parameter,
    "torch._utils._rebuild_parameter_with_state": R.rebuild_parameter_with_state,
    "torch._tensor._rebuild_from_type_v2": R.rebuild_from_type_v2,
}
_CALLABLE_IDS = {id(f) for f in _CALLABLES.values()}
_BUILDABLE = (OrderedDict, Counter)


def add_safe_globals(safe_globals) -> None:
    """Allow these classes/functions (or ``(obj, "module.name")`` pairs) in weights-only loads."""
    _user_globals.update(safe_globals)


def get_safe_globals() -> list:
    return list(_user_globals)


def clear_safe_globals() -> None:
    _user_globals.clear()


class safe_globals:
    """Context manager: ``add_safe_globals`` for the duration of a ``with`` block."""

    def __init__(self, safe_globals):
        self.safe_globals = list(safe_globals)

    def __enter__(self):
        self._added = [g for g in self.safe_globals if g not in _user_globals]
        _user_globals.update(self._added)

    def __exit__(self, *exc):
        _user_globals.difference_update(self._added)


def _user_allowed() -> dict:
    rc = {}
    for f in _user_globals:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full path, "
                                f"but got: {type(f[1])}")
            rc[f[1]] = f[0]
        else:
            rc[f"{f.__module__}.{f.__qualname__}"] = f
    return rc


def find_global(module: str, name: str):
    """The object a GLOBAL names, or torch's UnpicklingError."""
    if (module, name) in NAME_MAPPING:
        module, name = NAME_MAPPING[(module, name)]
    elif module in IMPORT_MAPPING:
        module = IMPORT_MAPPING[module]
    full = f"{module}.{name}"
    if module in _BLOCKED:
        raise UnpicklingError(
            f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.")
    for table in (_CALLABLES, _TYPES, _user_allowed()):
        if full in table:
            return table[full]
    if full.startswith("torch.") and (name in R.UNSUPPORTED_STORAGES or name.startswith(
            ("_rebuild_", "bfloat16", "complex", "q", "uint", "int", "float8"))):
        raise RuntimeError(f"retrograd cannot load {full}: retrograd has no equivalent of it")
    if full.startswith("builtins."):
        full = full[len("builtins."):]
    raise UnpicklingError(
        f"Unsupported global: GLOBAL {full} was not an allowed global by default. Please use "
        f"`torch.serialization.add_safe_globals([{full}])` or the "
        f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this "
        "global if you trust this class/function.")


# -- the interpreter -----------------------------------------------------------------------------
_u1, _u2, _u4, _i4, _u8 = (struct.Struct(f).unpack for f in ("<B", "<H", "<I", "<i", "<Q"))
_f8 = struct.Struct(">d").unpack


class WeightsUnpickler:
    """Reads one pickle from ``f`` (a binary file positioned at it) that ends by ``end``."""

    def __init__(self, f, end: int, persistent_load, encoding: str = "utf-8"):
        self.f = f
        self.end = end
        self.persistent_load = persistent_load
        self.encoding = encoding

    def read(self, n: int) -> bytes:
        if n > self.end - self.f.tell():
            raise UnpicklingError("pickle data was truncated")
        return self.f.read(n)

    def readline(self) -> bytes:
        line = self.f.readline(min(self.end - self.f.tell(), 1 << 16))
        if not line.endswith(b"\n"):
            raise UnpicklingError("pickle exhausted before end of frame")
        return line[:-1]

    def pop_mark(self) -> list:
        if not self.metastack:
            raise UnpicklingError("could not find MARK")
        items, self.stack = self.stack, self.metastack.pop()
        return items

    def pop(self):
        if not self.stack:
            raise UnpicklingError("unpickling stack underflow")
        return self.stack.pop()

    def load(self):
        self.stack, self.metastack, self.memo = [], [], {}
        try:
            return self._load()
        except (IndexError, KeyError, TypeError, ValueError, struct.error) as e:
            if isinstance(e, UnpicklingError):
                raise
            raise UnpicklingError(f"invalid pickle data ({type(e).__name__}: {e})") from None

    def _load(self):  # noqa: C901 - one branch per opcode, like pickle's own _Unpickler
        read, memo, f, end = self.read, self.memo, self.f, self.end
        while True:
            key = f.read(1) if f.tell() < end else b""
            if not key:
                raise EOFError("Ran out of input")
            stack = self.stack
            if key == BINPUT:
                memo[read(1)[0]] = stack[-1]
            elif key == LONG_BINPUT:
                memo[_u4(read(4))[0]] = stack[-1]
            elif key == MEMOIZE:
                memo[len(memo)] = stack[-1]
            elif key in (BINGET, LONG_BINGET):
                idx = read(1)[0] if key == BINGET else _u4(read(4))[0]
                if idx not in memo:
                    raise UnpicklingError(f"Memo value not found at index {idx}")
                stack.append(memo[idx])
            elif key == MARK:
                self.metastack.append(stack)
                self.stack = []
            elif key in (BINUNICODE, SHORT_BINUNICODE, BINUNICODE8):
                n = (_u4(read(4)) if key == BINUNICODE else _u1(read(1)) if
                     key == SHORT_BINUNICODE else _u8(read(8)))[0]
                stack.append(str(read(n), "utf-8", "surrogatepass"))
            elif key in (BININT1, BININT2, BININT):
                stack.append(read(1)[0] if key == BININT1 else _u2(read(2))[0] if
                             key == BININT2 else _i4(read(4))[0])
            elif key in (LONG1, LONG4):
                n = read(1)[0] if key == LONG1 else _i4(read(4))[0]
                if n < 0:
                    raise UnpicklingError("LONG pickle has negative byte count")
                stack.append(int.from_bytes(read(n), "little", signed=True))
            elif key == BINFLOAT:
                stack.append(_f8(read(8))[0])
            elif key in (NONE, NEWTRUE, NEWFALSE):
                stack.append(None if key == NONE else key == NEWTRUE)
            elif key in (EMPTY_TUPLE, EMPTY_LIST, EMPTY_DICT, EMPTY_SET):
                stack.append(() if key == EMPTY_TUPLE else [] if key == EMPTY_LIST else
                             {} if key == EMPTY_DICT else set())
            elif key == TUPLE:
                items = self.pop_mark()
                self.stack.append(tuple(items))
            elif key in (TUPLE1, TUPLE2, TUPLE3):
                n = 1 if key == TUPLE1 else 2 if key == TUPLE2 else 3
                if len(stack) < n:
                    raise UnpicklingError("unpickling stack underflow")
                stack[-n:] = [tuple(stack[-n:])]
            elif key in (APPEND, APPENDS):
                items = [self.pop()] if key == APPEND else self.pop_mark()
                target = self.stack[-1]
                if type(target) is not list:
                    raise UnpicklingError(f"Can only append to lists, but got {type(target)}")
                target.extend(items)
            elif key in (SETITEM, SETITEMS):
                if key == SETITEM:
                    v = self.pop()
                    items = [self.pop(), v]
                else:
                    items = self.pop_mark()
                target = self.stack[-1]
                if type(target) not in (dict, OrderedDict, Counter) or len(items) % 2:
                    raise UnpicklingError(
                        f"Can only {'SETITEM' if key == SETITEM else 'SETITEMS'} for dict, "
                        "collections.OrderedDict, collections.Counter, but got "
                        f"{type(target)}")
                for i in range(0, len(items), 2):
                    target[items[i]] = items[i + 1]
            elif key in (ADDITEMS, FROZENSET):
                items = self.pop_mark()
                if key == FROZENSET:
                    self.stack.append(frozenset(items))
                elif type(self.stack[-1]) is not set:
                    raise UnpicklingError(f"Can only add items to sets, got {type(self.stack[-1])}")
                else:
                    self.stack[-1].update(items)
            elif key == BINPERSID:
                pid = self.pop()
                if type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):
                    raise UnpicklingError("Only persistent_load of storage is allowed, but got "
                                          f"{type(pid[0]) if type(pid) is tuple and pid else pid!r}")
                stack.append(self.persistent_load(pid))
            elif key == REDUCE:
                args, func = self.pop(), stack[-1]
                if id(func) not in _CALLABLE_IDS and func not in _user_allowed().values():
                    raise UnpicklingError(f"Trying to call reduce for unrecognized function {func}")
                if type(args) is not tuple:
                    raise UnpicklingError("REDUCE arguments must be a tuple")
                stack[-1] = func(*args)
            elif key == NEWOBJ:
                args, cls = self.pop(), self.pop()
                if type(args) is not tuple:
                    raise UnpicklingError("NEWOBJ arguments must be a tuple")
                if cls is R.make_parameter:
                    stack.append(R.make_parameter(*args))
                elif isinstance(cls, type) and cls in _user_allowed().values():
                    stack.append(cls.__new__(cls, *args))
                else:
                    raise UnpicklingError("Can only create new object for nn.Parameter or classes "
                                          f"allowlisted via `add_safe_globals` but got {cls}")
            elif key == BUILD:
                state = self.pop()
                _build(state, stack[-1])
            elif key == GLOBAL:
                module = self.readline().decode("utf-8")
                stack.append(find_global(module, self.readline().decode("utf-8")))
            elif key == STACK_GLOBAL:
                name, module = self.pop(), self.pop()
                if type(name) is not str or type(module) is not str:
                    raise UnpicklingError("STACK_GLOBAL requires str")
                stack.append(find_global(module, name))
            elif key in (SHORT_BINBYTES, BINBYTES, BINBYTES8):
                n = (_u1(read(1)) if key == SHORT_BINBYTES else _u4(read(4)) if key == BINBYTES
                     else _u8(read(8)))[0]
                stack.append(read(n))
            elif key in (SHORT_BINSTRING, BINSTRING):
                n = read(1)[0] if key == SHORT_BINSTRING else _i4(read(4))[0]
                if n < 0:
                    raise UnpicklingError("BINSTRING pickle has negative byte count")
                data = read(n)
                stack.append(data if self.encoding == "bytes" else
                             data.decode(self.encoding, "strict"))
            elif key == POP:
                if stack:
                    stack.pop()
                else:
                    self.pop_mark()
            elif key == POP_MARK:
                self.pop_mark()
            elif key == DUP:
                stack.append(stack[-1])
            elif key == FRAME:
                read(8)  # frames only group opcodes; each length is checked as it is read
            elif key == PROTO:
                proto = read(1)[0]
                if proto > pickle.HIGHEST_PROTOCOL:
                    raise UnpicklingError(f"unsupported pickle protocol: {proto}")
                if proto != 2:
                    warnings.warn(
                        f"Detected pickle protocol {proto} in the checkpoint, which was not the "
                        "default pickle protocol used by `torch.load` (2). The weights_only "
                        "Unpickler might not support all instructions implemented by this "
                        "protocol, please file an issue for adding support if you encounter "
                        "this.", stacklevel=5)
            elif key == STOP:
                if self.metastack or len(stack) != 1:
                    raise UnpicklingError("unpickling stack not empty at STOP")
                return stack[0]
            else:
                raise UnpicklingError(f"Unsupported operand {key[0]}")


def _build(state, inst) -> None:
    if type(inst) in _BUILDABLE:  # state_dict()'s _metadata; no dunder attributes
        if not isinstance(state, dict) or not all(
                isinstance(k, str) and not k.startswith("__") for k in state):
            raise UnpicklingError(f"invalid state for {type(inst).__name__}")
        inst.__dict__.update(state)
    elif type(inst) in _user_allowed().values():
        if hasattr(inst, "__setstate__"):
            inst.__setstate__(state)
            return
        slotstate = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slotstate = state
        if state:
            inst.__dict__.update(state)
        for k, v in (slotstate or {}).items():
            setattr(inst, k, v)
    else:
        raise UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types "
                              f"allowlisted via `add_safe_globals`, but got {type(inst)}")
