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
    "__getitem__", "__matmul__", "__rtruediv__", "atleast_3d", "broadcast_tensors",
    "cartesian_prod", "combinations", "einsum", "kron", "logdet",
    "matrix_norm", "matrix_power", "meshgrid", "norm", "normalize", "pad",
    "repeat_interleave", "reshape", "softmin", "tensordot", "vecdot",
    "sum_to_size", "matmul",
    "_weight_norm",  # PyTorch's composition v * (g / norm_except_dim(v)) unless dim is 0 or last
    # (like torch: prelu views a per-channel weight as [1, C, 1, ...] first; cdist's
    # matrix-product path for more than 25 rows reshapes _euclidean_dist's result; the legacy
    # torch.svd returns linalg.svd's Vh transposed)
    "prelu", "cdist", "svd",
}
# Losses PyTorch builds from other ops (cross_entropy is log_softmax then nll_loss), and the
# one-node losses in the call patterns where PyTorch composes them too: mse/l1/huber with
# weight=, smooth_l1 with beta=0, nll_loss of a 3-D or more than 4-D input (a view, then nll).
COMPOSITE |= {
    "cross_entropy", "l1_loss", "kl_div", "poisson_nll_loss", "gaussian_nll_loss",
    "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
    "multilabel_soft_margin_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
    "mse_loss", "huber_loss", "smooth_l1_loss",
    "nll_loss", "ctc_loss",
}
# No rule written yet (a JVP formula is needed: the Jacobian is neither diagonal nor the op).
NO_RULE_YET = {
    # several differentiable outputs: the fused LSTM layer (ops/nn/rnn.py)
    "mkldnn_rnn_layer",
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


def test_calls_outside_the_op_table_take_their_rules():
    """Casts, reciprocal, constant padding by a nonzero value, rsub of two tensors: each a rule
    (no fallback), with torch's tangents and dtypes."""
    import torch
    calls = [
        lambda T, x: x.double(), lambda T, x: x.to(T.float64), lambda T, x: x.half(),
        lambda T, x: x.type_as(T.ones(1, dtype=T.float64)), lambda T, x: x.reciprocal(),
        lambda T, x: T.nn.functional.pad(x, (1, -1, 0, 2), value=2.5),
        lambda T, x: T.rsub(x, T.ones(4), alpha=3), lambda T, x: T.diag(x, 1),
    ]
    x = np.array([[1.0, 2.0, -3.0, 0.5], [4.0, -1.5, 2.5, 3.0]], dtype=np.float32)
    t = np.array([[0.5, -1.0, 2.0, 1.0], [1.5, 0.25, -2.0, 3.0]], dtype=np.float32)
    for call in calls:
        tangents = []
        for lib in (torch, retrograd):
            fwd = lib.autograd.forward_ad
            _jvp_rules.FALLBACK.clear()
            with fwd.dual_level():
                out = fwd.unpack_dual(call(lib, fwd.make_dual(lib.tensor(x), lib.tensor(t))))
                tangents.append((str(out.tangent.dtype), out.tangent.detach().numpy().copy()))
        assert not _jvp_rules.FALLBACK
        assert tangents[1][0] == tangents[0][0]
        np.testing.assert_allclose(tangents[1][1], tangents[0][1], rtol=1e-6, atol=1e-6)


def test_a_planned_call_gives_the_same_tangents_as_the_rule_and_torch():
    """The first call of an op on dual tensors of a kind runs it on stand-ins and learns a plan;
    the next ones run it as without grad and apply the rule to its arguments and result. Both
    give torch's tangents, also for one tensor given twice (x / x before x / y) and for other
    shapes than the plan's."""
    import torch
    calls = [
        lambda T, x, y: x.sin(), lambda T, x, y: x.exp(), lambda T, x, y: x.tanh(),
        lambda T, x, y: T.sigmoid(x), lambda T, x, y: x * x, lambda T, x, y: x * y,
        lambda T, x, y: x / x, lambda T, x, y: x / y, lambda T, x, y: x * 2.5, lambda T, x, y: T.atan2(x, y),
        lambda T, x, y: T.softmax(x, 1), lambda T, x, y: T.nn.functional.silu(x),
    ]
    rng = np.random.default_rng(3)
    shapes = [(2, 3), (2, 3), (4, 3)]
    data = [[rng.uniform(0.5, 2.0, s).astype(np.float32) for _ in range(4)] for s in shapes]
    _jvp_rules._PLANS.clear()
    for call in calls:
        for x, y, tx, ty in data:
            tangents = []
            for lib in (torch, retrograd):
                fwd = lib.autograd.forward_ad
                with fwd.dual_level():
                    dx = fwd.make_dual(lib.tensor(x), lib.tensor(tx))
                    dy = fwd.make_dual(lib.tensor(y), lib.tensor(ty))
                    out = fwd.unpack_dual(call(lib, dx, dy))
                    tangents.append((out.primal.detach().numpy().copy(),
                                     out.tangent.detach().numpy().copy(), str(out.tangent.dtype)))
            np.testing.assert_allclose(tangents[1][0], tangents[0][0], rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(tangents[1][1], tangents[0][1], rtol=1e-5, atol=1e-6)
            assert tangents[1][2] == tangents[0][2]
    assert _jvp_rules._PLANS   # (the second call of each kind took a plan)


def test_a_plan_is_not_taken_when_the_tangent_must_carry_a_graph():
    """With grad mode on and a primal requiring grad, the tangent is differentiable (the
    double-VJP path), also after a plan was learned for the same kind of call."""
    fwd = retrograd.autograd.forward_ad
    with fwd.dual_level():
        for _ in range(2):
            fwd.unpack_dual(fwd.make_dual(retrograd.tensor([0.5]), retrograd.tensor([1.0])).sin())
        x = retrograd.tensor([0.5], requires_grad=True)
        t = fwd.unpack_dual(fwd.make_dual(x, retrograd.tensor([1.0])).sin()).tangent
    assert t.requires_grad
    t.backward()
    assert np.isclose(x.grad.item(), -np.sin(0.5))
