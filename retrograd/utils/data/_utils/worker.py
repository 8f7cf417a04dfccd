"""The DataLoader's worker processes: the loop each one runs, what it knows about itself
(``get_worker_info``), how an exception travels to the main process, and how Tensors cross the
process boundary (as NumPy arrays, through multiprocessing's own pickler).

multiprocessing, queue, random and traceback are imported where a worker needs them: loading
them with ``import retrograd`` would cost ~8 ms for programs that never start a worker."""
from __future__ import annotations

import os
import pickle
import sys
from dataclasses import dataclass

import numpy as np

from .fetch import _DatasetKind
from ...._tensor import Tensor
from ...._creation import manual_seed

_WORKER_POLL_INTERVAL = 0.25
"""Seconds an idle worker waits for a task before checking that the main process is alive and
has not begun shutting down."""


# -- what a worker knows about itself -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """The current worker: its ``id`` (0 to num_workers - 1), ``num_workers``, the ``seed`` its
    random generators got, and ``dataset``, this process's own copy of the dataset."""

    id: int
    num_workers: int
    seed: int
    dataset: object
    rng: object = None
    worker_method: str | None = "multiprocessing"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the DataLoader worker process this runs in; None in the main process."""
    return _worker_info


@dataclass(frozen=True)
class _IterableDatasetStopIteration:
    """A worker's iterable dataset is exhausted."""

    worker_id: int


@dataclass(frozen=True)
class _ResumeIteration:
    """Persistent workers: start a new epoch (rebuild the fetcher)."""

    seed: int | None = None


# -- exceptions across processes ------------------------------------------------------------------
class KeyErrorMessage(str):
    """A str whose repr is itself: KeyError reprs its argument, which would mangle a traceback."""

    __slots__ = ()

    def __repr__(self):
        return self


class ExceptionWrapper:
    """The exception being handled, as its type and formatted traceback (both picklable), to be
    raised again in another process: "Caught ValueError in DataLoader worker process 0."."""

    def __init__(self, exc_info=None, where: str = "in background") -> None:
        if exc_info is None:
            exc_info = sys.exc_info()
        import traceback
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            # An exception type that cannot be built from one message string.
            raise RuntimeError(msg) from None
        try:
            raise exception
        finally:
            # No exception -> traceback -> this frame -> exception cycle: the frames of the
            # iterator's __next__ are freed with the exception, and with them the iterator,
            # whose __del__ then shuts its workers down at once rather than at a later gc.
            del exception


# -- Tensors across processes ---------------------------------------------------------------------
_COWARDLY = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since autograd "
             "does not support crossing process boundaries.  If you just want to transfer the "
             "data, call detach() on the tensor before serializing (e.g., putting it on the "
             "queue).")


def _subclass_slots(cls) -> list:
    # The __slots__ a Tensor subclass adds (Tensor's own are rebuilt from the array).
    return [name for klass in cls.__mro__[:cls.__mro__.index(Tensor)]
            for name in getattr(klass, "__slots__", ())
            if name not in ("__dict__", "__weakref__")]


def _rebuild_tensor(cls, data: np.ndarray, requires_grad: bool, state):
    t = Tensor._make(data, None, requires_grad)
    if cls is Tensor:
        return t
    sub = object.__new__(cls)  # a subclass: Tensor's slots, then its own slots and __dict__
    for name in Tensor.__slots__:
        if name != "__weakref__":
            object.__setattr__(sub, name, getattr(t, name))
    slots, attrs = state
    for name, value in slots.items():
        object.__setattr__(sub, name, value)
    if attrs:
        sub.__dict__.update(attrs)
    return sub


def _reduce_tensor(t):
    # A Tensor travels as its NumPy array (pickled by NumPy: a view sends only its elements) and
    # its requires_grad; the graph does not cross processes, as in PyTorch.
    if t._requires_grad and t.grad_fn is not None:
        raise RuntimeError(_COWARDLY)
    cls, state = type(t), None
    if cls is not Tensor:
        slots = {n: getattr(t, n) for n in _subclass_slots(cls) if hasattr(t, n)}
        state = (slots, getattr(t, "__dict__", None))
    return _rebuild_tensor, (cls, t._data, t._requires_grad, state)


