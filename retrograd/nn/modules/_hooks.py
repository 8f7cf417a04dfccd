"""Module hooks: the global ones (``register_module_forward_hook`` & co.) and the machinery of
full backward hooks.

A full backward hook sees the gradients of a module's inputs and outputs. As in PyTorch, the
module's tensor inputs and outputs go through an identity autograd Function
(``BackwardHookFunction``: its node is ``BackwardHookFunctionBackward``) whose nodes carry the
hooks: the node on the outputs records ``grad_output`` (and runs the backward pre-hooks), the node
on the inputs calls the user's hooks with ``grad_input``.
"""
from __future__ import annotations

import functools
import warnings
import weakref
from collections import OrderedDict

from ..._grad_mode import is_grad_enabled
from ..._tensor import Tensor
from ..._warn import warn
from ...autograd import node as _node
from ...autograd.function import Function
from ...utils.hooks import RemovableHandle
from ._utils import _class_repr
from ...autograd.provenance import module_call

__all__ = ["register_module_forward_pre_hook", "register_module_forward_hook",
           "register_module_backward_hook",
           "register_module_full_backward_pre_hook", "register_module_full_backward_hook",
           "register_module_buffer_registration_hook", "register_module_module_registration_hook",
           "register_module_parameter_registration_hook"]

# hooks common to all modules (PyTorch keeps them for debugging and profiling)
_global_buffer_registration_hooks: dict = OrderedDict()
_global_module_registration_hooks: dict = OrderedDict()
_global_parameter_registration_hooks: dict = OrderedDict()
_global_backward_pre_hooks: dict = OrderedDict()
_global_backward_hooks: dict = OrderedDict()
_global_forward_pre_hooks: dict = OrderedDict()
_global_forward_hooks: dict = OrderedDict()
_global_forward_hooks_always_called: dict = OrderedDict()
_global_forward_hooks_with_kwargs: dict = OrderedDict()
_global_state = {"is_full_backward_hook": None}


def _has_any_global_hook() -> bool:
    return bool(_global_backward_pre_hooks or _global_backward_hooks or
                _global_forward_pre_hooks or _global_forward_hooks)


def register_module_buffer_registration_hook(hook) -> RemovableHandle:
    """``hook(module, name, buffer) -> None or new buffer``, run by every ``register_buffer``."""
    return RemovableHandle(_global_buffer_registration_hooks, hook)


def register_module_module_registration_hook(hook) -> RemovableHandle:
    """``hook(module, name, submodule) -> None or new submodule``, run by every ``add_module``."""
    return RemovableHandle(_global_module_registration_hooks, hook)


def register_module_parameter_registration_hook(hook) -> RemovableHandle:
    """``hook(module, name, param) -> None or new param``, run by every ``register_parameter``."""
    return RemovableHandle(_global_parameter_registration_hooks, hook)


def register_module_forward_pre_hook(hook) -> RemovableHandle:
    """A forward pre-hook for all modules, run before their own."""
    return RemovableHandle(_global_forward_pre_hooks, hook)


def register_module_forward_hook(hook, *, with_kwargs: bool = False,
                                 always_call: bool = False) -> RemovableHandle:
    """A forward hook for all modules, run before their own."""
    handle = RemovableHandle(_global_forward_hooks, hook,
                             extra_dict=[_global_forward_hooks_always_called,
                                         _global_forward_hooks_with_kwargs])
    if with_kwargs:
        _global_forward_hooks_with_kwargs[handle.id] = True
    if always_call:
        _global_forward_hooks_always_called[handle.id] = True
    return handle


def register_module_full_backward_pre_hook(hook) -> RemovableHandle:
    """A backward pre-hook for all modules, run before their own."""
    return RemovableHandle(_global_backward_pre_hooks, hook)


def register_module_backward_hook(hook) -> RemovableHandle:
    """A deprecated (non-full) backward hook for all modules."""
    if _global_state["is_full_backward_hook"] is True:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_state["is_full_backward_hook"] = False
    return RemovableHandle(_global_backward_hooks, hook)


