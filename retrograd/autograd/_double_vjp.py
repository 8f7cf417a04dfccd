"""Forward AD's fallback: the JVP of an op from its backward formula, by a double VJP.

For ``y = f(x)``, ``g(v) = J^T v`` is linear in ``v``, so ``J t = d/dv <g(v), t>``: one
``create_graph`` backward (``g``) and one more backward (``d/dv``). This is done *op by op*, on a
re-run of the op on stand-ins of its inputs (fresh leaves, or proxies connected to the inputs'
graphs afterwards; see ``_StandIns``), so it is local: it works when no primal requires grad,
inside ``no_grad``, it never makes a result require grad that PyTorch's would not, and a chain of
n ops costs O(n). Tangents require grad exactly when PyTorch's do (grad mode on, and a primal, a
tangent or another input requiring grad), and are then differentiable with respect to all of
them (reverse-over-forward works).

Taken by the ops without a forward-mode rule of their own (``tests/test_jvp_rules.py`` lists
them), by every op whose tangents must carry a graph, and by every in-place op. The values that
the op's nodes saved (intermediate results of an op built from others) get their tangents too
(``_Intermediates``), for a differentiable backward through those nodes.
"""
from __future__ import annotations

import numpy as np

from .. import _grad_mode
from .._tensor import Tensor
from ._dual import _any_requires_grad, _by_data_get, _own, _remember_array, _set, _tensor_args
from ._jvp_rules import _flat, _substitute
from ._backward import grad as _grad
from ._record import edge as _edge
from .node import AccumulateGrad, Node, SavedOutput, _PackedSaved, _output_tensor, _sequence


def _tangents_by_rerun(op, args, kwargs, duals, outs, mark):
    """J t of ``op`` at the dual inputs along their tangents, by double backward of a re-run on
    stand-ins of the inputs (see the module docstring and ``_StandIns``). The values the op's
    nodes saved (intermediate results of an op built from others) get their tangents too
    (``_Intermediates``)."""
    grad_on = _grad_mode.is_grad_enabled()
    with _enable_grad():
        ins = _StandIns(grad_on, args, kwargs, duals)
        rmark = _node_mark()
        res = op(*_substitute(args, ins.mapping), **_substitute(kwargs, ins.mapping))
        routs = [o for o in _flat(res) if o._data.dtype.kind == "f"]
        if len(routs) != len(outs):
            raise RuntimeError("forward AD: the op's re-run returned a different number of "
                               "outputs")
        mids = _Intermediates(outs, mark, routs, rmark, args, kwargs)
        jts = jvp_by_double_vjp(routs + mids.targets, ins.leaves, ins.tangents,
                                create_graph=ins.track, own=ins.own)
    jts = ins.finish(jts)
    mids.store(jts[len(routs):])
    return jts[:len(routs)]


def _inplace_tangent(op, args, kwargs, duals, before, edges, mark):
    self = args[0]
    grad_on = _grad_mode.is_grad_enabled()
    with _enable_grad():
        ins = _StandIns(grad_on, args, kwargs, duals, before, edges)
        start = ins.mapping.get(id(self))
        if start is None:
            start = Tensor._make(before[id(self)])
        target = start * 1          # a non-leaf that the op may write into
        mapping = dict(ins.mapping)
        mapping[id(self)] = target
        rmark = _node_mark()
        op(*_substitute(args, mapping), **_substitute(kwargs, mapping))
        mids = _Intermediates([self], mark, [target], rmark, args, kwargs)
        jts = jvp_by_double_vjp([target] + mids.targets, ins.leaves, ins.tangents,
                                create_graph=ins.track, own=ins.own)
    jts = ins.finish(jts)
    mids.store(jts[1:])
    return jts[0]


def _node_mark() -> int:
    """A sequence number below that of every node created from now on."""
    return next(_sequence)


