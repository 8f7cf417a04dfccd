"""The recurrent kernels behind nn.RNN/LSTM/GRU and their cells (PyTorch's ``_VF.lstm``,
``_VF.gru``, ``_VF.rnn_tanh``, ``_VF.lstm_cell``, ...), built from public ops node for node as
PyTorch's CPU implementation (aten/src/ATen/native/RNN.cpp) builds them, so the graph has
PyTorch's nodes: the input projection of the whole sequence is one F.linear (one GEMM), split
into steps by unbind; each step is one addmm with W_hh plus the gate arithmetic on the stacked
(batch, k*hidden) block, split by unsafe_chunk.

float32 LSTMs without projections take PyTorch's oneDNN path instead: one fused
``mkldnn_rnn_layer`` per layer and direction (``MkldnnRnnLayerBackward0``), as torch 2.13 on CPU.
"""
from __future__ import annotations

import numpy as np

from ... import _creation
from ... import _warn
from ..._dispatch import active_modes
from ...ops.elementwise.unary_core import relu, tanh
from ... import ops as _ops  # noqa: F401 - every op registered
from ...ops.linalg.matmul import matmul, mm
from ...ops.linalg.addmm import addmm, addmm_rows
from ...ops.nn.rnn import mkldnn_rnn_layer, unsafe_chunk
from ...ops.shape.basic import t, transpose
from ...ops.shape.join import cat, stack, unbind
from .. import functional as F

_state = {"proj_warned": False}  # TORCH_WARN_ONCE of the oneDNN projection fallback


def _linear(x, w, b):
    """at::linear on a 2-D input: addmm (mm without bias), W seen through TBackward0."""
    return mm(x, t(w)) if b is None else addmm(b, x, t(w))


class _HiddenProduct:
    """``h @ W_hh^T + b_hh`` at every step of one layer's recurrence, the products taken on one
    C-ordered copy of W_hh^T made per layer call (NumPy's product with the transposed view is
    2-3x slower at RNN batch sizes: 16x128 by 128x384 float32 40 -> 15 us, the copy ~30 us),
    recorded exactly as ``_linear``'s addmm (the same TBackward0 and AddmmBackward0 nodes).
    Falls back to ``_linear`` when a mode is active (forward AD, vmap, dispatch modes see the
    public ops) or W_hh changed in place since the copy."""
    __slots__ = ("w", "b", "rows", "version")

    def __init__(self, w, b):
        self.w, self.b = w, b
        self.rows = np.ascontiguousarray(w._data.T)
        self.version = w._version

    def __call__(self, h):
        w = self.w
        if active_modes() or w._version != self.version:
            return _linear(h, w, self.b)
        return addmm_rows(self.b, h, t(w), self.rows)


def _with_hidden_product(p, steps: int):
    """``p`` with a _HiddenProduct appended where it pays: several steps, W_hh and b_hh floating
    matrices of one dtype (addmm's plain case), no mode active."""
    w_hh, b_hh = p[1], p[3]
    if (steps < 4 or b_hh is None or active_modes() or w_hh.ndim != 2 or b_hh.ndim != 1 or
            w_hh.dtype != b_hh.dtype or not w_hh.dtype.is_floating_point):
        return p
    return (*p[:5], _HiddenProduct(w_hh, b_hh))


def _hh(h, p):
    """The hidden projection of one step: p's _HiddenProduct when the layer made one."""
    return p[5](h) if len(p) > 5 else _linear(h, p[1], p[3])


# -- cells: (pre-computed input projection or raw input, hidden, params) -> hidden ---------------
def rnn_cell(x, h, p, act, pre: bool):
    w_ih, w_hh, b_ih, b_hh = p[:4]
    xw = x if pre else _linear(x, w_ih, b_ih)
    return act(_hh(h, p) + xw)


def lstm_cell(x, hidden, p, pre: bool):
    w_ih, w_hh, b_ih, b_hh, w_hr = p[:5]
    hx, cx = hidden
    gates = _hh(hx, p) + (x if pre else _linear(x, w_ih, b_ih))
    i, f, g, o = unsafe_chunk(gates, 4, 1)
    i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
    cy = f * cx + i * g
    hy = o * cy.tanh()
    if w_hr is not None:
        hy = matmul(hy, t(w_hr))
    return hy, cy


