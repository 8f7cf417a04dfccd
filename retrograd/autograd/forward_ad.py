"""Forward-mode AD: dual tensors, ``make_dual`` / ``unpack_dual`` inside a ``dual_level``.

A dual tensor is an ordinary Tensor with a *tangent* remembered for it in the current level. Every
op called on a dual tensor computes its result as usual and, next to it, the tangent of the
result: the Jacobian-vector product ``J t`` of that op along the tangents of its dual inputs.

Where the tangents come from
----------------------------
Each op declares its forward-mode rule beside its backward (``Node.jvp``: ELEMENTWISE, LINEAR or
a formula; ``_jvp_rules``). Ops without one, tangents that must carry a graph, and in-place ops
take the double-VJP fallback (``_double_vjp``), which derives ``J t`` from the op's
differentiable backward formula. Forward AD ignores grad mode, as in PyTorch; tangents require
grad exactly when PyTorch's do, and are then differentiable (reverse-over-forward works).

Special cases follow PyTorch's semantics: an op returning one of its inputs keeps that input's
tangent; a view of a dual tensor gets, as tangent, the same view of its tangent (so in-place
changes of either are seen by both; a view taken before its base got a tangent reads it when
first asked); an in-place op updates the tangent of the tensor it writes, in place (a view
written into gets a tangent that is a view of its base's tangent).

The code: this module is the public API; ``_dual`` holds the level's state (a dual tensor keeps
its tangent in its own ``_fw`` slot, with the level, which clears it at its exit);
``_fwd_dispatch`` is the dispatch mode that sends each op call to a plan, a rule, the view path or
the fallback; ``_jvp_rules`` applies the rules; ``_double_vjp`` is the fallback.

How ops are reached
-------------------
While a level is open, a dispatch mode (``retrograd._dispatch``) sees every call of a public op
entry point (``Tensor`` methods and operators, the functions of ``retrograd``,
``retrograd.linalg``, ``special``, ``fft``, ``nn.functional``): the entry points are wrappers
made once at import, so a reference bound at any time (``from retrograd import exp``) computes
tangents. The ops of a differentiable backward pass (``create_graph=True``) go through the same
dispatch, so a gradient computed from dual tensors inside a level has a tangent
(forward-over-reverse: Hessian-vector products, ``gradgradcheck(check_fwd_over_rev=True)``).

Not supported (a known difference from PyTorch, not a silent approximation of it):

* nested levels (PyTorch refuses them too, with the same error);
* an in-place write into a view whose base's tangent has another dtype or memory layout than the
  base (NotImplementedError);
* the ``out=`` argument of ops;
* a warning raised by an op on dual inputs points at this module's wrapper, not at the caller's
  line (it is raised once, as in PyTorch).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .. import _dispatch as _dsp
from .. import _grad_mode
from .._grad_mode import _DecoratorContextManager
from .._tensor import Tensor
from ._double_vjp import jvp_by_double_vjp, reaches_outside  # noqa: F401 (used from here)
from ._dual import (_current_level, _get, _Level, _level, _remember_output,  # noqa: F401
                    _restore_saved_output, _set, _suspend)
from ._fwd_dispatch import _MODE
from ._record import make_node, needs_grad1, wrap_view
from .node import Node

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual",
           "unpack_dual", "dual_level"]


class UnpackedDualTensor(NamedTuple):
    r"""Namedtuple returned by :func:`unpack_dual` containing the primal and tangent components of
    the dual tensor."""

    primal: Any
    tangent: Any


def enter_dual_level():
    """Enter a new forward grad level (only one may be open at a time, as in PyTorch; per
    thread)."""
    if _current_level() >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _level.set(_Level(0))
    _install()
    return 0


def exit_dual_level(*, level=None):
    """Exit the forward grad level: every tangent of the level is deleted."""
    current = _current_level()
    if level is None:
        level = current
    if level != current:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was "
                           "created. This is not supported.")
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    _uninstall()
    lv = _level.get()
    _level.set(None)
    if lv is not None:
        lv.close()


class dual_level(_DecoratorContextManager):
    """Context manager: all forward AD computation happens inside a ``dual_level``."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        exit_dual_level()


