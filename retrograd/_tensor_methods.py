"""Tensor's operators and conversion methods (one-line delegations to ``retrograd.ops``), and
the op methods registered with ``@export`` (``retrograd/ops/_registry.py``)."""
from __future__ import annotations

import numpy as np

from . import _dtype as D
from ._device import NO_ACCELERATOR, NO_CUDA
from ._device import check as _check_device
from ._device import device as _device
from ._dispatch import POINTWISE, method_form, operator, public, public_property, unwrap
from ._legacy import _type as _legacy_type
from ._legacy import new as _legacy_new
from ._tensor_new import METHODS as _NEW_METHODS
from ._tensor import Tensor, attach
from .ops.elementwise import logic as EL
from .ops.indexing import getitem as I
from .ops.indexing import setitem as I_setitem
from .ops import inplace as IP
from .ops.linalg import matmul as L
from .ops.elementwise import arithmetic as P
from .ops.elementwise import compare as P_compare
from .ops.elementwise import unary_core as P_unary_core
from .ops.shape import basic as S
from . import _warn
from ._random import bernoulli
from ._random_sampling import multinomial


_TO_SIGNATURES = (
    "torch.device device = None, torch.dtype dtype = None, bool non_blocking = False, "
    "bool copy = False, *, torch.memory_format memory_format = None",
    "torch.dtype dtype, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None",
    "Tensor tensor, bool non_blocking = False, bool copy = False, *, "
    "torch.memory_format memory_format = None")


def _is_dtype(a) -> bool:
    return isinstance(a, D.dtype) or a in (float, int, bool)


def _is_device(a) -> bool:
    return isinstance(a, (str, _device)) or (isinstance(a, int) and not isinstance(a, bool))


def _to_args(args, kwargs):
    """(device, dtype, copy) from ``to``'s three overloads, as PyTorch's parser reads them; Python's
    float/int/bool stand for float64/int64/bool."""
    rest = list(args)
    dev = dtype = None
    if rest and isinstance(rest[0], Tensor):
        dtype = rest.pop(0).dtype
    elif rest and _is_dtype(rest[0]):
        dtype = rest.pop(0)
    elif rest and _is_device(rest[0]):
        dev = rest.pop(0)
        if rest and _is_dtype(rest[0]):
            dtype = rest.pop(0)
    if len(rest) > 2 or not all(isinstance(a, bool) for a in rest):
        got = ", ".join(_type_name(a) for a in args)
        lines = "".join(f" * ({sig})\n" for sig in _TO_SIGNATURES)
        raise TypeError(f"to() received an invalid combination of arguments - got ({got}), but "
                        f"expected one of:\n{lines}")
    if "dtype" in kwargs:
        dtype = kwargs["dtype"]
    if kwargs.get("device") is not None:
        dev = kwargs["device"]
    copy = kwargs.get("copy", rest[1] if len(rest) == 2 else False)
    return dev, D.as_dtype(dtype, "to"), copy


def _type_name(a) -> str:
    if isinstance(a, D.dtype):
        return "torch.dtype"
    if isinstance(a, _device):
        return "torch.device"
    return "Tensor" if isinstance(a, Tensor) else type(a).__name__


def _to(self, *args, **kwargs):
    dev, dtype, copy = _to_args(args, kwargs)
    if dev is not None:
        _check_device(dev)  # PyTorch's errors for any device but the CPU
    if dtype is None:
        return S.clone(self) if copy else self
    return S.to_dtype(self, dtype, copy)


def _cuda(self, device=None, non_blocking=False, memory_format=None):
    if isinstance(device, int) and not isinstance(device, bool):
        raise RuntimeError(NO_ACCELERATOR)
    raise AssertionError(NO_CUDA)


def _pin_memory(self, device=None):
    raise RuntimeError(NO_ACCELERATOR)


def _inplace(op):
    op = unwrap(op)

    def method(self, *args, **kwargs):
        return IP.apply_inplace(self, op, *args, **kwargs)
    method.__name__ = op.__name__ + "_"
    method._rg_args_of = op  # whose parameters the dispatcher's error messages name
    return method


_OPERANDS = (Tensor, int, float, bool, complex, np.ndarray, np.generic)
_FAST = frozenset((Tensor, int, float, bool))


def _rbinary(op):
    """A reflected operator (``2 // t``): NotImplemented for an operand it does not take."""
    return ("reflected", op)


def _binary_or_notimpl(op):
    """A binary operator: NotImplemented for an operand it does not take, so that Python gives
    the other operand its turn (``t + obj`` calls ``obj.__radd__``), as PyTorch's operators."""
    return ("binary", op)


def _no_invert():
    raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type tensors")


def _where(self, condition, y):
    return P_compare.where(condition, self, y)


