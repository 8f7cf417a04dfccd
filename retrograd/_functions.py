"""The torch.* function namespace (torch.add, torch.sum, torch.cat, ...)."""
from __future__ import annotations

from ._dispatch import public
from ._tensor import Tensor as _Tensor
import numpy as np

from .ops._util import broadcast_error, wrap
from ._dtype import from_numpy_dtype, result_type as rt


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
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


@public
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    for pos, name, t in ((1, "input", input), (2, "other", other)):
        if not isinstance(t, _Tensor):
            raise TypeError(f"isclose(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(t).__name__}")
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"{from_numpy_dtype(a.dtype)._legacy[:-6]} did not match "
                           f"{from_numpy_dtype(b.dtype)._legacy[:-6]}")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if tol < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {tol:g}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    return wrap(np.broadcast_to(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan),
                                shape).copy())


@public(vmap='passthrough')
def detach(input):
    return input.detach()


@public
def result_type(tensor1, tensor2):
    return rt(tensor1, tensor2)


# Ops registered with @export (retrograd/ops/_registry.py) join this namespace.
from .ops._registry import FUNCTIONS as _REGISTERED  # noqa: E402

globals().update(_REGISTERED)


def __getattr__(name: str):
    """The ops of the op families that load on first use (``retrograd.ops.load_families``):
    ``_functions.sort``, ``_functions._pack_padded_sequence``, ... load them, then are plain
    globals."""
    from .ops import load_families, load_family_of
    if not name.startswith("__") and name not in _REGISTERED and \
            not (load_family_of(name) and name in _REGISTERED):
        load_families()
    try:
        fn = globals()[name] = _REGISTERED[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return fn
