"""The losses of torch.nn.functional against torch 2.13: values and gradients across reductions,
weights, ignore_index, label smoothing, K-dimensional inputs and both cross_entropy target kinds,
in float32 and float64; PyTorch's errors (type and message) and warnings; numerical stability.
Every scenario runs on retrograd and on torch (tests/_both.py compares outcomes, warnings and
exceptions)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import retrograd
import torch
from _both import both

# torch's first make_dual loads its JVP decompositions, which warns (torch.jit.script is
# deprecated): done once here, outside the scenarios that compare warnings
with torch.autograd.forward_ad.dual_level():
    torch.autograd.forward_ad.make_dual(torch.zeros(1), torch.zeros(1))

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((3, 5))
Y = RNG.standard_normal((3, 5))
P = RNG.uniform(0.05, 0.95, (3, 5))
Q = RNG.uniform(0.05, 0.95, (3, 5))
W5 = RNG.uniform(0.5, 2.0, 5)
X4 = RNG.standard_normal((2, 5, 3, 2))
X3 = RNG.standard_normal((2, 5, 4))
X5 = RNG.standard_normal((2, 5, 2, 2, 3))
T_IDX = [4, 0, 2]
T_IGN = [4, -100, 2]
T4 = RNG.integers(0, 5, (2, 3, 2)).tolist()
T4[0][1][1] = -100
T3 = RNG.integers(0, 5, (2, 4)).tolist()
T5 = RNG.integers(0, 5, (2, 2, 2, 3)).tolist()
SIGNS = np.where(RNG.random((3, 5)) < 0.5, -1.0, 1.0)


def _scenario(call, arrays, dtype, reduction="mean"):
    """A scenario: leaves from ``arrays`` (requiring grad where the name ends with '!'), the
    loss, a backward of its sum weighted by fixed numbers, then [loss, grads...]."""
    def fn(T):
        dt = getattr(T, dtype)
        leaves = {k.rstrip("!"): T.tensor(a, dtype=dt, requires_grad=k.endswith("!"))
                  for k, a in arrays.items()}
        out = call(T, T.nn.functional, reduction, **leaves)
        g = T.tensor(np.linspace(0.5, 1.5, max(out.numel(), 1)).reshape(tuple(out.shape)), dtype=dt)
        (out * g).sum().backward()
        return [out] + [leaves[k.rstrip("!")].grad for k in arrays if k.endswith("!")]
    return fn


def idx(T, v):
    return T.tensor(v, dtype=T.int64)


CASES = {
    # regression losses
    "mse": (lambda T, F, red, x, y: F.mse_loss(x, y, reduction=red), {"x!": X, "y!": Y}),
    "l1": (lambda T, F, red, x, y: F.l1_loss(x, y, reduction=red), {"x!": X, "y!": Y}),
    "huber": (lambda T, F, red, x, y: F.huber_loss(x, y, reduction=red, delta=0.6), {"x!": X, "y!": Y}),
    "smooth_l1": (lambda T, F, red, x, y: F.smooth_l1_loss(x, y, reduction=red, beta=0.4),
                  {"x!": X, "y!": Y}),
    "mse_weight": (lambda T, F, red, x, y, w: F.mse_loss(x, y, reduction=red, weight=w),
                   {"x!": X, "y!": Y, "w": P}),
    "l1_weight": (lambda T, F, red, x, y, w: F.l1_loss(x, y, reduction=red, weight=w),
                  {"x!": X, "y": Y, "w": P}),
    "huber_weight": (lambda T, F, red, x, y, w: F.huber_loss(x, y, reduction=red, weight=w),
                     {"x!": X, "y!": Y, "w": P}),
    # nll / cross entropy
    "nll": (lambda T, F, red, x: F.nll_loss(x, idx(T, T_IGN), reduction=red), {"x!": X}),
    "nll_weight": (lambda T, F, red, x, w: F.nll_loss(x, idx(T, T_IGN), weight=w, reduction=red),
                   {"x!": X, "w": W5}),
    "nll_ignore_in_range": (lambda T, F, red, x: F.nll_loss(x, idx(T, T_IDX), ignore_index=0,
                                                           reduction=red), {"x!": X}),
    "nll_4d": (lambda T, F, red, x, w: F.nll_loss(x, idx(T, T4), weight=w, reduction=red),
               {"x!": X4, "w": W5}),
    "nll_3d": (lambda T, F, red, x: F.nll_loss(x, idx(T, T3), reduction=red), {"x!": X3}),
    "ce": (lambda T, F, red, x: F.cross_entropy(x, idx(T, T_IGN), reduction=red), {"x!": X}),
    "ce_weight": (lambda T, F, red, x, w: F.cross_entropy(x, idx(T, T_IGN), weight=w, reduction=red),
                  {"x!": X, "w": W5}),
    "ce_smoothing": (lambda T, F, red, x: F.cross_entropy(x, idx(T, T_IGN), reduction=red,
                                                         label_smoothing=0.15), {"x!": X}),
    "ce_smoothing_weight": (lambda T, F, red, x, w: F.cross_entropy(
        x, idx(T, T_IGN), weight=w, reduction=red, label_smoothing=0.15), {"x!": X, "w": W5}),
    "ce_1d": (lambda T, F, red, x: F.cross_entropy(x, idx(T, 3), reduction=red), {"x!": X[0]}),
    "nll_1d_one_element_target": (lambda T, F, red, x: F.nll_loss(x, idx(T, [3]), reduction=red),
                                  {"x!": X[0]}),
    "ce_4d_smoothing_weight": (lambda T, F, red, x, w: F.cross_entropy(
        x, idx(T, T4), weight=w, reduction=red, label_smoothing=0.3), {"x!": X4, "w": W5}),
    "ce_3d": (lambda T, F, red, x, w: F.cross_entropy(x, idx(T, T3), weight=w, reduction=red),
              {"x!": X3, "w": W5}),
    "ce_5d": (lambda T, F, red, x: F.cross_entropy(x, idx(T, T5), reduction=red), {"x!": X5}),
    "ce_3d_smoothing": (lambda T, F, red, x: F.cross_entropy(x, idx(T, T3), reduction=red,
                                                             label_smoothing=0.4), {"x!": X3}),
    "ce_5d_smoothing_weight": (lambda T, F, red, x, w: F.cross_entropy(
        x, idx(T, T5), weight=w, reduction=red, label_smoothing=0.05), {"x!": X5, "w": W5}),
    "ce_probs": (lambda T, F, red, x, p: F.cross_entropy(x, p, reduction=red), {"x!": X, "p!": P}),
    "ce_probs_weight_smoothing": (lambda T, F, red, x, p, w: F.cross_entropy(
        x, p, weight=w, reduction=red, label_smoothing=0.2), {"x!": X, "p": P, "w": W5}),
    "ce_probs_4d": (lambda T, F, red, x, p: F.cross_entropy(x, p, reduction=red),
                    {"x!": X4, "p": np.abs(X4)}),
    # binary
    "bce": (lambda T, F, red, x, y: F.binary_cross_entropy(x, y, reduction=red), {"x!": P, "y!": Q}),
    "bce_weight": (lambda T, F, red, x, y, w: F.binary_cross_entropy(x, y, weight=w, reduction=red),
                   {"x!": P, "y": Q, "w": W5}),
    "bce_logits": (lambda T, F, red, x, y: F.binary_cross_entropy_with_logits(x, y, reduction=red),
                   {"x!": X, "y!": Q}),
    "bce_logits_weights": (lambda T, F, red, x, y, w, pw: F.binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=pw, reduction=red), {"x!": X, "y!": Q, "w": P, "pw": W5}),
    # others
    "kl_div": (lambda T, F, red, x, y: F.kl_div(x, y, reduction=red), {"x!": X, "y!": P}),
    "kl_div_log_target": (lambda T, F, red, x, y: F.kl_div(x, y, reduction=red, log_target=True),
                          {"x!": X, "y!": Y}),
    "poisson": (lambda T, F, red, x, y: F.poisson_nll_loss(x, y, reduction=red), {"x!": X, "y!": P}),
    "poisson_full": (lambda T, F, red, x, y: F.poisson_nll_loss(x, y * 3, log_input=False, full=True,
                                                               eps=1e-4, reduction=red),
                     {"x!": P, "y!": Q}),
    "gaussian": (lambda T, F, red, x, y, v: F.gaussian_nll_loss(x, y, v, reduction=red),
                 {"x!": X, "y!": Y, "v!": P}),
    "gaussian_var_short": (lambda T, F, red, x, y, v: F.gaussian_nll_loss(x, y, v, full=True,
                                                                         reduction=red),
                           {"x!": X, "y": Y, "v!": P[:, 0]}),
    "gaussian_var_one": (lambda T, F, red, x, y, v: F.gaussian_nll_loss(x, y, v, eps=0.2,
                                                                       reduction=red),
                         {"x!": X, "y": Y, "v!": P[:, :1]}),
    "soft_margin": (lambda T, F, red, x, y: F.soft_margin_loss(x, y, reduction=red),
                    {"x!": X, "y": SIGNS}),
    "multi_margin": (lambda T, F, red, x, w: F.multi_margin_loss(x, idx(T, T_IDX), p=2, margin=0.8,
                                                                weight=w, reduction=red),
                     {"x!": X, "w": W5}),
    "multilabel_margin": (lambda T, F, red, x: F.multilabel_margin_loss(
        x, idx(T, [[4, 0, -1, 2, 2], [1, 1, 3, 0, 4], [-1, 2, 0, 0, 0]]), reduction=red), {"x!": X}),
    "multilabel_soft_margin": (lambda T, F, red, x, y, w: F.multilabel_soft_margin_loss(
        x, y, weight=w, reduction=red), {"x!": X, "y": (SIGNS > 0) * 1.0, "w": W5}),
    "hinge": (lambda T, F, red, x, y: F.hinge_embedding_loss(x, y, margin=0.7, reduction=red),
              {"x!": X, "y": SIGNS}),
    "margin_ranking": (lambda T, F, red, x, y, t: F.margin_ranking_loss(x, y, t, margin=0.2,
                                                                       reduction=red),
                       {"x!": X[0], "y!": Y[0], "t": SIGNS[0]}),
    "cosine_embedding": (lambda T, F, red, x, y: F.cosine_embedding_loss(
        x, y, idx(T, [1, -1, -1]), margin=-0.3, reduction=red), {"x!": X, "y!": Y}),
    "triplet": (lambda T, F, red, a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=3,
                                                                swap=True, reduction=red),
                {"a!": X, "p!": Y, "n!": P}),
    "triplet_distance": (lambda T, F, red, a, p, n: F.triplet_margin_with_distance_loss(
        a, p, n, distance_function=F.pairwise_distance, margin=2.0, swap=True, reduction=red),
                         {"a!": X, "p!": Y, "n!": P}),
}
REDUCTIONS = ("none", "mean", "sum")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_like_torch(case, reduction, dtype):
    call, arrays = CASES[case]
    both(_scenario(call, arrays, dtype, reduction))


def test_kl_div_batchmean_and_mean_warning():
    for reduction in ("batchmean", "mean"):
        both(_scenario(lambda T, F, red, x, y: F.kl_div(x, y, reduction=red),
                       {"x!": X, "y!": P}, "float32", reduction))


@pytest.mark.parametrize("legacy", [dict(size_average=False), dict(reduce=False),
                                    dict(size_average=True, reduce=True),
                                    dict(size_average=False, reduce=True)])
@pytest.mark.parametrize("loss", ["mse_loss", "l1_loss", "smooth_l1_loss", "soft_margin_loss",
                                  "multilabel_soft_margin_loss", "kl_div", "poisson_nll_loss"])
def test_legacy_size_average_and_reduce(loss, legacy):
    both(_scenario(lambda T, F, red, x, y: getattr(F, loss)(x, y, **legacy),
                   {"x!": X, "y": P}, "float32"))


@pytest.mark.parametrize("legacy", [dict(size_average=False), dict(reduce=False)])
def test_legacy_arguments_of_the_class_losses(legacy):
    both(_scenario(lambda T, F, red, x: F.cross_entropy(x, idx(T, T_IGN), **legacy), {"x!": X},
                   "float32"))
    both(_scenario(lambda T, F, red, x: F.nll_loss(x, idx(T, T_IGN), **legacy), {"x!": X},
                   "float32"))
    both(_scenario(lambda T, F, red, x, y: F.binary_cross_entropy(x, y, **legacy),
                   {"x!": P, "y": Q}, "float32"))


def test_non_contiguous_k_dim_inputs_like_torch():
    def fn(T):
        x = T.tensor(X3, requires_grad=True)
        t = T.tensor(np.array(T3).T.copy()).t()              # a non-contiguous target
        a = T.nn.functional.nll_loss(x[:, :3].permute(0, 2, 1), T.tensor(T3)[:, :3].clamp(max=3))
        b = T.nn.functional.cross_entropy(x, t, reduction="none")
        c = T.nn.functional.cross_entropy(x.transpose(1, 2).transpose(1, 2), t,
                                          label_smoothing=0.1)
        (a + b.sum() + c).backward()
        return [a, b, c, x.grad]
    both(fn)


def test_cross_entropy_is_stable_for_large_logits():
    def fn(T):
        x = T.tensor([[1000.0, -1000.0, 0.0], [-5e4, 5e4, 5e4]], requires_grad=True)
        out = T.nn.functional.cross_entropy(x, T.tensor([1, 2]), label_smoothing=0.1)
        out.backward()
        return [out, x.grad]
    res = both(fn)
    assert np.isfinite(res.value[0][-1]).all() and np.isfinite(res.value[1][-1]).all()


def test_bce_with_logits_is_stable_and_bce_clamps_its_log():
    def fn(T):
        F = T.nn.functional
        x = T.tensor([-200.0, 200.0, 0.0], requires_grad=True)
        t = T.tensor([1.0, 0.0, 0.5])
        p = T.tensor([0.0, 1.0, 0.5], requires_grad=True)
        a = F.binary_cross_entropy_with_logits(x, t, reduction="none",
                                               pos_weight=T.tensor([2.0, 2.0, 2.0]))
        b = F.binary_cross_entropy(p, t, reduction="none")   # log(0) clamped at -100
        (a.sum() + b.sum()).backward()
        return [a, b, x.grad, p.grad]
    both(fn)


def test_all_targets_ignored_gives_nan_mean_and_zero_gradient():
    def fn(T):
        x = T.tensor(X, requires_grad=True)
        out = T.nn.functional.cross_entropy(x, T.tensor([-100, -100, -100]))
        out.backward()
        return [out, x.grad]
    both(fn)


def test_result_dtypes_of_mixed_precision_like_torch():
    def fn(T):
        F = T.nn.functional
        x32 = T.tensor(X, dtype=T.float32, requires_grad=True)
        x64 = T.tensor(Y, dtype=T.float64, requires_grad=True)
        outs = [F.huber_loss(x32, x64), F.huber_loss(x64, x32, reduction="none"),
                F.binary_cross_entropy_with_logits(x64, T.tensor(P, dtype=T.float32)),
                F.binary_cross_entropy_with_logits(x32, T.tensor(P, dtype=T.float64)),
                F.soft_margin_loss(x32, T.tensor(SIGNS, dtype=T.float64)),
                F.multi_margin_loss(x32[:1], T.tensor(2), reduction="none")]
        sum(o.sum() for o in outs).backward()
        return outs + [x32.grad, x64.grad]
    both(fn)


def test_mixed_precision_and_byte_targets():
    def fn(T):
        F = T.nn.functional
        x = T.tensor(X, dtype=T.float32, requires_grad=True)
        y = T.tensor(Y, dtype=T.float64, requires_grad=True)
        a = F.mse_loss(x, y) + F.l1_loss(x, y) + F.smooth_l1_loss(x, y)
        b = F.nll_loss(x, T.tensor([4, 0, 2], dtype=T.uint8))
        (a + b).backward()
        return [a, b, x.grad, y.grad]
    both(fn)


def test_double_backward_of_cross_entropy_like_torch():
    def fn(T):
        x = T.tensor(X, dtype=T.float64, requires_grad=True)
        w = T.tensor(W5, dtype=T.float64)
        out = T.nn.functional.cross_entropy(x, T.tensor(T_IGN), weight=w, label_smoothing=0.1)
        (g,) = T.autograd.grad(out, x, create_graph=True)
        (h,) = T.autograd.grad((g * g).sum(), x)
        return [g.detach(), h]   # (the names of double-backward nodes are not compared)
    both(fn)


def test_forward_mode_matches_torch():
    def fn(T):
        F = T.nn.functional
        fwd = T.autograd.forward_ad
        outs = []
        with fwd.dual_level():
            x = fwd.make_dual(T.tensor(X), T.tensor(Y))
            p = fwd.make_dual(T.tensor(P), T.tensor(Q))
            for out in (F.mse_loss(x, p), F.binary_cross_entropy(p, T.tensor(Q)),
                        F.binary_cross_entropy_with_logits(x, p, pos_weight=T.tensor(W5)),
                        F.nll_loss(x, T.tensor(T_IGN), weight=T.tensor(W5)),
                        F.cross_entropy(x, T.tensor(T_IGN)), F.huber_loss(x, p, reduction="sum"),
                        F.smooth_l1_loss(x, p, beta=0.5), F.soft_margin_loss(x, T.tensor(SIGNS))):
                outs.append(fwd.unpack_dual(out).tangent)
        return outs
    both(fn)


def test_torch_namespace_forms_take_an_integer_reduction():
    def fn(T):
        x = T.tensor(X, requires_grad=True)
        return [T.kl_div(x, T.tensor(P)), T.kl_div(x, T.tensor(Y), 2, log_target=True),
                T.binary_cross_entropy_with_logits(x, T.tensor(Q), None, T.tensor(W5), 1),
                T.cosine_embedding_loss(x, T.tensor(Y), T.tensor([1, -1, 1]), 0.1, 2),
                T.margin_ranking_loss(x[0], x[1], T.tensor(SIGNS[0])),
                T.hinge_embedding_loss(x, T.tensor(SIGNS), 0.5, 1),
                T.poisson_nll_loss(x, T.tensor(P), True, False, 1e-8, 2),
                T.triplet_margin_loss(x, T.tensor(Y), T.tensor(P), 1.0, 2.0, 1e-6, True, 1),
                T.cosine_similarity(x, T.tensor(Y), 0), T.pairwise_distance(x, T.tensor(Y), 1.5)]
    both(fn)


# -- errors ---------------------------------------------------------------------------------------
def _t(T, a, dtype=None):
    return T.tensor(a, dtype=dtype)


ERRORS = {
    "reduction": lambda T, F: F.mse_loss(_t(T, X), _t(T, Y), reduction="avg"),
    "mse_int": lambda T, F: F.mse_loss(_t(T, [1, 2]), _t(T, [1, 2])),
    "mse_weight_size": lambda T, F: F.mse_loss(_t(T, X), _t(T, Y), weight=_t(T, W5)),
    "mse_bad_broadcast": lambda T, F: F.mse_loss(_t(T, X), _t(T, W5[:3])),
    "mse_target_not_tensor": lambda T, F: F.mse_loss(_t(T, X), 1.0),
    "mse_weight_bad_reduction": lambda T, F: F.mse_loss(_t(T, X), _t(T, Y), weight=_t(T, P),
                                                        reduction="avg"),
    "l1_int": lambda T, F: F.l1_loss(_t(T, [1, 2]), _t(T, [1, 2])),
    "huber_delta": lambda T, F: F.huber_loss(_t(T, X), _t(T, Y), delta=0.0),
    "huber_delta_and_reduction": lambda T, F: F.huber_loss(_t(T, X), _t(T, Y), delta=-1.0,
                                                           reduction="x"),
    "huber_weight_size_and_delta": lambda T, F: F.huber_loss(_t(T, X), _t(T, Y), delta=-1.0,
                                                             weight=_t(T, W5)),
    "huber_weight_reduction": lambda T, F: F.huber_loss(_t(T, X), _t(T, Y), weight=_t(T, P),
                                                        reduction="x"),
    "smooth_l1_beta_and_reduction": lambda T, F: F.smooth_l1_loss(_t(T, X), _t(T, Y), beta=-1.0,
                                                                  reduction="x"),
    "huber_int": lambda T, F: F.huber_loss(_t(T, [1, 2]), _t(T, [1, 2])),
    "smooth_l1_beta": lambda T, F: F.smooth_l1_loss(_t(T, X), _t(T, Y), beta=-1.0),
    "smooth_l1_int": lambda T, F: F.smooth_l1_loss(_t(T, [1, 2]), _t(T, [1, 2])),
    "nll_oob": lambda T, F: F.nll_loss(_t(T, X), _t(T, [0, 5, 1])),
    "nll_negative": lambda T, F: F.nll_loss(_t(T, X), _t(T, [0, -1, 1])),
    "nll_oob_4d": lambda T, F: F.nll_loss(_t(T, X4), _t(T, np.full((2, 3, 2), 7))),
    "nll_float_target": lambda T, F: F.nll_loss(_t(T, X), _t(T, [0.0, 1.0, 2.0])),
    "nll_int32_target": lambda T, F: F.nll_loss(_t(T, X), _t(T, [0, 1, 2], T.int32)),
    "nll_batch": lambda T, F: F.nll_loss(_t(T, X), _t(T, [0, 1])),
    "nll_0d": lambda T, F: F.nll_loss(_t(T, 1.0), _t(T, 0)),
    "nll_2d_target": lambda T, F: F.nll_loss(_t(T, X), _t(T, [[0, 1]] * 3)),
    "nll_weight": lambda T, F: F.nll_loss(_t(T, X), _t(T, T_IDX), weight=_t(T, [1.0, 2.0])),
    "nll_weight_4d": lambda T, F: F.nll_loss(_t(T, X4), _t(T, T4), weight=_t(T, [1.0, 2.0])),
    "nll_weight_dtype": lambda T, F: F.nll_loss(_t(T, X, T.float32), _t(T, T_IDX),
                                                weight=_t(T, W5, T.float64)),
    "nll_weight_requires_grad": lambda T, F: F.nll_loss(
        _t(T, X).requires_grad_(), _t(T, T_IDX), weight=_t(T, W5).requires_grad_()),
    "nll_4d_target_shape": lambda T, F: F.nll_loss(_t(T, X4), _t(T, np.zeros((2, 2, 3), np.int64))),
    "nll_4d_target_dims": lambda T, F: F.nll_loss(_t(T, X4), _t(T, np.zeros((2, 6), np.int64))),
    "nll_3d_target_shape": lambda T, F: F.nll_loss(_t(T, X3), _t(T, np.zeros((2, 3), np.int64))),
    "nll_1d_batch_target": lambda T, F: F.nll_loss(_t(T, X[0]), _t(T, [1, 2])),
    "nll_0d_target_batch": lambda T, F: F.nll_loss(_t(T, X), _t(T, 1)),
    "nll_1d_float_target": lambda T, F: F.nll_loss(_t(T, X[0]), _t(T, [1.0, 2.0])),
    "nll_target_dtype_before_weight": lambda T, F: F.nll_loss(_t(T, X), _t(T, [0.0, 1.0, 2.0]),
                                                              weight=_t(T, [1.0])),
    "nll_1d_target_before_weight": lambda T, F: F.nll_loss(_t(T, X[0]), _t(T, [1, 2]),
                                                           weight=_t(T, [1.0])),
    "nll_4d_float_target_before_size": lambda T, F: F.nll_loss(_t(T, X4), _t(T, np.zeros((2, 4, 6)))),
    "nll_int_input": lambda T, F: F.nll_loss(_t(T, [[1, 2]]), _t(T, [0])),
    "ce_probs_int": lambda T, F: F.cross_entropy(_t(T, X), _t(T, np.ones((3, 5), np.int64))),
    "ce_probs_ignore_index": lambda T, F: F.cross_entropy(_t(T, X), _t(T, P), ignore_index=1),
    "ce_smoothing_range": lambda T, F: F.cross_entropy(_t(T, X), _t(T, T_IDX), label_smoothing=1.5),
    "ce_smoothing_range_probs": lambda T, F: F.cross_entropy(_t(T, X), _t(T, P), label_smoothing=2.0),
    "ce_probs_weight": lambda T, F: F.cross_entropy(_t(T, X), _t(T, P), weight=_t(T, [1.0])),
    "ce_float_indices": lambda T, F: F.cross_entropy(_t(T, X), _t(T, [0.0, 1.0, 2.0])),
    "ce_0d": lambda T, F: F.cross_entropy(_t(T, 1.0), _t(T, 0)),
    "ce_int_input": lambda T, F: F.cross_entropy(_t(T, [[1, 2]]), _t(T, [0])),
    "ce_target_list": lambda T, F: F.cross_entropy(_t(T, X), [0, 1, 2]),
    "ce_input_list": lambda T, F: F.cross_entropy([0.0, 1.0], _t(T, T_IDX)),
    "bce_range": lambda T, F: F.binary_cross_entropy(_t(T, [1.5]), _t(T, [1.0])),
    "bce_size": lambda T, F: F.binary_cross_entropy(_t(T, P[0]), _t(T, P[0][:, None])),
    "bce_int": lambda T, F: F.binary_cross_entropy(_t(T, [1, 0]), _t(T, [1, 0])),
    "bce_weight_shape": lambda T, F: F.binary_cross_entropy(_t(T, P), _t(T, Q), weight=_t(T, [1.0, 2.0])),
    "bce_dtype": lambda T, F: F.binary_cross_entropy(_t(T, P, T.float32), _t(T, Q, T.float64)),
    "bce_weight_requires_grad": lambda T, F: F.binary_cross_entropy(
        _t(T, P).requires_grad_(), _t(T, Q), weight=_t(T, W5).requires_grad_()),
    "bce_logits_size": lambda T, F: F.binary_cross_entropy_with_logits(_t(T, X[0]), _t(T, X[0][:, None])),
    "bce_logits_int": lambda T, F: F.binary_cross_entropy_with_logits(_t(T, [1, 0]), _t(T, [1, 0])),
    "bce_logits_pos_weight": lambda T, F: F.binary_cross_entropy_with_logits(
        _t(T, X), _t(T, Q), pos_weight=_t(T, [1.0, 2.0, 3.0])),
    "kl_int": lambda T, F: F.kl_div(_t(T, [1, 2]), _t(T, [1, 2]), reduction="sum"),
    "poisson_reduction": lambda T, F: F.poisson_nll_loss(_t(T, X), _t(T, P), reduction="avg"),
    "gaussian_var_size": lambda T, F: F.gaussian_nll_loss(_t(T, X), _t(T, Y), _t(T, P[:2])),
    "gaussian_var_negative": lambda T, F: F.gaussian_nll_loss(_t(T, X), _t(T, Y), _t(T, -P)),
    "gaussian_float_var_negative": lambda T, F: F.gaussian_nll_loss(_t(T, X), _t(T, Y), -1.0),
    "gaussian_reduction": lambda T, F: F.gaussian_nll_loss(_t(T, X), _t(T, Y), _t(T, P), reduction="x"),
    "multi_margin_p": lambda T, F: F.multi_margin_loss(_t(T, X), _t(T, T_IDX), p=3),
    "multi_margin_weight_dim": lambda T, F: F.multi_margin_loss(_t(T, X), _t(T, T_IDX), weight=_t(T, P)),
    "multi_margin_target_size": lambda T, F: F.multi_margin_loss(_t(T, X), _t(T, [0, 1])),
    "multi_margin_weight_size": lambda T, F: F.multi_margin_loss(_t(T, X), _t(T, T_IDX), weight=_t(T, [1.0])),
    "multilabel_margin_target_size": lambda T, F: F.multilabel_margin_loss(_t(T, X), _t(T, [[0, 1]])),
    "margin_ranking_dims": lambda T, F: F.margin_ranking_loss(_t(T, X), _t(T, Y), _t(T, SIGNS[0])),
    "cosine_embedding_target_dims": lambda T, F: F.cosine_embedding_loss(_t(T, X), _t(T, Y), _t(T, SIGNS)),
    "cosine_embedding_input_dims": lambda T, F: F.cosine_embedding_loss(_t(T, X[0]), _t(T, Y[0]),
                                                                        _t(T, [1, -1, 1])),
    "cosine_embedding_input_dims_0d": lambda T, F: F.cosine_embedding_loss(_t(T, X), _t(T, Y), _t(T, 1)),
    "triplet_margin": lambda T, F: F.triplet_margin_loss(_t(T, X), _t(T, Y), _t(T, P), margin=0.0),
    "triplet_dims": lambda T, F: F.triplet_margin_loss(_t(T, X), _t(T, Y), _t(T, P[0])),
    "triplet_distance_margin": lambda T, F: F.triplet_margin_with_distance_loss(
        _t(T, X), _t(T, Y), _t(T, P), margin=-1.0),
    "triplet_distance_dims": lambda T, F: F.triplet_margin_with_distance_loss(
        _t(T, X), _t(T, Y[0]), _t(T, P)),
    "multi_margin_float_target": lambda T, F: F.multi_margin_loss(_t(T, X), _t(T, [0.0, 1.0, 2.0])),
    "multi_margin_3d": lambda T, F: F.multi_margin_loss(_t(T, X4), _t(T, [0, 1])),
    "multi_margin_int": lambda T, F: F.multi_margin_loss(_t(T, [[1, 2]]), _t(T, [0])),
    "multi_margin_out_of_range": lambda T, F: F.multi_margin_loss(_t(T, X), _t(T, [0, 1, 7])),
    "multilabel_margin_out_of_range": lambda T, F: F.multilabel_margin_loss(_t(T, X), _t(T, np.full((3, 5), 7))),
    "multilabel_margin_float_target": lambda T, F: F.multilabel_margin_loss(_t(T, X), _t(T, P)),
    "multilabel_margin_int": lambda T, F: F.multilabel_margin_loss(_t(T, [[1, 2]]), _t(T, [[0, 1]])),
    "soft_margin_int": lambda T, F: F.soft_margin_loss(_t(T, [1, 2]), _t(T, [1, 2])),
    "soft_margin_broadcast": lambda T, F: F.soft_margin_loss(_t(T, X), _t(T, Y[:2])),
    "multilabel_soft_margin_reduction": lambda T, F: F.multilabel_soft_margin_loss(_t(T, X), _t(T, Y),
                                                                                   reduction="x"),
    "hinge_reduction": lambda T, F: F.hinge_embedding_loss(_t(T, X), _t(T, Y), reduction="x"),
    "triplet_distance_reduction": lambda T, F: F.triplet_margin_with_distance_loss(
        _t(T, X), _t(T, Y), _t(T, P), reduction="avg"),
    "pairwise_distance_not_tensor": lambda T, F: F.pairwise_distance(_t(T, X), 1.0),
    "cosine_similarity_broadcast": lambda T, F: F.cosine_similarity(_t(T, X), _t(T, Y[:2])),
    "huber_int_input_float_target": lambda T, F: F.huber_loss(_t(T, [1, 2]), _t(T, [1.0, 2.0])),
    "huber_bool_input": lambda T, F: F.huber_loss(_t(T, [True]), _t(T, [1.0], T.float64)),
    "bce_with_logits_int_target": lambda T, F: F.binary_cross_entropy_with_logits(
        _t(T, X, T.float32), _t(T, np.ones((3, 5), np.int64))),
    "bce_with_logits_bool_target": lambda T, F: F.binary_cross_entropy_with_logits(
        _t(T, X), _t(T, X > 0)),
    "bce_bool_input": lambda T, F: F.binary_cross_entropy(_t(T, X > 0), _t(T, P, T.float32)),
    "soft_margin_target_bigger": lambda T, F: F.soft_margin_loss(_t(T, X[0]), _t(T, Y)),
    "soft_margin_bool": lambda T, F: F.soft_margin_loss(_t(T, X > 0), _t(T, Y)),
    "multilabel_soft_margin_0d": lambda T, F: F.multilabel_soft_margin_loss(_t(T, 1.0), _t(T, Y)),
    "cross_entropy_0d_probs": lambda T, F: F.cross_entropy(_t(T, 1.0), _t(T, 0.5)),
    "cosine_similarity_int": lambda T, F: F.cosine_similarity(_t(T, [1, 2]), _t(T, [3, 4]), dim=0),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_errors_like_torch(case):
    res = both(lambda T: ERRORS[case](T, T.nn.functional))
    assert res.error is not None, "the scenario must fail in torch"


# -- warnings -------------------------------------------------------------------------------------
WARNINGS = {
    "mse_size": lambda T, F: F.mse_loss(T.tensor(X[0]), T.tensor(X[0][:, None])),
    "l1_size": lambda T, F: F.l1_loss(T.tensor(X), T.tensor(Y[0])),
    "huber_size": lambda T, F: F.huber_loss(T.tensor(X), T.tensor(Y[:1])),
    "smooth_l1_size": lambda T, F: F.smooth_l1_loss(T.tensor(X), T.tensor(Y[0])),
    "legacy": lambda T, F: F.nll_loss(T.tensor(X), T.tensor(T_IDX), size_average=False),
    "legacy_reduce": lambda T, F: F.kl_div(T.tensor(X), T.tensor(P), reduce=False),
    "kl_mean": lambda T, F: F.kl_div(T.tensor(X), T.tensor(P)),
    "elementwise_mean": lambda T, F: F.mse_loss(T.tensor(X), T.tensor(Y), reduction="elementwise_mean"),
}


@pytest.mark.parametrize("case", sorted(WARNINGS))
def test_warnings_like_torch(case):
    res = both(lambda T: WARNINGS[case](T, T.nn.functional))
    assert res.warnings, "the scenario must warn in torch"


def test_warnings_point_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        retrograd.nn.functional.mse_loss(retrograd.ones(3), retrograd.ones(3, 1))
        retrograd.nn.functional.cross_entropy(retrograd.ones(2, 3), retrograd.tensor([0, 1]),
                                              reduce=False)
    assert [w.filename for w in caught] == [__file__, __file__]


# -- ctc_loss ------------------------------------------------------------------------------------
LP = RNG.standard_normal((7, 3, 5))
CTC = {
    "padded": ([[1, 2, 2], [3, 1, 4], [4, 4, 1]], [7, 5, 6], [3, 2, 3]),
    "concatenated": ([1, 2, 2, 3, 1, 4], [7, 5, 6], [3, 2, 1]),
    "impossible": ([[1, 1, 1], [1, 1, 1], [2, 3, 4]], [3, 7, 2], [3, 3, 3]),
    "empty_lengths": ([[1, 1, 1], [1, 1, 1], [2, 3, 4]], [0, 7, 4], [0, 2, 0]),
    "blank_in_targets": ([[1, 0, 3], [3, 1, 0], [0, 4, 1]], [7, 7, 6], [3, 3, 3]),
}


@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", sorted(CTC))
def test_ctc_loss_like_torch(case, reduction, zero_infinity):
    targets, il, tl = CTC[case]

    def fn(T):
        x = T.tensor(LP, requires_grad=True)
        out = T.nn.functional.ctc_loss(x.log_softmax(2), T.tensor(targets), T.tensor(il),
                                       T.tensor(tl), reduction=reduction,
                                       zero_infinity=zero_infinity)
        finite = bool(T.isfinite(out).all())
        if finite:
            out.sum().backward()
        return [out, x.grad if finite else None]
    both(fn)


def test_ctc_loss_forms_like_torch():
    def fn(T):
        x = T.tensor(LP[:, 0], dtype=T.float64, requires_grad=True)
        lp = x.log_softmax(1)
        a = T.nn.functional.ctc_loss(lp, T.tensor([2, 1], dtype=T.int32), [7], [2],
                                     reduction="none")
        b = T.ctc_loss(lp[:, None], T.tensor([[2, 1]]), [6], [2], 0)
        c = T.ctc_loss(lp[:, None], T.tensor([[2, 4]]), T.tensor([7]), T.tensor([2]), 4, 1, True)
        (a + b.sum() + c).backward()
        return [a, b, c, x.grad]
    both(fn)


CTC_ERRORS = {
    "blank": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [6, 5], [3, 2], blank=4),
    "input_lengths": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [6], [3, 2]),
    "target_lengths": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [6, 5], [3]),
    "targets_short": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg[:, :2], [6, 5], [3, 2]),
    "targets_batch": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg[:1], [6, 5], [3, 2]),
    "input_too_long": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [7, 5], [3, 2]),
    "negative_target_length": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [6, 5], [-1, 2]),
    "negative_input_length": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [-1, 5], [3, 2]),
    "dims": lambda T, lp, tg: T.nn.functional.ctc_loss(lp[None], tg, [6, 5], [3, 2]),
    "int": lambda T, lp, tg: T.nn.functional.ctc_loss(lp.long(), tg, [6, 5], [3, 2]),
    "reduction": lambda T, lp, tg: T.nn.functional.ctc_loss(lp, tg, [6, 5], [3, 2], reduction="x"),
}


@pytest.mark.parametrize("case", sorted(CTC_ERRORS))
def test_ctc_loss_errors_like_torch(case):
    res = both(lambda T: CTC_ERRORS[case](T, T.tensor(LP[:6, :2, :4]).log_softmax(2),
                                          T.tensor([[1, 2, 2], [3, 1, 0]])))
    assert res.error is not None


def test_empty_batches_like_torch():
    def fn(T):
        F = T.nn.functional
        x = T.zeros(0, 5, requires_grad=True)
        none = T.zeros(0, dtype=T.int64)
        outs = [F.cross_entropy(x, none), F.cross_entropy(x, T.zeros(0, 5)),
                F.cross_entropy(x, T.zeros(0, 5), reduction="sum"),
                F.cross_entropy(x, none, label_smoothing=0.1), F.nll_loss(x, none, reduction="sum"),
                F.mse_loss(x, T.zeros(0, 5)), F.binary_cross_entropy(x, T.zeros(0, 5))]
        sum(o for o in outs[2:]).backward()
        return outs + [x.grad]
    both(fn)


def test_signatures_are_torchs():
    import inspect
    import torch.nn.functional as TF
    for name in ["mse_loss", "l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
                 "binary_cross_entropy_with_logits", "huber_loss", "smooth_l1_loss", "kl_div",
                 "poisson_nll_loss", "gaussian_nll_loss", "cosine_embedding_loss",
                 "margin_ranking_loss", "hinge_embedding_loss", "multi_margin_loss",
                 "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
                 "triplet_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]:
        ours = inspect.signature(getattr(retrograd.nn.functional, name)).parameters.values()
        ref = inspect.signature(getattr(TF, name)).parameters.values()
        assert [(p.name, p.default, p.kind) for p in ours] == \
            [(p.name, p.default, p.kind) for p in ref], name
