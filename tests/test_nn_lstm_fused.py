"""The fused float32 LSTM layer (mkldnn_rnn_layer, ops/nn/_lstm_kernels.py) against torch 2.13
at sizes where every code path of the kernels runs with more than one step, batch row and
hidden unit: outputs, grad_fn names and the gradients of every input, with the gradient
arriving through the output, hy, cy or any subset of them, for some inputs only, forward and
reverse, non-contiguous h0/c0, and NaN/inf propagation."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rg

TOL = dict(rtol=2e-4, atol=2e-5)
T_, B_, I_, H_ = 6, 3, 5, 7
SHAPES = [(T_, B_, I_), (4 * H_, I_), (4 * H_, H_), (4 * H_,), (4 * H_,), (B_, H_), (B_, H_)]


def _np(t):
    return t.detach().numpy()


def _arrays(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return [(scale * rng.uniform(-1, 1, s)).astype(np.float32) for s in SHAPES]


def _layer(lib, arrays, reverse, needs, has_biases=True, outputs=(0, 1, 2), seed=0):
    xs = [lib.tensor(a, requires_grad=n) for a, n in zip(arrays, needs)]
    res = lib.mkldnn_rnn_layer(*xs, reverse, [], 2, H_, 1, has_biases, False, False, True)
    rng = np.random.default_rng(seed)
    loss = sum((res[k] * lib.tensor(rng.standard_normal(tuple(res[k].shape))
                                    .astype(np.float32))).sum() for k in outputs)
    loss.backward()
    return res, [x.grad for x in xs]


def _compare(arrays, reverse, needs, **kw):
    t_res, t_grads = _layer(torch, arrays, reverse, needs, **kw)
    r_res, r_grads = _layer(rg, arrays, reverse, needs, **kw)
    for r, t in zip(r_res[:3], t_res[:3]):
        assert type(r.grad_fn).__name__ == type(t.grad_fn).__name__
        assert str(r.dtype) == str(t.dtype) and tuple(r.shape) == tuple(t.shape)
        np.testing.assert_allclose(_np(r), _np(t), **TOL)
    for k, (r, t) in enumerate(zip(r_grads, t_grads)):
        assert (r is None) == (t is None), k
        if t is not None:
            assert str(r.dtype) == str(t.dtype)
            np.testing.assert_allclose(_np(r), _np(t), err_msg=f"grad {k}", **TOL)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("outputs", [(0, 1, 2), (0,), (1,), (2,), (1, 2)])
def test_fused_layer_gradients(reverse, outputs):
    _compare(_arrays(1), reverse, [True] * 7, outputs=outputs)


@pytest.mark.parametrize("needs", [
    (False, True, False, False, False, False, False),
    (True, False, False, False, False, False, False),
    (False, False, True, True, False, True, False),
    (False, False, False, False, True, False, True),
])
def test_fused_layer_some_inputs(needs):
    _compare(_arrays(2), True, list(needs))
    _compare(_arrays(2), False, list(needs))


def test_fused_layer_without_biases():
    _compare(_arrays(3), False, [True, True, True, False, False, True, True], has_biases=False)
    # the forward ignores the biases; PyTorch still returns their gradient (that of the
    # pre-activations summed), first order and under create_graph
    _compare(_arrays(3), True, [True] * 7, has_biases=False)
    res = []
    for lib in (torch, rg):
        xs = [lib.tensor(a, requires_grad=True) for a in _arrays(3)]
        o, h, c, _ = lib.mkldnn_rnn_layer(*xs, False, [], 2, H_, 1, False, False, False, True)
        g = lib.autograd.grad((o * o).sum() + c.sum(), xs[3:5], create_graph=True)
        res.append([_np(t) for t in g])
    for r, t in zip(res[1], res[0]):
        np.testing.assert_allclose(r, t, **TOL)


def test_fused_layer_without_biases_misshaped_placeholder():
    """Without biases the placeholders' shapes are not checked; one that requires grad gets a
    (4*hidden,) gradient, which the engine rejects as PyTorch's does."""
    arrays = _arrays(3)
    arrays[3] = arrays[3][:, None].repeat(I_, 1)
    errs = []
    for lib in (torch, rg):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        o, _, _, _ = lib.mkldnn_rnn_layer(*xs, False, [], 2, H_, 1, False, False, False, True)
        with pytest.raises(RuntimeError) as e:
            o.sum().backward()
        errs.append(str(e.value))
    assert errs[1] == errs[0]


def test_fused_layer_saturated_gates():
    """Large pre-activations: the sigmoids and tanh saturate (the sigmoid is computed through
    tanh in the kernel)."""
    _compare(_arrays(4, scale=30.0), False, [True] * 7)


def test_fused_layer_nan_and_inf():
    arrays = _arrays(5)
    arrays[0][2, 1, 3] = np.nan
    arrays[0][4, 0, 0] = np.inf
    res = []
    for lib in (torch, rg):
        xs = [lib.tensor(a, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("error")   # torch computes NaN/inf silently
            o, h, c, _ = lib.mkldnn_rnn_layer(*xs, False, [], 2, H_, 1, True, False, False,
                                              True)
            (o.sum() + h.sum() + c.sum()).backward()
        res.append([_np(o), _np(h), _np(c)] + [_np(x.grad) for x in xs])
    for r, t in zip(res[1], res[0]):
        assert np.array_equal(np.isnan(r), np.isnan(t))
        assert np.array_equal(np.isinf(r), np.isinf(t))
        fin = np.isfinite(t)
        np.testing.assert_allclose(r[fin], t[fin], **TOL)


def test_module_noncontiguous_state_two_layers_bidirectional():
    """nn.LSTM float32 (2 layers, both directions, batch_first) with h0/c0 given as transposed
    views: the fused path end to end."""
    rng = np.random.default_rng(6)
    tm = torch.nn.LSTM(I_, H_, 2, bidirectional=True, batch_first=True)
    rm = rg.nn.LSTM(I_, H_, 2, bidirectional=True, batch_first=True)
    rm.load_state_dict({k: rg.tensor(_np(v)) for k, v in tm.state_dict().items()})
    x = rng.standard_normal((B_, T_, I_)).astype(np.float32)
    h0 = rng.standard_normal((B_, 4, H_)).astype(np.float32)
    c0 = rng.standard_normal((B_, 4, H_)).astype(np.float32)
    res = []
    for lib, m in ((torch, tm), (rg, rm)):
        xs = [lib.tensor(a, requires_grad=True) for a in (x, h0, c0)]
        out, (hn, cn) = m(xs[0], (xs[1].transpose(0, 1), xs[2].transpose(0, 1)))
        assert type(out.grad_fn).__name__ == "TransposeBackward0"
        ((out * out).sum() + (hn * cn).sum()).backward()
        res.append([_np(out), _np(hn), _np(cn)] + [_np(t.grad) for t in xs]
                   + [_np(p.grad) for p in m.parameters()])
    for r, t in zip(res[1], res[0]):
        np.testing.assert_allclose(r, t, **TOL)