def _warn_non_full_backward_hook(inputs, result, grad_fn) -> None:
    """PyTorch's warnings for the cases where a non-full backward hook misses gradients."""
    def warn_(msg):
        warnings.warn(msg, FutureWarning, stacklevel=4)
    if not isinstance(result, Tensor):
        if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
            warn_("Using non-full backward hooks on a Module that does not return a single Tensor "
                  "or a tuple of Tensors is deprecated and will be removed in future versions. "
                  "This hook will be missing some of the grad_output. Please use "
                  "register_full_backward_hook to get the documented behavior.")
            return
    else:
        result = (result,)
    if not isinstance(inputs, Tensor):
        if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
            warn_("Using non-full backward hooks on a Module that does not take as input a single "
                  "Tensor or a tuple of Tensors is deprecated and will be removed in future "
                  "versions. This hook will be missing some of the grad_input. Please use "
                  "register_full_backward_hook to get the documented behavior.")
            return
    else:
        inputs = (inputs,)
    out_grad_fn = {r.grad_fn for r in result if r.grad_fn is not None}
    if not out_grad_fn or (len(out_grad_fn) == 1 and grad_fn not in out_grad_fn):
        warn_("Using a non-full backward hook when outputs are nested in python data structure is "
              "deprecated and will be removed in future versions. This hook will be missing some "
              "grad_output.")
    elif len(out_grad_fn) > 1:
        warn_("Using a non-full backward hook when outputs are generated by different autograd "
              "Nodes is deprecated and will be removed in future versions. This hook will be "
              "missing some grad_output. Please use register_full_backward_hook to get the "
              "documented behavior.")
    else:
        inputs_grad_fn = {i.grad_fn for i in inputs if i.grad_fn is not None}
        next_functions = {n[0] for n in grad_fn.next_functions}
        if inputs_grad_fn != next_functions:
            warn_("Using a non-full backward hook when the forward contains multiple autograd "
                  "Nodes is deprecated and will be removed in future versions. This hook will be "
                  "missing some grad_input. Please use register_full_backward_hook to get the "
                  "documented behavior.")


def register_module_full_backward_hook(hook) -> RemovableHandle:
    """A full backward hook for all modules, run before their own."""
    if _global_state["is_full_backward_hook"] is False:
        raise RuntimeError("Cannot use both regular backward hooks and full backward hooks as a "
                           "global Module hook. Please use only one of them.")
    _global_state["is_full_backward_hook"] = True
    return RemovableHandle(_global_backward_hooks, hook)


class _WrappedHook:
    """A hook called with its module first (weakly held), as PyTorch's load_state_dict pre-hooks
    registered ``with_module=True``."""

    def __init__(self, hook, module=None):
        self.hook = hook
        functools.update_wrapper(self, hook)
        self.with_module = module is not None
        if module is not None:
            self.module = weakref.ref(module)

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)


class BackwardHookFunction(Function):
    """The identity, recorded as a node (``BackwardHookFunctionBackward``) to hang hooks on."""

    @staticmethod
    def forward(ctx, *args):
        ctx.mark_non_differentiable(*[a for a in args if not a.requires_grad])
        return args

    @staticmethod
    def backward(ctx, *args):
        return args


