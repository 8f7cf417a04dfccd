"""The CSS and JavaScript inlined into the explainer's HTML page (``explain_html.write_html``).

The script reads the JSON in ``#rg-data`` and shows record ``k``: it marks ``#rgnode-<id>`` of
the current node with the class ``current`` (the nodes run before it with ``done``), the edges
its gradients travel with ``rg-active``, fills ``#rg-detail`` (formula, incoming gradient, the
gradient sent along each edge: ``tr[data-edge=i]`` with ``data-target``), and sets the counter
``#rg-step`` to "Step k+1 / N". Next/Prev buttons, arrow keys, Home/End, and clicks on the
execution list or on a node of the graph move between steps. Text is set with textContent only.
"""
from __future__ import annotations

__all__ = ["CSS", "JS"]

CSS = r"""
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       margin: 0; color: #222; background: #fafafa; }
header { padding: 10px 16px; background: #fff; border-bottom: 1px solid #ddd;
         position: sticky; top: 0; z-index: 2; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
h2 { font-size: 15px; margin: 12px 0 6px 0; }
h3 { font-size: 13px; margin: 12px 0 4px 0; color: #444; }
#rg-controls { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
#rg-controls button { font-size: 14px; padding: 4px 12px; cursor: pointer; }
#rg-step { font-weight: 600; min-width: 110px; text-align: center; }
.rg-hint { color: #777; font-size: 12px; }
main { display: flex; min-width: 0; gap: 14px; padding: 12px 16px; align-items: flex-start; }
#rg-graph { flex: 1 1 55%; overflow: auto; background: #fff; border: 1px solid #ddd;
            border-radius: 6px; padding: 8px; max-height: 78vh; }
#rg-graph svg { display: block; margin: 0 auto; }
#rg-detail { flex: 1 1 45%; background: #fff; border: 1px solid #ddd; border-radius: 6px;
             padding: 10px 14px; min-width: 320px; overflow-x: auto; }
#rg-node-name { font-size: 17px; margin: 0; }
.rg-status { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 9px;
             background: #e8eaf6; color: #303f9f; margin-left: 8px; vertical-align: middle; }
.rg-status.error { background: #ffebee; color: #c62828; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
            font-size: 12px; }
pre { margin: 0; white-space: pre; }
#rg-formula { background: #f3e5f5; padding: 2px 6px; border-radius: 4px; }
#rg-doc { color: #555; margin: 6px 0; }
.rg-meta { color: #555; font-size: 12px; }
table.rg-grads { border-collapse: collapse; width: 100%; margin-top: 2px; }
table.rg-grads th, table.rg-grads td { border: 1px solid #e0e0e0; padding: 3px 6px;
                                       text-align: left; vertical-align: top; font-size: 12px; }
table.rg-grads th { background: #f5f5f5; font-weight: 600; }
td.values { background: #fffde7; }
td.values pre { white-space: pre-wrap; overflow-wrap: anywhere; }
#rg-list-box { padding: 0 16px 20px 16px; }
#rg-list { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace;
           font-size: 12px; columns: 3 260px;
           list-style-position: inside; padding-left: 0; }
#rg-list li { cursor: pointer; padding: 1px 4px; border-radius: 3px; }
#rg-list li.current { background: #ffd54f; font-weight: 700; }
#rg-list li.done { color: #888; }
g.node { cursor: pointer; }
g.node.done polygon, g.node.done path { fill: #ede7f6; }
g.node.current polygon, g.node.current path { fill: #ffd54f !important; stroke: #c62828 !important;
                                              stroke-width: 3px !important; }
g.node.current text { font-weight: 700; }
g.edge.rg-active path { stroke: #c62828 !important; stroke-width: 2.5px !important; }
g.edge.rg-active polygon { stroke: #c62828 !important; fill: #c62828 !important; }
"""

