"""Special functions on NumPy arrays (NumPy has none of them and retrograd may not use SciPy):
erf, erfc, erfcx, erfinv, erfcinv, lgamma, digamma, polygamma.

Every kernel computes in float64 and returns float64 (callers cast to the op's dtype), is
vectorised (the only Python loops run a fixed, small number of times per call, never once per
element), and is accurate to a few ulps in float64, which gradcheck of the derivatives relies on.

- erfc(z), z >= 0: ``t * exp(-z^2 + C(2t - 1))`` with ``t = 2 / (2 + z)`` and ``C`` a Chebyshev
  series (31 terms, fitted once with 50-digit arithmetic; evaluated as a polynomial), so the
  relative error stays at the rounding level far into the tail; ``exp(-z^2)`` is split so that
  ``z^2`` is exact. erf is ``1 - erfc`` for |z| >= 0.5 and its Taylor series below. For float32
  and float16 inputs 17 terms are used (relative error below 1e-11).
- erfinv / erfcinv: an elementary first guess refined by Halley steps on erf in the centre and
  Newton steps on log(erfc) in the tails (full relative precision down to erfc = 1e-300).
- lgamma: see its docstring (a Taylor series at 2, exact shifts, Stirling, reflection).
- digamma, polygamma: recurrence up to x >= 10 (15 for polygamma), then the asymptotic
  (Stirling / Bernoulli) series; reflection for x < 0. polygamma(1, x) follows PyTorch's own
  trigamma algorithm instead (good to about 1e-9), so that values agree with PyTorch's.
"""
from __future__ import annotations

import math

import numpy as np

from .._util import quiet
from ._lgamma_zeros import LGAMMA_ZEROS

__all__ = ["erf", "erfc", "erfcx", "erfinv", "erfcinv", "lgamma", "digamma", "trigamma",
           "polygamma"]

_f64 = np.float64
_SQRT_PI = math.sqrt(math.pi)
_TWO_OVER_SQRT_PI = 2.0 / _SQRT_PI

# log(erfcx(z) / t), t = 2 / (2 + z), as a Chebyshev series in y = 2t - 1 (|error| < 1e-18).
_ERFC_CHEB = np.array([
    -0.6513268598908547171, 0.6419697923564902603, 0.019476473204185836312,
    -0.0095615147868086316419, -0.0009465953444820368663, 0.00036683949785276145187,
    0.000042523324806907771645, -0.000020278578112534243154, -1.6242900046470255135e-6,
    1.3036558355805232018e-6, 1.5626441722066143178e-8, -8.5238095914926542525e-8,
    6.5290544390988514964e-9, 5.0593434955514689418e-9, -9.9136415649303308674e-10,
    -2.2736512229318358557e-10, 9.646791102015526802e-11, 2.3940380830391147447e-12,
    -6.8860275264975533984e-12, 8.9448792730907257167e-13, 3.1309213993429580783e-13,
    -1.1270822361367252366e-13, 3.8109052551892320552e-16, 7.1060976136092369878e-15,
    -1.5230282014571043043e-15, -9.4574945712912340005e-17, 1.2102371892242789923e-16,
    -2.8166630877471769718e-17, 5.0030055594459016536e-20, 2.3281042579529252875e-18,
    -8.4460776825090065977e-19,
])
# The same series as a polynomial in y, highest power first: its coefficients are small (their
# absolute sum is 1.5), so Horner's rule is as accurate as Clenshaw's recurrence, and cheaper.
# 17 terms (relative error below 1e-11) are plenty for float32 and float16 results. Converted on
# first use: numpy.polynomial costs ~3 ms to import.
_ERFC_POLYS: dict = {}


def _erfc_poly(single: bool = False) -> np.ndarray:
    poly = _ERFC_POLYS.get(single)
    if poly is None:
        from numpy.polynomial import chebyshev
        poly = chebyshev.cheb2poly(_ERFC_CHEB[:17] if single else _ERFC_CHEB)[::-1].copy()
        _ERFC_POLYS[single] = poly
    return poly


