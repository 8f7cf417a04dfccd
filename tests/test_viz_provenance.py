"""Provenance (retrograd.autograd.set_provenance / provenance): each node's source line and
Module; backward errors and why_no_grad name the line; module clusters in to_dot/make_dot.

Errors are compared with PyTorch's own message (the same code run in torch): retrograd's message
is PyTorch's, followed by the provenance line."""
from __future__ import annotations

import re
import sys
import warnings
from collections import Counter

import pytest
import torch

import retrograd as rt
import retrograd.viz as viz
from retrograd.autograd import get_provenance, why_no_grad

try:
    import graphviz  # noqa: F401
    HAVE_GRAPHVIZ = True
except ImportError:  # pragma: no cover - the test extra installs it
    HAVE_GRAPHVIZ = False


@pytest.fixture(autouse=True)
def _provenance_off_after():
    yield
    rt.autograd.set_provenance(False)


def _here() -> int:
    """The caller's line number."""
    return sys._getframe(1).f_lineno


def _walk(root):
    seen, order, stack = set(), [], [root]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(fn)
        stack.extend(u[0] for u in fn.next_functions)
    return order


# -- the switch ---------------------------------------------------------------------------------
def test_off_by_default_and_records_nothing():
    assert rt.autograd.is_provenance_enabled() is False
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    assert all(get_provenance(f) is None and f._x is None for f in _walk(y.grad_fn))


def test_set_provenance_function_and_with_forms():
    rt.autograd.set_provenance(True)
    assert rt.autograd.is_provenance_enabled()
    with rt.autograd.set_provenance(False):
        assert not rt.autograd.is_provenance_enabled()
    assert rt.autograd.is_provenance_enabled()
    rt.autograd.set_provenance(False)
    with rt.autograd.provenance():
        assert rt.autograd.is_provenance_enabled()
        with rt.autograd.provenance(False):
            assert not rt.autograd.is_provenance_enabled()
        assert rt.autograd.is_provenance_enabled()
    assert not rt.autograd.is_provenance_enabled()
    # anomaly mode and provenance share one flag in node creation: each keeps its own switch
    with rt.autograd.provenance():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rt.autograd.detect_anomaly():
                pass
        x = rt.tensor([1.0], requires_grad=True)
        assert get_provenance((x * 2).grad_fn) is not None
    x = rt.tensor([1.0], requires_grad=True)
    assert (x * 2).grad_fn._x is None


def test_records_file_line_function_code():
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    with rt.autograd.provenance():
        z = x * x; line = _here()  # noqa: E702
        s = z.sum(); line2 = _here()  # noqa: E702
    p = get_provenance(z.grad_fn)
    assert (p.filename, p.lineno, p.function) == (__file__, line,
                                                  "test_records_file_line_function_code")
    assert p.code == "z = x * x; line = _here()  # noqa: E702"
    assert p.module is None and p.modules == [] and p.module_name is None
    assert get_provenance(s.grad_fn).lineno == line2
    assert p.where() == "test_viz_provenance.py:%d in %s" % (line, p.function)
    # a leaf's AccumulateGrad records nothing: it is made wherever the leaf is first used
    acc = z.grad_fn.next_functions[0][0]
    assert type(acc).__name__ == "AccumulateGrad" and get_provenance(acc) is None


def test_records_the_module_path():
    rt.manual_seed(0)
    inner = rt.nn.Sequential(rt.nn.Linear(4, 2), rt.nn.Tanh())
    net = rt.nn.Sequential(rt.nn.Linear(3, 4), rt.nn.ReLU(), inner)
    with rt.autograd.provenance():
        out = net(rt.randn(5, 3)); line = _here()  # noqa: E702
    p = get_provenance(out.grad_fn)
    assert out.grad_fn.name() == "TanhBackward0"
    assert p.lineno == line                 # the user's line, not nn's
    assert [(n, type(m).__name__) for n, m in p.modules] == [
        ("", "Sequential"), ("2", "Sequential"), ("2.1", "Tanh")]
    assert p.module is inner[1] and p.module_name == "2.1"
    assert str(p).endswith("[module 2.1 (Tanh)]")


