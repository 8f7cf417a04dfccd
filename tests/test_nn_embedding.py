"""nn.Embedding and F.embedding against torch: the same weights, outputs, gradients (padding_idx,
scale_grad_by_freq), max_norm renormalisation in place (weights and version counters),
from_pretrained, printouts and errors; the double backward checked numerically."""
from __future__ import annotations

import numpy as np
import pytest

import retrograd
from _both import both
from _nn_models import data, set_params


def _idx(T, *rows):
    return T.tensor(list(rows))


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 0}, {"padding_idx": -2},
                                {"max_norm": 1.0}, {"max_norm": 0.5, "norm_type": 1.0},
                                {"scale_grad_by_freq": True}, {"sparse": True},
                                {"padding_idx": 3, "max_norm": 2.0, "norm_type": 3,
                                 "scale_grad_by_freq": True}],
                         ids=["default", "pad0", "pad_neg", "max_norm", "max_norm_l1", "freq",
                              "sparse", "all"])
def test_embedding_printout(kw):
    both(lambda T: (str(T.nn.Embedding(10, 3, **kw)), T.nn.Embedding(10, 3, **kw).padding_idx))


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 1}, {"padding_idx": -1},
                                {"scale_grad_by_freq": True},
                                {"scale_grad_by_freq": True, "padding_idx": 0},
                                {"max_norm": 1.0}, {"max_norm": 0.8, "norm_type": 1.0},
                                {"max_norm": 0.5, "norm_type": float("inf")}],
                         ids=["default", "pad", "pad_neg", "freq", "freq_pad", "max_norm",
                              "max_norm_l1", "max_norm_inf"])
def test_embedding_forward_backward(kw):
    def f(T):
        m = set_params(T.nn.Embedding(5, 3, **kw), T)
        v0 = m.weight._version
        idx = _idx(T, [1, 2, 4], [4, 3, 1], [0, 1, 1])
        y = m(idx)
        after = m.weight.detach().clone()
        (y * data(T, 3, 3, 3)).sum().backward()
        return (y, m.weight.grad, after, m.weight._version - v0, y.grad_fn,
                y.grad_fn._saved_padding_idx, y.grad_fn._saved_scale_grad_by_freq,
                y.grad_fn._saved_sparse, y.grad_fn._saved_weight_sym_argsize_0,
                y.grad_fn._saved_indices, y.grad_fn.next_functions[0][0])
    both(f)


def test_padding_row_initialised_to_zero():
    def f(T):
        m = T.nn.Embedding(6, 4, padding_idx=2)
        return m.weight[2], m.weight.shape, m.weight.requires_grad, m.weight.dtype
    both(f)


def test_embedding_dtypes_and_shapes():
    def f(T):
        w = data(T, 4, 3).double().requires_grad_()
        out = [T.nn.functional.embedding(T.tensor(2), w),
               T.nn.functional.embedding(T.tensor([[1, 2], [3, 0]], dtype=T.int32), w),
               T.nn.functional.embedding(T.zeros(0, dtype=T.long), w),
               T.embedding(w, T.tensor([3, 3]), 3)]
        return [(o, o.shape) for o in out]
    both(f)


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained(freeze):
    def f(T):
        w = data(T, 4, 3)
        m = T.nn.Embedding.from_pretrained(w, freeze=freeze, padding_idx=1)
        y = m(_idx(T, 1, 3))
        if not freeze:
            y.sum().backward()
        return str(m), m.weight.requires_grad, y, m.weight.grad, m.weight is w
    both(f)


@pytest.mark.parametrize("case", ["out_of_range", "negative", "float_index", "bool_index",
                                  "weight_1d", "pad_high", "pad_low", "module_pad",
                                  "pretrained_1d", "weight_shape", "renorm_out_of_range",
                                  "renorm_version"])
