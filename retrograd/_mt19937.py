"""PyTorch's CPU random engine: mt19937 seeded and laid out as ``at::CPUGeneratorImpl`` does it.

The engine is the standard 32-bit Mersenne Twister (``at::mt19937``): ``state[0]`` is the low 32
bits of the 64-bit seed and ``state[j] = 1812433253 * (state[j-1] ^ (state[j-1] >> 30)) + j``;
``left = 1`` and ``next = 0`` after seeding, so the first draw twists the whole state. A draw is
``if --left == 0: twist()``, then ``state[next++]`` tempered. ``random64()`` is two draws, the
first one the high word.

Generation is vectorised: the twist is the recurrence ``x[k+624] = x[k+397] ^ twist(x[k],
x[k+1])`` over one flat array; per 624-word block the twist terms are one NumPy expression and
the XOR runs in three chunks of <= 227 words (the distance at which a new word first depends on
another new one), so a few blocks cost a dozen NumPy calls each, not a Python loop per word.
From 9 blocks on, ``numpy.random.MT19937`` (the same standard engine, in C) is handed the state
and draws the words itself: a million words in ~5 ms instead of ~25.

``to_bytes``/``from_bytes`` give ``torch.get_rng_state()``'s 5056-byte layout
(``CPUGeneratorImplState``): the legacy ``THGeneratorState`` POD — ``uint64 the_initial_seed``,
``int32 left``, ``int32 seeded``, ``uint64 next``, ``uint64 state[624]``, ``double normal_x``,
``double normal_y`` (the cached double normal sample), ``double normal_rho``, ``int32
normal_is_valid`` and 4 bytes of padding (5048 bytes) — then ``float
next_float_normal_sample``, ``bool is_next_float_normal_sample_valid`` and 3 bytes of padding.
"""
from __future__ import annotations

import struct
import _thread  # (threading itself is not needed at import: its local and Lock are these)

import numpy as np

N, M = 624, 397
_UPPER, _LOWER, _MATRIX_A = np.uint32(0x80000000), np.uint32(0x7FFFFFFF), np.uint32(0x9908B0DF)
DEFAULT_SEED = 67280421310721  # c10::detail::default_rng_seed_val
STATE_SIZE = 5056
_HEAD = struct.Struct("<QiiQ")            # the_initial_seed, left, seeded, next
_TAIL = struct.Struct("<dddi4xf?3x")      # normal_x, normal_y, normal_rho, normal_is_valid, ...


def _seeded_state(seed: int) -> np.ndarray:
    """mt19937::init_with_uint32: a linear recurrence, so one Python pass of 623 steps."""
    out = [0] * N
    x = out[0] = seed & 0xFFFFFFFF
    for j in range(1, N):
        x = out[j] = (1812433253 * (x ^ (x >> 30)) + j) & 0xFFFFFFFF
    return np.array(out, dtype=np.uint32)


def _twist(state: np.ndarray, blocks: int) -> np.ndarray:
    """The next ``blocks`` full states (624 words each) after ``state``, as one flat array.

    Per block, ``twist(x[k], x[k+1])`` is computed for the 623 k whose two words are already
    known, then XORed with ``x[k+397]`` in chunks of at most 227 (the chunk's ``x[k+397]`` must be
    known), and the last word, which needs the block's first new word, is done alone."""
    x = np.empty(N * (blocks + 1), dtype=np.uint32)
    x[:N] = state
    one = np.uint32(1)
    for base in range(0, N * blocks, N):
        hi, lo = x[base:base + N - 1], x[base + 1:base + N]
        t = ((hi & _UPPER) | (lo & _LOWER)) >> one
        t ^= (lo & one) * _MATRIX_A
        for k in (0, N - M, 2 * (N - M)):
            end = min(k + N - M, N - 1)
            np.bitwise_xor(x[base + k + M:base + end + M], t[k:end],
                           out=x[base + k + N:base + end + N])
        u, v = int(x[base + N - 1]), int(x[base + N])
        y = (u & 0x80000000) | (v & 0x7FFFFFFF)
        x[base + 2 * N - 1] = int(x[base + N - 1 + M]) ^ (y >> 1) ^ (0x9908B0DF if v & 1 else 0)
    return x[N:]


def _temper(y: np.ndarray) -> np.ndarray:
    y = y ^ (y >> np.uint32(11))
    y ^= (y << np.uint32(7)) & np.uint32(0x9D2C5680)
    y ^= (y << np.uint32(15)) & np.uint32(0xEFC60000)
    y ^= y >> np.uint32(18)
    return y


# From this many fresh blocks on, NumPy's own mt19937 twists (C speed); below, handing it the
# state and reading it back (~35 us) costs more than ``_twist`` (~9-14 us a block).
_NUMPY_BLOCKS = 4
_LOCAL = _thread._local()   # one numpy.random.MT19937 per thread (making one costs ~90 us)
_M7, _M15 = np.uint32(0x9D2C5680), np.uint32(0xEFC60000)
_S7, _S11, _S15, _S18 = np.uint32(7), np.uint32(11), np.uint32(15), np.uint32(18)


