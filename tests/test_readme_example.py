"""The README's five-steps example prints what PyTorch prints (same seed: the same weights and
data, the same losses, the same repr)."""
from __future__ import annotations

import torch

import retrograd


def _train(T):
    nn = T.nn
    T.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = T.optim.SGD(model.parameters(), lr=0.1)
    x, y = T.randn(32, 4), T.randint(0, 3, (32,))
    for _ in range(100):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return repr(loss)


def test_the_readme_training_loop_prints_what_pytorch_prints():
    ours, ref = _train(retrograd), _train(torch)
    assert ours == ref and ours.endswith("grad_fn=<NllLossBackward0>)")
