"""nn.RNN / LSTM / GRU, their cells and nn.utils.rnn against torch 2.13: the same weights copied
across (state_dict), outputs, grad_fn names, gradients of the input, h0/c0 and every parameter,
parameter names/shapes/order, reprs, errors and warnings."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rg

F64 = dict(rtol=1e-10, atol=1e-10)
F32 = dict(rtol=1e-4, atol=2e-5)


def _np(t):
    return t.detach().numpy()


def _pair(cls: str, args=(), kwargs=None, dtype="float64"):
    """The same module in torch and retrograd, retrograd's weights copied from torch's."""
    kwargs = kwargs or {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(torch.nn, cls)(*args, **kwargs).to(getattr(torch, dtype))
        rm = getattr(rg.nn, cls)(*args, **kwargs).to(getattr(rg, dtype))
    rm.load_state_dict({k: rg.tensor(_np(v)) for k, v in tm.state_dict().items()})
    return tm, rm


def _flat(out):
    """Every tensor of a result (PackedSequence data, tuples), in order."""
    if isinstance(out, (torch.Tensor, rg.Tensor)):
        return [out]
    if hasattr(out, "batch_sizes"):
        return [out.data]
    res = []
    for o in out:
        res.extend(_flat(o))
    return res


def _run(lib, m, make_inputs, arrays, seed=3):
    """Forward, then backward of sum_k <out_k, w_k>; returns outputs, grads of the inputs and of
    the parameters (by name)."""
    leaves = [lib.tensor(a, requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = m(*make_inputs(lib, *leaves))
    outs = _flat(out)
    rng = np.random.default_rng(seed)
    loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(_np(o).dtype))).sum()
               for o in outs)
    loss.backward()
    grads = {n: p.grad for n, p in m.named_parameters()}
    return out, outs, [t.grad for t in leaves], grads


def _check(cls, args, kwargs, make_inputs, shapes, dtype="float64", tol=None, train=False):
    tol = tol or (F64 if dtype == "float64" else F32)
    tm, rm = _pair(cls, args, kwargs, dtype)
    tm.train(train)
    rm.train(train)
    rng = np.random.default_rng(sum(map(ord, cls)) + len(shapes))
    arrays = [rng.uniform(-1, 1, s).astype(dtype) for s in shapes]
    t_out, t_outs, t_in, t_par = _run(torch, tm, make_inputs, arrays)
    r_out, r_outs, r_in, r_par = _run(rg, rm, make_inputs, arrays)
    assert type(r_out).__name__ == type(t_out).__name__
    assert len(r_outs) == len(t_outs)
    for r, t in zip(r_outs, t_outs):
        assert tuple(r.shape) == tuple(t.shape)
        assert str(r.dtype) == str(t.dtype)
        assert type(r.grad_fn).__name__ == type(t.grad_fn).__name__
        np.testing.assert_allclose(_np(r), _np(t), **tol)
    for i, (r, t) in enumerate(zip(r_in, t_in)):
        assert (r is None) == (t is None), f"input {i}"
        if t is not None:
            np.testing.assert_allclose(_np(r), _np(t), err_msg=f"grad of input {i}", **tol)
    assert list(r_par) == list(t_par)
    for name in t_par:
        np.testing.assert_allclose(_np(r_par[name]), _np(t_par[name]), err_msg=name, **tol)
    return tm, rm, r_out, t_out


def _x(T, x):
    return (x,)


def _x_h(T, x, h):
    return (x, h)


def _x_hc(T, x, h, c):
    return (x, (h, c))


# ------------------------------------------------------------------ full layers
LAYERS = [
    # (class, args, kwargs, inputs, shapes)
    ("RNN", (3, 4), {}, _x, [(5, 2, 3)]),
    ("RNN", (3, 4), {"nonlinearity": "relu"}, _x_h, [(5, 2, 3), (1, 2, 4)]),
    ("RNN", (3, 4, 2), {"bidirectional": True, "bias": False}, _x_h, [(4, 2, 3), (4, 2, 4)]),
    ("GRU", (3, 4), {}, _x_h, [(5, 2, 3), (1, 2, 4)]),
    ("GRU", (3, 4, 2), {"batch_first": True}, _x, [(2, 5, 3)]),
    ("GRU", (3, 4), {"bidirectional": True}, _x_h, [(3, 2, 3), (2, 2, 4)]),
    ("LSTM", (3, 4), {}, _x_hc, [(5, 2, 3), (1, 2, 4), (1, 2, 4)]),
    ("LSTM", (3, 4, 2), {"bidirectional": True}, _x_hc, [(4, 2, 3), (4, 2, 4), (4, 2, 4)]),
    ("LSTM", (3, 4), {"batch_first": True, "bias": False}, _x, [(2, 5, 3)]),
    ("LSTM", (3, 5), {"proj_size": 2, "num_layers": 2}, _x_hc,
     [(4, 2, 3), (2, 2, 2), (2, 2, 5)]),
    ("LSTM", (3, 5), {"proj_size": 3, "bidirectional": True}, _x, [(3, 2, 3)]),
]
IDS = [f"{c}-{a}-{k}-{len(s)}" for c, a, k, _, s in LAYERS]


@pytest.mark.parametrize("cls,args,kwargs,inputs,shapes", LAYERS, ids=IDS)
def test_layer_float64(cls, args, kwargs, inputs, shapes):
    _check(cls, args, kwargs, inputs, shapes, "float64")


@pytest.mark.parametrize("cls,args,kwargs,inputs,shapes", LAYERS, ids=IDS)
def test_layer_float32(cls, args, kwargs, inputs, shapes):
    """float32: LSTM without projections is torch's oneDNN path (MkldnnRnnLayerBackward0)."""
    _check(cls, args, kwargs, inputs, shapes, "float32")


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unbatched(cls, dtype):
    if cls == "LSTM":
        _check(cls, (3, 4), {}, _x_hc, [(5, 3), (1, 4), (1, 4)], dtype)
        _check(cls, (3, 4), {"batch_first": True}, _x, [(5, 3)], dtype)
    else:
        _check(cls, (3, 4), {}, _x_h, [(5, 3), (1, 4)], dtype)


