"""vmap: run ``func`` once on the whole batch (batching rules), or once per example.

Two ways to run, same results:

* **Batched** (``_batching.py``): the mapped inputs become ``BatchedTensor``s and ``func`` runs
  once; every op it calls runs its batching rule on the physical (batched) tensors. Tried first.
* **Per example** (the fallback): the batch is unbound along each input's ``in_dim``, ``func``
  runs on every element, and each output is stacked along its ``out_dim``. Exact for every
  function by definition.

The batched attempt falls back to the per-example run when it meets an op without a rule (the
``NoRule`` signal, raised before that op does anything) or any error (the per-example run then
raises the error with per-example shapes). The choice made about what the abandoned attempt
leaves behind:

* the default generator is restored to its state before the attempt, so random draws are not
  made twice; a successful batched run that drew random numbers is kept for
  ``randomness='same'`` (one draw shared by the batch is exactly 'same'), raises PyTorch's error
  for 'error', and is discarded and re-run per example for 'different';
* warnings raised during the attempt are recorded, and re-emitted only if it succeeds;
* no tensor is written by the attempt (there are no in-place rules; an in-place op that meets a
  BatchedTensor raises before writing);
* other Python side effects of ``func`` (prints, appends) that happen before the first op
  without a rule do happen twice.

Nested ``vmap`` batches each level (a BatchedTensor carries several batch dims); ``grad``,
``vjp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``jvp`` inside ``vmap`` run batched too (see
``_transforms.py``); a transform that cannot (``linearize``, a ``vjp_fn`` called with batched
cotangents, ``autograd.grad`` on batched outputs or inputs) takes the per-example path, as does
any call made while a forward-AD dual level is open. ``autograd.grad`` of a graph recorded
outside the call with batched cotangents (PyTorch's Jacobian recipe,
``vmap(lambda v: autograd.grad(y, x, v))(I)``) computes the batch of VJPs in one call, keeping the
graph until the last of them.

Inputs, errors and ``in_dims``/``out_dims`` structures follow ``torch.func.vmap``. Differences:
* ``randomness``: 'error' raises PyTorch's error when ``func`` draws from the default generator
  (detected from the generator's state, after the call); 'same' replays the same state for every
  element; 'different' lets them draw in turn. A generator passed explicitly is not watched.
* ``out_dims=None`` for a tensor output of the per-example run: PyTorch refuses an output that
  depends on a batched input; there the test is whether every element returned the same value.
* a batch of size 0 runs only batched; if that is not possible: NotImplementedError.
* ``chunk_size`` is validated and otherwise has no effect.
* data-dependent Python control flow (``if x.sum() > 0``, ``.item()``) works (per example), where
  PyTorch raises.
"""
from __future__ import annotations

import functools
import warnings

from . import _batching
from ._batching import NoRule
from ._pytree import broadcast_prefix, tree_flatten, tree_unflatten
from .._tensor import Tensor
from ..ops.shape.join import stack as _public_stack
from .._creation import default_generator as _gen
from ._batched_grad import grads_batched  # noqa: F401 - func/__init__ hands it to autograd

__all__ = ["vmap"]

_RANDOM_ERROR = ("vmap: called random operation while in randomness error mode. Please either use "
                 "the 'same' or 'different' randomness flags on vmap or perform the randomness "
                 "operation out of vmap")


def _check_randomness_arg(randomness) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


class _RandomnessGuard:
    """Watches the default generator around one call of ``func``."""

    def __init__(self, randomness: str, start=None):
        self.randomness = randomness
        self.start = start

    def _state(self):
        return (_gen._rng, _gen._snapshot())

    def __enter__(self):
        if self.randomness == "same" and self.start is not None:
            _gen._rng = self.start[0]
            _gen._restore(self.start[1])
        self.before = self._state()
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None or self.randomness != "error":
            return False
        after = self._state()
        if after[0] is not self.before[0] or after[1] != self.before[1]:
            _gen._rng = self.before[0]
            _gen._restore(self.before[1])
            raise RuntimeError(_RANDOM_ERROR)
        return False


