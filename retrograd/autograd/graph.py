"""The graph's public pieces: ``Node`` (the base class of every ``grad_fn``), saved-tensor hooks,
multi-tensor gradient hooks and ``increment_version``."""
from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections import defaultdict

import numpy as np

from .. import _dispatch
from .._tensor import Tensor
from . import node as _node
from ._record import OPS, edge
from .engine import GradientEdge
from .node import AccumulateGrad, Node  # noqa: F401
from .engine import current_graph_task_id
from .engine import will_engine_execute_node

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "register_multi_grad_hook", "Node", "increment_version", "GradientEdge",
           "get_gradient_edge", "allow_mutation_on_saved_tensors"]


def get_gradient_edge(tensor) -> GradientEdge:
    """Get the gradient edge for computing the gradient of the given Tensor.

    In particular, it is equivalent to call
    ``g = autograd.grad(loss, input)`` and ``g = autograd.grad(loss, get_gradient_edge(input))``.
    """
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does "
                           "not require gradients")
    node, nr = edge(tensor)
    return GradientEdge(node, nr)


# -- saved tensor hooks ---------------------------------------------------------------------------
def _hooks_state():
    tls = _node._hooks_tls
    if not hasattr(tls, "stack"):
        tls.stack = []
        tls.disabled_message = None
    return tls


class saved_tensors_hooks:
    """Context manager that sets a pair of pack / unpack hooks for saved tensors.

    Inside it, every tensor an operation saves for backward (inputs, outputs, and what custom
    Functions give ``save_for_backward``) is passed to ``pack_hook`` (under no_grad), and the
    graph keeps what it returns instead; ``unpack_hook`` turns that back into a tensor when
    backward (or ``grad_fn._saved_*``) needs it. Nested: only the innermost pair applies.
    """

    def __init__(self, pack_hook, unpack_hook) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> None:
        state = _hooks_state()
        if state.disabled_message is not None:
            raise RuntimeError(state.disabled_message)
        with _node._hooks_lock:
            state.stack.append((self.pack_hook, self.unpack_hook))
            _node._hooks_pushed += 1

    def __exit__(self, *args) -> None:
        state = _hooks_state()
        with _node._hooks_lock:
            state.stack.pop()
            _node._hooks_pushed -= 1


