"""Op-table rows of the dropout family where the result does not depend on the random draw
(p = 1: a product with a zero scalar, the graph PyTorch records for it) or where no draw is
made (evaluation mode, p = 0: the input itself, so the row's grad_fn is the one of the op in
front). The random cases are tested statistically in tests/test_nn_dropout.py."""
from __future__ import annotations

from op_db import OpInfo

ROWS: list[OpInfo] = [
    OpInfo("dropout_p1", lambda T, x: T.nn.functional.dropout(x * 1, 1.0), [(3, 4)],
           "MulBackward0"),
    OpInfo("dropout_eval", lambda T, x: T.nn.functional.dropout(x * 2, 0.5, training=False),
           [(3, 4)], "MulBackward0"),
    OpInfo("alpha_dropout_p1", lambda T, x: T.nn.functional.alpha_dropout(x * 1, 1.0, True),
           [(3, 4)], "MulBackward0"),
    OpInfo("feature_alpha_dropout_p1",
           lambda T, x: T.nn.functional.feature_alpha_dropout(x * 1, 1.0, True), [(2, 3, 4)],
           "MulBackward0"),
    OpInfo("dropout1d_p1", lambda T, x: T.nn.functional.dropout1d(x * 1, 1.0), [(2, 3, 4)],
           "MulBackward0"),
    OpInfo("dropout1d_unbatched_p1", lambda T, x: T.nn.functional.dropout1d(x * 1, 1.0),
           [(3, 4)], "SqueezeBackward1", extra_nodes=("MulBackward0", "UnsqueezeBackward0")),
    OpInfo("dropout2d_p1", lambda T, x: T.nn.functional.dropout2d(x * 1, 1.0), [(2, 3, 2, 2)],
           "MulBackward0"),
    OpInfo("dropout3d_p1", lambda T, x: T.nn.functional.dropout3d(x * 1, 1.0),
           [(2, 2, 2, 1, 2)], "MulBackward0"),
    # torch.dropout and friends: p = 1 (no draw); the in-place ones on a non-leaf
    OpInfo("torch_dropout", lambda T, x: T.dropout(x, 1.0, True), [(3, 2)], "MulBackward0"),
    OpInfo("torch_dropout_", lambda T, x: T.dropout_(x * 1, 1.0, True), [(3, 2)],
           "MulBackward0"),
    OpInfo("torch_feature_dropout", lambda T, x: T.feature_dropout(x, 1.0, True), [(2, 3, 2)],
           "MulBackward0"),
    OpInfo("torch_feature_dropout_", lambda T, x: T.feature_dropout_(x * 1, 1.0, True),
           [(2, 3, 2)], "MulBackward0"),
    OpInfo("torch_alpha_dropout", lambda T, x: T.alpha_dropout(x, 1.0, True), [(3, 2)],
           "MulBackward0"),
    OpInfo("torch_alpha_dropout_", lambda T, x: T.alpha_dropout_(x * 1, 1.0, True), [(3, 2)],
           "MulBackward0"),
    OpInfo("torch_feature_alpha_dropout",
           lambda T, x: T.feature_alpha_dropout(x, 1.0, True), [(2, 3, 2)], "MulBackward0"),
    OpInfo("torch_feature_alpha_dropout_",
           lambda T, x: T.feature_alpha_dropout_(x * 1, 1.0, True), [(2, 3, 2)],
           "MulBackward0"),
]