# -- errors in backward ---------------------------------------------------------------------------
def _torch_error(fn):
    with pytest.raises(RuntimeError) as e:
        fn(torch)
    return str(e.value)


def test_inplace_error_names_the_line():
    def run(lib, lines=None):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        a = x * 1
        b = a * a; n1 = _here()  # noqa: E702
        a.add_(1); n2 = _here()  # noqa: E702
        if lines is not None:
            lines.extend([n1, n2])
        b.sum().backward()
    expected = _torch_error(run)
    lines = []
    with rt.autograd.provenance():
        with pytest.raises(RuntimeError) as e:
            run(rt, lines)
    msg = str(e.value)
    head = ('File "%s", line %%d, in run: ' % __file__)
    assert msg == (expected + "\nProvenance: MulBackward0 was created at "
                   + head % lines[0] + "b = a * a; n1 = _here()  # noqa: E702"
                   + "\nThe tensor was modified in place afterwards by AddBackward0 at "
                   + head % lines[1] + "a.add_(1); n2 = _here()  # noqa: E702")
    # off: PyTorch's message alone
    with pytest.raises(RuntimeError) as e:
        run(rt)
    assert str(e.value) == expected


def test_inplace_on_saved_output_names_the_line():
    def run(lib, lines=None):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        b = (x * 1).exp(); n = _here()  # noqa: E702
        with lib.no_grad():
            b.mul_(2)
        if lines is not None:
            lines.append(n)
        b.sum().backward()
    expected = _torch_error(run)
    lines = []
    with rt.autograd.provenance():
        with pytest.raises(RuntimeError) as e:
            run(rt, lines)
    assert str(e.value) == (expected + '\nProvenance: ExpBackward0 was created at File "%s", '
                            'line %d, in run: b = (x * 1).exp(); n = _here()  # noqa: E702'
                            % (__file__, lines[0]))


def test_freed_graph_error_names_the_line():
    def run(lib, lines=None):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum(); n = _here()  # noqa: E702
        y.backward()
        if lines is not None:
            lines.append(n)
        y.backward()
    expected = _torch_error(run)
    lines = []
    with rt.autograd.provenance():
        with pytest.raises(RuntimeError) as e:
            run(rt, lines)
    # SumBackward0 saves nothing and runs; MulBackward0 is the node that finds its saved
    # tensors freed
    assert str(e.value) == (expected + '\nProvenance: MulBackward0 was created at File "%s", '
                            'line %d, in run: y = (x * x).sum(); n = _here()  # noqa: E702'
                            % (__file__, lines[0]))


