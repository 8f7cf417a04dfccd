"""scaled_dot_product_attention and MultiheadAttention in float16 against torch 2.13's CPU
build: the fused kernel's node for 4-D inputs (it computes in float and rounds the result,
keeping the log-sum-exp in float32), the math path's float upcast (ToCopyBackward0) otherwise;
graphs node for node, saved values, and values and gradients within float16 tolerance (the
kernels sum in other orders, a few units in the last place)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rt

RNG = np.random.default_rng(11)
QKV = [RNG.standard_normal((2, 3, 4, 8)) for _ in range(3)]
GRAD = RNG.standard_normal((2, 3, 4, 8))
MASK = RNG.standard_normal((4, 4))


def _close(ours, ref, tol=4e-3):
    ours = ours.detach().double().numpy() if hasattr(ours, "detach") else ours
    ref = ref.detach().double().numpy() if hasattr(ref, "detach") else ref
    np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol)


def _chain(node, depth=0):
    if node is None or depth > 30:
        return None
    return (node.name(), tuple(_chain(n, depth + 1) for n, _ in node.next_functions))


CASES = {
    "fused": dict(),
    "fused_causal": dict(is_causal=True),
    "fused_bool_mask": dict(attn_mask="bool"),
    "fused_float_mask": dict(attn_mask="float"),
    "fused_scale": dict(scale=0.3),
    "math_3d": dict(rank3=True),
    "math_3d_causal": dict(rank3=True, is_causal=True),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_sdpa_float16(case):
    kw = dict(CASES[case])
    rank3 = kw.pop("rank3", False)
    mask = kw.pop("attn_mask", None)
    results = []
    for T in (rt, torch):
        q, k, v = [T.tensor(a, dtype=T.float16, requires_grad=True) for a in QKV]
        g = T.tensor(GRAD, dtype=T.float16)
        if rank3:
            q_, k_, v_, g = q[0], k[0], v[0], g[0]
        else:
            q_, k_, v_ = q, k, v
        if mask == "bool":
            kw["attn_mask"] = T.ones(4, 4, dtype=T.bool).tril()
        elif mask == "float":
            kw["attn_mask"] = T.tensor(MASK, dtype=T.float16)
        y = T.nn.functional.scaled_dot_product_attention(q_, k_, v_, **kw)
        saved = {n: getattr(y.grad_fn, n) for n in dir(y.grad_fn) if n.startswith("_saved")}
        grads = T.autograd.grad(y, (q, k, v), g)
        results.append((y, grads, _chain(y.grad_fn), str(y.dtype), [str(t.dtype) for t in grads],
                        saved))
    (y, grads, chain, dt, gdt, saved), (ty, tgrads, tchain, tdt, tgdt, tsaved) = results
    assert chain == tchain and dt == tdt and gdt == tgdt
    _close(y, ty)
    for a, b in zip(grads, tgrads):
        _close(a, b)
    assert sorted(saved) == sorted(tsaved)
    for name, value in saved.items():
        ref = tsaved[name]
        if isinstance(ref, torch.Tensor):
            assert str(value.dtype) == str(ref.dtype) and tuple(value.shape) == tuple(ref.shape)
            _close(value, ref)
        else:
            assert value == ref, name


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_multihead_attention_float16(need_weights, masked):
    x = RNG.standard_normal((5, 2, 8))
    outs = []
    for T in (rt, torch):
        T.manual_seed(0)
        m = T.nn.MultiheadAttention(8, 2)
        prng = np.random.default_rng(1)
        with T.no_grad():
            for p in m.parameters():
                p.copy_(T.tensor(prng.uniform(-0.5, 0.5, tuple(p.shape))))
        m = m.half()
        xx = T.tensor(x, dtype=T.float16, requires_grad=True)
        mask = T.ones(5, 5, dtype=T.bool).triu(1) if masked else None
        o, w = m(xx, xx, xx, need_weights=need_weights, attn_mask=mask)
        (o.float() ** 2).sum().backward()
        outs.append((o, w, xx.grad, [p.grad for p in m.parameters()], _chain(o.grad_fn),
                     None if w is None else _chain(w.grad_fn), str(o.dtype), str(m)))
    (o, w, xg, pg, ch, wch, dt, s), (to, tw, txg, tpg, tch, twch, tdt, ts) = outs
    assert (ch, wch, dt, s) == (tch, twch, tdt, ts)
    _close(o, to)
    if tw is not None:
        _close(w, tw)
    _close(xg, txg, 1e-2)
    for a, b in zip(pg, tpg):
        scale = max(1.0, float(b.abs().max()))
        _close(a / scale, b / scale, 1e-2)