def _register_tensor_reducers() -> None:
    """Teach multiprocessing's pickler (queues, spawned processes' arguments) to send Tensors and
    their subclasses, as torch.multiprocessing does for torch.Tensor. Its table is keyed by the
    exact type, so subclasses are registered as they are found."""
    from multiprocessing.reduction import ForkingPickler
    registered = getattr(ForkingPickler, "_extra_reducers", {})
    stack = [Tensor]
    while stack:
        cls = stack.pop()
        if cls not in registered:
            ForkingPickler.register(cls, _reduce_tensor)
        stack.extend(cls.__subclasses__())


def _dumps(obj) -> bytes:
    from multiprocessing.reduction import ForkingPickler
    return bytes(ForkingPickler.dumps(obj))


# -- seeding ------------------------------------------------------------------------------------
def _numpy_seed(base_seed: int, worker_id: int) -> list:
    """The 4-word state ``np.random.seed`` gets in a worker: NumPy's SeedSequence over
    (worker_id, low and high words of base_seed, 0), the same words PyTorch's
    ``_generate_state`` computes, so that NumPy's global stream differs from ``random``'s."""
    entropy = [worker_id, base_seed & 0xFFFFFFFF, base_seed >> 32, 0]
    return np.random.SeedSequence(entropy).generate_state(4).tolist()


def _seed_worker(base_seed: int, worker_id: int) -> int:
    import random
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    np.random.seed(_numpy_seed(base_seed, worker_id))
    return seed


# -- the loop -------------------------------------------------------------------------------------
def _worker_loop(dataset_kind, dataset, index_queue, data_queue, done_event, auto_collation,
                 collate_fn, drop_last, base_seed, init_fn, worker_id, num_workers,
                 persistent_workers) -> None:
    """Take ``(task_idx, index)`` from ``index_queue``, put ``(task_idx, pickled batch)`` on
    ``data_queue``, until ``None`` arrives or the main process is gone. Errors are sent, not
    raised: an ExceptionWrapper in place of the batch."""
    import queue
    global _worker_info
    try:
        _register_tensor_reducers()
        seed = _seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        where = f"in DataLoader worker process {worker_id}"
        init_exception = None
        fetcher = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                  collate_fn, drop_last)
        except Exception:
            init_exception = ExceptionWrapper(where=where)  # sent with the first task
        iteration_end = False
        parent = os.getppid()
        while os.getppid() == parent:  # the main process still alive
            try:
                r = index_queue.get(timeout=_WORKER_POLL_INTERVAL)
            except queue.Empty:
                if done_event.is_set():
                    # The main process is shutting down but its None did not come: it shuts
                    # down from a garbage collection that already closed the index queue's
                    # feeder thread (weakref finalizers run before __del__).
                    break
                continue
            if isinstance(r, _ResumeIteration):
                data_queue.put((r, None))
                iteration_end = False
                fetcher = _DatasetKind.create_fetcher(dataset_kind, dataset, auto_collation,
                                                      collate_fn, drop_last)
                continue
            if r is None:  # shutdown
                break
            if done_event.is_set() or iteration_end:
                continue  # shutting down, or this epoch's stream is over: drop stale tasks
            idx, index = r
            if init_exception is not None:
                data, init_exception = init_exception, None
            else:
                try:
                    data = fetcher.fetch(index)
                except Exception as e:
                    if isinstance(e, StopIteration) and dataset_kind == _DatasetKind.Iterable:
                        data = _IterableDatasetStopIteration(worker_id)
                        iteration_end = True
                    else:
                        data = ExceptionWrapper(where=where)
            try:
                # Pickled here rather than in the queue's feeder thread, so that a batch that
                # cannot be sent is reported to the main process instead of being lost.
                payload = _dumps(data)
            except Exception:
                payload = _dumps(ExceptionWrapper(where=where))
            data_queue.put((idx, payload))
            del data, idx, index, r, payload
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()


def _loads(payload: bytes):
    return pickle.loads(payload)
