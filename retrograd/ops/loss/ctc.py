"""ctc_loss (``torch.nn.functional.ctc_loss`` / ``torch.ctc_loss``): the connectionist temporal
classification loss, one ``CtcLossBackward0`` node as in PyTorch. Part of ``loss``.

The forward variables (alpha) and, in backward, the backward variables (beta) are computed in
log space with one vectorised step per time step (all batch items and all positions of the
blank-extended targets at once). The gradient is PyTorch's, term for term:
``exp(log_probs) - exp(log(sum of alpha beta over the positions of class c) + nll - log_probs)``,
the gradient with respect to the logits behind a log_softmax (PyTorch's documented choice), zero
past each input length, and zero for an infinite loss with ``zero_infinity``.
"""
from __future__ import annotations

import numpy as np

from ...autograd.node import Node
from ..elementwise import arithmetic as P
from ..elementwise import compare as P_compare
from .._registry import export
from .._util import Tensor, wrap
from ...autograd._record import RESULT, record1
from ..elementwise.unary import _quiet, not_implemented_for
from .regression import MEAN, SUM, reduction_enum
from ..reduction.basic import mean as _mean, sum as _sum
from ..shape.basic import squeeze, unsqueeze

_NEG_INF = -np.inf


def _lengths(v) -> tuple:
    if isinstance(v, Tensor):
        return tuple(int(i) for i in v._data.reshape(-1))
    return tuple(int(i) for i in v)


def _extended(targets: np.ndarray, tl: np.ndarray, blank: int, s_max: int) -> np.ndarray:
    """The targets with blanks around and between their labels: (N, 2 S + 1)."""
    n = tl.shape[0]
    if targets.ndim == 1:   # concatenated targets
        offsets = np.cumsum(tl) - tl
        j = np.arange(s_max)
        pos = np.minimum(offsets[:, None] + j, max(targets.shape[0] - 1, 0))
        labels = np.where(j < tl[:, None], targets[pos] if targets.size else 0, blank)
    else:
        labels = targets[:, :s_max]
    ext = np.full((n, 2 * s_max + 1), blank, np.int64)
    ext[:, 1::2] = labels
    return ext


def _logsumexp3(a, b, c):
    with _quiet():
        m = np.maximum(np.maximum(a, b), c)
        m0 = np.where(np.isfinite(m), m, 0)
        return np.log(np.exp(a - m0) + np.exp(b - m0) + np.exp(c - m0)) + m0


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """a moved k places right (k > 0) or left (k < 0) along the last axis, -inf filled."""
    out = np.full_like(a, _NEG_INF)
    if k > 0:
        out[:, k:] = a[:, :-k]
    else:
        out[:, :k] = a[:, -k:]
    return out


def _parts(lp, ext, blank):
    """log probabilities at the extended targets (N, T, L), the skip mask (N, L), and the
    positions in range per item."""
    lpe = np.take_along_axis(lp.transpose(1, 0, 2), ext[:, None, :], 2)
    skip = np.zeros(ext.shape, bool)
    skip[:, 3::2] = ext[:, 3::2] != ext[:, 1:-2:2]   # label positions (odd s), as PyTorch
    return lpe, skip


