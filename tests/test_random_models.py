"""Seeded models and dropout draw PyTorch's numbers (retrograd's generator is PyTorch's CPU
mt19937 stream): the same initial weights for every layer family, the same dropout masks."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd

MODELS = {
    "linear": lambda T: T.nn.Linear(7, 5),
    "conv2d": lambda T: T.nn.Conv2d(3, 8, 3),
    "conv_transpose1d": lambda T: T.nn.ConvTranspose1d(4, 2, 5, groups=2),
    "lstm": lambda T: T.nn.LSTM(10, 20, num_layers=2, bidirectional=True),
    "gru": lambda T: T.nn.GRU(5, 7),
    "rnn_cell": lambda T: T.nn.RNNCell(3, 4),
    "embedding": lambda T: T.nn.Embedding(10, 4, padding_idx=2),
    "bilinear": lambda T: T.nn.Bilinear(3, 4, 5),
    "prelu_batchnorm": lambda T: T.nn.Sequential(T.nn.PReLU(3), T.nn.BatchNorm1d(3)),
}


@pytest.mark.parametrize("seed", [0, 123])
@pytest.mark.parametrize("name", list(MODELS))
def test_a_seeded_model_gets_pytorchs_initial_weights(name, seed):
    states = []
    for T in (retrograd, torch):
        T.manual_seed(seed)
        m = MODELS[name](T)
        states.append({k: v.detach().numpy().copy() for k, v in m.state_dict().items()})
    assert sorted(states[0]) == sorted(states[1])
    for k in states[1]:
        assert np.array_equal(states[0][k], states[1][k]), k


@pytest.mark.parametrize("fn", [
    lambda T: T.nn.functional.dropout(T.ones(64, 33), 0.3),
    lambda T: T.nn.functional.dropout2d(T.ones(4, 16, 3, 3), 0.5),
    lambda T: T.nn.functional.alpha_dropout(T.ones(40, 7), 0.2, training=True),
    lambda T: T.nn.Dropout(0.1)(T.randn(5, 100)),
], ids=["dropout", "dropout2d", "alpha_dropout", "module_after_randn"])
def test_dropout_masks_are_pytorchs(fn):
    outs = []
    for T in (retrograd, torch):
        T.manual_seed(7)
        outs.append(fn(T).numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
