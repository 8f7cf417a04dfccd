"""The backward explainer's outputs: the text table, the graph as DOT / SVG, and the one-file HTML
page that steps through backward node by node (``Explanation.table`` / ``to_dot`` /
``to_html``; the recording itself is ``retrograd.autograd.explain``).

The page needs nothing from the network: CSS, JavaScript, the data (JSON) and the SVG are inline.
The SVG comes from graphviz's ``dot -Tsvg`` when the binary is installed, else from a small layered
layout written here (NumPy only). In both, node ``k`` of ``Explanation.graph`` is the SVG group
``<g id="rgnode-k" data-node="k">`` and the edge that carries node ``c``'s gradient along its
``next_functions[i]`` to node ``p`` is ``<g id="rgedge-p-c-i">`` (drawn forward: input -> op, as
``make_dot`` draws; backward runs against the arrows).
"""
from __future__ import annotations

import html
import json
import math
import os
import re
import shutil
import subprocess

from ..autograd._explain import format_grad, format_values
from ._explain_page import CSS, JS

__all__ = ["table", "graph_dot", "graph_svg", "write_html"]

OP_FILL, LEAF_FILL, ACC_FILL = "plum", "palegreen", "#d7c4e8"   # the seed's colours


# -- the table ---------------------------------------------------------------------------------
def _clip(s: str, width: int) -> str:
    return s if len(s) <= width else s[:width - 1] + "…"


def _sends(rec, graph, width: int) -> list:
    if rec.name == "AccumulateGrad":
        leaf = graph[rec.node_id].leaf if rec.node_id in graph else ""
        if rec.status == "accumulated":
            return ["-> %s.grad" % (leaf or "leaf")]
        return ["(%s)" % rec.status] if rec.status != "ran" else [""]
    lines = []
    for e in rec.grads_out:
        if e.node_id is None:
            lines.append("%d -> None" % e.index)
        else:
            lines.append(_clip("%d -> %s #%d: %s" % (e.index, e.node_name, e.node_id,
                                                     format_grad(e.grad, short=True)), width))
    return lines or [""]


def table(rec, width: int = 60) -> str:
    """One row per node in execution order: step, node (name #id), the incoming gradient, the
    gradient sent along each edge (one line each), time, bytes of saved tensors freed, status."""
    head = ["step", "node", "incoming grad", "sends", "time", "freed", "status"]
    rows = []
    last_call = None
    for r in rec.records:
        if len(rec.calls) > 1 and r.call != last_call:
            c = rec.calls[r.call]
            rows.append(("call", "-- call %d: %s (retain_graph=%s, create_graph=%s)"
                         % (c.index, c.kind, c.retain_graph, c.create_graph)))
            last_call = r.call
        grad_in = [_clip(format_grad(g, short=True), width) for g in r.grad_in] or ["None"]
        cells = [[str(r.step)], ["%s #%d" % (r.name, r.node_id)], grad_in,
                 _sends(r, rec.graph, width), ["%.1f us" % (r.seconds * 1e6)],
                 ["%d B" % r.released_bytes if r.released_bytes else ""],
                 [r.status if r.status not in ("ran", "accumulated") else ""]]
        if r.error:
            cells[6] = [_clip("error: " + r.error, width)]
        rows.append(("row", cells))
    widths = [len(h) for h in head]
    for kind, cells in rows:
        if kind == "row":
            for k, col in enumerate(cells):
                widths[k] = max([widths[k]] + [len(s) for s in col])
    right = {0, 4, 5}

    def line(cols):
        out = [(c.rjust(widths[k]) if k in right else c.ljust(widths[k]))
               for k, c in enumerate(cols)]
        return "  ".join(out).rstrip()
    lines = [line(head)]
    for kind, cells in rows:
        if kind == "call":
            lines.append(cells)
            continue
        for j in range(max(len(c) for c in cells)):
            lines.append(line([c[j] if j < len(c) else "" for c in cells]))
    return "\n".join(lines)


