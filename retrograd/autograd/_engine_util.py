"""The engine's helpers around one node: reducing and casting a gradient to what its target
expects, tensor and node hooks, retain_grad, anomaly mode's checks and warning, ``GradientEdge``
and ``grad_fn(grad)``. Part of ``engine``: every name here is importable from
``retrograd.autograd.engine`` as before.
"""
from __future__ import annotations

import _thread  # (threading itself is not needed at import: its local and Lock are these)
import warnings
from typing import Any, NamedTuple

import numpy as np

from .. import _grad_mode
from ._record import OPS
from .node import Node, edge_meta, _expandable, _np_sum_to
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from .._size import format_shape


# -- gradients: shapes, dtypes, hooks ------------------------------------------------------------
_shape_str = format_shape  # the one shape formatter, in _size.py


def _fit(node: Node, i: int, g, target: Node, idx: int, as_tensors: bool):
    """Reduce a broadcast gradient to the shape its target expects, and cast its dtype.

    A target whose outputs differ in shape or dtype (custom Functions) has ``_shape`` None and
    one ``(shape, dtype)`` per output in ``_out_meta``."""
    shape, dtype = edge_meta(target, idx)
    if g.shape != shape:
        pieces = getattr(shape, "pieces", None)   # split pieces of unequal shapes: this one's
        if pieces is not None:
            shape = pieces[idx]
        if not _expandable(shape, g.shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{_shape_str(g.shape)} but expected shape compatible with {_shape_str(shape)}")
        if as_tensors:
            g = g.sum_to_size(shape)  # a public op: dispatch modes (forward AD) see it
        else:
            g = _np_sum_to(g, shape)
    if as_tensors:
        if g._data.dtype != dtype:
            g = g.to(_np_to_dtype(dtype))
    elif g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _np_to_dtype(np_dtype):
    return from_numpy_dtype(np_dtype)


def _as_tensor(g):
    return Tensor._make(np.asarray(g), None, False)


def _wrap(g, as_tensors: bool):
    """A gradient as hooks see it: a Tensor, or None."""
    return g if (as_tensors or g is None) else _as_tensor(g)


def _hook_name(fn) -> str:
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) else "<unknown>"


def _hook_result(fn, res, g, as_tensors: bool):
    """A hook's replacement for gradient ``g``, checked like PyTorch's ``check_single_result``."""
    if res is None:
        return g
    if g is None:
        raise RuntimeError("can't replace a None gradient with a non-None value")
    if not isinstance(res, Tensor):
        raise TypeError(f"expected Variable, but hook returned '{type(res).__name__}'")
    old = g._data if as_tensors else np.asarray(g)
    if res._data.dtype != old.dtype:
        raise RuntimeError(
            f"hook '{_hook_name(fn)}' has changed the type of value (was "
            f"torch.{_np_to_dtype(old.dtype)._legacy} got "
            f"torch.{_np_to_dtype(res._data.dtype)._legacy})")
    if res._data.shape != old.shape:
        raise RuntimeError(f"hook '{_hook_name(fn)}' has changed the size of value")
    return res if as_tensors else res._data


def _hook_results(fn, res, old, as_tensors: bool) -> list:
    """A node hook's replacement tuple (pre-hook: grad_outputs; post-hook: grad_inputs)."""
    if not isinstance(res, tuple):
        raise TypeError(f"expected tuple, but hook returned '{type(res).__name__}'")
    if len(res) != len(old):
        raise RuntimeError(f"hook '{_hook_name(fn)}' has returned an incorrect number of values "
                           f"(got {len(res)}, but expected {len(old)})")
    # Inside the returned tuple, None means "no gradient" (not "unchanged").
    return [None if r is None else _hook_result(fn, r, g, as_tensors) for r, g in zip(res, old)]


def _run_tensor_hooks(hooks, g, as_tensors: bool):
    """Tensor hooks see (None or a Tensor) and may replace the gradient."""
    for fn in list(hooks.values()):
        res = fn(_wrap(g, as_tensors))
        if res is not None:
            g = _hook_result(fn, res, g, as_tensors)
    return g


# Accumulation into ``.grad`` is a read-modify-write (and NumPy releases the GIL inside ``+=``):
# backward passes running in several threads into one leaf serialise here, as PyTorch's
# AccumulateGrad holds a mutex.
_GRAD_LOCK = _thread.allocate_lock()


def _run_post_acc_hooks(var, hooks) -> None:
    """``register_post_accumulate_grad_hook`` hooks: fn(tensor), which must return None."""
    for fn in list(hooks.values()):
        res = fn(var)
        if res is not None:
            if isinstance(res, Tensor):
                raise RuntimeError("Tensor post accumulate grad hooks should return None.")
            raise TypeError(f"expected Variable, but hook returned '{type(res).__name__}'")


def _retain(node: Node, grads, as_tensors: bool) -> None:
    with _GRAD_LOCK:
        _retain_locked(node, grads, as_tensors)


def _retain_locked(node: Node, grads, as_tensors: bool) -> None:
    for ref, nr in node._x.retain_refs:
        t = ref()
        g = grads[nr]
        if t is None or g is None:
            continue
        if as_tensors:
            t._grad = g if t._grad is None else t._grad + g
        elif t._grad is None:
            t._grad = _as_tensor(np.array(g))
        else:
            t._grad = t._grad + _as_tensor(g)


