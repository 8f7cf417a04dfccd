"""The error function family (erf, erfc, erfinv, torch.special's erfcx, ndtri, log_ndtr), the
gamma function family (lgamma, digamma, polygamma, mvlgamma) and logit. Part of ``elementwise``;
the NumPy kernels are in ``elementwise_special.py``."""
from __future__ import annotations

import math

import numpy as np

from ...autograd.node import Node
from ...autograd.node import ELEMENTWISE
from . import special_np as S
from .._registry import POINTWISE, export
from .._util import Tensor, float_array
from ...autograd._record import RESULT, record1
from .unary import _check_tensor, _float_out, _quiet, not_implemented_for
from ..inplace import apply_inplace

_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI


# -- error function family ----------------------------------------------------------------------
def _special(kernel):
    def f(x):
        return kernel(x).astype(x.dtype, copy=False)
    f.__name__ = kernel.__name__
    return f


_erf, _erfc, _erfcx, _erfinv = (_special(S.erf), _special(S.erfc), _special(S.erfcx),
                                _special(S.erfinv))
_lgamma, _digamma = _special(S.lgamma), _special(S.digamma)


def _no_half(input, kernel: str) -> None:
    """PyTorch's CPU kernels of erfcx, ndtri and log_ndtr have no float16 version."""
    if isinstance(input, Tensor) and input._data.dtype == np.float16:
        raise not_implemented_for(kernel, np.float16)


