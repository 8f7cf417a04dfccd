"""F.scaled_dot_product_attention against PyTorch 2.13 (CPU): values, gradients, the node
torch records (the fused CPU flash node or the math path's chain), forward mode, errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import retrograd as rt
import retrograd.nn.functional as RF
from retrograd.autograd import forward_ad as rfwd

RNG = np.random.default_rng(0)

CASES = [
    # (q shape, k shape, v shape, mask, kwargs)
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), None, {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), None, {"is_causal": True, "scale": 0.3}),
    ((1, 2, 5, 3), (1, 2, 3, 3), (1, 2, 3, 3), None, {"is_causal": True}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), "bool", {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), "float", {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), "float3d", {}),
    ((2, 4, 4, 5), (2, 2, 6, 5), (2, 2, 6, 5), None, {"enable_gqa": True}),
    ((2, 4, 4, 5), (2, 1, 6, 5), (2, 1, 6, 5), None, {}),
    ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, {}),
    ((3, 4, 5), (3, 6, 5), (3, 6, 7), "bool", {}),
    ((3, 4, 5), (3, 6, 5), (3, 6, 7), None, {"is_causal": True}),
    ((4, 5), (6, 5), (6, 2), "float", {"scale": 2.0}),
]


def _mask(kind, L, S):
    if kind is None:
        return None
    if kind == "bool":
        m = RNG.random((L, S)) > 0.4
        m[1] = False             # a row masked everywhere: 0 out, 0 gradient
        return m
    if kind == "float3d":
        return RNG.standard_normal((3, 1, S))
    return RNG.standard_normal((L, S))


def _inputs(shapes, dtype):
    arrays = [RNG.standard_normal(s).astype(dtype) for s in shapes]
    return ([torch.tensor(a, requires_grad=True) for a in arrays],
            [rt.tensor(a, requires_grad=True) for a in arrays])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("qs,ks,vs,mask,kw", CASES)
def test_sdpa_matches_torch(qs, ks, vs, mask, kw, dtype):
    tt, rr = _inputs((qs, ks, vs), dtype)
    m = _mask(mask, qs[-2], ks[-2])
    if m is not None and m.dtype != np.bool_:
        m = m.astype(dtype)
    to = TF.scaled_dot_product_attention(*tt, attn_mask=None if m is None else torch.tensor(m),
                                         **kw)
    ro = RF.scaled_dot_product_attention(*rr, attn_mask=None if m is None else rt.tensor(m), **kw)
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ro.detach().numpy(), to.detach().numpy(), rtol=tol, atol=tol)
    g = RNG.standard_normal(tuple(to.shape)).astype(dtype)
    to.backward(torch.tensor(g))
    ro.backward(rt.tensor(g))
    for t, r in zip(tt, rr):
        np.testing.assert_allclose(r.grad.numpy(), t.grad.numpy(), rtol=10 * tol, atol=10 * tol)


def test_sdpa_fused_node_saved_values():
    tt, rr = _inputs(((1, 2, 3, 4),) * 3, np.float64)
    to = TF.scaled_dot_product_attention(*tt, scale=0.5, is_causal=True)
    ro = RF.scaled_dot_product_attention(*rr, scale=0.5, is_causal=True)
    tg, rg = to.grad_fn, ro.grad_fn
    assert rg._saved_scale == tg._saved_scale == 0.5
    assert rg._saved_is_causal is tg._saved_is_causal is True
    assert rg._saved_dropout_p == tg._saved_dropout_p == 0.0
    for name in ("query", "key", "value", "output", "logsumexp"):
        np.testing.assert_allclose(getattr(rg, "_saved_" + name).detach().numpy(),
                                   getattr(tg, "_saved_" + name).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"enable_gqa": True}])
def test_sdpa_fused_gradcheck_and_double_backward(kw):
    hk = 1 if kw.get("enable_gqa") else 2
    args = [rt.tensor(RNG.standard_normal(s), requires_grad=True)
            for s in ((1, 2, 3, 4), (1, hk, 4, 4), (1, hk, 4, 4))]
    f = lambda q, k, v: RF.scaled_dot_product_attention(q, k, v, **kw)  # noqa: E731
    assert type(f(*args).grad_fn).__name__ == "ScaledDotProductFlashAttentionForCpuBackward0"
    assert rt.autograd.gradcheck(f, args)
    assert rt.autograd.gradgradcheck(f, args)


def test_sdpa_forward_mode_matches_torch_math():
    """torch 2.13 has no forward-mode formula for its CPU flash op (NotImplementedError);
    retrograd's node has one: compare it with torch's forward mode through the math formula."""
    arrays = [RNG.standard_normal((1, 2, 3, 4)) for _ in range(6)]
    causal = torch.ones(3, 3, dtype=torch.bool).tril()

    def math_ref(q, k, v):
        s = (q @ k.transpose(-2, -1)) * 0.5 + torch.zeros(3, 3, dtype=q.dtype).masked_fill(
            ~causal, float("-inf"))
        return torch.softmax(s, -1) @ v

    _, tt = torch.func.jvp(math_ref, tuple(torch.tensor(a) for a in arrays[:3]),
                           tuple(torch.tensor(t) for t in arrays[3:]))
    with rfwd.dual_level():
        d = [rfwd.make_dual(rt.tensor(a), rt.tensor(t)) for a, t in zip(arrays[:3], arrays[3:])]
        out = RF.scaled_dot_product_attention(*d, is_causal=True)
        rtan = rfwd.unpack_dual(out).tangent
    np.testing.assert_allclose(rtan.numpy(), tt.numpy(), atol=1e-12)


def _err(lib, F, case):
    q = lib.ones(1, 2, 3, 4)
    if case == "dtype":
        return lambda: F.scaled_dot_product_attention(q, q.double(), q)
    if case == "mask_dtype":
        return lambda: F.scaled_dot_product_attention(q, q, q, attn_mask=lib.ones(3, 3,
                                                                             dtype=lib.int64))
    if case == "causal_and_mask_math":      # the math path refuses both; the flash kernel not
        return lambda: F.scaled_dot_product_attention(q[0], q[0], q[0], is_causal=True,
                                                      attn_mask=lib.ones(3, 3, dtype=lib.bool))
    return lambda: F.scaled_dot_product_attention(q, q, q, attn_mask=lib.ones(4, 4))


@pytest.mark.parametrize("case", ["dtype", "mask_dtype", "causal_and_mask_math"])
def test_sdpa_errors(case):
    with pytest.raises(RuntimeError) as te:
        _err(torch, TF, case)()
    with pytest.raises(RuntimeError) as re_:
        _err(rt, RF, case)()
    assert str(re_.value) == str(te.value)


def test_sdpa_flash_with_mask_and_causal_applies_both():
    tt, rr = _inputs(((1, 2, 3, 4),) * 3, np.float64)
    m = np.array([[True, False, True], [True, True, False], [True, False, True]])
    to = TF.scaled_dot_product_attention(*tt, attn_mask=torch.tensor(m), is_causal=True)
    ro = RF.scaled_dot_product_attention(*rr, attn_mask=rt.tensor(m), is_causal=True)
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__
    np.testing.assert_allclose(ro.detach().numpy(), to.detach().numpy(), atol=1e-12)


def test_sdpa_dropout_takes_the_math_path():
    tt, rr = _inputs(((1, 2, 3, 4),) * 3, np.float32)
    to = TF.scaled_dot_product_attention(*tt, dropout_p=0.5)
    ro = RF.scaled_dot_product_attention(*rr, dropout_p=0.5)
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__ == "UnsafeViewBackward0"
    ro.sum().backward()
    assert rr[0].grad.shape == (1, 2, 3, 4)


# -- nn.MultiheadAttention -------------------------------------------------------------------

def _pair_mha(kw, batch_first=False):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(**kw, batch_first=batch_first).double()
    rm = rt.nn.MultiheadAttention(**kw, batch_first=batch_first).double()
    tsd = tm.state_dict()
    assert list(rm.state_dict()) == list(tsd)
    rm.load_state_dict({k: rt.tensor(v.numpy()) for k, v in tsd.items()})
    return tm, rm


def _conv(lib, v):
    return lib.tensor(v) if isinstance(v, np.ndarray) else v


MHA_CASES = [
    (dict(embed_dim=8, num_heads=2), {}, [(5, 3, 8)], False, True),
    (dict(embed_dim=8, num_heads=2), {"need_weights": False}, [(5, 3, 8)], False, True),
    (dict(embed_dim=8, num_heads=2, add_bias_kv=True, add_zero_attn=True),
     {"key_padding_mask": "kpm", "attn_mask": "float"}, [(5, 3, 8), (6, 3, 8), (6, 3, 8)],
     False, False),
    (dict(embed_dim=8, num_heads=4, kdim=3, vdim=5), {"average_attn_weights": False},
     [(5, 3, 8), (6, 3, 3), (6, 3, 5)], False, False),
    (dict(embed_dim=8, num_heads=2), {"need_weights": False, "is_causal": True,
                                      "attn_mask": "causal"}, [(3, 5, 8)], True, True),
    (dict(embed_dim=8, num_heads=2, bias=False), {"attn_mask": "causal"}, [(5, 8)], False, True),
    (dict(embed_dim=8, num_heads=2), {"key_padding_mask": "kpm", "need_weights": False},
     [(3, 5, 8), (3, 6, 8), (3, 6, 8)], True, False),
    (dict(embed_dim=8, num_heads=2), {}, [(3, 5, 8), (3, 6, 8)], True, "kv"),
]


@pytest.mark.filterwarnings("ignore:Support for mismatched")
@pytest.mark.parametrize("kw,fkw,shapes,batch_first,same", MHA_CASES)
def test_multihead_attention_matches_torch(kw, fkw, shapes, batch_first, same):
    tm, rm = _pair_mha(kw, batch_first)
    arrays = [RNG.standard_normal(s) for s in shapes]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    rr = [rt.tensor(a, requires_grad=True) for a in arrays]
    if same is True:
        tt, rr = tt * 3, rr * 3
    elif same == "kv":
        tt, rr = tt + tt[1:], rr + rr[1:]
    L = shapes[0][1] if batch_first else shapes[0][0]
    S = shapes[1][1 if batch_first else 0] if len(shapes) > 1 else L
    fkw = dict(fkw)
    for name, v in list(fkw.items()):
        if v == "kpm":
            fkw[name] = RNG.random((shapes[0][0 if batch_first else 1], S)) > 0.7
        elif v == "float":
            fkw[name] = RNG.standard_normal((L, S))
        elif v == "causal":
            fkw[name] = np.triu(np.ones((L, L), bool), 1)
    to, tw = tm(*tt, **{k: _conv(torch, v) for k, v in fkw.items()})
    ro, rw = rm(*rr, **{k: _conv(rt, v) for k, v in fkw.items()})
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__
    np.testing.assert_allclose(ro.detach().numpy(), to.detach().numpy(), atol=1e-12)
    assert (rw is None) == (tw is None)
    loss_t, loss_r = to.sum(), ro.sum()
    if tw is not None:
        np.testing.assert_allclose(rw.detach().numpy(), tw.detach().numpy(), atol=1e-12)
        loss_t, loss_r = loss_t + (tw * tw).sum(), loss_r + (rw * rw).sum()
    loss_t.backward()
    loss_r.backward()
    rparams = dict(rm.named_parameters())
    for name, p in tm.named_parameters():
        np.testing.assert_allclose(rparams[name].grad.numpy(), p.grad.numpy(), atol=1e-10)
    for t, r in zip(tt, rr):
        np.testing.assert_allclose(r.grad.numpy(), t.grad.numpy(), atol=1e-10)


def test_multihead_attention_repr_params_and_init():
    for kw in (dict(embed_dim=6, num_heads=3), dict(embed_dim=6, num_heads=2, kdim=4, vdim=5,
                                                    add_bias_kv=True, bias=False)):
        tm, rm = torch.nn.MultiheadAttention(**kw), rt.nn.MultiheadAttention(**kw)
        assert str(rm) == str(tm)
        assert [(n, tuple(p.shape)) for n, p in rm.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in tm.named_parameters()]
    rm = rt.nn.MultiheadAttention(6, 3)
    assert float(rm.in_proj_bias.abs().sum()) == 0.0 == float(rm.out_proj.bias.abs().sum())
    bound = (6 / (18 + 6)) ** 0.5      # xavier_uniform_ on (3E, E)
    assert float(rm.in_proj_weight.abs().max()) <= bound
    assert type(rm.out_proj).__name__ == "NonDynamicallyQuantizableLinear"


def test_multihead_attention_errors():
    with pytest.raises(AssertionError) as te:
        torch.nn.MultiheadAttention(6, 4)
    with pytest.raises(AssertionError) as re_:
        rt.nn.MultiheadAttention(6, 4)
    assert str(re_.value) == str(te.value)
    tm, rm = _pair_mha(dict(embed_dim=4, num_heads=2))
    for lib, m in ((torch, tm), (rt, rm)):
        x = lib.ones(3, 2, 4, dtype=lib.float64)
        with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal"):
            m(x, x, x, is_causal=True)
        with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is"):
            m(x, x, x, attn_mask=lib.zeros(2, 2, dtype=lib.float64))
        with pytest.raises(AssertionError, match="only bool and floating types of attn_mask"):
            m(x, x, x, attn_mask=lib.zeros(3, 3, dtype=lib.int64))


def test_broadcast_gradient_into_an_unequal_split_piece():
    """The engine reduces a broadcast gradient to the shape of the piece it flows into (the
    packed k-is-v projection splits in_proj_bias into [E, 2E] and adds the 2E piece)."""
    grads = []
    for lib in (torch, rt):
        b = lib.arange(24.0, requires_grad=True)
        _, tail = b.split([8, 16])
        (tail.expand(3, 16) * 2).sum().backward()
        grads.append(b.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


# -- local response norm ----------------------------------------------------------------------

@pytest.mark.parametrize("shape,size", [((2, 5, 4), 3), ((2, 6, 3, 4), 2), ((1, 4, 2, 3, 2), 5),
                                        ((2, 3, 4), 1)])
def test_local_response_norm_matches_torch(shape, size):
    a = RNG.standard_normal(shape)
    t, r = torch.tensor(a, requires_grad=True), rt.tensor(a, requires_grad=True)
    tm = torch.nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=2.0)
    rm = rt.nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=2.0)
    assert str(rm) == str(tm)
    to, ro = tm(t), rm(r)
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__ == "DivBackward0"
    np.testing.assert_allclose(ro.detach().numpy(), to.detach().numpy(), atol=1e-12)
    g = RNG.standard_normal(shape)
    to.backward(torch.tensor(g))
    ro.backward(rt.tensor(g))
    np.testing.assert_allclose(r.grad.numpy(), t.grad.numpy(), atol=1e-12)
    # PyTorch's own chain: avg_pool2d on the (N, 1, C, L) view, avg_pool3d on (N, 1, C, H, rest)
    assert _node_chain(ro.grad_fn) == _node_chain(to.grad_fn)


def _node_chain(node):
    if node is None:
        return None
    return (node.name(), tuple(_node_chain(n) for n, _ in node.next_functions))


def test_local_response_norm_errors_and_gradcheck():
    with pytest.raises(ValueError) as te:
        torch.nn.functional.local_response_norm(torch.ones(2, 3), 2)
    with pytest.raises(ValueError) as re_:
        RF.local_response_norm(rt.ones(2, 3), 2)
    assert str(re_.value) == str(te.value)
    x = rt.tensor(RNG.standard_normal((1, 4, 3)), requires_grad=True)
    assert rt.autograd.gradcheck(lambda x: RF.local_response_norm(x, 3, 0.5, 0.75, 1.0), (x,))


def _graph(out):
    seen, stack, names = set(), [out.grad_fn], []
    while stack:
        g = stack.pop()
        if g is None or id(g) in seen:
            continue
        seen.add(id(g))
        names.append(type(g).__name__)
        stack.extend(f for f, _ in g.next_functions)
    return names


@pytest.mark.parametrize("kw", [{"is_causal": True}, {"mask": True}])
def test_sdpa_math_path_graph_is_torchs(kw):
    graphs = []
    for lib, F in ((torch, TF), (rt, RF)):
        x = lib.ones(2, 3, 4, requires_grad=True)
        m = lib.zeros(3, 3, requires_grad=True) if kw.get("mask") else None
        out = F.scaled_dot_product_attention(x, x * 2, x * 3, attn_mask=m,
                                             is_causal=kw.get("is_causal", False))
        graphs.append(_graph(out))
    assert graphs[1] == graphs[0]
    assert "SafeSoftmaxBackward0" in graphs[0]
