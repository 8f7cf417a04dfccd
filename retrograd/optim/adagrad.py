"""Adagrad."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _bump, _check_fused_flags, _closure_loss, _full_like,
                        _get_scalar_dtype, _grad, _scalar, _step_tensor, _use_grad)
from .._tensor import Tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """s <- s + g^2; p <- p - lr/(1 + (t-1)*lr_decay) * g/(sqrt(s) + eps).

    The state (step and sum) is created for every parameter at construction, as in PyTorch.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False,
                 fused=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError("Invalid initial_accumulator_value value: "
                             f"{initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused_flags(fused, foreach, differentiable)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p, group) -> None:
        state = self.state[p]
        fused = group["fused"]
        state["step"] = _step_tensor(0.0, _get_scalar_dtype(is_fused=fused)) if fused \
            else _step_tensor(0.0)
        state["sum"] = _full_like(p, self.defaults["initial_accumulator_value"])

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(fused_key="fused", foreach=None, maximize=False, differentiable=False,
                             fused=None)

    def share_memory(self) -> None:
        """No-op: retrograd has one process; kept for PyTorch's API."""

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, wd, eps = _scalar(group["lr"]), group["weight_decay"], group["eps"]
            lr_decay = group["lr_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    self._init_state(p, group)
                step_t = state["step"]
                step_t._data += 1
                step = step_t.item()
                g = _grad(p, group["maximize"])
                if wd != 0:
                    g = g + wd * p._data
                clr = lr / (1 + (step - 1) * lr_decay)
                s = state["sum"]._data
                s += 1 * g * g
                std = np.sqrt(s)
                std += eps
                p._data += -clr * g / std
                _bump(p)
        return loss
