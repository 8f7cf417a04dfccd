"""retrograd.utils.data against torch.utils.data 2.13, in the main process: datasets, random_split,
samplers, default_collate/default_convert and the DataLoader (batches: values, dtypes, shapes,
container types; lengths; errors and warnings for the same arguments). Shuffling is compared by
its properties (retrograd's random streams are not torch's)."""
from __future__ import annotations

import collections
from typing import Any

import numpy as np
import pytest

import retrograd
from _both import both

Point = collections.namedtuple("Point", ["x", "y"])


def typed(x: Any) -> Any:
    """``x`` with its container types spelled out (both() compares lists and tuples by type, but
    not namedtuples or dict subclasses), for comparing batches across libraries."""
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(typed(v) for v in x))
    if isinstance(x, dict):
        return (type(x).__name__, {k: typed(v) for k, v in x.items()})
    if isinstance(x, (list, tuple)):
        return type(x)(typed(v) for v in x)
    if isinstance(x, (int, float, str, bytes, bool)) or x is None:
        return (type(x).__name__, x)
    return x


def tds(T: Any, n: int = 7) -> Any:
    """A TensorDataset of float32 features, int64 labels and bool flags."""
    x = T.tensor(np.arange(2 * n, dtype=np.float32).reshape(n, 2))
    return T.utils.data.TensorDataset(x, T.arange(n), T.tensor(np.arange(n) % 3 == 0))


# --------------------------------------------------------------------------------------------
# Datasets
# --------------------------------------------------------------------------------------------
def test_tensor_dataset_items_length_and_size_mismatch() -> None:
    both(lambda T: [typed(tds(T)[i]) for i in (0, 3, -1)] + [len(tds(T))])
    both(lambda T: typed(tds(T)[1:3]))
    both(lambda T: T.utils.data.TensorDataset(T.zeros(3, 2), T.zeros(4)))


def test_dataset_base_errors() -> None:
    both(lambda T: T.utils.data.Dataset()[0])
    both(lambda T: len(T.utils.data.Dataset()))
    both(lambda T: T.utils.data.IterableDataset())


def test_concat_dataset_via_add_with_negative_indices_and_errors() -> None:
    def scenario(T: Any) -> Any:
        D = T.utils.data
        cat = tds(T, 3) + D.TensorDataset(T.arange(4.0))
        return (type(cat).__name__, len(cat), cat.cumulative_sizes,
                [typed(cat[i]) for i in (0, 2, 3, 6, -1, -4, -7)])
    both(scenario)
    both(lambda T: T.utils.data.ConcatDataset([[1, 2], [3]])[-4])
    both(lambda T: T.utils.data.ConcatDataset([[1, 2], [3]])[3])
    both(lambda T: T.utils.data.ConcatDataset([]))
    both(lambda T: T.utils.data.ConcatDataset([[1], Stream(T)(0, 2)]))
    both(lambda T: T.utils.data.ConcatDataset([[1], [2, 3]]).cummulative_sizes)


def Stream(T: Any) -> Any:
    class Stream(T.utils.data.IterableDataset):
        def __init__(self, start: int, stop: int, length: int | None = None) -> None:
            self.start, self.stop, self.length = start, stop, length

        def __iter__(self):
            return iter(range(self.start, self.stop))

        def __len__(self) -> int:
            if self.length is None:
                raise TypeError("Stream has no len()")
            return self.length
    return Stream


def test_chain_dataset_via_add_and_errors() -> None:
    def scenario(T: Any) -> Any:
        S = Stream(T)
        chain = S(0, 3, 3) + S(10, 12, 2)
        return type(chain).__name__, list(chain), len(chain)
    both(scenario)
    both(lambda T: list(T.utils.data.ChainDataset([Stream(T)(0, 2), [5, 6]])))
    both(lambda T: len(T.utils.data.ChainDataset([[5, 6]])))


def test_stack_dataset_tuple_and_dict_forms() -> None:
    def scenario(T: Any) -> Any:
        D = T.utils.data
        a, b = D.TensorDataset(T.arange(4)), ["p", "q", "r", "s"]
        as_tuple, as_dict = D.StackDataset(a, b), D.StackDataset(num=a, name=b)
        return (len(as_tuple), typed(as_tuple[1]), typed(as_dict[2]),
                typed(as_tuple.__getitems__([0, 3])), typed(as_dict.__getitems__([1])),
                typed(D.StackDataset(D.Subset(a, [3, 2, 1, 0]), b).__getitems__([0, 1])))
    both(scenario)
    both(lambda T: T.utils.data.StackDataset([1], b=[2]))
    both(lambda T: T.utils.data.StackDataset([1], [2, 3]))
    both(lambda T: T.utils.data.StackDataset(a=[1], b=[2, 3]))
    both(lambda T: T.utils.data.StackDataset())

    def short_getitems(T: Any) -> Any:
        class Short(T.utils.data.Dataset):
            def __len__(self) -> int:
                return 3

            def __getitems__(self, indices: list) -> list:
                return indices[:1]
        return T.utils.data.StackDataset(Short(), [1, 2, 3]).__getitems__([0, 1])
    both(short_getitems)


