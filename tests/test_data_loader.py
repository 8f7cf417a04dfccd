"""retrograd.utils.data.DataLoader in the main process against torch 2.13: batches (values, dtypes,
shapes, container types), lengths, two epochs, argument errors and warnings. Shuffling is checked
by its properties; sequential loading bit for bit."""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import retrograd
from _both import both
from test_data import Stream, tds, typed


def load(T: Any, dataset: Any, **kwargs: Any) -> Any:
    loader = T.utils.data.DataLoader(dataset, **kwargs)
    return typed(list(loader)), typed(list(loader)), len(loader)


@pytest.mark.parametrize("kwargs", [
    {}, {"batch_size": 3}, {"batch_size": 3, "drop_last": True}, {"batch_size": 7},
    {"batch_size": 10}, {"batch_size": 10, "drop_last": True}, {"batch_size": None},
    {"sampler": [6, 0, 3]}, {"sampler": [6, 0, 3], "batch_size": 2},
    {"batch_sampler": [[0, 1], [5], [2, 4, 6]]}, {"collate_fn": lambda b: b},
    {"batch_size": 2, "collate_fn": lambda b: len(b)}, {"batch_size": None, "collate_fn": str},
    {"shuffle": False, "batch_size": 4}, {"generator": "seeded", "batch_size": 2}])
def test_map_dataset_batches_match_torch(kwargs: dict) -> None:
    def scenario(T: Any) -> Any:
        args = dict(kwargs)
        if args.get("generator") == "seeded":
            args["generator"] = T.Generator().manual_seed(0)
        return load(T, tds(T), **args)
    both(scenario)


SAMPLES = {
    "numpy": lambda i: np.full((2,), i, dtype=np.float32),
    "numpy_scalar": lambda i: np.int32(i),
    "dict": lambda i: {"x": np.arange(i, i + 2), "label": i, "name": f"s{i}"},
    "tuple_of_numbers": lambda i: (i, float(i) / 2, i % 2 == 0),
    "string": lambda i: "abc"[i % 3],
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("batch_size", [2, None])
def test_python_and_numpy_samples_match_torch(kind: str, batch_size: int | None) -> None:
    data = [SAMPLES[kind](i) for i in range(5)]
    both(lambda T: load(T, data, batch_size=batch_size))


def test_iterable_dataset_batches_length_and_drop_last() -> None:
    both(lambda T: load(T, Stream(T)(0, 7, 7), batch_size=3))
    both(lambda T: load(T, Stream(T)(0, 7, 7), batch_size=3, drop_last=True))
    both(lambda T: load(T, Stream(T)(0, 3, 3), batch_size=None))
    both(lambda T: load(T, Stream(T)(0, 3, 3)))
    both(lambda T: len(T.utils.data.DataLoader(Stream(T)(0, 3))))


def test_iterable_dataset_longer_than_its_len_warns() -> None:
    def scenario(T: Any) -> Any:
        loader = T.utils.data.DataLoader(Stream(T)(0, 3, 2), batch_size=None)
        return len(loader), typed(list(loader))
    both(scenario)


def test_two_epochs_and_iterator_length() -> None:
    def scenario(T: Any) -> Any:
        loader = T.utils.data.DataLoader(tds(T), batch_size=2)
        it = iter(loader)
        first = next(it)
        return len(it), typed(first), typed(list(it)), typed(list(loader))
    both(scenario)


# --------------------------------------------------------------------------------------------
# Argument errors and warnings
# --------------------------------------------------------------------------------------------
BAD_ARGS = [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"prefetch_factor": -1, "num_workers": 1}, {"persistent_workers": True},
    {"sampler": [0, 1], "shuffle": True},
    {"batch_sampler": [[0]], "batch_size": 2}, {"batch_sampler": [[0]], "shuffle": True},
    {"batch_sampler": [[0]], "sampler": [0]}, {"batch_sampler": [[0]], "drop_last": True},
    {"batch_size": None, "drop_last": True}, {"batch_size": 0}, {"batch_size": 2, "drop_last": 1},
    {"multiprocessing_context": "fork"},
    {"multiprocessing_context": "nope", "num_workers": 1},
    {"multiprocessing_context": 3, "num_workers": 1},
]


@pytest.mark.parametrize("kwargs", BAD_ARGS)
def test_incompatible_arguments_match_torch(kwargs: dict) -> None:
    both(lambda T: T.utils.data.DataLoader(list(range(4)), **kwargs))


@pytest.mark.parametrize("kwargs", [{"shuffle": True}, {"sampler": [0]},
                                    {"batch_sampler": [[0]]}, {"shuffle": False}])
