"""The torch.* function namespace (torch.add, torch.sum, torch.cat, ...)."""
from __future__ import annotations

from .ops.indexing import nonzero  # noqa: F401
from .ops.linalg import dot, matmul, mm, mv  # noqa: F401
from .ops.pointwise import (abs, add, bitwise_and, bitwise_not, bitwise_or,  # noqa: F401,A004
                            bitwise_xor, clamp, clamp_max, clamp_min, cos, div, eq, exp,
                            floor_divide, ge, gt, isnan, le, log, logical_not, lt, maximum,
                            minimum, mul, ne, neg, pow, reciprocal, relu, remainder, rsub,
                            sigmoid, sign, sin, sqrt, sub, tanh, where)
from .ops.reduction import all, any, argmax, argmin, max, mean, min, sum  # noqa: F401,A004
from .ops.shape import (broadcast_to, cat, clone, concat, concatenate, expand,  # noqa: F401
                        flatten, flip, permute, reshape, squeeze, stack, t, transpose,
                        unbind, unsqueeze)
from ._tensor import Tensor as _Tensor

clip = clamp
subtract = sub
multiply = mul
divide = true_divide = div
negative = neg
absolute = abs
swapaxes = swapdims = transpose
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def is_tensor(obj) -> bool:
    return isinstance(obj, _Tensor)


def numel(input) -> int:
    return input.numel()


def is_floating_point(input) -> bool:
    return input.is_floating_point()


def equal(input, other) -> bool:
    import numpy as np
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    import numpy as np
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as np
    from .ops._util import wrap
    return wrap(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


def detach(input):
    return input.detach()


def result_type(tensor1, tensor2):
    from ._dtype import result_type as rt
    return rt(tensor1, tensor2)


# Ops registered with @export (retrograd/ops/_registry.py) join this namespace.
from .ops._registry import FUNCTIONS as _REGISTERED  # noqa: E402

globals().update(_REGISTERED)