_METHODS = {
    # arithmetic
    "__add__": _binary_or_notimpl(P.add), "__radd__": _binary_or_notimpl(P.add),
    "__sub__": _binary_or_notimpl(P.sub), "__rsub__": _binary_or_notimpl(P.rsub),
    "__mul__": _binary_or_notimpl(P.mul), "__rmul__": _binary_or_notimpl(P.mul),
    "__truediv__": _binary_or_notimpl(P.div), "__rtruediv__": _binary_or_notimpl(P.rtruediv),
    "__floordiv__": _binary_or_notimpl(P.floor_divide),
    "__rfloordiv__": _rbinary(P.floor_divide),
    "__mod__": _binary_or_notimpl(P.remainder), "__rmod__": _rbinary(P.remainder),
    "__pow__": _binary_or_notimpl(P.pow), "__rpow__": _binary_or_notimpl(P.rpow),
    "__matmul__": _binary_or_notimpl(L.matmul), "__rmatmul__": _rbinary(L.matmul),
    "__neg__": P_unary_core.neg, "__pos__": lambda self: self, "__abs__": P_unary_core.abs,
    "__invert__": lambda self: P_compare.logical_not(self) if self._data.dtype.kind == "b"
    else P_compare.bitwise_not(self) if self._data.dtype.kind in "iu" else _no_invert(),
    "__lshift__": _binary_or_notimpl(EL.bitwise_left_shift),
    "__rlshift__": _rbinary(EL.bitwise_left_shift),
    "__rshift__": _binary_or_notimpl(EL.bitwise_right_shift),
    "__rrshift__": _rbinary(EL.bitwise_right_shift),
    "__ilshift__": lambda self, o: IP.apply_inplace(self, EL.bitwise_left_shift, o),
    "__irshift__": lambda self, o: IP.apply_inplace(self, EL.bitwise_right_shift, o),
    "__and__": _binary_or_notimpl(P_compare.bitwise_and),
    "__or__": _binary_or_notimpl(P_compare.bitwise_or),
    "__xor__": _binary_or_notimpl(P_compare.bitwise_xor),
    "__rand__": _binary_or_notimpl(P_compare.bitwise_and),
    "__ror__": _binary_or_notimpl(P_compare.bitwise_or),
    "__rxor__": _binary_or_notimpl(P_compare.bitwise_xor),
    "__eq__": _binary_or_notimpl(P_compare.eq), "__ne__": _binary_or_notimpl(P_compare.ne),
    "__lt__": _binary_or_notimpl(P_compare.lt), "__le__": _binary_or_notimpl(P_compare.le),
    "__gt__": _binary_or_notimpl(P_compare.gt), "__ge__": _binary_or_notimpl(P_compare.ge),
    "__iadd__": lambda self, o: IP.apply_inplace(self, P.add, o),
    "__isub__": lambda self, o: IP.apply_inplace(self, P.sub, o),
    "__imul__": lambda self, o: IP.apply_inplace(self, P.mul, o),
    "__itruediv__": lambda self, o: IP.apply_inplace(self, P.div, o),
    "__ipow__": lambda self, o: IP.apply_inplace(self, P.pow, o),
    "__ifloordiv__": lambda self, o: IP.apply_inplace(self, P.floor_divide, o),
    "__imod__": lambda self, o: IP.apply_inplace(self, P.remainder, o),
    "__iand__": lambda self, o: IP.apply_inplace(self, P_compare.bitwise_and, o),
    "__ior__": lambda self, o: IP.apply_inplace(self, P_compare.bitwise_or, o),
    "__ixor__": lambda self, o: IP.apply_inplace(self, P_compare.bitwise_xor, o),
    "__getitem__": I.getitem, "__setitem__": I_setitem.setitem,
    # method forms with no torch.* twin of the same signature
    "where": _where,
    "view_as": lambda self, other: S.view(self, other._data.shape),
    "reshape_as": lambda self, other: S.reshape(self, other._data.shape),
    # conversions
    "to": _to, "type": _legacy_type, "cpu": lambda self, *a, **k: self,
    "cuda": _cuda, "get_device": lambda self: -1,
    "is_pinned": lambda self, device=None: False, "pin_memory": _pin_memory,
    "float": lambda self, memory_format=None: S.to_dtype(self, D.float32),
    "double": lambda self, memory_format=None: S.to_dtype(self, D.float64),
    "half": lambda self, memory_format=None: S.to_dtype(self, D.float16),
    "long": lambda self, memory_format=None: S.to_dtype(self, D.int64),
    "int": lambda self, memory_format=None: S.to_dtype(self, D.int32),
    "short": lambda self, memory_format=None: S.to_dtype(self, D.int16),
    "char": lambda self, memory_format=None: S.to_dtype(self, D.int8),
    "byte": lambda self, memory_format=None: S.to_dtype(self, D.uint8),
    "bool": lambda self, memory_format=None: S.to_dtype(self, D.bool_),
    "type_as": lambda self, other: S.to_dtype(self, other.dtype),
}

_METHODS.update(_NEW_METHODS)  # new_zeros, new_ones, new_full, new_empty, new_tensor
_METHODS["new"] = _legacy_new