class BackwardHook:
    """Sets up one call's full backward hooks (PyTorch's torch.utils.hooks.BackwardHook)."""

    def __init__(self, module, user_hooks, user_pre_hooks):
        self.user_hooks = user_hooks
        self.user_pre_hooks = user_pre_hooks
        self.module = module
        self.grad_outputs = None
        self.n_outputs = -1
        self.output_tensors_index = None
        self.n_inputs = -1
        self.input_tensors_index = None

    @staticmethod
    def _pack_with_none(indices, values, size):
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    @staticmethod
    def _unpack_none(indices, values):
        return tuple(values[i] for i in indices)

    def _set_user_hook(self, grad_fn) -> None:
        def hook(grad_input, _):
            if self.grad_outputs is None:
                # the output node never ran: the gradient did not flow through this module
                return None
            res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
            for user_hook in self.user_hooks:
                out = user_hook(self.module, res, self.grad_outputs)
                if out is None:
                    continue
                if len(out) != len(res):
                    raise RuntimeError("Backward hook returned an invalid number of grad_input, "
                                       f"got {len(out)}, but expected {len(res)}")
                res = out
            self.grad_outputs = None
            return self._unpack_none(self.input_tensors_index, res)

        grad_fn.register_hook(hook)

    def _apply_on_tensors(self, fn, args):
        tensors_idx = []
        tensors = []
        requires_grad = False
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor):
                tensors_idx.append(i)
                tensors.append(arg)
                requires_grad |= arg.requires_grad
        if not (requires_grad and is_grad_enabled()):
            return args, None
        new_tensors = BackwardHookFunction.apply(*tensors)
        if len(new_tensors) == 0:
            raise RuntimeError("Cannot set Module backward hook for a Module with no input "
                               "Tensors.")
        grad_fns = [t.grad_fn for t in new_tensors
                    if t.grad_fn is not None and t.grad_fn.name() == "BackwardHookFunctionBackward"]
        if not grad_fns:
            raise RuntimeError("Error while setting up backward hooks. Please open an issue with "
                               "a code sample to reproduce this.")
        fn(grad_fns[0])
        arg_list = list(args)
        for i, v in zip(tensors_idx, new_tensors):
            arg_list[i] = v
        out = tuple(arg_list) if type(args) is tuple else type(args)(*arg_list)
        return out, tensors_idx

    def setup_input_hook(self, args):
        res, input_idx = self._apply_on_tensors(self._set_user_hook, args)
        self.n_inputs = len(args)
        self.input_tensors_index = input_idx
        return res

    def setup_output_hook(self, args):
        def fn(grad_fn) -> None:
            def hook(_, grad_output):
                self.grad_outputs = self._pack_with_none(self.output_tensors_index, grad_output,
                                                         self.n_outputs)
                if self.user_pre_hooks:
                    expected = len(self.grad_outputs)
                    for pre_hook in self.user_pre_hooks:
                        new = pre_hook(self.module, self.grad_outputs)
                        if new is None:
                            continue
                        if len(new) != expected:
                            raise RuntimeError("Backward pre hook returned an invalid number of "
                                               f"grad_output, got {len(new)}, but expected "
                                               f"{expected}")
                        self.grad_outputs = new
                local_grad_outputs = self.grad_outputs
                if self.input_tensors_index is None:
                    # no input requires grad: the hooks run here, with grad_input all None
                    warn("Full backward hook is firing when gradients are computed with respect "
                         "to module outputs since no inputs require gradients. See "
                         "https://docs.pytorch.org/docs/main/generated/torch.nn.Module.html"
                         "#torch.nn.Module.register_full_backward_hook for more details.",
                         UserWarning)
                    grad_inputs = self._pack_with_none([], [], self.n_inputs)
                    for user_hook in self.user_hooks:
                        res = user_hook(self.module, grad_inputs, self.grad_outputs)
                        if res is not None and not (isinstance(res, tuple) and
                                                    all(el is None for el in res)):
                            raise RuntimeError("Backward hook for Modules where no input "
                                               "requires gradient should always return None or "
                                               "None for all gradients.")
                    self.grad_outputs = None
                if local_grad_outputs is not None:
                    return tuple(local_grad_outputs[i] for i in self.output_tensors_index)
                return None

            grad_fn.register_hook(hook)

        is_tuple = isinstance(args, tuple)
        if not is_tuple:
            args = (args,)
        res, output_idx = self._apply_on_tensors(fn, args)
        self.n_outputs = len(args)
        self.output_tensors_index = output_idx
        return res if is_tuple else res[0]


