"""Which ops still compute forward-mode tangents by the double-VJP fallback.

Every op declares its forward-mode rule beside its backward (``Node.jvp``: ELEMENTWISE, LINEAR
or a formula; see retrograd/autograd/_jvp_rules.py). Where an op has none, or is built from
other ops (several nodes), forward AD falls back to a double VJP of a re-run, which is correct
but slow. This test runs every row of the op table on dual inputs (tangents that need no graph,
the case the rules serve; test_forward_ad.py checks the values) and compares the set of ops that
took the fallback with the list below: an op that gets a rule must leave the list (the list
only shrinks), and a new op without a rule must be added to it with the reason.
"""
from __future__ import annotations

import numpy as np

import retrograd
from op_db import OP_DB
from retrograd.autograd import _jvp_rules

# Built from other ops: their result's node is the last of several (the parts have rules; the
# composite as a whole takes the fallback until composites are declared as such).
COMPOSITE = {
    "__getitem__", "__rtruediv__", "rsub", "atleast_3d", "broadcast_tensors",
    "cartesian_prod", "combinations", "diag", "einsum", "kron", "logdet", "matmul",
    "matrix_norm", "matrix_power", "meshgrid", "nanmean", "norm", "normalize", "outer", "pad",
    "repeat_interleave", "reshape", "softmin", "softsign", "tanhshrink", "tensordot", "vecdot",
    "take_along_dim", "svdvals", "eigvalsh", "inverse", "cholesky", "pinverse",
    "flatten", "sum_to_size",
}
# No rule written yet (a JVP formula is needed: the Jacobian is neither diagonal nor the op).
NO_RULE_YET = {
    # matrix products
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "vdot", "cross", "cdist",
    "mm", "mv", "dot",
    # reductions and scans that select or multiply
    "amax", "amin", "aminmax", "max", "min", "prod", "cummax", "cummin", "cumprod",
    "logcumsumexp", "logsumexp", "std", "var", "std_mean", "var_mean", "vector_norm",
    "median", "nanmedian", "mode", "kthvalue", "sort", "msort", "topk", "scatter_reduce",
    # softmax family, glu, prelu
    "softmax", "log_softmax", "glu", "prelu",
    # linear algebra
    "cholesky_ex", "cholesky_solve", "det", "slogdet", "inv", "inv_ex", "solve", "solve_ex",
    "solve_triangular", "triangular_solve", "lstsq", "matrix_exp", "pinv", "qr", "eigh", "svd",
    # several differentiable outputs: the gate split, the fused LSTM layer (ops/nn/rnn.py)
    "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes", "mkldnn_rnn_layer",
}
EXPECTED = COMPOSITE | NO_RULE_YET


def _run_rows() -> tuple[set, set]:
    fwd = retrograd.autograd.forward_ad
    _jvp_rules.FALLBACK.clear()
    _jvp_rules.FALLBACK_INPLACE.clear()
    for row in OP_DB:
        arrays = row.inputs()
        rng = np.random.default_rng([row.seed, 7])
        try:
            with fwd.dual_level():
                duals = [fwd.make_dual(retrograd.tensor(a),
                                       retrograd.tensor(rng.standard_normal(a.shape)))
                         for a in arrays]
                row.fn(retrograd, *duals)
        except RuntimeError:
            pass   # rows that differentiate with autograd.grad need inputs that require grad
    return set(_jvp_rules.FALLBACK), set(_jvp_rules.FALLBACK_INPLACE)


def test_the_ops_that_take_the_double_vjp_fallback_are_listed():
    fallback, inplace = _run_rows()
    assert not (fallback - EXPECTED), f"ops without a forward-mode rule: {sorted(fallback - EXPECTED)}"
    assert not (EXPECTED - fallback), \
        f"these ops have a rule now: remove them from the list: {sorted(EXPECTED - fallback)}"
    # in-place calls (Tensor.exp_, x += y, F.relu(x, inplace=True), x[i] = v) all take it
    assert inplace and all(n.endswith("_") or n.startswith("__i") or n == "__setitem__" or
                           n in {"relu", "hardsigmoid", "hardswish", "mish", "silu", "elu",
                                 "selu", "celu", "leaky_relu", "threshold", "rrelu", "hardtanh",
                                 "relu6", "dropout"}
                           for n in inplace), sorted(inplace)


def test_a_rule_gives_the_tangent_without_the_fallback():
    fwd = retrograd.autograd.forward_ad
    _jvp_rules.FALLBACK.clear()
    with fwd.dual_level():
        x = fwd.make_dual(retrograd.tensor([0.5, 1.0]), retrograd.tensor([1.0, 2.0]))
        y = (x.sin() * x + 2).sum()
        t = fwd.unpack_dual(y).tangent
    xs = np.array([0.5, 1.0])
    expected = ((np.cos(xs) * xs + np.sin(xs)) * np.array([1.0, 2.0])).sum()
    assert np.isclose(t.item(), expected) and not _jvp_rules.FALLBACK
