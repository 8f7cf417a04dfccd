"""lerp, addcmul, addcdiv (three operands) and float_power."""
from __future__ import annotations

import numpy as np

from ... import _dtype as D
from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import Tensor
from .unary import _quiet, not_implemented_for
from .arithmetic import pow as _pow
from ..shape.basic import to_dtype as _to_dtype
from .._util import broadcast_error
from ...autograd._record import record, record2
from ..inplace import apply_inplace
from .binary import _SCALARS, _invalid_combination


# -- lerp, addcmul, addcdiv ---------------------------------------------------------------------
_LOWER_NAMES = D.CPP_NAMES  # the one table, in _dtype.py


class LerpBackward0(Node):
    """lerp(x, e, w) = x + w (e - x) for a number w: d/dx = 1 - w, d/de = w."""
    jvp = ELEMENTWISE
    __slots__ = ("weight",)
    saved_attrs = {"weight": "weight"}

    def backward(self, ns, grad):
        w = self.weight
        if not ns.INPLACE:   # PyTorch's grad * (1 - weight), grad * weight: mul.Scalar
            return (ns.mul_scalar(grad, 1 - w) if self.needs(0) else None,
                    ns.mul_scalar(grad, w) if self.needs(1) else None)
        return (grad * (1 - w) if self.needs(0) else None,
                grad * w if self.needs(1) else None)


