"""Reports on a model: saved memory per node / module / in total (and what checkpointing saves),
and the gradient flow after backward (norms compared with the same model in PyTorch)."""
from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

import retrograd as rt
import retrograd.viz as viz
from retrograd.utils.checkpoint import checkpoint

F32 = 4   # bytes per float32 element


def mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 8),
                             lib.nn.ReLU(), lib.nn.Linear(8, 2))


def copy_weights(src, dst):
    """retrograd module -> torch module with the same parameter values."""
    with torch.no_grad():
        for (k, p), (k2, q) in zip(src.named_parameters(), dst.named_parameters()):
            assert k == k2
            q.copy_(torch.tensor(p.detach().numpy()))


# -- saved memory ---------------------------------------------------------------------------------
def test_saved_memory_per_node_module_and_total_by_hand():
    model = mlp(rt)
    x = rt.ones(5, 4, requires_grad=True)          # N = 5
    with rt.autograd.provenance():
        out = model(x).pow(2).sum()
    rep = viz.saved_memory(out, model)
    # by hand, from the shapes (float32): Linear(i, o) on (5, i) is addmm(b, x, W.t()), which
    # saves x (5*i) and W.t() (o*i) when x needs a gradient; ReLU saves its result (5*o);
    # pow saves its input (5*2); sum and t save nothing.
    lin0 = (5 * 4 + 8 * 4) * F32       # 208
    relu = 5 * 8 * F32                 # 160
    lin2 = (5 * 8 + 8 * 8) * F32       # 416
    lin4 = (5 * 8 + 2 * 8) * F32       # 224
    pw = 5 * 2 * F32                   # 40
    assert [(n.name, n.nbytes, n.module) for n in rep.nodes] == [
        ("SumBackward0", 0, None), ("PowBackward0", pw, None),
        ("AddmmBackward0", lin4, "4 (Linear)"), ("ReluBackward0", relu, "3 (ReLU)"),
        ("AddmmBackward0", lin2, "2 (Linear)"), ("ReluBackward0", relu, "1 (ReLU)"),
        ("AddmmBackward0", lin0, "0 (Linear)"), ("TBackward0", 0, "0 (Linear)"),
        ("TBackward0", 0, "2 (Linear)"), ("TBackward0", 0, "4 (Linear)")]
    assert rep.total_bytes == pw + lin4 + relu + lin2 + relu + lin0 == 1208
    # each ReLU result is also the next addmm's saved input: counted once in unique_bytes
    assert rep.unique_bytes == 1208 - 2 * relu
    assert rep.per_module() == {"Sequential": 1208 - pw, "4 (Linear)": lin4, "3 (ReLU)": relu,
                                "2 (Linear)": lin2, "1 (ReLU)": relu, "0 (Linear)": lin0}
    rows = [ln.split() for ln in rep.module_table().splitlines()]
    assert rows[0] == ["module", "bytes"] and rows[1] == ["Sequential", "1168"]
    assert rows[2:7] == [["0", "(Linear)", "208"], ["1", "(ReLU)", "160"],
                         ["2", "(Linear)", "416"], ["3", "(ReLU)", "160"],
                         ["4", "(Linear)", "224"]]
    assert rows[7] == ["outside", "modules", "40"]
    assert rep.table().splitlines()[0].split() == ["node", "tensors", "bytes", "module"]
    # PyTorch saves the same tensors (what its _saved_* attributes show)
    tmodel = mlp(torch)
    copy_weights(model, tmodel)
    tout = tmodel(torch.ones(5, 4, requires_grad=True)).pow(2).sum()
    tbytes = []
    stack, seen = [tout.grad_fn], set()
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen or type(fn).__name__ == "AccumulateGrad":
            continue
        seen.add(fn)
        b = 0
        for k in dir(fn):
            if k.startswith("_saved_"):
                v = getattr(fn, k)
                if isinstance(v, torch.Tensor):
                    b += v.numel() * v.element_size()
        tbytes.append(b)
        stack.extend(u[0] for u in reversed(fn.next_functions))
    assert sorted(tbytes) == sorted(n.nbytes for n in rep.nodes)