def test_lstm_grad_fn_graph_float32():
    """oneDNN path: per layer and direction one MkldnnRnnLayerBackward0 fed by hx[k] (Select),
    outputs of the directions concatenated, h_n/c_n stacked."""
    tm, rm = _pair("LSTM", (3, 4, 2), {"bidirectional": True}, "float32")
    for lib, m in ((torch, tm), (rg, rm)):
        x = lib.randn(4, 2, 3, requires_grad=True)
        h = lib.randn(4, 2, 4, requires_grad=True)
        out, (hn, cn) = m(x, (h, lib.zeros(4, 2, 4)))
        top = out.grad_fn
        names = [type(top).__name__] + [type(f).__name__ for f, _ in top.next_functions]
        layer0 = top.next_functions[0][0].next_functions[0][0].next_functions[0][0]
        names += [type(f).__name__ if f is not None else None for f, _ in layer0.next_functions]
        names += [type(hn.grad_fn).__name__, type(cn.grad_fn).__name__]
        if lib is torch:
            expected = names
        else:
            assert names == expected


def test_mkldnn_saved_attrs():
    tm, rm = _pair("LSTM", (3, 4), {"batch_first": True}, "float32")
    nodes = []
    x = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    for lib, m in ((torch, tm), (rg, rm)):
        out, _ = m(lib.tensor(x, requires_grad=True))
        node = out.grad_fn.next_functions[0][0]
        nodes.append({n: getattr(node, n) for n in dir(node) if n.startswith("_saved_")
                      and n not in ("_saved_result3",)})
    t_saved, r_saved = nodes
    assert sorted(r_saved) == sorted(t_saved)
    for n, v in t_saved.items():
        if isinstance(v, torch.Tensor):
            assert tuple(r_saved[n].shape) == tuple(v.shape), n
            np.testing.assert_allclose(_np(r_saved[n]), _np(v), err_msg=n, **F32)
        else:
            assert r_saved[n] == v, n


