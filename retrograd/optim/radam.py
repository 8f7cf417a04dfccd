"""RAdam (rectified Adam)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _bump, _check_capturable,
                        _closure_loss, _grad, _lerp_, _scalar, _use_grad)
from .._tensor import Tensor

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Adam's moments; while the variance estimate is unreliable (rho_t <= 5) the step is
    p <- p - lr*m/(1-beta1^t); afterwards Adam's step times the rectification term r_t."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False,
                 capturable=False, differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(foreach=None, maximize=False, differentiable=False,
                             decoupled_weight_decay=False, capturable=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params = self._group_state(group, "exp_avg", "exp_avg_sq")
            _check_capturable(params, group)
            beta1, beta2 = group["betas"]
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            for p in params:
                state = self.state[p]
                g = _grad(p, group["maximize"])
                step_t = state["step"]
                step_t._data += 1
                step = step_t.item()
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        p._data *= 1 - lr * wd
                        _bump(p)
                    else:
                        g = g + wd * p._data
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                _lerp_(m, g, 1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                bias_correction1 = 1 - beta1 ** step
                bias_correction2 = 1 - beta2 ** step
                update = m / bias_correction1
                rho_inf = 2 / (1 - beta2) - 1
                rho_t = rho_inf - 2 * step * beta2 ** step / bias_correction2
                if rho_t > 5.0:
                    rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                            / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                    adaptive_lr = bias_correction2 ** 0.5 / (np.sqrt(v) + eps)
                    update = update * lr * adaptive_lr * rect
                else:
                    update = update * lr
                p._data += -1.0 * update
                _bump(p)
        return loss
