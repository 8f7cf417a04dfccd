"""The backward explainer: what the engine did, node by node.

    with retrograd.autograd.explain() as rec:
        z.backward(v)
    print(rec)              # an aligned table, one row per node in execution order
    rec.records             # the same as data: NodeRecord dataclasses (rec.to_dicts(): dicts)
    rec.to_html("b.html")   # one self-contained page that steps through backward on the graph

Every ``backward()`` / ``autograd.grad()`` that runs inside the block (in this thread or task:
the active explainers live in a ContextVar) is recorded: for each node, in the order the engine
runs it, its PyTorch name, the backward formula that ran (qualified name and the derivative its
docstring states), the gradient it received, the gradient it sent along each ``next_functions``
edge (after the engine's reduction to the input's shape), the time it took and the bytes of saved
tensors released after it ran. With no explainer active the engine pays one ContextVar lookup
per backward call and nothing per node.
"""
from __future__ import annotations

import inspect
import math
import re
import time
import weakref
from dataclasses import asdict, dataclass, field

import numpy as np

from . import node as _node
from .._dtype import from_numpy_dtype
from .._tensor import Tensor
from .engine import EXPLAINERS
from .node import _expandable, _np_sum_to

__all__ = ["explain", "Explanation", "NodeRecord", "EdgeGrad", "GradInfo", "GraphNode",
           "CallInfo"]

# The explainers recording now (innermost last); the engine reads this once per backward call.
# The engine owns the ContextVar, so that this module loads only when first used.
ACTIVE = EXPLAINERS


# -- the data ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GradInfo:
    """A summary of one gradient: shape, dtype (``torch.float32``), element count, 2-norm,
    min/max over finite values, NaN/inf counts, and the numbers themselves (nested lists, as
    ``tolist()``) when the tensor has at most ``max_values`` elements (else None)."""
    shape: tuple
    dtype: str
    numel: int
    norm: float
    min: float | None
    max: float | None
    nan: int
    inf: int
    values: list | float | None

    def __str__(self) -> str:
        return format_grad(self)


@dataclass(frozen=True)
class EdgeGrad:
    """The gradient a node sent along its ``next_functions[index]`` edge: to input ``input_nr``
    of node ``node_id`` (``node_name``), or nowhere (``node_id`` None: that input needs no
    gradient). ``grad`` is None when no gradient was sent."""
    index: int
    node_id: int | None
    node_name: str | None
    input_nr: int
    grad: GradInfo | None


@dataclass
class NodeRecord:
    """One node as the engine ran it.

    ``step``: position in execution order (over the whole block); ``call``: which backward call
    of the block; ``node_id``: the node's id in ``Explanation.graph`` (stable across calls);
    ``name``: PyTorch's class name (``MulBackward0``); ``formula``: the qualified name of the
    backward formula that ran; ``doc``: the derivative its node states; ``status``: 'ran',
    'accumulated' (a leaf's AccumulateGrad wrote ``.grad``), 'captured' (autograd.grad took the
    gradient here without running the node), 'skipped' (leads to no requested input),
    'no gradient' (nothing arrived; the formula did not run) or 'error'; ``grad_in``: the
    gradient received for each of the node's outputs (None: none arrived); ``grads_out``: one
    EdgeGrad per ``next_functions`` edge; ``seconds``: time in the node (hooks included);
    ``released_bytes``: saved tensors freed after it ran (0 with retain_graph); ``error``: the
    exception's text when the node raised."""
    step: int
    call: int
    node_id: int
    name: str
    formula: str
    doc: str
    status: str = "ran"
    grad_in: list = field(default_factory=list)
    grads_out: list = field(default_factory=list)
    seconds: float = 0.0
    released_bytes: int = 0
    error: str | None = None


@dataclass
class GraphNode:
    """A node of the recorded graph: ``inputs`` are its ``next_functions`` as (node id or None,
    input_nr); for an AccumulateGrad, ``leaf`` names its tensor (from ``params``, else '') and
    ``leaf_shape`` gives its shape."""
    id: int
    name: str
    inputs: list
    leaf: str | None = None
    leaf_shape: tuple | None = None


@dataclass
class CallInfo:
    """One backward call of the block: 'backward' (writes ``.grad``) or 'autograd.grad', its
    flags, and the ids of its root nodes."""
    index: int
    kind: str
    retain_graph: bool
    create_graph: bool
    roots: list


