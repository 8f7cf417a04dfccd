"""SGD: stochastic gradient descent with optional momentum, Nesterov, weight decay."""
from __future__ import annotations

from .optimizer import (Optimizer, _bump, _check_fused_flags, _closure_loss, _grad, _scalar,
                        _use_grad)
from .._tensor import Tensor

__all__ = ["SGD"]


class SGD(Optimizer):
    """b <- momentum*b + (1-dampening)*g (b = g at the first step); p <- p - lr*b
    (or g + momentum*b with Nesterov); g includes weight_decay*p, negated when maximizing."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused_flags(fused, foreach, differentiable)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("nesterov", False)
            group.setdefault("maximize", False)
            group.setdefault("foreach", None)
            group.setdefault("differentiable", False)
            group.setdefault("fused", False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            lr, wd = _scalar(group["lr"]), _scalar(group["weight_decay"])
            momentum, dampening = group["momentum"], group["dampening"]
            nesterov, maximize = group["nesterov"], group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = _grad(p, maximize)
                if wd != 0:
                    g = g + wd * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = Tensor._make(g.copy())
                    else:
                        b = buf._data
                        b *= momentum
                        b += (1 - dampening) * g
                        _bump(buf)
                    state["momentum_buffer"] = buf
                    g = g + momentum * buf._data if nesterov else buf._data
                p._data += -lr * g
                _bump(p)
        return loss
