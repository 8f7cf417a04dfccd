"""Same seed, same numbers: retrograd's CPU generator against PyTorch 2.13's, bit for bit.

Each scenario runs with ``T=torch`` and ``T=retrograd`` after the same seed; the raw values must be
equal (``np.array_equal``, dtype included) and so must the generator's 5056-byte state afterwards
(so the number of words drawn and the cached normal sample agree too).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import retrograd as rg

SEEDS = (0, 7, 2 ** 33 + 5)
SIZES = (1, 15, 16, 17, 1000)
DTYPES = ("float32", "float64")


def _arrays(res):
    res = res if isinstance(res, (list, tuple)) else [res]
    return [r.detach().numpy() if hasattr(r, "detach") else np.asarray(r) for r in res]


def same_stream(fn, seed=0):
    """fn(T) after T.manual_seed(seed), for both libraries: equal values and equal state."""
    out = {}
    for T in (torch, rg):
        T.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vals = _arrays(fn(T))
        out[T] = (vals, bytes(T.get_rng_state().numpy()))
    (tv, ts), (rv, rs) = out[torch], out[rg]
    assert len(tv) == len(rv)
    for a, b in zip(tv, rv):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=True), (a.ravel()[:8], b.ravel()[:8])
    assert ts == rs, "generator states differ after the same calls"


# -- seeding and state ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 42, 67280421310721, 2 ** 64 - 1, -1, -2 ** 63, 2 ** 32 + 7])
def test_seeded_state_bytes_and_initial_seed(seed):
    torch.manual_seed(seed)
    rg.manual_seed(seed)
    assert rg.initial_seed() == torch.initial_seed()
    state = rg.get_rng_state()
    assert state.dtype == rg.uint8 and tuple(state.shape) == (5056,)
    assert bytes(state.numpy()) == bytes(torch.get_rng_state().numpy())


def test_fresh_generator_matches_torch_default_seed():
    g, tg = rg.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed() == 67280421310721
    assert bytes(g.get_state().numpy()) == bytes(tg.get_state().numpy())
    assert np.array_equal(rg.rand(20, generator=g).numpy(), torch.rand(20, generator=tg).numpy())


@pytest.mark.parametrize("seed", SEEDS)
def test_state_saved_by_one_library_restores_in_the_other(seed):
    torch.manual_seed(seed)
    torch.randn(3, dtype=torch.float64)           # leaves a cached normal sample in the state
    torch.rand(700)                               # and crosses a twist
    t_state = torch.get_rng_state()
    rg.set_rng_state(rg.tensor(t_state.numpy()))
    assert bytes(rg.get_rng_state().numpy()) == bytes(t_state.numpy())
    assert np.array_equal(rg.randn(5, dtype=rg.float64).numpy(),
                          torch.randn(5, dtype=torch.float64).numpy())
    rg.manual_seed(seed + 1)
    rg.randn(1)
    rg.rand(10)
    torch.set_rng_state(torch.from_numpy(rg.get_rng_state().numpy().copy()))
    assert np.array_equal(rg.randn(40).numpy(), torch.randn(40).numpy())
    assert np.array_equal(rg.randn(3, dtype=rg.float64).numpy(),
                          torch.randn(3, dtype=torch.float64).numpy())


def test_generator_get_set_state_and_fork_rng():
    g = rg.Generator().manual_seed(5)
    state = g.get_state()
    a = rg.randn(30, generator=g)
    assert g.set_state(state) is g
    assert np.array_equal(rg.randn(30, generator=g).numpy(), a.numpy())
    rg.manual_seed(3)
    before = rg.get_rng_state()
    with rg.random.fork_rng():
        rg.rand(100)
    assert bytes(rg.get_rng_state().numpy()) == bytes(before.numpy())


@pytest.mark.parametrize("bad", [1.5, "3", True, 2 ** 64, -2 ** 63 - 1])
def test_generator_manual_seed_errors_match_torch(bad):
    errs = []
    for G in (torch.Generator, rg.Generator):
        with pytest.raises(Exception) as info:
            G().manual_seed(bad)
        errs.append((type(info.value), str(info.value)))
    assert errs[0] == errs[1]


@pytest.mark.parametrize("bad", ["short", "float", "list", "zeros"])
def test_set_rng_state_errors_match_torch(bad):
    errs = []
    for T in (torch, rg):
        state = {"short": lambda: T.zeros(10, dtype=T.uint8), "float": lambda: T.zeros(5056),
                 "list": lambda: [1, 2], "zeros": lambda: T.zeros(5056, dtype=T.uint8)}[bad]()
        with pytest.raises(Exception) as info:
            T.set_rng_state(state)
        errs.append((type(info.value), str(info.value)))
    assert errs[0] == errs[1]


# -- the basic draws, every size around the thresholds ----------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_rand_randn_every_size(dtype, seed):
    def fn(T):
        dt = getattr(T, dtype)
        return [f(n, dtype=dt) for n in SIZES for f in (T.rand, T.randn)]
    same_stream(fn, seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
def test_inplace_continuous_fills(dtype, seed):
    def fn(T):
        dt, out = getattr(T, dtype), []
        for n in SIZES:
            out += [T.empty(n, dtype=dt).uniform_(-3.3, 7.1), T.empty(n, dtype=dt).normal_(1.7, 0.3),
                    T.empty(n, dtype=dt).exponential_(2.5), T.empty(n, dtype=dt).geometric_(0.3),
                    T.empty(n, dtype=dt).log_normal_(0.5, 0.7), T.empty(n, dtype=dt).cauchy_(0.5, 2.0),
                    T.empty(n, dtype=dt).bernoulli_(0.3), T.empty(n, dtype=dt).random_()]
        return out
    same_stream(fn, seed)


def test_normal_cache_and_call_orders():
    def fn(T):
        return [T.randn(3), T.rand(2), T.randn(5, dtype=T.float64), T.randn(17), T.randn(1),
                T.empty(4).normal_(), T.randn(16, dtype=T.float64), T.randn(1, dtype=T.float64),
                T.empty(3).log_normal_(), T.randn(2)]
    for seed in SEEDS:
        same_stream(fn, seed)


def test_non_contiguous_tensors_are_filled_in_memory_order():
    same_stream(lambda T: [T.empty(5, 4).t().normal_(), T.empty(6, 5).t().normal_(),
                           T.empty(5, 4).t().uniform_(),
                           T.empty(3, 3, 2).permute(2, 0, 1).uniform_(-1, 1),
                           T.empty(8, 3).t().bernoulli_(0.5)])


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "uint8", "bool",
                                   "float32", "float64"])
def test_random_integers(dtype):
    def fn(T):
        dt = getattr(T, dtype)
        out = [T.empty(50, dtype=dt).random_(), T.empty(20, dtype=dt).random_(2)]
        if dtype != "bool":
            out += [T.empty(30, dtype=dt).random_(3, 100), T.randint(0, 100, (25,), dtype=dt)]
        if dtype in ("int64", "float32", "float64"):
            out += [T.randint(-5, 2 ** 40, (9,), dtype=dt), T.randint(0, 2 ** 28, (5,), dtype=dt),
                    T.randint(0, 2 ** 28 - 1, (5,), dtype=dt)]
        if dtype == "int64":
            out += [T.empty(5, dtype=dt).random_(-2 ** 63, None), T.empty(5, dtype=dt).random_(7, None)]
        return out
    for seed in SEEDS:
        same_stream(fn, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_randperm_and_like_factories(seed):
    same_stream(lambda T: [T.randperm(n) for n in (0, 1, 2, 10, 1000)]
                + [T.randperm(50, dtype=T.float32), T.rand_like(T.ones(3, 4)),
                   T.randn_like(T.ones(20, dtype=T.float64)), T.randint_like(T.ones(5), 10),
                   T.randint_like(T.ones(5, dtype=T.int32), 3, 10)], seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_normal_overloads(seed):
    same_stream(lambda T: [
        T.normal(T.arange(20.).reshape(4, 5), T.linspace(0.1, 2, 20).reshape(4, 5)),
        T.normal(T.arange(20.), 2.0), T.normal(T.arange(3.), 2.0),
        T.normal(1.5, T.linspace(0.1, 2, 20)), T.normal(1.5, T.ones(3, dtype=T.float64)),
        T.normal(1.5, 2.5, size=(4, 5)), T.normal(0., 1., (3,))], seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_bernoulli_multinomial_poisson(seed):
    same_stream(lambda T: [
        T.bernoulli(T.linspace(0, 1, 40)), T.bernoulli(T.linspace(0, 1, 17, dtype=T.float64)),
        T.bernoulli(T.zeros(20), 0.3), T.empty(6).bernoulli_(T.linspace(0, 1, 6)),
        T.multinomial(T.tensor([0.1, 0.2, 0.3, 0.4]), 3), T.multinomial(T.rand(3, 10), 4),
        T.multinomial(T.rand(5), 1), T.multinomial(T.tensor([0.1, 0.2, 0.3, 0.4]), 30, True),
        T.multinomial(T.rand(3, 10, dtype=T.float64), 14, True),
        T.poisson(T.tensor([0., 0.5, 3., 9.9, 10., 50., 1000.] * 3)),
        T.poisson(T.rand(4, 4, dtype=T.float64) * 20),
        T.rand(9).bernoulli(), T.ones(5).bernoulli(0.25), T.rand(2, 6).multinomial(3),
        T.rand(6, dtype=T.float64).multinomial(8, True)], seed)


def test_float16_draws_that_match():
    """float16: uniform draws (float math, rounded), normals of < 16 elements and of multiples
    of 16, the integer and discrete fills (docs/random.md lists the case that does not match)."""
    same_stream(lambda T: [T.rand(20, dtype=T.float16), T.randn(7, dtype=T.float16),
                           T.empty(32, dtype=T.float16).normal_(),
                           T.empty(20, dtype=T.float16).uniform_(-2.3, 3.1),
                           T.empty(20, dtype=T.float16).exponential_(),
                           T.empty(20, dtype=T.float16).random_(),
                           T.randint(0, 5000, (20,), dtype=T.float16),
                           T.bernoulli(T.rand(20).half())])


@pytest.mark.parametrize("call", ["multinomial_3d", "multinomial_zero", "poisson_negative",
                                  "multinomial_too_many"])
def test_sampling_errors_match_torch(call):
    errs = []
    for T in (torch, rg):
        fn = {"multinomial_3d": lambda: T.multinomial(T.ones(1, 1, 2), 1),
              "multinomial_zero": lambda: T.multinomial(T.zeros(3), 1),
              "poisson_negative": lambda: T.poisson(T.tensor([-1.])),
              "multinomial_too_many": lambda: T.multinomial(T.ones(2), 3)}[call]
        with pytest.raises(Exception) as info:
            fn()
        errs.append((type(info.value), str(info.value)))
    assert errs[0] == errs[1]


def test_explicit_generators_do_not_touch_the_default_one():
    out = []
    for T in (torch, rg):
        T.manual_seed(11)
        g = T.Generator().manual_seed(99)
        out.append((T.randn(20, generator=g).numpy(), T.rand(3).numpy(),
                    T.empty(5).uniform_(generator=g).numpy()))
    for a, b in zip(*out):
        assert np.array_equal(a, b)


# -- what is built on the stream --------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_seeded_linear_gets_torchs_initial_weights(seed):
    same_stream(lambda T: list(T.nn.Linear(7, 5).parameters())
                + list(T.nn.Linear(3, 300, bias=False).parameters()), seed)


def test_nn_init_functions():
    same_stream(lambda T: [T.nn.init.xavier_normal_(T.empty(10, 20)),
                           T.nn.init.xavier_uniform_(T.empty(10, 20)),
                           T.nn.init.kaiming_normal_(T.empty(4, 3)),
                           T.nn.init.kaiming_uniform_(T.empty(4, 3)),
                           T.nn.init.trunc_normal_(T.empty(50)),
                           T.nn.init.normal_(T.empty(9)), T.nn.init.uniform_(T.empty(9)),
                           T.nn.init.sparse_(T.empty(6, 5), 0.5)])


def test_rrelu_training_noise():
    same_stream(lambda T: T.nn.functional.rrelu(T.linspace(-2, 2, 40), training=True))


@pytest.mark.parametrize("seed", SEEDS)
def test_shuffled_dataloader_yields_torchs_batches(seed):
    def fn(T):
        data = T.utils.data.TensorDataset(T.arange(23.), T.arange(23))
        out = []
        loader = T.utils.data.DataLoader(data, batch_size=5, shuffle=True)
        for _ in range(2):                         # two epochs: a fresh seed each
            out += [x for batch in loader for x in batch]
        g = T.Generator().manual_seed(seed + 1)
        out += [x for batch in T.utils.data.DataLoader(data, batch_size=4, shuffle=True,
                                                        generator=g) for x in batch]
        return out
    same_stream(fn, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_split_and_samplers(seed):
    def fn(T):
        D = T.utils.data
        parts = D.random_split(range(30), [10, 15, 5])
        fracs = D.random_split(range(11), [0.5, 0.5], generator=T.Generator().manual_seed(3))
        out = [np.array(list(p)) for p in parts + fracs]
        out.append(np.array(list(D.RandomSampler(range(10)))))
        out.append(np.array(list(D.RandomSampler(range(10), replacement=True, num_samples=40))))
        out.append(np.array(list(D.SubsetRandomSampler([3, 5, 8, 13, 21]))))
        out.append(np.array(list(D.WeightedRandomSampler([0.1, 0.5, 2.0, 1.0], 12))))
        out.append(np.array(list(D.WeightedRandomSampler([0.1, 0.5, 2.0, 1.0], 3, False))))
        dist = D.DistributedSampler(range(13), num_replicas=3, rank=1, seed=seed % 100)
        dist.set_epoch(2)
        out.append(np.array(list(dist)))
        return out
    same_stream(fn, seed)


def test_a_million_draws_are_vectorised_and_exact():
    for T in (torch, rg):
        T.manual_seed(2024)
    a, b = rg.rand(1_000_000), torch.rand(1_000_000)
    assert np.array_equal(a.numpy(), b.numpy())
    assert np.array_equal(rg.randn(100_003).numpy(), torch.randn(100_003).numpy())


def test_single_precision_fma_rounds_once():
    from retrograd._random_dists import fma32
    a = np.array([1 + 2 ** -12] * 3, dtype=np.float32)   # a * a is a float midpoint exactly
    c = np.array([2 ** -60, -2 ** -60, 0.0], dtype=np.float32)
    up = np.nextafter(np.float32(1 + 2 ** -11), np.float32(2))
    assert fma32(a, a, c).tolist() == [up, np.float32(1 + 2 ** -11), np.float32(1 + 2 ** -11)]
