"""nn.utils.prune against torch: the weight_orig / weight_mask naming, the forward pre-hook,
PruningContainer for iterative pruning, importance scores, global pruning, remove, errors.
Magnitude-based methods are compared exactly; random ones by how many entries / channels they
prune and the structure of the mask (retrograd's generator is not torch's stream)."""
from __future__ import annotations

import importlib

import numpy as np
import pytest

from _both import both
from _nn_models import data


def _prune(T):
    return importlib.import_module(T.__name__ + ".nn.utils.prune")


def _lin(T, i=5, o=4, seed=0):
    """A Linear whose weights are all distinct in absolute value (no ties in top-k)."""
    m = T.nn.Linear(i, o)
    rng = np.random.default_rng(seed)
    vals = rng.permutation(np.arange(1, i * o + 1)) * rng.choice([-1, 1], i * o) / (i * o)
    with T.no_grad():
        m.weight.copy_(T.tensor(vals.reshape(o, i), dtype=T.float32))
        m.bias.copy_(T.tensor(rng.permutation(np.arange(1, o + 1)) / o, dtype=T.float32))
    return m


def _state(m):
    return (list(m.state_dict().keys()), [n for n, _ in m.named_parameters()],
            [n for n, _ in m.named_buffers()])


@pytest.mark.parametrize("amount", [0.3, 7, 0, 1.0])
def test_l1_unstructured(amount):
    def f(T):
        P = _prune(T)
        m = _lin(T)
        P.l1_unstructured(m, "weight", amount=amount)
        out = m(data(T, 2, 5))
        out.sum().backward()
        return (_state(m), m.weight_mask, m.weight, out, m.weight_orig.grad,
                m.weight.grad_fn.name(), type(m.weight).__name__, P.is_pruned(m), str(m))
    both(f)


def test_the_hook_recomputes_the_pruned_weight():
    def f(T):
        P = _prune(T)
        m = _lin(T)
        P.l1_unstructured(m, "weight", amount=0.5)
        with T.no_grad():
            m.weight_orig.add_(1.0)
        stale = m.weight.clone()
        m(data(T, 1, 5))
        return stale, m.weight, len(m._forward_pre_hooks)
    both(f)


def test_importance_scores_and_the_prune_method():
    def f(T):
        P = _prune(T)
        m = _lin(T)
        scores = T.tensor(np.arange(20.0).reshape(4, 5)[:, ::-1].copy(), dtype=T.float32)
        P.l1_unstructured(m, "weight", amount=6, importance_scores=scores)
        t = data(T, 3, 4, seed=4)
        pruned = P.L1Unstructured(amount=0.5).prune(t)
        return m.weight_mask, pruned, P.Identity().prune(t)
    both(f)


@pytest.mark.parametrize("n,dim", [(1, 0), (2, -1), (float("inf"), 1), ("fro", 0),
                                   (float("-inf"), 0)])
def test_ln_structured(n, dim):
    def f(T):
        P = _prune(T)
        m = _lin(T)
        P.ln_structured(m, "weight", amount=0.5, n=n, dim=dim)
        return _state(m), m.weight_mask, m.weight
    both(f)


def test_iterative_pruning_uses_a_container():
    def f(T):
        P = _prune(T)
        m = _lin(T)
        P.l1_unstructured(m, "weight", amount=0.2)
        P.ln_structured(m, "weight", amount=1, n=2, dim=0)
        P.l1_unstructured(m, "weight", amount=3)
        P.custom_from_mask(m, "weight", mask=T.tensor(np.eye(4, 5), dtype=T.float32) == 0)
        hooks = list(m._forward_pre_hooks.values())
        container = hooks[0]
        return (_state(m), m.weight_mask, m.weight, len(hooks),
                type(container).__name__, len(container),
                [type(h).__name__ for h in container], container._tensor_name)
    both(f)


def test_global_unstructured():
    def f(T):
        P = _prune(T)
        a, b = _lin(T, seed=1), _lin(T, 3, 2, seed=2)
        P.l1_unstructured(a, "bias", amount=1)
        params = [(a, "weight"), (b, "weight"), (a, "bias")]
        scores = {(b, "weight"): T.full((2, 3), 0.5)}
        P.global_unstructured(params, pruning_method=P.L1Unstructured, amount=9,
                              importance_scores=scores)
        return (_state(a), _state(b), a.weight_mask, b.weight_mask, a.bias_mask, a.bias,
                [type(h).__name__ for h in a._forward_pre_hooks.values()])
    both(f)


@pytest.mark.parametrize("case", ["structured_method", "not_iterable", "bad_scores"])
def test_global_unstructured_errors(case):
    def f(T):
        P = _prune(T)
        m = _lin(T)
        if case == "structured_method":
            try:
                P.global_unstructured([(m, "weight")], pruning_method=P.RandomStructured,
                                      amount=1)
            except TypeError as e:   # the class's repr names its module: retrograd's, torch's
                return str(e).replace("retrograd.", "torch.")
        if case == "not_iterable":
            return P.global_unstructured(3, pruning_method=P.L1Unstructured, amount=1)
        return P.global_unstructured([(m, "weight")], P.L1Unstructured, importance_scores=[1],
                                     amount=1)
    both(f)


