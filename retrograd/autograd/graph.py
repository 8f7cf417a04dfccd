"""The graph's public pieces: ``Node`` (the base class of every ``grad_fn``), saved-tensor hooks,
multi-tensor gradient hooks and ``increment_version``."""
from __future__ import annotations

import contextlib
import functools
import threading
from collections import defaultdict

from .._tensor import Tensor
from . import node as _node
from .node import AccumulateGrad, Node  # noqa: F401

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks",
           "register_multi_grad_hook", "Node", "increment_version"]


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
    from ..ops.inplace import bump_version
    for t in tensors:
        if not isinstance(t, Tensor):
            raise RuntimeError("increment_version expect a Iterable[Tensor] as input")
        if t.is_inference():
            continue
        bump_version(t)


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
    from .engine import current_graph_task_id, will_engine_execute_node
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
