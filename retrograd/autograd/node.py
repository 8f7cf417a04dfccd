"""Backward graph nodes: what ``tensor.grad_fn`` points to.

A node holds the edges to the nodes of its inputs (``next_functions``), the tensors its formula
reads (saved, with their version at save time), and a creation sequence number that orders the
engine's work. Each op defines its own subclass next to its forward (see ``retrograd/ops``); the
class name is PyTorch's (``MulBackward0``).
"""
from __future__ import annotations

import itertools

import numpy as np

from .._tensor import Tensor

__all__ = ["Node", "AccumulateGrad", "SavedOutput", "ERR_BACKWARD_TWICE"]

ERR_BACKWARD_TWICE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward.")

# Sequence numbers only order ready nodes (newest first, like PyTorch); they carry no state that
# changes behaviour, and itertools.count is atomic under the GIL.
_sequence = itertools.count()
_RELEASED = ()
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


class _NodeExtra:
    """Rarely used per-node state (hooks, retained grads, metadata), kept off the hot path."""

    __slots__ = ("pre_hooks", "hooks", "retain_refs", "metadata", "freed_nones")

    def __init__(self):
        self.pre_hooks = None     # {id: fn(grad_outputs)}, tensor hooks included
        self.hooks = None         # {id: fn(grad_inputs, grad_outputs)}
        self.retain_refs = None   # [(weakref to a tensor that retains its grad, output index)]
        self.metadata = None
        self.freed_nones = None   # after release: which saved slots were None


class Node:
    """Base class of every backward node (``retrograd.autograd.graph.Node``)."""

    __slots__ = ("next_functions", "_seq", "_saved", "_saved_versions", "_shape", "_dtype", "_x",
                 "__weakref__")

    # Names of the saved slots as PyTorch exposes them: ("self", "other") -> _saved_self, ...
    saved_names: tuple = ()
    num_outputs = 1

    def __init__(self, next_functions, shape, dtype):
        self.next_functions = next_functions
        self._seq = next(_sequence)
        self._saved = None
        self._saved_versions = None
        self._shape = shape      # shape and NumPy dtype of the gradient this node receives
        self._dtype = dtype
        self._x = None

    def _extra(self) -> _NodeExtra:
        x = self._x
        if x is None:
            x = self._x = _NodeExtra()
        return x

    # -- saved tensors -------------------------------------------------------------------
    def save(self, *items) -> None:
        """Save inputs (Tensors), ``SavedOutput`` entries or Python constants for the formula.
        Each entry's version is recorded (None for constants) to detect in-place changes."""
        versions = []
        for t in items:
            tt = type(t)
            if tt is Tensor:
                x = t._x
                if x is not None and x.inference:
                    raise RuntimeError(_INFERENCE_SAVE)
                versions.append(t._vc[0])
            elif tt is SavedOutput:
                versions.append(t.saved_version)
            else:
                versions.append(None)
        self._saved = items
        self._saved_versions = versions

    def unpack(self, as_tensors: bool) -> tuple:
        saved = self._saved
        if saved is None:
            return ()
        if saved is _RELEASED:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        out = []
        for t, v in zip(saved, self._saved_versions):
            if v is None:           # a constant (or None): passed through as is
                out.append(t)
                continue
            if type(t) is SavedOutput:
                if t.version[0] != v:
                    raise RuntimeError(_version_error(t.data, t.version[0], v, self, True))
                out.append(_output_tensor(t, self) if as_tensors else t.data)
            else:
                if t._x is not None and t._x.detached:
                    raise RuntimeError(
                        "Trying to use a saved tensor that has been detached in-place, i.e. with "
                        ".detach_().This is not supported, please use out-of-place `.detach()` "
                        "instead")
                if t._vc[0] != v:
                    raise RuntimeError(_version_error(t._data, t._vc[0], v, t.grad_fn, False))
                out.append(t if as_tensors else t._data)
        return tuple(out)

    def release(self) -> None:
        """Free saved tensors (backward without retain_graph). Slots that saved nothing stay
        None, as in PyTorch."""
        saved = self._saved
        if saved is not None and saved is not _RELEASED:
            self._saved = _RELEASED
            if any(t is None for t in saved):
                self._extra().freed_nones = tuple(t is None for t in saved)

    def __getattr__(self, name: str):
        # PyTorch exposes saved values as node._saved_<name>.
        if name.startswith("_saved_"):
            names = type(self).saved_names
            key = name[len("_saved_"):]
            if key in names:
                i = names.index(key)
                if self._saved is None or (self._saved is not _RELEASED and self._saved[i] is None):
                    return None
                if self._saved is _RELEASED and self._x is not None and \
                        self._x.freed_nones and self._x.freed_nones[i]:
                    return None
                value = self.unpack(True)[i]
                if not hasattr(value, "_data") and value is not None:
                    from .._tensor import Tensor  # a saved Python scalar reads as a 0-d tensor
                    value = Tensor._make(np.asarray(value))
                return value
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # -- the formula -----------------------------------------------------------------------
    def apply(self, ns, grads: list, as_tensors: bool) -> tuple:
        """Run the backward formula: one gradient (or None) per entry of next_functions."""
        if self._saved is None:
            return self.backward(ns, grads[0])
        return self.backward(ns, grads[0], *self.unpack(as_tensors))

    def backward(self, ns, grad, *saved):  # pragma: no cover - every op overrides it
        raise NotImplementedError

    def needs(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (PyTorch's needs_input_grad)."""
        return self.next_functions[i][0] is not None

    # -- introspection ---------------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    @property
    def metadata(self) -> dict:
        x = self._extra()
        if x.metadata is None:
            x.metadata = {}
        return x.metadata

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after the node ran; may return new grad_inputs."""
        from ..utils.hooks import RemovableHandle
        x = self._extra()
        if x.hooks is None:
            x.hooks = {}
        return RemovableHandle(x.hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) before the node runs; may return new grad_outputs."""
        from ..utils.hooks import RemovableHandle
        x = self._extra()
        if x.pre_hooks is None:
            x.pre_hooks = {}
        return RemovableHandle(x.pre_hooks, fn)

    def __call__(self, *grads):
        from .engine import call_node
        return call_node(self, grads)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"


class AccumulateGrad(Node):
    """The sink for a leaf that requires grad: adds the incoming gradient into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        super().__init__((), variable._data.shape, variable._data.dtype)
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"


def _output_tensor(saved: SavedOutput, node: Node):
    from .._tensor import Tensor
    t = Tensor._make(saved.data, node, True)
    t._vc = saved.version
    return t


def _forward_name(node_name: str) -> str:
    import re
    return re.sub(r"Backward\d*$", "", node_name)


def _version_error(data, now: int, expected: int, grad_fn, is_output: bool) -> str:
    from .._dtype import from_numpy_dtype
    dims = ", ".join(str(s) for s in np.shape(data))
    what = f"[torch.{from_numpy_dtype(data.dtype)._legacy} [{dims}]]"
    if grad_fn is not None:
        # PyTorch names the forward op here: "output 0 of Exp" for ExpBackward0.
        what += f", which is output 0 of {_forward_name(grad_fn.name())},"
    return ("one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: {what} is at version {now}; expected version {expected} instead. Hint: "
            "enable anomaly detection to find the operation that failed to compute its gradient, "
            "with torch.autograd.set_detect_anomaly(True, check_nan=False).")
