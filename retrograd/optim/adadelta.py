"""Adadelta."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _bump, _check_capturable, _closure_loss, _grad, _scalar,
                        _use_grad)
from .._tensor import Tensor

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """v <- rho*v + (1-rho)*g^2; d = sqrt(u + eps)/sqrt(v + eps) * g;
    u <- rho*u + (1-rho)*d^2; p <- p - lr*d."""

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(foreach=None, maximize=False, differentiable=False, capturable=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params = self._group_state(group, "square_avg", "acc_delta")
            _check_capturable(params, group, xla=False)
            lr, rho, eps, wd = _scalar(group["lr"]), group["rho"], group["eps"], \
                group["weight_decay"]
            for p in params:
                state = self.state[p]
                state["step"]._data += 1
                g = _grad(p, group["maximize"])
                if wd != 0:
                    g = g + wd * p._data
                v, u = state["square_avg"]._data, state["acc_delta"]._data
                v *= rho
                v += (1 - rho) * g * g
                std = np.sqrt(v + eps)
                delta = np.sqrt(u + eps)
                delta /= std
                delta *= g
                u *= rho
                u += (1 - rho) * delta * delta
                p._data += -lr * delta
                _bump(p)
        return loss