def test_embedding_errors(case):
    def f(T):
        F = T.nn.functional
        w = data(T, 4, 3, requires_grad=True)
        if case == "out_of_range":
            return F.embedding(_idx(T, 1, 4), w)
        if case == "negative":
            return F.embedding(_idx(T, -1), w)
        if case == "float_index":
            return F.embedding(T.tensor([1.0]), w)
        if case == "bool_index":
            return F.embedding(T.tensor([True]), w)
        if case == "weight_1d":
            return F.embedding(_idx(T, 1), data(T, 4))
        if case == "pad_high":
            return F.embedding(_idx(T, 1), w, padding_idx=4)
        if case == "pad_low":
            return F.embedding(_idx(T, 1), w, padding_idx=-5)
        if case == "module_pad":
            return T.nn.Embedding(4, 3, padding_idx=4)
        if case == "pretrained_1d":
            return T.nn.Embedding.from_pretrained(data(T, 4))
        if case == "weight_shape":
            return T.nn.Embedding(4, 2, _weight=data(T, 4, 3))
        if case == "renorm_out_of_range":
            return F.embedding(_idx(T, 1, 9), data(T, 4, 3), max_norm=1.0)
        # the renormalisation writes the weight: a graph that saved it can no longer backward
        sq = (w * w).sum()
        F.embedding(_idx(T, 0, 1), w, max_norm=0.1)
        sq.backward()
        return w.grad
    both(f)


def test_sparse_gradient_is_not_supported():
    """PyTorch returns a sparse gradient; retrograd has no sparse tensors and says so."""
    w = retrograd.randn(4, 3, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse=True"):
        retrograd.nn.functional.embedding(retrograd.tensor([1, 2]), w, sparse=True)
    with retrograd.no_grad():   # without a gradient to record, the lookup is the same
        y = retrograd.nn.functional.embedding(retrograd.tensor([1, 2]), w, sparse=True)
    assert retrograd.equal(y, w.detach()[1:3])


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 2}])
def test_double_backward(kw):
    """The backward is differentiable (create_graph): gradgradcheck in float64, and against
    torch. (With scale_grad_by_freq the first-order gradient is not a derivative, so there is
    nothing to check numerically; torch's double backward ignores the scaling.)"""
    idx = retrograd.tensor([[1, 2, 1], [0, 2, 1]])
    w = retrograd.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 3)), requires_grad=True)

    def f(w):
        return retrograd.nn.functional.embedding(idx, w, **kw) ** 2
    assert retrograd.autograd.gradgradcheck(f, (w,))

    def g(T):
        w = T.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 3)), requires_grad=True)
        y = T.nn.functional.embedding(T.tensor([[1, 2, 1], [0, 2, 1]]), w, **kw) ** 2
        gw, = T.autograd.grad((y * y).sum(), w, create_graph=True)
        (gw * gw).sum().backward()
        return gw.detach(), w.grad
    both(g)


# -- EmbeddingBag ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{}, {"mode": "sum"}, {"mode": "max", "padding_idx": 2},
                                {"max_norm": 1.0, "norm_type": 1.0, "scale_grad_by_freq": True,
                                 "include_last_offset": True, "padding_idx": -1}],
                         ids=["default", "sum", "max_pad", "all"])
def test_embedding_bag_printout(kw):
    both(lambda T: (str(T.nn.EmbeddingBag(10, 3, **kw)), T.nn.EmbeddingBag(10, 3, **kw).padding_idx,
                    T.nn.EmbeddingBag(10, 3, padding_idx=1).weight[1]))


BAG_IN = [[1, 2, 4, 4, 3, 0, 4, 1], [0, 2, 2, 5, 8]]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("kw", [{}, {"padding_idx": 4}, {"include_last_offset": True},
                                {"max_norm": 1.0}, {"two_d": True}],
                         ids=["plain", "pad", "last_offset", "max_norm", "2d"])
def test_embedding_bag_forward_backward(mode, kw):
    def f(T):
        kw2 = dict(kw)
        two_d = kw2.pop("two_d", False)
        m = set_params(T.nn.EmbeddingBag(5, 3, mode=mode, **kw2), T)
        idx, off = T.tensor(BAG_IN[0]), T.tensor(BAG_IN[1])
        if two_d:
            idx, off = idx.view(2, 4), None
        elif kw2.get("include_last_offset"):
            off = T.tensor([0, 2, 2, 5, 8])
        y = m(idx, off)
        (y * data(T, *y.shape)).sum().backward()
        fn = y.grad_fn
        return (y, m.weight.grad, m.weight.detach(), fn._saved_mode, fn._saved_padding_idx,
                fn._saved_offsets, fn._saved_result2, fn._saved_result3)
    both(f)


