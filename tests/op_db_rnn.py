"""Op-table rows of the ops under the recurrent layers (retrograd/ops/nn/rnn.py): the gate split
(unsafe_split / unsafe_chunk), the fused LSTM layer of torch's CPU oneDNN path and the packing
of padded sequences."""
from __future__ import annotations

from op_db import OpInfo

RED = dict(cmp_atol=1e-5)  # float32 GEMMs: summation order differs from torch's
T_, B_, I_, H_ = 3, 2, 3, 2
LSTM_SHAPES = [(T_, B_, I_), (4 * H_, I_), (4 * H_, H_), (4 * H_,), (4 * H_,), (B_, H_), (B_, H_)]


def _layer(reverse: bool, has_biases: bool = True):
    def fn(T, x, w0, w1, b0, b1, h, c):
        return T.mkldnn_rnn_layer(x, w0, w1, b0, b1, h, c, reverse, [], 2, H_, 1, has_biases,
                                  False, False, True)[:3]
    return fn


ROWS: list[OpInfo] = [
    OpInfo("unsafe_chunk", lambda T, x: T.unsafe_chunk(x, 4, 1), [(2, 8)],
           "UnsafeSplitBackward0"),
    OpInfo("unsafe_chunk_method", lambda T, x: x.unsafe_chunk(2, 0), [(3, 4)],
           "UnsafeSplitBackward0"),
    OpInfo("unsafe_split_uneven", lambda T, x: T.unsafe_split(x, 3, 1), [(2, 8)],
           "UnsafeSplitBackward0"),
    OpInfo("unsafe_split_method", lambda T, x: x.unsafe_split(2, -1), [(2, 4)],
           "UnsafeSplitBackward0"),
    OpInfo("unsafe_split_with_sizes", lambda T, x: T.unsafe_split_with_sizes(x, [3, 5], 1),
           [(2, 8)], "UnsafeSplitWithSizesBackward0"),
    OpInfo("unsafe_split_with_sizes_method",
           lambda T, x: x.unsafe_split_with_sizes([1, 2], 0), [(3, 2)],
           "UnsafeSplitWithSizesBackward0"),
    # torch's oneDNN kernel runs float32 only ("get_mkldnn_dtype: unsupported data type" in
    # float64), so the rows that need torch in float64 (double backward vs torch) are off; the
    # fused layer's gradgradcheck and float32 second derivatives are in tests/test_nn_rnn.py
    OpInfo("mkldnn_rnn_layer", _layer(False), LSTM_SHAPES, "MkldnnRnnLayerBackward0",
           gradgrad=False, domain=(-1.0, 1.0), **RED),
    OpInfo("mkldnn_rnn_layer_reverse", _layer(True), LSTM_SHAPES, "MkldnnRnnLayerBackward0",
           gradgrad=False, domain=(-1.0, 1.0), **RED),
    OpInfo("pack_padded_sequence",
           lambda T, x: T._pack_padded_sequence(x, T.tensor([3, 2, 2]), False)[0],
           [(3, 3, 2)], "PackPaddedSequenceBackward0"),
    OpInfo("pack_padded_sequence_batch_first",
           lambda T, x: T._pack_padded_sequence(x, T.tensor([4, 2]), True)[0],
           [(2, 4, 3)], "PackPaddedSequenceBackward0"),
]