# erf(z) = z * sum_n a_n z^(2n), a_n = 2/sqrt(pi) (-1)^n / (n! (2n+1)); 14 terms for |z| < 0.5.
_ERF_TAYLOR = np.array([_TWO_OVER_SQRT_PI * (-1) ** n / (math.factorial(n) * (2 * n + 1))
                        for n in range(14)][::-1])
# Bernoulli numbers B_2, B_4, ..., B_20.
_B2K = np.array([1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
                 43867 / 798, -174611 / 330])
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


_quiet = quiet   # IEEE results without NumPy's warnings (x/0 = inf, log(0) = -inf, like PyTorch)


def _as64(x) -> np.ndarray:
    return np.asarray(x, dtype=_f64)


def _horner(y: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """sum_k coef[k] y^(n-k) (highest power first), in place on one buffer."""
    out = np.full_like(y, coef[0])
    for c in coef[1:]:
        out *= y
        out += c
    return out


def _erfc_pos(z: np.ndarray, scaled: bool = False, single: bool = False) -> np.ndarray:
    """erfc(z) (or erfcx(z) = exp(z^2) erfc(z) when ``scaled``) for z >= 0; ``single``: only
    to the accuracy a float32 result needs."""
    t = 2.0 / (2.0 + z)
    c = _horner(2.0 * t - 1.0, _erfc_poly(single))
    if scaled:
        return t * np.exp(c)
    zc = np.minimum(z, 40.0)            # erfc underflows long before; keeps 4096 z finite
    zh = np.floor(zc * 4096.0) / 4096.0  # zh * zh is exact, so exp(-z^2) loses nothing
    return t * np.exp(-zh * zh) * np.exp(c - (zc - zh) * (zc + zh))


def _erf_small(z: np.ndarray) -> np.ndarray:
    return z * _horner(z * z, _ERF_TAYLOR)


def _erf_abs(ax: np.ndarray, erfc_ax: np.ndarray | None = None, single=False) -> np.ndarray:
    """erf(ax) for ax >= 0, from erfc(ax) when that is known already."""
    small = ax < 0.5
    if small.all():
        return _erf_small(ax)
    big = 1.0 - (_erfc_pos(ax, single=single) if erfc_ax is None else erfc_ax)
    return np.where(small, _erf_small(ax), big) if small.any() else big


def _single(x) -> bool:
    return np.asarray(x).dtype.itemsize < 8


def erf(x) -> np.ndarray:
    single = _single(x)
    x = _as64(x)
    with _quiet():
        return np.copysign(_erf_abs(np.abs(x), single=single), x)


def erfc(x) -> np.ndarray:
    single = _single(x)
    x = _as64(x)
    with _quiet():
        ax = np.abs(x)
        tail = _erfc_pos(ax, single=single)
        out = np.where(ax < 0.5, 1.0 - _erf_small(x), np.where(x > 0, tail, 2.0 - tail))
    return out


def erfcx(x) -> np.ndarray:
    x = _as64(x)
    with _quiet():
        pos = _erfc_pos(np.abs(x), scaled=True)
        out = np.where(x >= 0, pos, 2.0 * np.exp(x * x) - pos)
    return np.where(np.isnan(x), x, out)


def _erfinv_abs(ay: np.ndarray, one_minus: np.ndarray) -> np.ndarray:
    """x >= 0 with erf(x) = ay, given ``one_minus`` = 1 - ay exactly (erfc(x) = one_minus).

    First guess (Winitzki, relative error below 2e-3), then three refinements: Halley's method
    on erf(x) - ay in the centre (ay < 1/2), Newton's method on log(erfc(x)) - log(one_minus) in
    the tails, where erfc is tiny (it stays relative there: log erfc(x) = log erfcx(x) - x^2).
    """
    a = 0.147
    ln = np.log(one_minus * (1.0 + ay))
    t = 2.0 / (math.pi * a) + 0.5 * ln
    x = np.sqrt(np.maximum(np.sqrt(np.maximum(t * t - ln / a, 0.0)) - t, 0.0))
    x = np.where(ay < 1e-3, ay * (0.5 * _SQRT_PI), x)
    tail = ay >= 0.5
    log_q = np.log(np.where(tail, one_minus, 1.0))
    for _ in range(3):
        t = 2.0 / (2.0 + x)
        c = _horner(2.0 * t - 1.0, _erfc_poly())
        erfcx_x = t * np.exp(c)
        # tail: Newton on g(x) = log(erfcx(x)) - x^2 - log(q), g'(x) = -2 / (sqrt(pi) erfcx(x))
        x_tail = x + (np.log(t) + c - x * x - log_q) * (0.5 * _SQRT_PI) * erfcx_x
        # centre: Halley on f(x) = erf(x) - ay (f''/f' = -2x)
        f = _erf_abs(x, erfcx_x * np.exp(-x * x)) - ay
        step = f / (_TWO_OVER_SQRT_PI * np.exp(-x * x))
        x = np.where(tail, x_tail, x - step / (1.0 + x * step))
    return np.where(one_minus == 0.0, np.inf, np.where(ay > 1.0, np.nan, x))


def erfinv(y) -> np.ndarray:
    y = _as64(y)
    with _quiet():
        ay = np.abs(y)
        return np.copysign(_erfinv_abs(ay, 1.0 - ay), y)    # 1 - ay is exact for ay >= 0.5


def erfcinv(q) -> np.ndarray:
    """x with erfc(x) = q, for q in [0, 2]: full relative precision for tiny q as well."""
    q = _as64(q)
    with _quiet():
        small = q <= 1.0
        qs = np.where(small, q, 2.0 - q)           # erfc(-x) = 2 - erfc(x)
        x = _erfinv_abs(1.0 - qs, qs)
        x = np.where(np.isnan(q) | (q < 0) | (q > 2), np.nan, x)
        return np.where(small, x, -x)


# -- gamma family -----------------------------------------------------------------------------
def _stirling(x: np.ndarray) -> np.ndarray:
    """lgamma(x) for x >= 10: Stirling's series to B_20 (error below 1e-18)."""
    inv = 1.0 / x
    inv2 = inv * inv
    s = np.zeros_like(x)
    for k in range(len(_B2K) - 1, -1, -1):
        s = s * inv2 + _B2K[k] / ((2 * k + 2) * (2 * k + 1))
    return (x - 0.5) * np.log(x) - x + _HALF_LOG_2PI + s * inv


# lgamma(2 + z) = (1 - euler_gamma) z + sum_{k>=2} (-1)^k (zeta(k) - 1) / k z^k: the
# coefficients of z^30 ... z^1 (50-digit arithmetic); 30 terms reach 1e-19 at |z| = 1/2.
_LGAMMA2 = np.array([
    3.1044247747322272762e-11, -6.4229645638381000221e-11, 1.3304764374244489481e-10,
    -2.7595228851242331452e-10, 5.7313672416788620133e-10, -1.1921401405860912074e-9,
    2.4836745438024783172e-9, -5.1834750419700466551e-9, 1.0838659214896954091e-8,
    -2.271109460894316491e-8, 4.7698101693639805658e-8, -1.0043224823968099609e-7,
    2.1207184805554665869e-7, -4.4924691987645660433e-7, 9.5514121304074198329e-7,
    -2.0392157538013662368e-6, 4.3748667899074878042e-6, -9.439488275268395904e-6,
    0.000020507212775670691553, -0.0000449262367381331417, 0.000099457512781808533715,
    -0.00022315475845357937976, 0.00050966952474304242234, -0.0011927539117032609771,
    0.0028905103307415232858, -0.0073855510286739852663, 0.020580808427784547879,
    -0.067352301053198095133, 0.32246703342411321824, 0.42278433509846713939,
])
_LGAMMA_MID = (-20.0, 10.0)    # shifted to [1.5, 2.5) inside, reflected below, Stirling above


def lgamma(x) -> np.ndarray:
    """log|Gamma(x)| to a few ulps, also near the poles (relative accuracy; PyTorch's libm
    lgamma is that accurate there). Between -20 and 10, x = 2 + z + n with |z| <= 1/2 and n
    an integer: lgamma(x) = lgamma(2 + z) + log|(x-1)...(x-n)| (n > 0) or
    - log|x (x+1) ... (x-n-1)| (n < 0), with lgamma(2 + z) from its Taylor series; every
    factor x - j is exact (so is x + k = d next to a pole -k), so nothing cancels. Stirling's
    series from 10 up; the reflection Gamma(x) Gamma(1-x) = pi / sin(pi x) below -20, with
    sin(pi x) taken at x - round(x) (exact), not at a rounded multiple of pi."""
    x = _as64(x)
    with _quiet():
        lo, hi = _LGAMMA_MID
        out = np.empty_like(x)
        big = x >= hi
        if big.any():
            out[big] = _stirling(x[big])
        mid = (x > lo) & (x < hi)
        if mid.any():
            out[mid] = _lgamma_mid(x[mid])
        low = x <= lo
        if low.any():
            xl = x[low]
            r = xl - np.round(xl)
            out[low] = math.log(math.pi) - np.log(np.abs(np.sin(math.pi * r))) - \
                _stirling(1.0 - xl)
        if (x < -2.0).any():
            _lgamma_near_zeros(x, out)
        out[np.isnan(x)] = np.nan
        out = np.where((x == 1.0) | (x == 2.0), 0.0, out)
        out = np.where(np.isinf(x) | ((x <= 0) & (x == np.floor(x))), np.inf, out)
    return out


def _lgamma_near_zeros(x: np.ndarray, out: np.ndarray) -> None:
    """Overwrite ``out`` within the radius of each zero in LGAMMA_ZEROS with its series."""
    for hi, lo, radius, coefs in LGAMMA_ZEROS:
        near = np.abs(x - hi) <= radius
        if near.any():
            d = (x[near] - hi) - lo
            acc = np.zeros_like(d)
            for c in coefs[::-1]:
                acc = (acc + c) * d
            out[near] = acc


def _lgamma_mid(x: np.ndarray) -> np.ndarray:
    m = np.floor(x + 0.5)
    z = x - m                                   # exact: |z| <= 1/2
    n = m - 2.0
    up = np.ones_like(x)                        # (x-1)(x-2)...(x-n) for n > 0
    for j in range(1, int(max(n.max(), 0)) + 1):
        up *= np.where(n >= j, x - j, 1.0)
    down = np.ones_like(x)                      # x (x+1) ... (x-n-1) for n < 0
    for j in range(int(max(-n.min(), 0))):
        down *= np.where(-n > j, x + j, 1.0)
    return z * _horner(z, _LGAMMA2) + np.log(up) - np.log(np.abs(down))


def digamma(x) -> np.ndarray:
    x = _as64(x)
    with _quiet():
        neg = x < 0
        xr = np.where(neg, 1.0 - x, x)
        acc = np.zeros_like(xr)
        for _ in range(10):                     # psi(x) = psi(x + 1) - 1/x
            m = xr < 10.0
            if not m.any():
                break
            acc = np.where(m, acc - 1.0 / xr, acc)
            xr = np.where(m, xr + 1.0, xr)
        inv2 = 1.0 / (xr * xr)
        s = np.zeros_like(xr)
        for k in range(len(_B2K) - 1, -1, -1):
            s = s * inv2 + _B2K[k] / (2 * k + 2)
        out = acc + np.log(xr) - 0.5 / xr - s * inv2
        if neg.any():                           # psi(1 - x) - psi(x) = pi cot(pi x)
            r = x - np.round(x)                 # tan has period pi: exact, |r| <= 1/2
            out = np.where(neg, out - math.pi / np.tan(math.pi * r), out)
        out = np.where(x == 0, np.copysign(np.inf, -x), out)
        out = np.where((neg & (x == np.floor(x))) | (x == -np.inf), np.nan, out)
    return out


_COT_DERIV: dict = {0: np.array([1.0, 0.0])}


def _cot_poly(n: int) -> np.ndarray:
    """P_n with d^n/dx^n cot(pi x) = pi^n P_n(cot(pi x)) (P_{n+1} = -(1 + c^2) P_n')."""
    if n not in _COT_DERIV:
        p = _cot_poly(n - 1)
        _COT_DERIV[n] = -np.polymul([1.0, 0.0, 1.0], np.polyder(p))
    return _COT_DERIV[n]


def trigamma(x) -> np.ndarray:
    """polygamma(1, x) as PyTorch computes it (its own trigamma: reflection below 1/2, six
    recurrence steps, four terms of the asymptotic series; relative error below 1e-9), in the
    precision of ``x`` (float32 stays float32), so that values agree with PyTorch's."""
    x = np.asarray(x)
    if x.dtype != np.float64:
        x = x.astype(np.float32)
    t = x.dtype.type
    with _quiet():
        refl = x < 0.5
        s = np.sin(t(math.pi) * x)
        acc = np.where(refl, -(t(math.pi) * t(math.pi)) / (s * s), t(0))
        y = np.where(refl, 1 - x, x)
        for _ in range(6):
            acc = acc + 1 / (y * y)
            y = y + 1
        ixx = 1 / (y * y)
        acc = acc + (1 + 1 / (2 * y) + ixx * (t(1 / 6) - ixx * (t(1 / 30) - ixx * t(1 / 42)))) / y
        return np.where(refl, -acc, acc)


def polygamma(n: int, x) -> np.ndarray:
    """The n-th derivative of digamma (n >= 0)."""
    if n == 0:
        return digamma(x)
    if n == 1:
        return trigamma(x)
    x = _as64(x)
    sign = 1.0 if n % 2 else -1.0               # (-1)^(n+1)
    nfact = float(math.factorial(n))
    with _quiet():
        neg = x < 0
        xr = np.where(neg, 1.0 - x, x)
        acc = np.zeros_like(xr)
        for _ in range(16):                     # psi_n(x) = psi_n(x + 1) + (-1)^(n+1) n! / x^(n+1)
            m = xr < 15.0
            if not m.any():
                break
            acc = np.where(m, acc + nfact / xr ** (n + 1), acc)
            xr = np.where(m, xr + 1.0, xr)
        inv = 1.0 / xr
        inv2 = inv * inv
        s = np.zeros_like(xr)
        for k in range(len(_B2K), 0, -1):       # B_2k (2k+n-1)! / (2k)!
            coef = _B2K[k - 1] * math.exp(math.lgamma(2 * k + n) - math.lgamma(2 * k + 1))
            s = s * inv2 + coef
        tail = inv ** n * (math.factorial(n - 1) + nfact * 0.5 * inv + s * inv2)
        out = sign * (acc + tail)
        if neg.any():   # psi_n(x) = (-1)^n psi_n(1 - x) - pi^(n+1) P_n(cot(pi x))
            r = x - np.round(x)
            c = 1.0 / np.tan(math.pi * r)
            refl = (-1.0) ** n * out - math.pi ** (n + 1) * np.polyval(_cot_poly(n), c)
            # next to 0 the pole term alone (the cot polynomial would give inf - inf)
            refl = np.where(np.abs(x) < 1e-100, sign * nfact / x ** (n + 1), refl)
            out = np.where(neg, refl, out)
        pole = (x <= 0) & (x == np.floor(x))
        out = np.where(pole, sign * np.inf, out)
        # PyTorch's values at the infinities (its zeta gives NaN at +inf)
        out = np.where(x == np.inf, np.nan, np.where(x == -np.inf, sign * np.inf, out))
    return out