def test_mkldnn_layer_double_backward():
    """The fused layer's backward recomputes the forward differentiably: gradgradcheck, and
    second derivatives against torch (float32)."""
    T, B, I, H = 3, 2, 3, 2
    rng = np.random.default_rng(0)
    shapes = [(T, B, I), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,), (B, H), (B, H)]
    arrays = [rng.uniform(-1, 1, s) for s in shapes]
    for reverse in (False, True):
        def f(*ts, reverse=reverse):
            return rg.mkldnn_rnn_layer(*ts, reverse, [], 2, H, 1, True, False, False, True)[:3]
        leaves = [rg.tensor(a, requires_grad=True) for a in arrays]
        assert rg.autograd.gradgradcheck(f, leaves)
        res = []
        for lib in (torch, rg):
            xs = [lib.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
            o, h, c, _ = lib.mkldnn_rnn_layer(*xs, reverse, [], 2, H, 1, True, False, False, True)
            g = lib.autograd.grad((o * o).sum() + (h * c).sum(), xs, create_graph=True)
            s = sum((gi * gi).sum() for gi in g)
            res.append([_np(t) for t in lib.autograd.grad(s, xs)])
        for r, t in zip(res[1], res[0]):
            np.testing.assert_allclose(r, t, rtol=1e-3, atol=1e-4)


# ------------------------------------------------------------------ packed sequences
def _packed(lengths, enforce_sorted=True):
    def make(T, x, *h):
        p = T.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        return (p, h[0]) if len(h) == 1 else (p, tuple(h)) if h else (p,)
    return make


@pytest.mark.parametrize("cls", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_packed(cls, bidirectional):
    d = 2 if bidirectional else 1
    kw = {"bidirectional": bidirectional}
    _check(cls, (3, 4, 2), kw, _packed([4, 2, 1]), [(4, 3, 3)])
    hs = [(2 * d, 3, 4)] * (2 if cls == "LSTM" else 1)
    _check(cls, (3, 4, 2), kw, _packed([2, 4, 1], enforce_sorted=False), [(4, 3, 3)] + hs)
    _check(cls, (3, 4), kw, _packed([4, 2, 1]), [(4, 3, 3)], "float32")


def test_packed_lstm_proj_and_pad_back():
    def make(T, x):
        p = T.nn.utils.rnn.pack_padded_sequence(x, [3, 1, 2], batch_first=True,
                                                enforce_sorted=False)
        return (p,)
    tm, rm, r_out, t_out = _check("LSTM", (3, 5), {"proj_size": 2, "batch_first": True}, make,
                                  [(3, 4, 3)])
    r_pad, r_len = rg.nn.utils.rnn.pad_packed_sequence(r_out[0], batch_first=True)
    t_pad, t_len = torch.nn.utils.rnn.pad_packed_sequence(t_out[0], batch_first=True)
    np.testing.assert_allclose(_np(r_pad), _np(t_pad), **F64)
    assert r_len.tolist() == t_len.tolist()
    assert type(r_pad.grad_fn).__name__ == type(t_pad.grad_fn).__name__


# ------------------------------------------------------------------ dropout, train/eval
def test_dropout_between_layers():
    tm, rm = _pair("GRU", (3, 4, 3), {"dropout": 0.5})
    x = rg.randn(5, 2, 3, dtype=rg.float64)
    rm.eval()
    a, _ = rm(x)
    b, _ = rm(x)
    assert np.array_equal(_np(a), _np(b))
    rm.train()
    rg.manual_seed(0)
    c, _ = rm(x)
    rg.manual_seed(1)
    d, _ = rm(x)
    assert not np.allclose(_np(c), _np(d))
    # dropout=1: the next layers see zeros, so the output does not depend on the input
    tm1, rm1 = _pair("LSTM", (3, 4, 2), {"dropout": 1.0})
    _check("LSTM", (3, 4, 2), {"dropout": 1.0}, _x, [(4, 2, 3)], train=True)
    out1, _ = rm1.train()(rg.randn(4, 2, 3, dtype=rg.float64))
    out2, _ = rm1(rg.randn(4, 2, 3, dtype=rg.float64))
    np.testing.assert_allclose(_np(out1), _np(out2), **F64)


def test_dropout_warning():
    for lib in (torch, rg):
        with pytest.warns(UserWarning, match=r"non-zero dropout expects num_layers greater than "
                                             r"1, but got dropout=0.5 and num_layers=1"):
            lib.nn.LSTM(3, 4, dropout=0.5)


# ------------------------------------------------------------------ cells
CELLS = [
    ("RNNCell", (3, 4), {}, _x_h, [(2, 3), (2, 4)]),
    ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}, _x, [(2, 3)]),
    ("GRUCell", (3, 4), {}, _x_h, [(2, 3), (2, 4)]),
    ("GRUCell", (3, 4), {}, _x, [(3,)]),
    ("LSTMCell", (3, 4), {}, _x_hc, [(2, 3), (2, 4), (2, 4)]),
    ("LSTMCell", (3, 4), {"bias": False}, _x_hc, [(3,), (4,), (4,)]),
]


