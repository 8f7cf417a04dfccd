"""Ops under the recurrent layers: ``unsafe_split``/``unsafe_chunk`` (the gate split of PyTorch's
cells) and ``mkldnn_rnn_layer``, the fused LSTM layer PyTorch's CPU ``nn.LSTM`` records for
float32 (``MkldnnRnnLayerBackward0``).

The other recurrent graphs (GRU, RNN, float64 LSTM, packed sequences, projections) are built by
``retrograd/nn/modules/_rnn_impl.py`` from public ops, node for node as PyTorch's CPU kernels do.
"""
from __future__ import annotations

import numpy as np

from ..._quiet import quiet
from ...autograd.node import Node
from .._registry import dims, export
from .._util import Tensor, u64, wrap
from ...autograd._record import record1
from ..linalg._common import _MultiOutputBackward, multi_output
from ._lstm_kernels import lstm_backward, lstm_forward
from ..shape.splits import _split_pieces, checked_split_sizes, chunk_size, int_split_sizes


# -- unsafe_split / unsafe_chunk ------------------------------------------------------------------
class UnsafeSplitBackward0(Node):
    """unsafe_split: the pieces' gradients concatenated back along dim (zeros where a piece got
    none). Unlike split, the pieces are not tracked as views of the input."""
    __slots__ = ("dim", "sizes", "num_outputs", "piece_shapes")
    saved_attrs = {"dim": lambda n: u64(n.dim), "self_sym_sizes": Node.input_shape,
                   "split_size": "sizes"}

    def apply(self, ns, grads, as_tensors):
        filled = [g if g is not None else ns.zeros(s, self._dtype)
                  for g, s in zip(grads, self.piece_shapes)]
        return (ns.cat(filled, self.dim),)

    def jvp(self, ns, tangents):
        """JVP: the input's tangent split the same way, one piece per output."""
        t = tangents[0]
        d = self.dim % t.ndim
        pre = (slice(None),) * d
        pieces, start = [], 0
        for s in self.piece_shapes:
            pieces.append(t[pre + (slice(start, start + s[d]),)])
            start += s[d]
        return tuple(pieces)


class UnsafeSplitWithSizesBackward0(UnsafeSplitBackward0):
    __slots__ = ()
    saved_attrs = {"dim": lambda n: u64(n.dim), "self_sym_sizes": Node.input_shape,
                   "split_sizes": lambda n: tuple(n.sizes)}


def _unsafe_pieces(input, cls, d: int, sizes, dim, saved_sizes) -> tuple:
    return _split_pieces(input, cls, d, sizes, dim, saved_sizes, view=False)


@export(method=True, vmap=dims('dim'))
def unsafe_split(input, split_size, dim=0):
    """split without view tracking (PyTorch's ``unsafe_split``): one UnsafeSplitBackward0."""
    d, sizes = int_split_sizes(input._data, int(split_size), dim)
    return _unsafe_pieces(input, UnsafeSplitBackward0, d, sizes, dim, int(split_size))


@export(method=True, vmap=dims('dim'))
def unsafe_split_with_sizes(input, split_sizes, dim=0):
    d, sizes = checked_split_sizes(input._data, split_sizes, dim)
    return _unsafe_pieces(input, UnsafeSplitWithSizesBackward0, d, sizes, dim, sizes)


@export(method=True, vmap=dims('dim'))
def unsafe_chunk(input, chunks, dim=0):
    size = chunk_size(input._data, chunks, dim)
    if size == 0:   # an empty dim: `chunks` empty pieces
        return unsafe_split_with_sizes(input, [0] * chunks, dim)
    return unsafe_split(input, size, dim)