def test_anomaly_nan_error_names_the_line():
    def run(lib, lines=None):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        z = (x - x) * 0
        w = z / z; n = _here()  # noqa: E702
        if lines is not None:
            lines.append(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                w = z / z; n = _here()  # noqa: E702
                if lines is not None:
                    lines.append(n)
                w.sum().backward()
    expected = _torch_error(run)
    assert expected == "Function 'DivBackward0' returned nan values in its 1th output."
    lines = []
    with rt.autograd.provenance():
        with pytest.raises(RuntimeError) as e:
            run(rt, lines)
    assert str(e.value) == (expected + '\nProvenance: DivBackward0 was created at File "%s", '
                            'line %d, in run: w = z / z; n = _here()  # noqa: E702'
                            % (__file__, lines[1]))


def test_provenance_line_added_once_through_nested_backward():
    """A reentrant checkpoint's backward runs a nested backward: an error there names the inner
    node that raised it, once (the outer engine leaves the message alone)."""
    from retrograd.utils.checkpoint import checkpoint

    class Boom(rt.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1

        @staticmethod
        def backward(ctx, g):
            raise RuntimeError("boom")
    lines = []

    def block(a):
        b = Boom.apply(a); lines.append(_here())  # noqa: E702
        return b.sum()
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    with rt.autograd.provenance():
        y = checkpoint(block, x, use_reentrant=True)
        with pytest.raises(RuntimeError) as e:
            y.backward()
    # the forward ran block under no_grad, the recomputation in backward made the node
    assert str(e.value) == ('boom\nProvenance: BoomBackward was created at File "%s", line %d, '
                            'in block: b = Boom.apply(a); lines.append(_here())  # noqa: E702'
                            % (__file__, lines[-1]))


# -- why_no_grad -----------------------------------------------------------------------------------
def test_why_no_grad_names_the_line():
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    w = rt.tensor([3.0, 4.0], requires_grad=True)
    with rt.autograd.provenance():
        h = x * 2; nh = _here()  # noqa: E702
        y = (h.detach() * w).sum(); ny = _here()  # noqa: E702
        r = why_no_grad(y, h)
        assert r.code == "cut" and r.break_at is y.grad_fn.next_functions[0][0]
        assert r.source.lineno == ny
        assert ('MulBackward0 (created at File "%s", line %d, in test_why_no_grad_names_the_line:'
                % (__file__, ny)) in str(r)
        y2 = (h * w).sum()
        y2.backward()
        r = why_no_grad(y2, x)
        assert r.code == "graph_freed"
        assert r.source is get_provenance(h.grad_fn) and r.source.lineno == nh
        assert str(r).endswith('the path breaks at MulBackward0 (created at File "%s", line %d, '
                               'in test_why_no_grad_names_the_line: h = x * 2; nh = _here()  '
                               '# noqa: E702)' % (__file__, nh))
    # off: the same reasons, no line
    h = x * 2
    r = why_no_grad((h.detach() * w).sum(), h)
    assert r.code == "cut" and r.source is None and "created at" not in str(r)


# -- module clusters -------------------------------------------------------------------------------
_NODE = re.compile(r'^\t+(\d+) \[label=("(?:[^"\\]|\\.)*"|[^ \]]+)(?: (.*))?\]$', re.S)
_EDGE = re.compile(r'^\t+(\d+) -> (\d+)(?: \[(.*)\])?$', re.S)
_CLUSTER = re.compile(r'^\t*subgraph (cluster_\d+) \{$')
_LABEL = re.compile(r'(?:^|[\s\[])label=("(?:[^"\\]|\\.)*"|[^ \]]+)')


def _unquote(s):
    return (s[1:-1] if s.startswith('"') else s).replace("\\n", "\n").replace('\\"', '"')


def _statements(lines):
    """DOT lines joined where a quoted label spans several (graphviz writes raw newlines)."""
    out, cur = [], None
    for ln in lines:
        cur = ln if cur is None else cur + "\n" + ln
        if len(re.findall(r'(?<!\\)"', cur)) % 2 == 0:
            out.append(cur)
            cur = None
    return out


def parse_clusters(lines):
    """nodes {id: label}, edges [(a, b)], clusters {name: (label, parent, [direct node ids])}."""
    nodes, edges, clusters, stack = {}, [], {}, []
    for ln in _statements(lines):
        m = _CLUSTER.match(ln)
        if m:
            clusters[m.group(1)] = [None, stack[-1] if stack else None, []]
            stack.append(m.group(1))
            continue
        if ln.strip() == "}" and stack:
            stack.pop()
            continue
        m = _EDGE.match(ln)
        if m:
            edges.append((m.group(1), m.group(2)))
            continue
        m = _NODE.match(ln)
        if m:
            nodes[m.group(1)] = _unquote(m.group(2))
            if stack:
                clusters[stack[-1]][2].append(m.group(1))
            continue
        m = _LABEL.search(ln)
        if m and stack and clusters[stack[-1]][0] is None:
            clusters[stack[-1]][0] = _unquote(m.group(1))
    return nodes, edges, clusters


def _subtree(clusters, name):
    ids = set(clusters[name][2])
    for k, (_, parent, _) in clusters.items():
        if parent == name:
            ids |= _subtree(clusters, k)
    return ids


def created_inside(lib, model, run):
    """The oracle, from forward hooks alone: for each module (by qualified name), the backward
    nodes its calls created = nodes reachable from its outputs minus those reachable from its
    inputs (AccumulateGrad excluded), over all its calls."""
    made = {}
    names = dict((m, n) for n, m in model.named_modules())
    graphs = {}

    def reach(ts):
        out = set()
        for t in ts:
            if isinstance(t, lib.Tensor) and t.grad_fn is not None:
                out |= {f for f in _walk(t.grad_fn) if "AccumulateGrad" not in type(f).__name__}
        return out

    def pre(m, args):
        graphs.setdefault(m, []).append(reach(args))

    def post(m, args, out):
        before = graphs[m].pop()
        made.setdefault(names[m], set()).update(reach([out]) - before)
    handles = []
    for m in names:
        handles.append(m.register_forward_pre_hook(pre))
        handles.append(m.register_forward_hook(post))
    out = run()
    for h in handles:
        h.remove()
    return out, made


class Tied(rt.nn.Module):
    """One Linear applied twice and its weight used again outside it (shared parameters)."""

    def __init__(self, nn):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.act = nn.Tanh()

    def forward(self, x):
        h = self.act(self.lin(x))
        h = self.lin(h)
        return (h @ self.lin.weight).sum()


def mlp3(nn):
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))