class save_on_cpu(saved_tensors_hooks):
    """Saved tensors are stored on the CPU and moved back to their device for backward. All of
    retrograd's tensors live on the CPU, so (as PyTorch does for CPU tensors) nothing is copied:
    pack keeps ``(device, tensor.cpu())``, unpack returns ``tensor.to(device)``."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor):
            return (tensor.device, tensor.cpu())

        def unpack_from_cpu(packed):
            device, tensor = packed
            return tensor.to(device, non_blocking=pin_memory)

        super().__init__(pack_to_cpu, unpack_from_cpu)


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message: str):
    """Inside it, setting saved-tensor hooks raises ``RuntimeError(error_message)``."""
    state = _hooks_state()
    prev = state.disabled_message
    try:
        state.disabled_message = error_message
        yield
    finally:
        state.disabled_message = prev


# -- versions -------------------------------------------------------------------------------------
def increment_version(tensor) -> None:
    """Mark ``tensor`` (or each tensor of an iterable) as modified in place, for the saved-tensor
    version checks (for changes autograd cannot see, e.g. through ``.numpy()``)."""
    if isinstance(tensor, Tensor):
        tensor = (tensor,)
    try:
        tensors = list(tensor)
    except TypeError:
        raise RuntimeError("increment_version expect a Iterable[Tensor] as input") from None
    for t in tensors:
        if not isinstance(t, Tensor):
            raise RuntimeError("increment_version expect a Iterable[Tensor] as input")
        if t.is_inference():
            continue
        OPS.bump_version(t)


# -- multi-tensor gradient hooks ------------------------------------------------------------------
class _MultiHandle:
    """Removes the hooks that one ``register_multi_grad_hook`` call registered."""

    def __init__(self, handles) -> None:
        self.handles = handles

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        self.remove()


def _grad_fn_or_grad_acc(t):
    node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
    if node is None:
        raise AssertionError("Expected gradient function to be set")
    return node


def register_multi_grad_hook(tensors, fn, *, mode: str = "all"):
    """Call ``fn`` once per backward call with the gradients of ``tensors``.

    ``mode="all"``: after the gradient of every one of ``tensors`` that this backward call will
    compute has been computed; ``fn(grads)`` gets None for the others. ``mode="any"``: at the first
    of them, ``fn(grad)``."""
    supported_modes = ("all", "any")
    lock = threading.Lock()
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")

    if mode == "all":
        count: dict = {}
        buffer: dict = {}
        nb_calls = None
        grad_fns = [_grad_fn_or_grad_acc(t) for t in tensors]
        n = len(tensors)

        def get_inner_hook(idx):
            def inner_hook(grad):
                nonlocal nb_calls
                task_id = current_graph_task_id()
                if task_id == -1:
                    raise AssertionError("expected this hook to be called inside a backward call")
                count[task_id] = count.get(task_id, 0)
                buffer[task_id] = buffer.get(task_id, [None] * n)
                with lock:
                    curr, count[task_id] = count[task_id], count[task_id] + 1
                    if curr == 0:
                        nb_calls = sum(map(will_engine_execute_node, grad_fns))
                buffer[task_id][idx] = grad
                if curr == nb_calls - 1:
                    fn(buffer[task_id])
                    del count[task_id]
                    del buffer[task_id]
            return inner_hook

        handles = tuple(t.register_hook(get_inner_hook(i)) for i, t in enumerate(tensors))
    else:
        ran_hook: dict = defaultdict(bool)

        @functools.wraps(fn)
        def wrapped_fn(grad):
            task_id = current_graph_task_id()
            if task_id == -1:
                raise AssertionError("expected this hook to be called inside a backward call")
            with lock:
                prev, ran_hook[task_id] = ran_hook[task_id], True
            if prev:
                return
            fn(grad)

        handles = tuple(t.register_hook(wrapped_fn) for t in tensors if t.requires_grad)
    return _MultiHandle(handles)


# -- allow_mutation_on_saved_tensors --------------------------------------------------------------
class _Handle:
    """What the graph keeps for one saved tensor inside ``allow_mutation_on_saved_tensors``."""

    __slots__ = ("__weakref__",)


class _AllowMutationOnSavedContext:
    """The state of one ``allow_mutation_on_saved_tensors`` context: the saved tensors (by the
    handle the graph keeps, weakly: an entry goes with its graph), which storage each one uses,
    and the copies made of those that were about to be modified in place."""

    def __init__(self) -> None:
        self.original = weakref.WeakKeyDictionary()   # handle -> saved tensor
        self.cloned = weakref.WeakKeyDictionary()     # handle -> its value before a mutation
        self.sid_to_handles: dict = defaultdict(weakref.WeakSet)  # storage -> handles

    def clear(self) -> None:
        self.original.clear()
        self.cloned.clear()
        self.sid_to_handles.clear()

    # the saved-tensor hooks
    def pack(self, tensor):
        handle = _Handle()
        self.original[handle] = tensor
        self.sid_to_handles[id(tensor._vc)].add(handle)
        return handle

    def unpack(self, handle):
        if handle not in self.original:
            # (sic: PyTorch 2.13's message lacks the space)
            raise AssertionError("Trying to backward outside of the "
                                 "'allow_mutation_on_saved_tensors' contextin which the graph "
                                 "was originally recorded.")
        cloned = self.cloned.get(handle)
        return cloned if cloned is not None else self.original[handle]

    # before an in-place op writes ``tensor``: copy the saved tensors on its storage
    def before_mutation(self, tensor) -> None:
        handles = self.sid_to_handles.get(id(tensor._vc))
        if not handles:
            return
        for handle in list(handles):
            if handle in self.cloned:
                continue
            orig = self.original.get(handle)
            if orig is not None:
                copy = Tensor._make(np.array(orig._data, copy=True))
                self.cloned[handle] = copy


class _CloneBeforeMutate(_dispatch.Mode):
    """The dispatch mode of the context: an op that writes its first argument first copies the
    saved tensors that share its storage."""

    def __init__(self, ctx: _AllowMutationOnSavedContext) -> None:
        self.ctx = ctx

    def handle(self, op, info, args, kwargs):
        if args and isinstance(args[0], Tensor) and info.writes(args, kwargs):
            self.ctx.before_mutation(args[0])
        return _dispatch.PASS


_mutation_context_open = False


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Context manager under which mutating tensors saved for backward is allowed.

    Under this context manager, tensors saved for backward are cloned on mutation, so the
    original version can still be used during backward. Normally, mutating a tensor saved for
    backward results in an error raised when it is used during backward. Both the forward and
    the backward must run under the same context manager.

    Yields the ``_AllowMutationOnSavedContext`` holding the state (cleared on exit).
    """
    global _mutation_context_open
    ctx = _AllowMutationOnSavedContext()
    mode = _CloneBeforeMutate(ctx)
    with saved_tensors_hooks(ctx.pack, ctx.unpack):
        _dispatch.push_mode(mode)
        try:
            if _mutation_context_open:
                raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
            _mutation_context_open = True
            yield ctx
        finally:
            _dispatch.pop_mode(mode)
            ctx.clear()
            _mutation_context_open = False
