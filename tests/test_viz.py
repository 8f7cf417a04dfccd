"""retrograd.viz (make_dot / to_dot / graph_text / saved_memory) and autograd.why_no_grad.

The pictures are checked two ways: against the graph itself (every edge is a ``next_functions``
entry and back, every label the node's class name) and against torchviz drawing the same torch
graph (same multiset of node labels and colours, same labelled edges)."""
from __future__ import annotations

import re
import shutil
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
import torch

import retrograd as rt
import retrograd.viz as viz
from retrograd.autograd import why_no_grad

try:
    import graphviz  # noqa: F401
    HAVE_GRAPHVIZ = True
except ImportError:  # pragma: no cover - the test extra installs it
    HAVE_GRAPHVIZ = False
try:
    import torchviz
except Exception:  # pragma: no cover - torchviz (test extra, Python < 3.12: it imports distutils)
    torchviz = None

_NODE = re.compile(r'^\t(\d+) \[label=("(?:[^"\\]|\\.)*"|[^ \]]+)(?: (.*))?\]$', re.S)
_EDGE = re.compile(r'^\t(\d+) -> (\d+)(?: \[(.*)\])?$', re.S)


def _unquote(s: str) -> str:
    if s.startswith('"'):
        s = s[1:-1]
    return s.replace("\\n", "\n").replace('\\"', '"')


def parse(statements):
    """(nodes: id -> (label, attrs), edges: [(tail, head, attrs)]) from DOT statements (the body
    of a Digraph, or the lines of to_dot's text). A node defined twice keeps its last definition,
    as graphviz does."""
    nodes, edges = {}, []
    for st in statements:
        st = st.rstrip("\n")
        m = _EDGE.match(st)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
            continue
        m = _NODE.match(st)
        if m:
            nodes[m.group(1)] = (_unquote(m.group(2)), m.group(3) or "")
    return nodes, edges


def structure(nodes, edges, saved_extra=False):
    """Ids replaced by labels: Counter of (label, attrs) nodes and of labelled edges.
    ``saved_extra``: drop the third line of saved-tensor labels (retrograd adds dtype and bytes
    there; torchviz shows name and size only)."""
    if saved_extra:
        nodes = {k: ("\n".join(v[0].split("\n")[:2]) if v[1] == "fillcolor=orange" else v[0],
                     v[1]) for k, v in nodes.items()}
    lab = {k: v[0] for k, v in nodes.items()}
    return (Counter(nodes.values()),
            Counter((lab[a], lab[b], attrs) for a, b, attrs in edges))


def dot_lines(text):
    return [ln for ln in text.splitlines() if ln.startswith("\t")]


def walk(root):
    seen, order, stack = set(), [], [root]
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(fn)
        stack.extend(u[0] for u in fn.next_functions if u[0] is not None)
    return order


# -- the graphs: built the same way in retrograd (lib=rt) and torch (lib=torch) ---------------
def seed_graph(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
    return x * y, {"x": x, "y": y}


def diamond_graph(lib):
    x = lib.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    a = x.exp()
    out = (a * 2 + a.sin()).sum()
    return out, {"x": x}


def custom_graph(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a ** 3

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 3 * a ** 2 * g

    x = lib.tensor([1.0, -2.0], requires_grad=True)
    return Cube.apply(x * 2).sum(), {"x": x}


def shared_graph(lib):
    lib.manual_seed(0)
    lin = lib.nn.Linear(3, 3)
    w = np.arange(9, dtype=np.float32).reshape(3, 3) / 10
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(w))
        lin.bias.copy_(lib.tensor([0.1, -0.2, 0.3]))
    x = lib.tensor([[1.0, 2.0, 3.0]])
    out = lin(lib.tanh(lin(x))).sum()
    return out, dict(lin.named_parameters())


def mlp_graph(lib):
    lib.manual_seed(0)
    net = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 8),
                            lib.nn.ReLU(), lib.nn.Linear(8, 2))
    out = net(lib.ones(5, 4)).pow(2).mean()
    return out, net


GRAPHS = [seed_graph, diamond_graph, custom_graph, shared_graph, mlp_graph]