class LerpBackward1(Node):
    """lerp(x, e, w) = x + w (e - x): d/dx = 1 - w, d/de = w, d/dw = e - x."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("end", "self", "weight")

    def backward(self, ns, grad, end, x, w):
        if not ns.INPLACE:   # PyTorch's grad * (1 - weight): C++ Scalar - Tensor (SubBackward0)
            return (grad * ns.scalar_sub(1, w) if self.needs(0) else None,
                    grad * w if self.needs(1) else None,
                    grad * (end - x) if self.needs(2) else None)
        return (grad * (1 - w) if self.needs(0) else None,
                grad * w if self.needs(1) else None,
                grad * (end - x) if self.needs(2) else None)


def _same_dtype(input: Tensor, t: Tensor, what: str) -> None:
    if t._data.dtype != input._data.dtype:
        raise RuntimeError(f"expected dtype {_LOWER_NAMES[input._data.dtype.name]} for `{what}` "
                           f"but got dtype {_LOWER_NAMES[t._data.dtype.name]}")


@export(method=True, inplace=True, vmap=POINTWISE)
def lerp(input, end, weight):
    tensor_w = isinstance(weight, Tensor)
    if not isinstance(input, Tensor) or not isinstance(end, Tensor) or \
            not (tensor_w or isinstance(weight, _SCALARS)):
        raise _invalid_combination("lerp", (input, end, weight), (
            "Tensor input, Tensor end, Tensor weight, *, Tensor out = None",
            "Tensor input, Tensor end, Number weight, *, Tensor out = None"))
    _same_dtype(input, end, "end")
    x, e = input._data, end._data
    if tensor_w and weight._data.ndim == 0 and weight._data.dtype != x.dtype:
        # PyTorch checks only a dimensioned weight's dtype: a 0-d one takes part in promotion
        rt = D.result_type(input, end, weight).np
        x, e = x.astype(rt), e.astype(rt)
    elif tensor_w:
        _same_dtype(input, weight, "weight")
    if x.dtype.kind in "iub":
        raise not_implemented_for("lerp_kernel_tensor" if tensor_w else "lerp_kernel_scalar",
                                  x.dtype)
    w = weight._data.astype(x.dtype, copy=False) if tensor_w else x.dtype.type(weight)
    try:
        shape = np.broadcast_shapes(x.shape, e.shape, np.shape(w))
    except ValueError:
        raise broadcast_error(x.shape, e.shape if x.shape != e.shape else np.shape(w)) from None
    with _quiet():
        diff = e - x
        out = np.where(w < 0.5, x + w * diff, e - diff * (1 - w))
    out = np.broadcast_to(out, shape).astype(x.dtype, copy=False)
    if tensor_w:
        return record(LerpBackward1, (input, end, weight), out,
                      lambda n: (end if n.needs(2) else None, input if n.needs(2) else None,
                                 weight))
    return record2(LerpBackward0, input, end, out, weight=weight)


def _three(input, t1, t2, value, op: str):
    for pos, (a, name) in enumerate(((input, "input"), (t1, "tensor1"), (t2, "tensor2")), 1):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(a).__name__}")
    rt = D.result_type(input, t1, t2)
    if rt.np.kind == "b" and op == "addcmul":
        raise not_implemented_for("addcmul_cpu_out", rt.np)
    arrays = [a._data if a._data.dtype == rt.np else a._data.astype(rt.np)
              for a in (input, t1, t2)]
    try:
        np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        a, b = arrays[1].shape, arrays[2].shape
        try:
            np.broadcast_shapes(a, b)
            a, b = arrays[0].shape, np.broadcast_shapes(a, b)
        except ValueError:
            pass
        raise broadcast_error(a, b) from None
    return arrays


class AddcmulBackward0(Node):
    """x + v t1 t2: d/dx = 1, d/dt1 = v t2, d/dt2 = v t1."""
    jvp = ELEMENTWISE
    __slots__ = ("value",)
    saved_names = ("tensor1", "tensor2")
    saved_attrs = {"value": "value"}

    def backward(self, ns, grad, t1, t2):
        v = self.value
        if not ns.INPLACE:   # PyTorch's grad * (tensor2 * value) (mul.Scalar)
            return (grad if self.needs(0) else None,
                    grad * ns.mul_scalar(t2, v) if self.needs(1) else None,
                    grad * ns.mul_scalar(t1, v) if self.needs(2) else None)
        return (grad if self.needs(0) else None,
                grad * t2 * v if self.needs(1) else None,
                grad * t1 * v if self.needs(2) else None)


@export(method=True, inplace=True, vmap=POINTWISE)
def addcmul(input, tensor1, tensor2, *, value=1):
    x, a, b = _three(input, tensor1, tensor2, value, "addcmul")
    if x.dtype.kind in "iu":
        value = int(value)   # PyTorch casts value to the integer result dtype (2.5 -> 2)
    with _quiet():
        out = x + value * a * b
    out = np.asarray(out).astype(x.dtype, copy=False)
    return record(AddcmulBackward0, (input, tensor1, tensor2), out,
                  lambda n: (tensor1 if n.needs(2) else None, tensor2 if n.needs(1) else None),
                  value=value)


class AddcdivBackward0(Node):
    """x + v t1 / t2: d/dx = 1, d/dt1 = v / t2, d/dt2 = -v t1 / t2^2."""
    jvp = ELEMENTWISE
    __slots__ = ("value",)
    saved_names = ("tensor1", "tensor2")
    saved_attrs = {"value": "value"}

    def backward(self, ns, grad, t1, t2):
        v = self.value
        if not ns.INPLACE:   # PyTorch: grad * (value / tensor2), -grad * (value * t1 / (t2 * t2))
            return (grad if self.needs(0) else None,
                    grad * ns.scalar_div(v, t2) if self.needs(1) else None,
                    -grad * (ns.mul_scalar(t1, v) / (t2 * t2)) if self.needs(2) else None)
        with _quiet():
            return (grad if self.needs(0) else None,
                    grad * v / t2 if self.needs(1) else None,
                    -grad * v * t1 / (t2 * t2) if self.needs(2) else None)


_ADDCDIV_INT = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will "
    "perform a true division of tensor1 and tensor2. The historic addcdiv behavior can be "
    "implemented as (input + value * torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer "
    "inputs and as (input + value * tensor1 / tensor2) for float inputs. The future addcdiv "
    "behavior is just the latter implementation: (input + value * tensor1 / tensor2), for all "
    "dtypes.")


@export(method=True, inplace=True, vmap=POINTWISE)
def addcdiv(input, tensor1, tensor2, *, value=1):
    if isinstance(tensor1, Tensor) and isinstance(tensor2, Tensor) and \
            tensor1._data.dtype.kind in "iub" and tensor2._data.dtype.kind in "iub":
        raise RuntimeError(_ADDCDIV_INT)
    x, a, b = _three(input, tensor1, tensor2, value, "addcdiv")
    with _quiet():
        out = x + value * a / b
    out = np.asarray(out).astype(x.dtype, copy=False)
    return record(AddcdivBackward0, (input, tensor1, tensor2), out,
                  lambda n: (tensor1 if n.needs(2) else None,
                             tensor2 if n.needs(1) or n.needs(2) else None), value=value)


# -- float_power --------------------------------------------------------------------------------
@export(method=True, vmap=POINTWISE)
def float_power(input, exponent):
    """pow computed in float64: the operands are converted first (ToCopyBackward0), then pow
    records PowBackward0/1/2 like ``pow``."""
    if isinstance(input, Tensor):
        base = _to_dtype(input, D.float64)
        if isinstance(exponent, Tensor):
            return _pow(base, _to_dtype(exponent, D.float64))
        if not isinstance(exponent, _SCALARS):
            raise _invalid_combination("float_power", (input, exponent), (
                "Tensor input, Tensor exponent, *, Tensor out = None",
                "Number self, Tensor exponent, *, Tensor out = None",
                "Tensor input, Number exponent, *, Tensor out = None"))
        return _pow(base, float(exponent))
    if isinstance(exponent, Tensor) and isinstance(input, _SCALARS):
        return _pow(float(input), _to_dtype(exponent, D.float64))
    raise _invalid_combination("float_power", (input, exponent), (
        "Tensor input, Tensor exponent, *, Tensor out = None",
        "Number self, Tensor exponent, *, Tensor out = None",
        "Tensor input, Number exponent, *, Tensor out = None"))


@export(torch=False, method="float_power_")
def _float_power_inplace(input, exponent):
    if input._data.dtype != np.float64:
        raise RuntimeError("the base given to float_power_ has dtype "
                           f"{_DTYPE_TITLE[input._data.dtype.name]} but the operation's result "
                           "requires dtype Double")
    return apply_inplace(input, float_power, exponent)


_DTYPE_TITLE = D.SCALAR_NAMES  # the one table, in _dtype.py
