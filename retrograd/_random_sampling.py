"""torch.multinomial and torch.poisson on PyTorch's CPU stream (native/Distributions.cpp)."""
from __future__ import annotations

import math

import numpy as np

from . import _random_dists as RD
from ._factory import _make
from ._tensor import Tensor
from ._random import _rng
from . import _dtype as D

_NAMES = D.SCALAR_NAMES  # the one table, in _dtype.py


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None) -> Tensor:
    """Without replacement (or one sample): ``argmax``/``topk`` of ``p / q`` with
    ``q = empty_like(p).exponential_(1)`` (the Gumbel trick PyTorch uses). With replacement: per
    row, the cumulative sum in p's dtype normalised by its total, then one uniform double per
    sample located by binary search (the first bucket whose cumulative value is >= u)."""
    p = input._data
    if p.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{_NAMES.get(p.dtype.name, p.dtype.name)}")
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    n_cat = p.shape[-1]
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if n_cat > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")
    eng = _rng(generator)
    rows = p.reshape(-1, n_cat)
    if not replacement or num_samples == 1:
        if rows.size and not (np.isfinite(rows) & (rows >= 0)).all():
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (rows.sum(axis=1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        q = RD.exponential(eng, rows.size, 1.0).astype(p.dtype).reshape(rows.shape)
        score = (rows / q).astype(p.dtype)
        if num_samples == 1:
            idx = np.argmax(score, axis=1)[:, None]
        else:  # topk: largest first (a stable sort on the negated scores)
            idx = np.argsort(-score, axis=1, kind="stable")[:, :num_samples]
        return _make(idx.astype(np.int64).reshape(p.shape[:-1] + (num_samples,)))
    out_rows = []
    for row in rows:
        if (row < 0).any():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry < 0)")
        if not np.isfinite(row).all():
            raise RuntimeError("invalid multinomial distribution (encountering probability "
                               "entry = infinity or NaN)")
        cum = np.cumsum(row, dtype=row.dtype)     # sequential, in p's dtype, as PyTorch sums
        total = cum[-1]
        if not total > 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        cum = (cum / total).astype(row.dtype).astype(np.float64)
        cum[-1] = 1.0
        u = RD.uniform_double(eng, num_samples)
        out_rows.append(np.searchsorted(cum, u, side="left"))
    res = np.stack(out_rows).astype(np.int64)
    return _make(res.reshape(p.shape[:-1] + (num_samples,)))


class _Uniforms:
    """Uniform doubles drawn ahead from a copy of the engine; ``close`` advances the real engine
    by exactly the words used (rejection sampling draws a data-dependent number)."""

    def __init__(self, eng):
        self.eng, self.copy, self.buf, self.pos, self.used = eng, eng.copy(), [], 0, 0

    def __call__(self) -> float:
        if self.pos == len(self.buf):
            self.buf, self.pos = RD.uniform_double(self.copy, 256).tolist(), 0
        self.pos += 1
        self.used += 1
        return self.buf[self.pos - 1]

    def close(self) -> None:
        self.eng.skip(2 * self.used)


def _sample_poisson(lam: float, uniform) -> float:
    """sample_poisson: Hoermann's transformed rejection for lambda >= 10, else the product of
    uniforms against exp(-lambda)."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(input, generator=None) -> Tensor:
    """One sample per element, in order (a Python loop: the number of draws per element is
    data-dependent; the uniforms themselves are generated in vectorised batches)."""
    rates = input._data
    if rates.dtype.kind != "f":
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for "
                                  f"'{_NAMES.get(rates.dtype.name, rates.dtype.name)}'")
    if rates.size and not (rates >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    uniform = _Uniforms(_rng(generator))
    flat = [_sample_poisson(float(lam), uniform) for lam in np.ravel(rates).tolist()]
    uniform.close()
    return _make(np.array(flat, dtype=rates.dtype).reshape(rates.shape))