@pytest.mark.parametrize("build", GRAPHS, ids=lambda f: f.__name__)
def test_edges_are_next_functions(build):
    out, params = build(rt)
    nodes, edges = parse(dot_lines(viz.to_dot(out, params)))
    fns = walk(out.grad_fn)
    # every backward node is drawn, labelled with its class name
    for fn in fns:
        assert nodes[str(id(fn))][0] == type(fn).__name__
    # the edges between backward nodes are exactly the next_functions entries
    fn_ids = {str(id(f)) for f in fns}
    drawn = {(a, b) for a, b, _ in edges if a in fn_ids and b in fn_ids}
    expected = {(str(id(u[0])), str(id(f))) for f in fns for u in f.next_functions
                if u[0] is not None}
    assert drawn == expected
    # each AccumulateGrad is fed by its leaf, drawn lightblue and named from params
    names = {id(v): k for k, v in (params.named_parameters() if hasattr(params, "named_parameters")
                                   else params.items())}
    for fn in fns:
        if type(fn).__name__ == "AccumulateGrad":
            v = fn.variable
            assert (str(id(v)), str(id(fn)), "") in edges
            label, attrs = nodes[str(id(v))]
            assert attrs == "fillcolor=lightblue"
            assert label.split("\n")[0] == names.get(id(v), "")
    # the output: darkolivegreen1, fed by its grad_fn
    assert nodes[str(id(out))][1] == "fillcolor=darkolivegreen1"
    assert (str(id(out.grad_fn)), str(id(out)), "") in edges