# -- the fused LSTM layer -------------------------------------------------------------------------
def _lstm_forward(ns, x, w_ih, w_hh, b_ih, b_hh, hx, cx, reverse: bool, has_biases: bool):
    """The layer's forward on ``ns`` values: gate activations (i, f, g, o) per step, the cell
    states and hidden states in processing order. Used by the differentiable backward."""
    T = x.shape[0]
    H = hx.shape[-1]
    xw = ns.matmul(x, ns.transpose(w_ih, 0, 1))
    if has_biases:
        xw = xw + (b_ih + b_hh)
    w_hh_t = ns.transpose(w_hh, 0, 1)
    h, c = hx, cx
    acts, cs, hs = {}, {}, {}
    for t in (range(T - 1, -1, -1) if reverse else range(T)):
        a = xw[t] + ns.matmul(h, w_hh_t)
        i, f = ns.sigmoid(a[:, :H]), ns.sigmoid(a[:, H:2 * H])
        g, o = ns.tanh(a[:, 2 * H:3 * H]), ns.sigmoid(a[:, 3 * H:])
        c = f * c + i * g
        h = o * ns.tanh(c)
        acts[t], cs[t], hs[t] = (i, f, g, o), c, h
    return acts, cs, hs


class MkldnnRnnLayerBackward0(_MultiOutputBackward):
    """One LSTM layer over a whole sequence (PyTorch's ``mkldnn_rnn_layer``), backpropagated
    through time: per step, with dc, dh flowing back, do = dh tanh(c), dc += dh o (1 - tanh^2 c),
    di = dc g, df = dc c_prev, dg = dc i, dc_prev = dc f; the pre-activation gradients dA (one
    (B, 4H) block per step) give dh_prev = dA W_hh, and after the loop one GEMM each:
    dx = dA W_ih, dW_ih = dA^T x, dW_hh = dA^T h_prev, db = sum dA.

    The fast path reads the gate activations and cell states the forward kept (``result3``, the
    workspace). For double backward (Tensor formulas) it recomputes the forward from the saved
    inputs instead, as PyTorch's ``mkldnn_rnn_layer_differentiable_backward`` does."""
    saved_names = ("input", "weight0", "weight1", "weight2", "weight3", "hx_", "cx_",
                   "result0", "result1", "result2", "result3")
    saved_attrs = {"reverse": "reverse", "batch_sizes": "batch_sizes", "mode": "mode",
                   "hidden_size": "hidden_size", "num_layers": "num_layers",
                   "has_biases": "has_biases", "bidirectional": "bidirectional",
                   "batch_first": "batch_first", "train": "train"}
    __slots__ = ("reverse", "batch_sizes", "mode", "hidden_size", "num_layers", "has_biases",
                 "bidirectional", "batch_first", "train")

    def backward(self, ns, grads, x, w_ih, w_hh, b_ih, b_hh, hx, cx, out, hy, cy, ws):
        if isinstance(ws, np.ndarray):   # first order: from the forward's workspace, in place
            return self._backward_arrays(grads, x, w_ih, w_hh, hx, cx, out, ws)
        g_out, g_hy, g_cy = grads[0], grads[1], grads[2]
        T, B = x.shape[0], x.shape[1]
        H = self.hidden_size
        # differentiable (create_graph): the forward recomputed from the inputs, in ns ops
        acts, cs, hs = _lstm_forward(ns, x, w_ih, w_hh, b_ih, b_hh, hx, cx, self.reverse,
                                     self.has_biases)
        steps = list(range(T - 1, -1, -1) if self.reverse else range(T))
        prev = {t: (steps[k - 1] if k else None) for k, t in enumerate(steps)}
        dh = g_hy if g_hy is not None else ns.zeros_like(hx)
        dc = g_cy if g_cy is not None else ns.zeros_like(cx)
        das = {}
        for t in reversed(steps):
            if g_out is not None:
                dh = dh + g_out[t]
            i, f, g, o = acts[t]
            p = prev[t]
            c_prev = cx if p is None else cs[p]
            tc = ns.tanh(cs[t])
            dc = dc + dh * o * (1 - tc * tc)
            da = ns.cat([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g * g),
                         dh * tc * o * (1 - o)], 1)
            dc = dc * f
            das[t] = da
            dh = ns.matmul(da, w_hh)
        dA = ns.stack([das[t] for t in range(T)], 0)                      # (T, B, 4H)
        h_prev = ns.stack([hx if prev[t] is None else hs[prev[t]] for t in range(T)], 0)
        dA2 = ns.reshape(dA, (T * B, 4 * H))
        dA2_t = ns.transpose(dA2, 0, 1)
        # (PyTorch returns the biases' gradient even without has_biases, whose forward ignores
        # them)
        db = ns.sum_dims(dA2, (0,), False) if self.needs(3) or self.needs(4) else None
        return (ns.matmul(dA, w_ih) if self.needs(0) else None,
                ns.matmul(dA2_t, ns.reshape(x, (T * B, x.shape[2]))) if self.needs(1) else None,
                ns.matmul(dA2_t, ns.reshape(h_prev, (T * B, H))) if self.needs(2) else None,
                db if self.needs(3) else None, db if self.needs(4) else None,
                dh if self.needs(5) else None, dc if self.needs(6) else None)

    def _backward_arrays(self, grads, x, w_ih, w_hh, hx, cx, out, ws):
        """The same formulas on the forward's NumPy arrays (PyTorch's non-differentiable
        mkldnn_rnn_layer_backward), see ``_lstm_kernels.lstm_backward``."""
        dx, dw_ih, dw_hh, db, dh, dc = lstm_backward(grads[0], grads[1], grads[2], x, w_ih, w_hh,
                                                     hx, out, ws, self.reverse, self.needs)
        return (dx, dw_ih, dw_hh, db if self.needs(3) else None, db if self.needs(4) else None,
                dh if self.needs(5) else None, dc if self.needs(6) else None)


