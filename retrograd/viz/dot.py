"""Pictures of the backward graph: torchviz's ``make_dot`` (same signature, same conventions) over
retrograd's graph, the DOT text without the graphviz package (``to_dot``), and a plain-text tree
(``graph_text``).

torchviz's conventions, kept: backward nodes are grey boxes labelled with the node's class name
(``MulBackward0``, ``AccumulateGrad``); the leaf behind an ``AccumulateGrad`` is a lightblue box
(name from ``params``, then its size) with an edge into the ``AccumulateGrad``; the output is a
darkolivegreen1 box fed by its ``grad_fn`` (a view output's base darkolivegreen3, dotted edge);
saved tensors are orange boxes joined to their node by an undirected edge (built-in nodes' only
with ``show_saved``; custom Functions' always); edges follow ``next_functions``, from the input's
node to the consumer. Node ids are ``str(id(obj))``, as torchviz's.

retrograd's own options: ``show_grad`` adds each leaf's (and retained non-leaf's) gradient summary
after backward, saved tensors show shape, dtype and bytes, and ``style="seed"`` draws the seed
tutorial's colours (tensors as green boxes, operations as purple boxes). For nodes created while
provenance was on (``retrograd.autograd.set_provenance(True)``): ``show_source`` adds the source
line that created each node, and ``show_modules`` (default) draws the backward nodes created
inside a Module's call in a ``subgraph cluster_*`` box labelled with the module's qualified name
and class (``0 (Linear)``; the outermost module by its class), nested as the calls were. Leaves,
their ``AccumulateGrad`` and saved tensors stay outside the boxes (a parameter may be shared).
"""
from __future__ import annotations

import numpy as np
from .._tensor import Tensor

from ..autograd.provenance import get_provenance, module_names

__all__ = ["make_dot", "to_dot", "graph_text", "resize_graph"]

SAVED_PREFIX = "_saved_"
_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")
_SEED = {"tensor": "palegreen", "op": "plum", "leaf": "palegreen", "output": "palegreen",
         "base": "palegreen", "saved": "orange"}
_TORCHVIZ = {"tensor": None, "op": None, "leaf": "lightblue", "output": "darkolivegreen1",
             "base": "darkolivegreen3", "saved": "orange"}


def _is_tensor(v) -> bool:
    return isinstance(v, Tensor)


def _size_to_str(size) -> str:
    return "(" + ", ".join("%d" % v for v in size) + ")"


def _grad_summary(t) -> str:
    g = t.grad
    if g is None:
        return "grad: None"
    a = np.asarray(g._data)
    parts = ["grad " + _size_to_str(a.shape)]
    if a.size:
        f = a.astype(np.float64, copy=False)
        finite = np.isfinite(f)
        ok = f[finite]
        if ok.size:
            parts.append("norm=%.4g min=%.4g max=%.4g" % (float(np.sqrt((ok * ok).sum())),
                                                          float(ok.min()), float(ok.max())))
        nan, inf = int(np.isnan(f).sum()), int(np.isinf(f).sum())
        if nan:
            parts.append("NaN x%d" % nan)
        if inf:
            parts.append("inf x%d" % inf)
    return "\n".join(parts)


