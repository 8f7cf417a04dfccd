"""Op-table rows of F.scaled_dot_product_attention's fused CPU node (torch 2.13 has no double
backward and no forward-mode formula for it: gradgrad=False; retrograd's backward is
differentiable and its forward mode is checked against finite differences)."""
from __future__ import annotations

from op_db import OpInfo


def _sdpa(T, q, k, v, **kw):
    return T.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


def _bool_mask(T):
    return T.tensor([[True, False, True, True], [True, True, False, False],
                     [False, True, True, True]])


def _mha(T, x, w, b, ow, ob, **kw):
    out, _ = T.nn.functional.multi_head_attention_forward(x, x, x, 4, 2, w, b, None, None, False,
                                                          0.0, ow, ob, **kw)
    return out


ROWS: list[OpInfo] = [
    # torch's math path: 3-D inputs, a float mask that requires grad
    OpInfo("sdpa_math_float_mask", lambda T, q, k, v, m: _sdpa(T, q, k, v, attn_mask=m),
           [(2, 3, 2), (2, 4, 2), (2, 4, 3), (3, 4)], "UnsafeViewBackward0",
           extra_nodes=("SafeSoftmaxBackward0", "MulBackward1", "BmmBackward0")),
    OpInfo("safe_softmax", lambda T, x: T._safe_softmax(x, -1), [(2, 3, 4)],
           "SafeSoftmaxBackward0"),
    OpInfo("multi_head_attention_forward", _mha, [(3, 2, 4), (12, 4), (12,), (4, 4), (4,)],
           "ViewBackward0", extra_nodes=("SoftmaxBackward0", "BmmBackward0")),
    OpInfo("multi_head_attention_forward_sdpa",
           lambda T, x, w, b, ow, ob: _mha(T, x, w, b, ow, ob, need_weights=False),
           [(3, 2, 4), (12, 4), (12,), (4, 4), (4,)], "ViewBackward0",
           extra_nodes=("ScaledDotProductFlashAttentionForCpuBackward0",), gradgrad=False,
           cmp_atol=1e-5, cmp_rtol=1e-4),   # float32: torch's kernel sums in another order
    OpInfo("local_response_norm_3d",
           lambda T, x: T.nn.functional.local_response_norm(x, 3, 0.5, 0.75, 1.0), [(2, 4, 3)],
           "DivBackward0", extra_nodes=("AvgPool2DBackward0",)),
    # (4-D and 5-D rows, through avg_pool3d: tests/op_db_pool3d.py)
    OpInfo("sdpa_flash", lambda T, q, k, v: _sdpa(T, q, k, v), [(1, 2, 3, 4)] * 3,
           "ScaledDotProductFlashAttentionForCpuBackward0", gradgrad=False),
    OpInfo("sdpa_flash_causal_scale", lambda T, q, k, v: _sdpa(T, q, k, v, is_causal=True,
                                                               scale=0.7),
           [(1, 2, 3, 4), (1, 2, 4, 4), (1, 2, 4, 4)],
           "ScaledDotProductFlashAttentionForCpuBackward0", gradgrad=False),
    OpInfo("sdpa_flash_bool_mask", lambda T, q, k, v: _sdpa(T, q, k, v, attn_mask=_bool_mask(T)),
           [(2, 1, 3, 2), (2, 1, 4, 2), (2, 1, 4, 2)],
           "ScaledDotProductFlashAttentionForCpuBackward0", gradgrad=False),
    OpInfo("sdpa_flash_gqa", lambda T, q, k, v: _sdpa(T, q, k, v, enable_gqa=True),
           [(1, 4, 2, 3), (1, 2, 3, 3), (1, 2, 3, 3)],
           "ScaledDotProductFlashAttentionForCpuBackward0", gradgrad=False),
]