def gru_cell(x, h, p, pre: bool):
    w_ih, w_hh, b_ih, b_hh = p[:4]
    ig = unsafe_chunk(x if pre else _linear(x, w_ih, b_ih), 3, 1)
    hg = unsafe_chunk(_hh(h, p), 3, 1)
    r = (hg[0] + ig[0]).sigmoid()
    z = (hg[1] + ig[1]).sigmoid()
    n = (ig[2] + hg[2] * r).tanh()
    return (h - n) * z + n


def _cell_fn(mode: str):
    if mode == "LSTM":
        return lstm_cell
    if mode == "GRU":
        return gru_cell
    act = tanh if mode == "RNN_TANH" else relu
    return lambda x, h, p, pre: rnn_cell(x, h, p, act, pre)


def _as_output(mode: str, hidden):
    return hidden[0] if mode == "LSTM" else hidden


def _slice(mode: str, hidden, start: int, stop: int):
    if mode == "LSTM":
        return hidden[0].narrow(0, start, stop - start), hidden[1].narrow(0, start, stop - start)
    return hidden.narrow(0, start, stop - start)


def _concat(mode: str, hiddens):
    if mode == "LSTM":
        return cat([h[0] for h in hiddens], 0), cat([h[1] for h in hiddens], 0)
    return cat(list(hiddens), 0)


# -- layers over a (seq_len, batch, features) sequence -----------------------------------------
def _full_layer(mode, cell, x, hidden, p, reverse=False):
    steps = unbind(F.linear(x, p[0], p[2]), 0)
    if not steps:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    p = _with_hidden_product(p, len(steps))
    outs = []
    for s in (reversed(steps) if reverse else steps):
        hidden = cell(s, hidden, p, True)
        outs.append(_as_output(mode, hidden))
    if reverse:
        outs.reverse()
    return stack(outs, 0), hidden


def _packed_layer(mode, cell, data, batch_sizes, hidden, p):
    xw = F.linear(data, p[0], p[2])
    p = _with_hidden_product(p, len(batch_sizes))
    outs, finals, offset, last = [], [], 0, batch_sizes[0]
    for bs in batch_sizes:
        step = xw.narrow(0, offset, bs)
        offset += bs
        dec = last - bs
        if dec > 0:
            finals.append(_slice(mode, hidden, last - dec, last))
            hidden = _slice(mode, hidden, 0, last - dec)
        last = bs
        hidden = cell(step, hidden, p, True)
        outs.append(_as_output(mode, hidden))
    finals.append(hidden)
    finals.reverse()
    return cat(outs, 0), _concat(mode, finals)


def _reversed_packed_layer(mode, cell, data, batch_sizes, full_hidden, p):
    xw = F.linear(data, p[0], p[2])
    p = _with_hidden_product(p, len(batch_sizes))
    outs, offset = [], xw.shape[0]
    last = batch_sizes[-1]
    hidden = _slice(mode, full_hidden, 0, last)
    for bs in reversed(batch_sizes):
        if bs - last > 0:
            hidden = _concat(mode, [hidden, _slice(mode, full_hidden, last, bs)])
        step = xw.narrow(0, offset - bs, bs)
        offset -= bs
        last = bs
        hidden = cell(step, hidden, p, True)
        outs.append(_as_output(mode, hidden))
    outs.reverse()
    return cat(outs, 0), hidden


def _layer(mode, cell, x, batch_sizes, hiddens, params):
    """One layer, one or two directions: (output, [final hidden per direction])."""
    if batch_sizes is None:
        out, h = _full_layer(mode, cell, x, hiddens[0], params[0])
        if len(params) == 1:
            return out, [h]
        rev, hr = _full_layer(mode, cell, x, hiddens[1], params[1], reverse=True)
    else:
        out, h = _packed_layer(mode, cell, x, batch_sizes, hiddens[0], params[0])
        if len(params) == 1:
            return out, [h]
        rev, hr = _reversed_packed_layer(mode, cell, x, batch_sizes, hiddens[1], params[1])
    return cat([out, rev], out.ndim - 1), [h, hr]


def _dropout(x, p: float):
    """at::dropout on CPU: x * (bernoulli(1 - p) / (1 - p)), or x * 0 for p = 1 (MulBackward0)."""
    if p == 1:
        return x * _creation.zeros((), dtype=x.dtype)
    noise = _creation.empty(tuple(x.shape), dtype=x.dtype)
    noise.bernoulli_(1 - p)
    noise.div_(1 - p)
    return x * noise


