"""The torch.* function namespace (torch.add, torch.sum, torch.cat, ...)."""
from __future__ import annotations

from ._dispatch import public
from ._tensor import Tensor as _Tensor
from .ops._util import wrap
from ._dtype import result_type as rt


@public(vmap='passthrough')
def is_tensor(obj) -> bool:
    return isinstance(obj, _Tensor)


def _tensor_arg(name: str, input) -> None:
    if not isinstance(input, _Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


@public(vmap='passthrough')
def numel(input) -> int:
    _tensor_arg("numel", input)
    return input.numel()


@public(vmap='passthrough')
def is_floating_point(input) -> bool:
    _tensor_arg("is_floating_point", input)
    return input.is_floating_point()


def is_storage(obj) -> bool:
    return False  # retrograd has no Storage objects


@public
def equal(input, other) -> bool:
    import numpy as np
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


@public
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    import numpy as np
    return bool(np.allclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@public
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    import numpy as np
    return wrap(np.isclose(input._data, other._data, rtol=rtol, atol=atol, equal_nan=equal_nan))


@public(vmap='passthrough')
def detach(input):
    return input.detach()


@public
def result_type(tensor1, tensor2):
    return rt(tensor1, tensor2)


# Ops registered with @export (retrograd/ops/_registry.py) join this namespace.
from .ops._registry import FUNCTIONS as _REGISTERED  # noqa: E402

globals().update(_REGISTERED)
