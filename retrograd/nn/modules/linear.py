"""Identity and Linear."""
from __future__ import annotations

import math

from ... import _creation
from ..._grad_mode import no_grad
from ..._warn import warn
from .. import functional as F
from ..parameter import Parameter
from .module import Module

__all__ = ["Identity", "Linear"]


def _uniform_(tensor, low: float, high: float) -> None:
    """Fill ``tensor`` in place with U(low, high) drawn from retrograd's default generator.
    (nn.init.uniform_ does the same; it lives in another module of the package, which this one
    does not depend on.)"""
    with no_grad():
        tensor.copy_(_creation.rand(*tensor.shape, dtype=tensor.dtype) * (high - low) + low)


def _fan_in(weight) -> int:
    return weight.shape[1] if weight.ndim > 1 else weight.shape[0]


class Identity(Module):
    """Returns its input; takes (and ignores) any constructor arguments."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features).

    PyTorch's initialisation: W ~ kaiming_uniform(a=sqrt(5)), which is U(-1/sqrt(in_features),
    1/sqrt(in_features)), and b ~ U(-1/sqrt(in_features), 1/sqrt(in_features)). The numbers come
    from retrograd's generator, not PyTorch's.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None,
                 dtype=None) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_creation.empty((out_features, in_features), device=device,
                                                dtype=dtype))
        if bias:
            self.bias = Parameter(_creation.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        fan_in = _fan_in(self.weight)
        if self.weight.numel() == 0:
            warn("Initializing zero-element tensors is a no-op", UserWarning)
        else:
            # kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in)
            bound = math.sqrt(2.0 / 6.0) * math.sqrt(3.0 / fan_in)
            _uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            _uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