def ctc_np(lp, targets, il, tl, blank):
    """(nll (N,), log_alpha (N, T, 2 S + 1)) for log_probs (T, N, C)."""
    t_max, n, _ = lp.shape
    s_max = int(tl.max()) if n else 0
    ext = _extended(targets, tl, blank, s_max)
    lpe, skip = _parts(lp, ext, blank)
    length = ext.shape[1]
    in_range = np.arange(length)[None, :] < (2 * tl + 1)[:, None]
    alpha = np.full((n, t_max, length), _NEG_INF, lp.dtype)
    if t_max:
        first = np.full((n, length), _NEG_INF, lp.dtype)
        first[:, 0] = lpe[:, 0, 0]
        if length > 1:
            first[:, 1] = np.where(tl > 0, lpe[:, 0, 1], _NEG_INF)
        alpha[:, 0] = np.where(il[:, None] > 0, first, _NEG_INF)
    for t in range(1, t_max):
        a = alpha[:, t - 1]
        a2 = np.where(skip, _shift(a, 2), _NEG_INF)
        step = _logsumexp3(a, _shift(a, 1), a2) + lpe[:, t]
        alpha[:, t] = np.where(in_range & (t < il)[:, None], step, _NEG_INF)
    rows = np.arange(n)
    last = np.maximum(il - 1, 0)
    end = alpha[rows, last, 2 * tl]
    before = np.where(tl > 0, alpha[rows, last, np.maximum(2 * tl - 1, 0)], _NEG_INF)
    with _quiet():
        nll = -np.logaddexp(end, before)
    nll = np.where(il > 0, nll, np.where(tl == 0, -0.0, np.inf)) if n else nll
    return nll.astype(lp.dtype), alpha


def ctc_grad_np(lp, targets, il, tl, blank, nll, alpha, zero_infinity):
    """PyTorch's gradient of the per-item losses with respect to log_probs: (T, N, C)."""
    t_max, n, c = lp.shape
    s_max = int(tl.max()) if n else 0
    ext = _extended(targets, tl, blank, s_max)
    lpe, skip = _parts(lp, ext, blank)
    length = ext.shape[1]
    in_range = np.arange(length)[None, :] < (2 * tl + 1)[:, None]
    beta = np.full((n, t_max, length), _NEG_INF, lp.dtype)
    rows = np.arange(n)
    init = np.full((n, length), _NEG_INF, lp.dtype)
    last = np.maximum(il - 1, 0)
    init[rows, 2 * tl] = lpe[rows, last, 2 * tl]
    has = tl > 0
    init[rows[has], 2 * tl[has] - 1] = lpe[rows[has], last[has], 2 * tl[has] - 1]
    skip_next = np.zeros_like(skip)      # s -> s + 2 is allowed where s + 2 may skip
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(t_max - 1, -1, -1):
        if t == t_max - 1:
            prev = np.full((n, length), _NEG_INF, lp.dtype)
        else:
            prev = beta[:, t + 1]
        b2 = np.where(skip_next, _shift(prev, -2), _NEG_INF)
        step = _logsumexp3(prev, _shift(prev, -1), b2) + lpe[:, t]
        cur = np.where((t == il - 1)[:, None], init, np.where((t < il - 1)[:, None], step,
                                                                  _NEG_INF))
        beta[:, t] = np.where(in_range, cur, _NEG_INF)
    with _quiet():
        v = np.exp(alpha + beta + nll[:, None, None] - lpe)          # (N, T, L)
        v = np.where(np.isnan(v), 0, v)
    # PyTorch assigns (does not add) the last step's two end terms, the blank's first: a last
    # label equal to the blank overwrites the blank's term
    clash = has & (il > 0) & (ext[rows, np.maximum(2 * tl - 1, 0)] == blank)
    v[rows[clash], last[clash], 2 * tl[clash]] = 0
    with _quiet():
        onehot = (ext[:, :, None] == np.arange(c)).astype(lp.dtype)  # (N, L, C)
        g = np.exp(lp).transpose(1, 0, 2) - np.einsum("ntl,nlc->ntc", v, onehot)
    g = np.where((np.arange(t_max)[None, :] < il[:, None])[:, :, None], g, 0)
    if zero_infinity:
        g = np.where(np.isinf(nll)[:, None, None], 0, g)
    return g.transpose(1, 0, 2).astype(lp.dtype)


