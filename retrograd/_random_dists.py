"""PyTorch 2.13's CPU distribution kernels over the mt19937 engine, value for value.

Each function takes the engine (``retrograd._mt19937.MT19937``), draws exactly the words PyTorch
draws, in its order, and applies PyTorch's transformation in the same precision
(``ATen/core/DistributionsHelper.h``, ``TransformationHelper.h``,
``native/cpu/DistributionTemplates.h``), all vectorised over the batch:

* uniform double: ``(random64() & (2^53-1)) * 2^-53``; float: ``(random() & (2^24-1)) * 2^-24``
  (``uniform_real``; float arithmetic stays float), then ``x * (to - from) + from`` fused into
  one FMA, as the AVX512 build of the kernel compiles it.
* ``normal_``: a contiguous tensor of >= 16 elements is filled with uniforms first, then
  Box-Muller on blocks of 16 (``u1 = 1 - data[j]``, ``u2 = data[j+8]``), the last 16 redrawn
  when the size is not a multiple of 16. float32 goes through the AVX2 kernel
  (``normal_fill_16_AVX2``: Cephes ``log256_ps``/``sincos256_ps`` of ``avx_mathfun.h``, in float
  with GCC's FMA contractions), reproduced bit for bit in ``_random_avx2``. Smaller or
  non-contiguous tensors use ``normal_distribution<double>``: pairs of uniform doubles,
  ``r = sqrt(-2 log1p(-u2))``, ``theta = 2 pi u1``, returning ``r cos(theta)`` and caching
  ``r sin(theta)`` in the generator for the next scalar draw.
* Transcendentals in double (log, log1p, sin, cos, tan, exp) are glibc's: PyTorch calls libm per
  element, and NumPy's own SIMD versions differ from it in the last bit for ~1% of inputs, so
  those go through Python's ``math`` module (which calls the same libm) with ``map`` — a C loop,
  about 50 ns an element.
"""
from __future__ import annotations

import math

import numpy as np

from . import _random_avx2 as _avx2

_F32, _F64 = np.float32, np.float64
_MASK53, _MASK24 = np.uint64((1 << 53) - 1), np.uint32((1 << 24) - 1)
_BLOCK = 1 << 15


# -- exact arithmetic helpers ---------------------------------------------------------------------
def libm(fn, x: np.ndarray) -> np.ndarray:
    """glibc's double ``fn`` element by element (bit-identical to what PyTorch's C++ gets)."""
    flat = np.ascontiguousarray(x, dtype=_F64).ravel()
    return np.fromiter(map(fn, flat.tolist()), _F64, count=flat.size).reshape(np.shape(x))


def _as64(v):
    if isinstance(v, np.ndarray):
        return v.astype(_F64) if v.dtype == _F32 else v.astype(_F32).astype(_F64)
    return _F64(_F32(v))


def fma32(a, b, c) -> np.ndarray:
    """Single-precision fused multiply-add, correctly rounded: the product of two floats is
    exact in double, so ``p + c`` in double then to float rounds once, except when the double sum
    lands exactly on a float midpoint; there, an inexact double sum is nudged by one double ulp
    toward the exact sum (its TwoSum remainder) before rounding, an exact one is a true tie."""
    a, b, c = _as64(a), _as64(b), _as64(c)
    p = a * b
    s = p + c
    r = s.astype(_F32, order="C")
    tie = (s.view(np.uint64) & np.uint64((1 << 29) - 1)) == np.uint64(1 << 28)
    if tie.any():
        idx = np.flatnonzero(tie)
        s2, p2, c2 = (_at(v, s.shape, idx) for v in (s, p, c))
        bv = s2 - p2
        err = (p2 - (s2 - bv)) + (c2 - bv)
        step = (np.sign(err) * np.sign(s2)).astype(np.int64)
        r.reshape(-1)[idx] = (s2.view(np.int64) + step).view(_F64).astype(_F32)
    return r


def _at(x, shape, idx):
    """``x`` broadcast to ``shape``, at the flat indices ``idx`` (a 0-d ``x`` as it is)."""
    x = np.asarray(x)
    if x.ndim == 0:
        return x
    return (x if x.shape == shape else np.broadcast_to(x, shape)).reshape(-1)[idx]


def _split(a):
    t = a * 134217729.0
    hi = t - (t - a)
    return hi, a - hi


