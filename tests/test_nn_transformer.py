"""nn.TransformerEncoderLayer / DecoderLayer / Encoder / Decoder / Transformer against PyTorch
2.13: same weights through state_dict, outputs, input and parameter gradients, reprs, the
nested-tensor warning, errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rt

RNG = np.random.default_rng(0)


def _pair(name, *args, **kw):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        build = args[0] if callable(args[0]) else (lambda lib: args)
        tm = getattr(torch.nn, name)(*build(torch), **kw).double()
        rm = getattr(rt.nn, name)(*build(rt), **kw).double()
    tsd = tm.state_dict()
    assert list(rm.state_dict()) == list(tsd)
    rm.load_state_dict({k: rt.tensor(v.numpy()) for k, v in tsd.items()})
    assert str(rm) == str(tm)
    return tm, rm


def _check(tm, rm, shapes, **fkw):
    arrays = [RNG.standard_normal(s) for s in shapes]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    rr = [rt.tensor(a, requires_grad=True) for a in arrays]
    conv = (lambda lib, v: lib.tensor(v) if isinstance(v, np.ndarray) else v)
    to = tm(*tt, **{k: conv(torch, v) for k, v in fkw.items()})
    ro = rm(*rr, **{k: conv(rt, v) for k, v in fkw.items()})
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__
    np.testing.assert_allclose(ro.detach().numpy(), to.detach().numpy(), atol=1e-10)
    (to * to).sum().backward()
    (ro * ro).sum().backward()
    for t, r in zip(tt, rr):
        np.testing.assert_allclose(r.grad.numpy(), t.grad.numpy(), atol=1e-9)
    rparams = dict(rm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(rparams[name].grad.numpy(), p.grad.numpy(), atol=1e-9)


def _causal(n):
    return np.triu(np.full((n, n), -np.inf), 1)


ENC_CASES = [
    ({}, [(5, 3, 8)], {}),
    ({"activation": "gelu", "norm_first": True}, [(5, 3, 8)], {"src_mask": _causal(5)}),
    ({"batch_first": True, "layer_norm_eps": 1e-3}, [(3, 5, 8)],
     {"src_key_padding_mask": np.array([[False] * 5, [False] * 3 + [True] * 2,
                                        [False] * 4 + [True]])}),
    ({"bias": False, "activation": "module"}, [(5, 8)], {}),
    ({"activation": "callable"}, [(5, 3, 8)], {"src_mask": _causal(5), "is_causal": True}),
]


def _act(kw, lib):
    kw = dict(kw)
    if kw.get("activation") == "module":
        kw["activation"] = lib.nn.GELU()
    elif kw.get("activation") == "callable":
        kw["activation"] = lib.tanh
    return kw


@pytest.mark.parametrize("kw,shapes,fkw", ENC_CASES)
def test_encoder_layer_matches_torch(kw, shapes, fkw):
    torch.manual_seed(0)
    tm = torch.nn.TransformerEncoderLayer(8, 2, 16, 0.0, **_act(kw, torch)).double()
    rm = rt.nn.TransformerEncoderLayer(8, 2, 16, 0.0, **_act(kw, rt)).double()
    assert list(rm.state_dict()) == list(tm.state_dict())
    rm.load_state_dict({k: rt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert str(rm) == str(tm)
    _check(tm, rm, shapes, **fkw)


@pytest.mark.parametrize("kw", [{}, {"norm_first": True, "activation": "gelu"},
                                {"batch_first": True, "bias": False}])
def test_decoder_layer_matches_torch(kw):
    torch.manual_seed(0)
    tm = torch.nn.TransformerDecoderLayer(8, 2, 16, 0.0, **kw).double()
    rm = rt.nn.TransformerDecoderLayer(8, 2, 16, 0.0, **kw).double()
    assert list(rm.state_dict()) == list(tm.state_dict())
    rm.load_state_dict({k: rt.tensor(v.numpy()) for k, v in tm.state_dict().items()})
    assert str(rm) == str(tm)
    shapes = [(3, 4, 8), (3, 5, 8)] if kw.get("batch_first") else [(4, 3, 8), (5, 3, 8)]
    _check(tm, rm, shapes, tgt_mask=_causal(4), tgt_is_causal=True,
           memory_key_padding_mask=np.array([[False] * 5, [False] * 4 + [True], [False] * 5]))


def test_encoder_and_decoder_stacks_match_torch():
    tm, rm = _pair("TransformerEncoder",
                   lambda lib: (lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2,
                                lib.nn.LayerNorm(8)),
                   enable_nested_tensor=False)
    _check(tm, rm, [(5, 3, 8)], mask=_causal(5))
    tm, rm = _pair("TransformerDecoder",
                   lambda lib: (lib.nn.TransformerDecoderLayer(8, 2, 16, 0.0), 2))
    _check(tm, rm, [(4, 3, 8), (5, 3, 8)], tgt_mask=_causal(4))


def test_transformer_matches_torch_in_eval_mode():
    tm, rm = _pair("Transformer", 8, 2, 1, 2, 16, batch_first=True)
    tm.eval()
    rm.eval()
    _check(tm, rm, [(3, 5, 8), (3, 4, 8)],
           tgt_mask=rt.nn.Transformer.generate_square_subsequent_mask(4, dtype=rt.float64)
           .numpy())


def test_generate_square_subsequent_mask():
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    r = rt.nn.Transformer.generate_square_subsequent_mask(4)
    assert r.dtype == rt.float32
    np.testing.assert_array_equal(r.numpy(), t.numpy())


def test_nested_tensor_warning_and_attributes():
    for lib in (torch, rt):
        layer = lib.nn.TransformerEncoderLayer(8, 2, 16)
        with pytest.warns(UserWarning) as rec:
            enc = lib.nn.TransformerEncoder(layer, 2)
        msgs = [str(w.message) for w in rec]
        assert "enable_nested_tensor is True, but self.use_nested_tensor is False because " \
               "encoder_layer.self_attn.batch_first was not True(use batch_first for better " \
               "inference performance)" in msgs
        assert enc.use_nested_tensor is False and enc.enable_nested_tensor is True
        assert enc.layers[0] is not layer and len(enc.layers) == 2


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
def test_transformer_errors():
    for lib in (torch, rt):
        with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
            lib.nn.TransformerEncoderLayer(8, 2, activation="tanh")
        m = lib.nn.Transformer(8, 2, 1, 1, 16)
        with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
            m(lib.ones(3, 2, 8), lib.ones(3, 4, 8))
        with pytest.raises(RuntimeError, match="the feature number of src and tgt must be "
                                               "equal to d_model"):
            m(lib.ones(3, 2, 6), lib.ones(3, 2, 6))


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")
@pytest.mark.parametrize("grad", [False, True])
def test_encoder_inference_with_padding_zeroes_padded_positions_like_torch(grad):
    """torch's inference path runs the layers on a nested tensor and pads the result with 0
    (then the final norm); with grad the standard path keeps the computed values. Same in
    retrograd, both ways."""
    tm, rm = _pair("TransformerEncoder",
                   lambda lib: (lib.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2,
                                lib.nn.LayerNorm(8)))
    tm.eval()
    rm.eval()
    x = RNG.standard_normal((3, 5, 8))
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    outs = []
    for lib, m in ((torch, tm), (rt, rm)):
        with lib.set_grad_enabled(grad):
            outs.append(m(lib.tensor(x), src_key_padding_mask=lib.tensor(kpm)).detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], atol=1e-10)