_DTYPE_NAMES: dict = {}


def _torch_dtype(np_dtype) -> str:
    name = _DTYPE_NAMES.get(np_dtype)
    if name is None:
        try:
            name = str(from_numpy_dtype(np_dtype))
        except TypeError:
            name = str(np_dtype)
        _DTYPE_NAMES[np_dtype] = name
    return name


def summarize(g, max_values: int = 64) -> GradInfo:
    """The GradInfo of an array or Tensor."""
    a = g._data if hasattr(g, "_data") else np.asarray(g)
    numel = int(a.size)
    norm, lo, hi, nan, inf = 0.0, None, None, 0, 0
    if numel and a.dtype.kind in "fcbiu":
        f = np.abs(a).astype(np.float64) if a.dtype.kind == "c" else a.astype(np.float64)
        sq = float((f * f).sum())
        norm = math.sqrt(sq) if sq == sq else sq
        ok = f
        if not math.isfinite(sq):       # only then look for NaN and inf
            nan, inf = int(np.isnan(f).sum()), int(np.isinf(f).sum())
            ok = f[np.isfinite(f)] if (nan or inf) else f
        if ok.size:
            lo, hi = float(ok.min()), float(ok.max())
    values = a.tolist() if numel <= max_values else None
    return GradInfo(tuple(int(s) for s in a.shape), _torch_dtype(a.dtype), numel, norm, lo, hi,
                    nan, inf, values)


def _num(v) -> str:
    if isinstance(v, complex):
        return format(v, ".4g")
    if isinstance(v, bool):
        return str(v)
    return format(float(v), ".4g") if isinstance(v, float) else str(v)


def format_values(values, multiline: bool = False, _indent: int = 1) -> str:
    """Nested lists of numbers as ``[[1, 2], [3, 4]]`` with 4 significant digits; with
    ``multiline`` each row of a matrix (or higher) on its own line."""
    if not isinstance(values, list):
        return _num(values)
    if multiline and values and isinstance(values[0], list):
        sep = ",\n" + " " * _indent
        return "[" + sep.join(format_values(v, True, _indent + 1) for v in values) + "]"
    return "[" + ", ".join(format_values(v) for v in values) + "]"


def format_grad(info: GradInfo | None, short: bool = False) -> str:
    """``(3,) float32 [5, 1, 7]`` for a small gradient, ``(64, 10) float32 norm=1.234`` else."""
    if info is None:
        return "None"
    shape = "(" + ", ".join(str(s) for s in info.shape) + ("," if len(info.shape) == 1 else "") \
        + ")"
    head = shape + " " + info.dtype.replace("torch.", "")
    if info.values is not None and (not short or info.numel <= 8):
        text = head + " " + format_values(info.values)
    else:
        text = head + " norm=" + _num(info.norm)
    if info.nan:
        text += " NaN x%d" % info.nan
    if info.inf:
        text += " inf x%d" % info.inf
    return text


# -- naming a node's formula -------------------------------------------------------------------
_FORMULAS = weakref.WeakKeyDictionary()   # node class -> (formula, doc); classes may go away


def _formula(node) -> tuple:
    """(qualified name of the backward formula that runs for ``node``, the derivative its class
    docstring states), computed once per node class."""
    cls = type(node)
    found = _FORMULAS.get(cls)
    if found is None:
        found = _FORMULAS[cls] = _formula_of(cls)
    return found


def _formula_of(cls) -> tuple:
    if cls is _node.AccumulateGrad:
        return ("AccumulateGrad: leaf.grad += grad",
                "adds the incoming gradient into the leaf's .grad")
    fwd = getattr(cls, "_forward_cls", None)
    if fwd is not None:     # a custom autograd.Function: the user's backward (or vjp)
        fn = fwd.vjp if "vjp" in vars(fwd) else fwd.backward
        return f"{fwd.__module__}.{getattr(fn, '__qualname__', fwd.__qualname__ + '.backward')}", \
            _first_line(fwd.__doc__)
    fn = None
    for klass in cls.__mro__:
        if klass is _node.Node:
            break
        d = vars(klass)
        if "backward" in d or "apply" in d:
            fn = d.get("backward") or d["apply"]
            break
    if fn is None or not hasattr(fn, "__qualname__"):
        return f"{cls.__module__}.{cls.__qualname__}", _first_line(cls.__doc__)
    return f"{fn.__module__}.{fn.__qualname__}", _first_line(cls.__doc__)