@pytest.mark.parametrize("cls,args,kwargs,inputs,shapes", CELLS,
                         ids=[f"{c}-{k}-{len(s)}" for c, _, k, _, s in CELLS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cell(cls, args, kwargs, inputs, shapes, dtype):
    _check(cls, args, kwargs, inputs, shapes, dtype)


# ------------------------------------------------------------------ parameters and reprs
MODULES = [("LSTM", (10, 20), {"num_layers": 2, "batch_first": True}),
           ("GRU", (3, 4), {"num_layers": 2, "bias": False, "dropout": 0.5,
                            "bidirectional": True}),
           ("RNN", (3, 4), {"nonlinearity": "relu"}),
           ("RNN", (3, 4, 2, "relu", False)),
           ("LSTM", (3, 4), {"proj_size": 2, "bidirectional": True, "num_layers": 2}),
           ("RNNCell", (3, 4), {"nonlinearity": "relu", "bias": False}),
           ("LSTMCell", (3, 4), {}), ("GRUCell", (3, 4), {"bias": False})]


@pytest.mark.parametrize("spec", MODULES, ids=[str(s) for s in MODULES])
def test_parameters_and_repr(spec):
    cls, args, kwargs = spec if len(spec) == 3 else (*spec, {})
    tm, rm = _pair(cls, args, kwargs)
    assert str(rm) == str(tm)
    t_params = [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    assert [(n, tuple(p.shape)) for n, p in rm.named_parameters()] == t_params
    if cls.endswith("Cell"):
        return
    assert rm._flat_weights_names == tm._flat_weights_names
    assert [tuple(w.shape) for w in rm._flat_weights] == [tuple(w.shape) for w in tm._flat_weights]
    assert [[tuple(w.shape) for w in ws] for ws in rm.all_weights] == \
           [[tuple(w.shape) for w in ws] for ws in tm.all_weights]
    assert all(w is getattr(rm, n) for w, n in zip(rm._flat_weights, rm._flat_weights_names))


def test_default_init_bounds_and_flat_weights_follow_assignment():
    m = rg.nn.LSTM(3, 16, num_layers=2)
    for p in m.parameters():
        assert float(p.abs().max()) <= 0.25 and float(p.abs().max()) > 0.1
    w = rg.nn.Parameter(rg.zeros(64, 3))
    m.weight_ih_l0 = w
    assert m._flat_weights[0] is w


# ------------------------------------------------------------------ errors
def _raises(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - compared below
        return type(e), str(e)
    return None


ERRORS = [
    lambda T: T.nn.LSTM(10, 4)(T.randn(5, 3, 7)),
    lambda T: T.nn.LSTM(10, 4)(T.randn(5, 3, 10), (T.randn(1, 2, 4), T.randn(1, 3, 4))),
    lambda T: T.nn.LSTM(10, 4)(T.randn(5, 3, 10), (T.randn(1, 3, 4), T.randn(1, 3, 5))),
    lambda T: T.nn.LSTM(10, 4)(T.randn(5, 3, 10), (T.randn(3, 4), T.randn(1, 3, 5))),
    lambda T: T.nn.LSTM(10, 4)(T.randn(5, 10), (T.randn(1, 3, 4), T.randn(1, 3, 5))),
    lambda T: T.nn.LSTM(10, 4)(T.randn(4, 5, 3, 10)),
    lambda T: T.nn.LSTM(10, 4)(T.randn(5, 3, 10).double()),
    lambda T: T.nn.LSTM(10, 4)(T.randn(0, 3, 10)),
    lambda T: T.nn.GRU(10, 4)(T.randn(5, 3, 10), T.randn(1, 2, 4)),
    lambda T: T.nn.GRU(10, 4)(T.randn(5, 3, 10), T.randn(3, 4)),
    lambda T: T.nn.RNN(10, 4)(T.randn(5, 10), T.randn(1, 3, 4)),
    lambda T: T.nn.RNN(10, 4)(T.randn(2, 3, 5, 10)),
    lambda T: T.nn.GRU(10, 4)(T.randn(0, 3, 10)),
    lambda T: T.nn.RNN(3, 4, nonlinearity="x"),
    lambda T: T.nn.GRU(3, 4, proj_size=2),
    lambda T: T.nn.LSTM(3, 4, proj_size=4),
    lambda T: T.nn.LSTM(3, 4, proj_size=-1),
    lambda T: T.nn.LSTM(3, 4, dropout=1.5),
    lambda T: T.nn.LSTM(3, 4, bias=1),
    lambda T: T.nn.LSTM(3.0, 4),
    lambda T: T.nn.LSTM(3, 0),
    lambda T: T.nn.LSTM(3, 4, num_layers=0),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(3, 7)),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(3, 10), (T.randn(2, 4), T.randn(3, 4))),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(3, 10), (T.randn(3, 5), T.randn(3, 4))),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(3, 10), (T.randn(3, 4), T.randn(3, 5))),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(3, 10), (T.randn(3, 4), T.randn(2, 4))),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(2, 3, 10)),
    lambda T: T.nn.LSTMCell(10, 4)(T.randn(3, 10), (T.randn(2, 3, 4), T.randn(3, 4))),
    lambda T: T.nn.GRUCell(10, 4)(T.randn(3, 7)),
    lambda T: T.nn.GRUCell(10, 4)(T.randn(3, 10), T.randn(2, 4)),
    lambda T: T.nn.GRUCell(10, 4)(T.randn(3, 10), T.randn(1, 3, 4)),
    lambda T: T.nn.RNNCell(10, 4, nonlinearity="sigmoid")(T.randn(3, 10)),
    # packed input: PyTorch's LSTM leaves the checks to its kernel
    lambda T: T.nn.LSTM(3, 4)(T.nn.utils.rnn.pack_sequence([T.randn(3, 5), T.randn(2, 5)])),
    lambda T: T.nn.LSTM(3, 4)(T.nn.utils.rnn.pack_sequence([T.randn(3, 3), T.randn(2, 3)]),
                              (T.zeros(1, 2, 4), T.zeros(1, 3, 4))),
    lambda T: T.nn.LSTM(3, 4)(T.nn.utils.rnn.pack_sequence([T.randn(3, 3), T.randn(2, 3)]),
                              (T.zeros(1, 2, 5), T.zeros(1, 2, 4))),
    lambda T: T.nn.GRU(3, 4)(T.nn.utils.rnn.pack_sequence([T.randn(3, 5), T.randn(2, 5)])),
]


