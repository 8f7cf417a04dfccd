"""nn.Parameter and nn.Buffer: tensors that a Module registers when they are assigned to it.

A Parameter is a real ``Tensor`` subclass (``type(p) is Parameter``); the ops accept it like any
tensor and return plain Tensors, as in PyTorch (``p * 2`` is a Tensor). A Buffer, as in
PyTorch 2.13, is not a class of its own at run time: ``Buffer(t)`` returns a plain Tensor
marked as a buffer, and ``isinstance(x, Buffer)`` tests the mark.
"""
from __future__ import annotations

from .._tensor import Tensor, _Extra
from .._creation import empty

__all__ = ["Parameter", "Buffer", "is_lazy"]

_new = object.__new__


def _alias(cls, data: Tensor, requires_grad: bool) -> Tensor:
    """A leaf of class ``cls`` sharing ``data``'s storage and version counter (PyTorch's
    ``Tensor._make_subclass``)."""
    if requires_grad and data._data.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t = _new(cls)
    t._data = data._data
    t.grad_fn = None
    t._requires_grad = bool(requires_grad)
    t._grad = None
    t._vc = data._vc
    t._x = None
    return t


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigned as a Module attribute, it is registered and
    appears in ``parameters()``. ``requires_grad`` defaults to True, even under ``no_grad``."""

    # no __slots__: like any torch tensor, a Parameter takes arbitrary attributes

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = empty(0)
        if not isinstance(data, Tensor):
            data.detach()  # PyTorch's error: "'list' object has no attribute 'detach'"
        return _alias(cls, data, requires_grad)

    def __init__(self, data=None, requires_grad=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        # as in PyTorch: the data is cloned, the gradient is not copied
        result = type(self)(Tensor._make(self._data.copy()), self._requires_grad)
        memo[id(self)] = result
        return result

    def __repr__(self, *, tensor_contents=None) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__


class _BufferMeta(type):
    def __instancecheck__(cls, instance) -> bool:
        if cls is Buffer:
            return isinstance(instance, Tensor) and _buffer_mark(instance) is not None
        return super().__instancecheck__(instance)


class Buffer(Tensor, metaclass=_BufferMeta):
    """A Tensor that is a module buffer (state that is not a parameter, such as BatchNorm's
    running mean): assigned as a Module attribute, it is registered and appears in
    ``buffers()``; ``persistent=False`` keeps it out of ``state_dict``."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t._extra().buffer = bool(persistent)
        return t


def _buffer_mark(t: Tensor):
    """A tensor made by ``Buffer``: its ``persistent`` flag; any other tensor: None."""
    x = t._x
    return None if x is None else getattr(x, "buffer", None)


def _get_persistent(self):
    mark = _buffer_mark(self)
    if mark is None:
        raise AttributeError("'Tensor' object has no attribute 'persistent'")
    return mark


def _set_persistent(self, value) -> None:
    self._extra().buffer = value


# ``Buffer(t).persistent`` as in PyTorch, where Buffer sets that attribute on the tensor. The
# mark lives in the tensor's rarely used extra state, so plain tensors pay nothing for it.
if "buffer" not in _Extra.__slots__:  # pragma: no cover - _tensor.py declares it
    raise ImportError("retrograd._tensor._Extra lacks the 'buffer' slot")
Tensor.persistent = property(_get_persistent, _set_persistent)


def is_lazy(param) -> bool:
    """Whether ``param`` is an uninitialized (lazy) parameter: never, retrograd has no lazy
    modules (PyTorch's UninitializedParameter is not implemented)."""
    return False