def _first_line(doc) -> str:
    if not doc:
        return ""
    doc = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    m = re.match(r"(.*?\.)(\s|$)", doc)      # the first sentence: the derivative
    return m.group(1) if m else doc


def _saved_bytes(node) -> int:
    """Bytes of the arrays ``node`` holds for its formula (each array once)."""
    saved = node._saved
    if not saved:
        return 0
    arrays = {}
    for e in saved:
        if isinstance(e, Tensor):
            arrays[id(e._data)] = e._data
        elif type(e) is _node.SavedOutput:
            arrays[id(e.data)] = e.data
        elif type(e) is _node._Packed:
            p = e.packed
            for t in (p if isinstance(p, tuple) else (p,)):
                if isinstance(t, Tensor):
                    arrays[id(t._data)] = t._data
    return sum(a.nbytes for a in arrays.values())


def _sent(node, g, nxt, idx, as_tensors: bool):
    """The gradient as it travels the edge: reduced to the input's shape and cast to its dtype,
    as the engine does next (computed here in NumPy, so nothing is recorded)."""
    a = g._data if as_tensors else np.asarray(g)
    try:
        shape, dtype = _node.edge_meta(nxt, idx)
        pieces = getattr(shape, "pieces", None)
        if pieces is not None and a.shape != shape:
            shape = pieces[idx]
        if a.shape != shape and _expandable(shape, a.shape):
            a = _np_sum_to(a, shape)
        if a.dtype != dtype:
            a = a.astype(dtype)
    except Exception:       # the engine reports a bad gradient itself, right after
        pass
    return a


# -- the recorder ------------------------------------------------------------------------------
class Explanation:
    """What ``explain()`` recorded: ``records`` (NodeRecord, execution order), ``graph`` (node id
    -> GraphNode), ``calls`` (CallInfo). ``print(rec)`` / ``rec.table()`` give the table,
    ``rec.to_dicts()`` plain dicts, ``rec.to_html(path)`` the step-by-step page."""

    def __init__(self, params=None, max_values: int = 64):
        self.records: list = []
        self.graph: dict = {}
        self.calls: list = []
        self.max_values = max_values
        self._ids: dict = {}          # id(node) -> graph id, while the block runs
        self._keep: list = []         # the nodes themselves, so that no id is reused meanwhile
        self._closed_ids = 0          # ids handed out in earlier entries of the block
        self._params = {}
        if params is not None:
            if hasattr(params, "named_parameters"):
                params = dict(params.named_parameters())
            self._params = {id(v): k for k, v in dict(params).items()}

    # -- data access
    def __iter__(self):
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i):
        return self.records[i]

    def to_dicts(self) -> list:
        """The records as plain dicts (JSON-ready: tuples become lists in ``json.dumps``)."""
        return [asdict(r) for r in self.records]

    def __repr__(self) -> str:
        return f"<Explanation: {len(self.records)} nodes in {len(self.calls)} backward call(s)>"

    def __str__(self) -> str:
        return self.table()

    def table(self, width: int = 60) -> str:
        from ..viz.explain_html import table
        return table(self, width)

    def to_html(self, path, title: str = "retrograd: backward, step by step",
                layout: str = "auto") -> str:
        """Write one self-contained HTML page (no network) to ``path`` that shows the graph as
        SVG and steps through the records (Next/Prev, arrow keys), highlighting the current node
        and showing its VJP. ``layout``: 'dot' (graphviz), 'builtin' (NumPy only) or 'auto'
        (dot when its binary is installed). Returns the path."""
        from ..viz.explain_html import write_html
        return write_html(self, path, title, layout)

    def to_dot(self) -> str:
        """The recorded graph as DOT text, node ids ``rgnode-<id>`` (as the page uses them)."""
        from ..viz.explain_html import graph_dot
        return graph_dot(self)

    # -- recording (called by the engine)
    def _gid(self, node) -> int:
        k = self._ids.get(id(node))
        if k is None:      # ids keep counting if the same explainer is entered again
            k = self._ids[id(node)] = len(self._keep) + self._closed_ids
            self._keep.append(node)
        return k

    def _add_graph(self, roots) -> list:
        """Register every node reachable from ``roots`` (no recursion); returns the roots' ids."""
        ids = [self._gid(n) for n in roots]
        stack = list(roots)
        while stack:
            n = stack.pop()
            gid = self._gid(n)
            if gid in self.graph:
                continue
            gn = GraphNode(gid, type(n).__name__, [(None if m is None else self._gid(m), nr)
                                                   for m, nr in n.next_functions])
            if type(n) is _node.AccumulateGrad:
                v = n.variable
                gn.leaf = self._params.get(id(v), "")
                gn.leaf_shape = tuple(int(s) for s in v._data.shape)
            self.graph[gid] = gn
            for m, _ in reversed(n.next_functions):
                if m is not None and self._ids[id(m)] not in self.graph:
                    stack.append(m)
        return ids

    def _begin(self, roots, r) -> int:
        call = CallInfo(len(self.calls), "backward" if r.accumulate else "autograd.grad",
                        bool(r.retain_graph), bool(r.as_tensors), self._add_graph(roots))
        self.calls.append(call)
        return call.index

    def _close(self) -> None:
        self._closed_ids += len(self._keep)
        self._ids = {}
        self._keep = []