class ErfBackward0(Node):
    """d erf(x)/dx = 2/sqrt(pi) exp(-x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's 2 / sqrt(pi) * exp(-(self.pow(2))) * grad
            return (ns.mul_scalar(ns.exp(-(x ** 2)), _TWO_OVER_SQRT_PI) * grad,)
        return (grad * (_TWO_OVER_SQRT_PI * ns.exp(-(x * x))),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def erf(input):
    return record1(ErfBackward0, input, _float_out(input, _erf, "erf"), input)


class ErfcBackward0(Node):
    """d erfc(x)/dx = -2/sqrt(pi) exp(-x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's -2 / sqrt(pi) * exp(-(self.pow(2))) * grad
            return (ns.mul_scalar(ns.exp(-(x ** 2)), -_TWO_OVER_SQRT_PI) * grad,)
        return (grad * (-_TWO_OVER_SQRT_PI * ns.exp(-(x * x))),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def erfc(input):
    return record1(ErfcBackward0, input, _float_out(input, _erfc, "erfc"), input)


class ErfinvBackward0(Node):
    """d erfinv(x)/dx = sqrt(pi)/2 exp(erfinv(x)^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's 0.5 * sqrt(pi) * exp(self.erfinv().pow(2)) * grad
            return (ns.mul_scalar(ns.exp(ns.erfinv(x) ** 2), 0.5 * _SQRT_PI) * grad,)
        with _quiet():
            y = ns.erfinv(x)
            return (grad * (0.5 * _SQRT_PI * ns.exp(y * y)),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def erfinv(input):
    return record1(ErfinvBackward0, input, _float_out(input, _erfinv, "erfinv"), input)


class SpecialErfcxBackward0(Node):
    """d erfcx(x)/dx = 2 x erfcx(x) - 2/sqrt(pi); for x > 1e4, where the two terms cancel to
    rounding noise, its expansion -(1 - 3/(2x^2)) / (sqrt(pi) x^2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        if not ns.INPLACE:   # PyTorch's (2.0 * self * result - 2.0 / sqrt(pi)) * grad
            return (ns.sub_scalar(ns.mul_scalar(x, 2.0) * result, _TWO_OVER_SQRT_PI) * grad,)
        with _quiet():
            x2 = x * x
            return (grad * ns.where(x > 1e4, (1.5 / x2 - 1) / (_SQRT_PI * x2),
                                    2 * x * result - _TWO_OVER_SQRT_PI),)


@export(torch=False, special=True, vmap=POINTWISE)
def erfcx(input):
    _no_half(input, "erfcx_cpu")
    out = _float_out(input, _erfcx, "erfcx")
    return record1(SpecialErfcxBackward0, input, out, (input, RESULT))


class SpecialNdtriBackward0(Node):
    """ndtri is the inverse of the normal CDF: d ndtri(p)/dp = sqrt(2 pi) exp(ndtri(p)^2 / 2)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("result",)

    def backward(self, ns, grad, result):
        if not ns.INPLACE:   # PyTorch's grad * sqrt(2 pi) * (result.pow(2) / 2).exp()
            return (ns.mul_scalar(grad, math.sqrt(2 * math.pi)) *
                    ns.exp(ns.div_scalar(result ** 2, 2)),)
        with _quiet():
            return (grad * (math.sqrt(2 * math.pi) * ns.exp(result * result * 0.5)),)


def _ndtri(x):
    p = np.asarray(x, np.float64)
    with _quiet():   # -sqrt(2) erfcinv(2p): exact in the lower tail (2p - 1 would round to -1)
        out = np.where(p < 0.5, -math.sqrt(2.0) * S.erfcinv(2.0 * p),
                       math.sqrt(2.0) * S.erfinv(2.0 * p - 1.0))
    return out.astype(x.dtype)


@export(torch=False, special=True, vmap=POINTWISE)
def ndtri(input):
    _no_half(input, "ndtri_cpu")
    return record1(SpecialNdtriBackward0, input, _float_out(input, _ndtri, "ndtri"), RESULT)


class SpecialLogNdtrBackward0(Node):
    """d log(Phi(x))/dx = phi(x) / Phi(x) = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self", "result")

    def backward(self, ns, grad, x, result):
        if not ns.INPLACE:   # PyTorch's grad / sqrt(2 pi) * (result + self.pow(2) / 2).neg().exp()
            return (ns.div_scalar(grad, math.sqrt(2 * math.pi)) *
                    ns.exp(-(result + ns.div_scalar(x ** 2, 2))),)
        with _quiet():
            return (grad / math.sqrt(2 * math.pi) * ns.exp(-(result + x * x * 0.5)),)


def _log_ndtr(x):
    z = np.asarray(x, np.float64) * math.sqrt(0.5)
    with _quiet():
        # left tail: log(erfcx(-z) / 2) - z^2 keeps full precision where Phi(x) underflows
        left = np.log(S.erfcx(-z) * 0.5) - z * z
        right = np.log1p(-0.5 * S.erfc(z))
    return np.where(x < -1.0, left, right).astype(x.dtype)


@export(torch=False, special=True, vmap=POINTWISE)
def log_ndtr(input):
    _no_half(input, "log_ndtr_cpu")
    out = _float_out(input, _log_ndtr, "log_ndtr")
    return record1(SpecialLogNdtrBackward0, input, out, (input, RESULT))


# -- gamma function family ----------------------------------------------------------------------
class LgammaBackward0(Node):
    """d log|Gamma(x)|/dx = digamma(x)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        return (grad * ns.digamma(x),)


@export(method=True, inplace=True, special="gammaln", vmap=POINTWISE)
def lgamma(input):
    return record1(LgammaBackward0, input, _float_out(input, _lgamma, "lgamma"), input)


class DigammaBackward0(Node):
    """d digamma(x)/dx = polygamma(1, x) (trigamma)."""
    jvp = ELEMENTWISE
    __slots__ = ()
    saved_names = ("self",)

    def backward(self, ns, grad, x):
        return (grad * ns.polygamma(1, x),)


@export(method=True, inplace=True, special=("digamma", "psi"), vmap=POINTWISE)
def digamma(input):
    return record1(DigammaBackward0, input, _float_out(input, _digamma, "digamma"), input)


class PolygammaBackward0(Node):
    """d polygamma(n, x)/dx = polygamma(n + 1, x)."""
    jvp = ELEMENTWISE
    __slots__ = ("n",)
    saved_names = ("self",)
    saved_attrs = {"n": "n"}

    def backward(self, ns, grad, x):
        return (grad * ns.polygamma(self.n + 1, x),)


class PolygammaBackward1(PolygammaBackward0):
    """In-place polygamma_: d polygamma(n, x)/dx = polygamma(n + 1, x)."""
    __slots__ = ()


def polygamma_array(n: int, x: np.ndarray) -> np.ndarray:
    with _quiet():
        return S.polygamma(n, x).astype(x.dtype, copy=False)


def _polygamma(n, input, cls):
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"polygamma(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    _check_tensor(input, "polygamma")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    out = polygamma_array(int(n), float_array(input))
    return record1(cls, input, out, input, n=int(n))


@export(special=True, vmap=POINTWISE)
def polygamma(n, input):
    return _polygamma(n, input, PolygammaBackward0)


@export(torch=False, method="polygamma", vmap=POINTWISE)
def _polygamma_method(input, n):
    return _polygamma(n, input, PolygammaBackward0)


def _polygamma_inplace_op(input, n):
    return _polygamma(n, input, PolygammaBackward1)


@export(torch=False, method="polygamma_")
def _polygamma_inplace(input, n):
    return apply_inplace(input, _polygamma_inplace_op, n)


class MvlgammaBackward0(Node):
    """d mvlgamma(x, p)/dx = sum_{j<p} digamma(x - j/2)."""
    jvp = ELEMENTWISE
    __slots__ = ("p",)
    saved_names = ("self",)
    saved_attrs = {"p": "p"}

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's mvlgamma_backward: grad * digamma(offsets + x[..., None])
            p = self.p       # summed over the last dim
            offsets = ns.const_like(x, np.arange(-p / 2.0 + 0.5, 0.5, 0.5))
            args = offsets + ns.unsqueeze_dims(x, [-1])   # (digamma_ in place, as PyTorch's:
            return (grad * ns.sum_dims(args.digamma_(), [-1], False),)   # it saves a clone)
        s = ns.digamma(x + 0.0)   # (PyTorch adds its offsets, 0.0 first: -0 becomes +0)
        for j in range(1, self.p):
            s = s + ns.digamma(x - 0.5 * j)
        return (grad * s,)


@export(method=True, inplace=True, special="multigammaln", vmap=POINTWISE)
def mvlgamma(input, p):
    _check_tensor(input, "mvlgamma")
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = float_array(input)
    with _quiet():
        x64 = x.astype(np.float64)
        out = p * (p - 1) / 4.0 * math.log(math.pi) + sum(
            S.lgamma(x64 - 0.5 * j) for j in range(p))
        out = np.asarray(out).astype(x.dtype)   # (beyond float32's range: inf)
    return record1(MvlgammaBackward0, input, out, input, p=int(p))


# -- logit ------------------------------------------------------------------------------------
class LogitBackward0(Node):
    """d logit(x)/dx = 1 / (x (1 - x)); with eps, 0 outside [eps, 1 - eps]; NaN outside [0, 1]."""
    jvp = ELEMENTWISE
    __slots__ = ("eps",)
    saved_names = ("self",)
    saved_attrs = {"eps": "eps"}

    def backward(self, ns, grad, x):
        if not ns.INPLACE:   # PyTorch's grad / (self * (1 - self)): C++ Scalar - Tensor
            g = grad / (x * ns.scalar_sub(1, x))
            eps = self.eps
            if eps is None:
                return (ns.where((x >= 0) & (x <= 1), g, math.nan),)
            return (ns.where((x < eps) | (x > 1 - eps), 0.0, g),)
        with _quiet():
            g = grad / (x * (1 - x))
            eps = self.eps
            if eps is None:
                return (ns.where((x >= 0) & (x <= 1), g, math.nan),)
            # PyTorch: 0 outside [eps, 1 - eps]; NaN stays NaN (its comparisons are false)
            return (ns.where((x < eps) | (x > 1 - eps), 0.0, g),)


@export(method=True, inplace=True, special=True, vmap=POINTWISE)
def logit(input, eps=None):
    _check_tensor(input, "logit")
    x = float_array(input)
    with _quiet():
        if eps is not None:
            x = np.clip(x, eps, 1 - eps).astype(x.dtype, copy=False)
        out = np.log(x / (1 - x))
    return record1(LogitBackward0, input, out, input, eps=None if eps is None else float(eps))
