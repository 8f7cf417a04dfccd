"""retrograd.autograd.explain(): the records of each node the engine ran.

Each scenario is checked against hand-computed numbers (the seed's examples) and against PyTorch
running the same graph: the gradients every node sent, the leaves' ``.grad``, the node names,
and the order in which PyTorch's engine runs its nodes (seen through node post-hooks)."""
from __future__ import annotations

import contextlib
import io
import json
import pathlib
import re
import threading

import numpy as np
import pytest
import torch

import retrograd as rt
import retrograd.viz as viz
from retrograd.autograd import explain
from retrograd.autograd._explain import ACTIVE, GradInfo, NodeRecord


def vals(info):
    return None if info is None else np.asarray(info.values, dtype=np.float64)


def torch_order(roots, run):
    """The names of torch's nodes in the order its engine runs them (post-hooks), during run()."""
    order, seen = [], set()
    stack = [t.grad_fn for t in roots]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        fn.register_hook(lambda gi, go, fn=fn: order.append(type(fn).__name__))
        stack.extend(n for n, _ in fn.next_functions)
    run()
    return order


# -- the seed's examples ------------------------------------------------------------------------
def test_the_seeds_vector_jacobian_product_hand_computed_and_against_torch():
    # seed: x = [0, 2, 8], y = [5, 1, 7], z = x * y, z.backward(v); dz/dx = y, dz/dy = x
    x = rt.tensor([0.0, 2.0, 8.0], requires_grad=True)
    y = rt.tensor([5.0, 1.0, 7.0], requires_grad=True)
    z = x * y
    v = rt.tensor([1.0, 0.5, -2.0])
    with explain(params={"x": x, "y": y}) as rec:
        z.backward(v)
    assert [r.name for r in rec] == ["MulBackward0", "AccumulateGrad", "AccumulateGrad"]
    mul, acc_x, acc_y = rec.records
    assert mul.step == 0 and mul.call == 0 and mul.status == "ran"
    assert mul.formula == "retrograd.ops.elementwise.arithmetic.MulBackward0.backward"
    assert mul.doc == "d(x*y)/dx = y, d(x*y)/dy = x."
    np.testing.assert_array_equal(vals(mul.grad_in[0]), [1.0, 0.5, -2.0])
    # the VJP by hand: v * y to x, v * x to y
    np.testing.assert_array_equal(vals(mul.grads_out[0].grad), [5.0, 0.5, -14.0])
    np.testing.assert_array_equal(vals(mul.grads_out[1].grad), [0.0, 1.0, -16.0])
    assert [(e.index, e.node_id, e.node_name) for e in mul.grads_out] == \
        [(0, acc_x.node_id, "AccumulateGrad"), (1, acc_y.node_id, "AccumulateGrad")]
    assert mul.released_bytes == 24            # x and y, 3 float32 each
    assert rec.graph[acc_x.node_id].leaf == "x" and rec.graph[acc_y.node_id].leaf == "y"
    assert (acc_x.status, acc_y.status) == ("accumulated", "accumulated")
    np.testing.assert_array_equal(vals(acc_x.grad_in[0]), x.grad.numpy())
    gi = mul.grads_out[0].grad
    assert (gi.shape, gi.dtype, gi.numel, gi.min, gi.max) == ((3,), "torch.float32", 3, -14.0, 5.0)
    assert gi.norm == pytest.approx(np.sqrt(25 + 0.25 + 196))
    # torch: the same graph, names and gradients
    tx = torch.tensor([0.0, 2.0, 8.0], requires_grad=True)
    ty = torch.tensor([5.0, 1.0, 7.0], requires_grad=True)
    tz = tx * ty
    order = torch_order([tz], lambda: tz.backward(torch.tensor([1.0, 0.5, -2.0])))
    assert order == [r.name for r in rec]
    np.testing.assert_array_equal(vals(mul.grads_out[0].grad), tx.grad.numpy())
    np.testing.assert_array_equal(vals(mul.grads_out[1].grad), ty.grad.numpy())


