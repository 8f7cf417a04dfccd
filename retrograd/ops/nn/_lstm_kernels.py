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

# internal gate j is PyTorch's gate _PERM[j] (PyTorch: i, f, g, o)
_PERM = (0, 1, 3, 2)


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
    # the input projection of every step at once, straight into the gate-major layout
    np.matmul(xp[:, None], _gate_blocks(w_ih, H, dt), out=G)
    if bias is not None:
        b = bias.reshape(4, 1, H)
        b4 = np.empty((4, 1, H), dtype=dt)
        np.multiply(b[:2], 0.5, out=b4[:2])
        np.multiply(b[3], 0.5, out=b4[2])
        b4[3] = b[2]
        G += b4
    whh = _gate_blocks(w_hh, H, dt)
    out = np.empty((T, B, H), dtype=dt)
    outp = out[::-1] if reverse else out
    C[0] = cx
    h = hx
    t4 = np.empty((4, B, H), dtype=dt)
    tmp = np.empty((B, H), dtype=dt)
    for k in range(T):
        a = G[k]
        np.matmul(h, whh, out=t4)
        a += t4
        np.tanh(a, out=a)            # tanh(z) for g, tanh(z/2) for i, f, o
        s = a[:3]
        s *= 0.5
        s += 0.5                     # i, f, o = sigmoid
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
    """Backpropagation through time from the workspace: (dx, dW_ih, dW_hh, db, dhx, dcx), each
    None unless ``needs`` (a function of the input index, as Node.needs) asks for it.

    Per step, with dc, dh flowing back: dc += dh o (1 - tanh^2 c); the pre-activation gradient
    dA = (dc g i(1-i), dc c_prev f(1-f), dc i (1-g^2), dh tanh(c) o(1-o)) (PyTorch's gate order),
    dc_prev = dc f, dh_prev = dA W_hh. The factors that do not depend on dc, dh are computed for
    all the steps at once first; dW_ih, dW_hh and db are one GEMM each after the loop."""
    T, B, I = x.shape
    H = w_hh.shape[1]
    dt = x.dtype
    G, C, TC = _views(ws, T, B, H)
    i, f, o, g = G[:, 0], G[:, 1], G[:, 2], G[:, 3]
    q = np.empty((T, B, 3, H), dtype=dt)     # the factors of dc in dA_i, dA_f, dA_g
    t1 = np.empty((T, B, H), dtype=dt)
    np.subtract(1, i, out=t1)
    t1 *= i
    np.multiply(t1, g, out=q[:, :, 0])
    np.subtract(1, f, out=t1)
    t1 *= f
    np.multiply(t1, C[:-1], out=q[:, :, 1])
    np.multiply(g, g, out=t1)
    np.subtract(1, t1, out=t1)
    np.multiply(t1, i, out=q[:, :, 2])
    qo = np.subtract(1, o)                   # the factor of dh in dA_o: tanh(c) o (1 - o)
    qo *= o
    qo *= TC
    r = np.multiply(TC, TC)                  # the factor of dh in dc: o (1 - tanh^2 c)
    np.subtract(1, r, out=r)
    r *= o
    dA = np.empty((T, B, 4 * H), dtype=dt)
    dA4 = dA.reshape(T, B, 4, H)
    w4 = w_hh.reshape(4, H, H)
    gop = None if g_out is None else (g_out[::-1] if reverse else g_out)
    dh = np.zeros((B, H), dt) if g_hy is None else np.array(g_hy, dtype=dt)
    dc = np.zeros((B, H), dt) if g_cy is None else np.array(g_cy, dtype=dt)
    tmp = np.empty((B, H), dtype=dt)
    t4 = np.empty((4, B, H), dtype=dt)
    for k in range(T - 1, -1, -1):
        if gop is not None:
            dh += gop[k]
        np.multiply(dh, r[k], out=tmp)
        dc += tmp
        np.multiply(dc[:, None, :], q[k], out=dA4[k, :, :3])
        np.multiply(dh, qo[k], out=dA4[k, :, 3])
        dc *= f[k]
        # dh = dA[k] W_hh as four (B, H) x (H, H) products, summed
        np.matmul(dA4[k].transpose(1, 0, 2), w4, out=t4)
        np.add.reduce(t4, axis=0, out=dh)
    dA2 = dA.reshape(T * B, 4 * H)
    xp = x[::-1] if reverse else x
    dx = None
    if needs(0):
        dx = (dA2 @ w_ih).reshape(T, B, I)
        if reverse:
            dx = np.ascontiguousarray(dx[::-1])
    dw_ih = dA2.T @ xp.reshape(T * B, I) if needs(1) else None
    dw_hh = None
    if needs(2):
        outp = out[::-1] if reverse else out
        hp = np.empty((T, B, H), dtype=dt)     # h_prev of each step
        if T:
            hp[0] = hx
            hp[1:] = outp[:-1]
        dw_hh = dA2.T @ hp.reshape(T * B, H)
    db = np.ones(T * B, dtype=dt) @ dA2 if needs(3) or needs(4) else None
    return dx, dw_ih, dw_hh, db, dh, dc
