"""F.scaled_dot_product_attention as PyTorch 2.13's CPU build computes it.

Float inputs of 4 dims without dropout and without a mask that requires grad go to the fused
CPU flash kernel: one node, ``ScaledDotProductFlashAttentionForCpuBackward0``, saving query,
key, value, output and the row log-sum-exp. Everything else (3-D inputs, dropout, a mask that
requires grad, value head dim unlike the query's) takes PyTorch's math path, a composite of
public ops: q and k scaled by sqrt(scale), matmul, + mask, softmax (rows that are fully masked
give 0, as ``_safe_softmax``), dropout, matmul.
"""
from __future__ import annotations

import math

import numpy as np

from ... import _dtype as D
from ..._dispatch import public
from ...autograd.node import Node
from .._registry import export
from .._util import Tensor, make_node, needs_grad, quiet, wrap, wrap_dim
from ...autograd._record import RESULT, record
from ..activation.softmax import SoftmaxBackward0
from ..loss.regression import mul_scalar
from .dropout import dropout

__all__ = ["scaled_dot_product_attention", "_safe_softmax"]

_FLOATS = ("float32", "float64", "float16")
_F32 = np.float32   # float16 inputs: the CPU kernels compute in float and round the results
# the C++ type names torch's messages print
_CNAME = D.CPP_NAMES  # the one table, in _dtype.py


def _cname(t) -> str:
    name = str(t.dtype).replace("torch.", "")
    return _CNAME.get(name, name)


def _additive_mask(attn_mask, is_causal, L, S, dtype):
    """The mask as an additive float array (0 / -inf for bool masks and causal), or None."""
    add = None
    if attn_mask is not None:
        m = attn_mask._data
        if m.dtype == np.bool_:
            add = np.where(m, 0.0, -np.inf).astype(dtype)
        else:
            add = m.astype(dtype, copy=False)
    if is_causal:
        causal = np.where(np.tril(np.ones((L, S), dtype=bool)), 0.0, -np.inf).astype(dtype)
        add = causal if add is None else add + causal
    return add


