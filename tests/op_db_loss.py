"""op_db rows of the loss family (``torch.nn.functional``): mse/l1/huber/smooth_l1, nll_loss and
cross_entropy (weights, ignore_index, K-dim inputs, probability targets, label smoothing),
binary_cross_entropy (with logits), kl_div, poisson/gaussian nll, the margin and embedding
losses, cosine_similarity and pairwise_distance.

Class-index targets, class weights and targets that are not differentiated are built inside the
lambdas (int64 / the input's dtype); every float input of a row requires grad. Inputs of the
piecewise losses are sampled away from their kinks (|x - t| = 0 for l1, = delta/beta for huber /
smooth_l1). Rows stay clear of PyTorch's warnings (tests/test_loss.py checks those).
"""
from __future__ import annotations

import numpy as np

from op_db import M34, OpInfo, apart, grad_of

V3 = (3,)
RED = dict(cmp_atol=1e-5)
PROB = (0.05, 0.95)


def _F(T):
    return T.nn.functional


def _t(T, x, values):
    """A constant float tensor of the input's dtype."""
    return T.tensor(values, dtype=x.dtype)


def _idx(T, values):
    return T.tensor(values, dtype=T.int64)


def grads_of(T, f, x, y, v):
    """The first-order gradients of f(x, y) for the incoming gradient v, with create_graph=True
    (an input that does not require grad is made to, as in grad_of)."""
    for t in (x, y):
        if not t.requires_grad:
            try:
                t.requires_grad_()
            except RuntimeError:
                pass
    return T.autograd.grad(f(x, y), (x, y), v, create_graph=True)


TI = [0, 2, 1]
TI_IGN = [0, -100, 3]
W4 = [0.5, 1.5, 1.0, 2.0]
T34 = [[0.2, 0.9, 0.4, 0.6], [0.7, 0.1, 0.5, 0.3], [0.8, 0.25, 0.35, 0.95]]
SIGN34 = [[1.0, -1.0, 1.0, -1.0], [-1.0, -1.0, 1.0, 1.0], [1.0, 1.0, -1.0, 1.0]]
T234 = [[[0, 1, 2], [3, 0, 1]], [[2, 2, 0], [1, 3, 3]]]        # (2, 2, 3) class indices
T23 = [[0, 3, 1], [2, 1, 0]]                                       # (2, 3)
MLML = [[0, 1, -1, 0], [2, 2, -1, 0], [3, 2, 1, 0]]


def _diffs(delta: float):
    """x, and t = x + d with |d| kept 0.15 away from 0 and from delta (the kinks)."""
    def sample(rng, shapes):
        x = rng.uniform(-2, 2, shapes[0])
        mag = np.where(rng.random(shapes[1]) < 0.5, rng.uniform(0.15, delta - 0.15, shapes[1]),
                       rng.uniform(delta + 0.15, delta + 1.5, shapes[1]))
        return [x, x + rng.choice([-1.0, 1.0], shapes[1]) * mag]
    return sample


def _with_v(sample):
    """``sample`` for the first two inputs, a uniform incoming gradient for the third."""
    def both(rng, shapes):
        return sample(rng, shapes[:2]) + [rng.uniform(-2, 2, shapes[2])]
    return both


def _probs(rng, shapes):
    return [rng.uniform(*PROB, s) for s in shapes]


def _pos(rng, shapes):
    return [rng.uniform(0.3, 2.0, s) for s in shapes]


