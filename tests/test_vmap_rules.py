"""Batching rules are declared with each op (``@export(vmap=...)``, ``public(vmap=...)``), and
the ops without one are listed here.

vmap runs an op without a rule once per example (always correct, only slower). This test keeps
that list honest: an op that gets a rule must leave it, and a new op without one must join it.
An exception inside a rule where the per-example run succeeds fails the test that met it
(tests/conftest.py); the last test checks that this guard works.
"""
from __future__ import annotations

import pytest

import retrograd
from retrograd import _dispatch
from retrograd.func import _batching
from retrograd.ops import tensor_ns

# Out-of-place ops without a batching rule (vmap runs them per example). In-place ops have
# none by design (a batched call never writes; see func/_batching.py), nor have the functions
# of the differentiable formula namespace (ops/tensor_ns.py).
NO_RULE = set("""
H __rmatmul__ addbmm addmm addmv addr allclose argwhere as_strided atleast_1d atleast_2d
atleast_3d baddbmm block_diag broadcast_shapes broadcast_tensors cartesian_prod cdist cholesky
cholesky_ex cholesky_solve combinations cross data_ptr det diag dsplit eigh eigvalsh equal
fliplr flipud from_dlpack hsplit index_add index_copy index_fill index_put inv inv_ex inverse
isclose kron logdet lstsq masked_scatter masked_select matrix_exp matrix_norm matrix_power
meshgrid msort nonzero norm normalize pinv pinverse prelu put qr repeat_interleave result_type
rot90 rrelu scatter scatter_add scatter_reduce slogdet solve solve_ex solve_triangular
split_with_sizes storage_offset stride sum_to_size svd svdvals take tensor_split tensordot trace
triangular_solve unique unique_consecutive vecdot vsplit _norm _trilinear _weight_norm pdist
cuda get_device is_pinned pin_memory new new_empty new_full new_ones new_tensor new_zeros
binary_cross_entropy binary_cross_entropy_with_logits cosine_embedding_loss cross_entropy
ctc_loss gaussian_nll_loss hinge_embedding_loss huber_loss kl_div l1_loss margin_ranking_loss
mse_loss multi_margin_loss multilabel_margin_loss multilabel_soft_margin_loss nll_loss
poisson_nll_loss smooth_l1_loss soft_margin_loss triplet_margin_loss
triplet_margin_with_distance_loss max_unpool2d pixel_shuffle pixel_unshuffle
channel_shuffle grid_sampler_backward
mkldnn_rnn_layer _pack_padded_sequence
batch_norm group_norm layer_norm embedding embedding_bag
_scaled_dot_product_flash_attention_for_cpu
max_unpool3d affine_grid_generator grid_sampler
convolution_backward native_batch_norm_backward native_layer_norm_backward
view_backward
""".split())


def _without_rule() -> set:
    from retrograd.ops._registry import FUNCTIONS, INPLACE, METHODS, NAMESPACES
    retrograd.ops.load_families()  # every op registered (some families load on first use)
    public = {id(f) for table in (FUNCTIONS, METHODS, INPLACE, *NAMESPACES.values())
              for f in table.values()}
    formula_ns = {id(v) for v in vars(tensor_ns).values()} - public
    return {w._rg_info.name for w in list(_dispatch._WRAPPERS.values()) + _dispatch._OPERATORS
            if w._rg_info.vmap is None and not w._rg_info.composite and not w._rg_info.inplace
            and id(w) not in formula_ns}


def test_the_ops_without_a_batching_rule_are_listed():
    missing = _without_rule()
    assert not (missing - NO_RULE), f"ops without a batching rule: {sorted(missing - NO_RULE)}"
    assert not (NO_RULE - missing), \
        f"these ops have a rule now: remove them from NO_RULE: {sorted(NO_RULE - missing)}"


def test_every_declared_rule_exists():
    _batching._ensure_ready()
    for op, w in _dispatch._WRAPPERS.items():
        if w._rg_info.vmap is not None:
            assert op in _batching._RULES and w in _batching._RULES, w._rg_info.name


def test_an_op_with_a_rule_runs_batched():
    before = _batching.STATS["batched"]
    out = retrograd.vmap(lambda x: (x.sin() * 2).sum(0))(retrograd.ones(4, 3))
    assert tuple(out.shape) == (4,) and _batching.STATS["batched"] == before + 1


def test_a_rule_that_raises_is_reported_as_a_bug(monkeypatch):
    """The guard of tests/conftest.py: a rule raising where the per-example run succeeds is
    recorded (and would fail the test)."""
    _batching._ensure_ready()
    sin = retrograd.sin

    def broken(op, args, kwargs):
        raise IndexError("a bug in the rule")
    monkeypatch.setitem(_batching._RULES, sin, broken)
    monkeypatch.setitem(_batching._RULES, _dispatch.unwrap(sin), broken)
    bugs = _batching.STATS["rule_bugs"]
    start = len(bugs)
    out = retrograd.vmap(lambda x: retrograd.sin(x))(retrograd.zeros(3, 2))
    assert out.shape == (3, 2) and float(out.abs().sum()) == 0.0
    found = bugs[start:]
    del bugs[start:]           # consumed here: this test's bug is the expected one
    assert len(found) == 1 and "a bug in the rule" in found[0]


def test_a_user_error_is_not_a_rule_bug():
    bugs = _batching.STATS["rule_bugs"]
    start = len(bugs)
    with pytest.raises(RuntimeError):
        retrograd.vmap(lambda x: x.reshape(5))(retrograd.zeros(3, 2))
    assert len(bugs) == start
