"""The losses PyTorch also exposes as ``torch.X``, with the signatures of its native functions
(an integer ``reduction``: 0 none, 1 mean, 2 sum; 0 by default, as torch 2.13's bindings have
it). Part of ``loss``; the computations are the ``torch.nn.functional`` ones."""
from __future__ import annotations

from .._registry import export
from .regression import kl_div_reduced
from .bce import bce_with_logits_reduced, poisson_nll_loss as _poisson
from .margin import (cosine_embedding_loss as _cosine_embedding,
                          hinge_embedding_loss as _hinge, margin_ranking_reduced,
                          triplet_reduced)

_NAMES = {1: "mean", 2: "sum"}


@export(torch="kl_div")
def _torch_kl_div(input, target, reduction=0, *, log_target=False):
    return kl_div_reduced(input, target, reduction, log_target)


@export(torch="binary_cross_entropy_with_logits")
def _torch_bce_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return bce_with_logits_reduced(input, target, weight, pos_weight, reduction)


@export(torch="cosine_embedding_loss")
def _torch_cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return _cosine_embedding(input1, input2, target, margin,
                             reduction=_NAMES.get(reduction, "none"))


@export(torch="margin_ranking_loss")
def _torch_margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return margin_ranking_reduced(input1, input2, target, margin, reduction)


@export(torch="hinge_embedding_loss")
def _torch_hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return _hinge(input, target, margin, reduction=_NAMES.get(reduction, "none"))


@export(torch="poisson_nll_loss")
def _torch_poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return _poisson(input, target, log_input, full, eps=eps,
                    reduction=_NAMES.get(reduction, "none"))


@export(torch="triplet_margin_loss")
def _torch_triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6,
                               swap=False, reduction=0):
    return triplet_reduced(anchor, positive, negative, margin, p, eps, swap, reduction)
