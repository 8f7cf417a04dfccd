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
    return lambda: F.scaled_dot_product_attention(q, q, q, attn_mask=lib.ones(4, 4))


@pytest.mark.parametrize("case", ["dtype", "mask_dtype"])
def test_sdpa_errors(case):
    with pytest.raises(RuntimeError) as te:
        _err(torch, TF, case)()
    with pytest.raises(RuntimeError) as re_:
        _err(rt, RF, case)()
    assert str(re_.value) == str(te.value)


def test_sdpa_dropout_takes_the_math_path():
    tt, rr = _inputs(((1, 2, 3, 4),) * 3, np.float32)
    to = TF.scaled_dot_product_attention(*tt, dropout_p=0.5)
    ro = RF.scaled_dot_product_attention(*rr, dropout_p=0.5)
    assert type(ro.grad_fn).__name__ == type(to.grad_fn).__name__ == "UnsafeViewBackward0"
    ro.sum().backward()
    assert rr[0].grad.shape == (1, 2, 3, 4)
