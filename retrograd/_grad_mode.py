"""Grad mode: the one piece of global state, kept per thread and per asyncio task (ContextVar).

A new thread starts with grad enabled, as in PyTorch. The context managers double as decorators;
on a generator they re-apply the mode at every resume, like torch's ``_DecoratorContextManager``.
"""
from __future__ import annotations

import contextvars
import functools
import inspect

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
           "is_inference_mode_enabled"]

_grad_enabled = contextvars.ContextVar("retrograd_grad_enabled", default=True)
_inference = contextvars.ContextVar("retrograd_inference_mode", default=False)

# Bound method lookup once: the hot path of every op asks this.
is_grad_enabled = _grad_enabled.get


def is_inference_mode_enabled() -> bool:
    return _inference.get()


def _set_grad_enabled(mode: bool) -> None:
    _grad_enabled.set(bool(mode))


# True while a JVP is computed as a double VJP (func.jvp, forward AD's fallback): J t is read off
# the derivative of J^T v in v, so a backward kernel PyTorch leaves without a derivative
# (hardsigmoid_backward records NotImplemented) must stay differentiable in v there.
double_vjp = contextvars.ContextVar("retrograd_double_vjp", default=False)


class _DecoratorContextManager:
    """Base: subclasses define ``__enter__``/``__exit__``; this adds decorator support."""

    def clone(self):
        return self.__class__()

    def __call__(self, func):
        if inspect.isclass(func):
            raise RuntimeError("Decorating classes is not supported")
        if inspect.isgeneratorfunction(func):
            return self._wrap_generator(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            gen = func(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as exc:
                        with self.clone():
                            response = gen.throw(exc)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return wrapper


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Allows the bare decorator form: ``@no_grad`` as well as ``@no_grad()``."""

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Disable graph recording inside the block (factories given requires_grad=True still
    return leaves that require grad)."""

    def __init__(self) -> None:
        self._prev = True

    def __enter__(self) -> None:
        self._prev = _grad_enabled.get()
        _grad_enabled.set(False)

    def __exit__(self, *exc) -> None:
        _grad_enabled.set(self._prev)


class enable_grad(_NoParamDecoratorContextManager):
    """Enable graph recording inside the block (e.g. within no_grad)."""

    def __init__(self) -> None:
        self._prev = True

    def __enter__(self) -> None:
        self._prev = _grad_enabled.get()
        _grad_enabled.set(True)

    def __exit__(self, *exc) -> None:
        _grad_enabled.set(self._prev)


class set_grad_enabled(_DecoratorContextManager):
    """Set grad mode; takes effect at once when called as a function, like torch's."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError("set_grad_enabled(): argument 'enabled' (position 1) must be bool, "
                            f"not {type(mode).__name__}")
        self._prev = _grad_enabled.get()
        self.mode = mode
        _grad_enabled.set(self.mode)

    def __call__(self, func):
        # Used as a decorator: undo the immediate effect of the constructor first.
        _grad_enabled.set(self._prev)
        return super().__call__(func)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc) -> None:
        _grad_enabled.set(self._prev)

    def clone(self):
        return self.__class__(self.mode)


class inference_mode(_DecoratorContextManager):
    """Like no_grad (retrograd has no separate inference tensors), and reported by
    ``is_inference_mode_enabled``."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self._prev = (True, False)

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # bare @inference_mode on a function

    def __enter__(self) -> None:
        # As in PyTorch, inference_mode(False) enables grad even inside no_grad.
        self._prev = (_grad_enabled.get(), _inference.get())
        _grad_enabled.set(not self.mode)
        _inference.set(self.mode)

    def __exit__(self, *exc) -> None:
        _grad_enabled.set(self._prev[0])
        _inference.set(self._prev[1])

    def clone(self):
        return self.__class__(self.mode)