# How the methods above that are not ops registered with @export batch under vmap.
_VMAP = dict.fromkeys(
    ("__add__ __radd__ __sub__ __rsub__ __mul__ __rmul__ __truediv__ __rtruediv__ __floordiv__ "
     "__rfloordiv__ __mod__ __rmod__ __pow__ __rpow__ __and__ __or__ __xor__ __rand__ __ror__ "
     "__rxor__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __pos__ __invert__ __lshift__ "
     "__rlshift__ __rshift__ __rrshift__ "
     "cpu float double half long int short char byte bool type").split(), POINTWISE)
_VMAP.update({"to": "meta", "type_as": "meta", "where": "tensor_where", "view_as": "view_as",
              "reshape_as": "reshape_as", "__getitem__": "getitem", "__matmul__": "matmul"})

# Every method here is a public op entry point: its dispatching wrapper (retrograd/_dispatch.py);
# the binary operators' wrappers also return NotImplemented for operands they do not take.
for _name, _fn in _METHODS.items():
    if isinstance(_fn, tuple):
        _w = operator(_fn[1], _name, _FAST, _OPERANDS, reflected=_fn[0] == "reflected")
        _w._rg_info.vmap = _VMAP.get(_name)
        setattr(Tensor, _name, _w)
    else:
        setattr(Tensor, _name, method_form(public(_fn, _name, vmap=_VMAP.get(_name))))

# Ops registered with @export (retrograd/ops/_registry.py): their wrappers already.
from .ops._registry import INPLACE, METHODS  # noqa: E402
from .ops import METHOD_FAMILIES  # noqa: E402
from . import _lazy  # noqa: E402

for _name, _fn in METHODS.items():
    setattr(Tensor, _name, method_form(_fn))
for _name, _fn in INPLACE.items():
    setattr(Tensor, _name, method_form(public(_inplace(_fn), _name)))


def _install(names) -> None:
    """The stubs ``names`` of an op family loaded on first use replaced by its methods, made as
    above from the registry's tables (a name set by hand since is kept)."""
    for name in names:
        if isinstance(Tensor.__dict__.get(name), _lazy.MethodStub):
            fn = INPLACE.get(name)
            setattr(Tensor, name, method_form(METHODS[name]) if fn is None else
                    method_form(public(_inplace(fn), name)))


# the methods of the op families that load on first use: stubs that load them (retrograd/_lazy.py)
_lazy.method_stubs(Tensor, "retrograd.ops", METHOD_FAMILIES, _install)


def _T(self):
    if self._data.ndim == 0:
        _warn.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these "
                   "cases.", UserWarning)
    elif self._data.ndim != 2:
        _warn.warn(
            "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
            "deprecated and it will throw an error in a future release. Consider `x.mT` to "
            "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
            "reverse the dimensions of a tensor.", UserWarning)
    return S.numpy_T(self)


def _matrix_transpose(name: str, zero_d_warning: str):
    """``mT``/``mH`` (the conjugate is the identity on the real dtypes retrograd has)."""
    def prop(self):
        nd = self._data.ndim
        if nd == 1:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                               "matrices. Got 1-D tensor.")
        if nd == 0:
            _warn.warn(zero_d_warning, UserWarning)
            return S.alias(self) if hasattr(S, "alias") else self
        return S.transpose(self, -2, -1)
    return prop


_mT = _matrix_transpose("mT", "Tensor.mT is deprecated on 0-D tensors. This function is the "
                              "identity in these cases.")
_mH = _matrix_transpose("mH", "Tensor.mH is deprecated on 0-D tensors. Consider using x.conj().")


def _H(self):
    nd = self._data.ndim
    if nd == 0:
        _warn.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().", UserWarning)
        return S.alias(self) if hasattr(S, "alias") else self
    if nd != 2:
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {nd}-D "
                           "tensor." + (" For batches of matrices, consider using tensor.mH"
                                        if nd > 2 else ""))
    return S.transpose(self, 0, 1)


Tensor.T = public_property(property(_T), "T", vmap="T")
Tensor.mT = public_property(property(_mT), "mT", vmap="mT")
Tensor.mH = public_property(property(_mH), "mH", vmap="mT")
Tensor.H = public_property(property(_H), "H")
# what a CPU tensor answers in PyTorch
for _name in ("is_meta", "is_sparse", "is_quantized", "is_mps", "is_mkldnn", "is_xpu"):
    setattr(Tensor, _name, property(lambda self: False))
Tensor.itemsize = property(lambda self: self._data.itemsize)
Tensor.nbytes = property(lambda self: self._data.itemsize * self._data.size)


# Random draws as methods (x.bernoulli(), p.multinomial(n)): on PyTorch's stream, no graph.
def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


Tensor.bernoulli = _bernoulli_method      # plain, like torch.bernoulli / torch.multinomial:
Tensor.multinomial = _multinomial_method  # vmap's randomness guard sees their draws


def __reversed__(self):
    return S.flip(self, 0) if self._data.ndim else self


attach(__reversed__)