def evaluator(explainers, roots, r, evaluate):
    """The engine's ``_evaluate`` wrapped so that each explainer records every node."""
    calls = [(e, e._begin(roots, r)) for e in explainers]
    as_tensors = r.as_tensors
    retain = r.retain_graph
    RELEASED = _node._RELEASED
    e_max = max(e.max_values for e, _ in calls)

    def run(node, grads, r):
        name = type(node).__name__
        formula, doc = _formula(node)
        incoming = [None if g is None else summarize(g, e_max)
                    for g in (grads if grads is not None else [None] * node.num_outputs)]
        recs = []
        for e, call in calls:
            rec = NodeRecord(len(e.records), call, e._gid(node), name, formula, doc,
                             grad_in=incoming)
            e.records.append(rec)
            recs.append(rec)
        before = 0 if retain else _saved_bytes(node)
        t0 = time.perf_counter()
        try:
            outs = evaluate(node, grads, r)
        except BaseException as exc:
            dt = time.perf_counter() - t0
            for rec in recs:
                rec.status, rec.error, rec.seconds = "error", f"{type(exc).__name__}: {exc}", dt
            raise
        dt = time.perf_counter() - t0
        freed = before if before and node._saved is RELEASED else 0
        status = _status(node, grads, r)
        sent = []
        for i, (nxt, idx) in enumerate(node.next_functions):
            g = None if outs is None else outs[i]
            info = None if g is None or nxt is None else \
                summarize(_sent(node, g, nxt, idx, as_tensors), e_max)
            sent.append((i, nxt, idx, info))
        for (e, _), rec in zip(calls, recs):
            rec.status, rec.seconds, rec.released_bytes = status, dt, freed
            rec.grads_out = [EdgeGrad(i, None if nxt is None else e._gid(nxt),
                                      None if nxt is None else type(nxt).__name__, idx, info)
                             for i, nxt, idx, info in sent]
        return outs
    return run


def _status(node, grads, r) -> str:
    targets = r.targets
    if targets is not None and (node not in r.needed or node in r.captured_only):
        return "captured" if not r.accumulate and node in targets else "skipped"
    if type(node) is _node.AccumulateGrad:
        if grads is None or grads[0] is None:
            return "no gradient"
        return "accumulated" if r.accumulate else "ran"
    if (grads is None or all(g is None for g in grads)) and \
            not getattr(node, "_run_without_grads", False):
        return "no gradient"
    return "ran"


class explain:
    """Record what backward does inside the block (see the module docstring).

    ``params``: a dict name -> tensor, or a Module (its ``named_parameters()``), naming the
    leaves; ``max_values``: tensors with at most this many elements keep their numbers.
    Thread- and task-safe: the explainer records the backward calls of the thread (or asyncio
    task) that entered the block; nested blocks each record."""

    def __init__(self, params=None, *, max_values: int = 64):
        self._rec = Explanation(params, max_values)
        self._token = None

    def __enter__(self) -> Explanation:
        if self._token is not None:
            raise RuntimeError("explain(): this block is already active")
        self._token = ACTIVE.set(ACTIVE.get() + (self._rec,))
        return self._rec

    def __exit__(self, *exc) -> None:
        ACTIVE.reset(self._token)
        self._token = None
        self._rec._close()
