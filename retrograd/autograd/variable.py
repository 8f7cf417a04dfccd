"""``torch.autograd.Variable``: the pre-0.4 wrapper, kept by PyTorch for old scripts. Calling it
returns a plain Tensor (sharing storage and version counter with ``data``, with no history);
``isinstance(t, Variable)`` is true for every tensor."""
from __future__ import annotations

from .. import _warn
from .._creation import empty
from .._tensor import Tensor

__all__ = ["Variable"]


class VariableMeta(type):
    def __instancecheck__(cls, other) -> bool:
        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    """``Variable(data=None, requires_grad=False, volatile=False)`` -> Tensor."""

    def __new__(cls, *args, **kwargs):
        if len(args) > 3:
            raise TypeError(f"Variable() takes at most 3 arguments ({len(args)} given)")
        params = dict(zip(("data", "requires_grad", "volatile"), args))
        for k, v in kwargs.items():
            if k not in ("data", "requires_grad", "volatile") or k in params:
                raise TypeError(f"'{k}' is an invalid keyword argument for this function")
            params[k] = v
        data = params.get("data")
        requires_grad = params.get("requires_grad", False)
        volatile = params.get("volatile", False)
        for v in (requires_grad, volatile):
            if not isinstance(v, int):
                raise TypeError(f"'{type(v).__name__}' object cannot be interpreted as an integer")
        if volatile:
            _warn.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                       "instead.", UserWarning)
            if requires_grad:
                raise ValueError("Variable can't be volatile and require_grad at the same time!")
        if data is None:
            data = empty(0)
        elif not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            if out._data.dtype.kind not in "fc":
                raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                                   "gradients")
            out._requires_grad = True
        return out


Variable.__module__ = "torch.autograd.variable"
VariableMeta.__module__ = "torch.autograd.variable"