def test_subset() -> None:
    def scenario(T: Any) -> Any:
        sub = T.utils.data.Subset(tds(T), [4, 0, 2])
        return (len(sub), typed(sub[0]), typed(sub[-1]), typed(sub.__getitems__([1, 2])),
                typed(T.utils.data.Subset(list("abcde"), [3, 1]).__getitems__([0, 1])))
    both(scenario)

    def list_index(T: Any) -> Any:
        return typed(T.utils.data.Subset(T.arange(10) * 2, [9, 1, 5])[[0, 2]])
    both(list_index)

    def overriding_getitem_only(T: Any) -> Any:
        class Bad(T.utils.data.Subset):
            def __getitem__(self, idx):
                return 0
        return Bad([1, 2], [0])
    both(overriding_getitem_only)


# --------------------------------------------------------------------------------------------
# random_split
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.3, 0.7]), (10, [0.33, 0.33, 0.34]), (11, [0.25, 0.25, 0.25, 0.25]),
    (2, [0.2, 0.2, 0.6]), (5, [1.0]), (0, [0.5, 0.5]), (7, [0, 7])])
def test_random_split_lengths_warnings_and_partition(n: int, lengths: list) -> None:
    def scenario(T: Any) -> Any:
        parts = T.utils.data.random_split(range(n), lengths,
                                          generator=T.Generator().manual_seed(3))
        union = sorted(i for p in parts for i in p)
        return [type(p).__name__ for p in parts], [len(p) for p in parts], union
    both(scenario)


@pytest.mark.parametrize("lengths", [[4, 7], [0.5, 0.6], [1.5, -0.5], [0.3, 0.3]])
def test_random_split_errors(lengths: list) -> None:
    both(lambda T: T.utils.data.random_split(range(10), lengths))


def test_random_split_is_reproducible_with_a_generator_and_the_default_one() -> None:
    D = retrograd.utils.data

    def split(seed: int, generator: bool = True) -> list:
        if generator:
            parts = D.random_split(range(20), [0.5, 0.5],
                                   generator=retrograd.Generator().manual_seed(seed))
        else:
            retrograd.manual_seed(seed)
            parts = D.random_split(range(20), [0.5, 0.5])
        return [list(p) for p in parts]

    assert split(1) == split(1) and split(1) != split(2)
    assert split(5, generator=False) == split(5, generator=False) != split(6, generator=False)


# --------------------------------------------------------------------------------------------
# Samplers
# --------------------------------------------------------------------------------------------
def test_sequential_and_batch_samplers_match_torch() -> None:
    def scenario(T: Any) -> Any:
        D = T.utils.data
        seq = D.SequentialSampler(range(7))
        return (list(seq), len(seq),
                [(list(D.BatchSampler(seq, b, d)), len(D.BatchSampler(seq, b, d)))
                 for b in (1, 2, 3, 7, 9) for d in (False, True)],
                list(D.BatchSampler([5, 3, 1], 2, False)))
    both(scenario)


@pytest.mark.parametrize("args", [(0, False), (-1, False), (True, False), (2.0, False),
                                  (2, 0), (2, None)])
def test_batch_sampler_errors(args: tuple) -> None:
    both(lambda T: T.utils.data.BatchSampler(range(4), *args))


@pytest.mark.parametrize("kwargs", [{"replacement": 1}, {"num_samples": 0},
                                    {"num_samples": 2.0}, {"num_samples": -3}])
def test_random_sampler_errors(kwargs: dict) -> None:
    both(lambda T: T.utils.data.RandomSampler(range(5), **kwargs))
    both(lambda T: T.utils.data.RandomSampler([]))


@pytest.mark.parametrize("kwargs", [{}, {"num_samples": 3}, {"num_samples": 12},
                                    {"replacement": True}, {"replacement": True,
                                                            "num_samples": 70}])
