"""The DataLoader with worker processes (num_workers > 0), against torch 2.13 where the outcome is
deterministic: batches in order, worker info and seeding, IterableDataset sharding, persistent
workers, prefetching, timeouts, worker exceptions re-raised in the main process; and the clean
shutdown of the workers (no process left running or unreaped). Small datasets, two workers."""
from __future__ import annotations

import gc
import multiprocessing
import os
import random
import time
from typing import Any

import numpy as np
import pytest

import retrograd
from _both import both
from test_data import tds, typed

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(),
                                reason="the worker tests use the fork start method")


def lib(T: Any) -> Any:
    return T.utils.data


class Squares:
    """A map-style dataset of NumPy samples; item ``slow`` sleeps first (to reorder arrivals)."""

    def __init__(self, n: int = 8, slow: int | None = None, delay: float = 0.3) -> None:
        self.n, self.slow, self.delay = n, slow, delay

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Any:
        if i == self.slow:
            time.sleep(self.delay)
        return {"x": np.array([i, i * i], dtype=np.float32), "i": i}


def forked(T: Any, dataset: Any, **kwargs: Any) -> Any:
    """A DataLoader whose workers are forked, whatever the platform's default start method (the
    datasets and functions of these tests are local, which only fork can hand to a worker)."""
    if kwargs.get("num_workers"):
        kwargs.setdefault("multiprocessing_context", "fork")
    return lib(T).DataLoader(dataset, **kwargs)


def workers_of(it: Any) -> list:
    return list(it._workers)


def assert_reaped(procs: list) -> None:
    """Every worker has exited and been waited for: not alive, an exit code, no zombie left."""
    live = {p.pid for p in multiprocessing.active_children()}
    for p in procs:
        assert not p.is_alive() and p.exitcode is not None and p.pid not in live
        try:
            with open(f"/proc/{p.pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            continue
        assert state != "Z", f"worker {p.pid} is a zombie"


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [{"batch_size": 3, "drop_last": True},
                                    {"batch_size": None, "prefetch_factor": 1}])
def test_workers_give_torchs_batches(kwargs: dict) -> None:
    def scenario(T: Any) -> Any:
        loader = forked(T, tds(T), num_workers=2, **kwargs)
        return typed(list(loader)), len(loader)
    both(scenario)


def test_workers_give_torchs_batches_of_numpy_dicts_over_two_epochs() -> None:
    def scenario(T: Any) -> Any:
        loader = forked(T, Squares(5), num_workers=2, batch_size=2)
        return typed(list(loader)), typed(list(loader))
    both(scenario)


def test_batches_come_in_order_even_when_a_worker_is_slow() -> None:
    loader = forked(retrograd, Squares(6, slow=0), num_workers=2, batch_size=1)
    assert [int(b["i"]) for b in loader] == list(range(6))
    unordered = forked(retrograd, Squares(6, slow=0), num_workers=2, in_order=False)
    assert sorted(int(b["i"]) for b in unordered) == list(range(6))


def test_prefetch_factor_bounds_the_tasks_sent_ahead() -> None:
    def scenario(T: Any) -> Any:
        sent = []
        for pf in (1, 3):
            it = iter(forked(T, Squares(20), num_workers=2, prefetch_factor=pf))
            sent.append(it._send_idx)
            next(it)
            sent.append(it._send_idx)
            del it
        return sent
    assert both(scenario).value == [2, 3, 6, 7]


def test_tensor_indices_and_tensor_samples_cross_the_process_boundary() -> None:
    def scenario(T: Any) -> Any:
        x = T.arange(12.0).reshape(3, 4)
        ds = lib(T).TensorDataset(x.t(), T.arange(4))  # non-contiguous views as samples
        by_tensor = forked(T, ds, sampler=T.tensor([3, 0, 2]), num_workers=2)
        leaf = T.ones(2, requires_grad=True)
        grads = forked(T, [leaf, leaf * 0], batch_size=None, num_workers=1,
                       collate_fn=lambda t: t.detach().requires_grad_())
        return typed(list(by_tensor)), [(g.requires_grad, g.is_leaf, g.tolist()) for g in grads]
    both(scenario)


def test_a_leaf_that_requires_grad_keeps_it_and_a_non_leaf_is_refused() -> None:
    D = retrograd.utils.data
    leaf = retrograd.ones(2, requires_grad=True)
    [got] = list(forked(retrograd, [leaf], batch_size=None, num_workers=1))
    assert got.requires_grad and got.is_leaf and got is not leaf and got.tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError) as info:
        list(forked(retrograd, [leaf], batch_size=None, num_workers=1,
                    collate_fn=lambda t: t * 2))
    first, *_, last = str(info.value).splitlines()
    assert first == "Caught RuntimeError in DataLoader worker process 0."
    assert last.startswith("RuntimeError: Cowardly refusing to serialize non-leaf tensor")


class Tagged(retrograd.Tensor):
    pass


class Slotted(retrograd.Tensor):
    __slots__ = ("unit",)