def test_remove_makes_pruning_permanent():
    def f(T):
        P = _prune(T)
        m = _lin(T)
        P.l1_unstructured(m, "weight", amount=0.5)
        P.l1_unstructured(m, "weight", amount=2)
        P.l1_unstructured(m, "bias", amount=1)
        P.remove(m, "weight")
        mid = (_state(m), m.weight, type(m.weight).__name__, m.weight.requires_grad,
               P.is_pruned(m))
        P.remove(m, "bias")
        try:
            P.remove(m, "bias")
        except ValueError as e:
            err = str(e)
        return mid, _state(m), P.is_pruned(m), len(m._forward_pre_hooks), err
    both(f)


def test_pruned_state_dict_loads_into_a_pruned_module():
    def f(T):
        P = _prune(T)
        src = _lin(T)
        P.l1_unstructured(src, "weight", amount=0.5)
        dst = _lin(T, seed=7)
        P.identity(dst, "weight")
        res = dst.load_state_dict(src.state_dict())
        dst(data(T, 1, 5))
        return str(res), dst.weight, dst.weight_mask
    both(f)


def test_is_pruned_sees_submodules():
    def f(T):
        P = _prune(T)
        net = T.nn.Sequential(_lin(T), T.nn.ReLU(), _lin(T, 4, 2))
        before = P.is_pruned(net)
        P.l1_unstructured(net[2], "weight", amount=1)
        return before, P.is_pruned(net), _state(net)
    both(f)


@pytest.mark.parametrize("case", ["negative", "too_big_fraction", "string", "too_many",
                                  "structured_1d", "bad_dim", "scores_shape", "unknown_name"])
def test_prune_errors(case):
    def f(T):
        P = _prune(T)
        m = _lin(T)
        if case == "negative":
            return P.l1_unstructured(m, "weight", amount=-1)
        if case == "too_big_fraction":
            return P.random_unstructured(m, "weight", amount=1.5)
        if case == "string":
            return P.L1Unstructured(amount="0.5")
        if case == "too_many":
            P.l1_unstructured(m, "weight", amount=21)
        elif case == "structured_1d":
            P.ln_structured(m, "bias", amount=1, n=2, dim=0)
        elif case == "bad_dim":
            P.random_structured(m, "weight", amount=1, dim=2)
        elif case == "scores_shape":
            P.l1_unstructured(m, "weight", amount=1, importance_scores=T.ones(3))
        else:
            P.l1_unstructured(m, "nope", amount=1)
    out = both(f)
    assert out.error is not None


def test_failed_pruning_leaves_the_module_as_it_was():
    def f(T):
        P = _prune(T)
        m = _lin(T)
        try:
            P.l1_unstructured(m, "weight", amount=21)
        except ValueError:
            pass
        return _state(m), type(m.weight).__name__, len(m._forward_pre_hooks)
    both(f)


# ------------------------------------------------------------------ random: counts, structure
@pytest.mark.parametrize("amount", [0.35, 6])
def test_random_unstructured_counts(amount):
    def f(T):
        P = _prune(T)
        T.manual_seed(0)
        m = _lin(T)
        P.random_unstructured(m, "weight", amount=amount)
        first = int((m.weight_mask == 0).sum())
        P.random_unstructured(m, "weight", amount=0.5)   # half of what is left
        second = int((m.weight_mask == 0).sum())
        pruned_are_zero = bool((m.weight[m.weight_mask == 0] == 0).all())
        kept_are_orig = bool((m.weight[m.weight_mask == 1] ==
                              m.weight_orig[m.weight_mask == 1]).all())
        return _state(m), first, second, pruned_are_zero, kept_are_orig
    both(f)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_random_structured_prunes_whole_channels(dim):
    def f(T):
        P = _prune(T)
        T.manual_seed(0)
        m = _lin(T)
        P.random_structured(m, "weight", amount=0.5, dim=dim)
        mask = m.weight_mask
        other = 1 - (dim % 2)
        channel_sums = mask.sum(other)
        whole = bool(((channel_sums == 0) | (channel_sums == mask.shape[other])).all())
        return _state(m), whole, int((channel_sums == 0).sum()), mask.dtype
    both(f)


def test_random_structured_then_unstructured_container():
    def f(T):
        P = _prune(T)
        T.manual_seed(1)
        m = _lin(T)
        P.random_structured(m, "weight", amount=1, dim=0)
        P.random_unstructured(m, "weight", amount=5)
        zero_rows = int((m.weight_mask.sum(1) == 0).sum())
        return int((m.weight_mask == 0).sum()), zero_rows >= 1, \
            [type(h).__name__ for h in m._forward_pre_hooks.values()]
    both(f)


def test_a_user_defined_pruning_method():
    """The tutorial's pattern: subclass BasePruningMethod, then ``apply`` it, twice."""
    def f(T):
        P = _prune(T)

        class EveryOther(P.BasePruningMethod):
            PRUNING_TYPE = "unstructured"

            def compute_mask(self, t, default_mask):
                mask = default_mask.clone()
                mask.view(-1)[::2] = 0
                return mask

        m = _lin(T)
        EveryOther.apply(m, "bias")
        first = m.bias_mask.clone()
        EveryOther.apply(m, "bias")   # a container: only what is left is pruned again
        return first, m.bias_mask, m.bias, _state(m), \
            [type(h).__name__ for h in m._forward_pre_hooks.values()]
    both(f)
