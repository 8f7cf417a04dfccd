"""max_pool2d's 2x2 stride-2 path (pairwise maxima, ops/nn/pooling.py) against torch: values,
indices and gradients with many ties (PyTorch keeps the first maximum in row-major order), odd
sizes (the last row and column unused), unbatched input, integers, -0.0 against 0.0, infinities,
and NaN (handed to the general kernel: PyTorch keeps the last NaN)."""
from __future__ import annotations

import numpy as np
import pytest

from _both import both


def _ties(shape, seed=0):
    return np.random.default_rng(seed).integers(-2, 2, shape).astype(np.float64)


CASES = {
    "ties": lambda T: T.tensor(_ties((3, 4, 6, 8)), requires_grad=True),
    "ties_odd_sizes": lambda T: T.tensor(_ties((2, 3, 7, 9), 1), requires_grad=True),
    "unbatched": lambda T: T.tensor(_ties((3, 5, 4), 2), requires_grad=True),
    "float32_random": lambda T: T.tensor(np.random.default_rng(3).standard_normal(
        (4, 2, 8, 6)).astype(np.float32), requires_grad=True),
    "infinities": lambda T: T.tensor([[[[-np.inf, -np.inf, 1.0, np.inf],
                                        [-np.inf, -np.inf, np.inf, 2.0]]]], requires_grad=True),
    "signed_zeros": lambda T: T.tensor([[[[0.0, -0.0, -0.0, 0.0], [-0.0, 0.0, 0.0, 0.0]]]],
                                       requires_grad=True),
    "nan": lambda T: T.tensor([[[[1.0, np.nan, 3.0, 0.0], [np.nan, 2.0, 1.0, 1.0]]]],
                              requires_grad=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_max_pool_2x2_like_torch(case):
    def f(T):
        x = CASES[case](T)
        out, idx = T.nn.functional.max_pool2d(x, 2, return_indices=True)
        (out * T.arange(out.numel(), dtype=out.dtype).reshape(out.shape)).sum().backward()
        return out, idx, x.grad
    both(f)


@pytest.mark.parametrize("dtype", ["int64", "int8", "uint8"])
def test_max_pool_2x2_integers_like_torch(dtype):
    def f(T):
        x = T.tensor(np.random.default_rng(4).integers(0, 3, (2, 3, 5, 6)), dtype=getattr(T, dtype))
        return T.nn.functional.max_pool2d(x, 2, return_indices=True)
    both(f)
