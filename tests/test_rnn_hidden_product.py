"""Recurrent layers take each step's hidden projection on one C-ordered copy of W_hh^T per layer
call (nn/modules/_rnn_impl._HiddenProduct): the same values, graph, saved values and gradients
as torch 2.13 (second order: test_nn_rnn.test_double_backward_through_module); modes (forward
AD) and short sequences take the public ops; a weight changed between calls is seen."""
from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd.nn.modules import _rnn_impl

F64 = dict(rtol=1e-10, atol=1e-10)


def _pair(cls, args, kwargs=None, dtype="float64"):
    kwargs = kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, cls)(*args, **kwargs).to(getattr(torch, dtype))
        rm = getattr(rg.nn, cls)(*args, **kwargs).to(getattr(rg, dtype))
    rm.load_state_dict({k: rg.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return tm, rm


def _names(fn):
    """grad_fn class names of the whole graph, with multiplicity."""
    seen, todo, names = set(), [fn], collections.Counter()
    while todo:
        f = todo.pop()
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        names[type(f).__name__] += 1
        todo.extend(n for n, _ in f.next_functions)
    return names


def _count_hidden_products(monkeypatch):
    calls = []
    real = _rnn_impl.addmm_rows

    def spy(*args):
        calls.append(args[1].shape)
        return real(*args)
    monkeypatch.setattr(_rnn_impl, "addmm_rows", spy)
    return calls


@pytest.mark.parametrize("cls,kwargs,dtype", [
    ("GRU", {}, "float64"), ("GRU", {"num_layers": 2, "bidirectional": True}, "float32"),
    ("RNN", {"nonlinearity": "relu"}, "float64"), ("RNN", {"bidirectional": True}, "float32"),
    ("LSTM", {}, "float64"), ("LSTM", {"proj_size": 3}, "float32")])
def test_layer_like_torch(cls, kwargs, dtype, monkeypatch):
    calls = _count_hidden_products(monkeypatch)
    tm, rm = _pair(cls, (3, 5), kwargs, dtype)
    x = np.random.default_rng(0).uniform(-1, 1, (7, 2, 3)).astype(dtype)
    res = {}
    for lib, m in ((torch, tm), (rg, rm)):
        xt = lib.tensor(x, requires_grad=True)
        out = m(xt)[0]
        w = lib.tensor(np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(dtype))
        (out * w).sum().backward()
        res[lib] = (out, xt.grad, {n: p.grad for n, p in m.named_parameters()})
    dirs = 2 if kwargs.get("bidirectional") else 1
    assert len(calls) == 7 * dirs * kwargs.get("num_layers", 1)    # every step took the copy
    tol = F64 if dtype == "float64" else dict(rtol=1e-4, atol=2e-5)
    (t_out, t_gx, t_gp), (r_out, r_gx, r_gp) = res[torch], res[rg]
    np.testing.assert_allclose(r_out.detach().numpy(), t_out.detach().numpy(), **tol)
    np.testing.assert_allclose(r_gx.numpy(), t_gx.numpy(), **tol)
    for name in t_gp:
        np.testing.assert_allclose(r_gp[name].numpy(), t_gp[name].numpy(), err_msg=name, **tol)
    assert _names(r_out.grad_fn) == _names(t_out.grad_fn)


def _step_addmm(out):
    """The AddmmBackward0 of the last step's hidden projection (its mat2 comes from W_hh)."""
    todo, seen = [out.grad_fn], set()
    while todo:
        f = todo.pop(0)
        if f is None or id(f) in seen:
            continue
        seen.add(id(f))
        if type(f).__name__ == "AddmmBackward0":
            return f
        todo.extend(n for n, _ in f.next_functions)
    raise AssertionError("no AddmmBackward0")


def test_step_node_saved_values_like_torch():
    tm, rm = _pair("GRU", (3, 4))
    x = np.random.default_rng(2).uniform(-1, 1, (5, 2, 3))
    t_node = _step_addmm(tm(torch.tensor(x, requires_grad=True))[0])
    r_node = _step_addmm(rm(rg.tensor(x, requires_grad=True))[0])
    for attr in ("_saved_alpha", "_saved_beta", "_saved_mat1_sym_sizes",
                 "_saved_mat1_sym_strides", "_saved_mat2_sym_sizes", "_saved_mat2_sym_strides"):
        assert getattr(r_node, attr) == getattr(t_node, attr), attr
    np.testing.assert_allclose(r_node._saved_mat1.detach().numpy(),    # (a hidden state: BLAS
                               t_node._saved_mat1.detach().numpy(), **F64)   # rounding)
    assert [type(n).__name__ for n, _ in r_node.next_functions] == \
        [type(n).__name__ for n, _ in t_node.next_functions]


def test_forward_ad_takes_the_public_ops_like_torch(monkeypatch):
    import torch.autograd.forward_ad as tfw
    import retrograd.autograd.forward_ad as rfw
    calls = _count_hidden_products(monkeypatch)
    tm, rm = _pair("GRU", (3, 4))
    rng = np.random.default_rng(4)
    x, dx = rng.uniform(-1, 1, (6, 2, 3)), rng.uniform(-1, 1, (6, 2, 3))
    res = []
    for lib, fw, m in ((torch, tfw, tm), (rg, rfw, rm)):
        with fw.dual_level():
            out = m(fw.make_dual(lib.tensor(x), lib.tensor(dx)))[0]
            p, t = fw.unpack_dual(out)
            res.append((p.detach().numpy(), t.detach().numpy()))
    assert calls == []
    np.testing.assert_allclose(res[1][0], res[0][0], **F64)
    np.testing.assert_allclose(res[1][1], res[0][1], **F64)


def test_weights_changed_between_calls_are_seen():
    tm, rm = _pair("RNN", (3, 4))
    x = np.random.default_rng(5).uniform(-1, 1, (6, 2, 3))
    for lib, m in ((torch, tm), (rg, rm)):
        m(lib.tensor(x))
        with lib.no_grad():
            m.weight_hh_l0.mul_(0.5)
    np.testing.assert_allclose(rm(rg.tensor(x))[0].detach().numpy(), tm(torch.tensor(x))[0].detach().numpy(),
                               **F64)


def test_short_sequence_takes_the_public_ops(monkeypatch):
    calls = _count_hidden_products(monkeypatch)
    tm, rm = _pair("GRU", (3, 4))
    x = np.random.default_rng(6).uniform(-1, 1, (3, 2, 3))
    np.testing.assert_allclose(rm(rg.tensor(x))[0].detach().numpy(), tm(torch.tensor(x))[0].detach().numpy(),
                               **F64)
    assert calls == []