def test_iterable_dataset_rejects_shuffle_and_samplers(kwargs: dict) -> None:
    both(lambda T: len(list(T.utils.data.DataLoader(Stream(T)(0, 2), **kwargs))))


def test_setting_attributes_after_init_and_timeout_without_workers() -> None:
    def setattr_after(T: Any) -> Any:
        loader = T.utils.data.DataLoader([1, 2])
        loader.num_workers = 0  # allowed
        loader.batch_size = 3
    both(setattr_after)
    both(lambda T: list(T.utils.data.DataLoader([1, 2], timeout=1.5)))


def test_pin_memory_is_accepted_and_warns_without_an_accelerator() -> None:
    both(lambda T: load(T, [1, 2, 3], pin_memory=True, batch_size=2))
    both(lambda T: typed(list(T.utils.data.DataLoader([1], pin_memory=True,
                                                      pin_memory_device="cpu"))))


def test_more_workers_than_cpus_warns() -> None:
    both(lambda T: T.utils.data.DataLoader([1], num_workers=512).num_workers)


def test_public_names() -> None:
    import torch.utils.data as ref
    ours = retrograd.utils.data
    wanted = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
              "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "StackDataset",
              "Subset", "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler",
              "default_collate", "default_convert", "get_worker_info", "random_split"]
    assert all(hasattr(ref, n) for n in wanted) and all(hasattr(ours, n) for n in wanted)
    assert ours.get_worker_info() is None
    loader = ours.DataLoader([1, 2], batch_size=2)
    assert loader.collate_fn is ours.default_collate and loader.prefetch_factor is None
    assert ours.DataLoader([1], batch_size=None).collate_fn is ours.default_convert
    assert ours.DataLoader([1], num_workers=1).prefetch_factor == 2


# --------------------------------------------------------------------------------------------
# Shuffling: properties, not torch's stream
# --------------------------------------------------------------------------------------------
def order(loader: Any) -> list:
    return [int(v) for batch in loader for v in batch[1].tolist()]


def test_shuffle_gives_a_fresh_permutation_each_epoch() -> None:
    loader = retrograd.utils.data.DataLoader(tds(retrograd, 20), batch_size=3, shuffle=True)
    first, second = order(loader), order(loader)
    assert sorted(first) == sorted(second) == list(range(20)) and first != second
    assert len(loader) == 7 and [len(b[1]) for b in loader] == [3] * 6 + [2]


def test_shuffle_is_reproducible_with_the_same_seeded_generator() -> None:
    D, G = retrograd.utils.data, retrograd.Generator

    def epochs(seed: int, **kwargs: Any) -> list:
        loader = D.DataLoader(tds(retrograd, 20), batch_size=4, shuffle=True,
                              generator=G().manual_seed(seed), **kwargs)
        return [order(loader), order(loader)]

    assert epochs(0) == epochs(0) and epochs(0) != epochs(1)
    assert epochs(0)[0] != epochs(0)[1]
    retrograd.manual_seed(7)  # without a generator: the default one
    unseeded = order(D.DataLoader(tds(retrograd, 20), shuffle=True))
    retrograd.manual_seed(7)
    assert order(D.DataLoader(tds(retrograd, 20), shuffle=True)) == unseeded


def test_shuffle_draws_the_base_seed_before_the_permutation() -> None:
    # PyTorch's order: the iterator draws its base seed from the loader's generator, then the
    # RandomSampler draws its permutation from the same generator.
    D = retrograd.utils.data
    shuffled = order(D.DataLoader(tds(retrograd, 12), shuffle=True,
                                  generator=retrograd.Generator().manual_seed(5)))
    g = retrograd.Generator().manual_seed(5)
    from retrograd.utils.data.sampler import _random_seed
    _random_seed(g)
    assert shuffled == retrograd.randperm(12, generator=g).tolist()


def test_shuffle_with_drop_last() -> None:
    loader = retrograd.utils.data.DataLoader(tds(retrograd, 10), batch_size=4, shuffle=True,
                                             drop_last=True)
    batches = [b[1].tolist() for b in loader]
    assert len(loader) == 2 and [len(b) for b in batches] == [4, 4]
    assert len({i for b in batches for i in b}) == 8
    both(lambda T: len(T.utils.data.DataLoader(tds(T, 10), batch_size=4, shuffle=True,
                                               drop_last=True)))


def test_random_seed_draw_matches_torchs_range() -> None:
    from retrograd.utils.data.sampler import _random_seed
    g = retrograd.Generator().manual_seed(0)
    seeds = [_random_seed(g) for _ in range(200)]
    assert all(0 <= s < 2 ** 63 for s in seeds) and max(seeds) > 2 ** 62
