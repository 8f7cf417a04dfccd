"""ASGD (averaged stochastic gradient descent)."""
from __future__ import annotations

from .optimizer import (Optimizer, _bump, _check_capturable, _closure_loss, _get_scalar_dtype,
                        _grad, _scalar, _step_tensor, _to_scalar, _use_grad)
from .._tensor import Tensor

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """p <- p*(1 - lambd*eta) - eta*g; ax averages p from step t0 on (mu = 1/max(1, t - t0));
    eta = lr/(1 + lambd*lr*t)^alpha. eta and mu are float32 0-d state tensors, as in PyTorch."""

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(("step", "eta", "mu"), foreach=None, maximize=False,
                             differentiable=False, capturable=False)

    @_use_grad
    def step(self, closure=None):
        loss = _closure_loss(closure)
        for group in self.param_groups:
            eta = _scalar(_to_scalar(group["lr"]))
            params = self._group_state(group, ("eta", lambda p: _step_tensor(eta)),
                                       ("mu", lambda p: _step_tensor(1.0)), "ax")
            _check_capturable(params, group, "params, mus, etas, and state_steps")
            lr, lambd, alpha = _scalar(group["lr"]), group["lambd"], group["alpha"]
            t0, wd = group["t0"], group["weight_decay"]
            for p in params:
                state = self.state[p]
                g = _grad(p, group["maximize"])
                step_t = state["step"]
                step_t._data += 1
                if wd != 0:
                    g = g + wd * p._data
                eta = state["eta"].item()
                p._data *= 1 - lambd * eta
                p._data += -eta * g
                _bump(p, p)
                ax = state["ax"]._data
                mu = state["mu"].item()
                if mu != 1:
                    ax += (p._data - ax) * mu
                else:
                    ax[...] = p._data
                step = step_t.item()
                # PyTorch goes through a tensor of the default dtype (torch.as_tensor) first
                rounded = _get_scalar_dtype().np.type
                state["eta"]._data[...] = rounded(lr / (1 + lambd * lr * step) ** alpha)
                state["mu"]._data[...] = rounded(1 / max(1, step - t0))
        return loss