def _untemper(y: np.ndarray) -> np.ndarray:
    """The raw state words behind tempered outputs (the tempering's four steps undone in reverse
    order; a shift by k is undone by repeating it until its 32 bits are covered)."""
    y = y ^ (y >> _S18)
    y ^= (y << _S15) & _M15
    t = y
    for _ in range(4):
        t = y ^ ((t << _S7) & _M7)
    y = t
    for _ in range(2):
        t = y ^ (t >> _S11)
    return t


def _numpy_draw(state: np.ndarray, n: int):
    """The next ``n`` tempered words after the 624-word ``state`` (which is due for a twist) and
    the last state they came from, by ``numpy.random.MT19937``: the same standard mt19937 twist
    and tempering; ``pos = 624`` makes its first draw twist, as ``left = 1`` does here. The key
    goes in as a list (NumPy's setter reads it word by word: ~17 us instead of ~52 for an
    array), and the last state comes back by untempering the last full block drawn (NumPy's
    state getter costs ~47 us)."""
    bit_gen = getattr(_LOCAL, "bit_gen", None)
    if bit_gen is None:
        bit_gen = _LOCAL.bit_gen = np.random.MT19937(0)
    bit_gen.state = {"bit_generator": "MT19937", "state": {"key": state.tolist(), "pos": N}}
    raw = bit_gen.random_raw(-(-n // N) * N).astype(np.uint32)
    return raw[:n], _untemper(raw[-N:])


class MT19937:
    """One generator's whole state: the engine and the two cached normal samples."""
    __slots__ = ("seed", "state", "left", "next", "seeded", "next_double", "next_float")

    def __init__(self, seed: int = DEFAULT_SEED):
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        """CPUGeneratorImpl::set_current_seed: a fresh engine, both normal caches dropped."""
        self.seed = seed & 0xFFFFFFFFFFFFFFFF
        self.state = _seeded_state(self.seed)
        self.left, self.next, self.seeded = 1, 0, True
        self.next_double = self.next_float = None

    def copy(self) -> "MT19937":
        other = MT19937.__new__(MT19937)
        for name in MT19937.__slots__:
            setattr(other, name, getattr(self, name))
        other.state = self.state.copy()
        return other

    # -- drawing ----------------------------------------------------------------------------------
    def words(self, n: int) -> np.ndarray:
        """The next ``n`` 32-bit outputs (``CPUGeneratorImpl::random()`` ``n`` times)."""
        n = int(n)
        parts = []
        take = max(0, min(n, self.left - 1, N - self.next))
        if take:
            parts.append(self.state[self.next:self.next + take])
            self.left -= take
            self.next += take
        if take:
            parts[0] = _temper(parts[0])
        rest = n - take
        if rest > 0:
            blocks = -(-rest // N)
            if blocks >= _NUMPY_BLOCKS:
                fresh, self.state = _numpy_draw(self.state, rest)
                parts.append(fresh)
            else:
                fresh = _twist(self.state, blocks)
                parts.append(_temper(fresh[:rest]))
                self.state = fresh[-N:].copy()
            used = rest - N * (blocks - 1)
            self.next, self.left = used, N + 1 - used
        if not parts:
            return np.empty(0, dtype=np.uint32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def random64(self, n: int) -> np.ndarray:
        """``random64()`` ``n`` times: two words each, the first one the high half."""
        w = self.words(2 * n).astype(np.uint64).reshape(-1, 2)
        return (w[:, 0] << np.uint64(32)) | w[:, 1]

    def skip(self, n: int) -> None:
        self.words(n)

    # -- torch.get_rng_state() bytes --------------------------------------------------------------
    def to_bytes(self) -> bytes:
        head = _HEAD.pack(self.seed, self.left, int(self.seeded), self.next)
        body = self.state.astype("<u8").tobytes()
        nd, nf = self.next_double, self.next_float
        tail = _TAIL.pack(0.0, 0.0 if nd is None else nd, 0.0, nd is not None,
                          0.0 if nf is None else nf, nf is not None)
        return head + body + tail

    def from_bytes(self, raw: bytes) -> None:
        """CPUGeneratorImpl::set_state (PyTorch 2.13 takes the 5056-byte layout only)."""
        if len(raw) != STATE_SIZE:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found "
                               f"the input RNG state size to be {len(raw)}")
        seed, left, seeded, nxt = _HEAD.unpack_from(raw, 0)
        words = np.frombuffer(raw, dtype="<u8", count=N, offset=_HEAD.size)
        _, normal_y, _, normal_valid, value, valid = _TAIL.unpack_from(raw, _HEAD.size + 8 * N)
        nxt &= 0xFFFFFFFF
        if not (seeded and 0 < left <= N and nxt <= N):
            raise RuntimeError("Invalid mt19937 state")
        self.seed, self.left, self.seeded, self.next = seed, left, True, nxt
        self.state = words.astype(np.uint32)
        self.next_double = normal_y if normal_valid else None
        self.next_float = value if valid else None
