"""Adafactor (Shazeer & Stern 2018, as torch.optim.Adafactor): second moments kept factored
(one row and one column vector per matrix), relative step sizes, update clipping."""
from __future__ import annotations

import numpy as np

from .optimizer import (Optimizer, _bump, _closure_loss, _grad, _lerp_, _scalar, _step_tensor,
                        _zeros_like)
from .._grad_mode import no_grad
from .._tensor import Tensor

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """beta2_t = 1 - t^beta2_decay; v: for matrices the outer product of the running row and
    column means of g^2 over the mean row statistic, else the running mean of g^2;
    p <- p - alpha/max(1, rms(u)/d) * u with u = g/sqrt(v),
    alpha = max(eps2, rms(p)) * min(lr, 1/sqrt(t))."""

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0,
                 weight_decay=0.0, *, foreach=None, maximize=False) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                        weight_decay=weight_decay, foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._fix_step_state(foreach=None, maximize=False)

    def step(self, closure=None):
        loss = _closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                self._update(group)
        return loss

    def _update(self, group) -> None:
        params = [p for p in group["params"] if p._grad is not None]
        for p in params:
            state = self.state[p]
            if len(state) == 0:
                g = p._grad._data
                state["step"] = _step_tensor(0.0)
                if g.ndim > 1:
                    state["row_var"] = Tensor._make(np.zeros(g.shape[:-1] + (1,), g.dtype))
                    state["col_var"] = Tensor._make(
                        np.zeros(g.shape[:-2] + (1,) + g.shape[-1:], g.dtype))
                else:
                    state["variance"] = _zeros_like(p._grad)
        eps1, eps2 = group["eps"]
        lr, d, wd = _scalar(group["lr"]), group["d"], group["weight_decay"]
        for p in params:
            state = self.state[p]
            g = _grad(p, group["maximize"])
            if eps1 is None:    # as in PyTorch: the first parameter's dtype decides for all
                eps1 = float(np.finfo(p._data.dtype).eps)
            step_t = state["step"]
            step_t._data += 1
            t = step_t.item()
            one_minus_beta2_t = t ** group["beta2_decay"]
            rho_t = min(lr, 1 / t ** 0.5)
            alpha = max(eps2, float(np.linalg.norm(p._data.ravel())) / p._data.size ** 0.5) * rho_t
            if wd != 0:
                p._data *= 1 - lr * wd
                _bump(p)
            if g.ndim > 1:
                row_var, col_var = state["row_var"]._data, state["col_var"]._data
                _lerp_(row_var, (g * g).sum(axis=-1, keepdims=True) / g.shape[-1],
                       one_minus_beta2_t)
                _lerp_(col_var, (g * g).sum(axis=-2, keepdims=True) / g.shape[-2],
                       one_minus_beta2_t)
                var_estimate = row_var @ col_var
                var_estimate /= np.maximum(row_var.mean(axis=-2, keepdims=True), eps1)
            else:
                variance = state["variance"]._data
                _lerp_(variance, g * g, one_minus_beta2_t)
                var_estimate = variance.copy()
            update = 1 / np.sqrt(np.maximum(var_estimate, eps1 * eps1))
            update *= g
            denom = max(1.0, float(np.linalg.norm(update.ravel())) / (update.size ** 0.5 * d))
            p._data += (-alpha / denom) * update
            _bump(p)