@pytest.mark.skipif(torchviz is None or not HAVE_GRAPHVIZ, reason="torchviz not installed")
@pytest.mark.parametrize("build", GRAPHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("show_attrs", [False, True])
@pytest.mark.filterwarnings("ignore::DeprecationWarning")   # torchviz's own LooseVersion
def test_same_picture_as_torchviz(build, show_attrs):
    out_t, params_t = build(torch)
    out_r, params_r = build(rt)
    if hasattr(params_t, "named_parameters"):
        params_t, params_r = dict(params_t.named_parameters()), dict(params_r.named_parameters())
    show_saved = build is seed_graph   # saved tensors of leaves only: ids are stable there
    ref = torchviz.make_dot(out_t, params=params_t, show_attrs=show_attrs, show_saved=show_saved)
    got = viz.make_dot(out_r, params=params_r, show_attrs=show_attrs, show_saved=show_saved)
    assert structure(*parse(got.body), saved_extra=True) == structure(*parse(ref.body))
    # to_dot's text (no graphviz needed) draws the same graph as the Digraph's source
    text = viz.to_dot(out_r, params_r, show_attrs, show_saved)
    assert structure(*parse(dot_lines(text))) == structure(*parse(got.body))


def test_torchviz_signature_and_view_output():
    import inspect
    sig = inspect.signature(viz.make_dot)
    assert list(sig.parameters)[:5] == ["var", "params", "show_attrs", "show_saved",
                                        "max_attr_chars"]
    assert [sig.parameters[k].default for k in list(sig.parameters)[1:5]] == [None, False, False,
                                                                             50]
    x = rt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[1:]                               # a view: its base drawn darkolivegreen3, dotted edge
    nodes, edges = parse(dot_lines(viz.to_dot((v, y))))
    # torchviz's rule: the first role met wins; y is met first as v's base
    assert nodes[str(id(y))][1] == "fillcolor=darkolivegreen3"
    assert nodes[str(id(v))][1] == "fillcolor=darkolivegreen1"
    assert (str(id(y)), str(id(v)), "style=dotted") in edges
    with pytest.raises(TypeError, match="expected a Tensor"):
        viz.to_dot([1.0])


def test_saved_tensor_nodes_show_shape_dtype_bytes():
    x = rt.tensor([[1.0, 2.0]], requires_grad=True)
    a = x.exp()                       # ExpBackward0 saves its result
    out = a.sum()
    nodes, edges = parse(dot_lines(viz.to_dot(out, show_saved=True)))
    saved = [v for v in nodes.values() if v[1] == "fillcolor=orange"]
    assert saved == [("result\n (1, 2)\n float32 8 B", "fillcolor=orange")]
    # without show_saved, built-in nodes' saved tensors are not drawn; custom ones always are
    assert not any(v[1] == "fillcolor=orange" for v in parse(dot_lines(viz.to_dot(out)))[0].values())
    out_c, _ = custom_graph(rt)
    cnodes = parse(dot_lines(viz.to_dot(out_c)))[0]
    assert [v[0] for v in cnodes.values() if v[1] == "fillcolor=orange"] == \
        ["\n (2)\n float32 8 B"]


def test_seed_style_colours():
    out, params = seed_graph(rt)
    nodes, _ = parse(dot_lines(viz.to_dot(out.sum(), params, style="seed")))
    colours = {label.split("\n")[0]: attrs for label, attrs in nodes.values()}
    assert colours["MulBackward0"] == "fillcolor=plum"
    assert colours["AccumulateGrad"] == "fillcolor=plum"
    assert colours["x"] == colours["y"] == colours[""] == "fillcolor=palegreen"
    with pytest.raises(ValueError, match="style"):
        viz.to_dot(out, style="neon")


def test_show_grad_summary_after_backward():
    grads = {}
    for lib in (rt, torch):
        x = lib.tensor([3.0, -4.0], requires_grad=True)
        w = lib.tensor([1.0, 1.0], requires_grad=True)
        out = x * 2 + w * lib.tensor([float("nan"), float("inf")])
        out.sum().backward()
        grads[lib.__name__] = (x.grad.detach().numpy(), w.grad.detach().numpy())
        if lib is rt:
            rx, rw, rout = x, w, out
    np.testing.assert_array_equal(grads["retrograd"][0], grads["torch"][0])
    np.testing.assert_array_equal(grads["retrograd"][1], grads["torch"][1])
    nodes = parse(dot_lines(viz.to_dot(rout, {"x": rx, "w": rw}, show_grad=True)))[0]
    labels = {v[0].split("\n")[0]: v[0] for v in nodes.values()}
    gx = grads["retrograd"][0]
    assert labels["x"] == "x\n (2)\ngrad (2)\nnorm=%.4g min=%.4g max=%.4g" % (
        np.linalg.norm(gx), gx.min(), gx.max())
    assert labels["w"] == "w\n (2)\ngrad (2)\nNaN x1\ninf x1"
    fresh = rt.ones(1, requires_grad=True)
    before = parse(dot_lines(viz.to_dot(fresh * 1, {"f": fresh}, show_grad=True)))[0]
    assert ("f\n (1)\ngrad: None", "fillcolor=lightblue") in before.values()


def test_graph_text_tree(capsys):
    out, params = diamond_graph(rt)
    text = viz.graph_text(out, params)
    assert capsys.readouterr().out == text + "\n"
    lines = text.splitlines()
    assert lines[0] == "output ()"
    assert lines[1].strip() == "└─ SumBackward0"
    assert "ExpBackward0 (see above)" in text       # the diamond's shared node, once in full
    assert sum("AccumulateGrad -> leaf x (2, 2)" in ln for ln in lines) == 1


@pytest.mark.skipif(not HAVE_GRAPHVIZ, reason="graphviz Python package not installed")
def test_missing_graphviz_hint(monkeypatch):
    out, params = seed_graph(rt)
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError) as e:
        viz.make_dot(out, params)
    assert "\n" not in str(e.value) and "to_dot" in str(e.value)
    assert viz.to_dot(out, params).startswith("digraph {")


@pytest.mark.skipif(not HAVE_GRAPHVIZ or shutil.which("dot") is None,
                    reason="graphviz's dot binary not installed (.ci/run installs it)")
def test_render_svg(tmp_path):
    out, net = mlp_graph(rt)
    out.backward()
    dot = viz.make_dot(out, net, show_saved=True, show_grad=True, style="seed")
    path = dot.render(str(tmp_path / "mlp"), format="svg")
    svg = open(path).read()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    for name in ("0.weight", "4.bias", "AddmmBackward0", "ReluBackward0", "MeanBackward0"):
        assert name in svg