@pytest.mark.parametrize("k", range(len(ERRORS)))
def test_errors(k):
    expected = _raises(lambda: ERRORS[k](torch))
    assert expected is not None
    assert _raises(lambda: ERRORS[k](rg)) == expected


# ------------------------------------------------------------------ nn.utils.rnn
def _seqs(lib, lengths, feat=2, seed=0, grad=True):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.standard_normal((n, feat)), requires_grad=grad) for n in lengths]


def _same(r, t, tol=F64):
    assert type(r).__name__ == type(t).__name__
    if isinstance(t, torch.Tensor):
        assert tuple(r.shape) == tuple(t.shape) and str(r.dtype) == str(t.dtype)
        assert type(r.grad_fn).__name__ == type(t.grad_fn).__name__
        np.testing.assert_allclose(_np(r), _np(t), **tol)
    elif t is None:
        assert r is None
    else:
        assert len(r) == len(t)
        for a, b in zip(r, t):
            _same(a, b, tol)


def _backward_same(r_out, t_out, r_in, t_in):
    rng = np.random.default_rng(5)
    outs = [(r, t) for r, t in zip(_flat(r_out), _flat(t_out)) if t.requires_grad]
    ws = [rng.standard_normal(tuple(t.shape)) for _, t in outs]
    sum((r * rg.tensor(w)).sum() for (r, _), w in zip(outs, ws)).backward()
    sum((t * torch.tensor(w)).sum() for (_, t), w in zip(outs, ws)).backward()
    for r, t in zip(r_in, t_in):
        np.testing.assert_allclose(_np(r.grad), _np(t.grad), **F64)