def gather_params(mode: str, flat_weights, has_biases: bool, proj: bool, num_entries: int):
    """[(w_ih, w_hh, b_ih, b_hh, w_hr)] per layer and direction (None where absent)."""
    per = (4 if has_biases else 2) + (1 if proj else 0)
    groups = []
    for k in range(num_entries):
        ws = list(flat_weights[k * per:(k + 1) * per])
        w_ih, w_hh = ws[0], ws[1]
        b_ih, b_hh = (ws[2], ws[3]) if has_biases else (None, None)
        w_hr = ws[-1] if proj else None
        groups.append((w_ih, w_hh, b_ih, b_hh, w_hr))
    return groups


def _use_mkldnn(mode: str, x, params, batch_sizes) -> bool:
    if mode != "LSTM" or batch_sizes is not None or x.numel() == 0:
        return False
    if str(x.dtype) != "torch.float32":
        return False
    if params[0][4] is not None:
        if not _state["proj_warned"]:
            _state["proj_warned"] = True
            _warn.warn("LSTM with projections is not supported with oneDNN. Using default "
                       "implementation. (Triggered internally at "
                       "/__w/pytorch/pytorch/aten/src/ATen/native/RNN.cpp:1512.)", UserWarning)
        return False
    return True


def _mkldnn_lstm(x, hx, cx, params, has_biases, num_layers, dropout, train, bidirectional,
                 batch_first):
    """PyTorch's mkldnn_rnn: one fused mkldnn_rnn_layer per layer and direction."""
    if batch_first:
        x = transpose(x, 0, 1)
    x = x.contiguous()
    dirs = 2 if bidirectional else 1
    hys, cys = [], []
    layer_input = x
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            w_ih, w_hh, b_ih, b_hh, _ = params[k]
            if not has_biases:
                b_ih = b_hh = _creation.zeros_like(w_ih)
            out, hy, cy, _ = mkldnn_rnn_layer(
                layer_input, w_ih, w_hh, b_ih, b_hh, hx[k], cx[k], d > 0, [], 2,
                w_hh.shape[1], num_layers, has_biases, bidirectional, batch_first, train)
            outs.append(out)
            hys.append(hy)
            cys.append(cy)
        layer_input = outs[0] if dirs == 1 else cat(outs, -1)
        if dropout != 0 and train and layer < num_layers - 1:
            layer_input = _dropout(layer_input, dropout)
    out = layer_input
    if batch_first:
        out = transpose(out, 0, 1)
    return out, stack(hys, 0), stack(cys, 0)


def run(mode: str, input, hx, flat_weights, has_biases: bool, num_layers: int, dropout: float,
        train: bool, bidirectional: bool, batch_first: bool, batch_sizes=None, proj=False):
    """The whole multi-layer recurrence (``_VF.lstm`` / ``gru`` / ``rnn_tanh`` / ``rnn_relu``).
    ``hx`` is a tensor, or (h0, c0) for LSTM; ``batch_sizes`` a list of ints for packed data.
    Returns (output, h_n) or (output, h_n, c_n)."""
    dirs = 2 if bidirectional else 1
    if mode == "LSTM" and (hx[0].shape[-1] != hx[1].shape[-1]) != proj:
        # PyTorch infers projections from h0/c0's sizes; the weights then do not group
        raise RuntimeError("got an incorrect number of RNN parameters")
    params = gather_params(mode, flat_weights, has_biases, proj, num_layers * dirs)
    if batch_sizes is None and _use_mkldnn(mode, input, params, batch_sizes):
        return _mkldnn_lstm(input, hx[0], hx[1], params, has_biases, num_layers, dropout, train,
                            bidirectional, batch_first)
    x = input
    if batch_sizes is None and batch_first:
        x = transpose(x, 0, 1)
    if mode == "LSTM":
        hiddens = list(zip(unbind(hx[0], 0), unbind(hx[1], 0)))
    else:
        hiddens = list(unbind(hx, 0))
    cell = _cell_fn(mode)
    finals = []
    for layer in range(num_layers):
        k = layer * dirs
        x, hs = _layer(mode, cell, x, batch_sizes, hiddens[k:k + dirs], params[k:k + dirs])
        finals.extend(hs)
        if dropout != 0 and train and layer < num_layers - 1:
            x = _dropout(x, dropout)
    if batch_sizes is None and batch_first:
        # PyTorch: the LSTM output is transposed (TransposeBackward0), the GRU/RNN output
        # transposed in place (TransposeBackward1)
        x = transpose(x, 0, 1) if mode == "LSTM" else x.transpose_(0, 1)
    if mode == "LSTM":
        return x, stack([h[0] for h in finals], 0), stack([h[1] for h in finals], 0)
    return x, stack(finals, 0)