# -- the graph ---------------------------------------------------------------------------------
def _shape(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _labels(rec) -> dict:
    return {gid: n.name for gid, n in rec.graph.items()}


def _leaf_label(n) -> str:
    return ((n.leaf + " ") if n.leaf else "") + _shape(n.leaf_shape)


def _dq(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def graph_dot(rec) -> str:
    """DOT text of the recorded graph: ops purple, leaves green (the seed's colours)."""
    lines = ["digraph backward {",
             '\tgraph [rankdir=TB nodesep=0.25 ranksep=0.35 bgcolor="transparent"]',
             '\tnode [shape=box style=filled fontname="Helvetica" fontsize=11 height=0.3 '
             'color="#555555"]',
             '\tedge [color="#777777" arrowsize=0.7]']
    roots = {g for c in rec.calls for g in c.roots}
    for gid, n in rec.graph.items():
        fill = ACC_FILL if n.leaf_shape is not None else OP_FILL
        cls = "rg-op" + (" rg-root" if gid in roots else "")   # graphviz prepends "node"
        lines.append("\tn%d [id=%s class=%s label=%s fillcolor=%s]" % (
            gid, _dq("rgnode-%d" % gid), _dq(cls), _dq("%s #%d" % (n.name, gid)), _dq(fill)))
        if n.leaf_shape is not None:
            lines.append("\tl%d [id=%s class=%s label=%s fillcolor=%s]" % (
                gid, _dq("rgleaf-%d" % gid), _dq("rg-leaf"), _dq(_leaf_label(n)),
                _dq(LEAF_FILL)))
            lines.append("\tl%d -> n%d [id=%s]" % (gid, gid, _dq("rgleafedge-%d" % gid)))
    for gid, n in rec.graph.items():
        for i, (src, _) in enumerate(n.inputs):
            if src is not None:
                lines.append("\tn%d -> n%d [id=%s]" % (src, gid,
                                                      _dq("rgedge-%d-%d-%d" % (src, gid, i))))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _svg_from_dot(rec):
    exe = shutil.which("dot")
    if exe is None:
        return None
    try:
        res = subprocess.run([exe, "-Tsvg"], input=graph_dot(rec).encode(), capture_output=True,
                             timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    svg = res.stdout.decode("utf-8", "replace")
    start = svg.find("<svg")
    if start < 0:
        return None
    # graphviz writes '-' as '&#45;' (the same character); data-node attributes added, as the
    # built-in layout writes them
    svg = svg[start:].replace("&#45;", "-")
    return re.sub(r'<g id="rgnode-(\d+)"', r'<g id="rgnode-\1" data-node="\1"', svg)


def _layout(rec):
    """Layered layout: a node's layer is its longest distance from a root (roots at the bottom,
    leaves on top, as ``dot`` draws the forward arrows); order within a layer by the mean x of
    its consumers. Returns ({box id: (x, y, w, h)}, width, height)."""
    consumers = {gid: [] for gid in rec.graph}
    for gid, n in rec.graph.items():
        for src, _ in n.inputs:
            if src is not None and src in consumers:
                consumers[src].append(gid)
    indeg = {gid: len(set(c)) for gid, c in consumers.items()}
    depth = {gid: 0 for gid in rec.graph}
    ready = [gid for gid, d in indeg.items() if d == 0]
    while ready:                       # Kahn's order from the roots down to the leaves
        gid = ready.pop()
        for src in {s for s, _ in rec.graph[gid].inputs if s is not None}:
            depth[src] = max(depth[src], depth[gid] + 1)
            indeg[src] -= 1
            if indeg[src] == 0:
                ready.append(src)
    boxes = {}
    for gid, n in rec.graph.items():
        boxes["rgnode-%d" % gid] = (depth[gid], "%s #%d" % (n.name, gid))
        if n.leaf_shape is not None:
            boxes["rgleaf-%d" % gid] = (depth[gid] + 1, _leaf_label(n))
    n_layers = max(d for d, _ in boxes.values()) + 1
    layers = [[] for _ in range(n_layers)]
    for key, (d, _) in boxes.items():
        layers[d].append(key)
    char_w, h, gap_x, gap_y, pad = 7.2, 26.0, 18.0, 40.0, 12.0
    widths = {key: len(label) * char_w + 16 for key, (_, label) in boxes.items()}
    below = {}              # box -> the boxes it feeds (one layer nearer the roots, or more)
    above = {}              # box -> its inputs' boxes
    for gid, n in rec.graph.items():
        k = "rgnode-%d" % gid
        ins = ["rgnode-%d" % s for s, _ in n.inputs if s is not None]
        if n.leaf_shape is not None:
            ins.append("rgleaf-%d" % gid)
            below["rgleaf-%d" % gid] = [k]
        above[k] = ins
        below.setdefault(k, [])
        for i in ins:
            if i.startswith("rgnode-"):
                below.setdefault(i, []).append(k)
    xs = {}

    def place(keys, neighbours):
        """Left to right in order of the neighbours' mean centre, each box as near it as the
        boxes already placed allow."""
        def want(key):
            c = [xs[u] for u in neighbours.get(key, ()) if u in xs]
            return sum(c) / len(c) if c else None
        wanted = {k: want(k) for k in keys}
        order = sorted(keys, key=lambda k: (wanted[k] is None, wanted[k] or 0.0, k))
        x = pad
        for key in order:
            w = widths[key]
            if wanted[key] is not None:
                x = max(x, wanted[key] - w / 2)
            xs[key] = x + w / 2
            x += w + gap_x
        off = [wanted[k] - xs[k] for k in order if wanted[k] is not None]
        if off:                             # the greedy pass only pushes right: re-centre
            shift = sum(off) / len(off)
            for k in order:
                xs[k] += shift
        keys[:] = order
    for keys in layers:                     # roots up to the leaves: under their consumers
        place(keys, below)
    for keys in reversed(layers[:-1]):      # then each op centred under its inputs
        for k in keys:
            del xs[k]
        place(keys, above)
    left = min(xs[key] - widths[key] / 2 for key in boxes) - pad
    pos = {key: [xs[key] - widths[key] / 2 - left, widths[key]] for key in boxes}
    width = max(p[0] + p[1] for p in pos.values()) + pad
    height = n_layers * (h + gap_y) - gap_y + 2 * pad
    out = {}
    for key, (d, _) in boxes.items():
        x, w = pos[key]
        out[key] = (x, height - pad - h - d * (h + gap_y), w, h)
    return out, boxes, width, height


def _svg_builtin(rec) -> str:
    pos, boxes, width, height = _layout(rec)
    e = html.escape
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'viewBox="0 0 %d %d">' % (math.ceil(width), math.ceil(height), math.ceil(width),
                                       math.ceil(height)),
             '<defs><marker id="rgarrow" viewBox="0 0 10 10" refX="10" refY="5" '
             'markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto">'
             '<path d="M0,0 L10,5 L0,10 z" fill="#777"/></marker></defs>']

    def edge(eid, a, b):
        xa, ya, wa, ha = pos[a]
        xb, yb, wb, _ = pos[b]
        parts.append('<g id="%s" class="edge"><path d="M%.1f,%.1f L%.1f,%.1f" stroke="#777" '
                     'fill="none" marker-end="url(#rgarrow)"/></g>'
                     % (eid, xa + wa / 2, ya + ha, xb + wb / 2, yb))
    for gid, n in rec.graph.items():
        if n.leaf_shape is not None:
            edge("rgleafedge-%d" % gid, "rgleaf-%d" % gid, "rgnode-%d" % gid)
        for i, (src, _) in enumerate(n.inputs):
            if src is not None:
                edge("rgedge-%d-%d-%d" % (src, gid, i), "rgnode-%d" % src, "rgnode-%d" % gid)
    roots = {g for c in rec.calls for g in c.roots}
    for key, (x, y, w, hh) in pos.items():
        leaf = key.startswith("rgleaf-")
        gid = int(key.split("-")[1])
        if leaf:
            fill, cls, data = LEAF_FILL, "node rg-leaf", ""
        else:
            fill = ACC_FILL if rec.graph[gid].leaf_shape is not None else OP_FILL
            cls = "node rg-op" + (" rg-root" if gid in roots else "")
            data = ' data-node="%d"' % gid
        parts.append('<g id="%s"%s class="%s"><title>%s</title><polygon points="%.1f,%.1f '
                     '%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="#555"/>'
                     '<text x="%.1f" y="%.1f" text-anchor="middle" font-family="Helvetica,Arial,'
                     'sans-serif" font-size="12">%s</text></g>'
                     % (key, data, cls, e(boxes[key][1]), x, y, x + w, y, x + w, y + hh, x,
                        y + hh, fill, x + w / 2, y + hh / 2 + 4, e(boxes[key][1])))
    parts.append("</svg>")
    return "".join(parts)


def graph_svg(rec, layout: str = "auto") -> str:
    """The SVG of the recorded graph: ``layout`` 'dot' (graphviz; error if missing), 'builtin',
    or 'auto' (dot when its binary is found, else builtin)."""
    if layout not in ("auto", "dot", "builtin"):
        raise ValueError(f"layout must be 'auto', 'dot' or 'builtin', got {layout!r}")
    if layout != "builtin":
        svg = _svg_from_dot(rec)
        if svg is not None:
            return svg
        if layout == "dot":
            raise RuntimeError("layout='dot' needs graphviz's dot binary "
                               "(apt-get install graphviz)")
    return _svg_builtin(rec)


# -- the page ----------------------------------------------------------------------------------
def _clean(v):
    """JSON-safe: non-finite floats and complex numbers become strings."""
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)
    if isinstance(v, complex):
        return str(v)
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    return v


def _grad_json(info):
    if info is None:
        return None
    return {"shape": list(info.shape), "dtype": info.dtype, "numel": info.numel,
            "norm": info.norm, "min": info.min, "max": info.max, "nan": info.nan,
            "inf": info.inf, "values": info.values, "summary": format_grad(info),
            "text": None if info.values is None else format_values(info.values, multiline=True)}


def page_data(rec) -> dict:
    nodes = {str(gid): {"id": gid, "name": n.name, "inputs": n.inputs, "leaf": n.leaf,
                        "leaf_shape": n.leaf_shape} for gid, n in rec.graph.items()}
    records = []
    for r in rec.records:
        records.append({
            "step": r.step, "call": r.call, "node_id": r.node_id, "name": r.name,
            "formula": r.formula, "doc": r.doc, "status": r.status, "seconds": r.seconds,
            "released_bytes": r.released_bytes, "error": r.error,
            "grad_in": [_grad_json(g) for g in r.grad_in],
            "grads_out": [{"index": e.index, "node_id": e.node_id, "node_name": e.node_name,
                           "input_nr": e.input_nr, "grad": _grad_json(e.grad)}
                          for e in r.grads_out]})
    calls = [{"index": c.index, "kind": c.kind, "retain_graph": c.retain_graph,
              "create_graph": c.create_graph, "roots": c.roots} for c in rec.calls]
    return _clean({"nodes": nodes, "records": records, "calls": calls})


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%(title)s</title>
<style>%(css)s</style></head>
<body>
<header><h1>%(title)s</h1>
<div id="rg-controls"><button id="rg-prev" type="button" title="previous node (left arrow)">&#9664; Prev</button>
<span id="rg-step" aria-live="polite"></span>
<button id="rg-next" type="button" title="next node (right arrow)">Next &#9654;</button>
<span class="rg-hint">arrow keys step; arrows in the graph point forward (input &rarr; op), the gradient flows against them</span></div>
</header>
<main><section id="rg-graph">%(svg)s</section>
<section id="rg-detail"></section></main>
<section id="rg-list-box"><h2>Execution order</h2><ol id="rg-list" start="0"></ol></section>
<script type="application/json" id="rg-data">%(data)s</script>
<script>%(js)s</script>
</body></html>
"""


def write_html(rec, path, title: str = "retrograd: backward, step by step",
               layout: str = "auto") -> str:
    """Write the self-contained page (see the module docstring) to ``path``; returns the path."""
    data = json.dumps(page_data(rec), allow_nan=False).replace("</", "<\\/")
    page = _PAGE % {"title": html.escape(title), "css": CSS, "js": JS,
                    "svg": graph_svg(rec, layout), "data": data}
    path = os.fspath(path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path
