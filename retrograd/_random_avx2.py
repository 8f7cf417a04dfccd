"""``normal_fill_16_AVX2``, PyTorch's float32 Box-Muller kernel, bit for bit and vectorised.

PyTorch's AVX2 build computes ``radius = sqrt(-2 log(1 - u1))`` and ``sin``/``cos(2 pi u2)``
with avx_mathfun's Cephes ``log256_ps`` and ``sincos256_ps`` in float, with the FMAs GCC
contracts from them. Every float add, multiply and sqrt is reproduced here in double followed
by one rounding to float (correctly rounded: a double holds a product of two floats exactly,
and for add, multiply and sqrt double rounding from 53 to 24 bits is innocuous). A float FMA
``a * b + c`` is the exact double product, a double add and one rounding to float: that is the
fused result unless the double sum lands exactly on a float midpoint (double rounding).

Here it never does: the kernels' inputs come from a finite set, ``1 - u`` and ``float(2 pi) *
u`` for the 2^24 uniforms ``u = k * 2^-24``, and over all of them these kernels give the same
bits as the operation-by-operation emulation with midpoint correction (``fma32``;
``tests/test_random_kernels.py`` checks a quarter of the inputs in the suite and all of them
with ``RETROGRAD_EXHAUSTIVE=1``). The last step, ``radius * cos * std + mean``, depends on the
caller's std and mean, so it keeps the midpoint-corrected ``fma32``.

Values stay in float64 arrays holding float values (``_r`` rounds), the selections are bit
operations (``np.where`` on random masks is slow), and the work runs in blocks that stay in
cache: a million normals cost ~15 ms instead of ~170.
"""
from __future__ import annotations

import math

import numpy as np

_F32, _F64, _U32 = np.float32, np.float64, np.uint32
_BLOCK = 2048  # rows of 16 per block: 16k values of each half, in cache


def _c(v: float) -> float:
    """A constant as the float the C code holds."""
    return float(_F32(v))


def _r(s: np.ndarray) -> np.ndarray:
    """Round to float, kept in float64."""
    return s.astype(_F32).astype(_F64)


_LOG_P = tuple(_c(p) for p in (
    7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
    -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1))
_LOG_Q1, _LOG_Q2 = _c(-2.12194440e-4), _c(0.693359375)
_MIN_NORM = np.array(0x00800000, np.int32).view(_F32)
_HALF_BITS = np.array(0.5, _F32).view(np.int32)
_SQRTHF = _F32(0.707106781186547524)
_FOPI = _F32(1.27323954473516)
_DP = tuple(_c(v) for v in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8))
_COS_P = tuple(_c(v) for v in (2.443315711809948E-005, -1.388731625493765E-003,
                               4.166664568298827E-002))
_SIN_P = tuple(_c(v) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1))
_SIGN = _U32(0x80000000)


def log256(x: np.ndarray) -> np.ndarray:
    """``log256_ps`` of float ``x``: frexp, the Cephes polynomial by FMAs, ``e * ln2`` in two
    parts. Returns float values in float64."""
    x = np.maximum(x, _MIN_NORM)
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7E).astype(_F64)          # exponent + 1, exact
    m = ((bits & ~0x7F800000) | _HALF_BITS).view(_F32)
    small = (m < _SQRTHF).astype(_F32)
    x = ((m - _F32(1)) + m * small).astype(_F64)     # x < sqrt(1/2): x + x - 1, e - 1
    e -= small
    z = _r(x * x)
    y = x * _LOG_P[0]
    y += _LOG_P[1]
    y = _r(y)
    for p in _LOG_P[2:]:
        y *= x
        y += p
        y = _r(y)
    y = _r(y * x)
    y *= z
    y += _r(e * _LOG_Q1)
    y = _r(y)
    y += z * -0.5                                   # fma(z, -0.5, y); z * 0.5 is exact
    y = _r(y)
    y += x
    y = _r(y)
    y += e * _LOG_Q2
    return _r(y)


def sincos256(x: np.ndarray):
    """``sincos256_ps`` of float ``x``: octant ``j``, Cody-Waite reduction by three FMAs, both
    polynomials, selection and signs by the octant. Returns (sin, cos) as float arrays."""
    bits = x.view(_U32)
    x = np.abs(x)
    j = (x * _FOPI).astype(np.int32)
    j += 1
    j &= ~1
    y = j.astype(_F64)
    j = j.view(_U32)
    x = x.astype(_F64)
    for dp in _DP:
        t = y * dp
        t += x
        x = _r(t)
    z = _r(x * x)
    yc = z * _COS_P[0]
    yc += _COS_P[1]
    yc = _r(yc)
    yc *= z
    yc += _COS_P[2]
    yc = _r(yc)
    yc = _r(yc * z)
    yc *= z
    yc -= _r(z * 0.5)                               # fma(yc, z, -(z * 0.5))
    yc = _r(yc)
    yc += 1.0
    yc = yc.astype(_F32).view(_U32)
    ys = z * _SIN_P[0]
    ys += _SIN_P[1]
    ys = _r(ys)
    ys *= z
    ys += _SIN_P[2]
    ys = _r(ys)
    ys = _r(ys * z)
    ys *= x
    ys += x
    ys = ys.astype(_F32).view(_U32)
    pick = (j & _U32(2)) >> _U32(1)
    pick -= _U32(1)                                 # all ones where the sine polynomial is sin
    diff = ys ^ yc
    diff &= pick
    s, c = yc ^ diff, ys ^ diff
    s ^= (bits & _SIGN) ^ ((j & _U32(4)) << _U32(29))
    c ^= (~(j - _U32(2)) & _U32(4)) << _U32(29)
    return s.view(_F32), c.view(_F32)


def fill16(d: np.ndarray, mean: float, std: float, fma32) -> np.ndarray:
    """Box-Muller over rows of 16 uniforms (float): ``u1 = 1 - row[:8]``, ``u2 = row[8:]``;
    the row becomes ``radius * cos * std + mean`` then ``radius * sin * std + mean``."""
    d = d.reshape(-1, 16)
    out = np.empty(d.shape, _F32)
    two_pi = _F32(2.0 * math.pi)
    unit = float(_F32(std)) == 1.0                   # fma(v, 1, mean) is the float add
    mean32 = _F32(mean)
    for i in range(0, d.shape[0], _BLOCK):
        rows = d[i:i + _BLOCK]
        radius = np.sqrt(_F32(-2) * log256(_F32(1) - rows[:, :8]).astype(_F32))
        s, c = sincos256(two_pi * rows[:, 8:])
        for half, trig in ((slice(0, 8), c), (slice(8, 16), s)):
            v = radius * trig
            out[i:i + _BLOCK, half] = v + mean32 if unit else fma32(v, std, mean)
    return out.ravel()
