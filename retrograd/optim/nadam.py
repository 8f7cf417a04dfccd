"""NAdam (Adam with Nesterov momentum, Dozat 2016)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters, _bump, _check_capturable,
                        _closure_loss, _grad, _lerp_, _scalar, _step_tensor, _use_grad)
from .._tensor import Tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """mu_t = beta1*(1 - 0.5*0.96^(t*momentum_decay)); with m, v as in Adam:
    p <- p - lr*(1-mu_t)/(1-prod mu) * g/denom - lr*mu_{t+1}/(1-prod mu * mu_{t+1}) * m/denom,
    denom = sqrt(v/(1-beta2^t)) + eps. The running product of mu is kept in float32, like the
    0-d tensor PyTorch keeps."""

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(("step", "mu_product"), maximize=False, foreach=None,
                             capturable=False, differentiable=False, decoupled_weight_decay=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params = self._group_state(group, ("mu_product", lambda p: _step_tensor(1.0)),
                                       "exp_avg", "exp_avg_sq")
            _check_capturable(params, group, "params, mu_products and state_steps")
            beta1, beta2 = group["betas"]
            lr, eps, wd = _scalar(group["lr"]), group["eps"], group["weight_decay"]
            momentum_decay = group["momentum_decay"]
            for p in params:
                state = self.state[p]
                g = _grad(p, group["maximize"])
                step_t = state["step"]
                step_t._data += 1
                step = step_t.item()
                bias_correction2 = 1 - beta2 ** step
                if wd != 0:
                    if group["decoupled_weight_decay"]:
                        p._data *= 1 - lr * wd
                        _bump(p)
                    else:
                        g = g + wd * p._data
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * momentum_decay))
                mu_product = state["mu_product"]
                mu_product._data *= mu          # in the state tensor's dtype, as PyTorch
                mu_prod = mu_product.item()
                m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
                _lerp_(m, g, 1 - beta1)
                v *= beta2
                v += (1 - beta2) * g * g
                denom = np.sqrt(v / bias_correction2)
                denom += eps
                p._data += (-lr * (1.0 - mu) / (1.0 - mu_prod)) * g / denom
                p._data += (-lr * mu_next / (1.0 - mu_prod * mu_next)) * m / denom
                _bump(p, p)
        return loss