def test_the_seeds_scalar_examples():
    # z = x ** 3 at x = 1: dz/dx = 3; z = x * y with y a constant: no edge to y
    x = rt.tensor(1.0, requires_grad=True)
    z = x ** 3
    with explain() as rec:
        z.backward()
    assert [r.name for r in rec] == ["PowBackward0", "AccumulateGrad"]
    assert rec[0].grad_in[0].values == 1.0 and rec[0].grads_out[0].grad.values == 3.0
    assert type(torch.tensor(1.0, requires_grad=True).pow(3).grad_fn).__name__ == "PowBackward0"
    x = rt.tensor(1.0, requires_grad=True)
    z = x * rt.tensor(2.0)
    with explain() as rec:
        z.backward()
    mul = rec[0]
    assert mul.grads_out[0].grad.values == 2.0
    assert (mul.grads_out[1].node_id, mul.grads_out[1].grad) == (None, None)
    assert mul.released_bytes == 4             # only y (= 2.0) is saved: x's gradient needs it


# -- graph shapes ---------------------------------------------------------------------------------
def _diamond(T):
    x = T.tensor([0.5, -1.0, 2.0], requires_grad=True)
    a = x * 2
    b, c = a.exp(), a.sin()
    return x, a, (b * c).sum()


def test_a_diamond_runs_each_node_once_in_torchs_order_and_sums_both_branches():
    x, a, d = _diamond(rt)
    with explain() as rec:
        d.backward()
    tx, ta, td = _diamond(torch)
    ta.retain_grad()
    order = torch_order([td], td.backward)
    assert [r.name for r in rec] == order
    assert len({r.node_id for r in rec}) == len(rec) == len(rec.graph)
    a_rec = [r for r in rec if r.name == "MulBackward0"][1]     # b * c first, then x * 2
    # what arrives at a's node is the sum of what exp and sin sent it, and torch's a.grad
    sent = [e.grad for r in rec for e in r.grads_out if e.node_id == a_rec.node_id]
    assert len(sent) == 2
    np.testing.assert_allclose(vals(a_rec.grad_in[0]), vals(sent[0]) + vals(sent[1]), rtol=1e-6)
    np.testing.assert_allclose(vals(a_rec.grad_in[0]), ta.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(vals(rec[-1].grad_in[0]), tx.grad.numpy(), rtol=1e-5)
    # both branches ran before a's node
    steps = {r.name: r.step for r in rec}
    assert steps["ExpBackward0"] < a_rec.step and steps["SinBackward0"] < a_rec.step


def test_accumulation_into_a_leaf_records_the_incoming_gradient_not_the_total():
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    x.grad = rt.tensor([10.0, 10.0])
    y = (x * x + x).sum()                     # two paths into x's AccumulateGrad
    with explain() as rec:
        y.backward()
    acc = [r for r in rec if r.name == "AccumulateGrad"]
    assert len(acc) == 1 and acc[0].status == "accumulated"
    np.testing.assert_array_equal(vals(acc[0].grad_in[0]), [3.0, 5.0])   # 2x + 1
    np.testing.assert_array_equal(x.grad.numpy(), [13.0, 15.0])
    into_x = [e for r in rec for e in r.grads_out if e.node_id == acc[0].node_id]
    assert len(into_x) == 3                    # x*x sends twice, + once
    np.testing.assert_array_equal(sum(vals(e.grad) for e in into_x), [3.0, 5.0])


def test_broadcast_gradients_are_recorded_as_sent_reduced_to_the_inputs_shape():
    x = rt.ones(2, 3, requires_grad=True)
    b = rt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with explain() as rec:
        (x * b).sum().backward()
    mul = rec[1]
    assert mul.name == "MulBackward0"
    assert mul.grads_out[1].grad.shape == (3,)
    np.testing.assert_array_equal(vals(mul.grads_out[1].grad), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])


def test_retain_graph_two_calls_share_node_ids_and_only_the_last_frees():
    x = rt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.exp() * x).sum()
    with explain() as rec:
        y.backward(retain_graph=True)
        y.backward()
    assert [c.retain_graph for c in rec.calls] == [True, False]
    first = [r for r in rec if r.call == 0]
    second = [r for r in rec if r.call == 1]
    assert [r.node_id for r in first] == [r.node_id for r in second]
    assert all(r.released_bytes == 0 for r in first)
    freed = {r.name: r.released_bytes for r in second}
    assert freed["MulBackward0"] == 24 and freed["ExpBackward0"] == 12   # exp saves its result
    assert "-- call 1: backward (retain_graph=False, create_graph=False)" in rec.table()
    for a, b in zip(first, second):
        for ea, eb in zip(a.grads_out, b.grads_out):
            assert ea.grad == eb.grad
    np.testing.assert_allclose(x.grad.numpy(), 2 * (np.exp([1, 2, 3]) * (1 + np.arange(1, 4))),
                               rtol=1e-6)