def test_embedding_bag_per_sample_weights():
    def f(T):
        m = set_params(T.nn.EmbeddingBag(5, 3, mode="sum"), T)
        p = data(T, 8, requires_grad=True)
        y = m(T.tensor(BAG_IN[0]), T.tensor(BAG_IN[1]), p)
        (y * y).sum().backward()
        return y, m.weight.grad, p.grad, y.grad_fn._saved_per_sample_weights
    both(f)


def test_embedding_bag_from_pretrained():
    def f(T):
        bag = T.nn.EmbeddingBag.from_pretrained(data(T, 5, 3), mode="max")
        bag2 = T.nn.EmbeddingBag.from_pretrained(data(T, 5, 3), freeze=False)
        y = bag2(T.tensor([[0, 1], [2, 2]]))
        y.sum().backward()
        return (str(bag), bag.weight.requires_grad, bag(T.tensor([[0, 1], [4, 2]])), y,
                bag2.weight.grad)
    both(f)


@pytest.mark.parametrize("case", ["no_offsets", "offsets_2d_input", "offsets_2d", "bad_mode",
                                  "max_freq", "max_sparse", "psw_mean", "psw_shape", "weight_1d",
                                  "input_3d", "first_offset", "last_offset", "index_range",
                                  "pad_range", "module_pad", "decreasing"])
def test_embedding_bag_errors(case):
    def f(T):
        F = T.nn.functional
        w, idx, off = data(T, 5, 3), T.tensor(BAG_IN[0]), T.tensor(BAG_IN[1])
        if case == "no_offsets":
            return F.embedding_bag(idx, w)
        if case == "offsets_2d_input":
            return F.embedding_bag(idx.view(2, 4), w, off)
        if case == "offsets_2d":
            return F.embedding_bag(idx, w, off.view(1, 5))
        if case == "bad_mode":
            return F.embedding_bag(idx, w, off, mode="min")
        if case == "max_freq":
            return F.embedding_bag(idx, w, off, mode="max", scale_grad_by_freq=True)
        if case == "max_sparse":
            return F.embedding_bag(idx, w, off, mode="max", sparse=True)
        if case == "psw_mean":
            return F.embedding_bag(idx, w, off, per_sample_weights=data(T, 8))
        if case == "psw_shape":
            return F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=data(T, 7))
        if case == "weight_1d":
            return F.embedding_bag(idx, data(T, 5), off)
        if case == "input_3d":
            return F.embedding_bag(idx.view(2, 2, 2), w)
        if case == "first_offset":
            return F.embedding_bag(idx, w, T.tensor([1, 3]))
        if case == "last_offset":
            return F.embedding_bag(idx, w, T.tensor([0, 9]))
        if case == "index_range":
            return F.embedding_bag(T.tensor([0, 7]), w, T.tensor([0]))
        if case == "pad_range":
            return F.embedding_bag(idx, w, off, padding_idx=7)
        if case == "module_pad":
            return T.nn.EmbeddingBag(5, 3, padding_idx=5)
        return F.embedding_bag(idx, w, T.tensor([0, 3, 2]))
    both(f)


@pytest.mark.parametrize("mode", ["sum", "mean"])
def test_embedding_bag_scale_grad_by_freq(mode):
    """Each element's gradient is divided by its index's count in the input, as F.embedding's.
    (PyTorch 2.13's CPU embedding_bag divides by the count of another index in some cases:
    for indices [1, 2, 1, 0] row 2 gets half its gradient. Not compared with it.)"""
    R = retrograd
    idx = R.tensor([1, 2, 1, 0, 3, 1])
    w = R.tensor(np.random.default_rng(0).uniform(-1, 1, (4, 2)), requires_grad=True)
    y = R.nn.functional.embedding_bag(idx, w, R.tensor([0, 2]), mode=mode,
                                      scale_grad_by_freq=True)
    g = R.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=R.float64)
    y.backward(g)
    per_elem = np.array([[1.0, 2.0]] * 2 + [[3.0, 4.0]] * 4)
    if mode == "mean":
        per_elem[:2] /= 2
        per_elem[2:] /= 4
    counts = np.bincount([1, 2, 1, 0, 3, 1])
    expected = np.zeros((4, 2))
    np.add.at(expected, [1, 2, 1, 0, 3, 1], per_elem / counts[[1, 2, 1, 0, 3, 1]][:, None])
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)
