"""Op-table rows of the embedding lookups (the indices are made inside each call; the weight is
the row's float input)."""
from __future__ import annotations

from op_db import OpInfo


def _idx(T, *rows):
    return T.tensor(list(rows))


ROWS: list[OpInfo] = [
    OpInfo("embedding", lambda T, w: T.nn.functional.embedding(_idx(T, [1, 2], [0, 3]), w),
           [(4, 3)], "EmbeddingBackward0"),
    # padding_idx: the padding row's gradient is zero on purpose (the output does depend on
    # it), so finite differences and a JVP built from the VJP disagree with it by design
    OpInfo("embedding_repeated_padding",
           lambda T, w: T.nn.functional.embedding(_idx(T, 1, 2, 1, 4, 1), w, padding_idx=-1),
           [(5, 2)], "EmbeddingBackward0", numeric=False),
    OpInfo("embedding_repeated", lambda T, w: T.nn.functional.embedding(_idx(T, 1, 2, 1, 1), w),
           [(3, 2)], "EmbeddingBackward0"),
    # scale_grad_by_freq divides each row's gradient by its index's count: not the derivative
    # (numeric=False). PyTorch's double backward ignores the scaling (its
    # embedding_dense_double_backward gathers the unscaled gradient): no gradgrad comparison
    OpInfo("embedding_scale_grad_by_freq",
           lambda T, w: T.nn.functional.embedding(_idx(T, [1, 1], [2, 0], [1, 3]), w,
                                                  scale_grad_by_freq=True),
           [(4, 3)], "EmbeddingBackward0", gradgrad=False, numeric=False),
    OpInfo("embedding_scalar_index",
           lambda T, w: T.nn.functional.embedding(T.tensor(2, dtype=T.int32), w), [(3, 4)],
           "EmbeddingBackward0"),
    # max_norm far above the rows' norms: the renormalisation runs and leaves them as they are
    # (an active one writes the weight under no_grad: tests/test_nn_embedding.py)
    OpInfo("embedding_max_norm_inactive",
           lambda T, w: T.nn.functional.embedding(_idx(T, 0, 2), w * 1, max_norm=100.0,
                                                  norm_type=1.0), [(3, 2)],
           "EmbeddingBackward0"),
    OpInfo("torch_embedding", lambda T, w: T.embedding(w, _idx(T, [2], [0], [2]), 0, False),
           [(3, 2)], "EmbeddingBackward0", numeric=False),
    # embedding_bag: torch has no double backward and no forward AD for it (gradgrad=False;
    # forward mode is checked against finite differences)
    OpInfo("embedding_bag_sum", lambda T, w: T.nn.functional.embedding_bag(
        _idx(T, 1, 2, 4, 4, 3, 0), w, _idx(T, 0, 2, 2, 5), mode="sum"), [(5, 3)],
        "EmbeddingBagBackward0", gradgrad=False),
    OpInfo("embedding_bag_mean_2d", lambda T, w: T.nn.functional.embedding_bag(
        _idx(T, [1, 2, 1], [0, 3, 3]), w), [(4, 2)], "EmbeddingBagBackward0", gradgrad=False),
    OpInfo("embedding_bag_max", lambda T, w: T.nn.functional.embedding_bag(
        _idx(T, 1, 2, 4, 0, 3, 0), w, _idx(T, 0, 2, 2, 5), mode="max"), [(5, 3)],
        "EmbeddingBagBackward0", gradgrad=False),
    OpInfo("embedding_bag_per_sample_weights", lambda T, w, p: T.nn.functional.embedding_bag(
        _idx(T, 1, 2, 4, 4, 3), w, _idx(T, 0, 3, 3, 5), mode="sum", per_sample_weights=p,
        include_last_offset=True), [(5, 3), (5,)], "EmbeddingBagBackward0", gradgrad=False),
    OpInfo("embedding_bag_padding", lambda T, w: T.nn.functional.embedding_bag(
        _idx(T, 1, 2, 4, 4, 3, 0), w, _idx(T, 0, 2, 5), mode="mean", padding_idx=4), [(5, 3)],
        "EmbeddingBagBackward0", gradgrad=False, numeric=False),
    OpInfo("torch_embedding_bag", lambda T, w: T.embedding_bag(
        w, _idx(T, 1, 2, 1, 0), _idx(T, 0, 1), False, 0)[0], [(3, 2)],
        "EmbeddingBagBackward0", gradgrad=False),
]
