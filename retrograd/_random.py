"""``torch.Generator`` and the random factories, on PyTorch's own CPU stream: the same seed and
the same calls give the same numbers as PyTorch 2.13, bit for bit (see docs/random.md).

The engine is ``_mt19937.MT19937``; the per-distribution kernels are in ``_random_dists``.
"""
from __future__ import annotations

import contextlib
import math
import os

import numpy as np

from . import _dtype as D
from . import _random_dists as RD
from ._device import check as _check_device
from ._factory import _FACTORY_OPTIONS, _dtype_or, _finish, _make, _shape, invalid_combination
from ._tensor import Tensor
from ._mt19937 import DEFAULT_SEED, MT19937
from ._device import device as _device

_U64 = 1 << 64
_NP_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
             "uint8": "Byte", "bool": "Bool"}


def _unpack_seed(seed, strict: bool) -> int:
    """THPGenerator_manualSeed's unpack_uint64: [0, 2^64) as is, [-2^63, 0) as two's complement."""
    if strict and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer, Tensor))):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed < _U64:
        raise ValueError("Overflow when unpacking long long")
    return seed % _U64


class Generator:
    """A CPU random generator: PyTorch's mt19937 (``at::CPUGeneratorImpl``), seeded with
    67280421310721 until ``manual_seed``."""

    def __init__(self, device="cpu"):
        self.device = _device(device) if not hasattr(device, "type") else device
        self._rng = MT19937(DEFAULT_SEED)

    def __repr__(self) -> str:
        return f"<torch._C.Generator object at {hex(id(self))}>"

    def manual_seed(self, seed) -> "Generator":
        self._rng.manual_seed(_unpack_seed(seed, strict=True))
        return self

    def seed(self) -> int:
        """A non-deterministic 64-bit seed, set and returned."""
        s = int.from_bytes(os.urandom(8), "little")
        self._rng.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._rng.seed

    def get_state(self) -> Tensor:
        """The state as PyTorch's 5056-byte ``torch.ByteTensor`` (loadable by torch too)."""
        return _make(np.frombuffer(self._rng.to_bytes(), dtype=np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}")
        if new_state._data.dtype != np.uint8:
            raise TypeError("RNG state must be a torch.ByteTensor")
        self._rng.from_bytes(np.ascontiguousarray(new_state._data).tobytes())
        return self

    def _snapshot(self) -> bytes:
        return self._rng.to_bytes()

    def _restore(self, raw: bytes) -> None:
        self._rng.from_bytes(raw)

    def __getstate__(self):
        return {"device": str(self.device), "state": self._rng.to_bytes()}

    def __setstate__(self, st):
        self.__init__(st["device"])
        self._rng.from_bytes(st["state"])


default_generator = Generator()


def manual_seed(seed) -> Generator:
    """Seed the default generator (``int(seed)`` first, as ``torch.manual_seed`` does)."""
    return default_generator.manual_seed(_unpack_seed(seed, strict=False))


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state() -> Tensor:
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cuda"):
    """``torch.random.fork_rng`` on CPU: the default generator's state is restored on exit."""
    if not enabled:
        yield
        return
    state = default_generator._snapshot()
    try:
        yield
    finally:
        default_generator._restore(state)


def _rng(generator) -> MT19937:
    return (generator if generator is not None else default_generator)._rng


# -- writing draws into a tensor's memory order ---------------------------------------------------
def is_contiguous(arr: np.ndarray) -> bool:
    return arr.size <= 1 or arr.flags.c_contiguous


def in_memory_order(values: np.ndarray, like: np.ndarray) -> np.ndarray:
    """Lay ``values`` (in draw order) out the way PyTorch's serial kernels visit ``like``:
    TensorIterator walks a non-contiguous tensor in memory order (dims sorted by stride)."""
    if is_contiguous(like) or like.ndim < 2:
        return values.reshape(like.shape)
    perm = sorted(range(like.ndim), key=lambda d: -abs(like.strides[d]))
    shaped = values.reshape([like.shape[d] for d in perm])
    return shaped.transpose(np.argsort(perm))


# -- factories ------------------------------------------------------------------------------------
def _float_dtype(dtype, name: str) -> np.dtype:
    dt = dtype or D.float32
    if not dt.is_floating_point:
        raise NotImplementedError(f"\"{name}\" not implemented for '{_legacy_name(dt)}'")
    return dt.np


def _legacy_name(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


def _numel(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
         layout=None, pin_memory=False) -> Tensor:
    """``empty(size).uniform_(0, 1)``."""
    _check_device(device, pin_memory)
    npdt = _float_dtype(dtype, "check_uniform_bounds")
    shape = _shape(size)
    arr = RD.uniform(_rng(generator), _numel(shape), npdt).reshape(shape)
    return _finish(arr, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, out=None,
          layout=None, pin_memory=False) -> Tensor:
    """``empty(size).normal_(0, 1)``."""
    _check_device(device, pin_memory)
    npdt = _float_dtype(dtype, "normal_kernel_cpu")
    shape = _shape(size)
    arr = RD.normal(_rng(generator), _numel(shape), npdt).reshape(shape)
    return _finish(arr, requires_grad)


def random_from_to(eng, shape, npdt, low: int, high: int) -> np.ndarray:
    low, high = RD.float_bounds(npdt, low, high)
    return RD.random_from_to(eng, _numel(shape), high - low, low).astype(npdt).reshape(shape)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, out=None, layout=None, pin_memory=False) -> Tensor:
    """``empty(size, dtype).random_(low, high)``."""
    _check_device(device, pin_memory)
    given = (low,) if high is None else (low, high)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size)
    if high is None:
        low, high = 0, low
    if size is None:
        if dtype is not None or generator is not None:
            raise TypeError('randint() missing 1 required positional arguments: "size"')
        sizes = "tuple of ints size, *, torch.Generator generator, "
        raise invalid_combination("randint", given, tuple(
            f"{bounds}, {sz}{_FACTORY_OPTIONS}" for bounds in ("int high", "int low, int high")
            for sz in (sizes, sizes.replace("torch.Generator generator, ", ""))))
    low, high = int(low), int(high)
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    shape = _shape((size,))
    arr = random_from_to(_rng(generator), shape, _dtype_or(dtype, D.int64), low, high)
    return _finish(arr, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False,
             pin_memory=False, out=None, layout=None) -> Tensor:
    """randperm_cpu: for n < 2^32 / 20, swap i with i + random() % (n - i) for i < n - 1
    (applied vectorised by ``_swaps_to_perm``); above, the inside-out Fisher-Yates on
    random64() % (i + 1)."""
    _check_device(device, pin_memory)
    n = int(n)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    eng = _rng(generator)
    if n < (2 ** 32 - 1) // 20:
        if n > 1:
            span = np.arange(n, 1, -1, dtype=np.uint64)
            targets = (eng.words(n - 1).astype(np.uint64) % span).astype(np.int64)
            targets += np.arange(n - 1, dtype=np.int64)
            perm = _swaps_to_perm(targets)
        else:
            perm = np.arange(n)
    else:
        perm = list(range(n))
        picks = (eng.random64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
        for i, z in enumerate(picks):
            perm[i] = perm[z]
            perm[z] = i
    return _finish(np.array(perm, dtype=_dtype_or(dtype, D.int64)), requires_grad)


def _swaps_to_perm(targets: np.ndarray) -> np.ndarray:
    """The identity after ``swap(perm[i], perm[targets[i]])`` for i = 0, 1, ... (targets[i] >=
    i), without a Python loop. Position i is final after step i: it takes what position
    targets[i] held then. That is the target's own index if no earlier step wrote it, else what
    the previous step with the same target found at its own position i' before step i'
    (``held[i']``); and ``held[k]`` is ``held`` of the last earlier step that targeted k, or k.
    Sorting the steps by (target, step) gives both; the ``held`` chains are followed by pointer
    jumping."""
    m = targets.size
    n = m + 1
    key = np.sort(targets * n + np.arange(m))             # by target, then by step
    tgt, order = np.divmod(key, n)
    first = np.empty(m, bool)
    first[:1] = True
    np.not_equal(tgt[1:], tgt[:-1], out=first[1:])
    last = np.empty(m, bool)
    last[-1:] = True
    last[:-1] = first[1:]
    prev = np.empty(m, np.int64)                          # the previous step, same target
    prev[order[1:]] = order[:-1]
    prev[order[first]] = -1
    held = np.arange(n, dtype=np.int64)                   # held[k] = held[held[k]] until a root
    lm, lt = order[last], tgt[last]
    src = np.where(lm == lt, prev[lm], lm)                # the last step < k that targeted k
    wrote = src >= 0
    held[lt[wrote]] = src[wrote]
    live = lt[wrote]
    while live.size:
        up = held[held[live]]
        held[live] = up
        live = live[held[up] != up]
    out = np.empty(n, np.int64)
    out[order[first]] = tgt[first]
    rest = order[~first]
    out[rest] = held[prev[rest]]
    out[n - 1] = held[n - 1]
    return out


def normal_fill(eng, arr_like: np.ndarray, mean: float, std: float) -> np.ndarray:
    """What ``t.normal_(mean, std)`` writes into ``t`` (same shape and dtype as arr_like)."""
    vals = RD.normal(eng, arr_like.size, arr_like.dtype, mean, std, is_contiguous(arr_like))
    return in_memory_order(vals, arr_like)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None,
           layout=None, device=None, pin_memory=False, requires_grad=False) -> Tensor:
    """torch.normal's four overloads: numbers with a size fill ``normal_(mean, std)``; with a
    tensor, the output is drawn with ``normal_(0, 1)`` (``normal_(0, std)`` for a number std),
    then multiplied by std and shifted by mean in the output's dtype, as PyTorch does."""
    eng = _rng(generator)
    mt, st = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not mt and not st:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments")
        npdt = _float_dtype(dtype, "normal_kernel_cpu")
        shape = _shape((size,))
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        return _finish(RD.normal(eng, _numel(shape), npdt, float(mean), float(std))
                       .reshape(shape), requires_grad)
    if st and std._data.size and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if not st and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    m = mean._data if mt else None
    s = std._data if st else None
    npdt = (m if mt else s).dtype
    shape = np.broadcast_shapes(np.shape(m) if mt else (), np.shape(s) if st else ())
    template = np.empty(shape, dtype=npdt)
    if mt and not st:
        out_arr = normal_fill(eng, template, 0.0, float(std))
        return _make((out_arr + m).astype(npdt))
    out_arr = normal_fill(eng, template, 0.0, 1.0)
    out_arr = (out_arr * s).astype(npdt)
    return _make((out_arr + (m if mt else npdt.type(mean))).astype(npdt))