def fma64(a, b, c) -> np.ndarray:
    """Double fused multiply-add (Dekker's exact product, then one rounding of p + e + c); with
    ``b == 1`` the product is exact and this is the plain sum."""
    if np.ndim(b) == 0 and b == 1:
        return np.asarray(a, dtype=_F64) + np.asarray(c, dtype=_F64)
    a, b, c = (np.asarray(v, dtype=_F64) for v in (a, b, c))
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl   # a * b == p + e exactly
    s = p + c
    bv = s - p
    t = (p - (s - bv)) + (c - bv)                       # p + c == s + t exactly
    out = s + (t + e)
    finite = np.isfinite(p)
    return out if finite.all() else np.where(finite, out, a * b + c)


# -- uniform ----------------------------------------------------------------------------------------
def uniform_double(eng, n: int) -> np.ndarray:
    return (eng.random64(n) & _MASK53).astype(_F64) * 2.0 ** -53


def uniform_float(eng, n: int) -> np.ndarray:
    return (eng.words(n) & _MASK24).astype(_F32) * _F32(2.0 ** -24)


def uniform(eng, n: int, dtype, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """``uniform_kernel``: from/to cast to the tensor's type, ``x * (to - from) + from``."""
    dtype = np.dtype(dtype)
    unit = low == 0 and high == 1                     # x * 1 + 0 is x: no FMA needed
    if dtype == _F64:
        x = uniform_double(eng, n)
        return x if unit else fma64(x, high - low, low)
    if dtype == np.float16:  # drawn and computed as float (24 bits), then rounded to half
        lo, hi = _F32(low), _F32(high)
        return fma32(uniform_float(eng, n), hi - lo, lo).astype(np.float16)
    lo, hi = _F32(low), _F32(high)
    x = uniform_float(eng, n)
    if unit:
        return x
    out = np.empty(n, _F32)
    for i in range(0, n, _BLOCK):    # blocks that stay in cache through fma32's passes
        out[i:i + _BLOCK] = fma32(x[i:i + _BLOCK], hi - lo, lo)
    return out


# -- normal -----------------------------------------------------------------------------------------
def _box_muller_double(u1, u2, mean, std):
    r = np.sqrt(-2.0 * libm(math.log, 1.0 - u1))
    theta = 2.0 * math.pi * u2
    return (fma64(r * libm(math.cos, theta), std, mean),
            fma64(r * libm(math.sin, theta), std, mean))


def _fill16(eng, n: int, mean: float, std: float, dtype) -> np.ndarray:
    """``normal_fill``/``normal_fill_AVX2``: uniforms for all n, Box-Muller by blocks of 16,
    the tail block recomputed from 16 fresh uniforms."""
    f32 = np.dtype(dtype) == _F32
    draw = uniform_float if f32 else uniform_double
    kernel = _fill16_avx2 if f32 else _fill16_double
    data = draw(eng, n)
    out = np.empty(n, dtype=_F32 if f32 else _F64)
    whole = n - n % 16
    out[:whole] = kernel(data[:whole], mean, std)
    if n % 16:
        out[n - 16:] = kernel(draw(eng, 16), mean, std)
    return out


def _fill16_double(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    d = d.reshape(-1, 16)
    c, s = _box_muller_double(d[:, :8], d[:, 8:], mean, std)
    return np.concatenate([c, s], axis=1).ravel()


def _fill16_avx2(d: np.ndarray, mean: float, std: float) -> np.ndarray:
    return _avx2.fill16(d, mean, std, fma32)


def standard_normal_double(eng, n: int) -> np.ndarray:
    """``normal_distribution<double>`` n times (raw samples), using and refilling the cache."""
    out = np.empty(n, dtype=_F64)
    start = 0
    if n and eng.next_double is not None:
        out[0], eng.next_double, start = eng.next_double, None, 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = uniform_double(eng, 2 * pairs).reshape(-1, 2)
        r = np.sqrt(-2.0 * libm(math.log1p, -u[:, 1]))
        theta = 2.0 * math.pi * u[:, 0]
        both = np.empty(2 * pairs)
        both[0::2] = r * libm(math.cos, theta)
        both[1::2] = r * libm(math.sin, theta)
        out[start:] = both[:n - start]
        if (n - start) % 2:
            eng.next_double = float(both[-1])
    return out


def normal(eng, n: int, dtype, mean: float = 0.0, std: float = 1.0,
           contiguous: bool = True) -> np.ndarray:
    """``normal_kernel``: the vectorised fill for contiguous tensors of >= 16 elements, the
    scalar Box-Muller with its cache otherwise."""
    dtype = np.dtype(dtype)
    if n >= 16 and contiguous and dtype in (_F32, _F64):
        return _fill16(eng, n, mean, std, dtype)
    if n >= 16 and contiguous and dtype == np.float16:  # float math, rounded to half; the
        return _fill16(eng, n, mean, std, _F32).astype(dtype)  # tail block may differ (docs)
    return fma64(standard_normal_double(eng, n), std, mean).astype(dtype)


# -- integers -----------------------------------------------------------------------------------
def random_from_to(eng, n: int, range_: int, base: int) -> np.ndarray:
    """``uniform_int_from_to_distribution``: ``val % range + base`` (int64), from 64-bit draws
    when range >= 2^28, 32-bit ones otherwise."""
    if range_ >= 1 << 28:
        v = eng.random64(n) % np.uint64(range_)
    else:
        v = eng.words(n).astype(np.uint64) % np.uint64(range_)
    return (v.astype(np.int64) + np.int64(base)) if -2 ** 63 <= base < 2 ** 63 else v


def _bit_length_minus_1(v: int) -> int:
    n = 0
    while v >> 1:
        v >>= 1
        n += 1
    return n


def float_bounds(dtype, low: int, high: int | None):
    """``update_from``/``update_to``: for a floating dtype, bounds the dtype cannot hold exactly
    are moved inwards to ones it can (``high`` exclusive; None stays None)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return low, high
    digits = np.finfo(dtype).nmant + 1
    up = int(dtype.type(low + 1))
    if up < low:
        low = up + (1 << (_bit_length_minus_1(abs(low + 1)) - digits + 1))
    if high is not None:
        down = int(dtype.type(high - 1))
        if down >= high:
            high = down - (1 << (_bit_length_minus_1(abs(high - 1)) - digits + 1))
    return low, high


def random_default(eng, n: int, dtype) -> np.ndarray:
    """``uniform_int_distribution`` (``random_()`` with no bounds)."""
    dtype = np.dtype(dtype)
    if dtype == np.int64:
        return (eng.random64(n) % np.uint64(1 << 63)).astype(np.int64)
    if dtype == _F64:
        return (eng.random64(n) % np.uint64((1 << 53) + 1)).astype(_F64)
    w = eng.words(n).astype(np.uint64)
    if dtype == np.bool_:
        return (w & np.uint64(1)).astype(np.bool_)
    if dtype.kind == "f":
        return (w % np.uint64((1 << (np.finfo(dtype).nmant + 1)) + 1)).astype(dtype)
    return (w % np.uint64(int(np.iinfo(dtype).max) + 1)).astype(dtype)


def random_full_range(eng, n: int) -> np.ndarray:
    """``random_(from=int64 min, to=None)``: all 64 bits as a signed integer."""
    return eng.random64(n).view(np.int64)


# -- other continuous distributions ---------------------------------------------------------------
def exponential(eng, n: int, lambd: float) -> np.ndarray:
    """``-1/lambda * log1p(-u)``, u a uniform double (returned in double)."""
    return (-1.0 / lambd) * libm(math.log1p, -uniform_double(eng, n))


def geometric(eng, n: int, p: float) -> np.ndarray:
    """``ceil(log(u) / log1p(-p))``, u a uniform double."""
    u = uniform_double(eng, n)
    return np.ceil(libm(_log, u) / math.log1p(-p))


def _log(x: float) -> float:
    return math.log(x) if x > 0 else -math.inf


def cauchy(eng, n: int, median: float, sigma: float) -> np.ndarray:
    """``median + sigma * tan(pi * (u - 0.5))``, u a uniform double."""
    u = uniform_double(eng, n)
    return fma64(sigma, libm(math.tan, math.pi * (u - 0.5)), median)


def log_normal(eng, n: int, mean: float, std: float) -> np.ndarray:
    """``exp(normal_distribution<double>(mean, std))`` element by element (the scalar path)."""
    return libm(_exp, fma64(standard_normal_double(eng, n), std, mean))


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def bernoulli_scalar(eng, n: int, p: float) -> np.ndarray:
    """``bernoulli_distribution<double>(p)``: a uniform double below p."""
    return uniform_double(eng, n) < p


def bernoulli_tensor(eng, p: np.ndarray) -> np.ndarray:
    """One draw per element of the (already broadcast) p, in order: double p compares with a
    uniform double, float p with a uniform float."""
    flat = np.ascontiguousarray(p).ravel()
    if flat.dtype == _F64:
        return (uniform_double(eng, flat.size) < flat).reshape(p.shape)
    return (uniform_float(eng, flat.size) < flat.astype(_F32)).reshape(p.shape)