class _Intermediates:
    """The values saved by the nodes an op created that have no tangent: intermediate results
    of an op built from other ops (``kron``: views, then mul; ``outer``: reshape, then mul), or
    an in-place op's copy of the value it overwrote. A differentiable backward through those
    nodes (forward-over-reverse) needs their tangents.

    The op's nodes (created after ``mark``) and those of its re-run on stand-ins (after
    ``rmark``) are walked in the same order; when the two graphs have the same shape, each saved
    value of the real graph corresponds to one of the re-run graph, whose tangent is one more
    output of the double-vjp. When they differ (an op whose graph depends on something the
    re-run does not reproduce), nothing is added."""

    def __init__(self, outs, mark, routs, rmark, args, kwargs):
        self.targets: list = []
        self.keys: list = []
        real = _new_nodes(outs, mark)
        given = {id(a) for a in _tensor_args(args, kwargs)}
        if not real or (len(real) == 1 and not _saves_intermediates(real[0], outs, given)):
            return
        rerun = _new_nodes(routs, rmark)
        if len(real) != len(rerun) or any(type(a) is not type(b) for a, b in zip(real, rerun)):
            # an in-place write into a view is recorded in the real graph as CopySlices around
            # the op's node (and view nodes after it), in the re-run (into a plain tensor) as the
            # op's node: compare the nodes that saved something
            real, rerun = _saving(real), _saving(rerun)
            if len(real) != len(rerun) or any(type(a) is not type(b)
                                              for a, b in zip(real, rerun)):
                return
        self._pair(real, rerun, given)

    def _pair(self, real, rerun, given: set):
        """Collect the saved values of ``real`` without tangents (``given``: ids of the op's
        arguments, whose tangents are known) and their counterparts in ``rerun``."""
        for a, b in zip(real, rerun):
            sa, sb = a._saved, b._saved
            if not isinstance(sa, tuple) or not isinstance(sb, tuple) or len(sa) != len(sb) \
                    or type(sa) is _PackedSaved or type(sb) is _PackedSaved:
                continue
            for i, (ea, eb) in enumerate(zip(sa, sb)):
                if type(ea) is Tensor and type(eb) is Tensor:
                    if id(ea) in given or _own(ea) is not None or ea._data.dtype.kind != "f":
                        continue
                    if not eb._requires_grad:
                        continue
                    self.targets.append(eb)
                    self.keys.append(ea)
                elif type(ea) is SavedOutput and type(eb) is SavedOutput:
                    if ea.data.dtype.kind != "f" or _by_data_get(ea.data) is not None:
                        continue
                    t = _output_tensor(eb, b)
                    nr = _output_nr_of_saved(b, i)
                    if nr:
                        t._extra().out_nr = nr
                    self.targets.append(t)
                    self.keys.append(ea)

    def store(self, jts) -> None:
        for key, jt in zip(self.keys, jts):
            if jt is None:
                continue
            if type(key) is SavedOutput:
                _remember_array(key.data, jt)
            else:
                _set(key, jt)


def _output_nr_of_saved(node, i) -> int:
    """Which output of ``node`` its saved entry ``i`` is (multi-output decompositions save
    several of their outputs); 0 otherwise."""
    for pos, k in getattr(node, "out_pos", None) or ():
        if pos == i:
            return k
    return 0


def _saves_intermediates(node, outs, given: set) -> bool:
    """Whether the one node an op created saved something other than the op's arguments
    (``given``: their ids) and its own outputs (an in-place op's copy of the overwritten value
    does)."""
    saved = node._saved
    if not isinstance(saved, tuple):
        return False
    for e in saved:
        if isinstance(e, Tensor) and id(e) not in given:
            return True
        if type(e) is SavedOutput and not any(e.data is o._data for o in outs):
            return True
    return False