def nested(nn):
    return nn.Sequential(nn.Linear(4, 6), nn.Sequential(nn.Linear(6, 6), nn.ReLU(),
                                                        nn.Sequential(nn.Linear(6, 3))),
                         nn.Sigmoid())


def tied(nn):
    return Tied(nn) if nn is rt.nn else TorchTied()


class TorchTied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 3)
        self.act = torch.nn.Tanh()

    forward = Tied.forward


MODELS = {"mlp3": (mlp3, 4), "nested": (nested, 4), "tied": (tied, 3)}


@pytest.mark.parametrize("name", list(MODELS))
def test_clusters_hold_exactly_the_nodes_made_inside_each_module(name):
    make, nin = MODELS[name]
    rt.manual_seed(0)
    model = make(rt.nn)
    x = rt.randn(5, nin)

    def run():
        with rt.autograd.provenance():
            return model(x).sum()
    out, made = created_inside(rt, model, run)
    text = viz.to_dot(out, model)
    nodes, edges, clusters = parse_clusters(text.splitlines())
    # nodes and edges are still exactly the graph's
    fns = _walk(out.grad_fn)
    ids = {str(id(f)): f for f in fns}
    for k, f in ids.items():
        assert nodes[k] == type(f).__name__
    assert {(a, b) for a, b in edges if a in ids and b in ids} == {
        (str(id(u[0])), str(id(f))) for f in fns for u in f.next_functions if u[0] is not None}
    # one cluster per module that created nodes, labelled "qualified name (Class)"
    qual = dict(model.named_modules())
    by_label = {c[0]: k for k, c in clusters.items()}
    want = {(n + " (" + type(qual[n]).__name__ + ")" if n else type(qual[n]).__name__)
            for n, s in made.items() if s}
    assert set(by_label) == want
    for n, s in made.items():
        if not s:
            continue
        label = n + " (" + type(qual[n]).__name__ + ")" if n else type(qual[n]).__name__
        assert _subtree(clusters, by_label[label]) == {str(id(f)) for f in s}, n
    # nesting follows the module tree
    for k, (label, parent, _) in clusters.items():
        qn = label.split(" ")[0] if "(" in label else ""
        if parent is None:
            assert qn == ""
        else:
            pq = clusters[parent][0].split(" ")[0] if "(" in clusters[parent][0] else ""
            assert qn.rsplit(".", 1)[0] == pq if "." in qn else pq == ""
    # nodes outside every cluster: AccumulateGrad, leaves, output and nodes made outside modules
    inside = set().union(*(c[2] for c in clusters.values()))
    for k, f in ids.items():
        if "AccumulateGrad" in type(f).__name__:
            assert k not in inside
    # the same modules make the same kinds of nodes in PyTorch (oracle run there too)
    torch.manual_seed(0)
    tmodel = make(torch.nn)
    tx = torch.tensor(x.detach().numpy())
    _, tmade = created_inside(torch, tmodel, lambda: tmodel(tx).sum())
    assert {n: Counter(type(f).__name__ for f in s) for n, s in made.items()} == \
        {n: Counter(type(f).__name__ for f in s) for n, s in tmade.items()}


