"""NumPy kernels of the fused LSTM layer (``mkldnn_rnn_layer`` and its first-order backward).

Why the layout: a NumPy call on small arrays costs ~1 us when its operands are contiguous and
~3 us when NumPy has to build an iterator (a strided slice such as one gate's columns of a
(batch, 4*hidden) block). So the gate pre-activations live gate-major per step,
``G[step, gate]`` a contiguous (batch, hidden) block, with the gates in the internal order
(i, f, o, g): the three sigmoid gates are one contiguous (3, batch, hidden) block. The GEMMs
are batched per gate (``np.matmul`` of (batch, hidden) by (4, hidden, hidden)), which OpenBLAS
also runs faster than one (batch, hidden) x (hidden, 4*hidden) product at these sizes.

Everything is stored in processing order (step k is time k, or T-1-k for ``reverse``).

The workspace (``result3``, retrograd's layout, not oneDNN's) is one flat array:
``G`` (T, 4, B, H) the gate activations in the order (i, f, o, g), ``C`` (T+1, B, H) the cell
states with ``C[0] = cx``, ``TC`` (T, B, H) = tanh(C[1:]).
"""
from __future__ import annotations

import numpy as np

# (the internal gate j is PyTorch's gate (0, 1, 3, 2)[j]; PyTorch's order is i, f, g, o)


def _views(ws, T: int, B: int, H: int):
    n_g, n_c = T * 4 * B * H, (T + 1) * B * H
    return (ws[:n_g].reshape(T, 4, B, H), ws[n_g:n_g + n_c].reshape(T + 1, B, H),
            ws[n_g + n_c:].reshape(T, B, H))


def _gate_blocks(w, H: int, dt):
    """(4H, K) PyTorch weight -> (4, K, H): gate j's block transposed, internal order, the
    sigmoid gates scaled by 1/2 (sigmoid(z) = (tanh(z/2) + 1) / 2)."""
    src = w.reshape(4, H, w.shape[1]).transpose(0, 2, 1)
    out = np.empty((4, w.shape[1], H), dtype=dt)
    np.multiply(src[:2], 0.5, out=out[:2])
    np.multiply(src[3], 0.5, out=out[2])
    out[3] = src[2]
    return out