def make_dual(tensor, tangent, *, level=None):
    """A new tensor aliasing ``tensor`` (a view of it) whose tangent is ``tangent``."""
    if level is None:
        level = _current_level()
    if level < 0:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.")
    if not tensor.is_floating_point():
        raise ValueError(f"Expected primal to be floating point or complex, but got: {tensor.dtype}")
    if not tangent.is_floating_point():
        raise ValueError(f"Expected tangent to be floating point or complex, but got: "
                         f"{tangent.dtype}")
    if level != _current_level():
        raise RuntimeError("Invalid level given to _make_dual")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual(): expected Tensors")
    if tensor._data.shape != tangent._data.shape:
        raise RuntimeError(
            "Trying to set a forward gradient that has a different size than that of the original "
            f"Tensor, this is not supported. Tensor is of size {list(tensor._data.shape)} while the "
            f"given forward gradient is of size {list(tangent._data.shape)}.")
    if _get(tensor) is not None:
        raise RuntimeError("Making a dual Tensor based on a Tensor that already has a forward "
                           f"gradient at the same level {level} is not supported.")
    with _suspend():
        dual = tensor.view(tensor._data.shape)
    if _grad_mode.is_inference_mode_enabled():
        return dual  # inference mode computes no forward gradients
    _set(dual, _same_layout(tangent, tensor))
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)`` of a dual tensor: the primal is a view of ``tensor`` without
    tangent; the tangent is the tensor's tangent as it is (None if it has none)."""
    if level is None:
        level = _current_level()
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError("_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    tangent = _get(tensor)
    if level != _current_level():
        if tangent is not None:
            raise RuntimeError("Invalid level given to _fw_primal")
        tangent = None
    return UnpackedDualTensor(_primal_view(tensor), tangent)


class Identity(Node):
    """The node of ``unpack_dual(x).primal`` (PyTorch's ``torch::autograd::Identity``): the
    gradient passes through unchanged."""

    __slots__ = ()

    def name(self) -> str:
        return "torch::autograd::Identity"

    def backward(self, ns, grad):
        return (grad,)


def _primal_view(tensor):
    """A view of ``tensor`` without tangent, whose grad_fn (when it needs one) is Identity."""
    data = tensor._data.view()
    if needs_grad1(tensor):
        return wrap_view(data, make_node(Identity, (tensor,), data), tensor)
    return wrap_view(data, None, tensor)


def _same_layout(tangent, primal):
    """PyTorch stores the tangent as it is when it has the primal's memory layout, else a copy
    laid out like the primal."""
    a, p = tangent._data, primal._data
    if a.ndim == 0 or _elem_strides(a) == _elem_strides(p):
        return tangent
    if tangent.requires_grad:
        with _suspend():
            return tangent.clone()
    out = np.empty_like(p, dtype=a.dtype)
    out[...] = a
    return Tensor._make(out)


def _elem_strides(a) -> tuple:
    return tuple(s // a.itemsize for s, n in zip(a.strides, a.shape) if n != 1)


def _install() -> None:
    _dsp.push_mode(_MODE)
    _dsp.set_forward_hooks((_get, _restore_saved_output))


def _uninstall() -> None:
    _dsp.pop_mode(_MODE)
    _dsp.set_forward_hooks(None)


def _custom_function_jvp(ctx, result, tangents) -> None:
    """Give a custom Function's outputs the tangents its ``jvp(ctx, *tangents)`` returns
    (``ctx.saved_tensors`` is what ``save_for_forward`` saved, while it runs)."""
    outs = result if isinstance(result, tuple) else (result,)
    ctx._in_jvp = True
    try:
        with _suspend():
            jvps = ctx.apply_jvp(*tangents)
    finally:
        ctx._in_jvp = False
    if not isinstance(jvps, tuple):
        jvps = (jvps,)
    if len(jvps) != len(outs):
        raise RuntimeError(f"Function's jvp returned an invalid number of forward gradients "
                           f"(expected {len(outs)} but got {len(jvps)})")
    non_diff = {id(t) for t in (ctx.non_differentiable or ())}
    for o, t in zip(outs, jvps):
        if not isinstance(o, Tensor) or t is None or id(o) in non_diff or o._data.dtype.kind != "f":
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor or None as the jvp's result, got "
                            f"{type(t).__name__}")
        if t._data.shape != o._data.shape:
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(o._data.shape)} "
                f"while the given forward gradient is of size {list(t._data.shape)}.")
        if _get(o) is not t:
            _set(o, t)
            if o.grad_fn is not None:
                _remember_output(o, t)
