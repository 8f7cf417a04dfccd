"""Models built the same way on retrograd and torch (``T`` is either module), with the same
deterministic weights, for the nn tests."""
from __future__ import annotations

import numpy as np


def set_params(model, T, seed: int = 0):
    """Give every parameter (and floating buffer) of ``model`` values drawn from a NumPy generator
    seeded with ``seed``: the same numbers in both libraries."""
    rng = np.random.default_rng(seed)
    with T.no_grad():
        for _, p in model.named_parameters():
            p.copy_(T.tensor(rng.uniform(-1, 1, tuple(p.shape)), dtype=p.dtype))
        for _, b in model.named_buffers():
            if b.is_floating_point():
                b.copy_(T.tensor(rng.uniform(-1, 1, tuple(b.shape)), dtype=b.dtype))
    return model


def data(T, *shape, seed: int = 1, requires_grad: bool = False):
    arr = np.random.default_rng(seed).uniform(-2, 2, shape)
    return T.tensor(arr, dtype=T.float32, requires_grad=requires_grad)


def make_net(T):
    """A small model with a submodule tree, a bare Parameter, a persistent and a non-persistent
    buffer, and a None parameter."""

    class Block(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = T.nn.Linear(4, 4)
            self.act = T.nn.Tanh()

        def forward(self, x):
            return self.act(self.lin(x))

    class Net(T.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = T.nn.Linear(3, 4)
            self.block = Block()
            self.fc2 = T.nn.Linear(4, 2, bias=False)
            self.scale = T.nn.Parameter(T.tensor(2.0))
            self.register_parameter("unused", None)
            self.register_buffer("shift", T.zeros(2))
            self.register_buffer("scratch", T.ones(1), persistent=False)

        def forward(self, x):
            return self.fc2(self.block(self.fc1(x))) * self.scale + self.shift

    return set_params(Net(), T)


def grads(model):
    """name -> gradient of every parameter."""
    return {n: p.grad for n, p in model.named_parameters()}
