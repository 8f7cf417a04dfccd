"""Adam and AdamW (Adam with decoupled weight decay)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _check_adam_hyperparameters,
                        _bump, _check_capturable, _check_fused_flags, _closure_loss,
                        _get_scalar_dtype, _grad, _lerp_, _scalar, _step_tensor, _to_scalar,
                        _use_grad, _zeros_like)
from .._tensor import Tensor

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """m <- lerp(m, g, 1-beta1); v <- beta2*v + (1-beta2)*g^2;
    p <- p - lr/(1-beta1^t) * m / (sqrt(v)/sqrt(1-beta2^t) + eps) (v: running max if amsgrad)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False) -> None:
        if isinstance(lr, Tensor):
            if foreach and not capturable:
                raise ValueError("lr as a Tensor is not supported for capturable=False and "
                                 "foreach=True")
            if lr.numel() != 1:
                raise ValueError("Tensor lr must be 1-element")
        _check_adam_hyperparameters(lr, eps, betas, weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for "
                                     "capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(map(_to_scalar, betas))
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        _check_fused_flags(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(fused_key="fused", amsgrad=False, maximize=False, foreach=None,
                             capturable=False, differentiable=False, decoupled_weight_decay=False,
                             fused=None)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p._grad is not None]
            for p in params:
                state = self.state[p]
                if len(state) == 0:
                    fused = group["fused"]
                    state["step"] = _step_tensor(0.0, _get_scalar_dtype(is_fused=fused)) if (
                        group["capturable"] or fused) else _step_tensor(0.0)
                    state["exp_avg"] = _zeros_like(p)
                    state["exp_avg_sq"] = _zeros_like(p)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = _zeros_like(p)
            _check_capturable(params, group)
            self._update(group, params)
        return loss

    def _update(self, group, params) -> None:
        beta1, beta2 = (_scalar(b) for b in group["betas"])
        lr, wd, eps = _scalar(group["lr"]), group["weight_decay"], group["eps"]
        amsgrad, maximize = group["amsgrad"], group["maximize"]
        decoupled = group["decoupled_weight_decay"]
        for p in params:
            state = self.state[p]
            g = _grad(p, maximize)
            step_t = state["step"]
            step_t._data += 1
            _bump(step_t)
            if wd != 0:
                if decoupled:
                    p._data *= 1 - lr * wd
                    _bump(p)
                else:
                    g = g + wd * p._data
            m, v = state["exp_avg"]._data, state["exp_avg_sq"]._data
            _lerp_(m, g, 1 - beta1)
            v *= beta2
            v += (1 - beta2) * g * g
            step = step_t.item()
            bias_correction1 = 1 - beta1 ** step
            bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
            if amsgrad:
                vmax = state["max_exp_avg_sq"]._data
                np.maximum(vmax, v, out=vmax)
                v = vmax
            denom = np.sqrt(v) / bias_correction2_sqrt + eps
            p._data += -(lr / bias_correction1) * m / denom
            _bump(p)


class AdamW(Adam):
    """Adam with decoupled weight decay: p <- p * (1 - lr*weight_decay) before the Adam step."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