def _fn_label(fn, show_attrs: bool, max_attr_chars: int) -> str:
    """torchviz's ``get_fn_name``: the class name, then (show_attrs) a table of ``_saved_*``."""
    name = str(type(fn).__name__)
    if not show_attrs:
        return name
    attrs = {}
    for attr in dir(fn):
        if not attr.startswith(SAVED_PREFIX):
            continue
        try:
            val = getattr(fn, attr)
        except RuntimeError:            # released by backward
            val = "[freed]"
        attr = attr[len(SAVED_PREFIX):]
        if _is_tensor(val):
            attrs[attr] = "[saved tensor]"
        elif isinstance(val, tuple) and any(_is_tensor(t) for t in val):
            attrs[attr] = "[saved tensors]"
        else:
            attrs[attr] = str(val)
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    col1 = max(len(k) for k in attrs)
    col2 = min(max(len(str(v)) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(col1 + col2 + 2, len(name))
    fmt = "%-" + str(col1) + "s: %" + str(col2) + "s"

    def truncate(s):
        return s[:col2 - 3] + "..." if len(s) > col2 else s
    return name + "\n" + sep + "\n" + "\n".join(fmt % (k, truncate(str(v)))
                                                for k, v in attrs.items())


class _Graph:
    """Nodes and edges in insertion order, as torchviz adds them."""

    def __init__(self):
        self.nodes = {}      # id -> (label, attrs)
        self.edges = []      # (tail, head, attrs)
        self.kinds = {}      # id -> "op" | "leaf" | "output" | "base" | "saved"
        self.modules = {}    # op id -> [(id(module), label)], outermost first (provenance)

    def node(self, nid, label, kind, **attrs):
        self.nodes[nid] = (label, attrs)
        self.kinds[nid] = kind

    def edge(self, a, b, **attrs):
        self.edges.append((a, b, attrs))


def _build(var, params, show_attrs, show_saved, max_attr_chars, show_grad, style,
           show_source=False, show_modules=True) -> _Graph:
    if style not in ("torchviz", "seed"):
        raise ValueError(f"make_dot: style must be 'torchviz' or 'seed', got {style!r}")
    colours = _SEED if style == "seed" else _TORCHVIZ
    names = module_names(params) if show_modules else None   # cluster labels from the model
    if params is not None:
        if hasattr(params, "named_parameters"):
            params = dict(params.named_parameters())
        params = dict(params)
        if not all(_is_tensor(p) for p in params.values()):
            raise TypeError("make_dot: params must map names to tensors")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    g = _Graph()
    seen = set()
    keep = []     # holds every tensor met, so that no id is reused while the graph is built

    def var_label(t, name=None, saved=False):
        if not name:
            name = param_map.get(id(t), "")
        label = "%s\n %s" % (name, _size_to_str(t.shape))
        if saved:
            label += "\n %s %d B" % (str(t.dtype).replace("torch.", ""), t._data.nbytes)
        if show_grad and not saved and (t.is_leaf or t.retains_grad):
            label += "\n" + _grad_summary(t)
        return label

    def fill(kind):
        c = colours[kind]
        return {} if c is None else {"fillcolor": c}

    def add_saved(fn, t, name):
        keep.append(t)
        seen.add(id(t))
        g.edge(str(id(fn)), str(id(t)), dir="none")
        g.node(str(id(t)), var_label(t, name, saved=True), "saved", **fill("saved"))

    def add_nodes(root):
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            if show_saved:
                for attr in dir(fn):
                    if not attr.startswith(SAVED_PREFIX):
                        continue
                    try:
                        val = getattr(fn, attr)
                    except RuntimeError:         # freed by backward: nothing to show
                        continue
                    attr = attr[len(SAVED_PREFIX):]
                    if _is_tensor(val):
                        add_saved(fn, val, attr)
                    elif isinstance(val, tuple):
                        for i, t in enumerate(val):
                            if _is_tensor(t):
                                add_saved(fn, t, "%s[%d]" % (attr, i))
            if hasattr(fn, "variable"):
                v = fn.variable
                seen.add(id(v))
                g.node(str(id(v)), var_label(v), "leaf", **fill("leaf"))
                g.edge(str(id(v)), str(id(fn)))
            label = _fn_label(fn, show_attrs, max_attr_chars)
            prov = get_provenance(fn) if (show_source or show_modules) else None
            if prov is not None:
                if show_source:
                    label += "\n" + prov.where()
                if show_modules and prov.module is not None:
                    g.modules[str(id(fn))] = list(zip((id(m) for _, m in prov.modules),
                                                      prov.module_labels(names)))
            g.node(str(id(fn)), label, "op", **fill("op"))
            nexts = getattr(fn, "next_functions", ())
            for u in nexts:
                if u[0] is not None:
                    g.edge(str(id(u[0])), str(id(fn)))
            for u in reversed(nexts):
                if u[0] is not None and id(u[0]) not in seen:
                    stack.append(u[0])
            if hasattr(fn, "saved_tensors") and not hasattr(fn, "variable"):
                try:
                    saved = fn.saved_tensors
                except RuntimeError:
                    saved = ()
                for t in saved:
                    if _is_tensor(t):
                        keep.append(t)
                        seen.add(id(t))
                        g.edge(str(id(t)), str(id(fn)), dir="none")
                        g.node(str(id(t)), var_label(t, saved=True), "saved", **fill("saved"))

    def add_base_tensor(t, kind="output"):
        if id(t) in seen:
            return
        seen.add(id(t))
        g.node(str(id(t)), var_label(t), kind, **fill(kind))
        if t.grad_fn is not None:
            add_nodes(t.grad_fn)
            g.edge(str(id(t.grad_fn)), str(id(t)))
        if t._is_view():
            add_base_tensor(t._base, "base")
            g.edge(str(id(t._base)), str(id(t)), style="dotted")

    for v in (var if isinstance(var, (tuple, list)) else (var,)):
        if not _is_tensor(v):
            raise TypeError(f"make_dot: expected a Tensor or a tuple of Tensors, got "
                            f"{type(v).__name__}")
        add_base_tensor(v)
    return g


def _quote(s: str) -> str:
    if s.isidentifier() or s.isdigit():
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attr_list(attrs: dict) -> str:
    return " ".join("%s=%s" % (k, _quote(str(v))) for k, v in attrs.items())


def _size_attr(g: _Graph) -> str:
    """torchviz's ``resize_graph``: 0.15 inch per body line, at least 12."""
    size = max(12, (len(g.nodes) + len(g.edges)) * 0.15)
    return str(size) + "," + str(size)


_CLUSTER_ATTR = dict(style="rounded", color="gray50", fontname="monospace", fontsize="10",
                     labeljust="l")


def _clusters(g: _Graph):
    """The module boxes: (tree, top) where tree maps a cluster key (the ids of the modules on the
    call path) to [label, child keys, op ids] and top lists the outermost keys, in order."""
    tree, top = {}, []
    for nid, path in g.modules.items():
        key = ()
        for mid, label in path:
            parent, key = key, key + (mid,)
            if key not in tree:
                tree[key] = [label, [], []]
                (tree[parent][1] if parent else top).append(key)
        tree[key][2].append(nid)
    return tree, top


def _node_line(nid, label, attrs, indent="\t") -> str:
    return "%s%s [label=%s%s]" % (indent, nid, _quote(label),
                                  (" " + _attr_list(attrs)) if attrs else "")


def _dot_text(g: _Graph, style: str) -> str:
    node_attr = dict(_NODE_ATTR)
    lines = ["digraph {", "\tgraph [size=%s]" % _quote(_size_attr(g)),
             "\tnode [%s]" % _attr_list(node_attr)]
    for nid, (label, attrs) in g.nodes.items():
        if nid not in g.modules:
            lines.append(_node_line(nid, label, attrs))
    tree, top = _clusters(g)
    number = {k: i for i, k in enumerate(tree)}

    def emit(key, depth):
        label, kids, nids = tree[key]
        pad = "\t" * depth
        lines.append("%ssubgraph cluster_%d {" % (pad, number[key]))
        lines.append("%s\tgraph [label=%s %s]" % (pad, _quote(label), _attr_list(_CLUSTER_ATTR)))
        for nid in nids:
            lines.append(_node_line(nid, *g.nodes[nid], indent=pad + "\t"))
        for k in kids:
            emit(k, depth + 1)
        lines.append(pad + "}")
    for k in top:
        emit(k, 1)
    for a, b, attrs in g.edges:
        lines.append("\t%s -> %s%s" % (a, b, (" [%s]" % _attr_list(attrs)) if attrs else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50, *,
           show_grad=False, style="torchviz", show_source=False, show_modules=True) -> str:
    """The graph of ``var`` as DOT text (no graphviz package needed)."""
    g = _build(var, params, show_attrs, show_saved, max_attr_chars, show_grad, style,
               show_source, show_modules)
    return _dot_text(g, style)


def resize_graph(dot, size_per_element=0.15, min_size=12):
    """Resize a graphviz Digraph according to how much content it holds (torchviz's)."""
    size = max(min_size, len(dot.body) * size_per_element)
    dot.graph_attr.update(size=str(size) + "," + str(size))


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50, *,
             show_grad=False, style="torchviz", show_source=False, show_modules=True):
    """A ``graphviz.Digraph`` of the backward graph of ``var`` (a tensor or a tuple of tensors),
    with torchviz's signature and conventions. ``params``: a dict of name -> tensor (or a Module,
    whose ``named_parameters()`` are used) naming the leaves. Needs the ``graphviz`` Python
    package (``pip install retrograd[viz]``); ``to_dot`` gives the DOT text without it."""
    try:
        from graphviz import Digraph
    except ImportError:
        raise ImportError("make_dot needs the graphviz Python package (pip install graphviz); "
                          "retrograd.viz.to_dot(...) returns the DOT text without it") from None
    g = _build(var, params, show_attrs, show_saved, max_attr_chars, show_grad, style,
               show_source, show_modules)
    dot = Digraph(node_attr=dict(_NODE_ATTR), graph_attr=dict(size="12,12"))
    for nid, (label, attrs) in g.nodes.items():
        if nid not in g.modules:
            dot.node(nid, label, **attrs)
    tree, top = _clusters(g)
    number = {k: i for i, k in enumerate(tree)}

    def emit(parent, key):
        label, kids, nids = tree[key]
        with parent.subgraph(name="cluster_%d" % number[key]) as c:
            c.attr(label=label, **_CLUSTER_ATTR)
            for nid in nids:
                c.node(nid, g.nodes[nid][0], **g.nodes[nid][1])
            for k in kids:
                emit(c, k)
    for k in top:
        emit(dot, k)
    for a, b, attrs in g.edges:
        dot.edge(a, b, **attrs)
    resize_graph(dot)
    return dot


def graph_text(var, params=None, *, show_grad=False, show_source=False, file=None) -> str:
    """Print (and return) the backward graph of ``var`` as an indented tree, root first; a node
    reached a second time is printed once and then referred to as ``(see above)``.
    ``show_source``: each node's source line and module, where provenance recorded them."""
    param_map = {}
    names = module_names(params)
    if params is not None:
        if hasattr(params, "named_parameters"):
            params = dict(params.named_parameters())
        param_map = {id(v): k for k, v in dict(params).items()}
    lines = []
    seen = set()
    roots = var if isinstance(var, (tuple, list)) else (var,)
    for t in roots:
        lines.append("output %s" % _size_to_str(t.shape) + ("" if t.grad_fn is not None
                                                            else " (no grad_fn)"))
        if t.grad_fn is None:
            continue
        stack = [(t.grad_fn, 1)]
        while stack:
            fn, depth = stack.pop()
            pad = "  " * depth + "└─ "
            if fn is None:
                lines.append(pad + "None (no gradient)")
                continue
            name = type(fn).__name__
            if hasattr(fn, "variable"):
                v = fn.variable
                desc = param_map.get(id(v), "")
                name += " -> leaf %s%s" % ((desc + " ") if desc else "", _size_to_str(v.shape))
                if show_grad:
                    name += " [" + _grad_summary(v).replace("\n", "; ") + "]"
            if id(fn) in seen:
                lines.append(pad + name + " (see above)")
                continue
            seen.add(id(fn))
            prov = get_provenance(fn) if show_source else None
            if prov is not None:
                name += "  @ " + prov.where()
                if prov.module is not None:
                    name += " [%s]" % prov.module_labels(names)[-1]
            lines.append(pad + name)
            for u in reversed(getattr(fn, "next_functions", ())):
                stack.append((u[0], depth + 1))
    text = "\n".join(lines)
    print(text, file=file)
    return text
