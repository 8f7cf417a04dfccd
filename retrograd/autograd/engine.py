"""The backward engine: one iterative pass over the graph, each node run once.

1. Walk the graph from the roots with an explicit stack, counting each node's incoming edges.
2. Run nodes from a heap ordered by descending creation sequence number; a node becomes ready
   when all its consumers have run. Its gradient buffer is popped before it runs.
3. Broadcast reduction and dtype casting of gradients happen here, once, for every op.
4. Saved tensors are released after a node ran, unless ``retain_graph``.

With ``create_graph=False`` gradients are NumPy arrays and formulas get the NumPy namespace; with
``create_graph=True`` they are Tensors, formulas get the Tensor namespace, and grad mode is on, so
the backward pass itself is recorded.

The common node (gradients defined, no hooks, every node needed, anomaly mode off) takes the short
path in ``run_backward``'s loop; everything else (hooks, ``inputs=``/``autograd.grad`` filtering
and captures, nodes that received no gradient, anomaly checks) goes through ``_evaluate``, which
follows PyTorch's ``evaluate_function``/``call_function``:

- tensor pre-hooks (``Tensor.register_hook``, in registration order), then retain_grad, then the
  node's pre-hooks (``Node.register_prehook``), then the node, then its post-hooks
  (``Node.register_hook``); hooks see ``None`` for gradients that are undefined;
- ``autograd.grad`` captures an input's gradient at its node: after the tensor pre-hooks when the
  node is not otherwise needed, before them when it is (PyTorch's ordering);
- a node that received no gradient at all still runs its hooks (and a custom Function's backward
  runs, with materialized zeros or ``None``), as PyTorch's engine runs every node of the task.
"""
from __future__ import annotations

import contextvars
import heapq
from sys import getrefcount
import warnings

import numpy as np

from .. import _grad_mode
from .. import _malloc
from . import node as _node_mod
from ._record import OPS
from ._saved import _RELEASED
from ._node_meta import needed_nodes as _needed
from .node import (AccumulateGrad, Node, _task_ids, _tasks, current_graph_task,  # noqa: F401
                   edge_meta, _expandable, _np_sum_to)
from ._engine_util import (GradientEdge, _GRAD_LOCK, _as_tensor, _check_nan,  # noqa: F401
                           _edge_of, _fit, _hook_name, _hook_result, _hook_results,
                           _node_call, _node_post_hooks, _node_pre_hooks, _np_to_dtype, _out_nr,
                           _retain, _retain_locked, _run_post_acc_hooks, _run_tensor_hooks,
                           _shape_str, _tensor_pre_hooks, _warn_anomaly, _wrap, call_node)
from .._quiet import quiet as _quiet
from .._tensor import Tensor

__all__ = ["run_backward"]

_PLAIN = _node_mod.PLAIN

_malloc.tune()  # large gradient buffers reuse the heap instead of fresh pages (see _malloc.py)

# The active ``autograd.explain()`` recorders of this thread or task (``_explain`` adds to it);
# kept here so that the explainer module loads only when one is created.
EXPLAINERS: contextvars.ContextVar = contextvars.ContextVar("retrograd_explain", default=())

_warned_create_graph = False


# -- the graph task: what is running now (per thread; backward calls can nest) -----------------
class _GraphTask:
    """One backward call: PyTorch's GraphTask, as far as hooks and checkpointing can see it."""

    __slots__ = ("id", "deps", "roots", "needed", "captured_only", "targets", "accumulate",
                 "current")

    def __init__(self, task_id, deps, roots, needed, captured_only, targets, accumulate):
        self.id = task_id
        self.deps = deps              # every node an edge reaches (-> edges left to run)
        self.roots = roots            # the set of root nodes
        self.needed = needed          # None: all of them run; else those leading to an input
        self.captured_only = captured_only  # inputs' nodes autograd.grad captures but never runs
        self.targets = targets        # None, or {node: [input indices]} (inputs=/autograd.grad)
        self.accumulate = accumulate
        self.current = None           # the node running now (anomaly mode only)


def current_graph_task_id() -> int:
    task = current_graph_task()
    return -1 if task is None else task.id


