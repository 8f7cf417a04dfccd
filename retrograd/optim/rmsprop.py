"""RMSprop (optionally centered, with momentum)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _bump, _check_capturable, _closure_loss, _grad, _lerp_, _scalar,
                        _use_grad)
from .._tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """v <- alpha*v + (1-alpha)*g^2; avg = sqrt(v - mean(g)^2 if centered else v) + eps;
    p <- p - lr*g/avg, or through a momentum buffer b <- momentum*b + g/avg."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(momentum=0, centered=False, foreach=None, maximize=False,
                             differentiable=False, capturable=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params = self._group_state(group, "square_avg",
                                       *("momentum_buffer",) * (group["momentum"] > 0),
                                       *("grad_avg",) * bool(group["centered"]))
            _check_capturable(params, group)
            lr, alpha, eps = _scalar(group["lr"]), group["alpha"], group["eps"]
            wd, momentum = group["weight_decay"], group["momentum"]
            for p in params:
                state = self.state[p]
                g = _grad(p, group["maximize"])
                state["step"]._data += 1
                if wd != 0:
                    g = g + wd * p._data
                v = state["square_avg"]._data
                v *= alpha
                v += (1 - alpha) * g * g
                if group["centered"]:
                    mean = state["grad_avg"]._data
                    _lerp_(mean, g, 1 - alpha)
                    avg = np.sqrt(v + (-1) * mean * mean)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]._data
                    buf *= momentum
                    buf += g / avg
                    p._data += -lr * buf
                else:
                    p._data += -lr * g / avg
                _bump(p)
        return loss