def test_tied_module_cluster_contents():
    rt.manual_seed(0)
    model = Tied(rt.nn)
    with rt.autograd.provenance():
        out = model(rt.randn(2, 3))
    nodes, _, clusters = parse_clusters(viz.to_dot(out).splitlines())
    names = {c[0]: Counter(nodes[i] for i in c[2]) for c in clusters.values()}
    # both calls of lin in one box; the matmul with its weight and the sum belong to Tied
    assert names == {"Tied": Counter({"MmBackward0": 1, "SumBackward0": 1}),
                     "lin (Linear)": Counter({"AddmmBackward0": 2, "TBackward0": 2}),
                     "act (Tanh)": Counter({"TanhBackward0": 1})}


def test_no_clusters_without_provenance_or_when_switched_off():
    rt.manual_seed(0)
    model = mlp3(rt.nn)
    out = model(rt.ones(2, 4)).sum()
    assert "subgraph" not in viz.to_dot(out, model)
    with rt.autograd.provenance():
        out = model(rt.ones(2, 4)).sum()
    assert "subgraph" in viz.to_dot(out, model)
    assert "subgraph" not in viz.to_dot(out, model, show_modules=False)


def test_show_source_in_dot_and_text(capsys):
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    with rt.autograd.provenance():
        y = (x * 3).sum(); n = _here()  # noqa: E702
    where = "test_viz_provenance.py:%d in test_show_source_in_dot_and_text" % n
    nodes, _, _ = parse_clusters(viz.to_dot(y, show_source=True).splitlines())
    assert nodes[str(id(y.grad_fn))] == "SumBackward0\n" + where
    assert viz.to_dot(y) == viz.to_dot(y, show_source=False) and where not in viz.to_dot(y)
    text = viz.graph_text(y, show_source=True)
    assert text.splitlines()[1].strip() == "└─ SumBackward0  @ " + where
    rt.manual_seed(0)
    model = rt.nn.Sequential(rt.nn.Linear(2, 2))
    with rt.autograd.provenance():
        z = model(x.unsqueeze(0))
    assert "[0 (Linear)]" in viz.graph_text(z, show_source=True)
    capsys.readouterr()


@pytest.mark.skipif(not HAVE_GRAPHVIZ, reason="graphviz not installed")
def test_make_dot_clusters_same_as_to_dot():
    rt.manual_seed(0)
    model = nested(rt.nn)
    with rt.autograd.provenance():
        out = model(rt.ones(2, 4)).sum()
    dot = viz.make_dot(out, model)
    n1, e1, c1 = parse_clusters(dot.source.splitlines())
    n2, e2, c2 = parse_clusters(viz.to_dot(out, model).splitlines())
    assert n1 == n2 and sorted(e1) == sorted(e2)
    assert sorted((c[0], c[1] and c1[c[1]][0], sorted(c[2])) for c in c1.values()) == \
        sorted((c[0], c[1] and c2[c[1]][0], sorted(c[2])) for c in c2.values())
