"""The backward engine: one iterative pass over the graph, each node run once.

1. Walk the graph from the roots with an explicit stack, counting each node's incoming edges.
2. Run nodes from a heap ordered by descending creation sequence number; a node becomes ready
   when all its consumers have run. Its gradient buffer is popped before it runs.
3. Broadcast reduction and dtype casting of gradients happen here, once, for every op.
4. Saved tensors are released after a node ran, unless ``retain_graph``.

With ``create_graph=False`` gradients are NumPy arrays and formulas get the NumPy namespace; with
``create_graph=True`` they are Tensors, formulas get the Tensor namespace, and grad mode is on, so
the backward pass itself is recorded.
"""
from __future__ import annotations

import heapq
import warnings

import numpy as np

from .. import _grad_mode
from .node import AccumulateGrad, Node

__all__ = ["run_backward"]

_warned_create_graph = False


def _shape_str(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


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


def _fit(node: Node, i: int, g, target: Node, as_tensors: bool):
    """Reduce a broadcast gradient to the shape its target expects, and cast its dtype."""
    shape = target._shape
    if g.shape != shape:
        if not _expandable(shape, g.shape):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{_shape_str(g.shape)} but expected shape compatible with {_shape_str(shape)}")
        if as_tensors:
            from ..ops.reduction import sum_to_size
            g = sum_to_size(g, shape)
        else:
            g = _np_sum_to(g, shape)
    dtype = target._dtype
    if as_tensors:
        if g._data.dtype != dtype:
            g = g.to(_np_to_dtype(dtype))
    elif g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _np_to_dtype(np_dtype):
    from .._dtype import from_numpy_dtype
    return from_numpy_dtype(np_dtype)


def _as_tensor(g):
    from .._tensor import Tensor
    return Tensor._make(np.asarray(g), None, False)


def _hook_result(fn, res, g, as_tensors: bool):
    """A hook's replacement gradient, checked like PyTorch's ``check_grad``."""
    from .._tensor import Tensor
    if not isinstance(res, Tensor):
        raise TypeError(f"expected Tensor, but hook returned '{type(res).__name__}'")
    if res._data.shape != np.shape(g._data if as_tensors else g):
        name = getattr(fn, "__name__", type(fn).__name__)
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    return res if as_tensors else res._data


def _run_tensor_hooks(hooks, g, as_tensors: bool):
    """Tensor hooks see and may replace the gradient (as a Tensor)."""
    for fn in list(hooks.values()):
        res = fn(g if as_tensors else _as_tensor(g))
        if res is not None:
            g = _hook_result(fn, res, g, as_tensors)
    return g


def _store_grad(tensor, g, as_tensors: bool) -> None:
    """Set or accumulate ``tensor.grad`` like AccumulateGrad: in place when grad mode is off,
    a fresh buffer the first time (a gradient array can be shared with other inputs)."""
    from .._tensor import Tensor
    dtype = tensor._data.dtype
    old = tensor._grad
    if as_tensors:
        if old is None:
            tensor._grad = g if g.grad_fn is not None else Tensor._make(
                np.array(g._data, dtype=dtype), None, False)
        else:
            tensor._grad = old + g
        return
    if old is None:
        tensor._grad = Tensor._make(np.array(g, dtype=dtype), None, False)
    elif old.grad_fn is None and old._data.flags.writeable and old._data.shape == np.shape(g):
        old._data += g
        old._vc[0] += 1
    else:
        tensor._grad = old + _as_tensor(g)


def _accumulate(var, g, as_tensors: bool) -> None:
    """AccumulateGrad: the leaf's hooks, then ``.grad``, then post-accumulate hooks."""
    x = var._x
    if x is not None and x.hooks:
        g = _run_tensor_hooks(x.hooks, g, as_tensors)
    _store_grad(var, g, as_tensors)
    if x is not None and x.post_acc_hooks:
        for fn in list(x.post_acc_hooks.values()):
            fn(var)


def _retain(node: Node, grads, as_tensors: bool) -> None:
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


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None,
                 accumulate: bool = True, allow_unreachable: bool = True):
    """Backpropagate ``root_grads`` from ``roots``.

    ``accumulate=True`` (Tensor.backward): write leaf ``.grad`` (only of ``inputs`` if given).
    ``accumulate=False`` (autograd.grad): return the gradient of each of ``inputs`` instead.
    Root gradients are arrays (create_graph False) or Tensors (create_graph True).
    """
    global _warned_create_graph
    as_tensors = create_graph
    if as_tensors:
        from ..ops import tensor_ns as ns
    else:
        from ..ops import numpy_ns as ns

    # Root edges.
    buffers: dict = {}
    root_nodes = []
    for t, g in zip(roots, root_grads):
        node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator()
        nr = _out_nr(t)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.num_outputs
            root_nodes.append(node)
        if g is not None:
            buf[nr] = g if buf[nr] is None else buf[nr] + g

    # Capture targets: the node whose incoming gradient is an input's gradient.
    targets = None
    if inputs is not None:
        targets = {}
        for k, t in enumerate(inputs):
            node = t.grad_fn if t.grad_fn is not None else t._grad_accumulator(create=False)
            if node is not None:
                targets.setdefault(node, []).append(k)

    # 1. Dependency counts (and, with targets, which nodes lead to one).
    deps: dict = {}
    seen = set(root_nodes)
    order = []                      # nodes in DFS discovery order
    stack = list(root_nodes)
    while stack:
        node = stack.pop()
        order.append(node)
        for nxt, _ in node.next_functions:
            if nxt is None:
                continue
            deps[nxt] = deps.get(nxt, 0) + 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    needed = None
    if targets is not None:
        needed = set(targets)
        # Reverse discovery order is not a topological order in general; iterate to a fixpoint
        # with a reversed topological sort instead (Kahn on the reachable subgraph).
        needed = _nodes_leading_to(order, deps, needed)

    captured = [None] * len(inputs) if inputs is not None else None
    if create_graph and accumulate and not _warned_create_graph:
        _warned_create_graph = True
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this function, "
            "make sure to reset the .grad fields of your parameters to None after use to break the "
            "cycle and avoid the leak.", UserWarning, stacklevel=4)

    heap = [(-n._seq, n) for n in root_nodes if n not in deps]
    heapq.heapify(heap)
    heappop, heappush = heapq.heappop, heapq.heappush
    pop_buffer, get_buffer = buffers.pop, buffers.get
    prev_mode = _grad_mode.is_grad_enabled()
    _grad_mode._set_grad_enabled(create_graph)
    try:
        while heap:
            node = heappop(heap)[1]
            grads = pop_buffer(node, None)
            if grads is not None and (grads[0] is not None or (
                    len(grads) > 1 and any(g is not None for g in grads))):
                nx = node._x
                if nx is not None:
                    if nx.pre_hooks:
                        grads = _run_pre_hooks(node, grads, as_tensors)
                    if nx.retain_refs:
                        _retain(node, grads, as_tensors)
            else:
                grads = None
            if targets is not None and node in targets:
                for k in targets[node]:
                    captured[k] = None if grads is None else grads[_out_nr(inputs[k])]
            run = grads is not None and (needed is None or node in needed)
            if type(node) is AccumulateGrad:
                if run and accumulate and (targets is None or node in targets):
                    _accumulate(node.variable, grads[0], as_tensors)
                continue
            outs = None
            if run:
                outs = node.apply(ns, grads, as_tensors)
                if len(outs) != len(node.next_functions):
                    raise RuntimeError(
                        f"Function {node.name()} returned an invalid number of gradients - "
                        f"expected {len(node.next_functions)}, but got {len(outs)}")
                if node._x is not None and node._x.hooks:
                    outs = _run_post_hooks(node, outs, grads, as_tensors)
                if not retain_graph and node._saved is not None:
                    node.release()
            for i, (nxt, idx) in enumerate(node.next_functions):
                if nxt is None:
                    continue
                if outs is not None:
                    g = outs[i]
                    if g is not None:
                        if as_tensors or g.shape != nxt._shape or g.dtype != nxt._dtype:
                            g = _fit(node, i, g, nxt, as_tensors)
                        buf = get_buffer(nxt)
                        if buf is None:
                            if nxt.num_outputs == 1:
                                buffers[nxt] = [g]
                            else:
                                buf = buffers[nxt] = [None] * nxt.num_outputs
                                buf[idx] = g
                        else:
                            old = buf[idx]
                            buf[idx] = g if old is None else old + g
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    heappush(heap, (-nxt._seq, nxt))
    finally:
        _grad_mode._set_grad_enabled(prev_mode)
    return captured