def test_random_sampler_properties(kwargs: dict) -> None:
    D = retrograd.utils.data
    n = 5
    num = kwargs.get("num_samples", n)

    def draw(seed: int) -> list:
        return list(D.RandomSampler(range(n), generator=retrograd.Generator().manual_seed(seed),
                                    **kwargs))

    first = draw(0)
    assert len(first) == num == len(D.RandomSampler(range(n), **kwargs))
    assert all(isinstance(i, int) and 0 <= i < n for i in first)
    if not kwargs.get("replacement"):  # whole permutations, then the start of one more
        for start in range(0, num, n):
            chunk = first[start:start + n]
            assert len(set(chunk)) == len(chunk)
    assert draw(0) == first and (num < 3 or draw(1) != first)


def test_random_sampler_without_generator_follows_the_default_generator() -> None:
    D = retrograd.utils.data
    sampler = D.RandomSampler(range(30))
    retrograd.manual_seed(0)
    a, b = list(sampler), list(sampler)
    retrograd.manual_seed(0)
    assert list(sampler) == a and a != b and sorted(a) == list(range(30))


def test_subset_random_sampler() -> None:
    D = retrograd.utils.data
    indices = [10, 20, 30, 40, 50, 60]
    g = retrograd.Generator().manual_seed(4)
    sampler = D.SubsetRandomSampler(indices, generator=g)
    order = list(sampler)
    assert len(sampler) == 6 and sorted(order) == indices
    assert list(D.SubsetRandomSampler(indices, retrograd.Generator().manual_seed(4))) == order
    both(lambda T: (len(T.utils.data.SubsetRandomSampler([3, 1])),
                    sorted(T.utils.data.SubsetRandomSampler([3, 1]))))


@pytest.mark.parametrize("args", [([1.0, 2.0], 0), ([1.0, 2.0], True), ([1.0, 2.0], 2.5),
                                  ([1.0, 2.0], 2, 1), ([[1.0, 2.0]], 2), (1.0, 2)])
def test_weighted_random_sampler_errors(args: tuple) -> None:
    both(lambda T: T.utils.data.WeightedRandomSampler(*args))


def test_weighted_random_sampler_properties() -> None:
    D = retrograd.utils.data
    weights = [0.0, 3.0, 0.0, 1.0, 2.0]
    g = retrograd.Generator().manual_seed(0)
    with_repl = list(D.WeightedRandomSampler(weights, 40, generator=g))
    assert len(with_repl) == 40 and set(with_repl) <= {1, 3, 4}
    without = list(D.WeightedRandomSampler(weights, 3, replacement=False, generator=g))
    assert sorted(without) == [1, 3, 4]
    sampler = D.WeightedRandomSampler(weights, 6)
    both(lambda T: (lambda s: (len(s), str(s.weights.dtype), s.replacement))(
        T.utils.data.WeightedRandomSampler([0.0, 3.0, 1.0], 6)))
    assert len(sampler) == 6


# --------------------------------------------------------------------------------------------
# default_collate / default_convert
# --------------------------------------------------------------------------------------------
COLLATE_CASES = {
    "tensors_f32": lambda T: [T.tensor([1.0, 2.0]), T.tensor([3.0, 4.0])],
    "tensors_i64_0d": lambda T: [T.tensor(1), T.tensor(2), T.tensor(3)],
    "tensors_bool": lambda T: [T.tensor([True]), T.tensor([False])],
    "tensors_requiring_grad": lambda T: [T.ones(2, requires_grad=True), T.zeros(2) * 2],
    "numpy_f32": lambda T: [np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)],
    "numpy_i32": lambda T: [np.array([1, 2], np.int32), np.array([3, 4], np.int32)],
    "numpy_u8": lambda T: [np.array([255], np.uint8), np.array([7], np.uint8)],
    "numpy_bool": lambda T: [np.array(True), np.array(False)],
    "numpy_scalars_f32": lambda T: [np.float32(1.5), np.float32(2.5)],
    "numpy_scalars_i32": lambda T: [np.int32(1), np.int32(2)],
    "numpy_scalars_f64": lambda T: [np.float64(1.5), np.float64(-2.0)],
    "numpy_scalars_bool": lambda T: [np.bool_(True), np.bool_(False)],
    "floats": lambda T: [1.5, 2.0, -3.25],
    "ints": lambda T: [1, 2, 3],
    "bools": lambda T: [True, False],
    "int_then_float": lambda T: [1, 2.5],
    "strings": lambda T: ["a", "bc"],
    "bytes": lambda T: [b"a", b"bc"],
    "tuples": lambda T: [(1, 2.0, "x"), (3, 4.0, "y")],
    "lists": lambda T: [[1, 2], [3, 4]],
    "dicts": lambda T: [{"a": 1, "b": T.tensor([1.0])}, {"a": 2, "b": T.tensor([2.0])}],
    "ordered_dicts": lambda T: [collections.OrderedDict(k=1.0), collections.OrderedDict(k=2.0)],
    "namedtuples": lambda T: [Point(1, np.float32(2)), Point(3, np.float32(4))],
    "nested": lambda T: [({"p": [1, 2]}, Point(T.tensor(1.0), "s")),
                         ({"p": [3, 4]}, Point(T.tensor(2.0), "t"))],
}


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_collate_matches_torch(case: str) -> None:
    both(lambda T: typed(T.utils.data.default_collate(COLLATE_CASES[case](T))))