UTILS = [
    lambda T, s: T.nn.utils.rnn.pad_sequence(s),
    lambda T, s: T.nn.utils.rnn.pad_sequence(s, batch_first=True, padding_value=-1.5),
    lambda T, s: T.nn.utils.rnn.pad_sequence(s, padding_side="left"),
    lambda T, s: T.nn.utils.rnn.pad_sequence(s, True, 2.0, "left"),
    lambda T, s: T.nn.utils.rnn.pack_sequence(s, enforce_sorted=False),
    lambda T, s: T.nn.utils.rnn.pack_padded_sequence(T.nn.utils.rnn.pad_sequence(s, True),
                                                     [len(x) for x in s], batch_first=True,
                                                     enforce_sorted=False),
    lambda T, s: T.nn.utils.rnn.pad_packed_sequence(T.nn.utils.rnn.pack_sequence(s, False)),
    lambda T, s: T.nn.utils.rnn.pad_packed_sequence(T.nn.utils.rnn.pack_sequence(s, False),
                                                    batch_first=True, padding_value=3.0,
                                                    total_length=6),
    lambda T, s: T.nn.utils.rnn.unpack_sequence(T.nn.utils.rnn.pack_sequence(s, False)),
    lambda T, s: T.nn.utils.rnn.unpad_sequence(T.nn.utils.rnn.pad_sequence(s),
                                               T.tensor([len(x) for x in s])),
]


@pytest.mark.parametrize("k", range(len(UTILS)))
def test_utils_rnn(k):
    t_in, r_in = _seqs(torch, [2, 4, 1]), _seqs(rg, [2, 4, 1])
    t_out, r_out = UTILS[k](torch, t_in), UTILS[k](rg, r_in)
    _same(r_out, t_out)
    _backward_same(r_out, t_out, r_in, t_in)


def test_packed_sequence_tuple_and_repr():
    t = torch.nn.utils.rnn.pack_sequence(_seqs(torch, [3, 1, 2], grad=False), False)
    r = rg.nn.utils.rnn.pack_sequence(_seqs(rg, [3, 1, 2], grad=False), False)
    assert repr(r) == repr(t)
    assert r._fields == t._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    data, batch_sizes, sorted_indices, unsorted_indices = r
    assert batch_sizes.tolist() == [3, 2, 1] and str(batch_sizes.dtype) == "torch.int64"
    assert sorted_indices.tolist() == t.sorted_indices.tolist()
    assert unsorted_indices.tolist() == t.unsorted_indices.tolist()
    assert r.double().data.dtype == rg.float64 and isinstance(r.double(), type(r))
    assert repr(rg.nn.utils.rnn.PackedSequence(rg.ones(2), rg.tensor([1, 1]))) == \
        repr(torch.nn.utils.rnn.PackedSequence(torch.ones(2), torch.tensor([1, 1])))


