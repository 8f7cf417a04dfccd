"""The loss modules (retrograd.nn.XxxLoss) against torch's: the same arguments give the same
values, gradients, grad_fn names, reprs, buffers and errors (the functional losses themselves
are tested in test_loss.py and the op table)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 5))
P = 1 / (1 + np.exp(-X))
T01 = (RNG.random((4, 5)) > 0.5).astype(np.float64)
CLS = np.array([0, 3, 4, 1])
SIGN = np.array([1.0, -1.0, 1.0, -1.0])
W5 = np.array([1.0, 2.0, 0.5, 1.0, 3.0])


def _t(T, a, grad=False):
    dt = T.int64 if a.dtype.kind == "i" else T.float64
    return T.tensor(a, dtype=dt, requires_grad=grad)


# name, constructor kwargs (arrays become tensors), inputs (the first differentiable)
CASES = [
    ("L1Loss", {}, [X, X[::-1].copy()]),
    ("MSELoss", {"reduction": "sum"}, [X, X[::-1].copy()]),
    ("CrossEntropyLoss", {}, [X, CLS]),
    ("CrossEntropyLoss", {"weight": W5, "label_smoothing": 0.1, "ignore_index": 3}, [X, CLS]),
    ("NLLLoss", {"reduction": "none"}, [X, CLS]),
    ("NLLLoss", {"weight": W5}, [X, CLS]),
    ("BCELoss", {}, [P, T01]),
    ("BCELoss", {"weight": W5}, [P, T01]),
    ("BCEWithLogitsLoss", {"pos_weight": W5}, [X, T01]),
    ("HuberLoss", {"delta": 0.5}, [X, X[::-1].copy()]),
    ("SmoothL1Loss", {"beta": 0.5}, [X, X[::-1].copy()]),
    ("KLDivLoss", {"reduction": "batchmean"}, [np.log(P), P[::-1].copy()]),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, [np.log(P), np.log(P[::-1])]),
    ("PoissonNLLLoss", {"full": True}, [X, np.abs(X[::-1]) * 3]),
    ("GaussianNLLLoss", {"full": True}, [X, X[::-1].copy(), np.abs(X) + 0.1]),
    ("CosineEmbeddingLoss", {"margin": 0.2}, [X, X[::-1].copy(), SIGN]),
    ("MarginRankingLoss", {"margin": 0.1}, [X[:, 0].copy(), X[:, 1].copy(), SIGN]),
    ("HingeEmbeddingLoss", {"margin": 0.5}, [X, np.sign(X[::-1])]),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5, "weight": W5}, [X, CLS]),
    ("MultiLabelMarginLoss", {}, [X, np.array([[3, 0, -1, 1, 2]] * 4)]),
    ("MultiLabelSoftMarginLoss", {"weight": W5}, [X, T01]),
    ("SoftMarginLoss", {}, [X, np.sign(X[::-1])]),
    ("TripletMarginLoss", {"margin": 0.5, "p": 1.0, "swap": True}, [X, X[::-1].copy(), X * 0.5]),
    ("TripletMarginWithDistanceLoss", {"margin": 0.5}, [X, X[::-1].copy(), X * 0.5]),
]


def _build(T, name, kwargs):
    kw = {k: (_t(T, v) if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
    return getattr(T.nn, name)(**kw)


@pytest.mark.parametrize("name,kwargs,inputs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_module_like_torch(name, kwargs, inputs):
    results = []
    for T in (retrograd, torch):
        mod = _build(T, name, kwargs)
        xs = [_t(T, a, grad=(i == 0)) for i, a in enumerate(inputs)]
        out = mod(*xs)
        out.sum().backward()
        results.append((repr(mod), out.detach().numpy(), xs[0].grad.numpy(),
                        type(out.grad_fn).__name__, sorted(dict(mod.named_buffers())),
                        sorted(mod.state_dict())))
    ours, ref = results
    assert ours[0] == ref[0]
    np.testing.assert_allclose(ours[1], ref[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours[2], ref[2], rtol=1e-10, atol=1e-12)
    assert ours[3:] == ref[3:]


@pytest.mark.parametrize("make", [
    lambda T: T.nn.MultiMarginLoss(p=3),
    lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)),
    lambda T: T.nn.TripletMarginLoss(margin=0.0),
    lambda T: T.nn.TripletMarginWithDistanceLoss(margin=-1.0),
])
def test_loss_module_constructor_errors_like_torch(make):
    errors = []
    for T in (retrograd, torch):
        with pytest.raises(Exception) as info:
            make(T)
        errors.append((type(info.value), str(info.value)))
    assert errors[0] == errors[1]


def test_legacy_arguments_warn_and_set_reduction_like_torch():
    seen = []
    for T in (retrograd, torch):
        with pytest.warns(UserWarning) as rec:
            mod = T.nn.MSELoss(size_average=False)
        seen.append((mod.reduction, str(rec[0].message)))
    assert seen[0] == seen[1]


def test_cross_entropy_training_step_matches_torch():
    """The seed's step 3 with a module: logits from a Linear, CrossEntropyLoss, backward."""
    grads = []
    for T in (retrograd, torch):
        lin = T.nn.Linear(5, 3).double()
        with T.no_grad():
            lin.weight.copy_(T.tensor(X[:3], dtype=T.float64))
            lin.bias.copy_(T.tensor([0.1, -0.2, 0.3], dtype=T.float64))
        loss = T.nn.CrossEntropyLoss()(lin(_t(T, X)), _t(T, np.array([0, 2, 1, 1])))
        loss.backward()
        grads.append((loss.item(), lin.weight.grad.numpy().copy(), type(loss.grad_fn).__name__))
    assert grads[0][2] == grads[1][2] == "NllLossBackward0"
    assert abs(grads[0][0] - grads[1][0]) < 1e-12
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-10)
