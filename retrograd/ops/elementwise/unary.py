"""Elementwise math beyond ``arithmetic.py`` and ``unary_core.py``: exponentials and logarithms,
rounding, trigonometric and hyperbolic functions, nan_to_num.

The rest of the family: the error and gamma function families and logit (``erfgamma.py``, on the
NumPy kernels of ``special_np.py``), binary ops (``binary.py``: atan2, xlogy, hypot, fmod, ...),
ternary ops (``ternary.py``: lerp, addcmul, addcdiv, float_power), comparisons and clamp
(``compare.py``), and the non-differentiable predicates, logic and shift ops (``logic.py``).

Integer and bool inputs of the floating-point functions compute in float32, like PyTorch.
"""
from __future__ import annotations

import math

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from .._registry import POINTWISE, export
from .._util import Tensor, float_array, quiet, wrap
from .arithmetic import pow as _pow
from ... import _dtype as D
from ..._size import int_arg_error

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


_quiet = quiet   # IEEE results without NumPy's warnings (x/0 = inf, log(0) = -inf, like PyTorch)


from .._util import dtype_name, not_implemented_for  # noqa: F401,E402 - (re-exported)
from ...autograd._record import RESULT, record1


def _check_tensor(input, fn: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def _float_out(input, fn, name: str):
    """``fn`` on the data as floating point (int/bool inputs: float32), without FP warnings."""
    _check_tensor(input, name)
    x = float_array(input)
    with _quiet():
        # float16 is computed in float32 and rounded once, as PyTorch's CPU kernels do
        out = fn(x) if x.dtype != np.float16 else fn(x.astype(np.float32))
    return np.asarray(out).astype(x.dtype, copy=False)


# -- exponentials and logarithms ----------------------------------------------------------------
class Exp2Backward0(Node):
    """d 2^x/dx = 2^x log 2 (from the saved result)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if not ns.INPLACE:   # PyTorch's grad * result * M_LN2 (mul.Scalar)
            return (ns.mul_scalar(grad * result, _LN2),)
        return (grad * result * _LN2,)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def exp2(input):
    return record1(Exp2Backward0, input, _float_out(input, np.exp2, "exp2"), RESULT)


class Expm1Backward0(Node):
    """d(e^x - 1)/dx = e^x = result + 1."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if not ns.INPLACE:   # PyTorch's grad * (result + 1) (add.Scalar)
            return (grad * ns.add_scalar(result, 1),)
        return (grad * (result + 1),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def expm1(input):
    return record1(Expm1Backward0, input, _float_out(input, np.expm1, "expm1"), RESULT)


class Log2Backward0(Node):
    """d log2(x)/dx = 1 / (x log 2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad / (self * ln b) (mul.Scalar)
            return (grad / ns.mul_scalar(x, _LN2),)
        return (grad / (x * _LN2),)


@export(method=True, inplace=True, vmap=POINTWISE)
def log2(input):
    return record1(Log2Backward0, input, _float_out(input, np.log2, "log2"), input)


class Log10Backward0(Node):
    """d log10(x)/dx = 1 / (x log 10)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad / (self * ln b) (mul.Scalar)
            return (grad / ns.mul_scalar(x, _LN10),)
        return (grad / (x * _LN10),)


@export(method=True, inplace=True, vmap=POINTWISE)
def log10(input):
    return record1(Log10Backward0, input, _float_out(input, np.log10, "log10"), input)


class Log1PBackward0(Node):
    """d log(1 + x)/dx = 1 / (1 + x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's log1p_backward: grad / (self + 1) (add.Scalar)
            return (grad / ns.add_scalar(x, 1),)
        return (grad / (x + 1),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def log1p(input):
    return record1(Log1PBackward0, input, _float_out(input, np.log1p, "log1p"), input)


class RsqrtBackward0(Node):
    """d x^(-1/2)/dx = -1/2 x^(-3/2) = -result^3 / 2."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if not ns.INPLACE:   # PyTorch's -0.5 * grad * result.pow(3)
            return (ns.mul_scalar(grad, -0.5) * result ** 3,)
        return (-0.5 * grad * (result * result * result),)


def _rsqrt(x):
    return 1 / np.sqrt(x)


@export(method=True, inplace=True, vmap=POINTWISE)
def rsqrt(input):
    return record1(RsqrtBackward0, input, _float_out(input, _rsqrt, "rsqrt"), RESULT)


@export(method=True, inplace=True, vmap=POINTWISE)
def square(input):
    """x * x through pow(x, 2): PyTorch records PowBackward0."""
    _check_tensor(input, "square")
    return _pow(input, 2)


# -- sign and rounding --------------------------------------------------------------------------
class SgnBackward0(Node):
    """sgn is piecewise constant on the reals: zero gradient."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        return (ns.zeros_like(grad),)


@export(method=True, inplace=True, vmap=POINTWISE)
def sgn(input):
    _check_tensor(input, "sgn")
    x = input._data
    if x.dtype.kind == "b":
        return wrap(x.copy())
    out = np.sign(x)
    if x.dtype.kind == "f":
        out = np.where(np.isnan(x), x.dtype.type(0), out)   # PyTorch: sgn(NaN) = 0
    return record1(SgnBackward0, input, out, (input, RESULT))


class _ZeroGrad(Node):
    """Piecewise constant functions: the gradient is zero almost everywhere."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad),)


class FloorBackward0(_ZeroGrad):
    """d floor(x)/dx = 0 (almost everywhere)."""
    jvp = ELEMENTWISE
    __slots__ = ()


class CeilBackward0(_ZeroGrad):
    """d ceil(x)/dx = 0 (almost everywhere)."""
    jvp = ELEMENTWISE
    __slots__ = ()


class TruncBackward0(_ZeroGrad):
    """d trunc(x)/dx = 0 (almost everywhere)."""
    jvp = ELEMENTWISE
    __slots__ = ()


class RoundBackward0(_ZeroGrad):
    """d round(x)/dx = 0 (almost everywhere)."""
    jvp = ELEMENTWISE
    __slots__ = ()


class RoundBackward1(_ZeroGrad):
    """d round(x, decimals)/dx = 0 (almost everywhere). PyTorch's node keeps no saved values."""
    jvp = ELEMENTWISE
    __slots__ = ()


def _rounding(cls, input, fn, kernel: str):
    x = input._data
    if x.dtype.kind == "b":
        raise not_implemented_for(f"{kernel}_vml_cpu", x.dtype)
    if x.dtype.kind in "iu":
        return wrap(x.copy())        # integers are already whole: a copy, same dtype
    with _quiet():
        out = fn(x)
    return record1(cls, input, out)


@export(method=True, inplace=True, vmap=POINTWISE)
def floor(input):
    _check_tensor(input, "floor")
    return _rounding(FloorBackward0, input, np.floor, "floor")


@export(method=True, inplace=True, vmap=POINTWISE)
def ceil(input):
    _check_tensor(input, "ceil")
    return _rounding(CeilBackward0, input, np.ceil, "ceil")


@export(torch=("trunc", "fix"), method=("trunc", "fix"), inplace=("trunc_", "fix_"),
        vmap=POINTWISE)
def trunc(input):
    _check_tensor(input, "trunc")
    return _rounding(TruncBackward0, input, np.trunc, "trunc")


# the default of decimals: round(x) records RoundBackward0, round(x, decimals=d) RoundBackward1
_NO_DECIMALS = object()


@export(torch=False, special="round", vmap=POINTWISE)
def special_round(input, *, decimals=0):
    """torch.special.round(x, decimals=0) always takes the decimals overload: RoundBackward1."""
    return round(input, decimals=decimals)


@export(method=True, inplace=True, vmap=POINTWISE)
def round(input, *, decimals=_NO_DECIMALS):  # noqa: A001 - torch's name
    _check_tensor(input, "round")
    if decimals is _NO_DECIMALS:
        return _rounding(RoundBackward0, input, np.rint, "round")
    x = input._data
    if x.dtype.kind in "iub":   # decimals=0 takes the plain rounding kernel (round_vml_cpu)
        raise not_implemented_for("round_cpu" if decimals else "round_vml_cpu", x.dtype)
    d = int(decimals)
    # PyTorch: nearbyint(x * 10^d) / 10^d, or nearbyint(x / 10^-d) * 10^-d, in the input's dtype
    f = x.dtype.type(10.0 ** abs(d))
    with _quiet():
        out = np.rint(x * f) / f if d >= 0 else np.rint(x / f) * f
    out = np.asarray(out, dtype=x.dtype)
    return record1(RoundBackward1, input, out)


class FracBackward0(Node):
    """d(x - trunc x)/dx = 1."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,)


@export(method=True, inplace=True, vmap=POINTWISE)
def frac(input):
    _check_tensor(input, "frac")
    x = input._data
    if x.dtype.kind in "iub":
        raise not_implemented_for("frac_cpu", x.dtype)
    with _quiet():
        out = x - np.trunc(x)
    return record1(FracBackward0, input, out)


# -- trigonometric and hyperbolic ---------------------------------------------------------------
class TanBackward0(Node):
    """d tan(x)/dx = 1 + tan(x)^2 (from the saved result)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if not ns.INPLACE:   # PyTorch's grad * (1 + result.pow(2)) (add.Scalar)
            return (grad * ns.add_scalar(result ** 2, 1),)
        return (grad * (1 + result * result),)


@export(method=True, inplace=True, vmap=POINTWISE)
def tan(input):
    return record1(TanBackward0, input, _float_out(input, np.tan, "tan"), RESULT)


class AsinBackward0(Node):
    """d asin(x)/dx = 1 / sqrt(1 - x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * (-self * self + 1).rsqrt()
            return (grad * ns.rsqrt(ns.add_scalar(-x * x, 1)),)
        with _quiet():
            return (grad / ns.sqrt(1 - x * x),)


@export(torch=("asin", "arcsin"), method=("asin", "arcsin"), inplace=("asin_", "arcsin_"),
        vmap=POINTWISE)
def asin(input):
    return record1(AsinBackward0, input, _float_out(input, np.arcsin, "asin"), input)


class AcosBackward0(Node):
    """d acos(x)/dx = -1 / sqrt(1 - x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * -((-self * self + 1).rsqrt())
            return (grad * -ns.rsqrt(ns.add_scalar(-x * x, 1)),)
        with _quiet():
            return (-grad / ns.sqrt(1 - x * x),)


@export(torch=("acos", "arccos"), method=("acos", "arccos"), inplace=("acos_", "arccos_"),
        vmap=POINTWISE)
def acos(input):
    return record1(AcosBackward0, input, _float_out(input, np.arccos, "acos"), input)


class AtanBackward0(Node):
    """d atan(x)/dx = 1 / (1 + x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad / (self * self + 1) (add.Scalar)
            return (grad / ns.add_scalar(x * x, 1),)
        return (grad / (x * x + 1),)


@export(torch=("atan", "arctan"), method=("atan", "arctan"), inplace=("atan_", "arctan_"),
        vmap=POINTWISE)
def atan(input):
    return record1(AtanBackward0, input, _float_out(input, np.arctan, "atan"), input)


class SinhBackward0(Node):
    """d sinh(x)/dx = cosh(x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        with _quiet():
            return (grad * ns.cosh(x),)


@export(method=True, inplace=True, vmap=POINTWISE)
def sinh(input):
    return record1(SinhBackward0, input, _float_out(input, np.sinh, "sinh"), input)


class CoshBackward0(Node):
    """d cosh(x)/dx = sinh(x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        with _quiet():
            return (grad * ns.sinh(x),)


@export(method=True, inplace=True, vmap=POINTWISE)
def cosh(input):
    return record1(CoshBackward0, input, _float_out(input, np.cosh, "cosh"), input)


class AsinhBackward0(Node):
    """d asinh(x)/dx = 1 / sqrt(x^2 + 1)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * (self.pow(2) + 1).rsqrt()
            return (grad * ns.rsqrt(ns.add_scalar(x ** 2, 1)),)
        with _quiet():
            return (grad / ns.sqrt(x * x + 1),)


@export(torch=("asinh", "arcsinh"), method=("asinh", "arcsinh"),
        inplace=("asinh_", "arcsinh_"), vmap=POINTWISE)
def asinh(input):
    return record1(AsinhBackward0, input, _float_out(input, np.arcsinh, "asinh"), input)


class AcoshBackward0(Node):
    """d acosh(x)/dx = 1 / sqrt(x^2 - 1)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * (self * self - 1).rsqrt() (sub.Scalar)
            return (grad * ns.rsqrt(ns.sub_scalar(x * x, 1)),)
        with _quiet():
            return (grad / ns.sqrt(x * x - 1),)


@export(torch=("acosh", "arccosh"), method=("acosh", "arccosh"),
        inplace=("acosh_", "arccosh_"), vmap=POINTWISE)
def acosh(input):
    return record1(AcoshBackward0, input, _float_out(input, np.arccosh, "acosh"), input)


class AtanhBackward0(Node):
    """d atanh(x)/dx = 1 / (1 - x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * 1 / (1 - self.pow(2))
            return (ns.mul_scalar(grad, 1) / ns.scalar_sub(1, x ** 2),)
        with _quiet():
            return (grad / (1 - x * x),)


@export(torch=("atanh", "arctanh"), method=("atanh", "arctanh"),
        inplace=("atanh_", "arctanh_"), vmap=POINTWISE)
def atanh(input):
    return record1(AtanhBackward0, input, _float_out(input, np.arctanh, "atanh"), input)


class SincBackward0(Node):
    """d sinc(x)/dx = (cos(pi x) - sinc(x)) / x; computed as PyTorch's sinc_backward does,
    (p cos(p) - sin(p)) / (pi x^2) with p = pi x, and 0 where pi x^2 is 0 (x = 0, and a tiny x
    whose square underflows)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's sinc_backward: self * M_PI is a mul.Scalar
            p = ns.mul_scalar(x, math.pi)
            sq = ns.mul_scalar(x * x, math.pi)
            return (ns.where(sq == 0, 0.0, grad * ((p * ns.cos(p) - ns.sin(p)) / sq)),)
        with _quiet():
            p = x * math.pi
            sq = x * x * math.pi
            return (ns.where(sq == 0, 0.0, grad * ((p * ns.cos(p) - ns.sin(p)) / sq)),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def sinc(input):
    return record1(SincBackward0, input, _float_out(input, np.sinc, "sinc"), input)


class Deg2RadBackward0(Node):
    """d(x pi/180)/dx = pi/180."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        if not ns.INPLACE:   # PyTorch's grad * (M_PI / 180) (mul.Scalar)
            return (ns.mul_scalar(grad, math.pi / 180.0),)
        return (grad * (math.pi / 180.0),)


def _angle(cls, input, factor, name):
    _check_tensor(input, name)
    x = input._data
    if x.dtype.kind in "iub":
        x = x.astype(np.float32)
    with _quiet():   # rad2deg(max) = inf
        out = x * x.dtype.type(factor)
    return record1(cls, input, out)


@export(method=True, inplace=True, vmap=POINTWISE)
def deg2rad(input):
    return _angle(Deg2RadBackward0, input, math.pi / 180.0, "deg2rad")


class Rad2DegBackward0(Node):
    """d(x 180/pi)/dx = 180/pi."""
    jvp = ELEMENTWISE
    __slots__ = ()

    def backward(self, ns, grad):
        if not ns.INPLACE:   # PyTorch's grad * (180 / M_PI) (mul.Scalar)
            return (ns.mul_scalar(grad, 180.0 / math.pi),)
        return (grad * (180.0 / math.pi),)


@export(method=True, inplace=True, vmap=POINTWISE)
def rad2deg(input):
    return _angle(Rad2DegBackward0, input, 180.0 / math.pi, "rad2deg")


# -- nan_to_num ---------------------------------------------------------------------------------
class NanToNumBackward0(Node):
    """nan_to_num passes the gradient where x is finite, 0 where it replaced NaN or +-inf."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad * at::isfinite(self)
            return (grad * ns.isfinite(x),)
        with _quiet():
            return (ns.where(x - x == 0, grad, 0.0),)   # x - x is NaN exactly for NaN and inf


@export(method=True, inplace=True, vmap=POINTWISE)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    _check_tensor(input, "nan_to_num")
    for name, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if not (v is None or isinstance(v, (int, float, np.floating))):
            raise int_arg_error(v, f"nan_to_num(): argument '{name}' must be float, not "
                                f"{type(v).__name__}", "float")
    x = input._data
    if x.dtype.kind in "iub":
        return wrap(x.copy())
    nan = 0.0 if nan is None else nan
    out = np.nan_to_num(x, copy=True, nan=nan, posinf=posinf, neginf=neginf)
    return record1(NanToNumBackward0, input, out, input)