def test_pack_padded_saved_values():
    for lib in (torch, rg):
        x = lib.zeros(4, 3, 2, requires_grad=True)
        node = lib.nn.utils.rnn.pack_padded_sequence(x, [4, 2, 1]).data.grad_fn
        assert node._saved_batch_first is False
        assert tuple(node._saved_input_sym_sizes) == (4, 3, 2)
        assert node._saved_result1.tolist() == [3, 2, 1, 1]


UTILS_ERRORS = [
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3, 2), [2, 4, 1]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3, 2), [4, 2, 0]),
    lambda T: T.nn.utils.rnn.pack_padded_sequence(T.zeros(4, 3, 2), [4, 2]),
    lambda T: T.nn.utils.rnn.pack_sequence([T.zeros(3, 2), T.zeros(4, 2)]),
    lambda T: T.nn.utils.rnn.pad_packed_sequence(
        T.nn.utils.rnn.pack_sequence([T.zeros(3, 2)]), total_length=2),
    lambda T: T.nn.utils.rnn.pad_sequence([]),
    lambda T: T.nn.utils.rnn.pad_sequence([T.zeros(3, 2)], padding_side="middle"),
    lambda T: T.nn.utils.rnn.pad_sequence(3),
    lambda T: T.nn.utils.rnn.pad_sequence([T.zeros(3, 2), T.zeros(1, 3)]),
]


@pytest.mark.parametrize("k", range(len(UTILS_ERRORS)))
def test_utils_rnn_errors(k):
    expected = _raises(lambda: UTILS_ERRORS[k](torch))
    assert expected is not None
    assert _raises(lambda: UTILS_ERRORS[k](rg)) == expected


def test_lstm_projection_warns_once_like_torch():
    """torch warns (once per process) that oneDNN has no projections; retrograd says the same."""
    from retrograd.nn.modules import _rnn_impl
    _rnn_impl._state["proj_warned"] = False
    m = rg.nn.LSTM(3, 4, proj_size=2)
    with pytest.warns(UserWarning, match=r"^LSTM with projections is not supported with oneDNN\. "
                                         r"Using default implementation\."):
        m(rg.randn(2, 1, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m(rg.randn(2, 1, 3))
        rg.nn.LSTM(3, 4, proj_size=2).double()(rg.randn(2, 1, 3, dtype=rg.float64))


@pytest.mark.parametrize("cls,dtype,seq", [("GRU", "float64", 3), ("RNN", "float64", 3),
                                           ("LSTM", "float64", 3), ("LSTM", "float32", 3),
                                           ("GRU", "float64", 6)])
def test_double_backward_through_module(cls, dtype, seq):
    """d/dparams of |d loss / d x|^2, through the step graph (float64) or the fused layer's
    differentiable backward (float32 LSTM); 6 steps take the layer's copy of W_hh^T
    (_rnn_impl._HiddenProduct, from 4 steps)."""
    tm, rm = _pair(cls, (3, 4), {"bidirectional": True}, dtype)
    x = np.random.default_rng(1).uniform(-1, 1, (seq, 2, 3)).astype(dtype)
    res = []
    for lib, m in ((torch, tm), (rg, rm)):
        xt = lib.tensor(x, requires_grad=True)
        out = m(xt)[0]
        g, = lib.autograd.grad((out * out).sum(), xt, create_graph=True)
        (g * g).sum().backward()
        res.append([_np(p.grad) for _, p in m.named_parameters()])
    tol = F64 if dtype == "float64" else dict(rtol=1e-3, atol=1e-4)
    for r, t in zip(res[1], res[0]):
        np.testing.assert_allclose(r, t, **tol)
