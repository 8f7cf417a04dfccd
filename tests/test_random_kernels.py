"""The fast float32 normal kernel and the NumPy-twisted engine against PyTorch and against the
operation-by-operation emulation they replaced, bit for bit.

``retrograd._random_avx2`` evaluates each float FMA of PyTorch's AVX2 Box-Muller as a double
product and sum rounded once, with no correction for a double sum that lands on a float
midpoint: the reference below (the previous implementation) corrects those. Their inputs come
from a finite set (the 2^24 uniforms), so comparing on it is a proof: a quarter of the inputs
(and the first and last 2^16) here; all of them with ``RETROGRAD_EXHAUSTIVE=1`` (~10 s).
"""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import _random_avx2 as K
from retrograd._random_dists import fma32

_F32 = np.float32
_LOG_P = (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
          1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
          3.3333331174E-1)


def ref_log256(x):
    """log256_ps with every FMA midpoint-corrected (the former implementation)."""
    x = np.maximum(x, np.array(0x00800000, np.int32).view(_F32))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 0x7F).astype(_F32) + _F32(1)
    x = ((bits & ~0x7F800000) | np.array(0.5, _F32).view(np.int32)).view(_F32)
    small = x < _F32(0.707106781186547524)
    x = (x - _F32(1)) + np.where(small, x, _F32(0))
    e = e - small.astype(_F32)
    z = x * x
    y = np.full_like(x, _F32(_LOG_P[0]))
    for p in _LOG_P[1:]:
        y = fma32(y, x, p)
    y = fma32(y * x, z, e * _F32(-2.12194440e-4))
    y = fma32(z, -0.5, y)
    return fma32(e, 0.693359375, x + y)


def ref_sincos256(x):
    sign_sin = np.signbit(x)
    x = np.abs(x)
    j = (x * _F32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(_F32)
    sign_sin ^= (j & 4) != 0
    sin_poly = (j & 2) == 0
    sign_cos = (~(j - 2) & 4) != 0
    for dp in (-0.78515625, -2.4187564849853515625e-4, -3.77489497744594108e-8):
        x = fma32(y, dp, x)
    z = x * x
    yc = fma32(np.full_like(x, _F32(2.443315711809948E-005)), z, -1.388731625493765E-003)
    yc = fma32(yc, z, 4.166664568298827E-002) * z
    yc = fma32(yc, z, -(z * _F32(0.5))) + _F32(1)
    ys = fma32(np.full_like(x, _F32(-1.9515295891E-4)), z, 8.3321608736E-3)
    ys = fma32(ys, z, -1.6666654611E-1) * z
    ys = fma32(ys, x, x)
    s, c = np.where(sin_poly, ys, yc), np.where(sin_poly, yc, ys)
    return np.where(sign_sin, -s, s), np.where(sign_cos, -c, c)


def _bits(a):
    return np.asarray(a, dtype=_F32).view(np.int32)


def _domain_chunks():
    """The uniforms k * 2^-24 the kernels can see, in chunks of 2^20."""
    if os.environ.get("RETROGRAD_EXHAUSTIVE") == "1":
        ks = [np.arange(lo, lo + (1 << 20), dtype=np.int64) for lo in range(0, 1 << 24, 1 << 20)]
    else:
        quarter = np.arange(0, 1 << 24, 4, dtype=np.int64)
        ends = np.r_[np.arange(1 << 16), np.arange((1 << 24) - (1 << 16), 1 << 24)]
        ks = np.array_split(np.r_[quarter, ends], 5)
    for k in ks:
        yield k.astype(_F32) * _F32(2.0 ** -24)


def test_log256_equals_the_midpoint_corrected_emulation():
    for u in _domain_chunks():
        x = _F32(1) - u
        assert np.array_equal(_bits(K.log256(x)), _bits(ref_log256(x)))


def test_sincos256_equals_the_midpoint_corrected_emulation():
    for u in _domain_chunks():
        x = _F32(2.0 * math.pi) * u
        for got, want in zip(K.sincos256(x), ref_sincos256(x)):
            assert np.array_equal(_bits(got), _bits(want))


def test_sincos256_negative_and_large_arguments():
    x = np.r_[-np.linspace(0, 7, 20001), np.linspace(7, 400, 20001), [0.0, -0.0]].astype(_F32)
    for got, want in zip(K.sincos256(x), ref_sincos256(x)):
        assert np.array_equal(_bits(got), _bits(want))


def _same(fn, seed):
    out = []
    for T in (torch, rg):
        T.manual_seed(seed)
        vals = [np.asarray(t.numpy()) for t in fn(T)]
        out.append((vals, bytes(T.get_rng_state().numpy())))
    (tv, ts), (rv, rs) = out
    for a, b in zip(tv, rv, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8))
    assert ts == rs