@pytest.mark.parametrize("cls", [Tagged, Slotted])
def test_a_tensor_subclass_crosses_with_its_class_and_attributes(cls: type) -> None:
    t = retrograd.tensor([1.0, 2.0]).detach()
    sub = object.__new__(cls)
    for name in ("_data", "grad_fn", "_requires_grad", "_grad", "_vc", "_x"):
        object.__setattr__(sub, name, getattr(t, name))
    if cls is Tagged:
        sub.note = "kept"
    else:
        sub.unit = "m"
    [got] = list(forked(retrograd, [sub], batch_size=None, num_workers=1))
    assert type(got) is cls and got.tolist() == [1.0, 2.0]
    assert (got.note if cls is Tagged else got.unit) == ("kept" if cls is Tagged else "m")


# --------------------------------------------------------------------------------------------
# Worker info, seeding, worker_init_fn
# --------------------------------------------------------------------------------------------
class WhoAmI:
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> Any:
        info = retrograd.utils.data.get_worker_info()
        return (info.id, info.num_workers, info.seed, info.dataset is not None,
                getattr(info.dataset, "tag", None), retrograd.initial_seed(),
                random.Random(info.seed).random(), np.random.get_state()[1][:2].tolist())


def tag_dataset(worker_id: int) -> None:
    info = retrograd.utils.data.get_worker_info()
    info.dataset.tag = 100 + worker_id


def test_worker_info_seeds_and_worker_init_fn() -> None:
    from retrograd.utils.data._utils.worker import _numpy_seed
    from retrograd.utils.data.sampler import _random_seed
    D = retrograd.utils.data
    loader = forked(retrograd, WhoAmI(), num_workers=2, batch_size=None,
                    worker_init_fn=tag_dataset, generator=retrograd.Generator().manual_seed(11))
    rows = list(loader)
    base = _random_seed(retrograd.Generator().manual_seed(11))
    for task, (wid, n, seed, has_ds, tag, initial, py_random, np_state) in enumerate(rows):
        assert (wid, n, has_ds, tag) == (task % 2, 2, True, 100 + task % 2)
        assert seed == initial == base + wid  # the worker's default generator got its seed
        assert py_random == random.Random(seed).random()
        expected = np.random.RandomState(_numpy_seed(base, wid)).get_state()[1][:2].tolist()
        assert np_state == expected
    assert D.get_worker_info() is None
    again = list(forked(retrograd, WhoAmI(), num_workers=2, batch_size=None,
                        generator=retrograd.Generator().manual_seed(11)))
    assert [r[2] for r in again] == [r[2] for r in rows]


def test_numpy_seed_words_are_torchs() -> None:
    from torch.utils.data._utils.worker import _generate_state

    from retrograd.utils.data._utils.worker import _numpy_seed
    for base, wid in [(0, 0), (12345, 1), (2 ** 63 - 1, 3), (9007525425717161174, 7)]:
        assert _numpy_seed(base, wid) == _generate_state(base, wid)


