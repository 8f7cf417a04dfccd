"""In-place random fills: ``uniform_``, ``normal_``, ``bernoulli_``, ``random_``, ``exponential_``,
``log_normal_``, ``cauchy_``, ``geometric_`` (what ``torch.nn.init`` draws with).

Each draws from the given ``Generator`` or the default one, on PyTorch's own CPU stream: the same
seed and calls give PyTorch's values bit for bit (``retrograd/_random_dists.py``), written in the
tensor's memory order as PyTorch's serial kernels write them. Outside ``no_grad`` on a tensor that requires grad the
fill is recorded like PyTorch's: the old values get a zero gradient (``UniformBackward0``, ...).
"""
from __future__ import annotations


import numpy as np

from .. import _warn
from .. import _random_dists as RD
from .._random import _rng, in_memory_order, memory_flat, normal_fill
from ..autograd.node import Node
from ._registry import export
from ._util import Tensor, needs_grad
from ..autograd._record import record
from .inplace import _write, bump_version, check_inplace, finish_inplace
from .. import _dtype as D

# torch's names for a dtype in these messages: the AT_DISPATCH name ('Long') and the C++ type.
_DISPATCH = D.SCALAR_NAMES  # the one table, in _dtype.py
_C_NAME = D.CPP_NAMES  # the one table, in _dtype.py


def _g(v) -> str:
    """A double as C++'s ostream prints it (torch's messages)."""
    return "%g" % v


def _not_implemented(kernel: str, t: Tensor):
    return NotImplementedError(f"\"{kernel}\" not implemented for "
                               f"'{_DISPATCH[t._data.dtype.name]}'")


def _continuous_only(name: str, t: Tensor, c_name: bool) -> None:
    if t._data.dtype.kind != "f":
        dt = t._data.dtype.name
        raise RuntimeError(f"{name} distribution is a continuous probability distribution. dtype "
                           f"must be a floating point but you specified "
                           f"{_C_NAME[dt] if c_name else _DISPATCH[dt]}")


def _fill(t: Tensor, cls, values: np.ndarray, others=()) -> Tensor:
    """Write ``values`` into ``t`` in place, recording ``cls`` when autograd tracks ``t``."""
    check_inplace(t, *others)
    out = values.astype(t._data.dtype, copy=False)
    if needs_grad(t, *others) and t._data.dtype.kind == "f":
        return finish_inplace(t, record(cls, (t,) + tuple(others), out))
    _write(t, out, check_dtype=False)
    bump_version(t)
    return t


class _ZeroGrad(Node):
    """A random fill forgets the old values: their gradient is zero."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad),)


class UniformBackward0(_ZeroGrad):
    __slots__ = ()


def _check_float_range(t: Tensor, a: float, b: float) -> None:
    """PyTorch's uniform_ bounds checks for a floating dtype."""
    dt = t._data.dtype
    limit = float(np.finfo(dt).max)
    name = _C_NAME[dt.name]
    if not -limit <= a <= limit:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not -limit <= b <= limit:
        raise RuntimeError(f"to is out of bounds for {name}")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from="
                           f"{_g(a)} > to={_g(b)}")
    if b - a > limit:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{_DISPATCH[dt.name]}>::max(), but found to={_g(b)} and from="
                           f"{_g(a)} which result in to-from to exceed the limit")


@export(torch=False, method="uniform_")
def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None, **kwargs) -> Tensor:
    """Fill with U[a, b) (``from``/``to`` as keywords, as in PyTorch)."""
    a, b = kwargs.pop("from", a), kwargs.pop("to", b)
    _unexpected("uniform_", kwargs)
    if t._data.dtype.kind != "f":
        raise _not_implemented("check_uniform_bounds", t)
    a, b = float(a), float(b)
    _check_float_range(t, a, b)
    arr = t._data
    u = RD.uniform(_rng(generator), arr.size, arr.dtype, a, b)
    return _fill(t, UniformBackward0, in_memory_order(u, arr))


def _unexpected(name: str, kwargs: dict) -> None:
    if kwargs:
        raise TypeError(f"{name}() got an unexpected keyword argument '{next(iter(kwargs))}'")


class NormalBackward0(_ZeroGrad):
    __slots__ = ()


@export(torch=False, method="normal_")
def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with N(mean, std^2)."""
    if t._data.dtype.kind != "f":
        raise _not_implemented("normal_kernel_cpu", t)
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_g(std)}")
    return _fill(t, NormalBackward0, normal_fill(_rng(generator), t._data, float(mean),
                                                 float(std)))


class BernoulliBackward1(Node):
    """bernoulli_(p tensor): zero gradients for the old values and for p."""
    __slots__ = ()

    def backward(self, ns, grad):
        return (ns.zeros_like(grad) if self.needs(0) else None,
                ns.zeros_like(grad) if self.needs(1) else None)  # summed down to p's shape


class BernoulliBackward2(_ZeroGrad):
    __slots__ = ()


@export(torch=False, method="bernoulli_")
def bernoulli_(t: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 with probability ``p`` (a number or a tensor broadcast to ``t``), else 0."""
    arr = t._data
    if isinstance(p, Tensor):
        prob = p._data
        try:
            prob = np.broadcast_to(prob, t._data.shape)
        except ValueError:
            raise RuntimeError(_expand_message(t._data.shape, prob.shape)) from None
        if prob.size and not ((prob >= 0) & (prob <= 1)).all():
            raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report an "
                               "enhancement request to PyTorch.)")
        if prob.dtype.kind != "f":
            raise _not_implemented("bernoulli_tensor_cpu_p_", p)
        draws = RD.bernoulli_tensor(_rng(generator), memory_flat(prob, arr))
        return _fill(t, BernoulliBackward1, in_memory_order(draws, arr), (p,))
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={_g(p)}")
    draws = RD.bernoulli_scalar(_rng(generator), arr.size, float(p))
    return _fill(t, BernoulliBackward2, in_memory_order(draws, arr))


