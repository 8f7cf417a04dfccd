"""Saved tensors of backward nodes: what a node keeps for its formula (``SavedOutput`` for an
op's own result, ``_Packed`` for a tensor that went through a saved-tensor pack hook), the state
a released node keeps, and the per-thread stack of saved-tensor hooks. Part of ``node``: every name
here is importable from ``retrograd.autograd.node`` as before.
"""
from __future__ import annotations

import _thread  # (threading itself is not needed at import: its local and Lock are these)
import weakref

from .. import _dispatch
from .. import _grad_mode
from .._tensor import Tensor

ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")

_RELEASED = ()

# The per-thread stack of saved-tensor default hooks (autograd/graph.py: saved_tensors_hooks);
# ``node._hooks_pushed`` counts the pushed pairs over all threads.
_hooks_tls = _thread._local()
_INFERENCE_SAVE = (
    "Inference tensors cannot be saved for backward. Please do not use Tensors created in "
    "inference mode in computation tracked by autograd. To work around this, you can make a clone "
    "to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of "
    "`torch.inference_mode()`.")


class SavedOutput:
    """An op's own result, saved without a reference to the result Tensor (that would be a
    cycle tensor -> node -> tensor). Rebuilt as a Tensor on demand for double backward."""

    __slots__ = ("data", "version", "saved_version")

    def __init__(self, tensor):
        self.data = tensor._data
        self.version = tensor._vc
        self.saved_version = tensor._vc[0]


class _EmptySaved(tuple):
    """``_saved`` of a node that saved nothing but still counts as holding saved state (custom
    Functions): backward frees it, after which ``saved_tensors`` raises like PyTorch's."""
    __slots__ = ()


class _PackedSaved(tuple):
    """``_saved`` of a node that saved while saved-tensor hooks were set: constants as they are,
    tensors as ``_Packed`` entries (the pack hook's result). Unpacking goes through the hooks;
    like PyTorch, no version check is made then."""
    __slots__ = ()


class _Packed:
    """One tensor saved through a pack hook, with what is needed to rebuild a tensor that has the
    original's autograd identity (grad_fn / grad accumulator) around the unpacked data."""

    __slots__ = ("packed", "unpack_hook", "is_output", "grad_fn", "out_nr", "requires_grad",
                 "acc")

    def unpack(self, node, as_tensors: bool):
        res = self.unpack_hook(self.packed)
        if not isinstance(res, Tensor):
            raise TypeError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                            f"result of type {type(res).__name__}")
        if not as_tensors:
            return res._data
        if self.is_output:
            t = Tensor._make(res._data, node, True, res._vc)
        else:
            t = Tensor._make(res._data, self.grad_fn, self.requires_grad, res._vc)
            if self.grad_fn is None and self.acc is not None:
                acc = self.acc()
                if acc is not None:
                    t._extra().acc = self.acc
        if self.out_nr:
            t._extra().out_nr = self.out_nr
        return t


def _current_hooks():
    stack = getattr(_hooks_tls, "stack", None)
    return stack[-1] if stack else None


def _pack(node, t, is_output: bool, out_nr: int, hooks) -> _Packed:
    """Run the pack hook on ``t`` (grad mode off, as in PyTorch)."""
    pack_hook, unpack_hook = hooks
    version = t._vc[0]
    with _grad_mode.no_grad():
        packed = pack_hook(t)
    if t._vc[0] != version:
        raise RuntimeError(
            "A saved tensor pack hook is modifying its input in place. Tensors provided as input "
            "to pack hook cannot be modified by in-place operations as this can lead to "
            "unexpected side-effects. Please open an issue if you need to perform in-place "
            "operations on the input to a pack hook.")
    p = _Packed()
    p.packed, p.unpack_hook, p.is_output = packed, unpack_hook, is_output
    p.out_nr = out_nr
    p.requires_grad = t._requires_grad
    p.grad_fn = None if is_output else t.grad_fn
    acc = None
    if not is_output and t.grad_fn is None and t._requires_grad:
        acc = weakref.ref(t._grad_accumulator())
    p.acc = acc
    return p

def _out_nr_of(t) -> int:
    return 0 if t._x is None else t._x.out_nr


def _output_tensor(saved: SavedOutput, node):
    t = Tensor._make(saved.data, node, True)
    t._vc = saved.version
    hooks = _dispatch.forward_hooks()
    if hooks is not None:  # forward AD: the output's tangent goes with it
        hooks[1](t)
    return t
