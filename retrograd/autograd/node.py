"""Backward graph nodes: what ``tensor.grad_fn`` points to.

A node holds the edges to the nodes of its inputs (``next_functions``), the tensors its formula
reads (saved, with their version at save time), and a creation sequence number that orders the
engine's work. Each op defines its own subclass next to its forward (see ``retrograd/ops``); the
class name is PyTorch's (``MulBackward0``).
"""
from __future__ import annotations

import itertools
import _thread  # (threading itself is not needed at import: its local and Lock are these)

import numpy as np

from .._hooks import RemovableHandle
from .._tensor import Tensor
from .._dtype import from_numpy_dtype
from ._node_meta import (ELEMENTWISE, LINEAR, _JvpShortcut, _NodeExtra, _executing_node,  # noqa: F401
                         _expandable, _forward_name, _np_sum_to, _task_ids, _tasks, _tls,
                         current_graph_task, edge_meta)
from ._node_meta import needed_nodes as _needed
from ._saved import (ERR_BACKWARD_TWICE, _INFERENCE_SAVE, _RELEASED, SavedOutput,  # noqa: F401
                     _EmptySaved, _Packed, _PackedSaved, _current_hooks, _hooks_tls,
                     _out_nr_of, _output_tensor, _pack)

__all__ = ["Node", "AccumulateGrad", "SavedOutput", "ERR_BACKWARD_TWICE", "ELEMENTWISE", "LINEAR"]

# Sequence numbers only order ready nodes (newest first, like PyTorch); they carry no state that
# changes behaviour, and itertools.count is atomic under the GIL.
_sequence = itertools.count()
_next_seq = _sequence.__next__
_acc_sequence = itertools.count()
_ACC_SEQ_BASE = 2 ** 62

# Anomaly mode (autograd/anomaly_mode.py sets these; global, like PyTorch's AnomalyMode). Node
# creation reads the first flag once: that is all anomaly mode costs while it is off.
_anomaly_enabled = False
_anomaly_check_nan = True
# Provenance (autograd/provenance.py): nodes record their source line and Module. Node creation
# reads ``_stamp_nodes`` (anomaly mode or provenance on) and nothing else while both are off.
_provenance_enabled = False
_stamp_nodes = False

# Saved-tensor default hooks (autograd/graph.py: saved_tensors_hooks). The stack is per thread, as
# in PyTorch; ``_hooks_pushed`` counts pushed pairs over all threads so that ``save`` checks one
# module global while no hooks exist anywhere.
_hooks_pushed = 0
_hooks_lock = _thread.allocate_lock()


class SavedTensor:
    """``grad_fn._raw_saved_<name>``: one saved tensor of a node, on which a pair of pack /
    unpack hooks can be registered for that tensor alone (PyTorch's ``SavedTensor``)."""

    __slots__ = ("_node", "_i")

    def __init__(self, node, i: int):
        self._node = node
        self._i = i

    def __repr__(self) -> str:
        return f"<torch._C._autograd.SavedTensor object at {id(self):#x}>"

    def register_hooks(self, *args):
        if len(args) != 2 or not all(callable(a) for a in args):
            shown = ", ".join(repr(a) for a in (self,) + args)
            raise TypeError(
                "register_hooks(): incompatible function arguments. The following argument types "
                "are supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: "
                "collections.abc.Callable, arg1: collections.abc.Callable) -> None\n\n"
                f"Invoked with: {shown}")
        node, i = self._node, self._i
        saved = node._saved
        if saved is _RELEASED:
            raise RuntimeError(
                "Calling register_hooks on a saved tensor after it has been freed. Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time or if you need to access saved variables after calling "
                "backward.")
        entry = None if saved is None else saved[i]
        if entry is None:
            raise RuntimeError("Calling register_hooks on a saved tensor with value None is "
                               "forbidden")
        if type(entry) is _Packed:
            raise RuntimeError("Calling register_hooks on a saved tensor whose hooks have "
                               "already been set. Hint: only one pair of hooks is allowed at a "
                               "time.")
        if type(entry) is SavedOutput:
            tensor, is_output = _output_tensor(entry, node), True
        else:
            tensor, is_output = entry, False
        if node._versions[i] is not None and tensor._vc[0] != node._versions[i]:
            raise RuntimeError(_version_error(tensor._data, tensor._vc[0], node._versions[i],
                                              node if is_output else tensor.grad_fn, is_output))
        packed = _pack(node, tensor, is_output, 0 if is_output else _out_nr_of(tensor),
                       (args[0], args[1]))
        entries = list(saved)
        entries[i] = packed
        node._saved = tuple(entries)
        versions = list(node._versions)
        versions[i] = None          # like PyTorch, no version check once hooks own the value
        node._versions = tuple(versions)