def _group(k, hq):
    """Repeat the kv heads (dim -3) to ``hq`` heads (enable_gqa: repeat_interleave)."""
    hk = k.shape[-3]
    if k.ndim < 3 or hk == hq or hk == 1:
        return k
    return np.repeat(k, hq // hk, axis=-3)


def _reduce_to(ns, g, shape):
    """Sum the gradient of a broadcast or head-repeated input back to its ``shape``."""
    gshape = tuple(g.shape)
    if gshape == tuple(shape):
        return g
    lead = len(gshape) - len(shape)
    if lead:
        g = ns.sum_dims(g, tuple(range(lead)), False)
        gshape = gshape[lead:]
    if len(shape) >= 3 and shape[-3] not in (1, gshape[-3]):   # grouped heads
        r = gshape[-3] // shape[-3]
        g = ns.sum_dims(ns.reshape(g, gshape[:-3] + (shape[-3], r) + gshape[-2:]), (-3,), False)
        gshape = tuple(g.shape)
    dims = tuple(i for i, (a, b) in enumerate(zip(shape, gshape)) if a == 1 and b != 1)
    if dims:
        g = ns.sum_dims(g, dims, True)
    return g


class ScaledDotProductFlashAttentionForCpuBackward0(Node):
    """out = P @ v, P = softmax(scale * q @ k^T + mask) by rows (rows all masked give P = 0).
    dv = P^T g, dP = g v^T, dS = P * (dP - rowsum(g * out)), dq = scale dS k, dk = scale dS^T q.
    The probabilities are rebuilt as exp(S - lse) / rowsum(exp(S - lse)) (lse saved, constant):
    equal to the softmax, and differentiable in q and k through S for double backward."""
    __slots__ = ("dropout_p", "is_causal", "scale", "_scale", "_mask", "_hq")
    saved_names = ("attn_mask", "key", "query", "value", "logsumexp", "output")  # torch's order
    saved_attrs = {"dropout_p": "dropout_p", "is_causal": "is_causal", "scale": "scale"}

    def _probs(self, ns, q, k, lse):
        kk = _group(k, self._hq) if isinstance(k, np.ndarray) else self._group_t(ns, k)
        s = ns.matmul(q, ns.transpose(kk, -2, -1)) * self._scale
        if self._mask is not None:
            s = s + (self._mask if isinstance(s, np.ndarray) else ns.const(self._mask))
        if isinstance(lse, np.ndarray):
            lse_d = lse
        else:
            lse_d = lse._data
        finite = np.isfinite(lse_d)[..., None]
        shift = np.where(finite, lse_d[..., None], 0.0).astype(lse_d.dtype)
        keep = np.broadcast_to(finite, s.shape)
        zero = np.zeros((), lse_d.dtype)
        one = np.ones((), lse_d.dtype)
        if not isinstance(s, np.ndarray):
            shift, keep, zero, one, finite = (ns.const(a) for a in (shift, keep, zero, one,
                                                                     finite))
        e = ns.where(keep, ns.exp(s - shift), zero)
        denom = ns.where(finite, ns.sum_dims(e, (-1,), True), one)
        return e / denom, kk

    def _group_t(self, ns, k):
        hk = k.shape[-3] if len(k.shape) >= 3 else 1
        if len(k.shape) < 3 or hk in (1, self._hq):
            return k
        r = self._hq // hk
        sh = tuple(k.shape)
        k = ns.expand(ns.unsqueeze_dims(k, (len(sh) - 2,)), sh[:-2] + (r,) + sh[-2:])
        return ns.reshape(k, sh[:-3] + (sh[-3] * r,) + sh[-2:])

    def backward(self, ns, grad, mask, k, q, v, lse, out):
        if isinstance(grad, np.ndarray) and grad.dtype == np.float16:   # in float, as torch
            res = self._backward(ns, grad.astype(_F32), k.astype(_F32), q.astype(_F32),
                                 v.astype(_F32), lse, out.astype(_F32))
            return tuple(None if r is None else r.astype(np.float16) for r in res)
        return self._backward(ns, grad, k, q, v, lse, out)

    def _backward(self, ns, grad, k, q, v, lse, out):
        p, kk = self._probs(ns, q, k, lse)
        vv = _group(v, self._hq) if isinstance(v, np.ndarray) else self._group_t(ns, v)
        gq = gk = gv = None
        if self.needs(2):
            gv = _reduce_to(ns, ns.matmul(ns.transpose(p, -2, -1), grad), tuple(v.shape))
        if self.needs(0) or self.needs(1):
            dp = ns.matmul(grad, ns.transpose(vv, -2, -1))
            o = ns.matmul(p, vv) if not isinstance(grad, np.ndarray) else out
            ds = p * (dp - ns.sum_dims(grad * o, (-1,), True))
            if self.needs(0):
                gq = _reduce_to(ns, ns.matmul(ds, kk) * self._scale, tuple(q.shape))
            if self.needs(1):
                gk = _reduce_to(ns, ns.matmul(ns.transpose(ds, -2, -1), q) * self._scale,
                                tuple(k.shape))
        return gq, gk, gv

    def jvp(self, ns, tangents, mask, k, q, v, lse, out):
        if q.dtype == np.float16:   # in float, rounded to the output's float16
            up = [None if t is None else t.astype(_F32) for t in tangents]
            return self._jvp(ns, up, k.astype(_F32), q.astype(_F32), v.astype(_F32), lse,
                             out.astype(_F32)).astype(np.float16)
        return self._jvp(ns, tangents, k, q, v, lse, out)

    def _jvp(self, ns, tangents, k, q, v, lse, out):
        tq, tk, tv = tangents
        p, kk = self._probs(ns, q, k, lse)
        vv = _group(v, self._hq)
        res = np.zeros(out.shape, out.dtype)
        if tv is not None:
            res = res + p @ _group(np.broadcast_to(tv, v.shape), self._hq)
        ts = 0
        if tq is not None:
            ts = ts + (np.broadcast_to(tq, q.shape) @ np.swapaxes(kk, -2, -1)) * self._scale
        if tk is not None:
            tkk = _group(np.broadcast_to(tk, k.shape), self._hq)
            ts = ts + (q @ np.swapaxes(tkk, -2, -1)) * self._scale
        if tq is not None or tk is not None:
            tp = p * (ts - (p * ts).sum(-1, keepdims=True))
            res = res + tp @ vv
        return res


def _like_query(out, q):
    """The output in the query's memory layout when its last dim is dense (as the CPU kernel
    allocates it; MultiheadAttention's permute + reshape is then a view), else contiguous."""
    if q.strides[-1] != q.itemsize or q.flags.c_contiguous:
        return out
    order = sorted(range(q.ndim), key=lambda d: -q.strides[d])
    buf = np.ascontiguousarray(out.transpose(order))
    return buf.transpose(np.argsort(order))


def _flash_impl(query, key, value, user_add, scale, hq, is_causal, user_scale):
    q, k, v = query._data, key._data, value._data
    half = q.dtype == np.float16
    if half:   # the kernel's accumulation type; the output is rounded back, lse stays float
        q, k, v = q.astype(_F32), k.astype(_F32), v.astype(_F32)
    L, S = q.shape[-2], k.shape[-2]
    add = None if user_add is None else user_add.astype(q.dtype, copy=False)
    if is_causal:
        causal = _additive_mask(None, True, L, S, q.dtype)
        add = causal if add is None else add + causal
    kk, vv = _group(k, hq), _group(v, hq)
    s = (q @ np.swapaxes(kk, -2, -1)) * scale
    if add is not None:
        s = s + add
    with quiet():
        mx = s.max(-1, keepdims=True)
        finite = np.isfinite(mx)
        e = np.exp(s - np.where(finite, mx, 0))
        tot = e.sum(-1, keepdims=True)
        lse = np.where(finite, np.log(tot) + np.where(finite, mx, 0), -np.inf)
        p = np.where(finite, e / np.where(finite, tot, 1), 0)
    out = _like_query(np.asarray(p @ vv, dtype=query._data.dtype), query._data)
    # the kernel's (B, L, H) layout of the log-sum-exp
    lse = np.ascontiguousarray(np.asarray(lse[..., 0], dtype=q.dtype).swapaxes(1, 2)) \
        .swapaxes(1, 2)
    if not needs_grad(query, key, value):
        return wrap(out)
    node = make_node(ScaledDotProductFlashAttentionForCpuBackward0, (query, key, value), out)
    node.dropout_p, node.is_causal, node.scale = 0.0, bool(is_causal), user_scale
    node._scale, node._hq = scale, hq
    node._mask = add
    result = wrap(out, node)
    mask = None if user_add is None else wrap(user_add)
    node.save(mask, key, query, value, wrap(lse), result)
    return result


# the fused kernel as an op of its own (forward AD uses its node's rule; no batching rule)
_flash = public(_flash_impl, "_scaled_dot_product_flash_attention_for_cpu")


class SafeSoftmaxBackward0(SoftmaxBackward0):
    """softmax's formula, y (g - sum(g y, dim)); rows of y that are all 0 (fully masked) get
    a zero gradient by it."""
    __slots__ = ()


@export(torch="_safe_softmax", vmap="softmax")
def _safe_softmax(input, dim, dtype=None):
    """softmax along ``dim`` that gives 0 (not NaN) on slices that are all -inf."""
    if dtype is not None:
        input = input.to(dtype)
    x = input._data
    d = wrap_dim(dim, x.ndim)
    dims = (d,) if x.ndim else ()
    with quiet():
        dead = np.isneginf(x).all(axis=dims, keepdims=True) if x.ndim else np.isneginf(x)
        z = np.where(dead, 0, x - np.max(x, axis=dims, keepdims=True))
        e = np.exp(z)
        out = np.where(dead, 0, e / np.sum(e, axis=dims, keepdims=True))
    out = np.asarray(out, dtype=x.dtype)
    return record(SafeSoftmaxBackward0, (input,), out, RESULT, dim=dim, dims=dims)


def _math(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa):
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if query.dtype == D.float16:   # PyTorch's math path computes half inputs in float
        out = _math(query.to(D.float32), key.to(D.float32), value.to(D.float32), attn_mask,
                    dropout_p, is_causal, scale, enable_gqa)
        return out.to(D.float16)
    sq = math.sqrt(scale)
    L, S = query.shape[-2], key.shape[-2]
    if enable_gqa and query.dim() >= 3 and key.shape[-3] != query.shape[-3]:
        r = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(r, -3)
        value = value.repeat_interleave(r, -3)
    q = mul_scalar(query, sq)
    s = q @ mul_scalar(key.transpose(-2, -1), sq)
    add = _additive_mask(attn_mask if attn_mask is None or attn_mask.dtype == D.bool_ else None,
                         is_causal, L, S, query._data.dtype)
    if add is not None:
        s = s + wrap(add)
    if attn_mask is not None and attn_mask.dtype != D.bool_:
        s = s + attn_mask
    p = _safe_softmax(s, -1)
    if dropout_p > 0.0:
        p = dropout(p, dropout_p, True)
    return p @ value


@export(torch=False, functional=True, composite=True)
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(q @ k^T * scale + mask) @ v over the last two dims."""
    for name, t, pos in (("query", query, 1), ("key", key, 2), ("value", value, 3)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' (position {pos}) "
                            f"must be Tensor, not {type(t).__name__}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {_cname(query)} key.dtype: {_cname(key)} and "
                           f"value.dtype: {_cname(value)} instead.")
    if attn_mask is not None and attn_mask.dtype != D.bool_ and attn_mask.dtype != query.dtype:
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: {_cname(attn_mask)} and  query.dtype: "
                           f"{_cname(query)} instead.")
    E = query.shape[-1]
    sc = float(scale) if scale is not None else 1.0 / math.sqrt(E)
    L, S = query.shape[-2], key.shape[-2]
    fused = (query.dim() == key.dim() == value.dim() == 4 and dropout_p == 0.0
             and str(query._data.dtype) in _FLOATS
             and key.shape[-1] == E and value.shape[-1] == E
             and (attn_mask is None or not attn_mask.requires_grad)
             and L > 0 and S > 0)
    if fused:
        hq = query.shape[-3]
        hk = key.shape[-3]
        if (value.shape[-3] != hk or query.shape[0] != key.shape[0] != value.shape[0]
                or (hk != hq and not (enable_gqa and hq % hk == 0))
                or (attn_mask is not None and attn_mask.dim() not in (2, 4))):
            fused = False
    if fused:
        add = _additive_mask(attn_mask, False, L, S, query._data.dtype)
        if add is not None:
            try:
                np.broadcast_shapes(add.shape, tuple(query.shape[:-1]) + (S,))
            except ValueError:
                fused = False
    if fused:
        return _flash(query, key, value, add, sc, query.shape[-3], is_causal, scale)
    return _math(query, key, value, attn_mask, dropout_p, is_causal, sc, enable_gqa)
