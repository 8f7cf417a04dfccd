"""nn.Parameter and nn.Buffer: tensors that a Module registers when they are assigned to it.

A Parameter is a real ``Tensor`` subclass (``type(p) is Parameter``); the ops accept it like any
tensor and return plain Tensors, as in PyTorch (``p * 2`` is a Tensor). A Buffer, as in
PyTorch 2.13, is not a class of its own at run time: ``Buffer(t)`` returns a plain Tensor
marked as a buffer, and ``isinstance(x, Buffer)`` tests the mark.
"""
from __future__ import annotations

from .._tensor import Tensor, _Extra
from .._creation import empty
from .. import _dispatch
from .._tensor import Size
from .. import _dtype as D

__all__ = ["Parameter", "Buffer", "is_lazy", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin"]

_new = object.__new__


def _alias(cls, data: Tensor, requires_grad: bool) -> Tensor:
    """A leaf of class ``cls`` sharing ``data``'s storage and version counter (PyTorch's
    ``Tensor._make_subclass``)."""
    if requires_grad and data._data.dtype.kind not in "fc":
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t = _new(cls)
    t._data = data._data
    t._grad_fn = None
    t._requires_grad = bool(requires_grad)
    t._grad = None
    t._vc = data._vc
    t._x = None
    t._fw = None
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
    """Whether ``param`` is an uninitialized (lazy) parameter or buffer."""
    return isinstance(param, UninitializedTensorMixin)


# -- uninitialized parameters and buffers (the lazy modules' placeholders) ----------------------
_SLOT = Tensor.__dict__["_data"]   # the storage slot, read past the mixin's guard


def _op_in_progress():
    """The public name of the outermost op being called (a dispatch wrapper frame), or None."""
    import sys
    f, name = sys._getframe(2), None
    while f is not None:
        code = f.f_code
        if code.co_name == "w" and code.co_filename == _dispatch.__file__:
            info = f.f_locals.get("info")
            if info is not None:
                name = info.name
        f = f.f_back
    return name


def _uninitialized_use(cls_name: str, op, method: bool = False) -> ValueError:
    if op.startswith("__") or method:   # an operator: torch names the Tensor method behind it
        name = op if method else op.strip("_")
        what = f"<method '{name}' of 'torch._C.TensorBase' objects>"
    else:
        what = f"<built-in function {op}>"
    return ValueError(f"Attempted to use an uninitialized parameter in {what}. This error "
                      "happens when you are using a `LazyModule` or explicitly manipulating "
                      f"`torch.nn.parameter.{cls_name}` objects. When using LazyModules Call "
                      "`forward` with a dummy batch to initialize the parameters before calling "
                      "torch functions")


_SHAPE_ERROR = ("Can't access the shape of an uninitialized parameter or buffer. This error "
                "usually happens in `load_state_dict` when trying to load an uninitialized "
                "parameter into an initialized one. Call `forward` to initialize the parameters "
                "before accessing their attributes.")


class UninitializedTensorMixin:
    """Guards an uninitialized tensor: any op on it raises PyTorch's ValueError; its shape
    raises; size(), dtype, device, requires_grad and ``materialize`` work."""
    __slots__ = ()

    @property
    def _data(self):
        op = _op_in_progress()
        if op is None:   # metadata read outside an op (ndim, numel, ...): the shape error
            raise RuntimeError(_SHAPE_ERROR)
        raise _uninitialized_use(type(self).__name__, op)

    @_data.setter
    def _data(self, value) -> None:
        _SLOT.__set__(self, value)

    def _raw(self):
        return _SLOT.__get__(self, type(self))

    @property
    def shape(self):
        op = _op_in_progress()
        if op is not None:
            raise _uninitialized_use(type(self).__name__, op)
        raise RuntimeError(_SHAPE_ERROR)

    def size(self, dim=None):
        return Size(self._raw().shape) if dim is None else self._raw().shape[dim]

    @property
    def dtype(self):
        return D._NP_TO_DTYPE[self._raw().dtype]

    def is_floating_point(self) -> bool:
        return self._raw().dtype.kind == "f"

    def is_complex(self) -> bool:
        return False

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Become a real (uninitialised) tensor of ``shape``: a Parameter, or a plain tensor."""
        dtype = self.dtype if dtype is None else dtype
        _SLOT.__set__(self, empty(shape, dtype=dtype)._data)
        self.__class__ = self.cls_to_become

    # conversions (allowed on placeholders, as in torch): Module.to/double/half convert them
    def _converted(self, dtype):
        dtype = self.dtype if dtype is None else dtype
        if isinstance(self, Parameter):   # Module._apply assigns it to ``param.data``
            return empty(0, dtype=dtype)
        if dtype == self.dtype:
            return self
        return type(self)(self.requires_grad, None, dtype, self.persistent)

    def to(self, *args, **kwargs):
        dtype = kwargs.get("dtype")
        for a in args:
            if isinstance(a, D.dtype):
                dtype = a
            elif isinstance(a, Tensor):
                dtype = a.dtype
        return self._converted(dtype)

    def double(self, memory_format=None):
        return self._converted(D.float64)

    def float(self, memory_format=None):
        return self._converted(D.float32)

    def half(self, memory_format=None):
        return self._converted(D.float16)

    def cpu(self, memory_format=None):
        return self._converted(None)

    def requires_grad_(self, requires_grad=True):
        raise _uninitialized_use(type(self).__name__, "requires_grad_", method=True)

    def copy_(self, src, non_blocking=False):
        """Loading one placeholder into another (a lazy checkpoint into a lazy module)."""
        if is_lazy(src):
            return self
        return super().copy_(src, non_blocking)

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call "
                           "`forward` to initialize the parameters before calling "
                           "`module.share_memory()`.")

    def __repr__(self, *args, **kwargs) -> str:
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        return _alias(cls, empty(0, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, self.dtype)
        memo[id(self)] = result
        return result


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy norm's running statistics)."""
    __slots__ = ()   # the layout of Tensor, so that materialize can turn it into one

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        t = _alias(cls, empty(0, dtype=dtype), requires_grad)
        t._extra().buffer = bool(persistent)
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, None, self.dtype, self.persistent)
        memo[id(self)] = result
        return result