SIZES = (1, 3, 15, 16, 17, 31, 33, 250, 4099, 2048 * 16 + 5, 100_003)


@pytest.mark.parametrize("seed", [0, 3, 2 ** 40 + 11])
def test_randn_float32_bit_identical_to_torch(seed):
    _same(lambda T: [T.randn(n) for n in SIZES] + [T.randn(4, 5, 6)], seed)


def test_randn_float32_a_million():
    _same(lambda T: [T.randn(1_000_000), T.randn(1_000_001)], 12345)


@pytest.mark.parametrize("seed", [1, 99])
def test_normal_float32_mean_std_bit_identical_to_torch(seed):
    def fn(T):
        out = []
        for n in (16, 40, 4099, 70_001):
            out += [T.empty(n).normal_(0.25, 3.3), T.empty(n).normal_(-1.5, 1.0),
                    T.normal(2.0, 0.1, (n,)), T.empty(n).normal_(0.0, 1.0 + 2 ** -20)]
        return out
    _same(fn, seed)


def test_engine_draws_across_the_numpy_threshold():
    """Draws of 3 to 10+ blocks of 624 words (the NumPy twist starts at 4: _NUMPY_BLOCKS), from
    a fresh state, from the middle of a block, and after a state restored from torch."""
    from retrograd._mt19937 import _NUMPY_BLOCKS
    assert _NUMPY_BLOCKS == 4   # the sizes below straddle it

    def fn(T):
        out = [T.randn(7), T.rand(624 * 3 - 3), T.rand(624 * 3), T.rand(624 * 3 + 1),
               T.rand(624 * 4), T.randn(64, 64), T.rand(5),
               T.rand(624 * 8 - 3), T.rand(624 * 9), T.rand(624 * 9 + 1),
               T.randint(0, 1 << 40, (5000,)), T.rand(624 * 40 + 123, dtype=T.float64)]
        out += [T.randperm(20_000), T.randn(1), T.rand(10_000)]
        return out
    _same(fn, 5)
    torch.manual_seed(8)
    torch.rand(300)
    state = torch.get_rng_state()
    rg.set_rng_state(rg.tensor(state.numpy()))
    assert np.array_equal(rg.rand(50_000).numpy(), torch.rand(50_000).numpy())
    assert bytes(rg.get_rng_state().numpy()) == bytes(torch.get_rng_state().numpy())


def _swap_loop(targets):
    perm = list(range(targets.size + 1))
    for i, j in enumerate(targets.tolist()):
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def test_swaps_to_perm_equals_the_swap_loop():
    from retrograd._random import _swaps_to_perm
    rng = np.random.default_rng(0)
    cases = [np.full(n - 1, n - 1) for n in (2, 3, 50)]        # every step targets the end
    cases += [np.arange(n - 1) for n in (2, 3, 50)]             # every swap a no-op
    cases += [np.arange(1, n) for n in (2, 3, 50)]              # one long chain
    for n in list(range(2, 30)) * 20 + [1000, 5000]:
        cases.append(rng.integers(0, 1 << 32, n - 1) % np.arange(n, 1, -1) + np.arange(n - 1))
    for t in cases:
        assert _swaps_to_perm(t.astype(np.int64)).tolist() == _swap_loop(t)


def test_randperm_large_bit_identical_to_torch():
    _same(lambda T: [T.randperm(1_000_000), T.randperm(77_777, dtype=T.int32), T.randperm(3)], 21)


@pytest.mark.parametrize("seed", [0, 17])
def test_float64_normal_with_unit_std_bit_identical_to_torch(seed):
    """std == 1 skips the emulated double FMA (x * 1 + mean is exact before its one rounding)."""
    def fn(T):
        return [T.randn(n, dtype=T.float64) for n in (1, 3, 16, 17, 5003)] + \
               [T.empty(n, dtype=T.float64).normal_(m, 1.0) for n in (2, 40) for m in (0.5, -0.0)]
    _same(fn, seed)