# --------------------------------------------------------------------------------------------
# IterableDataset in workers
# --------------------------------------------------------------------------------------------
def ranged(T: Any, shard: str) -> Any:
    class Ranged(lib(T).IterableDataset):
        def __init__(self, start: int, end: int) -> None:
            self.start, self.end = start, end

        def __iter__(self):
            info = lib(T).get_worker_info()
            start, end = self.start, self.end
            if shard == "iter" and info is not None:
                per = -(-(end - start) // info.num_workers)
                start = self.start + info.id * per
                end = min(start + per, self.end)
            return iter(range(start, end))
    return Ranged


def shard_in_init(worker_id: int) -> None:
    import torch.utils.data
    for mod in (torch.utils.data, retrograd.utils.data):
        info = mod.get_worker_info()
        if info is not None:
            ds = info.dataset
            per = -(-(ds.end - ds.start) // info.num_workers)
            ds.start, ds.end = ds.start + worker_id * per, min(ds.start + (worker_id + 1) * per,
                                                               ds.end)


@pytest.mark.parametrize("shard, batch_size", [("iter", 1), ("iter", None), ("init_fn", 2),
                                               ("none", 1)])
def test_iterable_dataset_sharding_matches_torch(shard: str, batch_size: int | None) -> None:
    def scenario(T: Any) -> Any:
        init = shard_in_init if shard == "init_fn" else None
        loader = forked(T, ranged(T, shard)(3, 8), num_workers=2, worker_init_fn=init,
                        batch_size=batch_size)
        return typed(list(loader))
    both(scenario)


def test_iterable_dataset_with_persistent_workers_runs_every_epoch() -> None:
    def scenario(T: Any) -> Any:
        loader = forked(T, ranged(T, "iter")(0, 5), num_workers=2, batch_size=2,
                        persistent_workers=True)
        return [typed(list(loader)) for _ in range(3)]
    both(scenario)


# --------------------------------------------------------------------------------------------
# Persistent workers, timeout, errors
# --------------------------------------------------------------------------------------------
class Pids:
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        return os.getpid()


def test_persistent_workers_are_reused_then_shut_down_with_the_loader() -> None:
    loader = forked(retrograd, Pids(), num_workers=2, persistent_workers=True)
    first = {int(p) for p in loader}
    it = loader._iterator
    procs = workers_of(it)
    second = {int(p) for p in loader}
    assert loader._iterator is it and first == second == {p.pid for p in procs}
    assert all(p.is_alive() for p in procs)
    half = iter(loader)  # an epoch abandoned half-way: the next one starts clean
    next(half)
    assert len([int(p) for p in loader]) == 4
    del loader, it, half
    gc.collect()
    assert_reaped(procs)


class Failing:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        if i == 2:
            if self.kind == "value":
                raise ValueError("bad sample 2")
            if self.kind == "key":
                return {"a": 1}["missing"]
            raise TwoArgs("x", 2)
        return i


class TwoArgs(Exception):
    def __init__(self, a: str, b: int) -> None:
        super().__init__(a, b)


def summary(e: BaseException) -> tuple:
    lines = str(e).splitlines()
    return type(e).__name__, lines[0], lines[1], lines[-1]


def drain(it: Any) -> tuple:
    """The batches before the first error, and a summary of that error. The workers are shut
    down here: the exception's traceback keeps the iterator alive until a later gc, and torch's
    workers then wait out their 5 s join timeout."""
    got = []
    try:
        for b in it:
            got.append(b.tolist())
    except Exception as e:  # noqa: BLE001 - compared across libraries
        return got, summary(e)
    finally:
        it._shutdown_workers()


@pytest.mark.parametrize("kind", ["value", "key", "two_args"])
def test_a_worker_exception_is_raised_again_in_the_main_process(kind: str) -> None:
    def scenario(T: Any) -> Any:
        return drain(iter(forked(T, Failing(kind), num_workers=2, batch_size=1)))
    out = both(scenario)
    assert out.value[1][1].startswith("Caught ") and "DataLoader worker process 0." in \
        out.value[1][1]


def broken_init(worker_id: int) -> None:
    if worker_id == 1:
        raise OSError("no such resource")


def test_an_exception_in_worker_init_fn_comes_with_that_workers_first_batch() -> None:
    def scenario(T: Any) -> Any:
        return drain(iter(forked(T, list(range(4)), num_workers=2,
                                            worker_init_fn=broken_init)))
    assert both(scenario).value[0] == [[0]]


def test_timeout_while_waiting_for_a_batch() -> None:
    def scenario(T: Any) -> Any:
        it = iter(forked(T, Squares(2, slow=0, delay=0.6), num_workers=1, timeout=0.1))
        try:
            next(it)
        finally:
            it._shutdown_workers()
    out = both(scenario)
    assert out.error == ("RuntimeError", "DataLoader timed out after 0.1 seconds")


# --------------------------------------------------------------------------------------------
# Shutdown: no worker left behind
# --------------------------------------------------------------------------------------------
def test_workers_exit_after_the_last_batch() -> None:
    # The platform's default start method here: Squares is importable, so any method can run it.
    it = iter(retrograd.utils.data.DataLoader(Squares(6), num_workers=2, batch_size=2))
    procs = workers_of(it)
    assert len(list(it)) == 3
    assert_reaped(procs)
    assert all(p.exitcode == 0 for p in procs)


def test_workers_exit_when_an_iterator_is_dropped_half_way_or_fails() -> None:
    it = iter(forked(retrograd, Squares(40), num_workers=2))
    next(it)
    procs = workers_of(it)
    del it
    gc.collect()
    assert_reaped(procs)
    assert all(p.exitcode == 0 for p in procs)
    it = iter(forked(retrograd, Failing("value"), num_workers=2))
    procs = workers_of(it)
    with pytest.raises(ValueError):
        list(it)
    del it
    gc.collect()
    assert_reaped(procs)


class Dies:
    def __len__(self) -> int:
        return 4

    def __getitem__(self, i: int) -> int:
        if i == 1:
            os._exit(3)
        return i


def test_a_worker_that_dies_is_reported() -> None:
    it = iter(forked(retrograd, Dies(), num_workers=2))
    procs = workers_of(it)
    with pytest.raises(RuntimeError, match=rf"^DataLoader worker \(pid\(s\) {procs[1].pid}\) "
                                           r"exited unexpectedly$"):
        list(it)
    del it
    gc.collect()
    assert_reaped(procs)
    assert procs[1].exitcode == 3


def test_spawn_start_method_sends_tensors_in_the_process_arguments() -> None:
    # The dataset is pickled into the spawned worker. torch loads in the main process here: its
    # values are the same, and a spawned torch worker would spend seconds importing torch.
    def scenario(T: Any) -> Any:
        ds = lib(T).TensorDataset(T.arange(6.0).reshape(3, 2), T.tensor([True, False, True]))
        spawn = {"num_workers": 1, "multiprocessing_context": "spawn"} if T is retrograd else {}
        return typed(list(lib(T).DataLoader(ds, batch_size=2, **spawn)))
    both(scenario)