def will_engine_execute_node(node) -> bool:
    """PyTorch's ``torch._C._will_engine_execute_node``."""
    task = current_graph_task()
    if task is None:
        raise RuntimeError("_get_should_execute_nodes should only be called during the backward "
                           "pass")
    if node not in task.deps and node not in task.roots:
        return False
    if task.targets is None:
        return True
    captured = not task.accumulate and node in task.targets
    if (node not in task.needed or node in task.captured_only) and not captured:
        return False
    if captured and not node.next_functions:
        raise RuntimeError("A leaf node was passed to _will_engine_execute_node but we are "
                           "currently running autograd.grad(). This is currently not supported.")
    return True


def is_checkpoint_valid() -> bool:
    """PyTorch's ``torch.autograd._is_checkpoint_valid``: False inside ``autograd.grad`` or a
    ``backward(inputs=...)`` (reentrant checkpointing cannot run there)."""
    task = current_graph_task()
    return task is None or task.targets is None


def _store_grad(tensor, g, as_tensors: bool, owned: bool = False) -> None:
    """Set or accumulate ``tensor.grad`` like AccumulateGrad: in place when grad mode is off,
    a fresh buffer the first time (a gradient array can be shared with other inputs).
    ``owned``: nothing but the engine holds ``g`` (PyTorch's use_count check), so a first
    gradient laid out like the parameter is taken as it is instead of copied."""
    with _GRAD_LOCK:
        _store_grad_locked(tensor, g, as_tensors, owned)


def _store_grad_locked(tensor, g, as_tensors: bool, owned: bool = False) -> None:
    dtype = tensor._data.dtype
    old = tensor._grad
    if as_tensors:
        if old is None:
            if g.grad_fn is None:
                tensor._grad = Tensor._make(np.array(g._data, dtype=dtype), None, False)
            else:   # PyTorch's clone_obey_contract: an empty tensor laid out like the leaf,
                #     copy_'d from the gradient (its grad_fn is CopyBackwards)
                buf = Tensor._make(np.empty_like(tensor._data), None, False)
                tensor._grad = buf.copy_(g)
        else:
            tensor._grad = old + g
        return
    if old is None:
        if owned and type(g) is np.ndarray and g.dtype == dtype and g.flags.writeable and g.shape == tensor._data.shape and \
                (g.ndim < 2 or g.strides == tensor._data.strides):
            tensor._grad = Tensor._make(g, None, False)
            return
        tensor._grad = Tensor._make(_laid_out_like(tensor._data, g, dtype), None, False)
    elif old._data.flags.writeable and old._data.shape == np.shape(g):
        old._data += g          # in place, as PyTorch's ``variable_grad += new_grad`` (a grad
        old._vc[0] += 1         # made by create_graph keeps its grad_fn)
    else:
        tensor._grad = old + _as_tensor(g)


def _sole_view(g) -> bool:
    """``g`` owns its memory, or is a view over the whole of an array nothing else holds (the
    transposed weight gradient of F.linear, a bias gradient reshaped after its sum): then the
    engine may keep it as ``.grad`` (only the caller's ``g`` refers to ``g``)."""
    base = g.base if type(g) is np.ndarray else None
    if base is None:
        return True
    # references to base: g's base pointer, the local name, getrefcount's argument
    return type(base) is np.ndarray and base.base is None and base.size == g.size and \
        getrefcount(base) <= 3


def _laid_out_like(param: np.ndarray, g, dtype) -> np.ndarray:
    """A fresh copy of gradient ``g`` with the parameter's memory layout (PyTorch's gradient
    layout contract): a weight seen through ``.t()`` gets its gradient as a transposed view, and
    an optimizer's in-place update over a transposed gradient walks memory against the grain."""
    g = np.asarray(g)
    if g.shape == param.shape and param.ndim > 1 and g.strides != param.strides and \
            (param.flags.c_contiguous or param.flags.f_contiguous):
        out = np.empty_like(param, dtype=dtype)
        np.copyto(out, g, casting="unsafe")
        return out
    return np.array(g, dtype=dtype)