JS = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("rg-data").textContent);
  var R = D.records, cur = 0;
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    for (var i = 2; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  }
  function shape(s) { return "(" + s.join(", ") + (s.length === 1 ? ",)" : ")"); }
  function num(v) { return typeof v === "number" ? Number(v.toPrecision(4)).toString() : String(v); }
  function fmtTime(s) { return s < 1e-3 ? (s * 1e6).toFixed(1) + " \u00b5s" : (s * 1e3).toFixed(2) + " ms"; }
  function gradCells(tr, g) {
    if (!g) { tr.appendChild(el("td", {colspan: "4", text: "None (no gradient)"})); return; }
    tr.appendChild(el("td", {"class": "shape", text: shape(g.shape)}));
    tr.appendChild(el("td", {"class": "dtype", text: g.dtype.replace("torch.", "")}));
    var n = "norm " + num(g.norm);
    if (g.min !== null) n += "\nmin " + num(g.min) + "\nmax " + num(g.max);
    if (g.nan) n += "\nNaN \u00d7" + g.nan;
    if (g.inf) n += "\ninf \u00d7" + g.inf;
    tr.appendChild(el("td", {"class": "stats"}, el("pre", {text: n})));
    tr.appendChild(el("td", {"class": "values"},
      el("pre", {text: g.text === null ? "(" + g.numel + " elements)" : g.text})));
  }
  function nodeLabel(id) { var n = D.nodes[String(id)]; return n ? n.name + " #" + id : "#" + id; }
  function detail(r) {
    var box = document.getElementById("rg-detail");
    box.textContent = "";
    var st = el("span", {"class": "rg-status" + (r.status === "error" ? " error" : ""),
                         id: "rg-status", text: r.status});
    box.appendChild(el("h2", {id: "rg-node-name", "data-node": String(r.node_id),
                              text: r.name + " #" + r.node_id}, st));
    box.appendChild(el("div", {}, el("code", {id: "rg-formula", text: r.formula})));
    if (r.doc) box.appendChild(el("div", {id: "rg-doc", text: r.doc}));
    var c = D.calls[r.call];
    var meta = "backward call " + r.call + " (" + c.kind + ", retain_graph=" + c.retain_graph +
      ", create_graph=" + c.create_graph + ") \u00b7 " + fmtTime(r.seconds) +
      (r.released_bytes ? " \u00b7 saved tensors freed: " + r.released_bytes + " B" : "");
    box.appendChild(el("div", {"class": "rg-meta", id: "rg-meta", text: meta}));
    if (r.error) box.appendChild(el("pre", {"class": "rg-status error", text: r.error}));
    box.appendChild(el("h3", {text: "incoming gradient (grad_output)"}));
    var t = el("table", {"class": "rg-grads", id: "rg-grad-in"});
    t.appendChild(el("tr", {}, el("th", {text: "output"}), el("th", {text: "shape"}),
      el("th", {text: "dtype"}), el("th", {text: "norm"}), el("th", {text: "values"})));
    r.grad_in.forEach(function (g, k) {
      var tr = el("tr", {"data-output": String(k)}, el("td", {text: String(k)}));
      gradCells(tr, g); t.appendChild(tr);
    });
    box.appendChild(t);
    var n = D.nodes[String(r.node_id)];
    if (n && n.leaf_shape) {
      box.appendChild(el("h3", {text: "leaf"}));
      box.appendChild(el("div", {id: "rg-leaf", text: (n.leaf ? n.leaf + " " : "leaf ") +
        shape(n.leaf_shape) + (r.status === "accumulated" ? ": gradient added into .grad" :
        " (" + r.status + ")")}));
      return;
    }
    box.appendChild(el("h3", {text: "gradients sent to each input (grad_input, the VJP)"}));
    t = el("table", {"class": "rg-grads", id: "rg-grads-out"});
    t.appendChild(el("tr", {}, el("th", {text: "edge \u2192 node"}), el("th", {text: "shape"}),
      el("th", {text: "dtype"}), el("th", {text: "norm"}), el("th", {text: "values"})));
    r.grads_out.forEach(function (e) {
      var tr = el("tr", {"data-edge": String(e.index),
                         "data-target": e.node_id === null ? "" : String(e.node_id)},
        el("td", {text: e.index + " \u2192 " + (e.node_id === null ? "None" : nodeLabel(e.node_id) +
                  (e.input_nr ? " [" + e.input_nr + "]" : ""))}));
      gradCells(tr, e.grad); t.appendChild(tr);
    });
    box.appendChild(t);
  }
  function setClass(id, cls, on) {
    var g = document.getElementById(id);
    if (g) { if (on) g.classList.add(cls); else g.classList.remove(cls); }
    return g;
  }
  function show(k) {
    if (!R.length) { document.getElementById("rg-step").textContent = "no backward recorded"; return; }
    cur = Math.max(0, Math.min(R.length - 1, k));
    var all = document.querySelectorAll("g.node.current, g.node.done, g.edge.rg-active");
    for (var i = 0; i < all.length; i++) all[i].classList.remove("current", "done", "rg-active");
    for (i = 0; i < cur; i++) setClass("rgnode-" + R[i].node_id, "done", true);
    var r = R[cur];
    var g = setClass("rgnode-" + r.node_id, "current", true);
    if (g) g.classList.remove("done");
    r.grads_out.forEach(function (e) {
      if (e.node_id !== null && e.grad) setClass("rgedge-" + e.node_id + "-" + r.node_id + "-" + e.index, "rg-active", true);
    });
    if (r.name === "AccumulateGrad") setClass("rgleafedge-" + r.node_id, "rg-active", true);
    document.getElementById("rg-step").textContent = "Step " + (cur + 1) + " / " + R.length;
    document.getElementById("rg-prev").disabled = cur === 0;
    document.getElementById("rg-next").disabled = cur === R.length - 1;
    detail(r);
    var items = document.getElementById("rg-list").children;
    for (i = 0; i < items.length; i++) {
      items[i].className = i === cur ? "current" : (i < cur ? "done" : "");
    }
    if (g && g.scrollIntoView) g.scrollIntoView({block: "nearest", inline: "center"});
  }
  var list = document.getElementById("rg-list");
  R.forEach(function (r, k) {
    var li = el("li", {"data-step": String(k), text: r.name + " #" + r.node_id +
      (r.status !== "ran" && r.status !== "accumulated" ? " (" + r.status + ")" : "")});
    li.addEventListener("click", function () { show(k); });
    list.appendChild(li);
  });
  var nodes = document.querySelectorAll("g.node[id^='rgnode-']");
  for (var i = 0; i < nodes.length; i++) (function (g) {
    g.addEventListener("click", function () {
      var id = Number(g.id.slice(7));
      for (var k = 0; k < R.length; k++) if (R[k].node_id === id) { show(k); return; }
    });
  })(nodes[i]);
  document.getElementById("rg-prev").addEventListener("click", function () { show(cur - 1); });
  document.getElementById("rg-next").addEventListener("click", function () { show(cur + 1); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowRight" || ev.key === "ArrowDown") { show(cur + 1); ev.preventDefault(); }
    else if (ev.key === "ArrowLeft" || ev.key === "ArrowUp") { show(cur - 1); ev.preventDefault(); }
    else if (ev.key === "Home") { show(0); ev.preventDefault(); }
    else if (ev.key === "End") { show(R.length - 1); ev.preventDefault(); }
  });
  window.rgShow = show;
  show(0);
})();
"""