# -- why_no_grad ---------------------------------------------------------------------------
def test_why_no_grad_reasons():
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    y = rt.tensor([3.0, 4.0], requires_grad=True)
    c = rt.tensor([5.0, 6.0])
    unused = rt.tensor([0.0, 0.0], requires_grad=True)
    h = x * 2
    out = (h * y.detach() * c).sum()
    r = why_no_grad(out, x)
    assert r.code == "ok" and r.reaches
    assert str(r) == ("a gradient reaches the tensor along SumBackward0 -> MulBackward0 -> "
                      "MulBackward0 -> MulBackward0 -> AccumulateGrad")
    r = why_no_grad(out, y)
    assert r.code == "cut" and type(r.break_at).__name__ == "MulBackward0"
    assert r.break_at._saved_other is not y and r.break_at._saved_other._vc is y._vc
    assert why_no_grad(out, h).code == "non_leaf_without_retain_grad"
    h2 = x * 3
    h2.retain_grad()
    assert why_no_grad((h2 * 1).sum(), h2).code == "ok"
    assert why_no_grad(out, c).code == "requires_grad_false"
    assert why_no_grad(out, rt.arange(3)).code == "integer_dtype"
    assert why_no_grad(out, unused).code == "not_in_graph"
    with rt.no_grad():
        q = x * 3
    assert why_no_grad((q * unused).sum(), x).code == "not_in_graph"
    with rt.no_grad():
        nog = (x * y).sum()
    assert why_no_grad(nog, x).code == "output_no_graph"
    with rt.inference_mode():
        inf = rt.ones(2)
    assert why_no_grad(out, inf).code == "inference_tensor"
    # a list gives one answer per tensor
    assert [r.code for r in why_no_grad(out, [x, c])] == ["ok", "requires_grad_false"]
    # the graph freed by backward: the path's saved tensors are gone, and backward says so
    out.backward()
    r = why_no_grad(out, x)
    assert r.code == "graph_freed" and r.freed
    assert str(r).endswith("its .grad holds what the earlier backward sent")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert why_no_grad(out, h).code == "graph_freed"      # no non-leaf .grad warning
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.backward()


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_why_no_grad_matches_torch_outcomes():
    """Where the answer says 'ok', torch fills .grad; where it says otherwise, torch does not
    (the same script in both libraries)."""
    results = {}
    for lib in (rt, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        z = lib.tensor([1.0, 1.0], requires_grad=True)
        h = x * 2
        out = (h * y.detach()).sum() + 0 * z.sum()
        if lib is rt:
            codes = [why_no_grad(out, t).code for t in (x, y, h, z)]
        out.backward()
        results[lib.__name__] = [t.grad is not None for t in (x, y, h, z)]
    assert codes == ["ok", "cut", "non_leaf_without_retain_grad", "ok"]
    assert results["retrograd"] == results["torch"] == [True, False, False, True]


# -- saved_memory ---------------------------------------------------------------------------
def test_saved_memory_seed_and_diamond():
    x = rt.tensor(np.ones((4, 5), np.float32), requires_grad=True)
    y = rt.tensor(np.ones((5,), np.float64), requires_grad=True)
    z = x * y                               # MulBackward0 saves both inputs
    rep = viz.saved_memory(z)
    assert [(n.name, n.nbytes) for n in rep.nodes] == [("MulBackward0",
                                                        x.detach().numpy().nbytes + y.detach().numpy().nbytes)]
    assert rep.total_bytes == rep.unique_bytes == 4 * 5 * 4 + 5 * 8
    out, _ = diamond_graph(rt)
    rep = viz.saved_memory(out)
    by_name = {n.name: n for n in rep.nodes}
    a = out.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert type(a).__name__ == "ExpBackward0"
    assert by_name["ExpBackward0"].nbytes == a._saved_result.detach().numpy().nbytes == 16
    assert by_name["SinBackward0"].nbytes == 16          # sin saves its input (the exp result)
    assert rep.total_bytes == sum(n.nbytes for n in rep.nodes)
    # exp's result and sin's input are the same array: counted once in unique_bytes
    assert rep.unique_bytes == rep.total_bytes - 16
    table = rep.table()
    assert table.splitlines()[0].split() == ["node", "tensors", "bytes"]
    assert "total" in table and str(rep.total_bytes) in table
    out.backward()
    after = viz.saved_memory(out)
    assert after.total_bytes == 0 and all(n.released for n in after.nodes if n.tensors == 0
                                          and by_name[n.name].tensors)
