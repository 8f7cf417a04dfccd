"""Small pieces of the backward graph that need no ``Node``: the forward-mode shortcuts
(ELEMENTWISE, LINEAR), a node's gradient shape and rarely used state, the per-thread stack of
running backward calls, and the reduction of a broadcast gradient. Part of ``node``: every name
here is importable from ``retrograd.autograd.node`` as before.
"""
from __future__ import annotations

import itertools
import _thread  # (threading itself is not needed at import: its local and Lock are these)


class _JvpShortcut:
    """A forward-mode rule that needs no formula of its own (``Node.jvp``): see ELEMENTWISE and
    LINEAR."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# The op's Jacobian with respect to each input is diagonal (elementwise, broadcasting allowed):
# its JVP along a tangent t_i of input i is its VJP of t_i, so the backward formula serves both
# (PyTorch's ``result: auto_element_wise``). The JVP is the sum over inputs, broadcast to the
# result's shape.
ELEMENTWISE = _JvpShortcut("ELEMENTWISE")
# The op is linear in its floating-point tensor inputs taken together (views, reshapes, sums,
# cat, indexing): its JVP is the op itself applied to the tangents, with zeros for inputs that
# have none (PyTorch's ``auto_linear``). Not for affine ops (``add(x, 2.0)``).
LINEAR = _JvpShortcut("LINEAR")


def edge_meta(node, nr: int):
    """(shape, NumPy dtype) of the gradient that flows into output ``nr`` of ``node``: the
    node's own, or, for a node whose outputs differ (``_shape`` None), ``_out_meta[nr]``."""
    if node._shape is not None:
        return node._shape, node._dtype
    return node._out_meta[nr]


class _NodeExtra:
    """Rarely used per-node state (hooks, retained grads, metadata), kept off the hot path."""

    __slots__ = ("pre_hooks", "hooks", "retain_refs", "metadata", "freed_nones", "provenance")

    def __init__(self):
        self.pre_hooks = None     # {id: fn(grad_outputs)}, tensor hooks included
        self.hooks = None         # {id: fn(grad_inputs, grad_outputs)}
        self.retain_refs = None   # [(weakref to a tensor that retains its grad, output index)]
        self.metadata = None
        self.freed_nones = None   # after release: which saved slots were None
        self.provenance = None    # where the node was created (autograd/provenance.py)


# -- the backward calls running in this thread (the engine pushes and pops them) -----------
_task_ids = itertools.count()
_tls = _thread._local()


class _Needed(_thread._local):
    """The nodes whose gradients the innermost backward call of this thread wants, when it was
    given inputs (``autograd.grad``, ``backward(inputs=...)``: the nodes leading to an input);
    None when every gradient is wanted. ``Node.needs`` reads it: PyTorch's
    should_compute_output, so ``autograd.grad(y, x)`` computes no gradient of a weight.
    ``current``: the node that call is running (only its ``needs`` reads the set: a formula may
    run another node's backward for its own ends, or record nodes)."""
    nodes = None
    current = None


needed_nodes = _Needed()


def _tasks() -> list:
    stack = getattr(_tls, "tasks", None)
    if stack is None:
        stack = _tls.tasks = []
    return stack


def current_graph_task():
    """The innermost backward call running in this thread, or None."""
    stack = getattr(_tls, "tasks", None)
    return stack[-1] if stack else None


def _executing_node():
    """The node whose backward is running in this thread (anomaly mode tracks it), or None."""
    task = current_graph_task()
    return None if task is None else task.current


def _forward_name(node_name: str) -> str:
    import re
    return re.sub(r"Backward\d*$", "", node_name)


# -- reducing a broadcast gradient (the engine; the explainer) -------------------------------
def _expandable(src, dst) -> bool:
    """Whether shape ``dst`` can be summed down to ``src`` (i.e. src broadcasts to dst)."""
    if len(src) > len(dst):
        return False
    for s, d in zip(reversed(src), reversed(dst)):
        if s != d and s != 1:
            return False
    return True


def _np_sum_to(g, shape):
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g