def _process_inputs(func, in_dims, args):
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` "
                         "to be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add "
                         "inputs, or you are trying to vmap over a function with no inputs. The "
                         "latter is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_prefix(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         "compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if not isinstance(d, int) and d is not None:
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for an input but in_dim must be either an integer "
                             "dimension or None.")
        if isinstance(d, int) and not isinstance(arg, Tensor):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for an input but the input is of type {type(arg)}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the "
                             "respective in_dim")
        if d is not None and (d < -arg.dim() or d >= arg.dim()):
            raise ValueError(f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>): Got "
                             f"in_dim={d} for some input, but that input is a Tensor of "
                             f"dimensionality {arg.dim()} so expected in_dim to satisfy "
                             f"-{arg.dim()} <= in_dim < {arg.dim()}.")
        if d is not None and d < 0:
            flat_dims[i] = d % arg.dim()
    sizes = [a.size(d) for a, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, "
                         f"got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _check_out_dims(func, out_dims) -> None:
    if isinstance(out_dims, int):
        return
    for d in tree_flatten(out_dims)[0]:
        if not (isinstance(d, int) or d is None):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an "
                             "int, None or a python collection of ints representing where in the "
                             "outputs the vmapped dimension should appear.")


def _select(t, dim: int, i: int):
    return t[(slice(None),) * dim + (i,)]


def _same(values) -> bool:
    first = values[0]
    for v in values[1:]:
        if v is first:
            continue
        if isinstance(first, Tensor) and isinstance(v, Tensor):
            if first.shape != v.shape or first.dtype != v.dtype or \
                    not (first.detach()._data == v.detach()._data).all():
                return False
        else:
            return False
    return True


def _stack(values, dim):
    # the public entry point (a wrapper): seen by forward AD or a batched vmap when active
    return _public_stack(values, dim)


def _flat_out_dims(func, name, out_dims, out, out_spec):

    def incompatible():
        raise ValueError(f"vmap({name}, ..., out_dims={out_dims})(<inputs>): out_dims is not "
                         "compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]} but outputs has structure {out_spec}.")

    if isinstance(out, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        incompatible()
    flat = broadcast_prefix(out_dims, out_spec)
    if flat is None:
        incompatible()
    return flat


_Final = _batching.Final   # an error of the batched attempt that is final (no per-example run)


def _non_tensor_output(name, v) -> ValueError:
    return ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                      f"{type(v)}. Did you mean to set out_dims= to None for output?")


def _run_batched(func, size, flat_dims, flat_args, spec, kwargs, out_dims, name):
    """One call of ``func`` on BatchedTensors; raises NoRule when it cannot be batched."""
    level = _batching.push_level(size)
    try:
        flat_in = [a if d is None else _batching.add_level(a, d, level)
                   for a, d in zip(flat_args, flat_dims)]
        out = _batching.entry(func)(*tree_unflatten(flat_in, spec), **kwargs)
        flat_out, out_spec = tree_flatten(out)
        flat_od = _flat_out_dims(func, name, out_dims, out, out_spec)
        result = []
        for v, d in zip(flat_out, flat_od):
            if d is None:
                if _batching.is_batched(v) and level in v._lv:
                    raise NoRule("batched output with out_dim None")
                result.append(v)
            elif not isinstance(v, Tensor):
                # func ran: its outputs are what a per-example run would return too, so the
                # error is final (a re-run could not change it, and would repeat side effects,
                # such as freeing a graph)
                raise _Final(_non_tensor_output(name, v))
            else:
                result.append(_batching.remove_level(v, level, d, size))
        return tree_unflatten(result, out_spec)
    finally:
        _batching.pop_level(level)


def _generator_state():
    return (_gen._rng, _gen._snapshot())


def _set_generator_state(state) -> None:
    _gen._rng = state[0]
    _gen._restore(state[1])


def _try_batched(func, size, flat_dims, flat_args, spec, kwargs, out_dims, randomness, name):
    """(True, result) when the batched run succeeded, (False, None) to run per example."""
    before = _generator_state()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = _run_batched(func, size, flat_dims, flat_args, spec, kwargs, out_dims, name)
    except _Final as e:
        raise e.error from None
    except (NoRule, Exception) as e:  # noqa: B014 - NoRule is a BaseException
        _set_generator_state(before)
        _batching.STATS["fallback"] += 1
        _batching.STATS["last_reason"] = f"{type(e).__name__}: {e}"
        return False, getattr(e, "rule_error", None)
    after = _generator_state()
    if after[0] is not before[0] or after[1] != before[1]:
        if randomness == "error":
            _set_generator_state(before)
            raise RuntimeError(_RANDOM_ERROR)
        if randomness == "different":
            _set_generator_state(before)
            _batching.STATS["fallback"] += 1
            _batching.STATS["last_reason"] = "random draw with randomness='different'"
            return False, None
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    _batching.STATS["batched"] += 1
    return True, result


def _run_per_example(func, size, flat_dims, flat_args, spec, kwargs, out_dims, randomness, name):
    if size == 0:
        raise NotImplementedError("retrograd's vmap could not batch this function, and it cannot "
                                  "run it per example on a batch of size 0")
    start = None
    if randomness == "same":
        start = _generator_state()
    outs = []
    for i in range(size):
        flat_i = [a if d is None else _select(a, d, i) for a, d in zip(flat_args, flat_dims)]
        with _RandomnessGuard(randomness, start):
            outs.append(func(*tree_unflatten(flat_i, spec), **kwargs))
    _, out_spec = tree_flatten(outs[0])
    per_elem = [tree_flatten(o) for o in outs]
    if any(s != out_spec for _, s in per_elem):
        raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures "
                         "for different batch elements")
    flat_out_dims = _flat_out_dims(func, name, out_dims, outs[0], out_spec)
    result = []
    for k, d in enumerate(flat_out_dims):
        values = [leaves[k] for leaves, _ in per_elem]
        if d is None:
            if isinstance(values[0], Tensor) and not _same(values):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                                 "when out_dim is None")
            result.append(values[0])
            continue
        for v in values:
            if not isinstance(v, Tensor):
                raise _non_tensor_output(name, v)
        result.append(_stack(values, d))
    return tree_unflatten(result, out_spec)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """Map ``func`` over a batch dimension of its inputs (see the module docstring)."""
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        size, flat_dims, flat_args, spec = _process_inputs(func, in_dims, args)
        name = _name(func)
        if _batching.ENABLED and not _batching.forward_ad_open():
            ok, result = _try_batched(func, size, flat_dims, flat_args, spec, kwargs, out_dims,
                                      randomness, name)
            if ok:
                return result
            rule_error = result
            out = _run_per_example(func, size, flat_dims, flat_args, spec, kwargs, out_dims,
                                   randomness, name)
            if rule_error is not None:
                # a rule raised where every example runs: a bug of the rule (the test suite
                # fails on any, see tests/conftest.py); the per-example result stands
                _batching.STATS["rule_bugs"].append(rule_error)
            return out
        return _run_per_example(func, size, flat_dims, flat_args, spec, kwargs, out_dims,
                                randomness, name)

    return wrapped


class per_example:
    """Context manager: vmap runs per example only (no batching rules). For measurements and
    for checking the batched path against the per-example one."""

    def __enter__(self):
        self.prev = _batching.ENABLED
        _batching.ENABLED = False
        return self

    def __exit__(self, *exc):
        _batching.ENABLED = self.prev