def test_autograd_grad_records_captures_and_skips():
    x = rt.tensor([1.0, 2.0], requires_grad=True)
    w = rt.tensor([3.0, 4.0], requires_grad=True)
    a = x * w
    y = a.sin().sum()
    with explain(params={"x": x, "w": w}) as rec:
        gx, ga = rt.autograd.grad(y, [x, a])
    assert rec.calls[0].kind == "autograd.grad"
    by_leaf = {rec.graph[r.node_id].leaf: r for r in rec if r.name == "AccumulateGrad"}
    assert by_leaf["x"].status == "captured" and by_leaf["w"].status == "skipped"
    np.testing.assert_array_equal(vals(by_leaf["x"].grad_in[0]), gx.numpy())
    mul = next(r for r in rec if r.name == "MulBackward0")
    np.testing.assert_array_equal(vals(mul.grad_in[0]), ga.numpy())
    assert mul.grads_out[1].grad is None        # w is not asked for: nothing is sent to it
    assert x.grad is None and w.grad is None
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([3.0, 4.0], requires_grad=True)
    ta = tx * tw
    tgx, tga = torch.autograd.grad(ta.sin().sum(), [tx, ta])
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ga.numpy(), tga.numpy(), rtol=1e-6)


def test_create_graph_and_the_double_backward_through_it():
    x = rt.tensor([0.5, 1.5], requires_grad=True)
    y = (x ** 3).sum()
    with explain() as rec:
        (g,) = rt.autograd.grad(y, x, create_graph=True)
        g.sum().backward()
    assert [c.create_graph for c in rec.calls] == [True, False]
    first = [r.name for r in rec if r.call == 0]
    second = [r.name for r in rec if r.call == 1]
    assert first == ["SumBackward0", "PowBackward0", "AccumulateGrad"]
    tx = torch.tensor([0.5, 1.5], requires_grad=True)
    (tg,) = torch.autograd.grad((tx ** 3).sum(), tx, create_graph=True)
    tout = tg.sum()
    order = torch_order([tout], tout.backward)
    # (pow's backward under create_graph is PyTorch's: exponent * x.pow(2) is MulBackward1 of
    # PowBackward0)
    assert second == order == ["SumBackward0", "MulBackward0", "MulBackward1", "PowBackward0",
                               "AccumulateGrad"]
    np.testing.assert_allclose(vals(rec[1].grads_out[0].grad), tg.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)   # 6x
    assert g.grad_fn is not None and len(rec.graph) == len({r.node_id for r in rec})