@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpoint_reduces_saved_memory(reentrant):
    model = mlp(rt)
    x = rt.ones(5, 4, requires_grad=True)
    full = viz.saved_memory(model(x).pow(2).sum())
    assert full.total_bytes == 1208

    def block(t):
        return model[3](model[2](model[1](model[0](t))))
    with rt.autograd.provenance():
        out = model[4](checkpoint(block, x, use_reentrant=reentrant)).pow(2).sum()
    rep = viz.saved_memory(out, model)
    # what is left: pow (40), the last Linear (224) and the block's input x (5*4*4 = 80),
    # which the checkpoint keeps to recompute the block in backward
    assert rep.total_bytes == rep.unique_bytes == 40 + 224 + 5 * 4 * F32 == 344
    if reentrant:      # a custom Function node that saved x
        names = {n.name: n.nbytes for n in rep.nodes}
        assert names["CheckpointFunctionBackward"] == 80 and rep.checkpoint_bytes == 0
    else:              # the block's nodes are in the graph, holding placeholders
        assert rep.checkpoint_bytes == 80
        inside = [n for n in rep.nodes if n.module in ("0 (Linear)", "1 (ReLU)", "2 (Linear)",
                                                       "3 (ReLU)")]
        assert len(inside) == 6 and all(n.nbytes == 0 for n in inside)
        assert "checkpoint inputs" in rep.table()
    assert rep.per_module()["4 (Linear)"] == 224
    # the gradients are the same either way (checkpointing only trades memory for compute)
    out.backward()
    g = x.grad.numpy().copy()
    x.grad = None
    model(x).pow(2).sum().backward()
    np.testing.assert_allclose(g, x.grad.numpy(), rtol=1e-6)


# -- gradient flow ---------------------------------------------------------------------------------
def _pair(opt_name):
    model, tmodel = mlp(rt), mlp(torch)
    copy_weights(model, tmodel)
    x = np.linspace(-2, 2, 24, dtype=np.float32).reshape(6, 4)
    model(rt.tensor(x)).pow(2).mean().backward()
    tmodel(torch.tensor(x)).pow(2).mean().backward()
    kw = dict(lr=0.05)
    opt = getattr(rt.optim, opt_name)(model.parameters(), **kw)
    topt = getattr(torch.optim, opt_name)(tmodel.parameters(), **kw)
    return model, tmodel, opt, topt


@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_gradient_flow_numbers_match_torch(opt_name):
    model, tmodel, opt, topt = _pair(opt_name)
    est = viz.gradient_flow(model, lr=0.05)
    before = viz.weights_snapshot(model)
    tbefore = {k: p.detach().clone() for k, p in tmodel.named_parameters()}
    opt.step()
    topt.step()
    flow = viz.gradient_flow(model, before=before)
    tparams = dict(tmodel.named_parameters())
    assert [p.name for p in flow.params] == list(tparams)
    for p, e in zip(flow.params, est.params):
        t = tparams[p.name]
        gn = t.grad.double().norm().item()
        wn = t.detach().double().norm().item()
        up = (t.detach() - tbefore[p.name]).double().norm().item() / \
            tbefore[p.name].double().norm().item()
        assert p.shape == tuple(t.shape)
        np.testing.assert_allclose(p.grad_norm, gn, rtol=1e-5)
        np.testing.assert_allclose(p.weight_norm, wn, rtol=1e-5)
        np.testing.assert_allclose(p.grad_ratio, gn / wn, rtol=1e-5)
        np.testing.assert_allclose(p.update_ratio, up, rtol=1e-4)
        # the lr estimate (before the step) is plain SGD's update: lr * |g| / |w|
        w0 = tbefore[p.name].double().norm().item()
        np.testing.assert_allclose(e.update_ratio, 0.05 * gn / w0, rtol=1e-5)
        if opt_name == "SGD":
            np.testing.assert_allclose(p.update_ratio, e.update_ratio, rtol=1e-4)
        assert p.flag == ""
    table = str(flow)
    assert table.splitlines()[0].split() == ["parameter", "shape", "grad", "norm", "weight",
                                             "norm", "grad/weight", "update/weight", "flag"]
    assert table.splitlines()[-1] == "flagged layers: none"
    assert "%.3e" % flow.params[0].grad_norm in table


