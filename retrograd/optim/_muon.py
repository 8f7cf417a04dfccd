"""Muon (momentum orthogonalized by Newton-Schulz), as torch.optim.Muon, for 2-D parameters.

PyTorch runs the Newton-Schulz iteration in bfloat16. NumPy has no bfloat16, so the iteration
runs in float32 with every intermediate rounded to bfloat16 (round to nearest even), the way
PyTorch's CPU kernels round their float32-accumulated results.
"""
from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, _bump, _closure_loss, _lerp_, _scalar
from .._grad_mode import no_grad
from .._tensor import Tensor

__all__ = ["Muon"]

EPS = 1e-7
DEFAULT_A = 3.4445
DEFAULT_B = -4.775
DEFAULT_C = 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(x) -> np.ndarray:
    """Round to the nearest bfloat16 (8 significant bits, ties to even), held in float32."""
    mantissa, exponent = np.frexp(np.asarray(x, dtype=np.float64))
    return np.ldexp(np.round(mantissa * 256.0) / 256.0, exponent).astype(np.float32)


def _zeropower_via_newtonschulz(grad: np.ndarray, ns_coefficients, ns_steps: int,
                                eps: float) -> np.ndarray:
    """An approximately orthogonal matrix with grad's singular vectors (quintic iteration)."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if grad.ndim != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = (np.float32(v) for v in ns_coefficients)
    x = _bf16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(np.sqrt(np.sum(x * x, dtype=np.float32)))
    x = _bf16(x / max(norm, _bf16(eps)))
    for _ in range(ns_steps):
        gram = _bf16(x @ x.T)
        gram_update = _bf16(b * gram + c * (gram @ gram))
        x = _bf16(a * x + gram_update @ x)
    return x.T if tall else x


def _adjust_lr(lr: float, adjust_lr_fn, shape) -> float:
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """b <- lerp(b, g, 1-momentum); u = NS(lerp(g, b, momentum) if nesterov else b);
    p <- p*(1 - lr*weight_decay) - lr*ratio(shape)*u."""

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS,
                 ns_steps=DEFAULT_NS_STEPS, adjust_lr_fn=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ["original", "match_rms_adamw"]:
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                        adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a "
                                     f"parameter with size: {p.size()}")

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
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = Tensor._make(np.zeros_like(p._grad._data))
        lr, wd, momentum = _scalar(group["lr"]), group["weight_decay"], group["momentum"]
        for p in params:
            g = p._grad._data
            if g.ndim != 2:
                raise ValueError("Param gradient must be a 2D matrix")
            buf = self.state[p]["momentum_buffer"]._data
            _lerp_(buf, g, 1 - momentum)
            if group["nesterov"]:
                update = g.copy()
                _lerp_(update, buf, momentum)
            else:
                update = buf
            update = _zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                                 group["ns_steps"], group["eps"])
            adjusted_lr = _adjust_lr(lr, group["adjust_lr_fn"], p.shape)
            p._data *= 1 - lr * wd
            p._data += -adjusted_lr * update.astype(p._data.dtype, copy=False)
            _bump(p, p)