def lstm_forward(x, w_ih, w_hh, bias, hx, cx, reverse: bool):
    """One layer over x (T, B, I): (out (T, B, H) in time order, hy, cy, workspace).
    ``bias`` is b_ih + b_hh, or None."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    ws = np.empty(T * B * 6 * H + B * H, dtype=dt)
    G, C, TC = _views(ws, T, B, H)
    xp = x[::-1] if reverse else x
    # the input projection of every step at once, straight into the gate-major layout; the
    # bias rides along as a column of ones appended to x (cheaper than adding it after)
    if bias is not None:
        xa = np.empty((T, B, I + 1), dtype=dt)
        xa[..., :I] = xp
        xa[..., I] = 1
        np.matmul(xa[:, None], _gate_blocks(np.concatenate([w_ih, bias[:, None]], 1), H, dt),
                  out=G)
    else:
        np.matmul(xp[:, None], _gate_blocks(w_ih, H, dt), out=G)
    whh = _gate_blocks(w_hh, H, dt)
    out = np.empty((T, B, H), dtype=dt)
    outp = out[::-1] if reverse else out
    C[0] = cx
    h = hx
    t4 = np.empty((4, B, H), dtype=dt)
    tmp = np.empty((B, H), dtype=dt)
    half = dt.type(0.5)              # (a Python float operand costs NumPy ~1 us more a call)
    for k in range(T):
        a = G[k]
        np.matmul(h, whh, out=t4)
        a += t4
        np.tanh(a, out=a)            # tanh(z) for g, tanh(z/2) for i, f, o
        s = a[:3]
        s *= half
        s += half                    # i, f, o = sigmoid
        c = C[k + 1]
        np.multiply(a[1], C[k], out=c)
        np.multiply(a[0], a[3], out=tmp)
        c += tmp                     # c = f c_prev + i g
        tc = TC[k]
        np.tanh(c, out=tc)
        h = outp[k]
        np.multiply(tc, a[2], out=h)   # h = o tanh(c)
    hy = np.array(h, dtype=dt)
    return out, hy, C[T].copy(), ws


def lstm_backward(g_out, g_hy, g_cy, x, w_ih, w_hh, hx, out, ws, reverse: bool, needs):
    """Backpropagation through time from the workspace: (dx, dW_ih, dW_hh, db, dhx, dcx); dx,
    dW_ih, dW_hh, db are None unless ``needs`` (Node.needs: by input index) asks for them.

    Per step, with dc, dh flowing back: dc += dh o (1 - tanh^2 c); the pre-activation gradient
    dA = (dc g i(1-i), dc c_prev f(1-f), dc i (1-g^2), dh tanh(c) o(1-o)) (PyTorch's gate order),
    dc_prev = dc f, dh_prev = dA W_hh. The factors that do not depend on dc, dh are computed for
    all the steps at once first; dW_ih, dW_hh and db are one (per-gate batched) GEMM each after
    the loop."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    G, C, TC = _views(ws, T, B, H)
    i, f, o, g = G[:, 0], G[:, 1], G[:, 2], G[:, 3]
    # the gradients dA of the pre-activations, gate-major in PyTorch's order (i, f, g, o):
    # dA[j] is a contiguous (T, B, H) block, per step dA[j, k] a contiguous (B, H) one, and
    # dA[j] as a (T*B, H) matrix gives gate j's rows of dW_ih, dW_hh in one GEMM each
    dA = np.empty((4, T, B, H), dtype=dt)
    # the factors of dc in dA_i, dA_f, dA_g: g i (1-i), c_prev f (1-f), i (1-g^2)
    q = np.empty((3, T, B, H), dtype=dt)
    np.subtract(1, i, out=q[0])
    q[0] *= i
    q[0] *= g
    np.subtract(1, f, out=q[1])
    q[1] *= f
    q[1] *= C[:-1]
    np.multiply(g, g, out=q[2])
    np.subtract(1, q[2], out=q[2])
    q[2] *= i
    qo = np.subtract(1, o)                   # the factor of dh in dA_o: tanh(c) o (1 - o)
    qo *= o
    qo *= TC
    r = np.multiply(TC, TC)                  # the factor of dh in dc: o (1 - tanh^2 c)
    np.subtract(1, r, out=r)
    r *= o
    w4 = w_hh.reshape(4, H, H)
    if g_out is not None and not g_out.flags.c_contiguous:
        g_out = np.ascontiguousarray(g_out)
    gop = None if g_out is None else (g_out[::-1] if reverse else g_out)
    dh = np.zeros((B, H), dt) if g_hy is None else np.array(g_hy, dtype=dt)
    dc = np.zeros((B, H), dt) if g_cy is None else np.array(g_cy, dtype=dt)
    tmp = np.empty((B, H), dtype=dt)
    t4 = np.empty((4, B, H), dtype=dt)
    dA_i, dA_f, dA_g, dA_o = dA
    q_i, q_f, q_g = q
    for k in range(T - 1, -1, -1):
        if gop is not None:
            dh += gop[k]
        np.multiply(dh, r[k], out=tmp)
        dc += tmp
        np.multiply(dc, q_i[k], out=dA_i[k])
        np.multiply(dc, q_f[k], out=dA_f[k])
        np.multiply(dc, q_g[k], out=dA_g[k])
        np.multiply(dh, qo[k], out=dA_o[k])
        dc *= f[k]
        # dh = dA[k] W_hh as four (B, H) x (H, H) products, summed
        np.matmul(dA[:, k], w4, out=t4)
        np.add.reduce(t4, axis=0, out=dh)
    dAg = dA.reshape(4, T * B, H)
    xp = x[::-1] if reverse else x
    dx = dw_ih = dw_hh = db = None
    if needs(0):
        dx = np.add.reduce(np.matmul(dAg, w_ih.reshape(4, H, I)), axis=0).reshape(T, B, I)
        if reverse:
            dx = np.ascontiguousarray(dx[::-1])
    if needs(1):
        dw_ih = np.empty((4 * H, I), dtype=dt)
        np.matmul(dAg.transpose(0, 2, 1), xp.reshape(T * B, I), out=dw_ih.reshape(4, H, I))
    if needs(2):
        outp = out[::-1] if reverse else out
        hp = np.empty((T, B, H), dtype=dt)     # h_prev of each step
        if T:
            hp[0] = hx
            hp[1:] = outp[:-1]
        dw_hh = np.empty((4 * H, H), dtype=dt)
        np.matmul(dAg.transpose(0, 2, 1), hp.reshape(T * B, H), out=dw_hh.reshape(4, H, H))
    if needs(3) or needs(4):
        db = np.matmul(np.ones(T * B, dtype=dt), dAg).reshape(4 * H)
    return dx, dw_ih, dw_hh, db, dh, dc