def test_gradient_flow_flags():
    rt.manual_seed(0)
    model = rt.nn.Sequential(rt.nn.Linear(3, 3), rt.nn.Linear(3, 3), rt.nn.Linear(3, 3),
                             rt.nn.Linear(3, 3), rt.nn.Linear(3, 3))
    w = {k: p for k, p in model.named_parameters()}
    w["0.weight"].grad = rt.full((3, 3), 1e-12)         # |g|/|w| far below 1e-7
    w["0.bias"].grad = rt.zeros(3)
    w["1.weight"].grad = rt.full((3, 3), 1e-12)         # vanishing, but its bias is not
    w["1.bias"].grad = rt.ones(3)
    w["2.weight"].grad = rt.full((3, 3), 1e4)           # |g| = 3e4 > 1e3
    w["2.bias"].grad = rt.ones(3)
    w["3.weight"].grad = rt.tensor([[float("nan")] * 3] * 3)
    w["3.bias"].grad = rt.tensor([1.0, float("inf"), 0.0])
    w["4.weight"].grad = rt.ones(3, 3)                  # 4.bias: no grad
    flow = viz.gradient_flow(model)
    flags = {p.name: p.flag for p in flow.params}
    assert flags == {"0.weight": "vanishing", "0.bias": "vanishing", "1.weight": "vanishing",
                     "1.bias": "", "2.weight": "exploding", "2.bias": "",
                     "3.weight": "non-finite", "3.bias": "non-finite", "4.weight": "",
                     "4.bias": "no grad"}
    assert flow.layers() == {"0": "vanishing", "1": "", "2": "exploding", "3": "non-finite",
                             "4": "no grad"}
    assert flow.vanishing_layers == ["0"] and flow.exploding_layers == ["2", "3"]
    assert all(p.update_ratio is None for p in flow.params)
    assert str(flow).splitlines()[-1] == ("flagged layers: 0: vanishing, 2: exploding, "
                                          "3: non-finite, 4: no grad")
    # thresholds are parameters
    flow = viz.gradient_flow(model, vanishing=1e-20, exploding=1e5)
    assert flow.layers()["0"] == "" and flow.layers()["2"] == ""
    with pytest.raises(TypeError, match="expected a Module"):
        viz.gradient_flow(rt.ones(2))
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        viz.gradient_flow(model, lr=-1)


def test_gradient_flow_chart(tmp_path):
    pytest.importorskip("matplotlib")   # the optional extra: without it, see the next test
    from matplotlib.image import imread
    model, _, opt, _ = _pair("SGD")
    before = viz.weights_snapshot(model)
    opt.step()
    flow = viz.gradient_flow(model, before=before)
    flow.params[0].flag = "vanishing"       # draw one flagged bar too
    path = tmp_path / "flow.png"
    fig = flow.plot(path)
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 400
    ax_top, ax_bottom = fig.axes
    assert [t.get_text() for t in ax_bottom.get_xticklabels()] == [p.name for p in flow.params]
    assert [b.get_height() for b in ax_top.patches] == pytest.approx(
        [p.grad_norm for p in flow.params])
    assert [b.get_height() for b in ax_bottom.patches] == pytest.approx(
        [p.update_ratio for p in flow.params])
    assert ax_top.get_yscale() == "log"
    # on a given axes: only the gradient norms
    from matplotlib.figure import Figure
    ax = Figure().add_subplot()
    assert flow.plot(ax=ax) is ax.figure and len(ax.patches) == len(flow.params)


def test_gradient_flow_chart_without_matplotlib(monkeypatch, capsys):
    model, _, _, _ = _pair("SGD")
    flow = viz.gradient_flow(model)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    assert flow.plot() is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install matplotlib" in err