def bernoulli(input, p=None, *, generator=None, out=None) -> Tensor:
    """``empty_like(input).bernoulli_(input)``, or ``bernoulli_(p)`` for a number p."""
    arr = input._data
    eng = _rng(generator)
    if p is None:
        if arr.dtype.kind != "f":
            raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                      f"'{_NP_NAMES.get(arr.dtype.name, arr.dtype.name)}'")
        if arr.size and not ((arr >= 0) & (arr <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)")
        flat = RD.bernoulli_tensor(eng, memory_flat(arr))
        return _make(in_memory_order(flat, arr).astype(arr.dtype))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p:g}")
    flat = RD.bernoulli_scalar(eng, arr.size, float(p))
    return _make(in_memory_order(flat, arr).astype(arr.dtype))


def memory_flat(arr: np.ndarray, like: np.ndarray | None = None) -> np.ndarray:
    """``arr`` (broadcast to ``like``'s shape) in ``like``'s memory order: the inverse of
    ``in_memory_order``."""
    like = arr if like is None else like
    arr = np.broadcast_to(arr, like.shape)
    if is_contiguous(like) or like.ndim < 2:
        return arr.ravel()
    perm = sorted(range(like.ndim), key=lambda d: -abs(like.strides[d]))
    return arr.transpose(perm).ravel()