def _new_nodes(tensors, mark) -> list:
    """The nodes created after ``mark`` that ``tensors`` reach, in a fixed depth-first order
    (leaves' accumulators and stand-in proxies are boundaries, not part of the op)."""
    order, seen = [], set()
    stack = [t.grad_fn for t in reversed(tensors) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node in seen or node._seq <= mark or type(node) in (AccumulateGrad, _Proxy):
            continue
        seen.add(node)
        order.append(node)
        inner = getattr(node, "fn", None)   # CopySlices: the node of the op written into a view
        if isinstance(inner, Node):
            stack.append(inner)
        for nxt, _ in reversed(node.next_functions):
            if nxt is not None:
                stack.append(nxt)
    return order


def _saving(nodes) -> list:
    """The nodes of ops that saved values (not CopySlices, which wraps one)."""
    return [n for n in nodes if isinstance(n._saved, tuple) and len(n._saved) > 0
            and not isinstance(getattr(n, "fn", None), Node)]


class _Proxy(Node):
    """Stands for a tensor that requires grad while a tangent is computed. It has no edges during
    the computation, so the backward passes of the double-vjp stay local (they do not walk the
    tensor's whole history, which made a chain of n ops cost n^2), and it is connected to the
    tensor's node afterwards, so the tangent is differentiable with respect to the tensor."""

    __slots__ = ()

    def backward(self, ns, grad):
        return (grad,) if self.next_functions else ()


class _StandIns:
    """The inputs of a re-run. A dual input becomes a tensor that requires grad (to differentiate
    with respect to it): a fresh leaf, or a proxy of it when it requires grad itself and tangents
    must carry graphs (``track``: grad mode on and some input or tangent requires grad). Other
    tensor inputs, and tangents, that require grad become proxies too. ``before`` gives the data
    (and edges) to use instead of the tensors' current ones (in-place ops: the values before the
    write)."""

    def __init__(self, grad_on: bool, args, kwargs, duals, before=None, edges=None):
        self.track = grad_on and _any_requires_grad(args, kwargs, duals)
        self.own: set = set()
        self.proxies: list = []
        self.mapping: dict = {}
        self.leaves, self.tangents = [], []
        before = before or {}
        edges = edges or {}
        for key, (d, t) in duals.items():
            data = before.get(key, d._data)
            if self.track and d._requires_grad:
                leaf = self._proxy(d, data, edges.get(key))
            else:
                leaf = Tensor._make(data, None, True)
                self.own.add(id(leaf))
            self.mapping[key] = leaf
            self.leaves.append(leaf)
            self.tangents.append(self._proxy(t, t._data) if self.track and t._requires_grad else t)
        if self.track:
            for a in _tensor_args(args, kwargs):
                if a._requires_grad and id(a) not in self.mapping:
                    self.mapping[id(a)] = self._proxy(a, a._data)

    def _proxy(self, src, data, edge=None):
        node = _Proxy((), data.shape, data.dtype)
        self.proxies.append((node, edge if edge is not None else _edge(src)))
        # the live data shares the version counter (a later in-place change of the tensor is
        # caught at backward through the tangent); a copy of an older value does not
        return Tensor._make(data, node, True, src._vc if data is src._data else None)

    def finish(self, jts):
        """The computed tangents: connected to the inputs' graphs through the proxies when they
        depend on them, else detached."""
        out = []
        connect = False
        for jt in jts:
            if jt is None:
                out.append(None)
            elif self.track and jt._requires_grad and _reaches_nodes(jt, {n for n, _ in self.proxies}):
                connect = True
                out.append(jt)
            else:
                out.append(jt.detach() if jt._requires_grad else jt)
        if connect:
            for node, next_edge in self.proxies:
                node.next_functions = (next_edge,)
        return out


def _reaches_nodes(t, nodes: set) -> bool:
    if t.grad_fn is None:
        return False
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node in nodes:
            return True
        for nxt, _ in node.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


class _enable_grad:
    def __enter__(self):
        self.prev = _grad_mode.is_grad_enabled()
        _grad_mode._set_grad_enabled(True)

    def __exit__(self, *exc):
        _grad_mode._set_grad_enabled(self.prev)


def double_vjp(outs, leaves, tangents, *, create_graph: bool, ones, grad, zeros) -> list:
    """``J t`` for each of ``outs`` (Tensors), J the Jacobian with respect to ``leaves`` (Tensors
    that require grad), ``tangents`` one per leaf. An output that does not depend on the leaves
    gets None; one that does gets a Tensor (zeros where the JVP vanishes).

    The one implementation of a JVP by double VJP: forward AD's fallback
    (``jvp_by_double_vjp``) and torch.func's jvp (``func/_forward_transforms.py``, on per-example
    values of a batched vmap too) call it with their own ``ones(o)`` (a fresh leaf of ones shaped
    like ``o``, recorded as the caller's own), ``grad(outputs, inputs, grad_outputs,
    create_graph)`` (``autograd.grad`` with ``allow_unused=True`` and ``retain_graph`` =
    ``create_graph``) and ``zeros(v)`` (zeros shaped like ``v``).

    ``g(v) = J^T v`` is linear in ``v``; ``J t = d/dv <g(v), t>``. Mathematically any ``v`` gives
    the same result; ``v`` is all ones, not zeros, because a backward formula may be written
    piecewise in ``grad`` (logcumsumexp takes the log of its positive and negative parts), and at
    ``grad = 0`` such a formula sits on its kink, where its derivative in ``grad`` is wrong. While
    it runs, ``_grad_mode.double_vjp`` is set: a backward formula whose own backward PyTorch does
    not implement (hardsigmoid_backward) stays differentiable for it.
    """
    diff = [i for i, o in enumerate(outs) if o.requires_grad]
    result = [None] * len(outs)
    if not diff:
        return result
    vs = [ones(outs[i]) for i in diff]
    token = _grad_mode.double_vjp.set(True)
    try:
        gs = grad([outs[i] for i in diff], leaves, vs, True)
        s = inner_sum(gs, tangents)
        jts = [None] * len(vs) if s is None else grad([s], vs, None, create_graph)
    finally:
        _grad_mode.double_vjp.reset(token)
    for i, v, jt in zip(diff, vs, jts):
        result[i] = jt if jt is not None else zeros(v)
    return result


def inner_sum(gs, tangents):
    """``<g, t>`` summed over the pairs of gradients ``gs`` and ``tangents`` whose gradient
    depends on the cotangents (requires grad); None when none does."""
    terms = [(g * t).sum() for g, t in zip(gs, tangents) if g is not None and g.requires_grad]
    if not terms:
        return None
    s = terms[0]
    for term in terms[1:]:
        s = s + term
    return s


def jvp_by_double_vjp(outs, leaves, tangents, *, create_graph: bool, own: set | None = None):
    """``double_vjp`` on plain Tensors (forward AD's fallback): the ids of the ``v`` leaves are
    added to ``own``."""
    def ones(o):
        v = Tensor._make(np.ones(o._data.shape, o._data.dtype), None, True)
        if own is not None:
            own.add(id(v))
        return v
    return double_vjp(outs, leaves, tangents, create_graph=create_graph, ones=ones,
                      grad=_plain_grad, zeros=_plain_zeros)


def _plain_grad(outputs, inputs, grad_outputs, create_graph: bool):
    return _grad(outputs, inputs, grad_outputs=grad_outputs, create_graph=create_graph,
                 allow_unused=True)


def _plain_zeros(v):
    return Tensor._make(np.zeros_like(v._data))


def reaches_outside(t, own: set) -> bool:
    """Whether ``t``'s graph reaches a tensor that requires grad other than those in ``own``
    (ids): i.e. whether ``t`` must stay differentiable for the caller."""
    if not t._requires_grad:
        return False
    if t.grad_fn is None:
        return id(t) not in own
    seen = set()
    stack = [t.grad_fn]
    while stack:
        node = stack.pop()
        for nxt, _ in node.next_functions:
            if nxt is None or nxt in seen:
                continue
            seen.add(nxt)
            var = getattr(nxt, "variable", None)
            if var is not None:
                if id(var) not in own:
                    return True
            else:
                stack.append(nxt)
    return False
