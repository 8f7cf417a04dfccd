"""Adamax (Adam with the infinity norm)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _bump, _check_capturable,
                        _closure_loss, _grad, _lerp_, _scalar, _use_grad)
from .._tensor import Tensor

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """m <- lerp(m, g, 1-beta1); u <- max(beta2*u, |g| + eps);
    p <- p - lr/(1-beta1^t) * m/u."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False,
                 capturable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(foreach=None, maximize=False, differentiable=False, capturable=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params = self._group_state(group, "exp_avg", "exp_inf")
            _check_capturable(params, group)
            beta1, beta2 = group["betas"]
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            for p in params:
                state = self.state[p]
                g = _grad(p, group["maximize"])
                step_t = state["step"]
                step_t._data += 1
                if wd != 0:
                    g = g + wd * p._data
                m, u = state["exp_avg"]._data, state["exp_inf"]._data
                _lerp_(m, g, 1 - beta1)
                u *= beta2
                np.maximum(u, np.abs(g) + eps, out=u)
                clr = lr / (1 - beta1 ** step_t.item())
                p._data += -clr * m / u
                _bump(p)
        return loss