class HooksMixin:
    """Module's call with its hooks, and the hook registration methods (needs Module's hook
    dicts)."""

    # -- the call -----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if _node._provenance_enabled:   # nodes created inside learn this module (provenance)
            return module_call(self, self._plain_call, args, kwargs)
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or
                self._backward_pre_hooks or _has_any_global_hook()):
            return self.forward(*args, **kwargs)
        return self._call_impl(*args, **kwargs)

    def _plain_call(self, *args, **kwargs):
        """``__call__`` without the provenance check (what runs inside the module's scope)."""
        if not (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or
                self._backward_pre_hooks or _has_any_global_hook()):
            return self.forward(*args, **kwargs)
        return self._call_impl(*args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        """The call with hooks: forward pre-hooks, backward-hook setup on the inputs, forward,
        forward hooks, backward-hook setup on the outputs. Forward hooks registered with
        ``always_call=True`` run even when forward raises."""
        state = {"result": None, "called": set(), "args": args, "kwargs": kwargs}
        try:
            return self._run_with_hooks(state)
        except Exception:
            self._run_always_called_hooks(state)
            raise

    def _run_with_hooks(self, state):
        args, kwargs = state["args"], state["kwargs"]
        full_backward_hooks, non_full_backward_hooks, backward_pre_hooks = [], [], []
        if self._backward_pre_hooks or _global_backward_pre_hooks:
            backward_pre_hooks = [*_global_backward_pre_hooks.values(),
                                  *self._backward_pre_hooks.values()]
        if self._backward_hooks or _global_backward_hooks:
            if _global_state["is_full_backward_hook"] is True:
                full_backward_hooks += _global_backward_hooks.values()
            if self._is_full_backward_hook is True:
                full_backward_hooks += self._backward_hooks.values()
            if _global_state["is_full_backward_hook"] is False:
                non_full_backward_hooks += _global_backward_hooks.values()
            if self._is_full_backward_hook is False:
                non_full_backward_hooks += self._backward_hooks.values()
        for hook_id, hook in (*_global_forward_pre_hooks.items(),
                              *self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                out = hook(self, args, kwargs)
                if out is not None:
                    if isinstance(out, tuple) and len(out) == 2:
                        args, kwargs = out
                    else:
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {out}.")
            else:
                out = hook(self, args)
                if out is not None:
                    args = out if isinstance(out, tuple) else (out,)
            state["args"], state["kwargs"] = args, kwargs
        bw_hook = None
        if full_backward_hooks or backward_pre_hooks:
            bw_hook = BackwardHook(self, full_backward_hooks, backward_pre_hooks)
            args = bw_hook.setup_input_hook(args)
            state["args"] = args
        result = self.forward(*args, **kwargs)
        state["result"] = result
        for hook_id, hook in (*_global_forward_hooks.items(), *self._forward_hooks.items()):
            if (hook_id in self._forward_hooks_always_called or
                    hook_id in _global_forward_hooks_always_called):
                state["called"].add(hook_id)
            if (hook_id in self._forward_hooks_with_kwargs or
                    hook_id in _global_forward_hooks_with_kwargs):
                out = hook(self, args, kwargs, result)
            else:
                out = hook(self, args, result)
            if out is not None:
                result = out
                state["result"] = result
        if bw_hook:
            if not isinstance(result, (Tensor, tuple)):
                warnings.warn("For backward hooks to be called, module output should be a Tensor "
                              "or a tuple of Tensors but received "
                              f"{_class_repr(type(result))}", stacklevel=3)
            result = bw_hook.setup_output_hook(result)
        if non_full_backward_hooks:
            # the deprecated hooks hang on the grad_fn of the first output tensor
            var = result
            while not isinstance(var, Tensor):
                if isinstance(var, dict):
                    var = next(v for v in var.values() if isinstance(v, Tensor))
                else:
                    var = var[0]
            grad_fn = var.grad_fn
            if grad_fn is not None:
                for hook in non_full_backward_hooks:
                    grad_fn.register_hook(_WrappedHook(hook, self))
                _warn_non_full_backward_hook(args, result, grad_fn)
        return result

    def _run_always_called_hooks(self, state) -> None:
        args, kwargs, result, called = (state["args"], state["kwargs"], state["result"],
                                        state["called"])
        for hook_id, hook in _global_forward_hooks.items():
            if hook_id in _global_forward_hooks_always_called and hook_id not in called:
                try:
                    out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn("global module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {str(e)}", stacklevel=3)
        for hook_id, hook in self._forward_hooks.items():
            if hook_id in self._forward_hooks_always_called and hook_id not in called:
                try:
                    if hook_id in self._forward_hooks_with_kwargs:
                        out = hook(self, args, kwargs, result)
                    else:
                        out = hook(self, args, result)
                    if out is not None:
                        result = out
                except Exception as e:
                    warnings.warn("module forward hook with ``always_call=True`` raised an "
                                  "exception that was silenced as another error was raised in "
                                  f"forward: {str(e)}", stacklevel=3)

    # -- hooks --------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` (or ``hook(module, args, kwargs)``) before forward; may return
        new args (or ``(args, kwargs)``)."""
        handle = RemovableHandle(self._forward_pre_hooks,
                                 extra_dict=self._forward_pre_hooks_with_kwargs)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[handle.id] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` (or with kwargs) after forward; may return a new
        output."""
        handle = RemovableHandle(self._forward_hooks,
                                 extra_dict=[self._forward_hooks_with_kwargs,
                                             self._forward_hooks_always_called])
        self._forward_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[handle.id] = True
        if always_call:
            self._forward_hooks_always_called[handle.id] = True
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` when the gradients of the outputs are known; may return
        new grad_output."""
        handle = RemovableHandle(self._backward_pre_hooks)
        self._backward_pre_hooks[handle.id] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` when the gradients of the inputs are known;
        may return new grad_input."""
        if self._is_full_backward_hook is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        object.__setattr__(self, "_is_full_backward_hook", True)
        handle = RemovableHandle(self._backward_hooks)
        self._backward_hooks[handle.id] = hook
        if prepend:
            self._backward_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_backward_hook(self, hook) -> RemovableHandle:
        """PyTorch's deprecated hook ``hook(module, grad_input, grad_output)`` on the grad_fn of
        the module's (first) output: it sees that node's gradients only."""
        if self._is_full_backward_hook is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks "
                               "on a single Module. Please use only one of them.")
        object.__setattr__(self, "_is_full_backward_hook", False)
        return RemovableHandle(self._backward_hooks, hook)