class CtcLossBackward0(Node):
    """d nll_b / d log_probs[t, b, c] = exp(lp) - sum over the positions s of class c of
    exp(log_alpha + log_beta + nll - lp) (PyTorch's gradient; see the module docstring). A
    constant map of the incoming gradient (PyTorch has no double backward here)."""
    __slots__ = ("blank", "input_lengths", "target_lengths", "zero_infinity")
    saved_names = ("log_probs", "targets", "result0", "result1")
    saved_attrs = {"blank": "blank", "input_lengths": "input_lengths",
                   "target_lengths": "target_lengths", "zero_infinity": "zero_infinity"}

    def _coef(self, lp, targets, nll, alpha):
        raw = [v._data if isinstance(v, Tensor) else v for v in (lp, targets, nll, alpha)]
        return ctc_grad_np(raw[0], raw[1], np.array(self.input_lengths, np.int64),
                           np.array(self.target_lengths, np.int64), self.blank, raw[2], raw[3],
                           self.zero_infinity)

    def backward(self, ns, grad, lp, targets, nll, alpha):
        return (ns.reshape(grad, (1, -1, 1)) * ns.const(self._coef(lp, targets, nll, alpha)),)

    def jvp(self, ns, tangents, lp, targets, nll, alpha):
        return np.einsum("tnc,tnc->n", self._coef(lp, targets, nll, alpha), tangents[0])


def _ctc(log_probs, targets, input_lengths, target_lengths, blank, red, zero_infinity):
    batched = log_probs.dim() == 3
    lp_t = log_probs if batched else unsqueeze(log_probs, 1)
    lp = lp_t._data
    if lp.ndim != 3:
        raise RuntimeError(f"Expected 3-dimensional tensor, but got {lp.ndim}-dimensional tensor "
                           "for argument #1 'log_probs' (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    if lp.dtype.kind != "f":
        raise not_implemented_for("ctc_loss_cpu", lp.dtype)
    t_max, n, c = lp.shape
    il, tl = _lengths(input_lengths), _lengths(target_lengths)
    if not 0 <= blank < c:
        raise RuntimeError("blank must be in label range")
    if len(il) != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if len(tl) != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    tg = targets._data.astype(np.int64)
    where = " (while checking arguments for ctc_loss_allocate_outputs)"
    for name, vals in (("target_lengths", tl), ("input_lengths", il)):
        for v in vals:
            if v < 0:
                raise RuntimeError(f"Expected {name} to have value at least 0, but got value "
                                   f"{v}{where}")
    s_max = max(tl) if tl else 0
    if tg.ndim != 1:
        if tg.shape[0] != n:
            raise RuntimeError(f"Expected tensor to have size {n} at dimension 0, but got size "
                               f"{tg.shape[0]} for argument #2 'targets'{where}")
        if tg.shape[1] < s_max:
            raise RuntimeError(f"Expected tensor to have size at least {s_max} at dimension 1, "
                               f"but got size {tg.shape[1]} for argument #2 'targets'{where}")
    for v in il:
        if v > t_max:
            raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got "
                               f"value {v}{where}")
    il_a, tl_a = np.array(il, np.int64), np.array(tl, np.int64)
    nll, alpha = ctc_np(lp, tg, il_a, tl_a, blank)
    res = record1(CtcLossBackward0, lp_t, nll,
                  lambda n: (lp_t, targets if targets._data.dtype == np.int64 else wrap(tg),
                             RESULT, wrap(alpha)),   # log_alpha: not differentiable
                  blank=int(blank), zero_infinity=bool(zero_infinity), input_lengths=il,
                  target_lengths=tl)
    if zero_infinity:
        res = P_compare.where(P_compare.eq(res, float("inf")), wrap(np.zeros((), lp.dtype)), res)
    if red == MEAN:
        lengths = wrap(np.maximum(tl_a, 1).astype(lp.dtype))
        return _mean(P.div(res, lengths))
    if red == SUM:
        return _sum(res)
    return res if batched else squeeze(res, 0)


@export(torch=False, functional=True)
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank,
                reduction_enum(reduction), zero_infinity)


@export(torch="ctc_loss")
def _torch_ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
                    zero_infinity=False):
    return _ctc(log_probs, targets, input_lengths, target_lengths, blank, reduction,
                zero_infinity)
