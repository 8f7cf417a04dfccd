"""Rprop (resilient backpropagation)."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _bump, _check_capturable, _closure_loss, _full_like, _grad,
                        _scalar, _to_scalar, _use_grad)
from .._tensor import Tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Per element: the step size grows by etaplus while the gradient keeps its sign, shrinks by
    etaminus when it flips (and that step is skipped), clamped to step_sizes;
    p <- p - sign(g)*step_size."""

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(foreach=None, maximize=False, differentiable=False, capturable=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr0 = _scalar(_to_scalar(group["lr"]))
            params = self._group_state(group, "prev",
                                       ("step_size", lambda p: _full_like(p._grad, lr0)))
            _check_capturable(params, group)
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            for p in params:
                state = self.state[p]
                g = _grad(p, group["maximize"])
                state["step"]._data += 1
                prev, step_size = state["prev"]._data, state["step_size"]._data
                sign = np.sign(g * prev)
                factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1))
                step_size *= factor.astype(step_size.dtype, copy=False)
                np.clip(step_size, step_size_min, step_size_max, out=step_size)
                g = np.where(sign < 0, 0, g).astype(g.dtype, copy=False)
                p._data += -1 * np.sign(g) * step_size
                _bump(p)
                prev[...] = g
        return loss