# The node classes that keep Node's ``__init__``, ``apply`` and ``release`` (nearly every op's):
# record1/record2 build their nodes inline and the engine runs and frees them inline. A set
# lookup of the class is cheaper than reading ``cls.__init__`` (no specialized access to a
# class attribute in CPython 3.11).
PLAIN: set = set()


class Node:
    """Base class of every backward node (``retrograd.autograd.graph.Node``)."""

    __slots__ = ("next_functions", "_seq", "_saved", "_versions", "_shape", "_dtype", "_x",
                 "__weakref__")

    # Names of the saved slots as PyTorch exposes them: ("self", "other") -> _saved_self, ...
    saved_names: tuple = ()
    # The non-tensor values PyTorch's node keeps, as it names them (``_saved_dim``,
    # ``_saved_keepdim``, ``_saved_self_sym_sizes``): name -> the attribute of this node that
    # holds the value, or a function of the node that computes it.
    saved_attrs: dict = {}
    num_outputs = 1
    # The forward-mode rule (JVP), declared beside the backward: ELEMENTWISE, LINEAR, or a method
    # ``jvp(self, ns, tangents, *saved)`` that gets the saved values as ``backward`` does and one
    # tangent (or None) per input, and returns the result's tangent. None: forward AD derives the
    # JVP from the backward formula by a double VJP (slow; tests/test_jvp_rules.py lists who).
    jvp = None

    def __init__(self, next_functions, shape, dtype):
        self.next_functions = next_functions
        self._seq = _next_seq()
        self._saved = self._versions = None
        self._shape = shape      # shape and NumPy dtype of the gradient this node receives
        self._dtype = dtype      # (None for nodes whose outputs differ: see ``_out_meta``)
        self._x = None
        if _stamp_nodes:
            _stamp(self)

    def _extra(self) -> _NodeExtra:
        x = self._x
        if x is None:
            x = self._x = _NodeExtra()
        return x

    # -- saved tensors -------------------------------------------------------------------
    def save(self, *items) -> None:
        """Save inputs (Tensors), ``SavedOutput`` entries or Python constants for the formula.
        Each entry's version is recorded (None for constants) to detect in-place changes."""
        if _hooks_pushed and _current_hooks() is not None:
            return self._save_packed(items)
        versions = []
        for t in items:
            tt = type(t)
            if tt is Tensor or isinstance(t, Tensor):
                x = t._x
                if x is not None and x.inference:
                    raise RuntimeError(_INFERENCE_SAVE)
                versions.append(t._vc[0])
            elif tt is SavedOutput:
                versions.append(t.saved_version)
            else:
                versions.append(None)
        self._saved = items
        self._versions = versions

    def _save_packed(self, items) -> None:
        """``save`` while saved-tensor hooks are set: each tensor goes through the pack hook."""
        hooks = _current_hooks()
        entries = []
        for t in items:
            tt = type(t)
            if tt is Tensor or isinstance(t, Tensor):
                x = t._x
                if x is not None and x.inference:
                    raise RuntimeError(_INFERENCE_SAVE)
                entries.append(_pack(self, t, False, 0, hooks))
            elif tt is SavedOutput:
                entries.append(_pack(self, _output_tensor(t, self), True, 0, hooks))
            else:
                entries.append(t)
        self._saved = _PackedSaved(entries)
        self._versions = (None,) * len(entries)

    def _unpack_one(self, i: int, as_tensors: bool):
        """Saved entry ``i`` (for ``_saved_<name>``): only that entry's unpack hook runs."""
        saved = self._saved
        if type(saved) is _PackedSaved or (saved is not _RELEASED and isinstance(saved, tuple)
                                           and type(saved[i]) is _Packed):
            e = saved[i]
            return e.unpack(self, as_tensors) if type(e) is _Packed else e
        return self.unpack(as_tensors)[i]

    def unpack(self, as_tensors: bool) -> tuple:
        saved = self._saved
        if saved is None:
            return ()
        if saved is _RELEASED:
            raise RuntimeError(ERR_BACKWARD_TWICE)
        if type(saved) is _PackedSaved:
            return tuple(e.unpack(self, as_tensors) if type(e) is _Packed else e for e in saved)
        out = []
        append = out.append
        for t, v in zip(saved, self._versions):
            if v is None:           # a constant (or None), or a tensor with its own hooks
                append(t.unpack(self, as_tensors) if type(t) is _Packed else t)
            elif type(t) is SavedOutput:
                if t.version[0] != v:
                    raise RuntimeError(_version_error(t.data, t.version[0], v, self, True)
                                       + _inplace_note(self, None))
                append(_output_tensor(t, self) if as_tensors else t.data)
            else:
                x = t._x
                if x is not None and x.detached:
                    raise RuntimeError(
                        "Trying to use a saved tensor that has been detached in-place, i.e. with "
                        ".detach_().This is not supported, please use out-of-place `.detach()` "
                        "instead")
                if t._vc[0] != v:
                    raise RuntimeError(_version_error(t._data, t._vc[0], v, t.grad_fn, False)
                                       + _inplace_note(self, t.grad_fn))
                append(t if as_tensors else t._data)
        return tuple(out)

    def release(self) -> None:
        """Free saved tensors (backward without retain_graph). Slots that saved nothing stay
        None, as in PyTorch."""
        saved = self._saved
        if saved is not None and saved is not _RELEASED:
            self._saved = _RELEASED
            # a slot that saved None has version None (as constants have): look further only then
            if None in self._versions and any(t is None for t in saved):
                self._extra().freed_nones = tuple(t is None for t in saved)

    # PyTorch exposes saved values as node._saved_<name>, and the saved tensors themselves (on
    # which hooks can be registered) as node._raw_saved_<name>. Each subclass gets them as
    # properties (``__init_subclass__``), not through a ``__getattr__``: a class with one makes
    # every attribute read of its instances slower (the engine reads a node's slots ~20 times),
    # and CPython cannot specialize those reads.
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__init__ is Node.__init__ and cls.apply is Node.apply and \
                cls.release is Node.release:
            PLAIN.add(cls)
        own = {"_saved_" + k for k in cls.saved_attrs} | {"_saved_" + k for k in cls.saved_names}
        own |= {"_raw_saved_" + k for k in cls.saved_names}
        for base in cls.__bases__:   # a parent's accessors for names this class does not have
            for name in getattr(base, "_accessor_names", ()):
                if name not in own and name not in cls.__dict__:
                    setattr(cls, name, _accessor(_missing_getter, name))
        cls._accessor_names = own
        for key, attr in cls.saved_attrs.items():
            _define_accessor(cls, "_saved_" + key, _accessor(_attr_getter, attr))
        for i, key in enumerate(cls.saved_names):
            _define_accessor(cls, "_saved_" + key, _accessor(_saved_getter, i))
            _define_accessor(cls, "_raw_saved_" + key, _accessor(_raw_saved_getter, i))

    def _value_of_saved(self, i: int):
        """``_saved_<name>`` of saved entry ``i``: a Tensor (a saved constant as one), or None."""
        saved = self._saved
        if saved is None or (saved is not _RELEASED and saved[i] is None):
            return None
        if saved is _RELEASED and self._x is not None and \
                self._x.freed_nones and self._x.freed_nones[i]:
            return None
        value = self._unpack_one(i, True)
        if not hasattr(value, "_data") and value is not None:
            value = Tensor._make(np.asarray(value))
        return value

    def __dir__(self):
        cls = type(self)
        extra = ["_saved_" + n for n in cls.saved_names] + ["_saved_" + n for n in cls.saved_attrs]
        extra += ["_raw_saved_" + n for n in cls.saved_names]
        # (not the internal slot _saved, which is none of PyTorch's _saved_* values, nor a
        # parent's accessors that this class hides: viewers list attributes by that prefix)
        own = getattr(cls, "_accessor_names", ())
        shown = {n for n in object.__dir__(self) if n != "_saved" and n != "_accessor_names" and (
            n in own or not isinstance(getattr(cls, n, None), _SavedAccessor))}
        return sorted(shown | set(extra))

    def input_shape(self, i: int = 0):
        """The shape of input ``i`` as its edge records it (the shape of the gradient that flows
        into it): PyTorch's ``self_sym_sizes``. None when the input needs no gradient."""
        node, nr = self.next_functions[i]
        return None if node is None else tuple(edge_meta(node, nr)[0])

    # -- the formula -----------------------------------------------------------------------
    def apply(self, ns, grads: list, as_tensors: bool) -> tuple:
        """Run the backward formula: one gradient (or None) per entry of next_functions."""
        if self._saved is None:
            return self.backward(ns, grads[0])
        return self.backward(ns, grads[0], *self.unpack(as_tensors))

    def backward(self, ns, grad, *saved):  # pragma: no cover - every op overrides it
        raise NotImplementedError

    def needs(self, i: int) -> bool:
        """Whether input ``i`` wants a gradient (PyTorch's needs_input_grad and, in a backward
        call given inputs, should_compute_output: the input leads to one of them)."""
        nxt = self.next_functions[i][0]
        if nxt is None:
            return False
        only = _needed.nodes
        return only is None or nxt in only or self is not _needed.current

    # -- introspection ---------------------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    @property
    def metadata(self) -> dict:
        x = self._extra()
        if x.metadata is None:
            x.metadata = {}
        return x.metadata

    def _sequence_nr(self) -> int:
        return self._seq

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) after the node ran; may return new grad_inputs."""
        x = self._extra()
        if x.hooks is None:
            x.hooks = {}
        return RemovableHandle(x.hooks, fn)

    def register_prehook(self, fn):
        """fn(grad_outputs) before the node runs; may return new grad_outputs."""
        x = self._extra()
        if x.pre_hooks is None:
            x.pre_hooks = {}
        return RemovableHandle(x.pre_hooks, fn)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {id(self):#x}>"


class _SavedAccessor(property):
    """A ``_saved_<name>``/``_raw_saved_<name>`` property made by ``Node.__init_subclass__``."""


_ACCESSORS: dict = {}   # (getter factory, its argument) -> the accessor (the same for every class)


def _accessor(factory, arg) -> _SavedAccessor:
    """The accessor reading through ``factory(arg)``: made once, shared by the node classes (a
    few hundred classes are made at import, most with the same saved slots)."""
    key = (factory, arg)
    acc = _ACCESSORS.get(key)
    if acc is None:
        acc = _ACCESSORS[key] = _SavedAccessor(factory(arg))
    return acc


def _define_accessor(cls, name: str, accessor: _SavedAccessor) -> None:
    """Give ``cls`` the accessor ``name``, unless a class of its MRO defines it by hand."""
    for k in cls.__mro__:
        v = k.__dict__.get(name)
        if v is not None:
            if not isinstance(v, _SavedAccessor):
                return
            break
    setattr(cls, name, accessor)


def _saved_getter(i: int):
    return lambda self: self._value_of_saved(i)


def _raw_saved_getter(i: int):
    return lambda self: SavedTensor(self, i)


def _missing_getter(name: str):
    def get(self):
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
    return get


def _attr_getter(attr):
    if isinstance(attr, str):
        return lambda self: getattr(self, attr)
    return attr


class AccumulateGrad(Node):
    """The sink for a leaf that requires grad: adds the incoming gradient into ``.grad``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        d = variable._data
        Node.__init__(self, (), d.shape, d.dtype)    # (made once per leaf per graph: no super())
        self.variable = variable
        # PyTorch gives AccumulateGrad the largest sequence number: a leaf's gradient is stored
        # as soon as it is ready, before any other ready node runs (older leaves first here).
        self._seq = _ACC_SEQ_BASE - next(_acc_sequence)

    def _sequence_nr(self) -> int:
        return 2 ** 64 - 1

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"