def _check_layer_args(input, weights, hx_, cx_, hidden_size: int, has_biases: bool) -> None:
    for name, t in (("input", input), ("weight0", weights[0]), ("weight1", weights[1]),
                    ("weight2", weights[2]), ("weight3", weights[3]), ("hx_", hx_),
                    ("cx_", cx_)):
        if not isinstance(t, Tensor):
            raise TypeError(f"mkldnn_rnn_layer(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
    if input.ndim != 3:
        raise RuntimeError(f"mkldnn_rnn_layer: expected a 3-D input (seq_len, batch, "
                           f"input_size), got {input.ndim}-D")
    T, B, I = input.shape
    H = int(hidden_size)
    expect = ((4 * H, I), (4 * H, H), (4 * H,), (4 * H,), (B, H), (B, H))
    # (without biases, weight2/3 are placeholders, as in PyTorch)
    for name, t, shape in zip(("weight0", "weight1", "weight2", "weight3", "hx_", "cx_"),
                              (*weights, hx_, cx_), expect):
        if tuple(t.shape) != shape and (has_biases or name not in ("weight2", "weight3")):
            raise RuntimeError(f"mkldnn_rnn_layer: {name} has shape {tuple(t.shape)}, expected "
                               f"{shape}")


@export()
def mkldnn_rnn_layer(input, weight0, weight1, weight2, weight3, hx_, cx_, reverse, batch_sizes,
                     mode, hidden_size, num_layers, has_biases, bidirectional, batch_first, train):
    """One LSTM layer over a (seq_len, batch, input_size) sequence: (output, hy, cy, workspace).

    The input projection of all the steps is computed at once; each step is one (per-gate
    batched) GEMM with W_hh and the gate activations on contiguous blocks (the kernels and the
    layout: ``_lstm_kernels.py``). The workspace keeps the gate activations and cell states for
    backward (its layout is retrograd's, not oneDNN's)."""
    if int(mode) != 2:
        raise RuntimeError("mkldnn_rnn_layer: only mode 2 (LSTM) is supported")
    if len(batch_sizes):
        raise RuntimeError("mkldnn_rnn_layer: packed input (batch_sizes) is not supported")
    _check_layer_args(input, (weight0, weight1, weight2, weight3), hx_, cx_, hidden_size,
                      bool(has_biases))
    H = int(hidden_size)
    bias = weight2._data + weight3._data if has_biases else None
    with quiet():   # NaN/inf propagate silently, as in PyTorch
        out, hy, cy, ws = lstm_forward(input._data, weight0._data, weight1._data, bias,
                                       hx_._data, cx_._data, bool(reverse))
    inputs = (input, weight0, weight1, weight2, weight3, hx_, cx_)
    attrs = dict(reverse=bool(reverse), batch_sizes=tuple(int(b) for b in batch_sizes),
                 mode=int(mode), hidden_size=H, num_layers=int(num_layers),
                 has_biases=bool(has_biases), bidirectional=bool(bidirectional),
                 batch_first=bool(batch_first), train=bool(train))
    return multi_output(MkldnnRnnLayerBackward0, inputs, (out, hy, cy, ws),
                        (True, True, True, False),
                        (*inputs, ("out", 0), ("out", 1), ("out", 2), ("out", 3)), **attrs)


# -- packing ----------------------------------------------------------------------------------------
class PackPaddedSequenceBackward0(Node):
    """_pack_padded_sequence gathers rows (t, b) with b < batch_sizes[t] of the (T, B, *) input
    (transposed first when batch_first): the gradient is scattered back into zeros there."""
    __slots__ = ("batch_first", "in_shape", "index")
    saved_names = ("result1",)
    saved_attrs = {"batch_first": "batch_first", "input_sym_sizes": lambda n: tuple(n.in_shape)}

    def backward(self, ns, grad, result1):
        shape = self.in_shape
        T, B = (shape[1], shape[0]) if self.batch_first else (shape[0], shape[1])
        flat = ns.index_acc((T * B,) + tuple(shape[2:]), (self.index,), grad)
        g = ns.reshape(flat, (T, B) + tuple(shape[2:]))
        return (ns.transpose(g, 0, 1) if self.batch_first else g,)

    def jvp(self, ns, tangents, result1):
        """The same gather of the input's tangent."""
        t = tangents[0]
        if t is None:
            return None
        if self.batch_first:
            t = ns.transpose(t, 0, 1)
        return ns.reshape(t, (-1,) + tuple(self.in_shape[2:]))[self.index]


@export()
def _pack_padded_sequence(input, lengths, batch_first=False):
    """(data, batch_sizes) of a padded (T, B, *) batch whose sequences have the given
    lengths, sorted in decreasing order."""
    x = input._data
    if batch_first:
        x = np.swapaxes(x, 0, 1)
    lens = [int(v) for v in (lengths._data.reshape(-1).tolist() if isinstance(lengths, Tensor)
                             else lengths)]
    if len(lens) != x.shape[1]:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={x.shape[1]})")
    if lens and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element "
                           "in 'lengths' that is <= 0")
    for a, b in zip(lens, lens[1:]):
        if b > a:
            raise RuntimeError("`lengths` array must be sorted in decreasing order when "
                               "`enforce_sorted` is True. You can pass `enforce_sorted=False` "
                               "to pack_padded_sequence and/or pack_sequence to sidestep this "
                               "requirement if you do not need ONNX exportability.")
    T, B = x.shape[0], x.shape[1]
    if lens and lens[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a length ({lens[0]}) exceeds the padded "
                           f"sequence length ({T})")
    steps = lens[0] if lens else 0
    lens_a = np.asarray(lens, dtype=np.int64)
    batch_sizes = np.array([(lens_a > t).sum() for t in range(steps)], dtype=np.int64)
    index = np.concatenate([t * B + np.arange(bs) for t, bs in enumerate(batch_sizes)]) \
        if steps else np.zeros(0, dtype=np.int64)
    data = x.reshape((T * B,) + x.shape[2:])[index]
    sizes = wrap(batch_sizes)
    return record1(PackPaddedSequenceBackward0, input, data, sizes, batch_first=bool(batch_first),
                   in_shape=input._data.shape, index=index), sizes
