"""lgamma next to its zeros on the negative axis, against torch 2.13.

There the value is small and the general formula's logs cancel: retrograd sums a Taylor series
about each zero (retrograd/ops/elementwise/_lgamma_zeros.py). PyTorch (glibc's lgamma) is itself
off there, by up to ~1e-12 relative a micro-step from a zero and ~1e-2 relative at the double
nearest to it, but never by more than ~3e-17 absolute within 1e-3 of the zeros in (-6, -2):
the tolerance below is that absolute bound (the general formula missed it by ~1e-14 absolute,
up to 7e-11 relative). float32 goes through float64 here and is rounded once; PyTorch's lgammaf
works in float32 and is off by up to ~2e-9 absolute (a few ulps of its intermediates)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd
from retrograd.ops.elementwise._lgamma_zeros import LGAMMA_ZEROS


def _grid(zero: float, radius: float, dtype) -> np.ndarray:
    """Within 1e-3 of the zero (and within the series' radius: next to -6 the pole is closer)."""
    w = min(1e-3, radius)
    x = np.concatenate([zero + np.linspace(-w, w, 401),
                        zero + np.arange(-20, 21) * np.spacing(zero) * 3])
    return x.astype(dtype)


@pytest.mark.parametrize("zero,radius", [z[:3:2] for z in LGAMMA_ZEROS],
                         ids=[f"{z[0]:.4f}" for z in LGAMMA_ZEROS])
def test_lgamma_near_a_zero_float64(zero, radius):
    x = _grid(zero, radius, np.float64)
    ours = retrograd.lgamma(retrograd.tensor(x)).numpy()
    ref = torch.lgamma(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, ref, rtol=4e-16, atol=5e-17)
    # the sign changes at the zero, as PyTorch's
    assert np.array_equal(np.sign(ours[np.abs(x - zero) > 1e-12]),
                          np.sign(ref[np.abs(x - zero) > 1e-12]))


@pytest.mark.parametrize("zero,radius", [z[:3:2] for z in LGAMMA_ZEROS[:4]],
                         ids=[f"{z[0]:.4f}" for z in LGAMMA_ZEROS[:4]])
def test_lgamma_near_a_zero_float32(zero, radius):
    x = _grid(zero, radius, np.float32)
    ours = retrograd.lgamma(retrograd.tensor(x)).numpy()
    ref = torch.lgamma(torch.tensor(x)).numpy()
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, ref, rtol=1e-6, atol=2e-9)


def test_lgamma_series_joins_the_general_formula():
    """Just inside and just outside each radius the two formulas agree with PyTorch."""
    for zero, _, radius, _ in LGAMMA_ZEROS:
        x = zero + np.array([-1, 1])[:, None] * radius * np.array([1 - 1e-9, 1 + 1e-9])
        x = x.ravel()
        ours = retrograd.lgamma(retrograd.tensor(x)).numpy()
        ref = torch.lgamma(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=1e-17)
