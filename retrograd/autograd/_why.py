"""``why_no_grad(output, tensor)``: why does no gradient reach ``tensor`` from ``output``?

Only what the graph shows is claimed. The graph holds edges to the nodes that receive gradients
and the tensors each node saved; it keeps no record of ops that ran under ``no_grad`` or of the
tensors a ``detach()`` came from. So a cut is named precisely only when the node that consumed the
cut tensor saved it (then the saved tensor shares ``tensor``'s storage version counter, as
``detach()`` results do); otherwise the answer says the path is not in the graph and lists the
usual causes.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._tensor import Tensor
from . import node as _node
from .provenance import get_provenance

__all__ = ["why_no_grad", "NoGradReason"]

# reason codes
OK = "ok"                                   # a gradient reaches it and lands in .grad
NOT_TENSOR = "not_tensor"
OUTPUT_NO_GRAPH = "output_no_graph"         # output has no grad_fn and does not require grad
INTEGER_DTYPE = "integer_dtype"
INFERENCE_TENSOR = "inference_tensor"
REQUIRES_GRAD_FALSE = "requires_grad_false"
CUT = "cut"                                 # used in the forward (seen through a saved alias)
NOT_IN_GRAPH = "not_in_graph"
NON_LEAF_NO_RETAIN = "non_leaf_without_retain_grad"
GRAPH_FREED = "graph_freed"


@dataclass
class NoGradReason:
    """The answer: ``code`` (one of the module's reason codes), ``message`` (one short paragraph),
    ``reaches`` (whether backward from output sends a gradient to tensor's node), ``break_at``
    (the node that consumed a cut copy of the tensor, when it can be known), ``freed`` (nodes on
    the way whose saved tensors were released)."""
    code: str
    message: str
    reaches: bool = False
    break_at: object = None
    freed: list = field(default_factory=list)
    source: object = None     # Provenance of the node where the path breaks (provenance on)

    def __str__(self) -> str:
        return self.message


def _walk(root):
    """Every node reachable from ``root`` (iterative), with its parent on one path from root."""
    parent = {id(root): None}
    order = [root]
    stack = [root]
    while stack:
        fn = stack.pop()
        for u in getattr(fn, "next_functions", ()):
            n = u[0]
            if n is not None and id(n) not in parent:
                parent[id(n)] = fn
                order.append(n)
                stack.append(n)
    return order, parent


def _path(parent, target):
    path = [target]
    p = parent.get(id(target))
    while p is not None:
        path.append(p)
        p = parent.get(id(p))
    return path[::-1]


def _saved_tensors_of(fn):
    saved = getattr(fn, "_saved", None)
    if saved is None or saved is _node._RELEASED:
        return []
    out = []
    for e in saved:
        if isinstance(e, Tensor):
            out.append(e)
    return out


def _at(fn) -> str:
    """`` (created at File ..., line N, in f: code)`` when provenance recorded ``fn``."""
    p = get_provenance(fn)
    return "" if p is None else f" (created at {p})"


def _one(output, tensor) -> NoGradReason:
    if not isinstance(tensor, Tensor) or not isinstance(output, Tensor):
        bad = tensor if not isinstance(tensor, Tensor) else output
        return NoGradReason(NOT_TENSOR, f"expected Tensors, got {type(bad).__name__}")
    if tensor.dtype.is_floating_point is False and not tensor.dtype.is_complex:
        return NoGradReason(INTEGER_DTYPE, (
            f"the tensor has dtype {tensor.dtype}: only floating point and complex tensors can "
            "require gradients, so autograd never computes one for it"))
    if tensor.is_inference():
        return NoGradReason(INFERENCE_TENSOR, (
            "the tensor was created under inference_mode(): inference tensors are never recorded "
            "in a graph; clone() it outside inference_mode or use no_grad() instead"))
    root = output.grad_fn
    if tensor is output:
        if tensor.is_leaf:
            if not tensor.requires_grad:
                return NoGradReason(REQUIRES_GRAD_FALSE, (
                    "the output is the tensor itself and it does not require grad"))
            return NoGradReason(OK, "the output is this leaf: backward writes the seed into "
                                    "its .grad", reaches=True)
        if not tensor.retains_grad:
            return NoGradReason(NON_LEAF_NO_RETAIN, (
                f"the tensor is the output, a non-leaf (grad_fn={type(root).__name__}): its "
                ".grad stays None unless retain_grad() is called before backward"), reaches=True)
        return NoGradReason(OK, "the output is this tensor and it retains its grad", reaches=True)
    if not tensor.requires_grad:
        if tensor.is_leaf:
            msg = ("the tensor does not require grad (requires_grad=False): autograd does not "
                   "track it; call tensor.requires_grad_() before the forward pass")
        else:
            msg = "the tensor does not require grad"
        return NoGradReason(REQUIRES_GRAD_FALSE, msg)
    if root is None:
        how = ("it was computed under no_grad()/inference_mode(), by detach(), or from tensors "
               "that do not require grad") if not output.requires_grad else "it is a leaf"
        return NoGradReason(OUTPUT_NO_GRAPH, (
            f"the output has no graph (grad_fn is None): {how}, so nothing flows anywhere"))
    order, parent = _walk(root)
    target = tensor.grad_fn
    if target is None:   # a leaf: look for its AccumulateGrad in the graph
        target = next((n for n in order if getattr(n, "variable", None) is tensor), None)
    elif id(target) not in parent:
        target = None
    if target is None:
        # Is the tensor used in the forward through an alias that carries no gradient? A detach()
        # shares the version counter of its source; a node that saved such an alias consumed it.
        for fn in order:
            for s in _saved_tensors_of(fn):
                if s is not tensor and s._vc is tensor._vc and not s.requires_grad:
                    return NoGradReason(CUT, (
                        f"the tensor is used in the forward, but through a copy that does not "
                        f"require grad (detach(), .data or an in-place detach_()): "
                        f"{type(fn).__name__}{_at(fn)} received it as a constant, so the "
                        f"path breaks there"), break_at=fn, source=get_provenance(fn))
        return NoGradReason(NOT_IN_GRAPH, (
            f"the tensor is not in the output's graph ({len(order)} nodes from "
            f"{type(root).__name__}): either it was not used to compute the output, or the path "
            "was cut by detach(), no_grad(), inference_mode() or a non-differentiable op (an "
            "integer result, argmax, comparison); the graph does not record where"
            + ("" if tensor.grad_fn is None or get_provenance(tensor.grad_fn) is None else
               f"; the tensor itself was made by {type(tensor.grad_fn).__name__}"
               f"{_at(tensor.grad_fn)}")))
    path = _path(parent, target)
    freed = [n for n in path if getattr(n, "_saved", None) is _node._RELEASED]
    if freed:
        names = ", ".join(type(n).__name__ for n in freed)
        first = freed[-1]     # nearest the tensor: where the path breaks
        where = "" if get_provenance(first) is None else (
            f"; the path breaks at {type(first).__name__}{_at(first)}")
        return NoGradReason(GRAPH_FREED, (
            f"the graph has already been freed by a backward without retain_graph=True: "
            f"saved tensors of {names} on the path are released, so another backward raises; "
            "redo the forward or pass retain_graph=True to the first backward"
            + ("; its .grad holds what the earlier backward sent"
               if tensor.is_leaf and tensor.grad is not None
               else "") + where),
            reaches=True, freed=freed, source=get_provenance(first))
    if tensor.grad_fn is not None and not tensor.retains_grad:
        return NoGradReason(NON_LEAF_NO_RETAIN, (
            f"a gradient flows through the tensor (a non-leaf, grad_fn="
            f"{type(tensor.grad_fn).__name__}), but autograd keeps .grad only for leaves: call "
            "tensor.retain_grad() before backward, or use autograd.grad(output, tensor)"),
            reaches=True)
    route = " -> ".join(type(n).__name__ for n in path)
    return NoGradReason(OK, f"a gradient reaches the tensor along {route}", reaches=True)


def why_no_grad(output, tensor):
    """Explain why no gradient reaches ``tensor`` (or each tensor of a list) from ``output``.

    Returns a ``NoGradReason`` (``str()`` of it is the short explanation; ``.code`` the reason),
    or a list of them for a list of tensors. Reason codes: ok, integer_dtype, inference_tensor,
    requires_grad_false, output_no_graph, cut, not_in_graph, non_leaf_without_retain_grad,
    graph_freed."""
    if isinstance(tensor, (list, tuple)):
        return [_one(output, t) for t in tensor]
    return _one(output, tensor)