def _accumulate(var, g, as_tensors: bool, owned: bool = False) -> None:
    """AccumulateGrad: the leaf's hooks, then ``.grad``, then post-accumulate hooks."""
    x = var._x
    if x is None:
        with _GRAD_LOCK:
            _store_grad_locked(var, g, as_tensors, owned)
        return
    if x.hooks:
        g = _run_tensor_hooks(x.hooks, g, as_tensors)
        owned = False
    _store_grad(var, g, as_tensors, owned)
    if x.post_acc_hooks:
        _run_post_acc_hooks(var, x.post_acc_hooks)


# -- one node, the general way ---------------------------------------------------------------------
class _Run:
    """The settings of one run_backward call that ``_evaluate`` needs."""

    __slots__ = ("ns", "as_tensors", "retain_graph", "accumulate", "targets", "needed", "reach",
                 "captured_only", "inputs", "captured", "anomaly", "check_nan", "task")


def _evaluate(node: Node, grads, r: _Run):
    """Run ``node`` with ``grads`` (a list, or None when it received no gradient at all) the way
    PyTorch's engine does. Returns the gradients for next_functions, or None."""
    as_tensors = r.as_tensors
    if grads is None:
        grads = [None] * node.num_outputs
    targets = r.targets
    if targets is not None:
        needed = node in r.needed and node not in r.captured_only
        captures = None if r.accumulate else targets.get(node)
        if captures is not None:
            if not needed:
                if type(node) is AccumulateGrad:
                    x = node.variable._x
                    if x is not None and x.hooks:
                        grads = [_run_tensor_hooks(x.hooks, grads[0], as_tensors)]
                else:
                    grads = _tensor_pre_hooks(node, grads, as_tensors)
            for k in captures:
                r.captured[k] = grads[r.inputs[k]]
        if not needed:
            return None
    if type(node) is AccumulateGrad:
        var = node.variable
        g = grads[0]
        x = var._x
        if x is not None and x.hooks:
            g = _run_tensor_hooks(x.hooks, g, as_tensors)
        nx = node._x
        if nx is not None and nx.pre_hooks:
            g = _node_pre_hooks(node, [g], as_tensors)[0]
        if g is not None and r.accumulate:
            _store_grad(var, g, as_tensors)
        if x is not None and x.post_acc_hooks:
            _run_post_acc_hooks(var, x.post_acc_hooks)
        if nx is not None and nx.hooks:
            _node_post_hooks(node, (), [g], as_tensors)
        return None
    grads = _tensor_pre_hooks(node, grads, as_tensors)
    grads = _node_pre_hooks(node, grads, as_tensors)
    if any(g is not None for g in grads) or getattr(node, "_run_without_grads", False):
        if r.anomaly:
            r.task.current = node
            try:
                outs = node.apply(r.ns, grads, as_tensors)
            finally:
                r.task.current = None
        else:
            outs = node.apply(r.ns, grads, as_tensors)
        if len(outs) != len(node.next_functions):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid number of gradients - "
                f"expected {len(node.next_functions)}, but got {len(outs)}")
    else:
        outs = (None,) * len(node.next_functions)
    if targets is not None:
        # Like PyTorch, a node computes no gradient for edges that lead to no requested input.
        reach = r.reach
        outs = tuple(None if nxt is None or nxt not in reach else g
                     for g, (nxt, _) in zip(outs, node.next_functions))
    nx = node._x
    if nx is not None and nx.hooks:
        # as PyTorch's validate_outputs: post-hooks see the gradients reduced to their inputs'
        # shapes and dtypes (AddmmBackward0's bias gradient has the bias's shape)
        outs = tuple(g if g is None or nxt is None else _fit(node, i, g, nxt, idx, as_tensors)
                     for i, (g, (nxt, idx)) in enumerate(zip(outs, node.next_functions)))
        outs = _node_post_hooks(node, outs, grads, as_tensors)
    if not r.retain_graph and node._saved is not None:
        node.release()
    if r.anomaly and r.check_nan:
        _check_nan(node, outs, as_tensors)
    return outs