def _nodes_leading_to(order, deps, targets) -> set:
    """Nodes of the reachable graph from which some target node can be reached."""
    # Kahn's algorithm gives a topological order (consumers before producers); walking it in
    # reverse visits every node after all of its inputs.
    remaining = dict(deps)
    topo = []
    ready = [n for n in order if n not in remaining]
    while ready:
        n = ready.pop()
        topo.append(n)
        for nxt, _ in n.next_functions:
            if nxt is None:
                continue
            remaining[nxt] -= 1
            if remaining[nxt] == 0:
                ready.append(nxt)
    needed = set(targets)
    for n in reversed(topo):
        if n in needed:
            continue
        for nxt, _ in n.next_functions:
            if nxt is not None and nxt in needed:
                needed.add(n)
                break
    return needed


def _out_nr(t) -> int:
    return 0 if t._x is None else t._x.out_nr


def _run_pre_hooks(node: Node, grads: list, as_tensors: bool) -> list:
    for fn in list(node._x.pre_hooks.values()):
        if getattr(fn, "_tensor_hook", False):
            nr = fn.out_nr
            g = grads[nr]
            if g is None:
                continue
            res = fn(g if as_tensors else _as_tensor(g))
            if res is not None:
                grads = list(grads)
                grads[nr] = _hook_result(fn.fn, res, g, as_tensors)
            continue
        wrapped = tuple(g if (as_tensors or g is None) else _as_tensor(g) for g in grads)
        res = fn(wrapped)
        if res is not None:
            grads = [r if (as_tensors or r is None) else r._data for r in res]
    return grads


def _run_post_hooks(node: Node, outs, grads, as_tensors: bool):
    wrap = (lambda g: g) if as_tensors else (lambda g: None if g is None else _as_tensor(g))
    for fn in list(node._x.hooks.values()):
        res = fn(tuple(wrap(g) for g in outs), tuple(wrap(g) for g in grads))
        if res is not None:
            outs = tuple(r if (as_tensors or r is None) else r._data for r in res)
    return outs


def call_node(node: Node, grads):
    """``grad_fn(grad)``: run one node's formula directly (no engine, no hooks)."""
    from .._tensor import Tensor
    as_tensors = _grad_mode.is_grad_enabled()
    if as_tensors:
        from ..ops import tensor_ns as ns
        outs = node.apply(ns, list(grads), True)
        return outs if len(outs) != 1 else outs[0]
    from ..ops import numpy_ns as ns
    outs = node.apply(ns, [g._data for g in grads], False)
    res = tuple(None if o is None else Tensor._make(np.asarray(o), None, False) for o in outs)
    return res if len(res) != 1 else res[0]