def _version_error(data, now: int, expected: int, grad_fn, is_output: bool) -> str:
    dims = ", ".join(str(s) for s in np.shape(data))
    what = f"[torch.{from_numpy_dtype(data.dtype)._legacy} [{dims}]]"
    if grad_fn is not None:
        # PyTorch names the forward op here: "output 0 of Exp" for ExpBackward0.
        what += f", which is output 0 of {_forward_name(grad_fn.name())},"
    return ("one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: {what} is at version {now}; expected version {expected} instead. Hint: "
            + _version_hint())


def _inplace_note(node: Node, now_fn) -> str:
    """With provenance on: where ``node`` was created and, when the in-place op that changed
    the saved tensor recorded a node after it, where that op ran."""
    if not _provenance_enabled:
        return ""
    from .provenance import _MARK, describe, get_provenance
    d = describe(node)
    if not d:
        return ""
    p = None if now_fn is None or now_fn._seq < node._seq else get_provenance(now_fn)
    if p is not None:
        d += f"\nThe tensor was modified in place afterwards by {now_fn.name()} at {p}"
    return _MARK + d


def _version_hint() -> str:
    if _anomaly_enabled:
        return ("the backtrace further above shows the operation that failed to compute its "
                "gradient. The variable in question was changed in there or anywhere later. Good "
                "luck!")
    return ("enable anomaly detection to find the operation that failed to compute its gradient, "
            "with torch.autograd.set_detect_anomaly(True, check_nan=False).")