# -- the engine ---------------------------------------------------------------------------------
def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool, inputs=None,
                 accumulate: bool = True, allow_unreachable: bool = True):
    """Backpropagate ``root_grads`` from ``roots``.

    ``accumulate=True`` (Tensor.backward): write leaf ``.grad`` (only of ``inputs`` if given).
    ``accumulate=False`` (autograd.grad): return the gradient of each of ``inputs`` instead.
    Root gradients are arrays (create_graph False) or Tensors (create_graph True).
    """
    global _warned_create_graph
    as_tensors = create_graph
    ns = OPS.tensor_ns if as_tensors else OPS.numpy_ns

    # Root edges.
    buffers: dict = {}
    root_nodes = []
    for t, g in zip(roots, root_grads):
        node, nr = _edge_of(t, True)
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * node.num_outputs
            root_nodes.append(node)
        if g is not None:
            buf[nr] = g if buf[nr] is None else buf[nr] + g

    # Capture targets: the node whose incoming gradient is an input's gradient.
    targets = None
    in_nrs = None
    if inputs is not None:
        targets = {}
        in_nrs = []
        for k, t in enumerate(inputs):
            node, nr = _edge_of(t, False)
            in_nrs.append(nr)
            if node is not None:
                targets.setdefault(node, []).append(k)

    # 1. Dependency counts: deps[n] = how many edges lead into n. Every node reached through
    # an edge has an entry; the roots that no edge reaches have none.
    deps: dict = {}
    root_set = set(root_nodes)
    stack = list(root_nodes)
    while stack:
        for nxt, _ in stack.pop().next_functions:
            if nxt is None:
                continue
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                if nxt not in root_set:
                    stack.append(nxt)

    # With inputs: the nodes that must run. backward(inputs=...) runs every node leading to an
    # input (the inputs' own nodes included); autograd.grad only captures at the inputs' nodes,
    # so an input's node runs only if it leads to another input.
    needed = reach = None
    captured_only = ()
    if targets is not None:
        reach = _nodes_leading_to(root_nodes, deps, targets)
        needed = reach
        if not accumulate:
            # Inputs' nodes that lead to no other input are only captured, not run.
            captured_only = {n for n in targets if not any(
                nxt is not None and nxt in reach for nxt, _ in n.next_functions)}

    captured = [None] * len(inputs) if inputs is not None else None
    if create_graph and accumulate and not _warned_create_graph:
        _warned_create_graph = True
        warnings.warn(
            "Using backward() with create_graph=True will create a reference cycle between the "
            "parameter and its gradient which can cause a memory leak. We recommend using "
            "autograd.grad when creating the graph to avoid this. If you have to use this function, "
            "make sure to reset the .grad fields of your parameters to None after use to break the "
            "cycle and avoid the leak.", UserWarning, stacklevel=4)

    anomaly = _node_mod._anomaly_enabled
    task = _GraphTask(next(_task_ids), deps, root_set, needed, captured_only, targets,
                      accumulate)
    # The short path: no anomaly checks, no explainer and no inputs filtering (autograd.grad
    # and backward(inputs=...) still take it for nodes that simply run). An active explainer
    # (autograd.explain) sends every node through ``_evaluate``, wrapped to record it. The
    # settings ``_evaluate`` reads (``r``) are gathered the first time a node needs them.
    explainers = EXPLAINERS.get()
    fast = not anomaly and not explainers
    r = None
    if explainers:
        r = _run_settings(ns, as_tensors, retain_graph, accumulate, targets, needed, reach,
                          in_nrs, captured, captured_only, anomaly, task)
        from ._explain import evaluator  # loaded already: explain() put the explainers there
        evaluate = evaluator(explainers, root_nodes, r, _evaluate)
    else:
        evaluate = _evaluate

    heap = [(-n._seq, n) for n in root_nodes if n not in deps]
    heapq.heapify(heap)
    heappop, heappush = heapq.heappop, heapq.heappush
    pop_buffer, get_buffer = buffers.pop, buffers.get
    prev_mode = _grad_mode.is_grad_enabled()
    _grad_mode._set_grad_enabled(create_graph)
    tasks = _tasks()
    tasks.append(task)
    prev_needed = _needed.nodes, _needed.current   # (a backward inside a backward: its own)
    _needed.nodes = needed
    node = None
    ready = None    # a node made ready by the last one while the heap was empty: it runs next
    # Formulas follow IEEE (1/0 = inf, 0/0 = nan) without NumPy's warnings, as in PyTorch.
    quiet = _quiet()
    quiet.__enter__()
    try:
        while True:
            if ready is not None:
                node, ready = ready, None
            elif heap:
                node = heappop(heap)[1]
            else:
                break
            grads = pop_buffer(node, None)
            if needed is not None:
                _needed.current = node
            if fast and node._x is None and grads is not None and (grads[0] is not None or (
                    len(grads) > 1 and any(g is not None for g in grads))) and (
                    needed is None or (node in needed and node not in targets)):
                if type(node) is AccumulateGrad:
                    if accumulate:
                        g = grads[0]
                        # held by nothing but ``grads`` and ``g`` (and getrefcount's argument):
                        # the array is the engine's own, and becomes ``.grad`` uncopied
                        owned = getrefcount(g) <= 3 and _sole_view(g)
                        _accumulate(node.variable, g, as_tensors, owned)
                    continue
                plain = type(node) in _PLAIN
                if plain:     # Node.apply inlined
                    if node._saved is None:
                        outs = node.backward(ns, grads[0])
                    else:
                        outs = node.backward(ns, grads[0], *node.unpack(as_tensors))
                else:
                    outs = node.apply(ns, grads, as_tensors)
                if len(outs) != len(node.next_functions):
                    raise RuntimeError(
                        f"Function {node.name()} returned an invalid number of gradients - "
                        f"expected {len(node.next_functions)}, but got {len(outs)}")
                if not retain_graph:
                    saved = node._saved     # Node.release inlined for the common entries:
                    if saved is not None:   # no None saved (nothing to remember about it)
                        if plain and saved is not _RELEASED and None not in node._versions:
                            node._saved = _RELEASED
                        else:
                            node.release()
            else:
                if r is None:
                    r = _run_settings(ns, as_tensors, retain_graph, accumulate, targets, needed,
                                      reach, in_nrs, captured, captured_only, anomaly, task)
                outs = evaluate(node, grads, r)
                if outs is None:
                    outs = (None,) * len(node.next_functions)
            i = -1
            for g, (nxt, idx) in zip(outs, node.next_functions):
                i += 1
                if nxt is None:
                    continue
                if g is not None:
                    if as_tensors or g.shape != nxt._shape or (
                            g.dtype is not nxt._dtype and g.dtype != nxt._dtype):
                        g = _fit(node, i, g, nxt, idx, as_tensors)
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
                    if ready is None:
                        ready = nxt
                    else:
                        heappush(heap, (-nxt._seq, nxt))
            if ready is not None and heap:   # the heap decides which ready node runs next
                heappush(heap, (-ready._seq, ready))
                ready = None
            outs = g = None     # drop the loop's references (see AccumulateGrad above)
    except BaseException as exc:
        if anomaly and node is not None:
            _warn_anomaly(node)
        if _node_mod._provenance_enabled and node is not None:
            from .provenance import add_to_error
            add_to_error(exc, node)
        raise
    finally:
        quiet.__exit__(None, None, None)
        tasks.pop()
        _needed.nodes, _needed.current = prev_needed
        _grad_mode._set_grad_enabled(prev_mode)
    return captured


def _run_settings(ns, as_tensors, retain_graph, accumulate, targets, needed, reach, in_nrs,
                  captured, captured_only, anomaly, task) -> _Run:
    r = _Run()
    r.ns, r.as_tensors, r.retain_graph, r.accumulate = ns, as_tensors, retain_graph, accumulate
    r.targets, r.needed, r.reach, r.inputs, r.captured = targets, needed, reach, in_nrs, captured
    r.captured_only = captured_only
    r.anomaly, r.check_nan, r.task = anomaly, _node_mod._anomaly_check_nan, task
    return r


def _nodes_leading_to(root_nodes, deps, targets) -> set:
    """Nodes of the reachable graph from which some target node can be reached."""
    # Kahn's algorithm gives a topological order (consumers before producers); walking it in
    # reverse visits every node after all of its inputs. It starts from the nodes no edge
    # reaches: the roots without an entry in ``deps``.
    remaining = dict(deps)
    topo = []
    ready = [n for n in root_nodes if n not in remaining]
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