def _tensor_pre_hooks(node: Node, grads: list, as_tensors: bool) -> list:
    """Hooks of the tensors this node produced (registration order), then retain_grad."""
    nx = node._x
    if nx is None:
        return grads
    if nx.pre_hooks:
        for fn in list(nx.pre_hooks.values()):
            if getattr(fn, "_tensor_hook", False):
                nr = fn.out_nr
                g = grads[nr]
                res = fn(_wrap(g, as_tensors))
                if res is not None:
                    grads = list(grads)
                    grads[nr] = _hook_result(fn.fn, res, g, as_tensors)
    if nx.retain_refs:
        _retain(node, grads, as_tensors)
    return grads


def _node_pre_hooks(node: Node, grads: list, as_tensors: bool) -> list:
    """``Node.register_prehook`` hooks: fn(grad_outputs) -> new grad_outputs or None."""
    nx = node._x
    if nx is None or not nx.pre_hooks:
        return grads
    for fn in list(nx.pre_hooks.values()):
        if getattr(fn, "_tensor_hook", False):
            continue
        res = fn(tuple(_wrap(g, as_tensors) for g in grads))
        if res is not None:
            grads = _hook_results(fn, res, grads, as_tensors)
    return grads


def _node_post_hooks(node: Node, outs, grads, as_tensors: bool):
    """``Node.register_hook`` hooks: fn(grad_inputs, grad_outputs) -> new grad_inputs or None."""
    for fn in list(node._x.hooks.values()):
        res = fn(tuple(_wrap(g, as_tensors) for g in outs),
                 tuple(_wrap(g, as_tensors) for g in grads))
        if res is not None:
            outs = tuple(_hook_results(fn, res, outs, as_tensors))
    return outs


def _check_nan(node: Node, outs, as_tensors: bool) -> None:
    """Anomaly mode's check_nan: PyTorch's error for a node that produced NaN."""
    for i, g in enumerate(outs):
        if g is None:
            continue
        a = g._data if as_tensors else np.asarray(g)
        if a.dtype.kind in "fc" and np.isnan(a).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")


def _warn_anomaly(node: Node) -> None:
    """What PyTorch prints when a node fails in anomaly mode: the forward traceback of the node,
    then of each node whose backward created it (create_graph)."""
    def stack_of(n):
        x = n._x
        meta = None if x is None else x.metadata
        return (None, None) if meta is None else (meta.get("traceback_"), meta.get("parent_"))

    stack, parent = stack_of(node)
    name = node.name()
    if stack is None:
        warnings.warn(f"Error detected in {name}. No forward pass information available. Enable "
                      "detect anomaly during forward pass for more information.", UserWarning,
                      stacklevel=4)
        return
    warnings.warn(f"Error detected in {name}. Traceback of forward call that caused the error:\n"
                  + "".join(stack), UserWarning, stacklevel=4)
    while parent is not None:
        stack, grand = stack_of(parent)
        pname = parent.name()
        if stack is None:
            warnings.warn(f"Error detected in {pname}. No forward pass information available. "
                          "Enable detect anomaly during forward pass for more information.",
                          UserWarning, stacklevel=4)
        else:
            warnings.warn(f"\n\nPrevious calculation was induced by {pname}. Traceback of forward "
                          "call that induced the previous calculation:\n" + "".join(stack),
                          UserWarning, stacklevel=4)
        parent = grand


class GradientEdge(NamedTuple):
    """Object representing a given gradient edge within the autograd graph.

    To get the gradient edge where a given Tensor gradient will be computed,
    you can do ``edge = autograd.graph.get_gradient_edge(tensor)``.
    """

    node: Node
    output_nr: int
    ownership_token: Any = None


def _edge_of(t, create: bool):
    """(node, output index) where the gradient of ``t`` (a Tensor or a GradientEdge) arrives;
    a leaf's accumulator is made when ``create``, else it may be None."""
    if type(t) is GradientEdge:
        return t.node, t.output_nr
    if t.grad_fn is not None:
        return t.grad_fn, _out_nr(t)
    return (t._grad_accumulator() if create else t._grad_accumulator(create=False)), _out_nr(t)


def _out_nr(t) -> int:
    return 0 if t._x is None else t._x.out_nr


def call_node(node: Node, grads):
    """``grad_fn(grad)``: run one node's formula directly (no engine, no hooks)."""
    as_tensors = _grad_mode.is_grad_enabled()
    if as_tensors:
        outs = node.apply(OPS.tensor_ns, list(grads), True)
        return outs if len(outs) != 1 else outs[0]
    outs = node.apply(OPS.numpy_ns, [g._data for g in grads], False)
    res = tuple(None if o is None else Tensor._make(np.asarray(o), None, False) for o in outs)
    return res if len(res) != 1 else res[0]


def _node_call(self, *grads):
    """``grad_fn(grad)`` (``Node.__call__``, attached here where it is defined)."""
    return call_node(self, grads)


Node.__call__ = _node_call