# -- anomaly mode: the forward traceback of each node ------------------------------------------
_PACKAGE_DIR = __file__[:__file__.rindex("autograd")]


def _stamp(node: Node) -> None:
    """What a new node records while anomaly mode or provenance is on."""
    if _anomaly_enabled:
        _record_forward_stack(node)
    if _provenance_enabled:
        from .provenance import _record
        _record(node)


def _record_forward_stack(node: Node) -> None:
    """Store the Python stack that created ``node`` (without retrograd's own frames at its end)
    in ``node.metadata["traceback_"]``, and the node whose backward created it (create_graph)
    as ``"parent_"``: PyTorch's anomaly metadata."""
    import traceback   # anomaly mode only: not loaded by import retrograd
    frames = traceback.extract_stack()
    end = len(frames)
    while end and frames[end - 1].filename.startswith(_PACKAGE_DIR):
        end -= 1
    meta = node.metadata
    meta["traceback_"] = traceback.format_list(frames[:end])
    parent = _executing_node()
    if parent is not None:
        meta["parent_"] = parent


class NotImplementedNode(Node):
    """What PyTorch records for an op without a derivative: the forward works, and backward
    through it raises ``derivative for aten::<op> is not implemented``."""

    __slots__ = ("op",)

    def name(self) -> str:
        return "torch::autograd::NotImplemented"

    def apply(self, ns, grads, as_tensors):
        raise RuntimeError(f"derivative for aten::{self.op} is not implemented")

    def jvp(self, ns, tangents, *saved):
        """No forward formula either: PyTorch's error for forward AD through the op."""
        raise NotImplementedError(f"Trying to use forward AD with aten::{self.op} that does not "
                                  "support it.")


NotImplementedNode.__name__ = NotImplementedNode.__qualname__ = "NotImplemented"


class _NoDerivative(Node):
    """A named node whose backward raises NotImplementedError, as PyTorch's nodes for ops such
    as unique do (``the derivative for '_unique2' is not implemented.``)."""

    __slots__ = ()
    aten = ""

    def apply(self, ns, grads, as_tensors):
        raise NotImplementedError(f"the derivative for '{self.aten}' is not implemented.")

    def jvp(self, ns, tangents, *saved):
        """Nor a forward formula: PyTorch's error for forward AD through the op."""
        raise NotImplementedError(
            f"Trying to use forward AD with {self.aten} that does not support it because it has "
            "not been implemented yet.\nPlease file an issue to PyTorch at "
            "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that "
            "we can prioritize its implementation or submit a PR adding the implementation to "
            "derivatives.yaml")


class Unique2Backward0(_NoDerivative):
    __slots__ = ()
    aten = "_unique2"


class UniqueDimBackward0(_NoDerivative):
    __slots__ = ()
    aten = "unique_dim"


class UniqueConsecutiveBackward0(_NoDerivative):
    __slots__ = ()
    aten = "unique_consecutive"