@pytest.mark.parametrize("case", sorted(COLLATE_CASES))
def test_default_convert_matches_torch(case: str) -> None:
    both(lambda T: typed(T.utils.data.default_convert(COLLATE_CASES[case](T))))


class Opaque:
    pass


@pytest.mark.parametrize("batch", [
    [Opaque(), Opaque()], [{1, 2}, {3}], [np.array(["a"]), np.array(["b"])],
    [np.array([object()], dtype=object)], [[1, 2], [3]], [(1,), (2, 3)], [None, None],
    [np.arange(3.0)[::-1], np.arange(3.0)]],
    ids=["object", "set", "numpy_str", "numpy_object", "list_sizes", "tuple_sizes", "none",
         "numpy_negative_strides"])
def test_default_collate_errors(batch: list) -> None:
    both(lambda T: T.utils.data.default_collate(batch))


def test_default_collate_tensor_shape_mismatch_and_extension_map() -> None:
    both(lambda T: T.utils.data.default_collate([T.zeros(2), T.zeros(3)]))

    def extended(T: Any) -> Any:
        from importlib import import_module
        collate = import_module(T.__name__ + ".utils.data._utils.collate")
        table = {**collate.default_collate_fn_map,
                 Opaque: lambda batch, *, collate_fn_map: len(batch)}
        return typed(collate.collate([(Opaque(), 1), (Opaque(), 2)], collate_fn_map=table))
    both(extended)


def test_numpy_arrays_share_memory_and_negative_strides_are_refused() -> None:
    def scenario(T: Any) -> Any:
        a = np.zeros(2, np.float32)
        t = T.utils.data.default_convert(a)
        a[0] = 5.0  # seen through the tensor: as_tensor shares the array's memory
        return t, T.utils.data.default_convert(np.arange(4)[::2]).tolist()
    both(scenario)
    both(lambda T: T.utils.data.default_convert(np.arange(3)[::-1]))


def test_default_convert_keeps_non_numpy_and_string_arrays() -> None:
    both(lambda T: typed(T.utils.data.default_convert(
        [3, "s", np.array(["a", "b"]), np.float64(2.0), (np.int64(1),)]))[:2])
    both(lambda T: T.utils.data.default_convert(np.array(["a", "b"])).tolist())


# --------------------------------------------------------------------------------------------
# DistributedSampler (replicas and rank given: retrograd has no process group)
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("n, replicas", [(10, 3), (9, 3), (2, 4), (0, 2)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_without_shuffle_matches_torch(n: int, replicas: int,
                                                           drop_last: bool) -> None:
    def scenario(T: Any) -> Any:
        samplers = [T.utils.data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                                    drop_last=drop_last)
                    for rank in range(replicas)]
        return [(list(s), len(s), s.total_size) for s in samplers]
    both(scenario)


@pytest.mark.parametrize("kwargs", [{}, {"num_replicas": 2}, {"rank": 0},
                                    {"num_replicas": 2, "rank": 2},
                                    {"num_replicas": 2, "rank": -1}])
def test_distributed_sampler_errors(kwargs: dict) -> None:
    both(lambda T: T.utils.data.DistributedSampler(range(5), **kwargs))


def test_distributed_sampler_shuffles_by_seed_and_epoch_alike_on_every_replica() -> None:
    D = retrograd.utils.data

    def shares(seed: int = 0, epoch: int = 0) -> list:
        samplers = [D.DistributedSampler(range(11), 3, r, seed=seed) for r in range(3)]
        for s in samplers:
            s.set_epoch(epoch)
        return [list(s) for s in samplers]

    parts = shares()
    assert [len(p) for p in parts] == [4, 4, 4]
    # Interleaved back, the shares are one permutation padded with its own first index.
    merged = [parts[r][k] for k in range(4) for r in range(3)]
    assert sorted(merged[:11]) == list(range(11)) and merged[11] == merged[0]
    assert shares() == parts and shares(epoch=1) != parts and shares(seed=1) != parts