ROWS = [
    # ---------------------------------------------------------------- mse / l1 / huber / smooth_l1
    OpInfo("mse_loss", lambda T, x, y: _F(T).mse_loss(x, y), [M34, M34], "MseLossBackward0"),
    OpInfo("mse_loss_none", lambda T, x, y: _F(T).mse_loss(x, y, reduction="none"), [M34, M34],
           "MseLossBackward0"),
    OpInfo("mse_loss_sum_const_target", lambda T, x: _F(T).mse_loss(x, _t(T, x, T34), reduction="sum"),
           [M34], "MseLossBackward0"),
    OpInfo("mse_loss_weight", lambda T, x, y: _F(T).mse_loss(x, y, weight=_t(T, x, T34)), [M34, M34],
           "DivBackward0", extra_nodes=("PowBackward0", "SumBackward0")),
    OpInfo("l1_loss", lambda T, x, y: _F(T).l1_loss(x, y), [M34, M34], "MeanBackward0",
           sample=apart, extra_nodes=("AbsBackward0",)),
    OpInfo("l1_loss_none", lambda T, x, y: _F(T).l1_loss(x, y, reduction="none"), [M34, M34],
           "AbsBackward0", sample=apart),
    OpInfo("l1_loss_sum_weight", lambda T, x, y: _F(T).l1_loss(x, y, reduction="sum", weight=_t(T, x, T34)),
           [M34, M34], "SumBackward0", sample=apart),
    OpInfo("huber_loss", lambda T, x, y: _F(T).huber_loss(x, y, delta=0.7), [M34, M34],
           "HuberLossBackward0", sample=_diffs(0.7)),
    OpInfo("huber_loss_none", lambda T, x, y: _F(T).huber_loss(x, y, reduction="none"), [M34, M34],
           "HuberLossBackward0", sample=_diffs(1.0)),
    OpInfo("huber_loss_weight", lambda T, x, y: _F(T).huber_loss(x, y, delta=0.7, weight=_t(T, x, T34)),
           [M34, M34], "MeanBackward0", sample=_diffs(0.7), extra_nodes=("HuberLossBackward0",)),
    OpInfo("smooth_l1_loss", lambda T, x, y: _F(T).smooth_l1_loss(x, y, beta=0.7), [M34, M34],
           "SmoothL1LossBackward0", sample=_diffs(0.7)),
    OpInfo("smooth_l1_loss_sum", lambda T, x, y: _F(T).smooth_l1_loss(x, y, reduction="sum"),
           [M34, M34], "SmoothL1LossBackward0", sample=_diffs(1.0)),
    OpInfo("smooth_l1_loss_beta0", lambda T, x, y: _F(T).smooth_l1_loss(x, y, beta=0.0), [M34, M34],
           "MeanBackward0", sample=apart),
    # the first-order gradients under create_graph: <loss>_backward as a node over (grad, x, t)
    OpInfo("mse_loss_backward", lambda T, x, y, v: grads_of(
        T, lambda x, y: _F(T).mse_loss(x, y, reduction="none"), x, y, v), [M34, M34, M34],
           "MseLossBackwardBackward0"),
    OpInfo("mse_loss_backward_mean", lambda T, x, y, v: grads_of(
        T, lambda x, y: _F(T).mse_loss(x, y), x, y, v), [M34, M34, ()],
           "MseLossBackwardBackward0"),
    OpInfo("huber_loss_backward", lambda T, x, y, v: grads_of(
        T, lambda x, y: _F(T).huber_loss(x, y, delta=0.7), x, y, v), [M34, M34, ()],
           "HuberLossBackwardBackward0", sample=_with_v(_diffs(0.7))),
    OpInfo("huber_loss_backward_none", lambda T, x, y, v: grads_of(
        T, lambda x, y: _F(T).huber_loss(x, y, reduction="none"), x, y, v), [M34, M34, M34],
           "HuberLossBackwardBackward0", sample=_with_v(_diffs(1.0))),
    OpInfo("smooth_l1_loss_backward", lambda T, x, y, v: grads_of(
        T, lambda x, y: _F(T).smooth_l1_loss(x, y, beta=0.7), x, y, v), [M34, M34, ()],
           "SmoothL1LossBackwardBackward0", sample=_with_v(_diffs(0.7))),
    OpInfo("smooth_l1_loss_backward_sum", lambda T, x, y, v: grads_of(
        T, lambda x, y: _F(T).smooth_l1_loss(x, y, reduction="sum"), x, y, v), [M34, M34, ()],
           "SmoothL1LossBackwardBackward0", sample=_with_v(_diffs(1.0))),
    # ---------------------------------------------------------------- nll_loss
    OpInfo("nll_loss", lambda T, x: _F(T).nll_loss(x, _idx(T, TI)), [M34], "NllLossBackward0"),
    OpInfo("nll_loss_weight_ignore", lambda T, x: _F(T).nll_loss(x, _idx(T, TI_IGN), weight=_t(T, x, W4)),
           [M34], "NllLossBackward0"),
    OpInfo("nll_loss_none_ignore", lambda T, x: _F(T).nll_loss(x, _idx(T, TI_IGN), reduction="none"),
           [M34], "NllLossBackward0"),
    OpInfo("nll_loss_sum_ignore_index_1", lambda T, x: _F(T).nll_loss(x, _idx(T, TI), ignore_index=1,
                                                                    reduction="sum"),
           [M34], "NllLossBackward0"),
    OpInfo("nll_loss_1d", lambda T, x: _F(T).nll_loss(x, _idx(T, 2)), [(4,)], "NllLossBackward0"),
    OpInfo("nll_loss_4d_weight", lambda T, x: _F(T).nll_loss(x, _idx(T, T234), weight=_t(T, x, W4)),
           [(2, 4, 2, 3)], "NllLoss2DBackward0"),
    OpInfo("nll_loss_3d_none", lambda T, x: _F(T).nll_loss(x, _idx(T, T23), reduction="none"),
           [(2, 4, 3)], "ViewBackward0", extra_nodes=("NllLoss2DBackward0",)),
    # the first-order gradients under create_graph: nll_loss_backward as a node over (grad, x)
    OpInfo("nll_loss_backward", lambda T, x, v: grad_of(T, lambda x: _F(T).nll_loss(
        x, _idx(T, TI_IGN), weight=_t(T, x, W4), reduction="none"), x, v), [M34, V3],
           "NllLossBackwardBackward0"),
    OpInfo("nll_loss_backward_mean", lambda T, x, v: grad_of(
        T, lambda x: _F(T).nll_loss(x, _idx(T, TI)), x, v), [M34, ()], "NllLossBackwardBackward0"),
    OpInfo("nll_loss2d_backward", lambda T, x, v: grad_of(T, lambda x: _F(T).nll_loss(
        x, _idx(T, T234), weight=_t(T, x, W4)), x, v), [(2, 4, 2, 3), ()],
           "NllLoss2DBackwardBackward0"),
    OpInfo("nll_loss2d_backward_none", lambda T, x, v: grad_of(T, lambda x: _F(T).nll_loss(
        x, _idx(T, T234), reduction="none"), x, v), [(2, 4, 2, 3), (2, 2, 3)],
           "NllLoss2DBackwardBackward0"),
    # ---------------------------------------------------------------- cross_entropy
    OpInfo("cross_entropy", lambda T, x: _F(T).cross_entropy(x, _idx(T, TI)), [M34], "NllLossBackward0",
           extra_nodes=("LogSoftmaxBackward0",)),
    OpInfo("cross_entropy_weight_ignore", lambda T, x: _F(T).cross_entropy(x, _idx(T, TI_IGN),
                                                                         weight=_t(T, x, W4)),
           [M34], "NllLossBackward0"),
    OpInfo("cross_entropy_none", lambda T, x: _F(T).cross_entropy(x, _idx(T, TI_IGN), reduction="none"),
           [M34], "NllLossBackward0"),
    OpInfo("cross_entropy_1d", lambda T, x: _F(T).cross_entropy(x, _idx(T, 3)), [(4,)], "NllLossBackward0"),
    OpInfo("cross_entropy_4d", lambda T, x: _F(T).cross_entropy(x, _idx(T, T234)), [(2, 4, 2, 3)],
           "NllLoss2DBackward0", **RED),
    OpInfo("cross_entropy_3d_weight_sum", lambda T, x: _F(T).cross_entropy(
        x, _idx(T, T23), weight=_t(T, x, W4), reduction="sum"), [(2, 4, 3)], "NllLoss2DBackward0",
           extra_nodes=("ViewBackward0",), **RED),
    OpInfo("cross_entropy_5d_none", lambda T, x: _F(T).cross_entropy(
        x, _idx(T, [[[[0, 1], [2, 3]], [[3, 3], [1, 0]]]]), reduction="none"), [(1, 4, 2, 2, 2)],
           "ViewBackward0", extra_nodes=("NllLoss2DBackward0",)),
    OpInfo("cross_entropy_label_smoothing", lambda T, x: _F(T).cross_entropy(
        x, _idx(T, TI_IGN), label_smoothing=0.2), [M34], "AddBackward0",
           extra_nodes=("MulBackward1", "MaskedFillBackward0", "NllLossBackward0")),
    OpInfo("cross_entropy_label_smoothing_weight", lambda T, x: _F(T).cross_entropy(
        x, _idx(T, TI_IGN), weight=_t(T, x, W4), label_smoothing=0.3), [M34], "AddBackward0"),
    OpInfo("cross_entropy_label_smoothing_none_4d", lambda T, x: _F(T).cross_entropy(
        x, _idx(T, T234), label_smoothing=0.1, reduction="none"), [(2, 4, 2, 3)], "AddBackward0"),
    OpInfo("cross_entropy_label_smoothing_sum_weight", lambda T, x: _F(T).cross_entropy(
        x, _idx(T, TI), weight=_t(T, x, W4), label_smoothing=0.1, reduction="sum"), [M34], "AddBackward0"),
    OpInfo("cross_entropy_probs", lambda T, x, p: _F(T).cross_entropy(x, p), [M34, M34], "DivBackward1",
           extra_nodes=("LogSoftmaxBackward0",)),
    OpInfo("cross_entropy_probs_smoothing_weight", lambda T, x: _F(T).cross_entropy(
        x, _t(T, x, T34), weight=_t(T, x, W4), label_smoothing=0.25), [M34], "DivBackward1"),
    OpInfo("cross_entropy_probs_none_4d", lambda T, x, p: _F(T).cross_entropy(x, p, reduction="none"),
           [(2, 3, 2, 2), (2, 3, 2, 2)], "NegBackward0"),
    OpInfo("cross_entropy_probs_smoothing_grad_target", lambda T, x, p: _F(T).cross_entropy(
        x, p, label_smoothing=0.2, reduction="sum"), [M34, M34], "NegBackward0",
           extra_nodes=("AddBackward1", "MulBackward1")),
    # ---------------------------------------------------------------- binary cross entropy
    OpInfo("binary_cross_entropy", lambda T, x, y: _F(T).binary_cross_entropy(x, y), [M34, M34],
           "BinaryCrossEntropyBackward0", domain=PROB),
    OpInfo("binary_cross_entropy_weight_sum", lambda T, x: _F(T).binary_cross_entropy(
        x, _t(T, x, T34), weight=_t(T, x, W4), reduction="sum"), [M34],
           "BinaryCrossEntropyBackward0", domain=PROB),
    OpInfo("binary_cross_entropy_none", lambda T, x, y: _F(T).binary_cross_entropy(x, y, reduction="none"),
           [M34, M34], "BinaryCrossEntropyBackward0", domain=PROB),
    # the first-order gradient under create_graph: binary_cross_entropy_backward as a node
    # (a constant target: the target's gradient is a composite of other families' nodes)
    OpInfo("binary_cross_entropy_backward", lambda T, x, v: grad_of(
        T, lambda x: _F(T).binary_cross_entropy(x, _t(T, x, T34), weight=_t(T, x, W4),
                                                reduction="none"), x, v),
           [M34, M34], "BinaryCrossEntropyBackwardBackward0", domain=PROB),
    OpInfo("binary_cross_entropy_backward_mean", lambda T, x, v: grad_of(
        T, lambda x: _F(T).binary_cross_entropy(x, _t(T, x, T34)), x, v), [M34, ()],
           "BinaryCrossEntropyBackwardBackward0", domain=PROB),
    OpInfo("bce_with_logits", lambda T, x, y: _F(T).binary_cross_entropy_with_logits(x, y), [M34, M34],
           "BinaryCrossEntropyWithLogitsBackward0"),
    OpInfo("bce_with_logits_weight_pos_weight", lambda T, x, y: _F(T).binary_cross_entropy_with_logits(
        x, y, weight=_t(T, x, W4), pos_weight=_t(T, x, [2.0, 0.5, 1.0, 3.0])), [M34, M34],
           "BinaryCrossEntropyWithLogitsBackward0"),
    OpInfo("bce_with_logits_pos_weight_none", lambda T, x: _F(T).binary_cross_entropy_with_logits(
        x, _t(T, x, T34), pos_weight=_t(T, x, W4), reduction="none"), [M34],
           "BinaryCrossEntropyWithLogitsBackward0"),
    # ---------------------------------------------------------------- kl_div, poisson, gaussian
    OpInfo("kl_div_batchmean", lambda T, x, y: _F(T).kl_div(x, y, reduction="batchmean"), [M34, M34],
           "DivBackward0", sample=_pos, extra_nodes=("XlogyBackward0",)),
    OpInfo("kl_div_none", lambda T, x, y: _F(T).kl_div(x, y, reduction="none"), [M34, M34], "SubBackward0",
           sample=_pos),
    OpInfo("kl_div_log_target_sum", lambda T, x, y: _F(T).kl_div(x, y, reduction="sum", log_target=True),
           [M34, M34], "SumBackward0", extra_nodes=("ExpBackward0",)),
    OpInfo("poisson_nll_loss", lambda T, x, y: _F(T).poisson_nll_loss(x, y), [M34, M34], "MeanBackward0"),
    OpInfo("poisson_nll_loss_full", lambda T, x, y: _F(T).poisson_nll_loss(
        x, y * 2, log_input=False, full=True, reduction="sum"), [M34, M34], "SumBackward0",
           sample=_pos, extra_nodes=("AddBackward1", "MulBackward1", "MaskedFillBackward0")),
    OpInfo("gaussian_nll_loss", lambda T, x, y, v: _F(T).gaussian_nll_loss(x, y, v), [M34, M34, M34],
           "MeanBackward0", sample=lambda rng, s: [rng.uniform(-2, 2, s[0]), rng.uniform(-2, 2, s[1]),
                                                   rng.uniform(0.3, 2, s[2])]),
    OpInfo("gaussian_nll_loss_homoscedastic_full", lambda T, x, y, v: _F(T).gaussian_nll_loss(
        x, y, v, full=True, reduction="none"), [M34, M34, V3], "AddBackward0",
           sample=lambda rng, s: [rng.uniform(-2, 2, s[0]), rng.uniform(-2, 2, s[1]),
                                  rng.uniform(0.3, 2, s[2])]),
    # ---------------------------------------------------------------- margin and embedding losses
    OpInfo("soft_margin_loss_backward", lambda T, x, v: grad_of(
        T, lambda x: _F(T).soft_margin_loss(x, _t(T, x, SIGN34), reduction="none"), x, v),
           [M34, M34], "SoftMarginLossBackwardBackward0"),
    OpInfo("soft_margin_loss_backward_mean", lambda T, x, v: grad_of(
        T, lambda x: _F(T).soft_margin_loss(x, _t(T, x, SIGN34)), x, v), [M34, ()],
           "SoftMarginLossBackwardBackward0"),
    OpInfo("soft_margin_loss", lambda T, x: _F(T).soft_margin_loss(x, _t(T, x, SIGN34)), [M34],
           "SoftMarginLossBackward0"),
    OpInfo("soft_margin_loss_none", lambda T, x: _F(T).soft_margin_loss(x, _t(T, x, SIGN34), reduction="none"),
           [M34], "SoftMarginLossBackward0"),
    OpInfo("multi_margin_loss", lambda T, x: _F(T).multi_margin_loss(x, _idx(T, TI)), [M34],
           "MultiMarginLossBackward0", sample=apart, gradgrad=False),
    OpInfo("multi_margin_loss_p2_weight_none", lambda T, x: _F(T).multi_margin_loss(
        x, _idx(T, TI), p=2, margin=0.6, weight=_t(T, x, W4), reduction="none"), [M34],
           "MultiMarginLossBackward0", sample=apart, gradgrad=False),
    OpInfo("multi_margin_loss_1d_sum", lambda T, x: _F(T).multi_margin_loss(x, _idx(T, [1]), reduction="sum"),
           [(4,)], "MultiMarginLossBackward0", sample=apart, gradgrad=False),
    OpInfo("multilabel_margin_loss", lambda T, x: _F(T).multilabel_margin_loss(x, _idx(T, MLML)), [M34],
           "MultilabelMarginLossBackward0", sample=apart, gradgrad=False),
    OpInfo("multilabel_margin_loss_none", lambda T, x: _F(T).multilabel_margin_loss(
        x, _idx(T, MLML), reduction="none"), [M34], "MultilabelMarginLossBackward0", sample=apart,
           gradgrad=False),
    OpInfo("multilabel_margin_loss_1d", lambda T, x: _F(T).multilabel_margin_loss(x, _idx(T, [3, 1, -1, 0])),
           [(4,)], "MultilabelMarginLossBackward0", sample=apart, gradgrad=False),
    OpInfo("multilabel_soft_margin_loss", lambda T, x: _F(T).multilabel_soft_margin_loss(
        x, _t(T, x, [[1.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])), [M34],
           "MeanBackward0", extra_nodes=("LogSigmoidBackward0",)),
    OpInfo("multilabel_soft_margin_loss_weight_none", lambda T, x, y: _F(T).multilabel_soft_margin_loss(
        x, y, weight=_t(T, x, W4), reduction="none"), [M34, M34], "DivBackward0"),
    OpInfo("margin_ranking_loss", lambda T, x, y: _F(T).margin_ranking_loss(
        x, y, _t(T, x, [1.0, -1.0, 1.0, -1.0]), margin=0.3), [(4,), (4,)], "MeanBackward0",
           sample=apart, extra_nodes=("ClampMinBackward0", "AddBackward1")),
    OpInfo("hinge_embedding_loss", lambda T, x: _F(T).hinge_embedding_loss(x, _t(T, x, SIGN34), margin=0.5),
           [M34], "MeanBackward0", avoid=(0.5,), extra_nodes=("WhereBackward0", "ClampMinBackward0")),
    OpInfo("cosine_embedding_loss", lambda T, x, y: _F(T).cosine_embedding_loss(
        x, y, _idx(T, [1, -1, -1]), margin=-0.9), [M34, M34], "MeanBackward0",
           extra_nodes=("SqrtBackward0", "AddBackward1", "SubBackward1", "WhereBackward0")),
    OpInfo("cosine_embedding_loss_0d_sum", lambda T, x, y: _F(T).cosine_embedding_loss(
        x, y, _idx(T, 1), reduction="sum"), [(4,), (4,)], "SumBackward0"),
    OpInfo("triplet_margin_loss", lambda T, a, p, n: _F(T).triplet_margin_loss(a, p, n, margin=3.0),
           [M34, M34, M34], "MeanBackward0", extra_nodes=("NormBackward1",)),
    OpInfo("triplet_margin_loss_p1_swap_sum", lambda T, a, p, n: _F(T).triplet_margin_loss(
        a, p, n, margin=4.0, p=1, swap=True, reduction="sum"), [M34, M34, M34], "SumBackward0",
           sample=apart, extra_nodes=("MinimumBackward0",)),
    OpInfo("triplet_margin_with_distance_loss", lambda T, a, p, n: _F(T).triplet_margin_with_distance_loss(
        a, p, n, margin=3.0), [M34, M34, M34], "MeanBackward0"),
    OpInfo("triplet_margin_with_distance_loss_cosine_swap", lambda T, a, p, n:
           _F(T).triplet_margin_with_distance_loss(
               a, p, n, distance_function=lambda u, v: 1.0 - _F(T).cosine_similarity(u, v),
               margin=2.5, swap=True, reduction="none"), [M34, M34, M34], "ClampMinBackward0"),
    # ---------------------------------------------------------------- distances
    OpInfo("cosine_similarity_m34", lambda T, x, y: _F(T).cosine_similarity(x, y), [M34, M34], "SumBackward1",
           extra_nodes=("LinalgVectorNormBackward0", "CloneBackward0")),
    OpInfo("loss_cosine_similarity_broadcast", lambda T, x, y: T.cosine_similarity(x, y, dim=-1),
           [M34, (4,)], "SumBackward1", extra_nodes=("ExpandBackward0",)),
    OpInfo("pairwise_distance_m34", lambda T, x, y: _F(T).pairwise_distance(x, y), [M34, M34], "NormBackward1"),
    OpInfo("loss_pairwise_distance_p3_keepdim", lambda T, x, y: T.pairwise_distance(x, y, p=3, keepdim=True),
           [M34, M34], "NormBackward1"),
    OpInfo("loss_pairwise_distance_p1", lambda T, x, y: _F(T).pairwise_distance(x, y, p=1.0, eps=0.0),
           [M34, M34], "NormBackward1", sample=apart),
    # ---------------------------------------------------------------- ctc_loss (PyTorch's gradient
    # is the one with respect to the logits behind a log_softmax, so the rows go through one; full
    # lengths, so that every entry of the saved log_alpha is defined in torch too)
    OpInfo("ctc_loss", lambda T, x: _F(T).ctc_loss(
        x.log_softmax(2), _idx(T, [[1, 2, 2], [3, 0, 1]]), _idx(T, [6, 6]), _idx(T, [3, 3])),
           [(6, 2, 4)], "MeanBackward0", gradgrad=False, extra_nodes=("CtcLossBackward0",)),
    OpInfo("ctc_loss_none_blank_lists", lambda T, x: _F(T).ctc_loss(
        x.log_softmax(2), _idx(T, [1, 2, 0, 3, 1, 2]), [5, 5], [3, 3], blank=3, reduction="none"),
           [(5, 2, 4)], "CtcLossBackward0", gradgrad=False),
    OpInfo("ctc_loss_unbatched_sum", lambda T, x: T.ctc_loss(
        x.log_softmax(1), _idx(T, [2, 1]), _idx(T, [4]), _idx(T, [2]), 0, 2), [(4, 3)],
           "SumBackward0", gradgrad=False, extra_nodes=("UnsqueezeBackward0",)),
    # ---------------------------------------------------------------- scalar-operand nodes
    OpInfo("loss_sub_scalar_node", lambda T, x, y: _F(T).cosine_embedding_loss(
        x, y, _idx(T, [-1, -1, -1]), margin=-0.95, reduction="none"), [M34, M34], "AddBackward0",
           extra_nodes=("SubBackward1",)),
    # the torch.X forms (integer reduction, 'none' by default as in torch's bindings)
    OpInfo("torch_kl_div", lambda T, x: T.kl_div(x, _t(T, x, T34)), [M34], "SubBackward0"),
    OpInfo("torch_bce_with_logits", lambda T, x: T.binary_cross_entropy_with_logits(
        x, _t(T, x, T34)), [M34], "BinaryCrossEntropyWithLogitsBackward0"),
    OpInfo("torch_cosine_embedding_loss", lambda T, x, y: T.cosine_embedding_loss(
        x, y, _t(T, x, [1.0, -1.0, 1.0])), [M34, M34], "AddBackward0", domain=(0.5, 2.0)),
    OpInfo("torch_hinge_embedding_loss", lambda T, x: T.hinge_embedding_loss(
        x, _t(T, x, [[1.0, -1.0, 1.0, -1.0]] * 3)), [M34], "AddBackward0", avoid=(1.0,)),
    OpInfo("torch_margin_ranking_loss", lambda T, x, y: T.margin_ranking_loss(
        x, y, _t(T, x, [1.0, -1.0, 1.0])), [V3, V3], "ClampMinBackward0",
        sample=lambda rng, shapes: [np.array([0.3, -1.2, 1.5]), np.array([1.1, 0.4, -0.7])]),
    OpInfo("torch_poisson_nll_loss", lambda T, x: T.poisson_nll_loss(
        x, _t(T, x, T34), True, False, 1e-8, 1), [M34], "MeanBackward0"),
    OpInfo("torch_triplet_margin_loss", lambda T, x, y, z: T.triplet_margin_loss(x, y, z),
           [M34, M34, M34], "ClampMinBackward0",
           sample=lambda rng, shapes: [rng.standard_normal(s) * 0.1 for s in shapes[:2]] +
           [rng.standard_normal(shapes[2]) * 3]),
]