def _expand_message(target: tuple, shape: tuple) -> str:
    tgt, src = list(target), list(shape)
    for i in range(1, len(src) + 1):
        if src[-i] != 1 and (i > len(tgt) or src[-i] != tgt[-i]):
            return (f"The expanded size of the tensor ({tgt[-i] if i <= len(tgt) else -1}) must "
                    f"match the existing size ({src[-i]}) at non-singleton dimension "
                    f"{len(tgt) - i}.  Target sizes: {tgt}.  Tensor sizes: {src}")
    return f"expand: cannot expand {src} to {tgt}"


class RandomBackward0(_ZeroGrad):
    __slots__ = ()


class RandomBackward1(_ZeroGrad):
    __slots__ = ()


class RandomBackward2(_ZeroGrad):
    __slots__ = ()


def _default_high(dt: np.dtype) -> int:
    """The largest value random_() draws (inclusive): 2^digits for floats, the max for ints."""
    if dt.kind == "f":
        return 2 ** (np.finfo(dt).nmant + 1)
    return 1 if dt.kind == "b" else int(np.iinfo(dt).max)


def _check_random_bounds(dt: np.dtype, low: int, high_incl: int) -> None:
    name = _C_NAME[dt.name]
    if dt.kind in "iub":
        lo, hi = (0, 1) if dt.kind == "b" else (int(np.iinfo(dt).min), int(np.iinfo(dt).max))
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {name}")
        if not lo <= high_incl <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {name}")
        return
    digits = np.finfo(dt).nmant + 1
    for what, v in (("from", low), ("to - 1", high_incl)):
        if not -(2 ** digits) <= v <= 2 ** digits:
            _warn.warn(f"{what} is out of bounds [-(2^{digits}), 2^{digits}]. Due to precision "
                       f"limitations {name} can support discrete uniform distribution only within "
                       f"this range. This warning will become an error in version 1.7 release, "
                       f"please fix the code in advance", UserWarning)


@export(torch=False, method="random_")
def random_(t: Tensor, *args, generator=None, **kwargs) -> Tensor:
    """random_(): integers in [0, 2^digits] for floats, [0, max] for integers;
    random_(to): [0, to); random_(from, to): [from, to), ``to=None`` meaning random_()'s top."""
    if len(args) > 2:
        raise TypeError(f"random_() takes at most 2 arguments ({len(args)} given)")
    vals = dict(zip(("from", "to"), args))
    for k in ("from", "to"):
        if k in kwargs:
            vals[k] = kwargs.pop(k)
    _unexpected("random_", kwargs)
    dt = t._data.dtype
    if not vals:
        cls, low, high_incl = RandomBackward2, 0, _default_high(dt)
    else:
        if len(vals) == 1:  # random_(to)
            cls, low, to = RandomBackward1, 0, vals.get("to", vals.get("from"))
        else:
            cls, low, to = RandomBackward0, int(vals.get("from", 0)), vals.get("to")
        if to is None:
            low = RD.float_bounds(dt, low, None)[0] if low != -2 ** 63 else low
            high_incl = _default_high(dt)
        else:
            if low >= int(to):
                raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from="
                                   f"{low} >= to={int(to)}")
            low, to = RD.float_bounds(dt, low, int(to))
            high_incl = int(to) - 1
            _check_random_bounds(dt, low, high_incl)
    eng, n = _rng(generator), t._data.size
    if not vals:
        values = RD.random_default(eng, n, dt)
    elif low == -2 ** 63 and vals.get("to") is None and len(vals) == 2:
        values = RD.random_full_range(eng, n)
    else:
        values = RD.random_from_to(eng, n, high_incl - low + 1, low)
    return _fill(t, cls, in_memory_order(values.astype(dt), t._data))


class ExponentialBackward0(_ZeroGrad):
    __slots__ = ()


@export(torch=False, method="exponential_")
def exponential_(t: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws of density lambd * exp(-lambd * x)."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_g(lambd)}")
    _continuous_only("Exponential", t, c_name=False)
    vals = RD.exponential(_rng(generator), t._data.size, float(lambd))
    return _fill(t, ExponentialBackward0, in_memory_order(vals, t._data))


class LogNormalBackward0(_ZeroGrad):
    __slots__ = ()


@export(torch=False, method="log_normal_")
def log_normal_(t: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with exp(N(mean, std^2))."""
    if t._data.dtype.kind != "f":
        raise _not_implemented("log_normal_cpu", t)
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_g(std)}")
    vals = RD.log_normal(_rng(generator), t._data.size, float(mean), float(std))
    return _fill(t, LogNormalBackward0, in_memory_order(vals, t._data))


class CauchyBackward0(_ZeroGrad):
    __slots__ = ()


@export(torch=False, method="cauchy_")
def cauchy_(t: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with median + sigma * tan(pi * (u - 1/2))."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_g(sigma)}")
    _continuous_only("Cauchy", t, c_name=True)
    vals = RD.cauchy(_rng(generator), t._data.size, float(median), float(sigma))
    return _fill(t, CauchyBackward0, in_memory_order(vals, t._data))


class GeometricBackward0(_ZeroGrad):
    __slots__ = ()


@export(torch=False, method="geometric_")
def geometric_(t: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_g(p)}")
    vals = RD.geometric(_rng(generator), t._data.size, float(p))
    return _fill(t, GeometricBackward0, in_memory_order(vals, t._data))
