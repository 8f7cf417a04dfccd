"""vmap over pooling and resampling (the "pool2d", "pool3d" and "resample" batching rules of
retrograd/func/_batching.py): the vmap dims are folded into the batch dim, one batched call,
the same values (and indices) as torch.func.vmap, and the same per-example gradients."""
from __future__ import annotations

import numpy as np
import pytest

import retrograd
from _both import both
from retrograd.func import _batching

RNG = np.random.default_rng(4)

CASES = {
    "max_pool2d": (lambda F, x: F.max_pool2d(x, 2, return_indices=True), (3, 2, 2, 5, 5)),
    "max_pool2d_unbatched": (lambda F, x: F.max_pool2d(x, 3, 1, 1), (3, 2, 4, 4)),
    "avg_pool2d": (lambda F, x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
                   (3, 2, 2, 5, 5)),
    "max_pool1d": (lambda F, x: F.max_pool1d(x, 2), (3, 2, 7)),
    "adaptive_avg_pool2d": (lambda F, x: F.adaptive_avg_pool2d(x, (2, 3)), (3, 2, 2, 5, 7)),
    "adaptive_max_pool2d": (lambda F, x: F.adaptive_max_pool2d(x, 3, return_indices=True),
                            (3, 2, 5, 7)),
    "max_pool3d": (lambda F, x: F.max_pool3d(x, 2, return_indices=True), (2, 2, 2, 4, 4, 4)),
    "avg_pool3d": (lambda F, x: F.avg_pool3d(x, 2, 1, 1), (2, 2, 3, 4, 4)),
    "adaptive_pool3d": (lambda F, x: (F.adaptive_avg_pool3d(x, (2, 3, 2)),
                                      F.adaptive_max_pool3d(x, 2, return_indices=True)),
                        (2, 1, 2, 3, 5, 4)),
    "interpolate": (lambda F, x: (F.interpolate(x, scale_factor=1.5, mode="bilinear"),
                                  F.interpolate(x, size=(3, 7), mode="bicubic", antialias=True),
                                  F.interpolate(x, scale_factor=2)), (3, 2, 2, 4, 5)),
    "trilinear": (lambda F, x: F.interpolate(x, scale_factor=2, mode="trilinear"),
                  (2, 1, 2, 2, 3, 2)),
    "interpolate_1d": (lambda F, x: F.interpolate(x, size=9, mode="linear"), (3, 2, 2, 5)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_vmap_matches_torch_in_one_batched_call(case):
    fn, shape = CASES[case]
    a = RNG.standard_normal(shape)
    counts = {}

    def f(T):
        before = dict(_batching.STATS)
        out = T.func.vmap(lambda x: fn(T.nn.functional, x))(T.tensor(a))
        if T is retrograd:
            counts["fallback"] = _batching.STATS["fallback"] - before["fallback"]
            counts["batched"] = _batching.STATS["batched"] - before["batched"]
        return out
    both(f)
    assert counts["fallback"] == 0, _batching.STATS["last_reason"]
    assert counts["batched"] >= 1


W = RNG.standard_normal((2, 1, 3, 3))
X = RNG.standard_normal((4, 1, 6, 6))


def test_per_example_gradients_through_pooling():
    def f(T):
        F = T.nn.functional

        def loss(w, xi):
            y = F.max_pool2d(F.conv2d(xi[None], w, padding=1), 2)
            y = F.adaptive_avg_pool2d(F.interpolate(y, scale_factor=2, mode="bilinear"), 2)
            return (y ** 2).sum()
        return T.func.vmap(T.func.grad(loss), in_dims=(None, 0))(T.tensor(W), T.tensor(X))
    both(f)