def test_a_custom_function_names_its_backward_and_an_error_is_recorded():
    class Cube(rt.autograd.Function):
        """d(x^3)/dx = 3 x^2."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2
    x = rt.tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    with explain() as rec:
        y.backward(retain_graph=False)
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            y.backward()
    assert rec[0].name == "CubeBackward"
    assert rec[0].formula.endswith("Cube.backward") and rec[0].doc == "d(x^3)/dx = 3 x^2."
    assert rec[0].grads_out[0].grad.values == [12.0]
    assert rec[-1].status == "error" and "second time" in rec[-1].error


# -- the table and the data ------------------------------------------------------------------------
def test_the_table_text():
    x = rt.tensor([0.0, 2.0, 8.0], requires_grad=True)
    y = rt.tensor([5.0, 1.0, 7.0], requires_grad=True)
    z = x * y
    with explain(params={"x": x, "y": y}) as rec:
        z.backward(rt.FloatTensor([1.0, 1.0, 1.0]))
    for r in rec:
        r.seconds = 12.5e-6                    # the only field that varies from run to run
    assert str(rec) == rec.table() == "\n".join([
        "step  node               incoming grad           sends                                  "
        "            time  freed  status",
        "   0  MulBackward0 #0    (3,) float32 [1, 1, 1]  0 -> AccumulateGrad #1: (3,) float32 "
        "[5, 1, 7]  12.5 us   24 B",
        "                                                 1 -> AccumulateGrad #2: (3,) float32 "
        "[0, 2, 8]",
        "   1  AccumulateGrad #1  (3,) float32 [5, 1, 7]  -> x.grad                              "
        "         12.5 us",
        "   2  AccumulateGrad #2  (3,) float32 [0, 2, 8]  -> y.grad                              "
        "         12.5 us"])


def test_the_readme_example_prints_the_readmes_table():
    readme = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Watching backward, node by node"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    shown = re.search(r"print\(rec\)\n```\n\n```\n(.*?)\n```", section, re.S).group(1)
    scope = {}
    with contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "README.md", "exec"), scope)
    rec = scope["rec"]
    # the times vary from run to run: give the records the README's, then the text must match
    times = [float(t) for t in re.findall(r"(\d+\.\d) us", shown)]
    assert len(times) == len(rec)
    for r, t in zip(rec, times):
        r.seconds = t * 1e-6
    assert rec.table() == shown
    assert out.getvalue().count("\n") == len(shown.splitlines())
    assert rec[0].formula in section and rec[0].doc in section


def test_the_data_big_tensors_and_plain_dicts():
    torch.manual_seed(0)
    a = torch.randn(10, 10)
    x = rt.tensor(a.numpy(), requires_grad=True)
    with explain(max_values=64) as rec:
        (x * 3).sum().backward()
    mul = rec[1]
    assert isinstance(mul, NodeRecord) and isinstance(mul.grad_in[0], GradInfo)
    big = mul.grads_out[0].grad
    assert big.values is None and big.numel == 100 and big.norm == pytest.approx(30.0)
    assert str(big) == "(10, 10) float32 norm=30"
    dicts = rec.to_dicts()
    assert dicts[1]["grads_out"][0]["grad"]["numel"] == 100
    assert json.loads(json.dumps(dicts))[0]["name"] == "SumBackward0"
    assert repr(rec) == "<Explanation: 3 nodes in 1 backward call(s)>"
    assert list(rec) == rec.records and len(rec) == 3
    nan = rt.tensor([float("nan"), 1.0], requires_grad=True)
    with explain() as rec:
        (nan * 2).sum().backward()
    info = rec[-1].grad_in[0]
    assert (info.nan, info.values[1]) == (0, 2.0)
    with explain() as rec:
        (nan * float("inf")).sum().backward()
    info = rec[1].grads_out[0].grad
    assert info.inf == 2 and str(info) == "(2,) float32 [inf, inf] inf x2"


def test_nothing_is_recorded_outside_the_block_and_exceptions_leave_it():
    x = rt.tensor([1.0], requires_grad=True)
    with explain() as rec:
        pass
    (x * 2).sum().backward()
    assert len(rec) == 0 and ACTIVE.get() == ()
    with pytest.raises(ValueError):
        with explain() as rec:
            (x * 2).sum().backward()
            raise ValueError
    assert len(rec) == 3 and ACTIVE.get() == ()
    assert viz.explain is explain
    with explain() as outer:
        with explain() as inner:
            (x * 2).sum().backward()
        (x * 3).sum().backward()
    assert (len(inner), len(outer)) == (3, 6)
    block = explain()                          # the same block entered twice: one recording
    with block as first:
        (x * 2).sum().backward()
        with pytest.raises(RuntimeError, match="already active"):
            block.__enter__()
    with block as again:
        (x * 2).sum().backward()
    assert again is first and len(first.calls) == 2
    assert sorted(first.graph) == sorted({r.node_id for r in first}) == list(range(6))


def test_each_thread_records_its_own_backward():
    results = {}

    def work(k):
        x = rt.tensor([float(k)], requires_grad=True)
        with explain() as rec:
            for _ in range(20):
                (x * k).sum().backward()
        results[k] = rec

    threads = [threading.Thread(target=work, args=(k,)) for k in (2, 3)]
    with explain() as main_rec:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(main_rec) == 0
    for k, rec in results.items():
        assert len(rec) == 60 and {c.index for c in rec.calls} == set(range(20))
        assert all(r.grads_out[0].grad.values == [float(k)]
                   for r in rec if r.name == "MulBackward0")


def test_the_recorded_graph_is_the_graph_and_the_dot_text_names_its_ids():
    x, a, d = _diamond(rt)
    with explain() as rec:
        d.backward()
    for r in rec:
        assert [(e.node_id, e.input_nr) for e in r.grads_out] == rec.graph[r.node_id].inputs
    dot = rec.to_dot()
    assert set(re.findall(r'id="(rgnode-\d+)"', dot)) == {"rgnode-%d" % k for k in rec.graph}
    assert dot.count(" -> ") == sum(1 for n in rec.graph.values() for s, _ in n.inputs
                                    if s is not None) + 1   # + the leaf's box
